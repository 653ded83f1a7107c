//! Replaying a spec against a bundle: the stored `spec.toml`, and its `[[check]]`s run again
//! on the bundle's facts (with the stored spec or a newer one).
//!
//! The evaluation is the very one `collect` runs ([`crate::checks::evaluate`]), so a
//! bundle checked later gives the outcome `collect` would have given with the same spec.

use serde::Serialize;

use super::manifest::{CheckOutcome, CheckResult};
use super::reader::{Bundle, ReadError};
use crate::spec::Spec;

/// Largest `spec.toml` accepted from a bundle (the built-in specs are under 10 KiB).
pub const MAX_SPEC_SIZE: u64 = 1024 * 1024;

/// The name stored specs are reported under in errors.
pub const STORED_SPEC_ORIGIN: &str = "spec.toml (in bundle)";

/// Why a stored spec could not be used.
#[derive(Debug, thiserror::Error)]
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

/// The spec stored in the bundle as `spec.toml`, parsed.
pub fn stored_spec(bundle: &mut Bundle) -> Result<Spec, SpecReadError> {
    let bytes = bundle.read_entry("spec.toml", MAX_SPEC_SIZE)?;
    let text = String::from_utf8(bytes).map_err(|_| SpecReadError::NotUtf8)?;
    crate::spec::parse(STORED_SPEC_ORIGIN, &text).map_err(|e| SpecReadError::Invalid(e.to_string()))
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

/// Run `spec`'s checks (the stored spec when `None`) against the bundle's facts.
pub fn replay_checks(bundle: &mut Bundle, spec: Option<Spec>) -> Result<Replay, SpecReadError> {
    let (manifest, _) = bundle.manifest()?;
    let spec = match spec {
        Some(spec) => spec,
        None => stored_spec(bundle)?,
    };
    Ok(Replay {
        spec: spec.origin.clone(),
        checks: crate::checks::evaluate(&spec, &manifest.facts),
        recorded: manifest.checks,
    })
}
