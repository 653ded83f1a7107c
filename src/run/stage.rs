//! The redaction stage: the only road from collected bytes to anything that is written.
//!
//! [`Redacted`] can only be built here, and the bundle writer and the issue renderer accept
//! nothing else, so a raw byte cannot reach either by construction. Every string an item
//! carries into the manifest (source, detail, entry name) is redacted too, with the same
//! rules and the secrets learned from all items of the run.

use std::collections::BTreeSet;

use crate::bundle::{ItemRecord, layout, sha256_hex};
use crate::item::RawItem;
use crate::redact::{Counts, Redactor};

/// One item after redaction.
#[derive(Debug, Clone)]
pub struct Redacted {
    /// The item's manifest record.
    pub record: ItemRecord,
    /// Redacted content (binary content as-is), if any was stored.
    data: Option<Vec<u8>>,
    /// Replacement counts per rule, for the report.
    pub counts: Counts,
}

impl Redacted {
    /// The stored content.
    pub fn data(&self) -> Option<&[u8]> {
        self.data.as_deref()
    }
}

/// Learn secrets from every item, then redact every item.
pub fn redact_items(raws: Vec<RawItem>, redactor: &mut Redactor) -> Vec<Redacted> {
    for raw in &raws {
        if let Some(entry) = raw.entry.as_ref().filter(|e| !e.binary) {
            redactor.learn(&entry.data, raw.format);
        }
    }
    let mut taken = BTreeSet::new();
    raws.into_iter()
        .map(|raw| {
            let mut counts = Counts::default();
            let source = redactor.redact_str(&raw.source, &mut counts);
            let detail = raw
                .detail
                .as_deref()
                .map(|d| redactor.redact_str(d, &mut counts));
            let (path, data) = match raw.entry {
                Some(entry) => {
                    let name = redactor.redact_str(&entry.name, &mut counts);
                    let path = layout::unique(
                        layout::entry_path(raw.kind.as_str(), &raw.id, &name),
                        &taken,
                    );
                    taken.insert(path.clone());
                    let data = if entry.binary {
                        entry.data
                    } else {
                        redactor.redact_bytes(&entry.data, raw.format, &mut counts)
                    };
                    (Some(path), Some((data, entry.binary)))
                }
                None => (None, None),
            };
            let record = ItemRecord {
                id: raw.id,
                kind: raw.kind,
                source,
                path,
                status: raw.status,
                detail,
                size: data.as_ref().map_or(0, |(d, _)| d.len() as u64),
                sha256: data.as_ref().map(|(d, _)| sha256_hex(d)),
                redactions: counts.total(),
                binary: data.as_ref().is_some_and(|(_, b)| *b),
            };
            Redacted {
                record,
                data: data.map(|(d, _)| d),
                counts,
            }
        })
        .collect()
}
