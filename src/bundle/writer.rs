//! The deterministic zip writer.
//!
//! Same entries, same bytes: entries sorted by path; every entry with the same timestamp,
//! mode 0644, Unix host system, Deflate level 6 through one pinned backend (zlib-rs; backends
//! differ in output); no extra fields; a seekable writer, because the streaming one adds data
//! descriptors. Options start from `SimpleFileOptions::DEFAULT`, not `default()`, which stamps
//! the current time. The zip is written to a temp file in the output directory, fsync'd and
//! renamed, so no half bundle ever sits at the final path.

use std::collections::BTreeMap;
use std::io::Write;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use zip::CompressionMethod;
use zip::write::{SimpleFileOptions, ZipWriter};

use super::manifest::{FileRecord, Manifest};
use super::sha256_hex;
use super::timestamp::Timestamp;

/// An error writing a bundle.
#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    /// The output directory could not be written.
    #[error("cannot write bundle in `{dir}`: {source}")]
    Io {
        /// The output directory.
        dir: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// The zip library refused an entry.
    #[error("cannot write zip entry `{path}`: {source}")]
    Zip {
        /// The entry's path.
        path: String,
        /// The cause.
        source: zip::result::ZipError,
    },
}

/// A written bundle.
#[derive(Debug, Clone)]
pub struct Written {
    /// Where it is.
    pub path: PathBuf,
    /// sha256 of `manifest.json`.
    pub id: String,
    /// The manifest as written.
    pub manifest: Manifest,
}

/// Fill in `manifest.files` from `entries`, then write the zip as
/// `<out_dir>/<project>-bundle-<id12>.zip` atomically.
pub fn write_bundle(
    out_dir: &Path,
    mut manifest: Manifest,
    entries: BTreeMap<String, Vec<u8>>,
    created: Timestamp,
) -> Result<Written, WriteError> {
    manifest.files = entries
        .iter()
        .map(|(path, data)| {
            let record = FileRecord {
                size: data.len() as u64,
                sha256: sha256_hex(data),
            };
            (path.clone(), record)
        })
        .collect();
    let manifest_json = manifest.to_canonical_json();
    let id = sha256_hex(&manifest_json);
    let io_err = |source| WriteError::Io {
        dir: out_dir.to_path_buf(),
        source,
    };
    let final_path = out_dir.join(format!(
        "{}-bundle-{}.zip",
        manifest.project.name,
        &id[..12]
    ));
    let temp = tempfile::Builder::new()
        .prefix(".support-bundle-")
        .suffix(".zip.tmp")
        .tempfile_in(out_dir)
        .map_err(io_err)?;
    let mut zip = ZipWriter::new(temp);
    let options = SimpleFileOptions::DEFAULT
        .compression_method(CompressionMethod::Deflated)
        .compression_level(Some(6))
        .last_modified_time(created.zip_time())
        .unix_permissions(0o644)
        .system(zip::System::Unix)
        .large_file(false);
    let mut all: Vec<(&str, &[u8])> = entries
        .iter()
        .map(|(p, d)| (p.as_str(), d.as_slice()))
        .collect();
    all.push(("manifest.json", &manifest_json));
    all.sort_by(|a, b| a.0.cmp(b.0));
    for (path, data) in all {
        let zip_err = |source| WriteError::Zip {
            path: path.to_string(),
            source,
        };
        zip.start_file(path, options).map_err(zip_err)?;
        zip.write_all(data).map_err(io_err)?;
    }
    let temp = zip.finish().map_err(|source| WriteError::Zip {
        path: "(central directory)".into(),
        source,
    })?;
    // Temp files start 0600; the bundle holds only redacted data and is meant to be shared.
    temp.as_file()
        .set_permissions(std::fs::Permissions::from_mode(0o644))
        .map_err(io_err)?;
    temp.as_file().sync_all().map_err(io_err)?;
    temp.persist(&final_path).map_err(|e| io_err(e.error))?;
    if let Ok(dir) = std::fs::File::open(out_dir) {
        // Make the rename itself durable; not fatal where directories cannot be synced.
        let _ = dir.sync_all();
    }
    Ok(Written {
        path: final_path,
        id,
        manifest,
    })
}
