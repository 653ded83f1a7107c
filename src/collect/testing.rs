//! Contexts for the collectors' unit tests (compiled for tests only).
//!
//! Every test context gives the collectors a minute before the deadline and the built-in
//! denylist; they differ only in where paths resolve and whether commands can be found.

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use super::Context;

/// A context with no sysroot and no home: relative paths resolve against `cwd` and commands
/// are found in the test process's own `PATH`.
pub(crate) fn context(cwd: &Path) -> Context {
    Context {
        sysroot: None,
        cwd: cwd.to_path_buf(),
        home: None,
        path_env: std::env::var_os("PATH"),
        deadline: Instant::now() + Duration::from_secs(60),
        deny: Default::default(),
    }
}

/// A context rooted in `root`: `root/sys` is the sysroot, `root/cwd` the working directory and
/// `root/home` the home directory; no `PATH`, since nothing here runs a command.
pub(crate) fn sysroot_context(root: &Path) -> Context {
    Context {
        sysroot: Some(root.join("sys")),
        home: Some(root.join("home")),
        path_env: None,
        ..context(&root.join("cwd"))
    }
}

/// A tempdir holding the `sys`, `cwd` and `home` directories of [`sysroot_context`], and that
/// context (tests may change it, e.g. its denylist).
pub(crate) struct SysrootTree {
    /// Owns the directories.
    pub(crate) tmp: tempfile::TempDir,
    /// The context rooted in them.
    pub(crate) ctx: Context,
}

impl SysrootTree {
    /// A fresh tree with the three directories created.
    pub(crate) fn new() -> SysrootTree {
        let tmp = tempfile::tempdir().unwrap();
        for dir in ["sys", "cwd", "home"] {
            fs::create_dir_all(tmp.path().join(dir)).unwrap();
        }
        let ctx = sysroot_context(tmp.path());
        SysrootTree { tmp, ctx }
    }

    /// Where `rel` (a spec's absolute path without its leading `/`) lands below the sysroot.
    pub(crate) fn sys(&self, rel: &str) -> PathBuf {
        self.tmp.path().join("sys").join(rel)
    }

    /// Write a file below the sysroot, creating its parents; returns its path.
    pub(crate) fn write(&self, rel: &str, data: &[u8]) -> PathBuf {
        let path = self.sys(rel);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(&path, data).unwrap();
        path
    }

    /// [`SysrootTree::write`], then set the file's mode.
    pub(crate) fn write_mode(&self, rel: &str, data: &[u8], mode: u32) {
        let path = self.write(rel, data);
        fs::set_permissions(&path, fs::Permissions::from_mode(mode)).unwrap();
    }

    /// Create a directory below the sysroot (and its parents) with `mode`.
    pub(crate) fn mkdir(&self, rel: &str, mode: u32) {
        let path = self.sys(rel);
        fs::create_dir_all(&path).unwrap();
        fs::set_permissions(&path, fs::Permissions::from_mode(mode)).unwrap();
    }
}
