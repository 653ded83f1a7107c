//! Where the issue file goes without destroying a user's edits.
//!
//! README tells users to edit `<project>-issue.md` before filing, so a later `collect` must not
//! write over it. The output directory keeps a small state file with the sha256 of every issue
//! file we wrote there: a file whose content still hashes to what we wrote is ours to replace;
//! any other (edited, or not written by us) is kept, and the next free
//! `<project>-issue-N.md` is used instead.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::bundle::sha256_hex;

/// The state file's name in the output directory.
pub const STATE_FILE: &str = ".support-bundle-state.json";

/// The state file's `format_version`.
const STATE_FORMAT: u32 = 1;

/// Highest suffix tried before giving up on finding a free name.
const MAX_SUFFIX: u32 = 1000;

/// What the state file holds.
#[derive(Debug, Default, Serialize, Deserialize)]
struct State {
    format_version: u32,
    /// Issue file name to the sha256 of the bytes last written to it.
    #[serde(default)]
    written: BTreeMap<String, String>,
}

/// Where this run's issue file goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    /// The path to write.
    pub path: PathBuf,
    /// The usual path, kept because it differs from what we last wrote there.
    pub kept: Option<PathBuf>,
}

/// Choose the issue file for `project` in `dir`: the usual name when it is absent or
/// unchanged since we wrote it, else the first `-N` name that is.
pub fn choose(dir: &Path, project: &str) -> Target {
    let state = read_state(dir);
    let usual = dir.join(name(project, 1));
    for n in 1..=MAX_SUFFIX {
        let file = name(project, n);
        let path = dir.join(&file);
        if ours_to_replace(&path, state.written.get(&file)) {
            let kept = (n > 1).then(|| usual.clone());
            return Target { path, kept };
        }
    }
    // A thousand edited issue files: the newest name is replaced rather than fail the run.
    Target {
        path: dir.join(name(project, MAX_SUFFIX)),
        kept: Some(usual),
    }
}

/// Record that `path` (in `dir`) now holds `data`, so the next run may replace it. A state
/// file that cannot be written only means the next run keeps this file too.
pub fn record(dir: &Path, path: &Path, data: &[u8]) -> std::io::Result<()> {
    let Some(file) = path.file_name() else {
        return Ok(());
    };
    let mut state = read_state(dir);
    state.format_version = STATE_FORMAT;
    state
        .written
        .insert(file.to_string_lossy().into_owned(), sha256_hex(data));
    let mut json = serde_json::to_string_pretty(&state).unwrap_or_default();
    json.push('\n');
    crate::atomic::write(
        &dir.join(STATE_FILE),
        json.as_bytes(),
        crate::atomic::PRIVATE,
    )
}

fn name(project: &str, n: u32) -> String {
    if n == 1 {
        format!("{project}-issue.md")
    } else {
        format!("{project}-issue-{n}.md")
    }
}

/// Absent, or exactly what we last wrote there. Anything unreadable (a directory, no
/// permission) is not ours.
fn ours_to_replace(path: &Path, last_written: Option<&String>) -> bool {
    match std::fs::read(path) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => path.symlink_metadata().is_err(),
        Err(_) => false,
        Ok(bytes) => last_written.is_some_and(|sha| *sha == sha256_hex(&bytes)),
    }
}

/// The state, or an empty one when there is none or it does not parse (then every existing
/// issue file is kept: the safe side).
fn read_state(dir: &Path) -> State {
    std::fs::read(dir.join(STATE_FILE))
        .ok()
        .and_then(|b| serde_json::from_slice::<State>(&b).ok())
        .filter(|s| s.format_version == STATE_FORMAT)
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write_ours(dir: &Path, target: &Target, text: &str) {
        std::fs::write(&target.path, text).unwrap();
        record(dir, &target.path, text.as_bytes()).unwrap();
    }

    #[test]
    fn our_unchanged_file_is_replaced_and_an_edited_one_kept() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        let first = choose(d, "demo");
        assert_eq!(first.path, d.join("demo-issue.md"));
        assert_eq!(first.kept, None);
        write_ours(d, &first, "body one\n");
        assert_eq!(choose(d, "demo"), first, "unchanged: replaced");

        std::fs::write(&first.path, "body one\nmy own notes\n").unwrap();
        let second = choose(d, "demo");
        assert_eq!(second.path, d.join("demo-issue-2.md"));
        assert_eq!(second.kept.as_deref(), Some(first.path.as_path()));
        write_ours(d, &second, "body two\n");
        // The -2 file is ours and unchanged: the next run replaces it, not -3.
        assert_eq!(choose(d, "demo").path, second.path);
    }

    #[test]
    fn a_file_we_have_no_record_of_is_kept() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("demo-issue.md"), "someone's text").unwrap();
        std::fs::write(dir.path().join(STATE_FILE), "not json").unwrap();
        assert_eq!(
            choose(dir.path(), "demo").path,
            dir.path().join("demo-issue-2.md")
        );
    }
}
