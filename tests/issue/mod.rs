//! The issue body and filing: snapshots from fixture bundles, link bounds and round trips,
//! issue forms, security reports, planted secrets, and `init --from`.

mod body;
mod filing;
mod fixture;
mod init;
mod secrets;

use std::path::{Path, PathBuf};

use crate::harness::{Output, Test};

/// Run the binary with `args` in a fresh [`Test`].
fn run(args: &[&str]) -> Output {
    Test::new().args(args).run()
}

/// The bundle `collect` wrote into `dir`.
fn bundle_in(dir: &Path) -> PathBuf {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.extension().is_some_and(|e| e == "zip"))
        .unwrap()
}

/// The stdout of a run that must have succeeded (the command and both streams shown when it
/// did not).
#[track_caller]
fn success(out: Output) -> String {
    out.success();
    out.stdout
}
