//! Checking a bundle again: the stored `spec.toml`, and its `[[check]]`s run again
//! on the bundle's facts (with the stored spec or a newer one).
//!
//! The evaluation is the very one `collect` runs ([`crate::checks::evaluate`]), so a
//! bundle checked later gives the outcome `collect` would have given with the same spec.

use std::fmt::Write as _;

use serde::Serialize;

use super::manifest::{CheckOutcome, CheckResult};
use super::reader::{Bundle, ReadError};
use crate::sanitize::for_terminal;
use crate::spec::Spec;

/// Largest `spec.toml` accepted from a bundle (the built-in specs are under 10 KiB).
pub const MAX_SPEC_SIZE: u64 = 1024 * 1024;

/// The name stored specs are reported under in errors.
pub const STORED_SPEC_ORIGIN: &str = "spec.toml (in bundle)";

/// Why a stored spec could not be used.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SpecReadError {
    /// The bundle could not be read.
    #[error(transparent)]
    Read(#[from] ReadError),
    /// `spec.toml` is not UTF-8.
    #[error("`spec.toml` in the bundle is not UTF-8")]
    NotUtf8,
    /// `spec.toml` does not parse as a spec.
    #[error("{0}")]
    Invalid(String),
}

/// The spec stored in the bundle as `spec.toml`, parsed, with the items of the system the
/// bundle was collected on (as `collect` ran it; see [`Spec::keep_for_os`]).
pub fn stored_spec(bundle: &mut Bundle) -> Result<Spec, SpecReadError> {
    let bytes = bundle.read_entry("spec.toml", MAX_SPEC_SIZE)?;
    let text = String::from_utf8(bytes).map_err(|_| SpecReadError::NotUtf8)?;
    let mut spec = crate::spec::parse(STORED_SPEC_ORIGIN, &text)
        .map_err(|e| SpecReadError::Invalid(e.to_string()))?;
    let (manifest, _) = bundle.manifest()?;
    spec.keep_for_os(manifest.spec.system());
    Ok(spec)
}

/// The checks run again, next to what the bundle recorded.
#[derive(Debug, Clone, Serialize)]
pub struct Replay {
    /// Where the spec came from (`spec.toml (in bundle)`, `built-in:kestrel`, a path).
    pub spec: String,
    /// Every check's outcome now, in spec order.
    pub checks: Vec<CheckOutcome>,
    /// What the bundle recorded when it was collected.
    pub recorded: Vec<CheckOutcome>,
}

impl Replay {
    /// Whether any check fails.
    pub fn failed(&self) -> bool {
        self.checks.iter().any(|c| c.outcome == CheckResult::Fail)
    }
}

/// `check`'s text: the spec, one line per check (with its message when it fails or warns),
/// and the counts. Every string from the bundle or spec is escaped.
pub fn render(replay: &Replay) -> String {
    let s = |t: &str| for_terminal(t).into_owned();
    let mut out = String::new();
    let _ = writeln!(out, "checks from {}", s(&replay.spec));
    if replay.checks.is_empty() {
        let _ = writeln!(out, "  (the spec has no checks)");
    }
    let width = replay.checks.iter().map(|c| c.id.len()).max().unwrap_or(0);
    for c in &replay.checks {
        let _ = writeln!(
            out,
            "  {:<7} {:width$}  {}",
            c.outcome.as_str().to_uppercase(),
            s(&c.id),
            s(&c.when)
        );
        if c.outcome.is_flagged() || c.outcome == CheckResult::Unknown {
            let _ = writeln!(out, "          {:width$}  {}", "", s(&c.explained()));
        }
    }
    let count = |o: CheckResult| replay.checks.iter().filter(|c| c.outcome == o).count();
    let _ = writeln!(
        out,
        "{} failed, {} warned, {} passed, {} unknown",
        count(CheckResult::Fail),
        count(CheckResult::Warn),
        count(CheckResult::Pass),
        count(CheckResult::Unknown)
    );
    out
}

/// Run `spec`'s checks (the stored spec when `None`) against the bundle's facts.
pub fn replay_checks(bundle: &mut Bundle, spec: Option<Spec>) -> Result<Replay, SpecReadError> {
    let (manifest, _) = bundle.manifest()?;
    let spec = match spec {
        Some(spec) => spec,
        None => stored_spec(bundle)?,
    };
    Ok(Replay {
        spec: spec.origin.clone(),
        checks: crate::checks::evaluate(&spec, &manifest.facts, &manifest.items),
        recorded: manifest.checks,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn outcome(id: &str, outcome: CheckResult, message: &str) -> CheckOutcome {
        CheckOutcome {
            id: id.into(),
            outcome,
            when: "demo_version < 2.0".into(),
            message: message.into(),
            reason: None,
            evidence: None,
        }
    }

    #[test]
    fn render_lists_outcomes_messages_and_counts() {
        let replay = Replay {
            spec: STORED_SPEC_ORIGIN.into(),
            checks: vec![
                outcome("old", CheckResult::Fail, "upgrade\u{1b}[2J"),
                outcome("ok", CheckResult::Pass, "unseen"),
            ],
            recorded: Vec::new(),
        };
        let expected = [
            "checks from spec.toml (in bundle)",
            "  FAIL    old  demo_version < 2.0",
            "               upgrade\\u{1b}[2J",
            "  PASS    ok   demo_version < 2.0",
            "1 failed, 0 warned, 1 passed, 0 unknown",
        ];
        assert_eq!(render(&replay), expected.map(|l| format!("{l}\n")).concat());
        assert!(replay.failed());
    }
}
