//! Whether a bundle holds what the project's policy asks for: the one judgement the issue's
//! completeness checklist and `inspect`'s completeness line share, so they never disagree.
//!
//! A required item counts only when
//! - every record it gave is `ok` or `truncated` (content that is there, cut to the item's cap
//!   by design); a `failed`, `missing`, `denied`, `timeout` or `skipped` record does not
//!   count, and an item that names several files (`from` references, globs) counts only when
//!   every one of them was collected ("2 of 3 files collected; missing: …");
//! - and the facts the issue shows from it were found: those of its facts that
//!   `[issue] environment` or a section's sources name (a `Gojinn version` line must not be
//!   ticked while `gojinn_version` is not found).

use std::collections::BTreeSet;

use crate::bundle::{ItemRecord, Manifest};
use crate::item::Status;
use crate::sanitize::one_line;
use crate::spec::{Item, SectionSource, Spec};

/// One required item, judged.
#[derive(Debug, Clone)]
pub struct Requirement<'a> {
    /// The spec item.
    pub item: &'a Item,
    /// Whether it counts, and why not.
    pub state: State,
}

/// Whether a required item counts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum State {
    /// Collected in full, with the facts the issue shows from it.
    Present {
        /// The entry inside the bundle, when it is one file.
        path: Option<String>,
        /// How many records (files) it gave.
        records: usize,
    },
    /// It does not count.
    Missing {
        /// The status of the record that kept it from counting (`None`: never collected).
        status: Option<Status>,
        /// Why, on one line (statuses and details come from the redacted manifest).
        reason: String,
    },
}

impl Requirement<'_> {
    /// Whether the item counts.
    pub fn is_present(&self) -> bool {
        matches!(self.state, State::Present { .. })
    }
}

/// Every required item of `spec`, in spec order, judged against `manifest`.
pub fn assess<'a>(spec: &'a Spec, manifest: &Manifest) -> Vec<Requirement<'a>> {
    let shown = shown_facts(spec);
    spec.items
        .iter()
        .filter(|i| i.required)
        .map(|item| {
            let records: Vec<&ItemRecord> =
                manifest.items.iter().filter(|r| r.id == item.id).collect();
            let mut state = records_state(&records);
            if matches!(state, State::Present { .. }) {
                let absent: Vec<&str> = item
                    .facts
                    .iter()
                    .map(|f| f.name.as_str())
                    .filter(|n| shown.contains(n) && !manifest.facts.contains_key(*n))
                    .collect::<BTreeSet<_>>()
                    .into_iter()
                    .collect();
                if !absent.is_empty() {
                    state = State::Missing {
                        status: Some(Status::Ok),
                        reason: format!(
                            "collected, but {} not found in it",
                            absent
                                .iter()
                                .map(|n| format!("`{n}`"))
                                .collect::<Vec<_>>()
                                .join(", ")
                                + if absent.len() == 1 { " was" } else { " were" }
                        ),
                    };
                }
            }
            Requirement { item, state }
        })
        .collect()
}

/// Judge an item from its records alone: what `inspect` falls back to when the stored spec
/// cannot be read.
pub fn records_state(records: &[&ItemRecord]) -> State {
    let counts = |r: &&&ItemRecord| matches!(r.status, Status::Ok | Status::Truncated);
    let Some(first) = records.first() else {
        return State::Missing {
            status: None,
            reason: "not collected".to_string(),
        };
    };
    let bad: Vec<&&ItemRecord> = records.iter().filter(|r| !counts(r)).collect();
    if bad.is_empty() {
        return State::Present {
            path: (records.len() == 1).then(|| first.path.clone()).flatten(),
            records: records.len(),
        };
    }
    if records.len() == 1 {
        return State::Missing {
            status: Some(first.status),
            reason: describe(first),
        };
    }
    let missing: Vec<String> = bad
        .iter()
        .map(|r| match r.status {
            Status::Missing => one_line(&r.source),
            status => format!("{} ({})", one_line(&r.source), reason_word(status)),
        })
        .collect();
    State::Missing {
        status: Some(bad[0].status),
        reason: format!(
            "{} of {} files collected; missing: {}",
            records.len() - bad.len(),
            records.len(),
            missing.join(", ")
        ),
    }
}

/// `reason: detail` of one record, as a maintainer's policy would say it.
fn describe(r: &ItemRecord) -> String {
    match &r.detail {
        // Collectors often say it themselves ("permission denied: /etc/...").
        Some(d) if d.starts_with(reason_word(r.status)) => one_line(d),
        Some(d) => format!("{}: {}", reason_word(r.status), one_line(d)),
        None => reason_word(r.status).to_string(),
    }
}

/// The reason, as a maintainer's policy would say it.
pub fn reason_word(status: Status) -> &'static str {
    match status {
        Status::Missing => "not found",
        Status::Denied => "permission denied",
        Status::Timeout => "timed out",
        Status::Failed => "failed",
        Status::Skipped => "skipped",
        Status::Ok | Status::Truncated => "collected",
    }
}

/// The facts the issue shows: `[issue] environment` and every `fact:` or `item:` source
/// (an item source shows all of that item's facts).
fn shown_facts(spec: &Spec) -> BTreeSet<&str> {
    let mut shown: BTreeSet<&str> = spec
        .issue
        .environment
        .iter()
        .flat_map(|e| e.facts.iter().map(String::as_str))
        .collect();
    for heading in &spec.issue.sections {
        for source in spec.section_sources(heading) {
            match source {
                SectionSource::Fact(name) => {
                    if let Some(f) = spec
                        .items
                        .iter()
                        .flat_map(|i| &i.facts)
                        .find(|f| f.name == name)
                    {
                        shown.insert(f.name.as_str());
                    }
                }
                SectionSource::Item(id) => {
                    if let Some(item) = spec.item(&id) {
                        shown.extend(item.facts.iter().map(|f| f.name.as_str()));
                    }
                }
                _ => {}
            }
        }
    }
    shown
}
