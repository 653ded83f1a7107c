//! Where each item's content sits inside the zip.
//!
//! `system.json`, `commands/<id>.txt`, `files/<id>/<name>`, `listings/<id>.txt`,
//! `http/<id>.txt`, `env/<id>.txt`. Names come from the redaction pass (redacted) and are made
//! safe here: no separators, no `..`, no control characters, never empty. Two items that
//! would share a path (a glob matching `a.json` twice) get `-2`, `-3`, ... in order.

use std::collections::BTreeSet;

use super::manifest::ItemRecord;
use super::reader::is_unsafe_name_char;
use super::sha256_hex;
use crate::item::Kind;
use crate::redact::Redacted;

/// The issue body.
pub const ISSUE_BODY: &str = "issue.md";
/// The redacted title and description the issue body was rendered with.
pub const ISSUE_REQUEST: &str = "issue.json";
/// Replacement counts per entry and rule.
pub const REDACTION_REPORT: &str = "redaction-report.json";
/// The spec that ran.
pub const SPEC: &str = "spec.toml";

/// An item placed in the bundle: its manifest record (with its zip path) and its redacted
/// content.
#[derive(Debug, Clone)]
pub struct Placed {
    /// The manifest record; `path` is where the content sits in the zip.
    pub record: ItemRecord,
    /// The item as the redaction pass left it.
    pub item: Redacted,
}

impl Placed {
    /// `item` at `path` (`None` when it stored nothing), with its manifest record.
    pub fn new(item: Redacted, path: Option<String>) -> Placed {
        let data = item.data();
        let record = ItemRecord {
            id: item.id().to_string(),
            kind: item.kind(),
            source: item.source().to_string(),
            path,
            status: item.status(),
            detail: item.detail().map(String::from),
            size: data.map_or(0, |d| d.len() as u64),
            sha256: data.map(sha256_hex),
            redactions: item.counts().total(),
            binary: item.binary(),
        };
        Placed { record, item }
    }

    /// The content and where it goes, if the item stored any.
    pub fn entry(&self) -> Option<(&str, &[u8])> {
        Some((self.record.path.as_deref()?, self.item.data()?))
    }
}

/// Place `items` in order: each one's content at its kind's path, made unique.
pub fn place(items: Vec<Redacted>) -> Vec<Placed> {
    let mut paths = Paths::default();
    items
        .into_iter()
        .map(|item| {
            let path = item
                .name()
                .map(|name| paths.item(item.kind(), item.id(), name));
            Placed::new(item, path)
        })
        .collect()
}

/// The zip paths handed out so far in one bundle.
#[derive(Debug, Clone, Default)]
pub struct Paths {
    taken: BTreeSet<String>,
}

impl Paths {
    /// The path for an item's content: its kind's place, unique in this bundle.
    pub fn item(&mut self, kind: Kind, id: &str, name: &str) -> String {
        self.claim(entry_path(kind, id, name))
    }

    /// `path`, made unique in this bundle and taken.
    pub fn claim(&mut self, path: String) -> String {
        let path = unique(path, &self.taken);
        self.taken.insert(path.clone());
        path
    }

    /// Take `path` as it is (a fixed entry such as `spec.toml`).
    pub fn take(&mut self, path: &str) {
        self.taken.insert(path.to_string());
    }
}

/// The zip path for an item's content.
pub fn entry_path(kind: Kind, id: &str, name: &str) -> String {
    match kind {
        Kind::System => "system.json".to_string(),
        Kind::Command => format!("commands/{id}.txt"),
        Kind::Listing => format!("listings/{id}.txt"),
        Kind::Http => format!("http/{id}.txt"),
        Kind::Env => format!("env/{id}.txt"),
        Kind::File => format!("files/{id}/{}", safe_name(name)),
    }
}

/// A file name that cannot climb out of its directory or confuse a terminal: separators and
/// every character the bundle reader refuses in a name become `_`.
pub fn safe_name(name: &str) -> String {
    let cleaned: String = name
        .chars()
        .map(|c| {
            if c == '/' || c == '\\' || is_unsafe_name_char(c) {
                '_'
            } else {
                c
            }
        })
        .collect();
    let trimmed = cleaned.trim_start_matches('.');
    if trimmed.is_empty() {
        "_".to_string()
    } else if trimmed.len() == cleaned.len() {
        cleaned
    } else {
        format!("_{trimmed}")
    }
}

/// Make `path` unique among `taken` by adding `-2`, `-3`, ... before the extension.
pub fn unique(path: String, taken: &BTreeSet<String>) -> String {
    if !taken.contains(&path) {
        return path;
    }
    let (stem, ext) = match path.rfind('.') {
        Some(dot) if dot > path.rfind('/').map_or(0, |s| s + 1) => path.split_at(dot),
        _ => (path.as_str(), ""),
    };
    (2..)
        .map(|n| format!("{stem}-{n}{ext}"))
        .find(|p| !taken.contains(p))
        .unwrap_or(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_cannot_escape() {
        assert_eq!(safe_name("../../etc/passwd"), "__.._etc_passwd");
        assert_eq!(safe_name(".."), "_");
        assert_eq!(safe_name("a\u{1b}[31mb"), "a_[31mb");
        assert_eq!(safe_name("Caddyfile"), "Caddyfile");
        assert_eq!(safe_name("a\u{202e}b\nc\td.log"), "a_b_c_d.log");
        assert_eq!(safe_name("x\u{2066}y\u{200f}z\u{9b}"), "x_y_z_");
        assert_eq!(
            entry_path(Kind::File, "cfg", "x/y.toml"),
            "files/cfg/x_y.toml"
        );
    }

    #[test]
    fn place_puts_items_at_their_kinds_path_in_order_and_keeps_paths_unique() {
        use crate::item::{RawItem, Status};
        let raws = vec![
            RawItem::collected("c", Kind::File, "/a/x.json", "x.json", b"1".to_vec()),
            RawItem::collected("c", Kind::File, "/b/x.json", "x.json", b"2".to_vec()),
            RawItem::collected("v", Kind::Command, "v --version", "v.txt", b"v1".to_vec()),
            RawItem::empty("gone", Kind::File, "/nope", Status::Missing, "no such file"),
        ];
        let mut redactor = crate::redact::Redactor::new(&crate::redact::Options {
            no_default_rules: true,
            keep_identifiers: true,
            ..Default::default()
        })
        .unwrap();
        let placed = place(crate::redact::redact_items(
            raws,
            &mut redactor,
            &Default::default(),
        ));
        let paths: Vec<_> = placed.iter().map(|p| p.record.path.as_deref()).collect();
        assert_eq!(
            paths,
            [
                Some("files/c/x.json"),
                Some("files/c/x-2.json"),
                Some("commands/v.txt"),
                None
            ]
        );
        assert_eq!(placed[1].entry(), Some(("files/c/x-2.json", &b"2"[..])));
        assert_eq!(placed[1].record.sha256, Some(sha256_hex(b"2")));
        assert_eq!(placed[3].record.size, 0);
        assert_eq!(placed[3].entry(), None);
    }

    #[test]
    fn unique_adds_a_counter_before_the_extension() {
        let mut taken = BTreeSet::new();
        taken.insert("files/c/a.json".to_string());
        assert_eq!(unique("files/c/a.json".into(), &taken), "files/c/a-2.json");
        taken.insert("files/c/a-2.json".to_string());
        assert_eq!(unique("files/c/a.json".into(), &taken), "files/c/a-3.json");
        taken.insert("files/c/noext".to_string());
        assert_eq!(unique("files/c/noext".into(), &taken), "files/c/noext-2");
    }
}
