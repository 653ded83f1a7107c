//! Writing a file atomically: into a temp file in the target's directory, fsync'd, renamed
//! over the target, then the directory fsync'd, so no half-written file ever sits at the final
//! path. Every file this crate writes (bundle, issue body, redaction report, man pages) goes
//! through here, with the mode its caller chooses: [`PRIVATE`] for what holds a user's
//! (redacted) environment, [`PUBLIC`] for what anyone may read (man pages).
//!
//! Temp files are registered while they are written ([`in_flight`]): `process::exit` runs no
//! destructors, so a signal handler would otherwise leave them behind, and could not tell
//! whether a bundle's rename into place already happened.

use std::fs::File;
use std::io::{self, Write};
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

/// Owner read/write only, like `sos` reports: bundles, issue bodies, redaction reports. Even
/// redacted, they describe the user's machine, and the user decides whom to show them.
pub const PRIVATE: u32 = 0o600;

/// Readable by everyone: documentation such as man pages.
pub const PUBLIC: u32 = 0o644;

/// Create `path` atomically with `data` and permission bits `mode` ([`PRIVATE`], [`PUBLIC`]).
pub fn write(path: &Path, data: &[u8], mode: u32) -> io::Result<()> {
    write_with(path, mode, |e| e, |file| file.write_all(data))
}

/// Create `path` atomically with what `fill` writes into the (seekable) temp file; I/O errors
/// of the temp file itself go through `io_err`.
pub(crate) fn write_with<E>(
    path: &Path,
    mode: u32,
    io_err: impl Fn(io::Error) -> E,
    fill: impl FnOnce(&mut File) -> Result<(), E>,
) -> Result<(), E> {
    write_tracked(path, mode, false, io_err, fill)
}

/// Like [`write_with`], and once renamed into place `path` is listed by
/// [`in_flight::abandon`] as written (for a bundle: the handler says it exists).
pub(crate) fn write_announced<E>(
    path: &Path,
    mode: u32,
    io_err: impl Fn(io::Error) -> E,
    fill: impl FnOnce(&mut File) -> Result<(), E>,
) -> Result<(), E> {
    write_tracked(path, mode, true, io_err, fill)
}

fn write_tracked<E>(
    path: &Path,
    mode: u32,
    announce: bool,
    io_err: impl Fn(io::Error) -> E,
    fill: impl FnOnce(&mut File) -> Result<(), E>,
) -> Result<(), E> {
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    // `.support-bundle-XXXX.zip.tmp`: the final extension shows what was being written.
    let suffix = match path.extension() {
        Some(ext) => format!(".{}.tmp", ext.to_string_lossy()),
        None => ".tmp".to_string(),
    };
    let mut temp = tempfile::Builder::new()
        .prefix(".support-bundle-")
        .suffix(&suffix)
        .tempfile_in(dir)
        .map_err(&io_err)?;
    let tracked = in_flight::Tracked::new(temp.path());
    fill(temp.as_file_mut())?;
    // Set on the temp file, so the final path never exists with other permissions.
    temp.as_file()
        .set_permissions(std::fs::Permissions::from_mode(mode))
        .map_err(&io_err)?;
    temp.as_file().sync_all().map_err(&io_err)?;
    tracked
        .persist(temp, path, announce)
        .map_err(|e| io_err(e.error))?;
    if let Ok(dir) = File::open(dir) {
        // Make the rename itself durable; not fatal where directories cannot be synced.
        let _ = dir.sync_all();
    }
    Ok(())
}

/// Files in the middle of being written, for a signal handler.
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
        /// either the temp file or the finished file, never neither.
        pub(super) fn persist(
            &self,
            temp: NamedTempFile,
            path: &Path,
            announce: bool,
        ) -> Result<(), PersistError> {
            let mut state = state();
            temp.persist(path)?;
            if announce {
                state.written.push(path.to_path_buf());
            }
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
        /// Temp files of unfinished writes, now removed.
        pub removed: Vec<PathBuf>,
        /// Bundles this process finished writing.
        pub written: Vec<PathBuf>,
    }

    /// Remove the temp files of writes still in progress and list the bundles already
    /// written. The registry stays locked afterwards, so nothing is renamed into place
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
    use super::*;

    #[test]
    fn replaces_the_file_whole_with_the_mode_asked_and_leaves_no_temp_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("out.txt");
        std::fs::write(&path, "old content that is longer").unwrap();
        for mode in [PRIVATE, PUBLIC] {
            write(&path, b"new\n", mode).unwrap();
            assert_eq!(std::fs::read(&path).unwrap(), b"new\n");
            let got = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(got & 0o777, mode);
            assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
        }
    }

    #[test]
    fn a_failing_fill_leaves_the_target_untouched() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("out.txt");
        std::fs::write(&path, "kept").unwrap();
        let err = write_with(&path, PRIVATE, |e| e, |_| Err(io::Error::other("boom"))).unwrap_err();
        assert_eq!(err.to_string(), "boom");
        assert_eq!(std::fs::read(&path).unwrap(), b"kept");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    #[test]
    fn a_missing_directory_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        assert!(write(&dir.path().join("no/such/dir/f"), b"x", PRIVATE).is_err());
    }
}
