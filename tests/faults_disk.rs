//! The output directory fighting back: a full disk, a read-only one, a run killed while it
//! writes (and the temp file it leaves for the next run), two runs writing at once.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::harness::{Test, blob_spec, noise};

/// A test with `<tmp>/<project>.toml` collecting `files` blobs from `<tmp>/root/data`.
fn machine(project: &str, files: usize) -> Test {
    let mut t = Test::new().spec_file(&format!("{project}.toml"), &blob_spec(project, files));
    for n in 0..files {
        t = t.binary_file(
            &format!("root/data/blob-{n}.bin"),
            &noise(4 << 20, n as u64 + 7),
        );
    }
    t
}

/// A tmpfs mounted for one test, unmounted when dropped.
struct Mount(PathBuf);

impl Mount {
    /// Mount a tmpfs with `options` at `dir`. Only root can; in CI (which runs as root) a
    /// failure fails the test, elsewhere the test is skipped with a message (`None`).
    fn tmpfs(dir: &Path, options: &str) -> Option<Mount> {
        std::fs::create_dir_all(dir).expect("mkdir mount point");
        let out = Command::new("mount")
            .args(["-t", "tmpfs", "-o", options, "tmpfs"])
            .arg(dir)
            .output();
        match out {
            Ok(o) if o.status.success() => Some(Mount(dir.to_path_buf())),
            other => {
                let why = match other {
                    Ok(o) => String::from_utf8_lossy(&o.stderr).into_owned(),
                    Err(e) => e.to_string(),
                };
                if std::env::var_os("CI").is_some() {
                    panic!("cannot mount a tmpfs at {} in CI: {why}", dir.display());
                }
                eprintln!("skipped: cannot mount a tmpfs (needs root): {why}");
                None
            }
        }
    }
}

impl Drop for Mount {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(&self.0).status();
    }
}

/// Names in `dir`.
fn names(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .map(|d| {
            d.filter_map(Result::ok)
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    names
}

/// The one line a failed write must print: the error, naming the output directory, and
/// nothing from the zip library before it.
fn assert_one_clear_error(stderr: &str, dir: &Path) {
    assert!(!stderr.contains("ZipWriter"), "{stderr}");
    let lines: Vec<&str> = stderr.lines().filter(|l| !l.trim().is_empty()).collect();
    assert_eq!(lines.len(), 1, "expected one error line:\n{stderr}");
    assert!(
        lines[0].starts_with("error:") && lines[0].contains(&dir.display().to_string()),
        "{stderr}"
    );
}

#[test]
fn a_full_disk_is_one_clear_error_and_leaves_nothing_behind() {
    let t = machine("full", 1);
    let out_dir = t.join("full-disk");
    let Some(_mount) = Mount::tmpfs(&out_dir, "size=1m") else {
        return;
    };
    let out = t
        .args([
            "collect",
            "--spec",
            "[TMP]/full.toml",
            "--sysroot",
            "[TMP]/root",
            "--out",
            "[TMP]/full-disk",
        ])
        .run();
    out.status(2);
    assert_one_clear_error(&out.stderr, &out_dir);
    assert!(
        out.stderr.contains("No space left on device"),
        "{}",
        out.stderr
    );
    assert_eq!(names(&out_dir), Vec::<String>::new(), "{out}");
}

#[test]
fn a_read_only_output_directory_is_one_clear_error() {
    let t = machine("ro", 1);
    let out_dir = t.join("read-only");
    let Some(_mount) = Mount::tmpfs(&out_dir, "size=1m,ro") else {
        return;
    };
    for dir in ["[TMP]/read-only", "[TMP]/read-only/missing"] {
        let out = t.run_with([
            "collect",
            "--spec",
            "[TMP]/ro.toml",
            "--sysroot",
            "[TMP]/root",
            "--out",
            dir,
        ]);
        out.status(2);
        assert!(!out.stderr.contains("ZipWriter"), "{out}");
        let lines: Vec<&str> = out.stderr.lines().collect();
        assert_eq!(lines.len(), 1, "{out}");
        assert!(
            lines[0].starts_with("error:")
                && lines[0].contains(&dir.replace("[TMP]", &t.path().to_string_lossy()))
                && lines[0].contains("Read-only file system"),
            "{out}"
        );
    }
    assert_eq!(names(&out_dir), Vec::<String>::new());
}

/// `collect` of `<project>.toml` into `<tmp>/out`, started directly (the test needs its pid).
fn spawn(t: &Test, project: &str) -> Child {
    t.command([
        "collect",
        "--spec",
        &format!("[TMP]/{project}.toml"),
        "--sysroot",
        "[TMP]/root",
        "--out",
        "[TMP]/out",
    ])
    .stdin(Stdio::null())
    .stdout(Stdio::piped())
    .stderr(Stdio::piped())
    .spawn()
    .expect("spawn support-bundle")
}

#[test]
fn a_run_killed_mid_write_leaves_no_bundle_and_the_next_run_removes_its_temp_file() {
    let t = machine("killed", 4);
    let out_dir = t.join("out");
    std::fs::create_dir_all(&out_dir).unwrap();
    let mut child = spawn(&t, "killed");
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut caught = false;
    while Instant::now() < deadline && matches!(child.try_wait(), Ok(None)) {
        if names(&out_dir).iter().any(|n| n.ends_with(".zip.tmp")) {
            child.kill().expect("SIGKILL");
            caught = true;
            break;
        }
        std::thread::sleep(Duration::from_millis(1));
    }
    let _ = child.wait();
    assert!(caught, "the run ended before its temp file was seen");
    let left = names(&out_dir);
    assert!(
        left.iter().all(|n| !n.ends_with(".zip")),
        "a bundle sits at the final name: {left:?}"
    );
    let temps: Vec<&String> = left.iter().filter(|n| n.ends_with(".zip.tmp")).collect();
    assert_eq!(temps.len(), 1, "SIGKILL runs no cleanup: {left:?}");

    let t = t.spec_file("small.toml", &blob_spec("small", 1));
    let out = t.run_with([
        "collect",
        "--spec",
        "[TMP]/small.toml",
        "--out",
        "[TMP]/out",
    ]);
    out.success();
    out.stderr_has(&format!("removed `{}`", out_dir.join(temps[0]).display()));
    out.stderr_has("killed while writing");
    let left = names(&out_dir);
    assert!(left.iter().all(|n| !n.ends_with(".tmp")), "{left:?}\n{out}");
}

#[test]
fn two_runs_into_one_directory_both_write_bundles_that_verify() {
    let t = machine("first", 2).spec_file("second.toml", &blob_spec("second", 2));
    let out_dir = t.join("out");
    std::fs::create_dir_all(&out_dir).unwrap();
    let (a, b) = (spawn(&t, "first"), spawn(&t, "second"));
    for child in [a, b] {
        let out = child.wait_with_output().expect("wait");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let zips: Vec<String> = names(&out_dir)
        .into_iter()
        .filter(|n| n.ends_with(".zip"))
        .collect();
    assert_eq!(zips.len(), 2, "{zips:?}");
    assert!(zips[0].starts_with("first-bundle-") && zips[1].starts_with("second-bundle-"));
    for zip in &zips {
        t.run_with(["verify", &out_dir.join(zip).to_string_lossy()])
            .success();
    }
    let left = names(&out_dir);
    assert!(left.iter().all(|n| !n.ends_with(".tmp")), "{left:?}");
}
