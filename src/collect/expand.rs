//! Expanding a `file` item's glob into the files it matches.
//!
//! Conventions:
//! - A spec path is a glob when it holds any of `*?[{`. The components before the first one
//!   holding a metacharacter form the walk root, resolved like any spec path (`~/`, sysroot,
//!   cwd); the rest is matched against paths relative to that root, with `/` separators, `*`
//!   staying inside one directory and `**` crossing any number.
//! - The walk is bounded: [`MAX_DEPTH`] directory levels below the root, [`MAX_VISITED`]
//!   entries looked at, [`MAX_MATCHES`] matches kept (the first ones in sorted order), and the
//!   walk stops at the run deadline.
//! - Directories never match (a glob collects files), symlinked directories are not
//!   descended into (no loops, no leaving the tree), and directories on the never-collect list
//!   are not entered. Unreadable subdirectories are passed over.
//! - Matches are sorted by their relative path, component by component, so the order is the
//!   same on every machine.

use std::io;
use std::path::{Path, PathBuf};
use std::time::Instant;

use globset::GlobBuilder;

use super::{Context, paths};

/// How many directory levels below the walk root are searched.
pub(super) const MAX_DEPTH: usize = 8;
/// How many matches are kept.
pub(super) const MAX_MATCHES: usize = 1000;
/// How many directory entries the walk looks at before giving up.
pub(super) const MAX_VISITED: usize = 100_000;

/// Whether a spec path is a glob.
pub(super) fn is_glob(spec_path: &str) -> bool {
    spec_path.contains(['*', '?', '[', '{'])
}

/// What a glob expanded to.
#[derive(Debug)]
pub(super) struct Expansion {
    /// The resolved walk root.
    pub root: PathBuf,
    /// Matching paths relative to `root`, sorted, at most [`MAX_MATCHES`].
    pub matches: Vec<PathBuf>,
    /// More matches existed than were kept, or the walk stopped at [`MAX_VISITED`].
    pub cut: bool,
}

/// Why a glob could not be expanded.
#[derive(Debug)]
pub(super) enum ExpandError {
    /// The literal prefix did not resolve.
    Resolve(paths::ResolveError),
    /// The pattern part is not a valid glob.
    Pattern(globset::Error),
    /// The walk root could not be read.
    Root(io::Error),
}

/// Expand `spec_path` (a glob, see [`is_glob`]).
pub(super) fn expand(
    spec_path: &str,
    ctx: &Context,
    base: Option<&Path>,
) -> Result<Expansion, ExpandError> {
    let parts: Vec<&str> = spec_path.split('/').collect();
    let first_glob = parts.iter().position(|p| is_glob(p)).unwrap_or(parts.len());
    let prefix = parts[..first_glob].join("/");
    let prefix = match prefix.as_str() {
        "" if spec_path.starts_with('/') => "/".to_string(),
        "" => ".".to_string(),
        _ => prefix,
    };
    let pattern = parts[first_glob..].join("/");
    let root = paths::resolve(&prefix, ctx, base).map_err(ExpandError::Resolve)?;
    let matcher = GlobBuilder::new(&pattern)
        .literal_separator(true)
        .build()
        .map_err(ExpandError::Pattern)?
        .compile_matcher();

    let mut matches = Vec::new();
    let mut visited = 0usize;
    let mut cut = false;
    // Depth-first with an explicit stack; the sort below fixes the order.
    let mut stack: Vec<(PathBuf, usize)> = vec![(PathBuf::new(), 0)];
    let mut first = true;
    while let Some((rel, depth)) = stack.pop() {
        let dir = root.join(&rel);
        let entries = match std::fs::read_dir(&dir) {
            Ok(entries) => entries,
            Err(e) if first && e.kind() != io::ErrorKind::NotFound => {
                return Err(ExpandError::Root(e));
            }
            Err(_) => {
                first = false;
                continue;
            }
        };
        first = false;
        for entry in entries.flatten() {
            visited += 1;
            if visited > MAX_VISITED || Instant::now() >= ctx.deadline {
                cut = true;
                break;
            }
            let child = rel.join(entry.file_name());
            let Ok(kind) = entry.file_type() else {
                continue;
            };
            if kind.is_dir() {
                let full = root.join(&child);
                let denied = ctx.deny.check_dir(&full).is_some()
                    || ctx
                        .deny
                        .check_dir(Path::new(&paths::display(&full, ctx)))
                        .is_some();
                if depth < MAX_DEPTH && !denied {
                    stack.push((child, depth + 1));
                }
            } else if matcher.is_match(&child) {
                matches.push(child);
            }
        }
        if cut {
            break;
        }
    }
    matches.sort();
    if matches.len() > MAX_MATCHES {
        matches.truncate(MAX_MATCHES);
        cut = true;
    }
    Ok(Expansion { root, matches, cut })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::collect::testing::sysroot_context;
    use std::fs;

    fn touch(path: &Path) {
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(path, b"x\n").unwrap();
    }

    fn rels(e: &Expansion) -> Vec<String> {
        e.matches
            .iter()
            .map(|p| p.to_string_lossy().into_owned())
            .collect()
    }

    #[test]
    fn detects_globs() {
        assert!(is_glob("/var/log/*.log"));
        assert!(is_glob("a/{x,y}.toml"));
        assert!(is_glob("file?.txt"));
        assert!(!is_glob("/etc/kestrel/config.toml"));
    }

    #[test]
    fn expands_under_sysroot_sorted_and_files_only() {
        let tmp = tempfile::tempdir().unwrap();
        let c = sysroot_context(tmp.path());
        let logs = tmp.path().join("sys/var/log/kestrel");
        for name in ["b.log", "a.log", "c.txt", "sub/d.log"] {
            touch(&logs.join(name));
        }
        fs::create_dir_all(logs.join("dir.log")).unwrap();
        let e = expand("/var/log/kestrel/*.log", &c, None).unwrap();
        assert_eq!(e.root, logs);
        assert_eq!(rels(&e), ["a.log", "b.log"]);
        assert!(!e.cut);
        let e = expand("/var/log/kestrel/**/*.log", &c, None).unwrap();
        assert_eq!(rels(&e), ["a.log", "b.log", "sub/d.log"]);
    }

    #[test]
    fn relative_and_home_globs() {
        let tmp = tempfile::tempdir().unwrap();
        let mut c = sysroot_context(tmp.path());
        c.sysroot = None;
        touch(&tmp.path().join("cwd/events-1.log"));
        touch(&tmp.path().join("home/.config/k/a.toml"));
        assert_eq!(
            rels(&expand("events-?.log", &c, None).unwrap()),
            ["events-1.log"]
        );
        assert_eq!(
            rels(&expand("~/.config/*/*.toml", &c, None).unwrap()),
            ["k/a.toml"]
        );
    }

    #[test]
    fn missing_root_gives_no_matches_and_bad_pattern_errors() {
        let tmp = tempfile::tempdir().unwrap();
        let c = sysroot_context(tmp.path());
        let e = expand("/nowhere/*.log", &c, None).unwrap();
        assert!(e.matches.is_empty());
        assert!(matches!(
            expand("/x/[a.log", &c, None),
            Err(ExpandError::Pattern(_))
        ));
        assert!(matches!(
            expand("/../*.log", &c, None),
            Err(ExpandError::Resolve(_))
        ));
    }

    #[test]
    fn depth_and_match_caps() {
        let tmp = tempfile::tempdir().unwrap();
        let c = sysroot_context(tmp.path());
        let base = tmp.path().join("sys/deep");
        let mut p = base.clone();
        for i in 0..10 {
            p = p.join(format!("d{i}"));
            touch(&p.join("f.log"));
        }
        let e = expand("/deep/**/f.log", &c, None).unwrap();
        // Files in the root's children up to MAX_DEPTH levels down.
        assert_eq!(e.matches.len(), MAX_DEPTH);
        let many = tmp.path().join("sys/many");
        fs::create_dir_all(&many).unwrap();
        for i in 0..MAX_MATCHES + 5 {
            fs::write(many.join(format!("{i:05}.log")), b"").unwrap();
        }
        let e = expand("/many/*.log", &c, None).unwrap();
        assert_eq!(e.matches.len(), MAX_MATCHES);
        assert!(e.cut);
        assert_eq!(e.matches[0], Path::new("00000.log"));
    }

    #[test]
    fn denied_directories_are_not_entered() {
        let tmp = tempfile::tempdir().unwrap();
        let c = sysroot_context(tmp.path());
        touch(&tmp.path().join("sys/srv/data/nats_store/jetstream/x.log"));
        touch(&tmp.path().join("sys/srv/data/nats_store/y.log"));
        touch(&tmp.path().join("sys/srv/data/app.log"));
        let e = expand("/srv/data/**/*.log", &c, None).unwrap();
        assert_eq!(rels(&e), ["app.log"]);
    }
}
