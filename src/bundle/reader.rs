//! The one way every command that reads a bundle opens it: as hostile input.
//!
//! [`Bundle::open`] checks the whole central directory before any content is read: entry count
//! (also from the end record, before the zip library builds its index), names (UTF-8, relative,
//! no `..`, `.` or empty components, no backslashes, drive letters or control characters),
//! regular files only (no symlinks, directories or devices), no duplicates, Stored or Deflate
//! only, no encryption, per-entry and total declared size, and the compression ratio of each
//! entry and of the whole bundle. Reading is streamed through [`EntryReader`], which fails once
//! an entry yields more bytes than its header declared, so the declared sizes checked at open
//! bound what is ever decompressed.
//!
//! Names in errors are escaped with [`crate::sanitize::for_terminal`] when the error is built,
//! so printing an error cannot carry a control sequence to the terminal.

use std::collections::{BTreeMap, HashSet};
use std::fs::File;
use std::io::{self, BufReader, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

use zip::CompressionMethod;
use zip::ZipArchive;

use super::manifest::Manifest;
use crate::sanitize::for_terminal;

/// How much of a bundle the reader accepts: [`Limits::default`], then the `with_*` methods.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Limits {
    /// Most entries in one bundle.
    pub max_entries: u64,
    /// Largest uncompressed size of one entry.
    pub max_entry_size: u64,
    /// Largest uncompressed size of all entries together.
    pub max_total_size: u64,
    /// Highest uncompressed-to-compressed ratio, for entries past [`Limits::ratio_floor`].
    pub max_ratio: u64,
    /// Entries up to this size are not ratio-checked (tiny inputs compress erratically).
    pub ratio_floor: u64,
    /// Past this much content in all, the whole bundle is held to [`Limits::max_ratio`] too:
    /// many entries just under [`Limits::ratio_floor`] must not add up to a bomb.
    pub total_ratio_floor: u64,
}

impl Limits {
    builder_methods! {
        /// Most entries in one bundle.
        with_max_entries => max_entries: u64;
        /// Largest uncompressed size of one entry.
        with_max_entry_size => max_entry_size: u64;
        /// Largest uncompressed size of all entries together.
        with_max_total_size => max_total_size: u64;
        /// Highest uncompressed-to-compressed ratio.
        with_max_ratio => max_ratio: u64;
        /// Entries up to this size are not ratio-checked.
        with_ratio_floor => ratio_floor: u64;
        /// Past this much content in all, the whole bundle is ratio-checked too.
        with_total_ratio_floor => total_ratio_floor: u64;
    }
}

impl Default for Limits {
    /// Room for any bundle `collect` writes (items are capped at 16 MiB by the built-in specs)
    /// and nothing like a zip bomb: deflate reaches ~1000:1 on zeros, real logs ~10-30:1.
    fn default() -> Self {
        Limits {
            max_entries: 10_000,
            max_entry_size: 256 * 1024 * 1024,
            max_total_size: 1024 * 1024 * 1024,
            max_ratio: 200,
            ratio_floor: 1024 * 1024,
            total_ratio_floor: 64 * 1024 * 1024,
        }
    }
}

/// Why a bundle was refused or could not be read.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ReadError {
    /// The file could not be opened or read.
    #[error("cannot read `{path}`: {source}")]
    Io {
        /// The bundle's path.
        path: PathBuf,
        /// The cause.
        source: io::Error,
    },
    /// Not a zip, or a zip this reader will not parse.
    #[error("`{path}` is not a readable zip: {reason}")]
    Malformed {
        /// The bundle's path.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
    /// More entries than [`Limits::max_entries`].
    #[error("bundle has {count} entries; the limit is {limit}")]
    TooManyEntries {
        /// Entries declared.
        count: u64,
        /// The limit.
        limit: u64,
    },
    /// A name that could land outside an extraction directory or confuse a terminal.
    #[error("entry `{name}` has an unsafe name: {reason}")]
    UnsafeName {
        /// The name, escaped.
        name: String,
        /// Which rule it breaks.
        reason: &'static str,
    },
    /// A symlink, directory, device, fifo or socket entry.
    #[error("entry `{name}` is a {kind}, not a regular file")]
    NotRegularFile {
        /// The name, escaped.
        name: String,
        /// What it is.
        kind: &'static str,
    },
    /// The same name twice.
    #[error("entry `{name}` appears more than once")]
    Duplicate {
        /// The name, escaped.
        name: String,
    },
    /// Encrypted or compressed with a method other than Stored or Deflate.
    #[error("entry `{name}` is {what}; bundles hold only Stored or Deflate entries")]
    Unsupported {
        /// The name, escaped.
        name: String,
        /// `encrypted` or the compression method.
        what: String,
    },
    /// One entry is larger than [`Limits::max_entry_size`] (or a caller's cap).
    #[error("entry `{name}` is {size} bytes uncompressed; the limit is {limit}")]
    EntryTooLarge {
        /// The name, escaped.
        name: String,
        /// Its declared size.
        size: u64,
        /// The limit.
        limit: u64,
    },
    /// All entries together exceed [`Limits::max_total_size`].
    #[error("bundle is {total} bytes uncompressed; the limit is {limit}")]
    TotalTooLarge {
        /// Sum of declared sizes.
        total: u64,
        /// The limit.
        limit: u64,
    },
    /// Compressed far better than real content does: a zip bomb.
    #[error(
        "entry `{name}` expands {ratio}:1 ({size} bytes from {compressed}); the limit is {limit}:1"
    )]
    RatioTooHigh {
        /// The name, escaped.
        name: String,
        /// Declared uncompressed size.
        size: u64,
        /// Compressed size.
        compressed: u64,
        /// The ratio.
        ratio: u64,
        /// The limit.
        limit: u64,
    },
    /// All entries together compress far better than real content does: a zip bomb spread
    /// over entries each too small to be ratio-checked.
    #[error("bundle expands {ratio}:1 ({total} bytes from {compressed}); the limit is {limit}:1")]
    TotalRatioTooHigh {
        /// Sum of declared uncompressed sizes.
        total: u64,
        /// Sum of compressed sizes.
        compressed: u64,
        /// The ratio.
        ratio: u64,
        /// The limit.
        limit: u64,
    },
    /// An entry's data does not decompress to what its header says (CRC, size, inflate error).
    #[error("entry `{name}` is corrupt: {reason}")]
    Corrupt {
        /// The name, escaped.
        name: String,
        /// What went wrong.
        reason: String,
    },
    /// An entry the operation needs is absent.
    #[error("bundle has no `{name}`")]
    Missing {
        /// The name.
        name: String,
    },
    /// `manifest.json` is not a manifest.
    #[error("`manifest.json` is not a valid manifest: {reason}")]
    Manifest {
        /// The parse error.
        reason: String,
    },
}

impl ReadError {
    /// Whether the error is about an entry's content rather than the archive's structure:
    /// such a bundle is intact as a zip but its data was altered or damaged.
    pub fn is_content_error(&self) -> bool {
        matches!(self, ReadError::Corrupt { .. } | ReadError::Manifest { .. })
    }
}

/// One entry as the central directory describes it (already checked).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EntryInfo {
    /// The entry's path inside the zip.
    pub name: String,
    /// Declared uncompressed size.
    pub size: u64,
    /// Compressed size.
    pub compressed_size: u64,
}

/// An opened, checked bundle.
#[derive(Debug)]
pub struct Bundle {
    path: PathBuf,
    archive: ZipArchive<Source>,
    entries: Vec<EntryInfo>,
    index: BTreeMap<String, usize>,
}

/// Largest `manifest.json` accepted: a 10,000-entry manifest is under 4 MiB.
pub const MAX_MANIFEST_SIZE: u64 = 16 * 1024 * 1024;

impl Bundle {
    /// Open and check `path` with the default [`Limits`].
    pub fn open(path: &Path) -> Result<Bundle, ReadError> {
        Bundle::open_with(path, Limits::default())
    }

    /// Open and check `path` with `limits`.
    pub fn open_with(path: &Path, limits: Limits) -> Result<Bundle, ReadError> {
        let file = File::open(path).map_err(|source| ReadError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        Bundle::check(path, Source::File(BufReader::new(file)), limits)
    }

    /// Check a bundle held in memory (a sealed bundle, decrypted) with the default
    /// [`Limits`]; `path` is the file it came from, for messages.
    pub fn from_bytes(path: &Path, bytes: Vec<u8>) -> Result<Bundle, ReadError> {
        Bundle::check(
            path,
            Source::Memory(io::Cursor::new(bytes)),
            Limits::default(),
        )
    }

    fn check(path: &Path, mut file: Source, limits: Limits) -> Result<Bundle, ReadError> {
        let io_err = |source| ReadError::Io {
            path: path.to_path_buf(),
            source,
        };
        let malformed = |e: zip::result::ZipError| ReadError::Malformed {
            path: path.to_path_buf(),
            reason: e.to_string(),
        };
        if let Some(count) = declared_entry_count(&mut file).map_err(io_err)?
            && count > limits.max_entries
        {
            return Err(ReadError::TooManyEntries {
                count,
                limit: limits.max_entries,
            });
        }
        file.seek(SeekFrom::Start(0)).map_err(io_err)?;
        let mut archive = ZipArchive::new(file).map_err(malformed)?;
        if archive.len() as u64 > limits.max_entries {
            return Err(ReadError::TooManyEntries {
                count: archive.len() as u64,
                limit: limits.max_entries,
            });
        }
        if archive.has_duplicate_names() {
            let start = archive.central_directory_start();
            let count = archive.len();
            let name = duplicate_name(archive.into_inner(), start, count)
                .unwrap_or_else(|| "(unknown)".into());
            return Err(ReadError::Duplicate { name });
        }
        let mut entries = Vec::with_capacity(archive.len());
        let mut total: u64 = 0;
        let mut compressed: u64 = 0;
        for i in 0..archive.len() {
            let entry = archive.by_index_raw(i).map_err(malformed)?;
            let name = check_name(entry.name_raw())?.to_string();
            // The name zip decodes may come from a Unicode-path extra field; it must agree.
            if entry.name().ok().as_deref() != Some(name.as_str()) {
                return Err(ReadError::UnsafeName {
                    name: escaped(&name),
                    reason: "its extra field names a different path",
                });
            }
            check_type(&name, entry.is_dir(), entry.unix_mode())?;
            if entry.encrypted() {
                return Err(ReadError::Unsupported {
                    name: escaped(&name),
                    what: "encrypted".into(),
                });
            }
            let method = entry.compression();
            if method != CompressionMethod::Stored && method != CompressionMethod::Deflated {
                return Err(ReadError::Unsupported {
                    name: escaped(&name),
                    what: format!("compressed with {method:?}"),
                });
            }
            let info = EntryInfo {
                name,
                size: entry.size(),
                compressed_size: entry.compressed_size(),
            };
            check_size(&info, &limits)?;
            total = total.saturating_add(info.size);
            compressed = compressed.saturating_add(info.compressed_size);
            if total > limits.max_total_size {
                return Err(ReadError::TotalTooLarge {
                    total,
                    limit: limits.max_total_size,
                });
            }
            entries.push(info);
        }
        let ratio = total / compressed.max(1);
        if total > limits.total_ratio_floor && ratio > limits.max_ratio {
            return Err(ReadError::TotalRatioTooHigh {
                total,
                compressed,
                ratio,
                limit: limits.max_ratio,
            });
        }
        // Local headers must agree with the central directory and no entries may overlap
        // (overlapping entries are how non-recursive zip bombs multiply their output).
        archive.validate_header_consistency().map_err(malformed)?;
        let index = entries
            .iter()
            .enumerate()
            .map(|(i, e)| (e.name.clone(), i))
            .collect();
        Ok(Bundle {
            path: path.to_path_buf(),
            archive,
            entries,
            index,
        })
    }

    /// The bundle's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Every entry, in zip order.
    pub fn entries(&self) -> &[EntryInfo] {
        &self.entries
    }

    /// The entry named `name`.
    pub fn entry(&self, name: &str) -> Option<&EntryInfo> {
        self.index.get(name).map(|&i| &self.entries[i])
    }

    /// Stream the entry named `name`.
    pub fn open_entry(&mut self, name: &str) -> Result<EntryReader<'_>, ReadError> {
        let &i = self.index.get(name).ok_or_else(|| ReadError::Missing {
            name: escaped(name),
        })?;
        let declared = self.entries[i].size;
        let inner = self.archive.by_index(i).map_err(|e| ReadError::Corrupt {
            name: escaped(name),
            reason: e.to_string(),
        })?;
        Ok(EntryReader {
            inner,
            name: escaped(name),
            declared,
            read: 0,
        })
    }

    /// The whole entry, refused when its declared size is over `max`.
    pub fn read_entry(&mut self, name: &str, max: u64) -> Result<Vec<u8>, ReadError> {
        let size = self.entry(name).map_or(0, |e| e.size);
        if size > max {
            return Err(ReadError::EntryTooLarge {
                name: escaped(name),
                size,
                limit: max,
            });
        }
        let mut reader = self.open_entry(name)?;
        let mut out = Vec::with_capacity(usize::try_from(size).unwrap_or(0));
        reader.read_to_end(&mut out).map_err(|e| reader.error(e))?;
        Ok(out)
    }

    /// Size and sha256 of an entry's content, streamed.
    pub fn hash_entry(&mut self, name: &str) -> Result<(u64, String), ReadError> {
        use sha2::Digest;
        let mut reader = self.open_entry(name)?;
        let mut hasher = sha2::Sha256::new();
        let mut buf = vec![0u8; 64 * 1024];
        let mut size = 0u64;
        loop {
            let n = reader.read(&mut buf).map_err(|e| reader.error(e))?;
            if n == 0 {
                break;
            }
            hasher.update(&buf[..n]);
            size += n as u64;
        }
        let digest: [u8; 32] = hasher.finalize().into();
        Ok((size, hex::encode(digest)))
    }

    /// `manifest.json` parsed, with its exact bytes (whose sha256 is the bundle id).
    pub fn manifest(&mut self) -> Result<(Manifest, Vec<u8>), ReadError> {
        let bytes = self.read_entry("manifest.json", MAX_MANIFEST_SIZE)?;
        let manifest = serde_json::from_slice(&bytes).map_err(|e| ReadError::Manifest {
            reason: e.to_string(),
        })?;
        Ok((manifest, bytes))
    }
}

/// Where a bundle's bytes are: its file, or memory (a sealed bundle, decrypted).
#[derive(Debug)]
enum Source {
    File(BufReader<File>),
    Memory(io::Cursor<Vec<u8>>),
}

impl Read for Source {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            Source::File(f) => f.read(buf),
            Source::Memory(m) => m.read(buf),
        }
    }
}

impl Seek for Source {
    fn seek(&mut self, pos: SeekFrom) -> io::Result<u64> {
        match self {
            Source::File(f) => f.seek(pos),
            Source::Memory(m) => m.seek(pos),
        }
    }
}

/// A streaming reader over one entry that stops at the declared size.
pub struct EntryReader<'a> {
    inner: zip::read::ZipFile<'a, Source>,
    name: String,
    declared: u64,
    read: u64,
}

impl std::fmt::Debug for EntryReader<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EntryReader")
            .field("name", &self.name)
            .field("declared", &self.declared)
            .field("read", &self.read)
            .finish()
    }
}

impl EntryReader<'_> {
    /// Turn an I/O error from this reader into the [`ReadError`] it stands for.
    pub fn error(&self, e: io::Error) -> ReadError {
        if e.get_ref().is_some_and(|inner| inner.is::<ReadError>()) {
            if let Some(Ok(inner)) = e.into_inner().map(|b| b.downcast::<ReadError>()) {
                return *inner;
            }
            return ReadError::Corrupt {
                name: self.name.clone(),
                reason: "unreadable".into(),
            };
        }
        ReadError::Corrupt {
            name: self.name.clone(),
            reason: e.to_string(),
        }
    }
}

impl Read for EntryReader<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        // Ask for one byte past the declared size, so a lying header is noticed, not trusted.
        let room = self.declared.saturating_sub(self.read).saturating_add(1);
        let want = buf.len().min(usize::try_from(room).unwrap_or(usize::MAX));
        let n = self.inner.read(&mut buf[..want])?;
        self.read += n as u64;
        if self.read > self.declared {
            return Err(io::Error::other(ReadError::Corrupt {
                name: self.name.clone(),
                reason: format!(
                    "more data than the {} bytes its header declares",
                    self.declared
                ),
            }));
        }
        Ok(n)
    }
}

/// A name as shown in an error: one line, with every control character escaped (a newline
/// or tab in a name is as hostile as an escape sequence, since it can forge an output line).
fn escaped(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    for c in for_terminal(name).chars() {
        if c.is_control() {
            out.extend(c.escape_unicode());
        } else {
            out.push(c);
        }
    }
    out
}

/// Whether `c` may not appear in an entry name: a control character (newline and tab
/// included: they forge output lines) or a bidirectional control. The writer replaces exactly
/// these ([`super::layout::safe_name`]), so every bundle it writes passes this reader.
pub fn is_unsafe_name_char(c: char) -> bool {
    c.is_control() || crate::sanitize::is_unsafe(c)
}

/// Check a raw entry name; returns it as UTF-8.
fn check_name(raw: &[u8]) -> Result<&str, ReadError> {
    let Ok(name) = std::str::from_utf8(raw) else {
        return Err(ReadError::UnsafeName {
            name: escaped(&String::from_utf8_lossy(raw)),
            reason: "not valid UTF-8",
        });
    };
    let unsafe_name = |reason| {
        Err(ReadError::UnsafeName {
            name: escaped(name),
            reason,
        })
    };
    if name.is_empty() {
        return unsafe_name("empty");
    }
    if name.ends_with('/') {
        return Err(ReadError::NotRegularFile {
            name: escaped(name),
            kind: "directory",
        });
    }
    if name.contains('\\') {
        return unsafe_name("contains a backslash");
    }
    if name.chars().any(is_unsafe_name_char) {
        return unsafe_name("contains control characters");
    }
    if name.starts_with('/') {
        return unsafe_name("absolute path");
    }
    let bytes = name.as_bytes();
    if bytes.len() >= 2 && bytes[0].is_ascii_alphabetic() && bytes[1] == b':' {
        return unsafe_name("starts with a drive letter");
    }
    for part in name.split('/') {
        match part {
            ".." => return unsafe_name("has a `..` component"),
            "" | "." => return unsafe_name("has an empty or `.` component"),
            _ => {}
        }
    }
    Ok(name)
}

fn check_type(name: &str, is_dir: bool, mode: Option<u32>) -> Result<(), ReadError> {
    let kind = match mode.map(|m| m & 0o170_000) {
        _ if is_dir => "directory",
        None | Some(0 | 0o100_000) => return Ok(()),
        Some(0o120_000) => "symlink",
        Some(0o040_000) => "directory",
        Some(0o020_000) => "character device",
        Some(0o060_000) => "block device",
        Some(0o010_000) => "fifo",
        Some(0o140_000) => "socket",
        Some(_) => "special file",
    };
    Err(ReadError::NotRegularFile {
        name: escaped(name),
        kind,
    })
}

fn check_size(e: &EntryInfo, limits: &Limits) -> Result<(), ReadError> {
    if e.size > limits.max_entry_size {
        return Err(ReadError::EntryTooLarge {
            name: escaped(&e.name),
            size: e.size,
            limit: limits.max_entry_size,
        });
    }
    if e.size > limits.ratio_floor {
        let ratio = e.size / e.compressed_size.max(1);
        if ratio > limits.max_ratio {
            return Err(ReadError::RatioTooHigh {
                name: escaped(&e.name),
                size: e.size,
                compressed: e.compressed_size,
                ratio,
                limit: limits.max_ratio,
            });
        }
    }
    Ok(())
}

/// The entry count the end-of-central-directory record declares (zip64 aware), read before the
/// zip library builds an index of that many entries. `None` when no record is found; the zip
/// library then reports the file as malformed.
fn declared_entry_count(file: &mut Source) -> io::Result<Option<u64>> {
    const EOCD: &[u8] = b"PK\x05\x06";
    let len = file.seek(SeekFrom::End(0))?;
    let tail_len = len.min(22 + 65_535);
    file.seek(SeekFrom::Start(len - tail_len))?;
    let mut tail = Vec::with_capacity(usize::try_from(tail_len).unwrap_or(0));
    file.take(tail_len).read_to_end(&mut tail)?;
    let Some(pos) = tail.windows(4).rposition(|w| w == EOCD) else {
        return Ok(None);
    };
    let Some(fields) = tail.get(pos..pos + 22) else {
        return Ok(None);
    };
    let count = u16::from_le_bytes([fields[10], fields[11]]);
    if count != u16::MAX {
        return Ok(Some(u64::from(count)));
    }
    // Zip64: the locator sits just before the record and points at the zip64 record.
    let locator_at = (len - tail_len + pos as u64).checked_sub(20);
    let Some(locator_at) = locator_at else {
        return Ok(None);
    };
    let mut locator = [0u8; 20];
    file.seek(SeekFrom::Start(locator_at))?;
    file.read_exact(&mut locator)?;
    if &locator[..4] != b"PK\x06\x07" {
        return Ok(None);
    }
    let mut offset = [0u8; 8];
    offset.copy_from_slice(&locator[8..16]);
    let mut record = [0u8; 40];
    file.seek(SeekFrom::Start(u64::from_le_bytes(offset)))?;
    if file.read_exact(&mut record).is_err() || &record[..4] != b"PK\x06\x06" {
        return Ok(None);
    }
    let mut total = [0u8; 8];
    total.copy_from_slice(&record[32..40]);
    Ok(Some(u64::from_le_bytes(total)))
}

/// The first name the central directory lists twice (the zip library keeps only one of each,
/// so the directory is walked again here to say which).
fn duplicate_name(mut file: Source, start: u64, count: usize) -> Option<String> {
    file.seek(SeekFrom::Start(start)).ok()?;
    let mut seen = HashSet::new();
    for _ in 0..=count.saturating_mul(2) {
        let mut header = [0u8; 46];
        file.read_exact(&mut header).ok()?;
        if &header[..4] != b"PK\x01\x02" {
            return None;
        }
        let field = |at: usize| usize::from(u16::from_le_bytes([header[at], header[at + 1]]));
        let (name_len, extra_len, comment_len) = (field(28), field(30), field(32));
        let mut name = vec![0u8; name_len];
        file.read_exact(&mut name).ok()?;
        let skip = i64::try_from(extra_len + comment_len).ok()?;
        file.seek_relative(skip).ok()?;
        if !seen.insert(name.clone()) {
            return Some(escaped(&String::from_utf8_lossy(&name)));
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_checked_component_by_component() {
        for ok in [
            "manifest.json",
            "files/cfg/a..b.toml",
            "files/x/.hidden",
            "é/ü.txt",
        ] {
            assert_eq!(check_name(ok.as_bytes()).ok(), Some(ok), "{ok}");
        }
        let reason = |name: &[u8]| match check_name(name) {
            Err(ReadError::UnsafeName { reason, .. }) => reason,
            Err(ReadError::NotRegularFile { kind, .. }) => kind,
            other => panic!("{other:?}"),
        };
        assert_eq!(reason(b"../x"), "has a `..` component");
        assert_eq!(reason(b"a/../../x"), "has a `..` component");
        assert_eq!(reason(b"a/./x"), "has an empty or `.` component");
        assert_eq!(reason(b"a//x"), "has an empty or `.` component");
        assert_eq!(reason(b"/etc/passwd"), "absolute path");
        assert_eq!(reason(b"c:/x"), "starts with a drive letter");
        assert_eq!(reason(b"..\\x"), "contains a backslash");
        assert_eq!(reason(b"a\x1b[2Jb"), "contains control characters");
        assert_eq!(reason(b"a\xc2\x9bb"), "contains control characters");
        for forged in [
            &b"files/x\nintact: bundle 000000000000"[..],
            b"files/a\tb",
            b"files/a\rb",
            b"files/a\x7fb",
            b"files/\xe2\x80\xaeevil",
        ] {
            assert_eq!(reason(forged), "contains control characters", "{forged:?}");
        }
        assert_eq!(reason(b"a\xffb"), "not valid UTF-8");
        assert_eq!(reason(b""), "empty");
        assert_eq!(reason(b"dir/"), "directory");
    }

    #[test]
    fn errors_show_names_escaped() {
        let err = check_name(b"x\x1b]0;t\x07").unwrap_err().to_string();
        assert!(!err.contains('\u{1b}') && err.contains("\\u{1b}"), "{err}");
        let err = check_name(b"a\nb\tc").unwrap_err().to_string();
        assert!(
            !err.contains(['\n', '\t']) && err.contains("a\\u{a}b\\u{9}c"),
            "{err}"
        );
    }

    #[test]
    fn ratio_applies_only_past_the_floor() {
        let limits = Limits::default();
        let entry = |size, compressed_size| EntryInfo {
            name: "e".into(),
            size,
            compressed_size,
        };
        assert!(check_size(&entry(1024 * 1024, 1), &limits).is_ok());
        assert!(matches!(
            check_size(&entry(64 * 1024 * 1024, 64 * 1024), &limits),
            Err(ReadError::RatioTooHigh { ratio: 1024, .. })
        ));
        assert!(check_size(&entry(64 * 1024 * 1024, 16 * 1024 * 1024), &limits).is_ok());
    }
}
