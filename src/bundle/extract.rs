//! `extract BUNDLE --to DIR`: write every entry under DIR, and nowhere else.
//!
//! Names were checked by the reader (relative, no `..`), and on top of that every directory on
//! the way is created here or must already be a real directory (never a symlink), and each
//! file is opened with `O_NOFOLLOW | O_CREAT | O_EXCL`, so nothing planted in DIR can redirect a
//! write. The zip's relative layout is kept as is, and binary items (WASM modules, crash
//! dumps) are written byte for byte, so the project's own tools can replay them. Each file is
//! hashed as it is written and compared with the manifest.

use std::fs::{self, OpenOptions};
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};

use serde::Serialize;

use super::reader::{Bundle, ReadError};

/// Why extraction stopped.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ExtractError {
    /// The bundle could not be read.
    #[error(transparent)]
    Read(#[from] ReadError),
    /// `manifest.json` is missing, unparseable or too large, so no entry could be checked.
    #[error("{0}; without a readable manifest no entry can be checked, so nothing was extracted")]
    NoManifest(#[source] ReadError),
    /// DIR holds files and `--force` was not given.
    #[error("`{0}` is not empty; pass --force to extract into it anyway")]
    NotEmpty(PathBuf),
    /// Something in DIR is in the way (a symlink or a file where a directory goes).
    #[error("refusing to write through `{path}`: {reason}")]
    Blocked {
        /// The path in the way.
        path: PathBuf,
        /// What it is.
        reason: &'static str,
    },
    /// Writing failed.
    #[error("cannot write `{path}`: {source}")]
    Io {
        /// Where.
        path: PathBuf,
        /// The cause.
        source: io::Error,
    },
}

/// What was extracted.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Extracted {
    /// Every entry written, by zip path.
    pub files: Vec<String>,
    /// Binary items (stored as-is), by zip path.
    pub binary: Vec<String>,
    /// Entries whose content does not match the manifest (the bundle was altered).
    pub mismatched: Vec<String>,
}

/// Extract `bundle` into `dir` (created when absent).
///
/// A bundle whose `manifest.json` cannot be read is refused before anything is written: every
/// entry would come out unverified, and exit 0 would claim otherwise.
pub fn extract(bundle: &mut Bundle, dir: &Path, force: bool) -> Result<Extracted, ExtractError> {
    let (manifest, _) = bundle.manifest().map_err(ExtractError::NoManifest)?;
    let io_err = |path: &Path| {
        let path = path.to_path_buf();
        move |source| ExtractError::Io { path, source }
    };
    fs::create_dir_all(dir).map_err(io_err(dir))?;
    let meta = fs::symlink_metadata(dir).map_err(io_err(dir))?;
    if !meta.is_dir() {
        return Err(ExtractError::Blocked {
            path: dir.to_path_buf(),
            reason: "not a directory",
        });
    }
    if !force && fs::read_dir(dir).map_err(io_err(dir))?.next().is_some() {
        return Err(ExtractError::NotEmpty(dir.to_path_buf()));
    }
    let names: Vec<String> = bundle.entries().iter().map(|e| e.name.clone()).collect();
    let mut out = Extracted::default();
    for name in names {
        let target = prepare(dir, &name)?;
        let sha = write_entry(bundle, &name, &target)?;
        let expected = manifest.files.get(&name).map(|f| f.sha256.as_str());
        if name != "manifest.json" && expected != Some(sha.as_str()) {
            out.mismatched.push(name.clone());
        }
        out.files.push(name);
    }
    out.binary = manifest
        .items
        .iter()
        .filter(|i| i.binary)
        .filter_map(|i| i.path.clone())
        .collect();
    Ok(out)
}

/// Create the directories leading to `name` under `dir` and clear the way for the file.
fn prepare(dir: &Path, name: &str) -> Result<PathBuf, ExtractError> {
    let parts: Vec<&str> = name.split('/').collect();
    let mut path = dir.to_path_buf();
    for part in &parts[..parts.len() - 1] {
        path.push(part);
        match fs::symlink_metadata(&path) {
            Ok(m) if m.is_dir() => {}
            Ok(m) => {
                return Err(ExtractError::Blocked {
                    path,
                    reason: if m.file_type().is_symlink() {
                        "a symlink where a directory goes"
                    } else {
                        "a file where a directory goes"
                    },
                });
            }
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                fs::create_dir(&path).map_err(|source| ExtractError::Io {
                    path: path.clone(),
                    source,
                })?;
            }
            Err(source) => return Err(ExtractError::Io { path, source }),
        }
    }
    path.push(parts[parts.len() - 1]);
    match fs::symlink_metadata(&path) {
        Ok(m) if m.is_dir() => Err(ExtractError::Blocked {
            path,
            reason: "a directory where a file goes",
        }),
        // Unlinking removes a planted symlink itself, never its target.
        Ok(_) => fs::remove_file(&path)
            .map(|()| path.clone())
            .map_err(|source| ExtractError::Io { path, source }),
        Err(_) => Ok(path),
    }
}

/// Stream one entry to `target`; returns the sha256 of what was written.
fn write_entry(bundle: &mut Bundle, name: &str, target: &Path) -> Result<String, ExtractError> {
    use sha2::Digest;
    let io_err = |source| ExtractError::Io {
        path: target.to_path_buf(),
        source,
    };
    let mut options = OpenOptions::new();
    options.write(true).create_new(true);
    // On Windows `create_new` alone refuses an existing path, link or not; permission bits
    // do not exist there (the directory's ACL applies).
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o644).custom_flags(libc::O_NOFOLLOW);
    }
    let mut file = options.open(target).map_err(io_err)?;
    let mut reader = bundle.open_entry(name)?;
    let mut hasher = sha2::Sha256::new();
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let n = match reader.read(&mut buf) {
            Ok(n) => n,
            Err(e) => {
                let err = reader.error(e);
                drop(file);
                // A half-written file must not pass for the entry.
                let _ = fs::remove_file(target);
                return Err(err.into());
            }
        };
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
        file.write_all(&buf[..n]).map_err(io_err)?;
    }
    file.sync_all().map_err(io_err)?;
    let digest: [u8; 32] = hasher.finalize().into();
    Ok(hex::encode(digest))
}
