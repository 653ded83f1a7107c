//! Writing a file atomically: into a temp file in the target's directory, fsync'd, renamed
//! over the target, then the directory fsync'd, so no half-written file ever sits at the final
//! path. Every file this crate writes (bundle, issue body, redaction report, man pages) goes
//! through here, with the mode its caller chooses: [`PRIVATE`] for what holds a user's
//! (redacted) environment, [`PUBLIC`] for what anyone may read (man pages).
//!
//! Temp files are registered while they are written ([`in_flight`]): `process::exit` runs no
//! destructors, so a signal handler would otherwise leave them behind, and could not tell
//! whether a bundle's rename into place already happened. Temporary directories a run owns
//! (`replay`'s extraction) are registered for the same reason ([`temp_dirs`]).

use std::fs::File;
use std::io::{self, Write};
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
    write_tracked(path, mode, false, true, io_err, fill)
}

/// Like [`write_with`], but never over an existing `path`: one that appeared while the temp
/// file was filled (a second writer, say) is an `AlreadyExists` error and stays as it is.
pub(crate) fn write_new<E>(
    path: &Path,
    mode: u32,
    io_err: impl Fn(io::Error) -> E,
    fill: impl FnOnce(&mut File) -> Result<(), E>,
) -> Result<(), E> {
    write_tracked(path, mode, false, false, io_err, fill)
}

/// Like [`write_with`], and once renamed into place `path` is listed by
/// [`in_flight::abandon`] as written (for a bundle: the handler says it exists).
pub(crate) fn write_announced<E>(
    path: &Path,
    mode: u32,
    io_err: impl Fn(io::Error) -> E,
    fill: impl FnOnce(&mut File) -> Result<(), E>,
) -> Result<(), E> {
    write_tracked(path, mode, true, true, io_err, fill)
}

fn write_tracked<E>(
    path: &Path,
    mode: u32,
    announce: bool,
    replace: bool,
    io_err: impl Fn(io::Error) -> E,
    fill: impl FnOnce(&mut File) -> Result<(), E>,
) -> Result<(), E> {
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    // `.support-bundle-PID-XXXX.zip.tmp`: the final extension shows what was being written,
    // the pid whose run it was (see [`remove_stale`]).
    let suffix = match path.extension() {
        Some(ext) => format!(".{}.tmp", ext.to_string_lossy()),
        None => ".tmp".to_string(),
    };
    let prefix = format!("{TEMP_PREFIX}{}-", std::process::id());
    let (mut temp, tracked) = in_flight::Tracked::create(dir, &prefix, &suffix).map_err(&io_err)?;
    fill(temp.as_file_mut())?;
    set_mode(temp.as_file(), mode).map_err(&io_err)?;
    temp.as_file().sync_all().map_err(&io_err)?;
    tracked
        .persist(temp, path, announce, replace)
        .map_err(|e| io_err(e.error))?;
    if let Ok(dir) = File::open(dir) {
        // Make the rename itself durable; not fatal where directories cannot be synced.
        let _ = dir.sync_all();
    }
    Ok(())
}

/// Give the temp file its permission bits, so the final path never exists with other ones.
#[cfg(unix)]
fn set_mode(file: &File, mode: u32) -> io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    file.set_permissions(std::fs::Permissions::from_mode(mode))
}

/// Permission bits mean nothing on Windows: who may read a file is its ACL, inherited from
/// the directory (a user's profile is private to them), which this crate leaves alone.
#[cfg(not(unix))]
fn set_mode(_file: &File, _mode: u32) -> io::Result<()> {
    Ok(())
}

/// How every temp file's name starts.
const TEMP_PREFIX: &str = ".support-bundle-";

/// A temp file this old is stale whoever wrote it: a live writer touches its file far more
/// often, and a pid can be reused.
const STALE_AFTER: std::time::Duration = std::time::Duration::from_secs(15 * 60);

/// Remove the temp files in `dir` that a killed run left behind (`SIGKILL` runs no handler),
/// and list them. A temp file is stale when the process named in it is gone, or when it has
/// not been written for `STALE_AFTER` (15 minutes); a live run's temp file (another `collect` into the
/// same directory) is left alone. Best effort: what cannot be read or removed is skipped.
pub fn remove_stale(dir: &Path) -> Vec<std::path::PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut removed = Vec::new();
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(rest) = name
            .to_str()
            .and_then(|n| n.strip_prefix(TEMP_PREFIX))
            .filter(|n| n.ends_with(".tmp"))
        else {
            continue;
        };
        let Ok(meta) = entry.path().symlink_metadata() else {
            continue;
        };
        if !meta.is_file() {
            continue;
        }
        let owner = rest
            .split_once('-')
            .and_then(|(pid, _)| pid.parse::<i32>().ok());
        let owner_gone = owner.is_some_and(|pid| pid != own_pid() && !alive(pid));
        let old = meta
            .modified()
            .ok()
            .and_then(|m| m.elapsed().ok())
            .is_some_and(|age| age > STALE_AFTER);
        if (owner_gone || old) && std::fs::remove_file(entry.path()).is_ok() {
            removed.push(entry.path());
        }
    }
    removed.sort();
    removed
}

fn own_pid() -> i32 {
    i32::try_from(std::process::id()).unwrap_or(i32::MAX)
}

/// Whether process `pid` exists (one of another user's counts: `EPERM`).
#[cfg(unix)]
fn alive(pid: i32) -> bool {
    if pid <= 0 {
        return true;
    }
    match nix::sys::signal::kill(nix::unistd::Pid::from_raw(pid), None) {
        Ok(()) => true,
        Err(e) => e != nix::errno::Errno::ESRCH,
    }
}

/// Whether process `pid` exists: always assumed on Windows, where the standard library cannot
/// look a process up by id; a killed run's temp file is then removed once it is old.
#[cfg(not(unix))]
fn alive(_pid: i32) -> bool {
    true
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
        /// Create a temp file in `dir` and register it, under the lock [`abandon`] takes: a
        /// handler either sees the file registered or runs before it exists.
        pub(super) fn create(
            dir: &Path,
            prefix: &str,
            suffix: &str,
        ) -> std::io::Result<(NamedTempFile, Tracked)> {
            let mut state = state();
            let temp = tempfile::Builder::new()
                .prefix(prefix)
                .suffix(suffix)
                .tempfile_in(dir)?;
            state.temp.push(temp.path().to_path_buf());
            let tracked = Tracked(temp.path().to_path_buf());
            Ok((temp, tracked))
        }

        /// Rename `temp` to `path` under the lock [`abandon`] takes, so a handler sees
        /// either the temp file or the finished file, never neither.
        pub(super) fn persist(
            &self,
            temp: NamedTempFile,
            path: &Path,
            announce: bool,
            replace: bool,
        ) -> Result<(), PersistError> {
            let mut state = state();
            if replace {
                temp.persist(path)?;
            } else {
                temp.persist_noclobber(path)?;
            }
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

pub mod temp_dirs {
    //! Temporary directories a run owns, for a signal handler.
    //!
    //! A `tempfile::TempDir` removes itself when dropped, but `process::exit` (how the signal
    //! handler ends the process) runs no destructors: an interrupted `replay` would leave the
    //! bundle's extracted files (redacted, but still the user's) in the system's temp
    //! directory. A directory made by [`create`] is registered until its [`TempDir`] is
    //! dropped, which removes it; the handler calls [`hold`] and then [`Held::remove_all`]
    //! for those still there.

    use std::path::{Path, PathBuf};
    use std::sync::{Mutex, MutexGuard};

    static DIRS: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());

    fn dirs() -> MutexGuard<'static, Vec<PathBuf>> {
        // A panic elsewhere while holding the lock leaves the list itself intact.
        DIRS.lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// A private (`0700` on Unix) directory in the system's temp directory (`TMPDIR`),
    /// registered while it exists; dropping it removes it and its contents.
    #[derive(Debug)]
    pub struct TempDir {
        // Always `Some` until dropped.
        dir: Option<tempfile::TempDir>,
        path: PathBuf,
    }

    /// Create a directory named `prefix` plus random characters and register it, under the
    /// lock [`hold`] takes: a handler either sees it registered or runs before it exists.
    pub fn create(prefix: &str) -> std::io::Result<TempDir> {
        let mut dirs = dirs();
        let dir = tempfile::Builder::new().prefix(prefix).tempdir()?;
        let path = dir.path().to_path_buf();
        dirs.push(path.clone());
        Ok(TempDir {
            dir: Some(dir),
            path,
        })
    }

    impl TempDir {
        /// Where it is.
        pub fn path(&self) -> &Path {
            &self.path
        }
    }

    impl Drop for TempDir {
        /// Remove the directory and unregister it under the lock, so a handler finds it
        /// either registered and whole, or gone.
        fn drop(&mut self) {
            let mut dirs = dirs();
            drop(self.dir.take());
            dirs.retain(|p| p != &self.path);
        }
    }

    /// What is registered now.
    #[cfg(test)]
    pub(super) fn registered() -> Vec<PathBuf> {
        dirs().clone()
    }

    /// The registry, locked for the rest of the process (see [`hold`]).
    pub struct Held(MutexGuard<'static, Vec<PathBuf>>);

    /// What [`Held::remove_all`] did.
    #[derive(Debug, Clone, Default, PartialEq, Eq)]
    pub struct Removed {
        /// Directories removed.
        pub removed: Vec<PathBuf>,
        /// Directories that could not be removed (still there, maybe in part).
        pub failed: Vec<PathBuf>,
    }

    /// Lock the registry for good: from now on no directory is created, and the owner of one
    /// blocks when it drops it, so none goes away or appears behind the handler's back (nor
    /// does the owner's thread get past it to end the process with its own status). Call this
    /// only on the way out of the process (a signal handler), before stopping what may still
    /// write into the directories, then [`Held::remove_all`].
    pub fn hold() -> Held {
        Held(dirs())
    }

    impl Held {
        /// Remove every registered directory with its contents. Best effort, and never
        /// panics: a directory that cannot be removed is listed in [`Removed::failed`].
        pub fn remove_all(self) -> Removed {
            let mut found = Removed::default();
            for dir in self.0.iter() {
                if remove(dir) {
                    found.removed.push(dir.clone());
                } else {
                    found.failed.push(dir.clone());
                }
            }
            // Keep the lock until the process ends (see `hold`).
            std::mem::forget(self);
            found
        }
    }

    /// Remove `dir`, trying again a few times: a thread of this process that was still
    /// writing into it (an extraction) may have added entries while it was being removed.
    fn remove(dir: &Path) -> bool {
        for _ in 0..3 {
            match std::fs::remove_dir_all(dir) {
                Ok(()) => return true,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => return true,
                Err(_) => {}
            }
        }
        !dir.exists()
    }
}

#[cfg(test)]
mod tests {
    use std::os::unix::fs::PermissionsExt;

    use super::*;

    #[test]
    fn write_new_leaves_a_file_that_appeared_while_it_wrote() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("out.zip");
        let err = write_new(
            &path,
            PRIVATE,
            |e| e,
            |file| {
                // Another writer gets there first, while this one is still filling its temp file.
                std::fs::write(&path, "theirs").unwrap();
                file.write_all(b"ours")
            },
        )
        .unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::AlreadyExists);
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "theirs");
        let left: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
        assert_eq!(left.len(), 1, "no temp file left");
        // Where nothing is in the way it writes as `write_with` does.
        let fresh = dir.path().join("fresh.zip");
        write_new(&fresh, PRIVATE, |e| e, |file| file.write_all(b"ours")).unwrap();
        assert_eq!(std::fs::read_to_string(&fresh).unwrap(), "ours");
    }

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
    fn temp_files_of_dead_runs_are_removed_and_live_ones_kept() {
        let dir = tempfile::tempdir().unwrap();
        // A pid far above any pid_max in use is a process that does not exist.
        let dead = dir.path().join(".support-bundle-2147483000-abc.zip.tmp");
        let live = dir.path().join(format!(
            ".support-bundle-{}-abc.zip.tmp",
            std::process::id()
        ));
        let other = dir.path().join("kept.zip");
        for p in [&dead, &live, &other] {
            std::fs::write(p, "x").unwrap();
        }
        assert_eq!(remove_stale(dir.path()), vec![dead.clone()]);
        assert!(!dead.exists() && live.exists() && other.exists());
    }

    #[test]
    fn a_temp_dir_is_registered_until_dropped_and_dropping_removes_it() {
        let dir = temp_dirs::create("support-bundle-test-").unwrap();
        let path = dir.path().to_path_buf();
        std::fs::write(path.join("f"), "x").unwrap();
        assert!(temp_dirs::registered().contains(&path));
        drop(dir);
        assert!(!path.exists());
        assert!(!temp_dirs::registered().contains(&path));
    }

    #[test]
    fn a_missing_directory_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        assert!(write(&dir.path().join("no/such/dir/f"), b"x", PRIVATE).is_err());
    }
}
