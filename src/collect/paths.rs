//! Resolving the paths a spec names: `~/`, relative paths, and `--sysroot`.
//!
//! Conventions, for a spec path `p`, a context with home `H`, cwd `C` and optional sysroot `R`:
//!
//! | spec path  | no sysroot        | sysroot `R`                                   |
//! |------------|-------------------|-----------------------------------------------|
//! | `/etc/x`   | `/etc/x`          | `R/etc/x`                                     |
//! | `~/x`, `~` | `H/x`, `H`        | `R/<H without its leading />/x`               |
//! | `x`        | `<base or C>/x`   | `<base or C>/x` (not re-rooted)               |
//!
//! Under a sysroot the path is normalised lexically (`.` dropped, `..` pops one component) and
//! a `..` that would climb above `R` is refused with [`ResolveError::EscapesSysroot`]. The same
//! check applies to a relative path whose base lies inside `R` (a `from` reference found in a
//! file under the sysroot must not reach outside it). Symlinks are not resolved here; the
//! collectors check the canonical target with [`escapes_sysroot`] before reading.
//!
//! [`display`] maps a resolved path back to how a spec author thinks of it, so a bundle's
//! `source` fields are the same whatever temporary directory a sysroot sits in.

use std::path::{Component, Path, PathBuf};

use super::Context;
use crate::item::Status;

/// Why a spec path could not be turned into a path on this machine.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ResolveError {
    /// A `~/` path, but the run knows no home directory.
    #[error("no home directory is known, so `{0}` cannot be resolved")]
    NoHome(String),
    /// `~user/` paths name another user's home, which the run does not look up.
    #[error("`{0}` names another user's home; only `~/` is supported")]
    OtherUserHome(String),
    /// A `..` climbs out of the sysroot.
    #[error("path escapes sysroot")]
    EscapesSysroot,
    /// The spec path is empty.
    #[error("empty path")]
    Empty,
}

impl ResolveError {
    /// The item status this error is recorded with.
    pub fn status(&self) -> Status {
        match self {
            ResolveError::NoHome(_) => Status::Missing,
            ResolveError::OtherUserHome(_) => Status::Failed,
            ResolveError::EscapesSysroot => Status::Skipped,
            ResolveError::Empty => Status::Failed,
        }
    }
}

/// Resolve a spec path to a path on this machine (see the module doc for the rules).
///
/// `base` replaces the context's cwd for relative paths (a `from` reference resolves against
/// the referring file's directory). Returns an error, never a half-resolved path, when the
/// path cannot be resolved; the error's [`ResolveError::status`] says how to record it.
pub fn resolve(
    spec_path: &str,
    ctx: &Context,
    base: Option<&Path>,
) -> Result<PathBuf, ResolveError> {
    if spec_path.is_empty() {
        return Err(ResolveError::Empty);
    }
    if let Some(rest) = spec_path.strip_prefix('~') {
        if !(rest.is_empty() || rest.starts_with('/')) {
            return Err(ResolveError::OtherUserHome(spec_path.to_string()));
        }
        let home = ctx
            .home
            .as_deref()
            .ok_or_else(|| ResolveError::NoHome(spec_path.to_string()))?;
        let full = home.join(rest.trim_start_matches('/'));
        return match &ctx.sysroot {
            Some(root) => reroot(root, &full),
            None => Ok(full),
        };
    }
    let path = Path::new(spec_path);
    if path.is_absolute() {
        return match &ctx.sysroot {
            Some(root) => reroot(root, path),
            None => Ok(path.to_path_buf()),
        };
    }
    let base = base.unwrap_or(&ctx.cwd);
    match &ctx.sysroot {
        Some(root) if base.starts_with(root) => {
            let rel = base.strip_prefix(root).unwrap_or(base).join(path);
            reroot(root, &rel)
        }
        // `components()` drops `.` segments: `./crashes` reads as `crashes`.
        _ => Ok(base.join(path).components().collect()),
    }
}

/// Join `path` (absolute or relative, read as relative to `/`) under `root`, normalising `.`
/// and `..` lexically and refusing a `..` that climbs above `root`.
fn reroot(root: &Path, path: &Path) -> Result<PathBuf, ResolveError> {
    let mut parts: Vec<&std::ffi::OsStr> = Vec::new();
    for component in path.components() {
        match component {
            Component::Prefix(_) | Component::RootDir | Component::CurDir => {}
            Component::ParentDir => {
                if parts.pop().is_none() {
                    return Err(ResolveError::EscapesSysroot);
                }
            }
            Component::Normal(part) => parts.push(part),
        }
    }
    let mut out = root.to_path_buf();
    out.extend(parts);
    Ok(out)
}

/// Whether `canonical` (the symlink-free form of `path`) has left the sysroot although `path`
/// lies inside it, e.g. through a symlink with an absolute target. Always false without a
/// sysroot, and for paths that were never under it (relative paths resolved against the cwd).
pub fn escapes_sysroot(path: &Path, canonical: &Path, ctx: &Context) -> bool {
    let Some(root) = &ctx.sysroot else {
        return false;
    };
    if !path.starts_with(root) {
        return false;
    }
    let canonical_root = std::fs::canonicalize(root).unwrap_or_else(|_| root.clone());
    !canonical.starts_with(&canonical_root) && !canonical.starts_with(root)
}

/// Where a spec path is read from, as a plan shows it: the resolved path, or why it cannot
/// be resolved.
pub(crate) fn planned(spec_path: &str, ctx: &Context) -> String {
    match resolve(spec_path, ctx, None) {
        Ok(p) => p.to_string_lossy().into_owned(),
        Err(why) => format!("(unresolvable: {why})"),
    }
}

/// Show a resolved path the way the spec author thinks of it, for `source` fields.
///
/// Under the sysroot: the path with the sysroot removed (`/etc/kestrel/config.toml`).
/// Otherwise the longer of the home and cwd prefixes is abbreviated, to `~/...` or `./...`
/// (a prefix that is just `/` is never abbreviated). Anything else is shown as it is.
pub fn display(path: &Path, ctx: &Context) -> String {
    if let Some(root) = &ctx.sysroot
        && let Ok(rest) = path.strip_prefix(root)
    {
        return format!("/{}", rest.to_string_lossy());
    }
    let mut best: Option<(usize, &str, &Path)> = None;
    for (prefix, short) in [(ctx.home.as_deref(), "~"), (Some(ctx.cwd.as_path()), ".")] {
        let Some(prefix) = prefix else { continue };
        if prefix.parent().is_none() || !path.starts_with(prefix) {
            continue;
        }
        let depth = prefix.components().count();
        if best.is_none_or(|(d, _, _)| depth > d) {
            best = Some((depth, short, prefix));
        }
    }
    match best.and_then(|(_, short, prefix)| Some((short, path.strip_prefix(prefix).ok()?))) {
        Some((short, rest)) if rest.as_os_str().is_empty() => short.to_string(),
        Some((short, rest)) => format!("{short}/{}", rest.to_string_lossy()),
        None => path.to_string_lossy().into_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ctx(sysroot: Option<&str>, home: Option<&str>) -> Context {
        Context {
            sysroot: sysroot.map(PathBuf::from),
            home: home.map(PathBuf::from),
            ..crate::collect::testing::context(Path::new("/work/cwd"))
        }
    }

    #[test]
    fn absolute_without_sysroot_is_unchanged() {
        let c = ctx(None, Some("/home/u"));
        assert_eq!(
            resolve("/etc/x.toml", &c, None),
            Ok(PathBuf::from("/etc/x.toml"))
        );
    }

    #[test]
    fn absolute_with_sysroot_is_rerooted_and_normalised() {
        let c = ctx(Some("/tmp/root"), None);
        assert_eq!(
            resolve("/etc/kestrel/./config.toml", &c, None),
            Ok(PathBuf::from("/tmp/root/etc/kestrel/config.toml"))
        );
        assert_eq!(
            resolve("/etc/kestrel/../caddy/Caddyfile", &c, None),
            Ok(PathBuf::from("/tmp/root/etc/caddy/Caddyfile"))
        );
    }

    #[test]
    fn escaping_the_sysroot_is_refused() {
        let c = ctx(Some("/tmp/root"), Some("/home/u"));
        for bad in [
            "/../etc/shadow",
            "/etc/../../etc/shadow",
            "/a/b/../../../x",
            "~/../../../x",
        ] {
            let err = resolve(bad, &c, None).unwrap_err();
            assert_eq!(err, ResolveError::EscapesSysroot, "{bad}");
            assert_eq!(err.status(), Status::Skipped);
            assert_eq!(err.to_string(), "path escapes sysroot");
        }
        // Climbing and coming back down inside the root is fine.
        assert_eq!(
            resolve("/etc/../etc/x", &c, None),
            Ok(PathBuf::from("/tmp/root/etc/x"))
        );
    }

    #[test]
    fn relative_reference_from_inside_sysroot_cannot_escape() {
        let c = ctx(Some("/tmp/root"), None);
        let base = Path::new("/tmp/root/etc/caddy");
        assert_eq!(
            resolve("modules/a.wasm", &c, Some(base)),
            Ok(PathBuf::from("/tmp/root/etc/caddy/modules/a.wasm"))
        );
        assert_eq!(
            resolve("../../../../etc/shadow", &c, Some(base)),
            Err(ResolveError::EscapesSysroot)
        );
    }

    #[test]
    fn home_paths() {
        let c = ctx(None, Some("/home/u"));
        assert_eq!(
            resolve("~/.config/k.toml", &c, None),
            Ok(PathBuf::from("/home/u/.config/k.toml"))
        );
        assert_eq!(resolve("~", &c, None), Ok(PathBuf::from("/home/u")));
        let err = resolve("~bob/x", &c, None).unwrap_err();
        assert_eq!(err.status(), Status::Failed);
        let no_home = ctx(None, None);
        let err = resolve("~/x", &no_home, None).unwrap_err();
        assert_eq!(err.status(), Status::Missing);
        assert!(err.to_string().contains("`~/x`"), "{err}");
    }

    #[test]
    fn home_with_sysroot_goes_under_sysroot() {
        let c = ctx(Some("/tmp/root"), Some("/home/u"));
        assert_eq!(
            resolve("~/x/y", &c, None),
            Ok(PathBuf::from("/tmp/root/home/u/x/y"))
        );
    }

    #[test]
    fn dot_segments_of_relative_paths_are_dropped() {
        let c = ctx(None, None);
        assert_eq!(
            resolve("./crashes", &c, None),
            Ok(PathBuf::from("/work/cwd/crashes"))
        );
        assert_eq!(resolve(".", &c, None), Ok(PathBuf::from("/work/cwd")));
        // `..` stays: lexically dropping it would be wrong across symlinks.
        assert_eq!(
            resolve("../x", &c, None),
            Ok(PathBuf::from("/work/cwd/../x"))
        );
    }

    #[test]
    fn relative_paths_use_base_or_cwd_even_with_sysroot() {
        let c = ctx(Some("/tmp/root"), None);
        assert_eq!(
            resolve("events.log", &c, None),
            Ok(PathBuf::from("/work/cwd/events.log"))
        );
        assert_eq!(
            resolve("x/events.log", &c, Some(Path::new("/srv"))),
            Ok(PathBuf::from("/srv/x/events.log"))
        );
        assert_eq!(resolve("", &c, None), Err(ResolveError::Empty));
    }

    #[test]
    fn display_strips_sysroot_and_abbreviates() {
        let c = ctx(Some("/tmp/root"), Some("/home/u"));
        assert_eq!(
            display(Path::new("/tmp/root/etc/k/config.toml"), &c),
            "/etc/k/config.toml"
        );
        assert_eq!(display(Path::new("/tmp/root"), &c), "/");
        let c = ctx(None, Some("/home/u"));
        assert_eq!(display(Path::new("/home/u/.config/x"), &c), "~/.config/x");
        assert_eq!(display(Path::new("/work/cwd/a.log"), &c), "./a.log");
        assert_eq!(display(Path::new("/etc/passwd"), &c), "/etc/passwd");
        // The deeper prefix wins when the cwd lies inside home.
        let mut c = ctx(None, Some("/work"));
        c.cwd = PathBuf::from("/work/cwd");
        assert_eq!(display(Path::new("/work/cwd/a"), &c), "./a");
        assert_eq!(display(Path::new("/work/other"), &c), "~/other");
        // A root cwd is never abbreviated.
        c.cwd = PathBuf::from("/");
        assert_eq!(display(Path::new("/etc/x"), &c), "/etc/x");
    }

    #[test]
    fn display_of_resolved_path_is_what_the_spec_said() {
        let c = ctx(Some("/tmp/some-tempdir/root"), None);
        for p in ["/etc/kestrel/config.toml", "/var/log/caddy/access.log"] {
            let r = resolve(p, &c, None).unwrap();
            assert_eq!(display(&r, &c), p);
        }
    }
}
