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
#[non_exhaustive]
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

/// The kinds of collector a spec item can name; each item a collector yields carries its kind
/// into the manifest (as the same lowercase name).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum Kind {
    /// OS, kernel, architecture, CPU and memory facts.
    System,
    /// Run an argv.
    Command,
    /// Read files (paths or globs).
    File,
    /// List a directory without contents.
    Listing,
    /// GET a URL.
    Http,
    /// Read named environment variables.
    Env,
}

impl Kind {
    /// Every kind's spec name, in documentation order.
    pub const NAMES: [&'static str; 6] = ["system", "command", "file", "listing", "http", "env"];

    /// The kind's name in specs and manifests.
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::System => "system",
            Kind::Command => "command",
            Kind::File => "file",
            Kind::Listing => "listing",
            Kind::Http => "http",
            Kind::Env => "env",
        }
    }

    /// The kind a spec or manifest names.
    pub fn from_name(name: &str) -> Option<Kind> {
        Some(match name {
            "system" => Kind::System,
            "command" => Kind::Command,
            "file" => Kind::File,
            "listing" => Kind::Listing,
            "http" => Kind::Http,
            "env" => Kind::Env,
            _ => return None,
        })
    }
}

impl std::fmt::Display for Kind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // `pad`, so width and alignment apply (the dry-run's kind column).
        f.pad(self.as_str())
    }
}

/// A kind equals its name, so code reading manifests can compare with the names specs use.
impl PartialEq<str> for Kind {
    fn eq(&self, other: &str) -> bool {
        self.as_str() == other
    }
}

impl PartialEq<&str> for Kind {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

/// How content is to be read by the key-based redaction rules.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
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
    /// The spec item's kind.
    pub kind: Kind,
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
        kind: Kind,
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
        kind: Kind,
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

#[cfg(test)]
mod tests {
    use super::Kind;

    #[test]
    fn kinds_are_written_and_read_by_their_spec_names() {
        for name in Kind::NAMES {
            let kind = Kind::from_name(name).expect(name);
            assert_eq!(kind.as_str(), name);
            let json = serde_json::to_string(&kind).unwrap();
            assert_eq!(json, format!("\"{name}\""));
            assert_eq!(serde_json::from_str::<Kind>(&json).unwrap(), kind);
        }
        assert!(Kind::from_name("fiel").is_none());
        assert!(serde_json::from_str::<Kind>("\"fiel\"").is_err());
    }

    #[test]
    fn display_pads_like_a_string() {
        assert_eq!(format!("[{:<7}]", Kind::Env), "[env    ]");
    }
}
