//! `manifest.json`: what the bundle holds and how it was made.
//!
//! Serialised as canonical JSON (keys sorted, two-space indent, trailing newline), so the same
//! bundle always has the same manifest bytes; the bundle id is their sha256.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::item::{Kind, Status};

/// The manifest of one bundle.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Manifest {
    /// Always [`super::FORMAT`] for bundles this build writes.
    pub format: String,
    /// The tool that wrote it.
    pub tool: Tool,
    /// The project the spec is for.
    pub project: ProjectRecord,
    /// Which spec ran.
    pub spec: SpecRecord,
    /// Creation time (RFC 3339): `SOURCE_DATE_EPOCH`, else 1980-01-01.
    pub created: String,
    /// Marked by `--security`: not for a public issue.
    pub private: bool,
    /// Facts extracted from redacted content.
    pub facts: BTreeMap<String, FactRecord>,
    /// One record per collected item (a glob gives one per match), in spec order.
    pub items: Vec<ItemRecord>,
    /// Check outcomes.
    pub checks: Vec<CheckOutcome>,
    /// Every other entry of the zip with its size and sha256 (all but `manifest.json`).
    pub files: BTreeMap<String, FileRecord>,
}

/// The writing tool.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tool {
    /// `support-bundle`.
    pub name: String,
    /// Its version.
    pub version: String,
}

impl Tool {
    /// This build.
    pub fn this() -> Tool {
        Tool {
            name: env!("CARGO_PKG_NAME").to_string(),
            version: env!("CARGO_PKG_VERSION").to_string(),
        }
    }
}

/// The project, as the spec names it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProjectRecord {
    /// Short name.
    pub name: String,
    /// Human name.
    pub display: String,
    /// Repository URL.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub repository: Option<String>,
}

/// The spec that ran.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SpecRecord {
    /// `built-in:<name>` or the spec file's base name.
    pub origin: String,
    /// sha256 of `spec.toml`.
    pub sha256: String,
    /// The system it ran on, as Rust names it (`linux`, `macos`): which of the spec's
    /// `os`-specific items apply to this bundle. Absent in bundles from before items had
    /// systems, which were all collected on Linux.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub os: Option<String>,
}

impl SpecRecord {
    /// The system the spec ran on ([`SpecRecord::os`], Linux when absent).
    pub fn system(&self) -> &str {
        self.os.as_deref().unwrap_or("linux")
    }
}

/// A fact and the item it came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FactRecord {
    /// The value (from redacted content).
    pub value: String,
    /// The id of the item it was extracted from.
    pub item: String,
    /// The line of the item's content the value was found on: the evidence a check quotes.
    /// Absent for `system` facts and in bundles written before it was recorded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub line: Option<String>,
}

/// One collected item.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ItemRecord {
    /// The spec item's id.
    pub id: String,
    /// Collector kind.
    pub kind: Kind,
    /// What was run or read (redacted).
    pub source: String,
    /// Path inside the zip; absent when nothing was stored.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    /// How collecting ended.
    pub status: Status,
    /// Why, when not ok (redacted).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    /// Stored size in bytes.
    pub size: u64,
    /// sha256 of the stored content; absent when nothing was stored.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sha256: Option<String>,
    /// Values replaced by redaction in this item (content, name, source, detail).
    pub redactions: u64,
    /// Stored as-is, not redacted (binary).
    pub binary: bool,
}

/// One check's outcome.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CheckOutcome {
    /// The check's id.
    pub id: String,
    /// `pass`, `warn`, `fail` or `unknown` (a fact it needs is absent, or the item that
    /// would yield it was not collected in full).
    pub outcome: CheckResult,
    /// The condition as written.
    pub when: String,
    /// The check's message.
    pub message: String,
    /// Why the outcome is `unknown` (``journal` was not collected: missing`). Absent for
    /// decided checks and in bundles written before it was recorded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// The content line the check's fact was found on (`unexpected argument '--config'
    /// found`), for a check that fails or warns on a found fact.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub evidence: Option<String>,
}

impl CheckOutcome {
    /// The message with what backs it: the evidence line for a flagged check, the reason
    /// for an unknown one. One line; callers escape it for their medium.
    pub fn explained(&self) -> String {
        let message = self.message.trim();
        match (self.outcome, &self.evidence, &self.reason) {
            (CheckResult::Warn | CheckResult::Fail, Some(line), _) => {
                format!("{message} (seen: \"{}\")", line.trim())
            }
            (CheckResult::Unknown, _, Some(reason)) => reason.clone(),
            _ => message.to_string(),
        }
    }
}

/// What a check found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum CheckResult {
    /// The condition does not hold.
    Pass,
    /// The condition holds and the check's level is `warn`.
    Warn,
    /// The condition holds and the check's level is `fail`.
    Fail,
    /// A fact the condition compares is absent.
    Unknown,
}

impl CheckResult {
    /// The lowercase name used in the manifest and the reports.
    pub fn as_str(self) -> &'static str {
        match self {
            CheckResult::Pass => "pass",
            CheckResult::Warn => "warn",
            CheckResult::Fail => "fail",
            CheckResult::Unknown => "unknown",
        }
    }

    /// Whether the check asks for attention (`warn` or `fail`).
    pub fn is_flagged(self) -> bool {
        matches!(self, CheckResult::Warn | CheckResult::Fail)
    }
}

impl std::fmt::Display for CheckResult {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An entry's size and hash.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileRecord {
    /// Uncompressed size.
    pub size: u64,
    /// sha256 of the uncompressed bytes.
    pub sha256: String,
}

impl Manifest {
    /// Canonical JSON bytes: sorted keys, two-space indent, trailing newline.
    pub fn to_canonical_json(&self) -> Vec<u8> {
        // Going through `Value` sorts every object's keys (serde_json's map is a BTreeMap).
        let value = serde_json::to_value(self).unwrap_or(serde_json::Value::Null);
        let mut out = serde_json::to_vec_pretty(&value).unwrap_or_default();
        out.push(b'\n');
        out
    }
}
