//! The redaction pass: the only road from collected bytes to anything that is written.
//!
//! [`Redacted`] and [`RedactedText`] can only be built here, and the bundle writer and the
//! issue renderer accept nothing else, so a raw byte cannot reach either by construction.
//! Every string an item carries into the manifest (source, detail, entry name) is redacted
//! too, with the same rules and the secrets learned from all items of the run.
//!
//! `collect` runs [`redact_items`] on what the collectors returned; `redact BUNDLE --out` runs
//! it on the items of an existing bundle. Where an item's content goes inside the zip is the
//! bundle layout's business: the pass hands on the redacted entry *name* only.

use std::borrow::Cow;

use super::{Counts, Redactor, Vocabulary};
use crate::item::{Format, Kind, RawItem, Status};

/// One item after redaction. Every field is private: only this pass builds or changes one.
#[derive(Debug, Clone)]
pub struct Redacted {
    id: String,
    kind: Kind,
    source: String,
    status: Status,
    detail: Option<String>,
    entry: Option<Entry>,
    counts: Counts,
}

#[derive(Debug, Clone)]
struct Entry {
    name: String,
    data: Vec<u8>,
    binary: bool,
}

impl Redacted {
    /// The spec item's id.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// The spec item's kind (`command`, `file`, ...).
    pub fn kind(&self) -> Kind {
        self.kind
    }

    /// What was run or read (redacted).
    pub fn source(&self) -> &str {
        &self.source
    }

    /// How collecting ended.
    pub fn status(&self) -> Status {
        self.status
    }

    /// Why, when not ok (redacted).
    pub fn detail(&self) -> Option<&str> {
        self.detail.as_deref()
    }

    /// The redacted name the collector chose for the content (e.g. `config.toml`); the bundle
    /// layout turns it into a zip path. `None` when nothing was stored.
    pub fn name(&self) -> Option<&str> {
        self.entry.as_ref().map(|e| e.name.as_str())
    }

    /// The stored content: redacted, or binary content as-is.
    pub fn data(&self) -> Option<&[u8]> {
        self.entry.as_ref().map(|e| e.data.as_slice())
    }

    /// Whether the content is stored as-is (binary, never redacted).
    pub fn binary(&self) -> bool {
        self.entry.as_ref().is_some_and(|e| e.binary)
    }

    /// Replacements per rule in this item (content, name, source, detail), for the report.
    pub fn counts(&self) -> &Counts {
        &self.counts
    }
}

/// Learn secrets from every text item, then redact every item's content, source, detail and
/// entry name. Items keep their order, which is also the order masks are numbered in. Words
/// of `vocab` (the spec's own) are replaced only where a key rule found them.
pub fn redact_items(
    raws: Vec<RawItem>,
    redactor: &mut Redactor,
    vocab: &Vocabulary,
) -> Vec<Redacted> {
    for raw in &raws {
        if let Some(entry) = raw.entry.as_ref().filter(|e| !e.binary) {
            redactor.learn(&entry.data, raw.format, vocab);
        }
    }
    raws.into_iter()
        .map(|raw| {
            let mut counts = Counts::default();
            let source = redactor.redact_str(&raw.source, &mut counts);
            let detail = raw
                .detail
                .as_deref()
                .map(|d| redactor.redact_str(d, &mut counts));
            let entry = raw.entry.map(|entry| {
                let name = redactor.redact_str(&entry.name, &mut counts);
                let data = if entry.binary {
                    entry.data
                } else {
                    redactor.redact_bytes(&entry.data, raw.format, &mut counts)
                };
                Entry {
                    name,
                    data,
                    binary: entry.binary,
                }
            });
            Redacted {
                id: raw.id,
                kind: raw.kind,
                source,
                status: raw.status,
                detail,
                entry,
                counts,
            }
        })
        .collect()
}

/// Text that is not an item's content but goes into a bundle or an issue (the spec, the
/// user's title and description, a re-redacted entry), after redaction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RedactedText(Vec<u8>);

impl RedactedText {
    /// Text this crate ships (a built-in spec): nothing of the user's is in it, so it is
    /// stored verbatim.
    pub fn published(text: &str) -> RedactedText {
        RedactedText(text.as_bytes().to_vec())
    }

    /// The bytes.
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }

    /// The text, with invalid UTF-8 replaced.
    pub fn to_str_lossy(&self) -> Cow<'_, str> {
        String::from_utf8_lossy(&self.0)
    }
}

impl Redactor {
    /// Redact `data`, read as `format`, into text fit for a bundle or an issue.
    pub fn redact_text(&self, data: &[u8], format: Format, counts: &mut Counts) -> RedactedText {
        RedactedText(self.redact_bytes(data, format, counts))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::item::RawEntry;

    fn redactor() -> (tempfile::TempDir, Redactor) {
        let dir = tempfile::tempdir().unwrap();
        let r = Redactor::new(&crate::redact::tests::opts(dir.path())).unwrap();
        (dir, r)
    }

    fn item(id: &str, name: &str, data: &str, format: Format) -> RawItem {
        RawItem {
            format,
            ..RawItem::collected(id, Kind::File, format!("/etc/{name}"), name, data.into())
        }
    }

    #[test]
    fn a_secret_learned_in_one_item_is_redacted_in_every_other_and_in_names() {
        let secret = "tenant-9f8e7d6c5b4a";
        let raws = vec![
            item(
                "dump",
                &format!("crash-{secret}.txt"),
                &format!("crash for {secret}\n"),
                Format::Text,
            ),
            item(
                "cfg",
                "config.toml",
                &format!("[siem]\ntoken = \"{secret}\"\n"),
                Format::Toml,
            ),
        ];
        let (_dir, mut r) = redactor();
        let items = redact_items(raws, &mut r, &Vocabulary::default());
        assert_eq!(items.len(), 2);
        assert_eq!(items[0].id(), "dump", "order is kept");
        for i in &items {
            let text = String::from_utf8_lossy(i.data().unwrap()).into_owned();
            assert!(!text.contains(secret), "{text}");
            assert!(!i.name().unwrap().contains(secret), "{:?}", i.name());
            assert!(i.counts().total() > 0);
        }
    }

    #[test]
    fn a_learned_value_that_is_a_spec_word_or_a_word_stays_where_it_is() {
        let raws = vec![
            item(
                "cfg",
                "config.toml",
                "[siem]\ntoken = \"kestrel-agent\"\npassword = \"changeme\"\n\
                 api_key = \"k7-Qx93mZt2\"\n",
                Format::Toml,
            ),
            item(
                "log",
                "kestrel.log",
                "kestrel-agent started; changeme is the default; key k7-Qx93mZt2\n",
                Format::Text,
            ),
        ];
        let mut vocab = Vocabulary::default();
        vocab.add("kestrel");
        vocab.add("agent");
        let (_dir, mut r) = redactor();
        let items = redact_items(raws, &mut r, &vocab);
        let cfg = String::from_utf8_lossy(items[0].data().unwrap()).into_owned();
        assert_eq!(
            cfg,
            "[siem]\ntoken = \"[REDACTED:token:1]\"\npassword = \"[REDACTED:password:1]\"\n\
             api_key = \"[REDACTED:token:2]\"\n"
        );
        let log = String::from_utf8_lossy(items[1].data().unwrap()).into_owned();
        assert_eq!(
            log,
            "kestrel-agent started; changeme is the default; key [REDACTED:token:2]\n"
        );
        assert_eq!(
            r.learned(),
            crate::redact::Learned {
                propagated: 1,
                not_propagated: 2
            }
        );
    }

    #[test]
    fn binary_content_is_kept_as_is_and_empty_items_have_no_entry() {
        let raws = vec![
            RawItem {
                entry: Some(RawEntry {
                    source: "x".into(),
                    name: "blob.wasm".into(),
                    data: b"\0asm token=hunter2hunter2".to_vec(),
                    binary: true,
                }),
                ..RawItem::empty("wasm", Kind::File, "x", Status::Ok, "d")
            },
            RawItem::empty("gone", Kind::File, "/nope", Status::Missing, "no such file"),
        ];
        let (_dir, mut r) = redactor();
        let items = redact_items(raws, &mut r, &Vocabulary::default());
        assert!(items[0].binary());
        assert_eq!(items[0].data().unwrap(), b"\0asm token=hunter2hunter2");
        assert_eq!(items[1].data(), None);
        assert_eq!(items[1].name(), None);
        assert_eq!(items[1].detail(), Some("no such file"));
    }
}
