//! The deterministic zip writer.
//!
//! Same entries, same bytes: entries sorted by path; every entry with the same timestamp,
//! mode 0644, Unix host system, Deflate level 6 through one pinned backend (zlib-rs; backends
//! differ in output); no extra fields; a seekable writer, because the streaming one adds data
//! descriptors. Options start from `SimpleFileOptions::DEFAULT`, not `default()`, which stamps
//! the current time. The zip is written to a temp file in the output directory, fsync'd and
//! renamed, so no half bundle ever sits at the final path; a host tool that keeps the bundle
//! elsewhere (in memory, in its own archive) has the same bytes from [`write_bundle_into`].

use std::collections::BTreeMap;
use std::io::{Seek, Write};
use std::path::{Path, PathBuf};

use zip::CompressionMethod;
use zip::write::{SimpleFileOptions, ZipWriter};

use super::layout::{self, Placed};
use super::manifest::{FileRecord, Manifest};
use super::sha256_hex;
use super::timestamp::Timestamp;
use crate::redact::{RedactedText, Report};

/// An error writing a bundle.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum WriteError {
    /// The output directory could not be written.
    #[error("cannot write bundle in `{dir}`: {source}")]
    Io {
        /// The output directory.
        dir: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// The caller's writer failed ([`write_bundle_into`]).
    #[error("cannot write the bundle: {source}")]
    Output {
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
    /// Temp files of earlier, killed writes into the same directory, removed first.
    pub removed_stale: Vec<PathBuf>,
}

/// A bundle written to a caller's writer ([`write_bundle_into`]).
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Encoded {
    /// sha256 of `manifest.json`.
    pub id: String,
    /// The manifest as written.
    pub manifest: Manifest,
    /// The file name `collect` would give it: `<project>-bundle-<id12>.zip`.
    pub file_name: String,
}

/// An entry that is not an item's content. Each constructor names its entry and takes
/// redaction output only, so the writer, which accepts [`Placed`] items and these, is never
/// handed raw bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Extra {
    path: String,
    data: Vec<u8>,
}

impl Extra {
    /// `issue.md`: the body the issue renderer made, which reads redacted data only.
    pub fn issue_body(body: &str) -> Extra {
        Extra {
            path: layout::ISSUE_BODY.into(),
            data: body.as_bytes().to_vec(),
        }
    }

    /// `issue.json`: the redacted title and description the body was rendered with, so
    /// `issue BUNDLE` can render the same body again.
    pub fn issue_request(
        title: Option<&RedactedText>,
        description: Option<&RedactedText>,
    ) -> Extra {
        let value = serde_json::json!({
            "title": title.map(|t| t.to_str_lossy()),
            "description": description.map(|d| d.to_str_lossy()),
        });
        let mut data = serde_json::to_vec_pretty(&value).unwrap_or_default();
        data.push(b'\n');
        Extra {
            path: layout::ISSUE_REQUEST.into(),
            data,
        }
    }

    /// `redaction-report.json`: counts per entry and rule, never values.
    pub fn report(report: &Report) -> Extra {
        Extra {
            path: layout::REDACTION_REPORT.into(),
            data: report.to_json().into_bytes(),
        }
    }

    /// `spec.toml`: the spec that ran, redacted (a built-in spec verbatim).
    pub fn spec(text: &RedactedText) -> Extra {
        Extra {
            path: layout::SPEC.into(),
            data: text.as_bytes().to_vec(),
        }
    }

    /// Another entry of a bundle being re-redacted, at its (redacted) path.
    pub(super) fn reredacted(path: String, text: RedactedText) -> Extra {
        Extra {
            path,
            data: text.as_bytes().to_vec(),
        }
    }

    /// Where the entry goes in the zip.
    pub fn path(&self) -> &str {
        &self.path
    }

    /// Its bytes.
    pub fn data(&self) -> &[u8] {
        &self.data
    }
}

/// Fill in `manifest.files` from the items' content and `extras`, then write the zip as
/// `<out_dir>/<project>-bundle-<id12>.zip` atomically.
pub fn write_bundle(
    out_dir: &Path,
    manifest: Manifest,
    items: &[Placed],
    extras: &[Extra],
    created: Timestamp,
) -> Result<Written, WriteError> {
    let entries = entries(items, extras);
    let (manifest, manifest_json, id) = finish_manifest(manifest, &entries);
    let final_path = out_dir.join(file_name(&manifest, &id));
    let removed_stale = crate::atomic::remove_stale(out_dir);
    write_zip(out_dir, &final_path, &entries, &manifest_json, created)?;
    Ok(Written {
        path: final_path,
        id,
        manifest,
        removed_stale,
    })
}

/// Like [`write_bundle`], but to exactly `path` (e.g. `redact BUNDLE --out NEW.zip`).
pub fn write_bundle_to(
    path: &Path,
    manifest: Manifest,
    items: &[Placed],
    extras: &[Extra],
    created: Timestamp,
) -> Result<Written, WriteError> {
    let entries = entries(items, extras);
    let (manifest, manifest_json, id) = finish_manifest(manifest, &entries);
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let removed_stale = crate::atomic::remove_stale(dir);
    write_zip(dir, path, &entries, &manifest_json, created)?;
    Ok(Written {
        path: path.to_path_buf(),
        id,
        manifest,
        removed_stale,
    })
}

/// Like [`write_bundle`], but into `out`: written from position 0, the same bytes as the file
/// [`write_bundle`] writes for the same inputs (from a later position the zip's offsets count
/// from the start of `out`, as in a self-extracting archive). Nothing is flushed or synced; a
/// failure leaves `out` holding part of a zip. [`crate::run::collect_into`] runs a whole `collect`
/// into a writer.
pub fn write_bundle_into<W: Write + Seek + ?Sized>(
    out: &mut W,
    manifest: Manifest,
    items: &[Placed],
    extras: &[Extra],
    created: Timestamp,
) -> Result<Encoded, WriteError> {
    let entries = entries(items, extras);
    let (manifest, manifest_json, id) = finish_manifest(manifest, &entries);
    let io_err = |source| WriteError::Output { source };
    zip_into(out, &entries, &manifest_json, created, &io_err)?;
    Ok(Encoded {
        file_name: file_name(&manifest, &id),
        id,
        manifest,
    })
}

/// Like [`write_bundle`], but encrypted to `recipients` as
/// `<out_dir>/<project>-bundle-<id12>.zip.age` (see [`crate::seal`]). The zip is built in
/// memory and encrypted as it is written, so no plaintext bundle ever reaches the disk.
pub fn write_sealed_bundle(
    out_dir: &Path,
    manifest: Manifest,
    items: &[Placed],
    extras: &[Extra],
    created: Timestamp,
    recipients: &crate::seal::Recipients,
) -> Result<Written, WriteError> {
    let entries = entries(items, extras);
    let (manifest, manifest_json, id) = finish_manifest(manifest, &entries);
    let final_path = out_dir.join(format!(
        "{}.{}",
        file_name(&manifest, &id),
        crate::seal::EXTENSION
    ));
    let removed_stale = crate::atomic::remove_stale(out_dir);
    let io_err = |source: std::io::Error| WriteError::Io {
        dir: out_dir.to_path_buf(),
        source,
    };
    let mut memory = std::io::Cursor::new(Vec::new());
    zip_into(&mut memory, &entries, &manifest_json, created, &io_err)?;
    let zip = memory.into_inner();
    crate::atomic::write_announced(&final_path, crate::atomic::PRIVATE, io_err, |file| {
        recipients.seal(&zip, file).map_err(io_err)
    })?;
    Ok(Written {
        path: final_path,
        id,
        manifest,
        removed_stale,
    })
}

/// `<project>-bundle-<id12>.zip`.
fn file_name(manifest: &Manifest, id: &str) -> String {
    format!("{}-bundle-{}.zip", manifest.project.name, &id[..12])
}

/// Every entry by path: the items' content, then the extras.
fn entries<'a>(items: &'a [Placed], extras: &'a [Extra]) -> BTreeMap<&'a str, &'a [u8]> {
    let mut entries: BTreeMap<&str, &[u8]> = items.iter().filter_map(Placed::entry).collect();
    entries.extend(extras.iter().map(|e| (e.path(), e.data())));
    entries
}

/// `manifest` with `files` filled in from `entries`, its canonical bytes, and its id.
fn finish_manifest(
    mut manifest: Manifest,
    entries: &BTreeMap<&str, &[u8]>,
) -> (Manifest, Vec<u8>, String) {
    manifest.files = entries
        .iter()
        .map(|(path, data)| {
            let record = FileRecord {
                size: data.len() as u64,
                sha256: sha256_hex(data),
            };
            (path.to_string(), record)
        })
        .collect();
    let manifest_json = manifest.to_canonical_json();
    let id = sha256_hex(&manifest_json);
    (manifest, manifest_json, id)
}

/// Write the zip atomically to `final_path` (its temp file in `dir`).
fn write_zip(
    dir: &Path,
    final_path: &Path,
    entries: &BTreeMap<&str, &[u8]>,
    manifest_json: &[u8],
    created: Timestamp,
) -> Result<(), WriteError> {
    let io_err = |source: std::io::Error| WriteError::Io {
        dir: dir.to_path_buf(),
        source,
    };
    crate::atomic::write_announced(final_path, crate::atomic::PRIVATE, io_err, |file| {
        zip_into(file, entries, manifest_json, created, &io_err)
    })
}

/// Write the zip into `out`; `io_err` says where an I/O failure happened.
fn zip_into<W: Write + Seek + ?Sized>(
    out: &mut W,
    entries: &BTreeMap<&str, &[u8]>,
    manifest_json: &[u8],
    created: Timestamp,
    io_err: &dyn Fn(std::io::Error) -> WriteError,
) -> Result<(), WriteError> {
    let sink = Sink::new(out);
    let quiet = sink.quiet.clone();
    let mut zip = ZipWriter::new(sink);
    let filled = fill_zip(&mut zip, entries, manifest_json, created, io_err);
    if let Err(e) = filled {
        // The zip crate's Drop finalizes an unfinished archive and prints any failure to
        // stderr; the output is thrown away, so finish into nothing instead.
        quiet.set(true);
        let _ = zip.finish();
        return Err(e);
    }
    zip.finish()
        .map_err(|source| zip_error(io_err, "(central directory)", source))?;
    if quiet.get() {
        // A write failed and the zip crate carried on regardless: never keep that.
        return Err(io_err(std::io::Error::other(
            "a write to the output failed",
        )));
    }
    Ok(())
}

/// Write every entry, then `manifest.json`, in path order.
fn fill_zip<W: Write + Seek + ?Sized>(
    zip: &mut ZipWriter<Sink<'_, W>>,
    entries: &BTreeMap<&str, &[u8]>,
    manifest_json: &[u8],
    created: Timestamp,
    io_err: &dyn Fn(std::io::Error) -> WriteError,
) -> Result<(), WriteError> {
    let options = SimpleFileOptions::DEFAULT
        .compression_method(CompressionMethod::Deflated)
        .compression_level(Some(6))
        .last_modified_time(created.zip_time())
        .unix_permissions(0o644)
        .system(zip::System::Unix)
        .large_file(false);
    let mut all: Vec<(&str, &[u8])> = entries.iter().map(|(p, d)| (*p, *d)).collect();
    all.push(("manifest.json", manifest_json));
    all.sort_by(|a, b| a.0.cmp(b.0));
    for (path, data) in all {
        zip.start_file(path, options)
            .map_err(|source| zip_error(io_err, path, source))?;
        zip.write_all(data).map_err(io_err)?;
    }
    Ok(())
}

/// A zip error as a [`WriteError`]: an I/O failure (disk full, say) is about the output,
/// not the entry that happened to be written when it struck.
fn zip_error(
    io_err: &dyn Fn(std::io::Error) -> WriteError,
    path: &str,
    source: zip::result::ZipError,
) -> WriteError {
    match source {
        zip::result::ZipError::Io(source) => io_err(source),
        source => WriteError::Zip {
            path: path.to_string(),
            source,
        },
    }
}

/// The output (the temp file, or the caller's writer) as the zip writer sees it. After the
/// first write error, or once told to be `quiet`, writes are discarded: the zip crate then
/// has nothing to complain about when it finalizes on drop, and the error already went to the
/// caller.
struct Sink<'a, W: ?Sized> {
    file: &'a mut W,
    quiet: std::rc::Rc<std::cell::Cell<bool>>,
}

impl<'a, W: ?Sized> Sink<'a, W> {
    fn new(file: &'a mut W) -> Sink<'a, W> {
        Sink {
            file,
            quiet: std::rc::Rc::default(),
        }
    }

    /// `result` as it is, remembering a failure.
    fn noting<T>(&self, result: std::io::Result<T>) -> std::io::Result<T> {
        if result.is_err() {
            self.quiet.set(true);
        }
        result
    }
}

impl<W: Write + ?Sized> Write for Sink<'_, W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if self.quiet.get() {
            return Ok(buf.len());
        }
        let written = self.file.write(buf);
        self.noting(written)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        if self.quiet.get() {
            return Ok(());
        }
        let flushed = self.file.flush();
        self.noting(flushed)
    }
}

impl<W: Seek + ?Sized> Seek for Sink<'_, W> {
    fn seek(&mut self, pos: std::io::SeekFrom) -> std::io::Result<u64> {
        let sought = self.file.seek(pos);
        self.noting(sought)
    }
}

#[cfg(test)]
mod tests {
    use std::io::Read;

    use super::*;
    use crate::bundle::manifest::{ProjectRecord, SpecRecord, Tool};
    use crate::item::Kind;

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
                os: None,
            },
            created: "2026-11-22T23:39:24Z".into(),
            private: false,
            facts: BTreeMap::new(),
            items: Vec::new(),
            checks: Vec::new(),
            files: BTreeMap::new(),
        }
    }

    /// `system.json`, `commands/b.txt`, `commands/a.txt` and the binary `files/x/blob.wasm`,
    /// through the redaction pass (with no rules, so the content is kept) and the layout.
    fn items() -> Vec<Placed> {
        use crate::item::{RawEntry, RawItem};
        let raws = vec![
            RawItem::collected(
                "system",
                Kind::System,
                "os",
                "system.json",
                b"{}\n".to_vec(),
            ),
            RawItem::collected("b", Kind::Command, "b", "b.txt", b"bravo\n".to_vec()),
            RawItem::collected("a", Kind::Command, "a", "a.txt", b"alpha\n".to_vec()),
            RawItem {
                entry: Some(RawEntry {
                    source: "blob".into(),
                    name: "blob.wasm".into(),
                    data: b"\0asm\x01\0\0\0".to_vec(),
                    binary: true,
                }),
                ..RawItem::collected("x", Kind::File, "blob", "blob.wasm", Vec::new())
            },
        ];
        let mut redactor = crate::redact::Redactor::new(&crate::redact::Options {
            no_default_rules: true,
            keep_identifiers: true,
            ..Default::default()
        })
        .unwrap();
        layout::place(crate::redact::redact_items(
            raws,
            &mut redactor,
            &Default::default(),
        ))
    }

    fn write(dir: &Path) -> Written {
        let t = Timestamp::from_source_date_epoch(Some("1795393164")).unwrap();
        write_bundle(dir, manifest(), &items(), &[], t).unwrap()
    }

    #[test]
    fn a_writer_gets_the_bytes_of_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let written = write(dir.path());
        let t = Timestamp::from_source_date_epoch(Some("1795393164")).unwrap();
        let mut out = std::io::Cursor::new(Vec::new());
        let encoded = write_bundle_into(&mut out, manifest(), &items(), &[], t).unwrap();
        let file = std::fs::read(&written.path).unwrap();
        assert_eq!(out.into_inner(), file);
        assert_eq!(encoded.id, written.id);
        assert_eq!(
            Some(std::ffi::OsStr::new(&encoded.file_name)),
            written.path.file_name()
        );
    }

    #[test]
    fn a_failing_writer_is_an_output_error() {
        /// Takes 100 bytes, then fails.
        struct Full(std::io::Cursor<Vec<u8>>);
        impl Write for Full {
            fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
                if self.0.position() + buf.len() as u64 > 100 {
                    return Err(std::io::Error::other("no space"));
                }
                self.0.write(buf)
            }
            fn flush(&mut self) -> std::io::Result<()> {
                Ok(())
            }
        }
        impl Seek for Full {
            fn seek(&mut self, pos: std::io::SeekFrom) -> std::io::Result<u64> {
                self.0.seek(pos)
            }
        }
        let t = Timestamp::from_source_date_epoch(Some("1795393164")).unwrap();
        let mut out = Full(std::io::Cursor::new(Vec::new()));
        let err = write_bundle_into(&mut out, manifest(), &items(), &[], t).unwrap_err();
        assert!(
            matches!(&err, WriteError::Output { source } if source.to_string().contains("no space")),
            "{err:?}"
        );
    }

    #[test]
    fn items_sit_where_the_layout_puts_them() {
        let paths: Vec<_> = items()
            .iter()
            .map(|p| p.record.path.clone().unwrap())
            .collect();
        assert_eq!(
            paths,
            [
                "system.json",
                "commands/b.txt",
                "commands/a.txt",
                "files/x/blob.wasm"
            ]
        );
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
        let err = write_bundle(&file, manifest(), &items(), &[], t).unwrap_err();
        assert!(err.to_string().contains("cannot write bundle"), "{err}");
    }
}
