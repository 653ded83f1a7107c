//! Re-rendering the issue from an existing bundle (`support-bundle issue BUNDLE`).
//!
//! The bundle is opened with the hostile-input-safe [`Bundle`] reader every maintainer command
//! uses, so a bundle `verify` or `extract` would refuse is refused here too. From it come
//! `manifest.json`, the stored spec ([`recheck::stored_spec`]), [`REQUEST_ENTRY`] (the redacted
//! title and description) and the text entries the manifest's items name, each capped at
//! 16 MiB and all of them together at 128 MiB; everything else is ignored. Entries were redacted
//! before the bundle was written, so the renderer may read them.

use std::collections::BTreeMap;
use std::path::Path;

use super::{Contents, Filing, FilingOptions, Input, file, render};
use crate::bundle::recheck::{self, SpecReadError};
use crate::bundle::{self, Bundle, Manifest};
use crate::spec::Spec;

/// The entry holding the redacted title and description the body was rendered with.
pub const REQUEST_ENTRY: &str = crate::bundle::layout::ISSUE_REQUEST;

/// Largest entry read, decompressed.
const MAX_ENTRY_BYTES: u64 = 16 * 1024 * 1024;
/// Most bytes read from one bundle, decompressed, all entries together.
const MAX_TOTAL_BYTES: u64 = 128 * 1024 * 1024;

/// Why a bundle could not be re-rendered.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ReadError {
    /// The reader refused the bundle, or an entry could not be read.
    #[error("cannot read bundle `{path}`: {source}")]
    Read {
        /// The bundle's path.
        path: String,
        /// What the reader found.
        source: bundle::ReadError,
    },
    /// [`REQUEST_ENTRY`] is not the JSON object `collect` writes.
    #[error("bundle `{path}`: {REQUEST_ENTRY}: {message}")]
    Request {
        /// The bundle's path.
        path: String,
        /// The parse error.
        message: String,
    },
    /// The stored spec is not UTF-8 or no longer validates.
    #[error("bundle `{path}`: its spec.toml does not load: {source}")]
    Spec {
        /// The bundle's path.
        path: String,
        /// Why.
        source: SpecReadError,
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
    /// Open `path` with [`Bundle::open`] and read what the renderer needs.
    pub fn read(path: &Path) -> Result<StoredBundle, ReadError> {
        let bundle = Bundle::open(path).map_err(|source| ReadError::Read {
            path: path.display().to_string(),
            source,
        })?;
        StoredBundle::from_bundle(bundle)
    }

    /// Read what the renderer needs from a bundle already opened (a sealed one, decrypted).
    pub fn from_bundle(mut bundle: Bundle) -> Result<StoredBundle, ReadError> {
        let shown = bundle.path().display().to_string();
        let read_err = |source| ReadError::Read {
            path: shown.clone(),
            source,
        };
        let (manifest, _) = bundle.manifest().map_err(read_err)?;
        let mut spec = recheck::stored_spec(&mut bundle).map_err(|e| match e {
            SpecReadError::Read(source) => read_err(source),
            source => ReadError::Spec {
                path: shown.clone(),
                source,
            },
        })?;
        // A repository found at collect time (`repository_fact`) is in the manifest only.
        if spec.project.repository.is_none() {
            spec.project.repository = manifest.project.repository.clone();
        }
        let (mut title, mut description) = (None, None);
        if bundle.entry(REQUEST_ENTRY).is_some() {
            let req = bundle
                .read_entry(REQUEST_ENTRY, MAX_ENTRY_BYTES)
                .map_err(read_err)?;
            let value: serde_json::Value =
                serde_json::from_slice(&req).map_err(|e| ReadError::Request {
                    path: shown.clone(),
                    message: e.to_string(),
                })?;
            title = value["title"].as_str().map(String::from);
            description = value["description"].as_str().map(String::from);
        }
        let mut budget = MAX_TOTAL_BYTES;
        let mut entries = BTreeMap::new();
        for rec in manifest.items.iter().filter(|r| !r.binary) {
            let Some(p) = rec.path.as_deref().filter(|p| bundle.entry(p).is_some()) else {
                continue;
            };
            let data = bundle
                .read_entry(p, MAX_ENTRY_BYTES.min(budget))
                .map_err(read_err)?;
            budget -= data.len() as u64;
            entries.insert(p.to_string(), data);
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
