//! What collectors hand to the redaction stage, and what the redaction stage hands on.
//!
//! Collectors produce [`RawItem`]s: unredacted bytes that live only in memory. The redaction
//! pass turns them into [`Redacted`](crate::redact::Redacted) items, which only it can build,
//! so the bundle writer and the issue renderer (which accept nothing else) cannot be handed
//! raw bytes.

use serde::{Deserialize, Serialize};

/// How collecting one item ended. Recorded in the manifest; never fatal to a run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// Collected in full.
    Ok,
    /// The file, directory, binary or server was not there.
    Missing,
    /// The operating system refused access (permission denied).
    Denied,
    /// A command or request ran past its timeout and was stopped.
    Timeout,
    /// It ran but failed: non-zero exit, HTTP error, I/O error, unreadable content.
    Failed,
    /// Collected, but cut to the item's byte or line cap.
    Truncated,
    /// Deliberately not collected: never-collect denylist, binary content without
    /// `binary = true`, not a regular file, or a remote URL without `allow_remote`.
    Skipped,
}

impl Status {
    /// The lowercase name used in the manifest and the summary.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Ok => "ok",
            Status::Missing => "missing",
            Status::Denied => "denied",
            Status::Timeout => "timeout",
            Status::Failed => "failed",
            Status::Truncated => "truncated",
            Status::Skipped => "skipped",
        }
    }

    /// Whether the item's content counts as present for completeness.
    pub fn is_present(self) -> bool {
        matches!(self, Status::Ok | Status::Truncated | Status::Failed)
    }
}

impl std::fmt::Display for Status {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How content is to be read by the key-based redaction rules.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    /// Plain text or log lines: pattern rules only (plus `key=value` and header forms).
    #[default]
    Text,
    /// TOML: `key = value`, inline tables, arrays of tables.
    Toml,
    /// JSON, pretty or minified, nested.
    Json,
    /// YAML: `key: value`.
    Yaml,
    /// INI: `key = value` under `[sections]`.
    Ini,
    /// Environment files and dumps: `KEY=value` lines.
    Env,
    /// Caddyfile: `directive value...` lines, `env NAME value`.
    Caddyfile,
}

impl Format {
    /// All formats, in the order the spec documentation lists them.
    pub const ALL: [Format; 7] = [
        Format::Text,
        Format::Toml,
        Format::Json,
        Format::Yaml,
        Format::Ini,
        Format::Env,
        Format::Caddyfile,
    ];

    /// The name used in specs.
    pub fn as_str(self) -> &'static str {
        match self {
            Format::Text => "text",
            Format::Toml => "toml",
            Format::Json => "json",
            Format::Yaml => "yaml",
            Format::Ini => "ini",
            Format::Env => "env",
            Format::Caddyfile => "caddyfile",
        }
    }
}

/// One piece of collected content, unredacted. Lives only in memory and is handed to the
/// redaction stage; nothing writes it to disk.
#[derive(Debug, Clone, Default)]
pub struct RawEntry {
    /// Where the content came from on this machine: the file path, the argv, the URL.
    /// Goes through redaction before it is recorded.
    pub source: String,
    /// The file name part of the entry's path inside the zip (e.g. `config.toml`), chosen by
    /// the collector; goes through redaction before it is used.
    pub name: String,
    /// The bytes, already capped by the collector.
    pub data: Vec<u8>,
    /// Stored as-is (hashed, never redacted): only for items that say `binary = true`.
    pub binary: bool,
}

/// The result of collecting one spec item (or one match of a glob).
#[derive(Debug, Clone)]
pub struct RawItem {
    /// The spec item's id.
    pub id: String,
    /// The spec item's kind (`command`, `file`, ...).
    pub kind: &'static str,
    /// What was run or read, for the manifest (argv joined with spaces, path, URL).
    pub source: String,
    /// How collecting ended.
    pub status: Status,
    /// One line on why, when the status is not `ok` (e.g. `exit status 1`, `permission
    /// denied`, `connection refused`, `denied by never-collect pattern *.key`).
    pub detail: Option<String>,
    /// Content to store; `None` when nothing was collected.
    pub entry: Option<RawEntry>,
    /// Redaction format for the content.
    pub format: Format,
}

impl RawItem {
    /// An item that produced no content, with a status and a reason.
    pub fn empty(
        id: &str,
        kind: &'static str,
        source: impl Into<String>,
        status: Status,
        detail: impl Into<String>,
    ) -> Self {
        RawItem {
            id: id.to_string(),
            kind,
            source: source.into(),
            status,
            detail: Some(detail.into()),
            entry: None,
            format: Format::Text,
        }
    }

    /// An item whose content was collected in full: `data` stored as `name`, with the item's
    /// `source` as the entry's source, as text, read by the redaction stage as
    /// [`Format::Text`]. Collectors set `status`, `detail` and `format` over it where theirs
    /// differ (struct update syntax).
    pub fn collected(
        id: &str,
        kind: &'static str,
        source: impl Into<String>,
        name: impl Into<String>,
        data: Vec<u8>,
    ) -> Self {
        let source = source.into();
        RawItem {
            id: id.to_string(),
            kind,
            source: source.clone(),
            status: Status::Ok,
            detail: None,
            entry: Some(RawEntry {
                source,
                name: name.into(),
                data,
                binary: false,
            }),
            format: Format::Text,
        }
    }
}
