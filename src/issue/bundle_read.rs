//! Re-rendering the issue from an existing bundle (`support-bundle issue BUNDLE`).
//!
//! The zip is read with a small private reader: `manifest.json`, `spec.toml`, `issue.json`
//! (the redacted title and description) and the text entries the manifest's items name, each
//! capped in size, everything else ignored. Entries were redacted before the bundle was
//! written, so the renderer may read them.

use std::collections::BTreeMap;
use std::io::Read;
use std::path::Path;

use super::{Contents, Filing, FilingOptions, Input, file, render};
use crate::bundle::Manifest;
use crate::spec::{self, Spec};

/// The entry holding the redacted title and description the body was rendered with.
pub const REQUEST_ENTRY: &str = "issue.json";

/// Largest entry read, decompressed.
const MAX_ENTRY_BYTES: u64 = 16 * 1024 * 1024;
/// Most bytes read from one bundle, decompressed, all entries together.
const MAX_TOTAL_BYTES: u64 = 128 * 1024 * 1024;

/// Why a bundle could not be re-rendered.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    /// Not readable or not a zip.
    #[error("cannot read bundle `{path}`: {message}")]
    Open {
        /// The bundle's path.
        path: String,
        /// What went wrong.
        message: String,
    },
    /// A needed entry is missing, too large or malformed.
    #[error("bundle `{path}`: {message}")]
    Entry {
        /// The bundle's path.
        path: String,
        /// What went wrong.
        message: String,
    },
    /// The stored spec no longer validates.
    #[error("bundle `{path}`: its spec.toml does not load: {source}")]
    Spec {
        /// The bundle's path.
        path: String,
        /// The spec errors.
        source: Box<spec::SpecError>,
    },
}

/// What the renderer needs from a bundle.
#[derive(Debug)]
pub struct StoredBundle {
    /// The manifest.
    pub manifest: Manifest,
    /// The spec that ran.
    pub spec: Spec,
    /// The title stored with the bundle (redacted).
    pub title: Option<String>,
    /// The description stored with the bundle (redacted).
    pub description: Option<String>,
    entries: BTreeMap<String, Vec<u8>>,
}

/// The body and filing re-rendered from a bundle.
#[derive(Debug, Clone)]
pub struct Rerendered {
    /// The full body.
    pub body: String,
    /// URL, `gh` line or security contact.
    pub filing: Filing,
}

impl StoredBundle {
    /// Read `path`.
    pub fn read(path: &Path) -> Result<StoredBundle, ReadError> {
        let shown = path.display().to_string();
        let open = |message: String| ReadError::Open {
            path: shown.clone(),
            message,
        };
        let entry_err = |message: String| ReadError::Entry {
            path: shown.clone(),
            message,
        };
        let f = std::fs::File::open(path).map_err(|e| open(e.to_string()))?;
        let mut zip = zip::ZipArchive::new(f).map_err(|e| open(e.to_string()))?;
        let mut budget = MAX_TOTAL_BYTES;
        let mut read = |zip: &mut zip::ZipArchive<std::fs::File>,
                        name: &str|
         -> Result<Option<Vec<u8>>, ReadError> {
            let entry = match zip.by_name(name) {
                Ok(e) => e,
                Err(zip::result::ZipError::FileNotFound) => return Ok(None),
                Err(e) => return Err(entry_err(format!("`{name}`: {e}"))),
            };
            let cap = MAX_ENTRY_BYTES.min(budget);
            let mut data = Vec::new();
            entry
                .take(cap + 1)
                .read_to_end(&mut data)
                .map_err(|e| entry_err(format!("`{name}`: {e}")))?;
            if data.len() as u64 > cap {
                return Err(entry_err(format!("`{name}` is larger than {cap} bytes")));
            }
            budget -= data.len() as u64;
            Ok(Some(data))
        };
        let manifest = read(&mut zip, "manifest.json")?
            .ok_or_else(|| entry_err("no manifest.json; not a support bundle".into()))?;
        let manifest: Manifest = serde_json::from_slice(&manifest)
            .map_err(|e| entry_err(format!("manifest.json: {e}")))?;
        let spec_text =
            read(&mut zip, "spec.toml")?.ok_or_else(|| entry_err("no spec.toml".into()))?;
        let spec_text =
            String::from_utf8(spec_text).map_err(|_| entry_err("spec.toml is not UTF-8".into()))?;
        let spec = spec::parse(&manifest.spec.origin, &spec_text).map_err(|e| ReadError::Spec {
            path: shown.clone(),
            source: Box::new(e),
        })?;
        let (mut title, mut description) = (None, None);
        if let Some(req) = read(&mut zip, REQUEST_ENTRY)? {
            let value: serde_json::Value = serde_json::from_slice(&req)
                .map_err(|e| entry_err(format!("{REQUEST_ENTRY}: {e}")))?;
            title = value["title"].as_str().map(String::from);
            description = value["description"].as_str().map(String::from);
        }
        let mut entries = BTreeMap::new();
        for rec in manifest.items.iter().filter(|r| !r.binary) {
            if let Some(p) = &rec.path
                && let Some(data) = read(&mut zip, p)?
            {
                entries.insert(p.clone(), data);
            }
        }
        Ok(StoredBundle {
            manifest,
            spec,
            title,
            description,
            entries,
        })
    }
}

/// Render body and filing from a bundle; `title` and `description` (already redacted)
/// replace the stored ones when given.
pub fn rerender(
    bundle: &StoredBundle,
    title: Option<&str>,
    description: Option<&str>,
    opts: &FilingOptions<'_>,
) -> Rerendered {
    let contents = Contents::from_bundle_entries(&bundle.entries);
    let input = Input {
        spec: &bundle.spec,
        manifest: &bundle.manifest,
        contents: &contents,
        title: title.or(bundle.title.as_deref()),
        description: description.or(bundle.description.as_deref()),
    };
    Rerendered {
        body: render(&input),
        filing: file(&input, opts),
    }
}
