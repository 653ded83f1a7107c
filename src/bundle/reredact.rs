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

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use super::layout;
use super::manifest::Tool;
use super::reader::{Bundle, ReadError};
use super::replay::stored_spec;
use super::timestamp::Timestamp;
use super::verify::{Problem, verify};
use super::{WriteError, Written, sha256_hex, write_bundle_to};
use crate::item::Format;
use crate::redact::{Counts, Redactor, Report};

/// The report key for counts outside items.
const OTHER_KEY: &str = "(issue.md, spec.toml, facts: re-redaction)";

/// Why a bundle could not be re-redacted.
#[derive(Debug, thiserror::Error)]
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
    let mut data: BTreeMap<String, Vec<u8>> = BTreeMap::new();
    for name in manifest.files.keys() {
        data.insert(name.clone(), bundle.read_entry(name, u64::MAX)?);
    }
    for item in manifest.items.iter().filter(|i| !i.binary) {
        if let Some(content) = item.path.as_ref().and_then(|p| data.get(p)) {
            redactor.learn(content, format_of(&item.id));
        }
    }

    let old_report = data.remove("redaction-report.json");
    let mut report = old_report
        .as_deref()
        .and_then(Report::parse)
        .unwrap_or_default();
    let mut entries: BTreeMap<String, Vec<u8>> = BTreeMap::new();
    let mut taken: BTreeSet<String> = BTreeSet::new();
    for item in &mut manifest.items {
        let mut counts = Counts::default();
        item.source = redactor.redact_str(&item.source, &mut counts);
        item.detail = item
            .detail
            .as_deref()
            .map(|d| redactor.redact_str(d, &mut counts));
        let old_key = item.path.clone().unwrap_or_else(|| item.id.clone());
        if let Some(path) = item.path.clone() {
            let content = data.remove(&path).unwrap_or_default();
            let prefix = format!("files/{}/", item.id);
            let new_path = match path.strip_prefix(&prefix) {
                Some(name) => {
                    let name = redactor.redact_str(name, &mut counts);
                    layout::entry_path(item.kind.as_str(), &item.id, &name)
                }
                None => path.clone(),
            };
            let new_path = layout::unique(new_path, &taken);
            taken.insert(new_path.clone());
            let content = if item.binary {
                content
            } else {
                redactor.redact_bytes(&content, format_of(&item.id), &mut counts)
            };
            item.size = content.len() as u64;
            item.sha256 = Some(sha256_hex(&content));
            item.path = Some(new_path.clone());
            entries.insert(new_path, content);
        }
        item.redactions += counts.total();
        let new_key = item.path.clone().unwrap_or_else(|| item.id.clone());
        report.rename(&old_key, &new_key);
        report.add(&new_key, &counts);
    }

    let mut other = Counts::default();
    for (name, content) in std::mem::take(&mut data) {
        let format = if name == "spec.toml" {
            Format::Toml
        } else {
            Format::Text
        };
        let content = redactor.redact_bytes(&content, format, &mut other);
        let name = match name.as_str() {
            "issue.md" | "spec.toml" => name,
            // Replacements hold no `/`, so the redacted path keeps its layout.
            _ => layout::unique(redactor.redact_str(&name, &mut other), &taken),
        };
        if name == "spec.toml" {
            manifest.spec.sha256 = sha256_hex(&content);
        }
        taken.insert(name.clone());
        entries.insert(name, content);
    }
    for fact in manifest.facts.values_mut() {
        fact.value = redactor.redact_str(&fact.value, &mut other);
    }
    manifest.spec.origin = redactor.redact_str(&manifest.spec.origin, &mut other);
    if let Some(spec) = &spec {
        manifest.checks = crate::run::checks::evaluate(spec, &manifest.facts);
    }
    report.add(OTHER_KEY, &other);
    entries.insert(
        "redaction-report.json".into(),
        report.to_json().into_bytes(),
    );
    manifest.tool = Tool::this();

    let created = humantime::parse_rfc3339(&manifest.created)
        .ok()
        .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
        .map(|d| d.as_secs().to_string());
    let created =
        Timestamp::from_source_date_epoch(created.as_deref()).unwrap_or_else(|_| Timestamp::now());
    manifest.created = created.rfc3339();
    Ok(write_bundle_to(out, manifest, entries, created)?)
}
