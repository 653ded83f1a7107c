//! Re-redacting an existing bundle with extra rules (`redact BUNDLE --rules FILE --out NEW.zip`).
//!
//! The bundle is verified first (re-redacting altered content would bless it with a fresh,
//! valid manifest). Then, as in `collect`: secrets are learned from every text item, and every
//! text item, entry name, source, detail, fact value, `issue.md` and `spec.toml` is redacted
//! again, each item in the format its stored spec item names (text when unknown). Binary items
//! are copied untouched. Counts are added to the items' `redactions` and merged into
//! `redaction-report.json`, checks are evaluated again on the redacted facts, and the result is
//! written by the same deterministic writer with the original creation time, so the same input
//! and rules give the same bytes.

use std::collections::BTreeSet;
use std::path::Path;

use super::layout::{self, Paths, Placed};
use super::manifest::{ItemRecord, Tool};
use super::reader::{Bundle, ReadError};
use super::recheck::stored_spec;
use super::timestamp::Timestamp;
use super::verify::{Problem, verify};
use super::writer::Extra;
use super::{WriteError, Written, sha256_hex, write_bundle_to};
use crate::item::{Format, RawEntry, RawItem};
use crate::redact::{Counts, Redacted, Redactor, Report, Vocabulary, redact_items};

/// The report key for counts outside items.
const OTHER_KEY: &str = "(issue.md, spec.toml, facts: re-redaction)";

/// Why a bundle could not be re-redacted.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ReredactError {
    /// The bundle could not be read.
    #[error(transparent)]
    Read(#[from] ReadError),
    /// The bundle does not match its manifest.
    #[error("the bundle does not match its manifest ({}); run `support-bundle verify` on it", .0.first().map(ToString::to_string).unwrap_or_default())]
    Tampered(Vec<Problem>),
    /// The new bundle could not be written.
    #[error(transparent)]
    Write(#[from] WriteError),
}

/// Re-redact `bundle` with `redactor` and write the result to `out`.
pub fn reredact(
    bundle: &mut Bundle,
    redactor: &mut Redactor,
    out: &Path,
) -> Result<Written, ReredactError> {
    let check = verify(bundle)?;
    if !check.intact() {
        return Err(ReredactError::Tampered(check.problems));
    }
    let (mut manifest, _) = bundle.manifest()?;
    let spec = stored_spec(bundle).ok();
    let format_of = |id: &str| {
        spec.as_ref()
            .and_then(|s| s.item(id))
            .map_or(Format::Text, |i| i.format)
    };
    let vocab = spec.as_ref().map(Vocabulary::of_spec).unwrap_or_default();
    // The items go through the very pass `collect` runs: learn from all, then redact. Entries
    // are read one at a time and dropped once redacted, so the input is never held whole
    // beside the output.
    for item in manifest.items.iter().filter(|i| !i.binary) {
        if let Some(path) = &item.path {
            let content = bundle.read_entry(path, u64::MAX)?;
            redactor.learn(&content, format_of(&item.id), &vocab);
        }
    }
    let old_report = if manifest.files.contains_key(layout::REDACTION_REPORT) {
        Report::parse(&bundle.read_entry(layout::REDACTION_REPORT, u64::MAX)?)
    } else {
        None
    };
    let mut report = old_report.unwrap_or_default();
    let item_paths: BTreeSet<String> = manifest
        .items
        .iter()
        .filter_map(|i| i.path.clone())
        .collect();
    let mut paths = Paths::default();
    let mut placed = Vec::with_capacity(manifest.items.len());
    for old in std::mem::take(&mut manifest.items) {
        let raw = as_raw(&old, bundle, format_of(&old.id))?;
        // Learning again from the one item adds nothing: every item was learned above.
        let item = redact_items(vec![raw], redactor, &vocab).pop();
        if let Some(item) = item {
            placed.push(replace(old, item, &mut paths, &mut report));
        }
    }
    manifest.items = placed.iter().map(|p| p.record.clone()).collect();

    let old_paths: Vec<String> = manifest.files.keys().cloned().collect();
    let mut other = Counts::default();
    let mut extras = Vec::new();
    for name in old_paths {
        if name == layout::REDACTION_REPORT || item_paths.contains(&name) {
            continue;
        }
        let content = bundle.read_entry(&name, u64::MAX)?;
        let extra = reredact_entry(name, &content, redactor, &mut paths, &mut other);
        if extra.path() == layout::SPEC {
            manifest.spec.sha256 = sha256_hex(extra.data());
        }
        extras.push(extra);
    }
    for fact in manifest.facts.values_mut() {
        fact.value = redactor.redact_str(&fact.value, &mut other);
        // The evidence line is content too.
        fact.line = fact
            .line
            .take()
            .map(|l| redactor.redact_str(&l, &mut other));
    }
    manifest.spec.origin = redactor.redact_str(&manifest.spec.origin, &mut other);
    if let Some(spec) = &spec {
        manifest.checks = crate::checks::evaluate(spec, &manifest.facts, &manifest.items);
    } else {
        for check in &mut manifest.checks {
            check.evidence = check
                .evidence
                .take()
                .map(|l| redactor.redact_str(&l, &mut other));
            check.reason = check
                .reason
                .take()
                .map(|r| redactor.redact_str(&r, &mut other));
        }
    }
    report.add(OTHER_KEY, &other);
    let learned = redactor.learned();
    report.learned.propagated += learned.propagated;
    report.learned.not_propagated += learned.not_propagated;
    extras.push(Extra::report(&report));
    manifest.tool = Tool::this();

    let created = humantime::parse_rfc3339(&manifest.created)
        .ok()
        .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
        .map(|d| d.as_secs().to_string());
    let created =
        Timestamp::from_source_date_epoch(created.as_deref()).unwrap_or_else(|_| Timestamp::now());
    manifest.created = created.rfc3339();
    Ok(write_bundle_to(out, manifest, &placed, &extras, created)?)
}

/// The record `old` with the redacted `item` in its place: a file's entry at the path its
/// redacted name gives, any other kind's entry where it was; counts added to the item and to
/// the report, which follows a renamed entry.
fn replace(old: ItemRecord, item: Redacted, paths: &mut Paths, report: &mut Report) -> Placed {
    let old_key = old.path.clone().unwrap_or_else(|| old.id.clone());
    // Only a file's name is its own; every other kind's path is fixed by kind and id.
    let path = old.path.as_ref().map(|path| match stored_name(&old, path) {
        Some(_) => paths.item(old.kind, &old.id, item.name().unwrap_or_default()),
        None => paths.claim(path.clone()),
    });
    let new = Placed::new(item, path);
    let stored = old.path.is_some();
    let record = ItemRecord {
        source: new.record.source.clone(),
        detail: new.record.detail.clone(),
        path: new.record.path.clone(),
        size: if stored { new.record.size } else { old.size },
        sha256: if stored {
            new.record.sha256.clone()
        } else {
            old.sha256.clone()
        },
        redactions: old.redactions + new.item.counts().total(),
        ..old
    };
    let new_key = record.path.clone().unwrap_or_else(|| record.id.clone());
    report.rename(&old_key, &new_key);
    report.add(&new_key, new.item.counts());
    Placed {
        record,
        item: new.item,
    }
}

/// An entry that is not an item's content (`issue.md`, `spec.toml`, `issue.json`, anything
/// else), redacted again; its name too, except for the two fixed ones.
fn reredact_entry(
    name: String,
    content: &[u8],
    redactor: &Redactor,
    paths: &mut Paths,
    counts: &mut Counts,
) -> Extra {
    let format = if name == layout::SPEC {
        Format::Toml
    } else {
        Format::Text
    };
    let content = redactor.redact_text(content, format, counts);
    let name = match name.as_str() {
        layout::ISSUE_BODY | layout::SPEC => {
            paths.take(&name);
            name
        }
        // Replacements hold no `/`, so the redacted path keeps its layout.
        _ => paths.claim(redactor.redact_str(&name, counts)),
    };
    Extra::reredacted(name, content)
}

/// The file name part of a stored `files/<id>/<name>` path.
fn stored_name<'a>(item: &ItemRecord, path: &'a str) -> Option<&'a str> {
    path.strip_prefix("files/")?
        .strip_prefix(item.id.as_str())?
        .strip_prefix('/')
}

/// A stored item as input to the redaction pass, its content read from `bundle`. Only a
/// file's stored name is passed on to be redacted; other kinds keep their path.
fn as_raw(item: &ItemRecord, bundle: &mut Bundle, format: Format) -> Result<RawItem, ReadError> {
    let entry = match &item.path {
        Some(path) => Some(RawEntry {
            source: item.source.clone(),
            name: stored_name(item, path).unwrap_or_default().to_string(),
            data: bundle.read_entry(path, u64::MAX)?,
            binary: item.binary,
        }),
        None => None,
    };
    Ok(RawItem {
        id: item.id.clone(),
        // The record keeps its own kind; this one is only carried through the pass.
        kind: item.kind,
        source: item.source.clone(),
        status: item.status,
        detail: item.detail.clone(),
        entry,
        format,
    })
}
