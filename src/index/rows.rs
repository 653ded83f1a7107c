//! One bundle as table rows: read through the hostile-input-safe reader, verified, and
//! flattened, or the reason it is refused.

use std::io::Read as _;
use std::path::Path;

use serde::Serialize;

use crate::bundle::verify::{self, Problem};
use crate::bundle::{Bundle, FORMAT, Manifest};
use crate::sanitize::json_text;

/// The verdict of a bundle `verify` finds intact.
pub const INTACT: &str = "intact";
/// The verdict of a bundle whose content differs from its manifest.
pub const TAMPERED: &str = "tampered";

/// One row of one table; serialized as a JSON object whose `table` names the table and whose
/// other keys are the columns.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "table")]
pub enum Row {
    /// A row of `bundles`.
    #[serde(rename = "bundles")]
    Bundle(BundleRow),
    /// A row of `facts`.
    #[serde(rename = "facts")]
    Fact(FactRow),
    /// A row of `items`.
    #[serde(rename = "items")]
    Item(ItemRow),
    /// A row of `checks`.
    #[serde(rename = "checks")]
    Check(CheckRow),
    /// A row of `rejected`.
    #[serde(rename = "rejected")]
    Rejected(RejectedRow),
}

impl Row {
    /// The row as one line of JSON (no newline), control characters escaped.
    pub fn to_json_line(&self) -> String {
        let text = serde_json::to_string(self).unwrap_or_default();
        json_text(&text).into_owned()
    }
}

/// A bundle: what its manifest says it is, and whether `verify` found it intact.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BundleRow {
    /// The bundle id (sha256 of `manifest.json`).
    pub id: String,
    /// The project's short name.
    pub project: String,
    /// The version of the tool that wrote it.
    pub tool_version: String,
    /// Its creation time, as recorded.
    pub created: String,
    /// Which spec ran (`built-in:<name>` or a file's base name).
    pub spec: String,
    /// sha256 of the spec that ran.
    pub spec_sha256: String,
    /// Collected with `--security`.
    pub private: bool,
    /// `intact` or `tampered`.
    pub verdict: String,
    /// How many differences `verify` found.
    pub problems: u64,
    /// Where it was indexed from.
    pub path: String,
}

/// A fact and the item it came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FactRow {
    /// The bundle.
    pub bundle_id: String,
    /// The fact's name.
    pub name: String,
    /// Its value.
    pub value: String,
    /// The id of the item it was extracted from.
    pub item: String,
}

/// One item record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ItemRow {
    /// The bundle.
    pub bundle_id: String,
    /// Position in the manifest: a glob item has one record per match.
    pub seq: u64,
    /// The spec item's id.
    pub id: String,
    /// Collector kind.
    pub kind: String,
    /// How collecting ended (`ok`, `missing`, …).
    pub status: String,
    /// Stored size in bytes.
    pub size: u64,
    /// Values redaction replaced in it.
    pub redactions: u64,
    /// Its entry in the zip, when something was stored.
    pub path: Option<String>,
}

/// One check's recorded outcome.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CheckRow {
    /// The bundle.
    pub bundle_id: String,
    /// Position in the manifest.
    pub seq: u64,
    /// The check's id.
    pub id: String,
    /// `pass`, `warn`, `fail` or `unknown`.
    pub outcome: String,
    /// The check's message, with its evidence or reason.
    pub message: String,
}

/// A file that was refused.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RejectedRow {
    /// The path given.
    pub path: String,
    /// sha256 of the file, when it could be read.
    pub sha256: Option<String>,
    /// Why it was refused.
    pub reason: String,
    /// When (RFC 3339, UTC).
    pub rejected_at: String,
}

/// A bundle's rows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BundleRows {
    /// Its `bundles` row.
    pub bundle: BundleRow,
    /// Its facts.
    pub facts: Vec<FactRow>,
    /// Its items.
    pub items: Vec<ItemRow>,
    /// Its checks.
    pub checks: Vec<CheckRow>,
}

impl BundleRows {
    /// Every row, the `bundles` row first.
    pub fn rows(&self) -> impl Iterator<Item = Row> + '_ {
        std::iter::once(Row::Bundle(self.bundle.clone()))
            .chain(self.facts.iter().cloned().map(Row::Fact))
            .chain(self.items.iter().cloned().map(Row::Item))
            .chain(self.checks.iter().cloned().map(Row::Check))
    }
}

/// Read the bundle at `path` (shown as `shown`) into rows, or say why it is refused.
pub(super) fn read(path: &Path, shown: &str) -> Result<BundleRows, String> {
    // Opening a FIFO would wait for a writer; a directory or device is no bundle either.
    match std::fs::metadata(path) {
        Ok(meta) if !meta.is_file() => return Err("not a regular file".into()),
        Ok(_) => {}
        Err(e) => return Err(format!("cannot read it: {e}")),
    }
    let mut bundle = Bundle::open(path).map_err(|e| e.to_string())?;
    let verification = verify::verify(&mut bundle).map_err(|e| e.to_string())?;
    // Without a readable manifest (the id is its hash) there is nothing to index.
    if verification.id.is_empty() {
        return Err(verification
            .problems
            .first()
            .map_or_else(|| "no readable manifest.json".into(), Problem::to_string));
    }
    let (manifest, _) = bundle.manifest().map_err(|e| e.to_string())?;
    if manifest.format != FORMAT {
        return Err(format!(
            "manifest format `{}` is not `{FORMAT}`",
            manifest.format
        ));
    }
    let verdict = if verification.intact() {
        INTACT
    } else {
        TAMPERED
    };
    Ok(flatten(
        verification.id,
        manifest,
        verdict,
        verification.problems.len() as u64,
        shown,
    ))
}

/// The rows of a manifest.
fn flatten(id: String, m: Manifest, verdict: &str, problems: u64, shown: &str) -> BundleRows {
    let facts = m
        .facts
        .into_iter()
        .map(|(name, f)| FactRow {
            bundle_id: id.clone(),
            name,
            value: f.value,
            item: f.item,
        })
        .collect();
    let items = m
        .items
        .into_iter()
        .zip(0u64..)
        .map(|(r, seq)| ItemRow {
            bundle_id: id.clone(),
            seq,
            id: r.id,
            kind: r.kind.as_str().into(),
            status: r.status.as_str().into(),
            size: r.size,
            redactions: r.redactions,
            path: r.path,
        })
        .collect();
    let checks = m
        .checks
        .into_iter()
        .zip(0u64..)
        .map(|(c, seq)| CheckRow {
            bundle_id: id.clone(),
            seq,
            message: c.explained(),
            id: c.id,
            outcome: c.outcome.as_str().into(),
        })
        .collect();
    BundleRows {
        bundle: BundleRow {
            id,
            project: m.project.name,
            tool_version: m.tool.version,
            created: m.created,
            spec: m.spec.origin,
            spec_sha256: m.spec.sha256,
            private: m.private,
            verdict: verdict.into(),
            problems,
            path: shown.into(),
        },
        facts,
        items,
        checks,
    }
}

/// sha256 of the file at `path`, streamed; `None` when it is not a regular file or cannot be
/// read (a FIFO is never opened).
pub(super) fn file_sha256(path: &Path) -> Option<String> {
    use sha2::Digest as _;
    if !std::fs::metadata(path).ok()?.is_file() {
        return None;
    }
    let mut file = std::fs::File::open(path).ok()?;
    let mut hasher = sha2::Sha256::new();
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        match file.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => hasher.update(&buf[..n]),
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(_) => return None,
        }
    }
    let digest: [u8; 32] = hasher.finalize().into();
    Some(hex::encode(digest))
}
