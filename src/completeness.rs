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

use crate::bundle::manifest::{ItemRecord, Manifest};
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
#[non_exhaustive]
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

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::bundle::manifest::FactRecord;
    use crate::bundle::manifest::{ProjectRecord, SpecRecord, Tool};
    use crate::item::Kind;

    const SPEC: &str = r#"
schema = 1
[project]
name = "demo"
[[collect]]
id = "build-info"
kind = "command"
argv = ["caddy", "build-info"]
required = true
facts = [
  { name = "gojinn_version", regex = 'gojinn\s+(\S+)' },
  { name = "go_version", regex = 'go\s+(\S+)' },
]
[[collect]]
id = "modules"
kind = "file"
path = "*.wasm"
binary = true
required = true
[[collect]]
id = "journal"
kind = "command"
argv = ["journalctl"]
required = true
fact = { name = "loop", regex = "restart loop" }
[issue]
environment = [{ label = "Gojinn version", fact = "gojinn_version" }]
"#;

    fn record(id: &str, source: &str, status: Status) -> ItemRecord {
        ItemRecord {
            id: id.into(),
            kind: Kind::Command,
            source: source.into(),
            path: (status == Status::Ok).then(|| format!("x/{id}")),
            status,
            detail: None,
            size: 0,
            sha256: None,
            redactions: 0,
            binary: false,
        }
    }

    fn manifest(items: Vec<ItemRecord>, facts: &[&str]) -> Manifest {
        Manifest {
            format: String::new(),
            tool: Tool::this(),
            project: ProjectRecord {
                name: "demo".into(),
                display: "demo".into(),
                repository: None,
            },
            spec: SpecRecord {
                origin: String::new(),
                sha256: String::new(),
                os: None,
            },
            created: String::new(),
            private: false,
            facts: facts
                .iter()
                .map(|f| {
                    let record = FactRecord {
                        value: "v".into(),
                        item: "build-info".into(),
                        line: None,
                    };
                    (f.to_string(), record)
                })
                .collect(),
            items,
            checks: Vec::new(),
            files: BTreeMap::new(),
        }
    }

    fn states(spec: &Spec, m: &Manifest) -> Vec<(String, Option<String>)> {
        assess(spec, m)
            .into_iter()
            .map(|r| {
                let why = match r.state {
                    State::Present { .. } => None,
                    State::Missing { reason, .. } => Some(reason),
                };
                (r.item.id.clone(), why)
            })
            .collect()
    }

    #[test]
    fn an_item_counts_only_with_every_file_and_the_facts_the_issue_shows() {
        let spec = crate::spec::parse("t.toml", SPEC).unwrap();
        let m = manifest(
            vec![
                record("build-info", "caddy build-info", Status::Ok),
                record("modules", "/srv/a.wasm", Status::Ok),
                record("modules", "/srv/b.wasm", Status::Ok),
                record("modules", "/srv/c.wasm", Status::Missing),
                record("journal", "journalctl", Status::Failed),
            ],
            &["go_version"],
        );
        assert_eq!(
            states(&spec, &m),
            [
                (
                    "build-info".to_string(),
                    Some("collected, but `gojinn_version` was not found in it".to_string())
                ),
                (
                    "modules".to_string(),
                    Some("2 of 3 files collected; missing: /srv/c.wasm".to_string())
                ),
                ("journal".to_string(), Some("failed".to_string())),
            ]
        );
        // The facts the issue does not show (`loop`, `go_version`) are not asked for.
        let m = manifest(
            vec![
                record("build-info", "caddy build-info", Status::Ok),
                record("modules", "/srv/a.wasm", Status::Ok),
                record("journal", "journalctl", Status::Truncated),
            ],
            &["gojinn_version"],
        );
        assert!(states(&spec, &m).iter().all(|(_, why)| why.is_none()));
        // Never collected at all.
        let m = manifest(Vec::new(), &[]);
        assert_eq!(
            states(&spec, &m)[2],
            ("journal".to_string(), Some("not collected".to_string()))
        );
    }
}
