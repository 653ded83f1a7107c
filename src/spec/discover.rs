//! Finding the spec a project ships in its own repository.
//!
//! `collect` without `--spec` looks, in the current directory and then each parent, for
//! `.github/support-bundle.toml` and then `support-bundle.toml`, and stops at the repository
//! root (the first directory with a `.git` entry, a directory or a worktree's file). Outside a
//! repository only the current directory is looked at: a parent such as `/tmp` or a home
//! directory is not the project's, and a spec runs commands.

use std::path::{Path, PathBuf};

/// Where a project keeps its spec, relative to a directory, in the order they are tried.
pub const PROJECT_SPEC_FILES: &[&str] = &[".github/support-bundle.toml", "support-bundle.toml"];

/// A project spec found on disk.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Discovered {
    /// The spec file.
    pub path: PathBuf,
    /// The directory it was found in (the current directory or a parent).
    pub dir: PathBuf,
    /// Its name relative to `dir`, one of [`PROJECT_SPEC_FILES`].
    pub name: &'static str,
}

impl Discovered {
    /// The one line saying which spec this is and why it was chosen.
    pub fn reason(&self) -> String {
        format!(
            "spec {} (found in {}, the project's own)",
            self.name,
            self.dir.display()
        )
    }
}

/// The reason line when no project spec is found and the embedded default is used.
pub const DEFAULT_REASON: &str = "built-in default (no project spec found)";

/// The project spec for a run started in `start`, if any.
///
/// Candidates are files only: a directory named `support-bundle.toml` is passed over.
pub fn discover(start: &Path) -> Option<Discovered> {
    let in_repository = start.ancestors().any(is_repository_root);
    for dir in start.ancestors() {
        for name in PROJECT_SPEC_FILES {
            let path = dir.join(name);
            if path.is_file() {
                return Some(Discovered {
                    path,
                    dir: dir.to_path_buf(),
                    name,
                });
            }
        }
        if !in_repository || is_repository_root(dir) {
            break;
        }
    }
    None
}

/// Whether `dir` holds a `.git` entry (a directory, or the file a worktree or submodule has).
fn is_repository_root(dir: &Path) -> bool {
    dir.join(".git").symlink_metadata().is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tree(files: &[&str]) -> tempfile::TempDir {
        let tmp = tempfile::tempdir().expect("tempdir");
        for f in files {
            let path = tmp.path().join(f);
            std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
            if f.ends_with('/') {
                std::fs::create_dir_all(&path).expect("mkdir");
            } else {
                std::fs::write(&path, "schema = 1\n").expect("write");
            }
        }
        tmp
    }

    fn found(tmp: &tempfile::TempDir, from: &str) -> Option<String> {
        discover(&tmp.path().join(from)).map(|d| {
            d.path
                .strip_prefix(tmp.path())
                .expect("under tmp")
                .display()
                .to_string()
        })
    }

    #[test]
    fn github_directory_comes_before_the_root_file() {
        let tmp = tree(&[
            "repo/.git/",
            "repo/.github/support-bundle.toml",
            "repo/support-bundle.toml",
        ]);
        assert_eq!(
            found(&tmp, "repo").as_deref(),
            Some("repo/.github/support-bundle.toml")
        );
    }

    #[test]
    fn nearest_directory_wins_and_parents_are_searched_up_to_the_root() {
        let tmp = tree(&[
            "repo/.git/",
            "repo/.github/support-bundle.toml",
            "repo/crates/a/support-bundle.toml",
            "repo/crates/b/src/",
        ]);
        assert_eq!(
            found(&tmp, "repo/crates/a").as_deref(),
            Some("repo/crates/a/support-bundle.toml")
        );
        assert_eq!(
            found(&tmp, "repo/crates/b/src").as_deref(),
            Some("repo/.github/support-bundle.toml")
        );
    }

    #[test]
    fn search_stops_at_the_repository_root() {
        let tmp = tree(&["support-bundle.toml", "repo/.git", "repo/src/"]);
        assert_eq!(found(&tmp, "repo/src"), None);
        assert_eq!(found(&tmp, "repo"), None);
    }

    #[test]
    fn outside_a_repository_only_the_current_directory_counts() {
        let tmp = tree(&["support-bundle.toml", "plain/sub/"]);
        assert_eq!(found(&tmp, "plain/sub"), None);
        assert_eq!(found(&tmp, "").as_deref(), Some("support-bundle.toml"));
    }

    #[test]
    fn a_directory_of_that_name_is_not_a_spec() {
        let tmp = tree(&["repo/.git/", "repo/support-bundle.toml/"]);
        assert_eq!(found(&tmp, "repo"), None);
    }

    #[test]
    fn reason_names_the_file_and_the_directory() {
        let tmp = tree(&["repo/.git/", "repo/.github/support-bundle.toml"]);
        let d = discover(&tmp.path().join("repo")).expect("found");
        assert_eq!(
            d.reason(),
            format!(
                "spec .github/support-bundle.toml (found in {}, the project's own)",
                tmp.path().join("repo").display()
            )
        );
    }
}
