//! Signals around the bundle write: an interrupted write leaves no temp file, an interrupt
//! after the rename says the bundle exists, and the exit status is 128 + the signal.
//!
//! These runs need what `Test::run` does not offer (the child's pid while it runs, and a
//! stdout that blocks), so they start the binary themselves, with the same environment.

use std::io::Write;
use std::path::Path;
use std::process::{Child, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;

use crate::harness::{Test, blob_spec, noise};

fn machine(files: usize) -> Test {
    let mut t = Test::new().spec_file("big.toml", &blob_spec("big", files));
    for n in 0..files {
        t = t.binary_file(
            &format!("root/data/blob-{n}.bin"),
            &noise(4 << 20, n as u64 + 7),
        );
    }
    std::fs::create_dir_all(t.join("out")).expect("mkdir out");
    t
}

/// `collect` on [`machine`], started with the harness's environment.
fn spawn(t: &Test, stdout: Stdio) -> Child {
    t.command([
        "collect",
        "--spec",
        "[TMP]/big.toml",
        "--sysroot",
        "[TMP]/root",
        "--out",
        "[TMP]/out",
    ])
    .stdin(Stdio::null())
    .stdout(stdout)
    .stderr(Stdio::piped())
    .spawn()
    .expect("spawn support-bundle")
}

/// Names in `dir` ending with `suffix`.
fn named(dir: &Path, suffix: &str) -> Vec<String> {
    std::fs::read_dir(dir)
        .map(|d| {
            d.filter_map(Result::ok)
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .filter(|n| n.ends_with(suffix))
                .collect()
        })
        .unwrap_or_default()
}

/// Wait until a name ending with `suffix` appears in `dir` (or the child ends).
fn wait_for(child: &mut Child, dir: &Path, suffix: &str) -> bool {
    let deadline = Instant::now() + Duration::from_secs(60);
    while Instant::now() < deadline {
        if !named(dir, suffix).is_empty() {
            return true;
        }
        if matches!(child.try_wait(), Ok(Some(_))) {
            return false;
        }
        std::thread::sleep(Duration::from_millis(1));
    }
    false
}

/// Exit code and stderr, killing the child if it does not end in 20 s.
fn finish(mut child: Child) -> (Option<i32>, String) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while Instant::now() < deadline {
        if let Ok(Some(_)) = child.try_wait() {
            break;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    if matches!(child.try_wait(), Ok(None)) {
        let _ = child.kill();
    }
    let out = child.wait_with_output().expect("wait");
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn signal(child: &Child, sig: Signal) {
    let pid = Pid::from_raw(i32::try_from(child.id()).expect("pid"));
    kill(pid, sig).expect("send signal");
}

#[test]
fn sigint_during_the_zip_write_removes_the_temp_file() {
    let t = machine(4);
    let out_dir = t.join("out");
    let mut child = spawn(&t, Stdio::null());
    let caught = wait_for(&mut child, &out_dir, ".zip.tmp");
    if caught {
        signal(&child, Signal::SIGINT);
    }
    let (code, stderr) = finish(child);
    assert!(
        caught,
        "the zip was written before the test saw its temp file (exit {code:?}); \
         make the items larger\n{stderr}"
    );
    assert_eq!(code, Some(130), "{stderr}");
    assert!(
        stderr.contains("removed the unfinished bundle")
            && stderr.contains("no bundle was written"),
        "{stderr}"
    );
    let left: Vec<String> = named(&out_dir, "");
    assert!(left.is_empty(), "left behind: {left:?}\n{stderr}");
}

#[test]
fn sigterm_after_the_rename_says_the_bundle_exists() {
    let t = machine(1);
    let out_dir = t.join("out");
    // A full pipe as stdout: the run blocks printing its summary, after the bundle and the
    // issue file are in place, until the signal comes.
    let (reader, writer) = std::io::pipe().expect("pipe");
    fill(&writer);
    let mut child = spawn(&t, Stdio::from(writer));
    let written = wait_for(&mut child, &out_dir, "-issue.md");
    if written {
        // Let the run reach the blocked write; any point after the rename must report it.
        std::thread::sleep(Duration::from_millis(200));
        signal(&child, Signal::SIGTERM);
    }
    let (code, stderr) = finish(child);
    drop(reader);
    assert!(written, "no issue file appeared (exit {code:?})\n{stderr}");
    assert_eq!(code, Some(143), "{stderr}");
    let zips = named(&out_dir, ".zip");
    assert_eq!(zips.len(), 1, "{zips:?}\n{stderr}");
    assert!(
        stderr.contains("bundle written:") && stderr.contains(&zips[0]),
        "{stderr}"
    );
    assert!(!stderr.contains("no bundle was written"), "{stderr}");
    let verify = Test::new()
        .args(["verify", &out_dir.join(&zips[0]).to_string_lossy()])
        .run();
    verify.success();
}

/// Fill a pipe so the next write to it waits for a reader: a thread writes single bytes
/// until it blocks (the pipe is then full to the byte), and stays blocked until the read end
/// is dropped.
fn fill(writer: &std::io::PipeWriter) {
    let mut w = writer.try_clone().expect("clone the pipe's write end");
    let written = Arc::new(AtomicUsize::new(0));
    let count = written.clone();
    std::thread::spawn(move || {
        while w.write_all(b".").is_ok() {
            count.fetch_add(1, Ordering::Relaxed);
        }
    });
    let mut last = usize::MAX;
    loop {
        std::thread::sleep(Duration::from_millis(200));
        let now = written.load(Ordering::Relaxed);
        if now == last && now > 0 {
            return;
        }
        last = now;
    }
}
