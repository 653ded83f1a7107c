//! `inspect`: one screen on what a bundle holds.
//!
//! Everything comes from the manifest, the stored spec (which items the policy requires, for
//! completeness) and the redaction report (counts per rule). Nothing here prints entry
//! content; every string shown passes [`for_terminal`] at render time, so a field read from a
//! bundle cannot drive the terminal.

use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;

use serde::Serialize;

use super::manifest::{
    CheckOutcome, CheckResult, FactRecord, ItemRecord, ProjectRecord, SpecRecord, Tool,
};
use super::reader::{Bundle, ReadError};
use super::recheck::stored_spec;
use super::sha256_hex;
use crate::completeness::{self, State};
use crate::sanitize::for_terminal;

/// Largest `redaction-report.json` read.
const MAX_REPORT_SIZE: u64 = 4 * 1024 * 1024;

/// What `inspect` shows.
#[derive(Debug, Clone, Serialize)]
pub struct Inspection {
    /// The bundle id (sha256 of `manifest.json`).
    pub id: String,
    /// Manifest format.
    pub format: String,
    /// The tool that wrote it.
    pub tool: Tool,
    /// The project.
    pub project: ProjectRecord,
    /// The spec that ran.
    pub spec: SpecRecord,
    /// Creation time.
    pub created: String,
    /// Marked not for a public issue.
    pub private: bool,
    /// Facts.
    pub facts: BTreeMap<String, FactRecord>,
    /// Items with status.
    pub items: Vec<ItemRecord>,
    /// Required items present.
    pub completeness: Completeness,
    /// Check outcomes as recorded.
    pub checks: Vec<CheckOutcome>,
    /// Replacements per redaction rule, over the whole bundle.
    pub redactions: BTreeMap<String, u64>,
    /// Why `redactions` is empty when the report could not be read.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub redactions_note: Option<String>,
}

/// How much of what the policy asks for arrived.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Completeness {
    /// Required items that count: collected in full, with the facts the issue shows from
    /// them (see [`crate::completeness`]).
    pub present: usize,
    /// Required items.
    pub required: usize,
    /// Ids of required items that do not count, in spec order.
    pub missing: Vec<String>,
    /// Why each of `missing` does not count (`2 of 3 files collected; missing: …`).
    pub reasons: BTreeMap<String, String>,
    /// `stored spec` or, when it could not be read, `all items` (every item counts).
    pub basis: String,
}

/// Gather what `inspect` shows.
pub fn inspect(bundle: &mut Bundle) -> Result<Inspection, ReadError> {
    let (m, bytes) = bundle.manifest()?;
    // The judgement the issue checklist makes ([`crate::completeness`]), so the two agree.
    let (judged, basis): (Vec<(String, State)>, &str) = match stored_spec(bundle) {
        Ok(spec) => (
            completeness::assess(&spec, &m)
                .into_iter()
                .map(|r| (r.item.id.clone(), r.state))
                .collect(),
            "stored spec",
        ),
        Err(_) => {
            // One pass grouping records by id: a manifest may list very many.
            let mut by_id: Vec<(&str, Vec<&ItemRecord>)> = Vec::new();
            let mut index: HashMap<&str, usize> = HashMap::new();
            for r in &m.items {
                let at = *index.entry(r.id.as_str()).or_insert_with(|| {
                    by_id.push((r.id.as_str(), Vec::new()));
                    by_id.len() - 1
                });
                by_id[at].1.push(r);
            }
            (
                by_id
                    .into_iter()
                    .map(|(id, records)| (id.to_string(), completeness::records_state(&records)))
                    .collect(),
                "all items",
            )
        }
    };
    let required = judged.len();
    let mut missing = Vec::new();
    let mut reasons = BTreeMap::new();
    for (id, state) in judged {
        if let State::Missing { reason, .. } = state {
            reasons.insert(id.clone(), reason);
            missing.push(id);
        }
    }
    let (redactions, redactions_note) = match redaction_totals(bundle) {
        Ok(t) => (t, None),
        Err(note) => (BTreeMap::new(), Some(note)),
    };
    Ok(Inspection {
        id: sha256_hex(&bytes),
        format: m.format,
        tool: m.tool,
        project: m.project,
        spec: m.spec,
        created: m.created,
        private: m.private,
        facts: m.facts,
        items: m.items,
        completeness: Completeness {
            present: required - missing.len(),
            required,
            missing,
            reasons,
            basis: basis.into(),
        },
        checks: m.checks,
        redactions,
        redactions_note,
    })
}

/// Replacements per rule, from `redaction-report.json`.
fn redaction_totals(bundle: &mut Bundle) -> Result<BTreeMap<String, u64>, String> {
    let bytes = bundle
        .read_entry("redaction-report.json", MAX_REPORT_SIZE)
        .map_err(|e| e.to_string())?;
    crate::redact::Report::parse(&bytes)
        .map(|r| r.rules)
        .ok_or_else(|| "redaction-report.json is not a redaction report".to_string())
}

/// The one-screen text.
pub fn render(i: &Inspection) -> String {
    let s = |t: &str| for_terminal(t).into_owned();
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{} bundle {}{}",
        s(&i.project.display),
        &i.id[..i.id.len().min(12)],
        if i.private { " (private)" } else { "" }
    );
    let _ = writeln!(
        out,
        "  written by {} {} on {}, spec {}, format {}",
        s(&i.tool.name),
        s(&i.tool.version),
        s(&i.created),
        s(&i.spec.origin),
        s(&i.format)
    );
    if let Some(repo) = &i.project.repository {
        let _ = writeln!(out, "  repository {}", s(repo));
    }
    let _ = writeln!(out, "facts");
    let width = i.facts.keys().map(String::len).max().unwrap_or(0);
    for (name, fact) in &i.facts {
        let _ = writeln!(
            out,
            "  {:width$}  {}  ({})",
            s(name),
            s(&fact.value),
            s(&fact.item)
        );
    }
    let _ = writeln!(out, "items");
    let width = i.items.iter().map(|i| i.id.len()).max().unwrap_or(0);
    for item in &i.items {
        let mut extra = Vec::new();
        if item.size > 0 {
            extra.push(format!("{} bytes", item.size));
        }
        if item.binary {
            extra.push("binary".into());
        }
        if item.redactions > 0 {
            extra.push(format!("{} redacted", item.redactions));
        }
        if let Some(d) = &item.detail {
            extra.push(s(d));
        }
        let extra = if extra.is_empty() {
            String::new()
        } else {
            format!(" ({})", extra.join(", "))
        };
        let _ = writeln!(
            out,
            "  {:<9} {:width$}  {}{extra}",
            item.status.as_str(),
            s(&item.id),
            s(item.path.as_deref().unwrap_or(&item.source)),
        );
    }
    let c = &i.completeness;
    let _ = writeln!(
        out,
        "completeness {}/{} required items present ({}){}",
        c.present,
        c.required,
        c.basis,
        if c.missing.is_empty() {
            String::new()
        } else {
            let each: Vec<String> = c
                .missing
                .iter()
                .map(|id| match c.reasons.get(id) {
                    Some(why) => format!("{id} ({why})"),
                    None => id.clone(),
                })
                .collect();
            format!("; missing: {}", s(&each.join(", ")))
        }
    );
    let _ = writeln!(out, "checks");
    if i.checks.is_empty() {
        let _ = writeln!(out, "  (none)");
    }
    let width = i.checks.iter().map(|c| c.id.len()).max().unwrap_or(0);
    for check in &i.checks {
        let _ = writeln!(
            out,
            "  {:<7} {:width$}  {}",
            check.outcome.as_str(),
            s(&check.id),
            s(&check.when),
        );
        if check.outcome.is_flagged() || check.outcome == CheckResult::Unknown {
            let _ = writeln!(out, "          {:width$}  {}", "", s(&check.explained()));
        }
    }
    let total: u64 = i.redactions.values().sum();
    let _ = writeln!(out, "redactions {total}");
    for (rule, n) in &i.redactions {
        let _ = writeln!(out, "  {n:>5}  {}", s(rule));
    }
    if let Some(note) = &i.redactions_note {
        let _ = writeln!(out, "  ({})", s(note));
    }
    out
}
