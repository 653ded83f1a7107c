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
    manifest: Manifest,
    entries: BTreeMap<String, Vec<u8>>,
    created: Timestamp,
) -> Result<Written, WriteError> {
    let (manifest, manifest_json, id) = finish_manifest(manifest, &entries);
    let final_path = out_dir.join(format!(
        "{}-bundle-{}.zip",
        manifest.project.name,
        &id[..12]
    ));
    write_zip(out_dir, &final_path, &entries, &manifest_json, created)?;
    Ok(Written {
        path: final_path,
        id,
        manifest,
    })
}

/// Like [`write_bundle`], but to exactly `path` (e.g. `redact BUNDLE --out NEW.zip`).
pub fn write_bundle_to(
    path: &Path,
    manifest: Manifest,
    entries: BTreeMap<String, Vec<u8>>,
    created: Timestamp,
) -> Result<Written, WriteError> {
    let (manifest, manifest_json, id) = finish_manifest(manifest, &entries);
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    write_zip(dir, path, &entries, &manifest_json, created)?;
    Ok(Written {
        path: path.to_path_buf(),
        id,
        manifest,
    })
}

/// `manifest` with `files` filled in from `entries`, its canonical bytes, and its id.
fn finish_manifest(
    mut manifest: Manifest,
    entries: &BTreeMap<String, Vec<u8>>,
) -> (Manifest, Vec<u8>, String) {
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
    (manifest, manifest_json, id)
}

/// Write the zip through a temp file in `dir`, then rename it to `final_path`.
fn write_zip(
    dir: &Path,
    final_path: &Path,
    entries: &BTreeMap<String, Vec<u8>>,
    manifest_json: &[u8],
    created: Timestamp,
) -> Result<(), WriteError> {
    let io_err = |source| WriteError::Io {
        dir: dir.to_path_buf(),
        source,
    };
    let temp = tempfile::Builder::new()
        .prefix(".support-bundle-")
        .suffix(".zip.tmp")
        .tempfile_in(dir)
        .map_err(io_err)?;
    let tracked = in_flight::Tracked::new(temp.path());
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
    all.push(("manifest.json", manifest_json));
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
    tracked
        .persist(temp, final_path)
        .map_err(|e| io_err(e.error))?;
    if let Ok(dir) = std::fs::File::open(dir) {
        // Make the rename itself durable; not fatal where directories cannot be synced.
        let _ = dir.sync_all();
    }
    Ok(())
}

/// Bundles in the middle of being written, for a signal handler: `process::exit` runs no
/// destructors, so an interrupted write would leave its temp file behind, and a handler
/// cannot otherwise tell whether the rename into place already happened.
pub mod in_flight {
    use std::path::{Path, PathBuf};
    use std::sync::{Mutex, MutexGuard};

    use tempfile::{NamedTempFile, PersistError};

    struct State {
        temp: Vec<PathBuf>,
        written: Vec<PathBuf>,
    }

    static STATE: Mutex<State> = Mutex::new(State {
        temp: Vec::new(),
        written: Vec::new(),
    });

    fn state() -> MutexGuard<'static, State> {
        STATE
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// A temp file registered while it is written; unregistered when dropped.
    pub(super) struct Tracked(PathBuf);

    impl Tracked {
        pub(super) fn new(temp: &Path) -> Tracked {
            state().temp.push(temp.to_path_buf());
            Tracked(temp.to_path_buf())
        }

        /// Rename `temp` to `path` under the lock [`abandon`] takes, so a handler sees
        /// either the temp file or the finished bundle, never neither.
        pub(super) fn persist(&self, temp: NamedTempFile, path: &Path) -> Result<(), PersistError> {
            let mut state = state();
            temp.persist(path)?;
            state.written.push(path.to_path_buf());
            state.temp.retain(|p| p != &self.0);
            Ok(())
        }
    }

    impl Drop for Tracked {
        fn drop(&mut self) {
            state().temp.retain(|p| p != &self.0);
        }
    }

    /// What [`abandon`] found.
    #[derive(Debug, Clone, Default, PartialEq, Eq)]
    pub struct Abandoned {
        /// Temp files of unfinished bundles, now removed.
        pub removed: Vec<PathBuf>,
        /// Bundles this process finished writing.
        pub written: Vec<PathBuf>,
    }

    /// Remove the temp files of bundles still being written and list the bundles already
    /// written. The registry stays locked afterwards, so no bundle is renamed into place
    /// later: call this only on the way out of the process (a signal handler).
    pub fn abandon() -> Abandoned {
        let state = state();
        let removed = state
            .temp
            .iter()
            .filter(|p| std::fs::remove_file(p).is_ok())
            .cloned()
            .collect();
        let found = Abandoned {
            removed,
            written: state.written.clone(),
        };
        std::mem::forget(state);
        found
    }
}

#[cfg(test)]
mod tests {
    use std::io::Read;

    use super::*;
    use crate::bundle::manifest::{ProjectRecord, SpecRecord, Tool};

    fn manifest() -> Manifest {
        Manifest {
            format: crate::bundle::FORMAT.into(),
            tool: Tool {
                name: "support-bundle".into(),
                version: "0.0.0-test".into(),
            },
            project: ProjectRecord {
                name: "demo".into(),
                display: "Demo".into(),
                repository: None,
            },
            spec: SpecRecord {
                origin: "built-in:demo".into(),
                sha256: "0".repeat(64),
            },
            created: "2026-11-22T23:39:24Z".into(),
            private: false,
            facts: BTreeMap::new(),
            items: Vec::new(),
            checks: Vec::new(),
            files: BTreeMap::new(),
        }
    }

    fn entries() -> BTreeMap<String, Vec<u8>> {
        [
            ("system.json", &b"{}\n"[..]),
            ("commands/b.txt", b"bravo\n"),
            ("commands/a.txt", b"alpha\n"),
            ("files/x/blob.wasm", b"\0asm\x01\0\0\0"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.to_vec()))
        .collect()
    }

    fn write(dir: &Path) -> Written {
        let t = Timestamp::from_source_date_epoch(Some("1795393164")).unwrap();
        write_bundle(dir, manifest(), entries(), t).unwrap()
    }

    #[test]
    fn same_entries_same_bytes_and_name() {
        let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
        let (wa, wb) = (write(a.path()), write(b.path()));
        assert_eq!(wa.path.file_name(), wb.path.file_name());
        assert_eq!(
            std::fs::read(&wa.path).unwrap(),
            std::fs::read(&wb.path).unwrap()
        );
        let name = wa.path.file_name().unwrap().to_string_lossy().into_owned();
        assert_eq!(name, format!("demo-bundle-{}.zip", &wa.id[..12]));
        // Only the bundle is left: the temp file was renamed, not copied.
        assert_eq!(std::fs::read_dir(a.path()).unwrap().count(), 1);
    }

    #[test]
    fn entries_are_sorted_with_fixed_time_and_mode_and_hashed_in_the_manifest() {
        let dir = tempfile::tempdir().unwrap();
        let written = write(dir.path());
        let mut zip = zip::ZipArchive::new(std::fs::File::open(&written.path).unwrap()).unwrap();
        let names: Vec<String> = (0..zip.len())
            .map(|i| zip.by_index(i).unwrap().name().unwrap().to_string())
            .collect();
        let mut sorted = names.clone();
        sorted.sort();
        assert_eq!(names, sorted);
        assert!(names.contains(&"manifest.json".to_string()));
        for i in 0..zip.len() {
            let mut f = zip.by_index(i).unwrap();
            assert_eq!(f.unix_mode().map(|m| m & 0o777), Some(0o644));
            let t = f.last_modified().unwrap();
            assert_eq!((t.year(), t.month(), t.day()), (2026, 11, 23));
            assert!(
                f.extra_data().as_deref().is_none_or(<[u8]>::is_empty),
                "extra fields in {}",
                f.name().unwrap()
            );
            let name = f.name().unwrap().to_string();
            let mut data = Vec::new();
            f.read_to_end(&mut data).unwrap();
            if name == "manifest.json" {
                assert_eq!(crate::bundle::sha256_hex(&data), written.id);
            } else {
                assert_eq!(
                    written.manifest.files[&name].sha256,
                    crate::bundle::sha256_hex(&data)
                );
            }
        }
    }

    /// Golden hash: changes when the zip crate, the deflate backend or our options change the
    /// bytes. If it changes on purpose, update it and say so in the changelog: bundles written
    /// by the old and new build of the same inputs will differ.
    #[test]
    fn golden_bundle_hash() {
        let dir = tempfile::tempdir().unwrap();
        let written = write(dir.path());
        let bytes = std::fs::read(&written.path).unwrap();
        assert_eq!(
            crate::bundle::sha256_hex(&bytes),
            "38fc6a4604f90536681312a14fb13f13d62a07a30f5f49f9c8fc857cef5cacb9",
            "bundle bytes changed; see the comment on this test"
        );
    }

    #[test]
    fn unwritable_directory_is_an_error_not_a_panic() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("not-a-dir");
        std::fs::write(&file, "x").unwrap();
        let t = Timestamp::from_source_date_epoch(None).unwrap();
        let err = write_bundle(&file, manifest(), entries(), t).unwrap_err();
        assert!(err.to_string().contains("cannot write bundle"), "{err}");
    }
}
