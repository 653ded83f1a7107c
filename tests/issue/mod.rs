//! The issue body and filing: snapshots from fixture bundles, link bounds and round trips,
//! issue forms, security reports, planted secrets, and `init --from`.

mod body;
mod filing;
mod fixture;
mod init;
mod secrets;

use std::path::{Path, PathBuf};
use std::process::Output;

/// The binary under test.
fn bin() -> assert_cmd::Command {
    assert_cmd::Command::cargo_bin("support-bundle").unwrap()
}

/// Run the binary with `args`.
fn run(args: &[&str]) -> Output {
    bin().args(args).output().unwrap()
}

/// The bundle `collect` wrote into `dir`.
fn bundle_in(dir: &Path) -> PathBuf {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.extension().is_some_and(|e| e == "zip"))
        .unwrap()
}

/// The stdout of a run that must have succeeded (its stderr shown when it did not).
fn success(out: Output) -> String {
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}
