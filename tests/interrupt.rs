//! Signals around the bundle write: an interrupted write leaves no temp file, an interrupt
//! after the rename says the bundle exists, and the exit status is 128 + the signal.
//!
//! These runs need what `Test::run` does not offer (the child's pid while it runs, and a
//! stdout that blocks), so they start the binary themselves, with the same environment.
//!
//! They run beside the rest of the suite on busy machines, so they wait for states (a file
//! appearing, a pipe full) rather than for fixed times.

use std::fs::File;
use std::io::Write;
use std::path::Path;
use std::process::{Child, Stdio};
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

/// Exit code and stderr, killing the child if it does not end in 60 s.
fn finish(mut child: Child) -> (Option<i32>, String) {
    let deadline = Instant::now() + Duration::from_secs(60);
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

/// How many times [`sigint_during_the_zip_write_removes_the_temp_file`] tries to catch the
/// zip write, each time with twice the data.
const ATTEMPTS: u32 = 4;

#[test]
fn sigint_during_the_zip_write_removes_the_temp_file() {
    let mut files = 4;
    for attempt in 1..=ATTEMPTS {
        let t = machine(files);
        let out_dir = t.join("out");
        let mut child = spawn(&t, Stdio::null());
        let caught = wait_for(&mut child, &out_dir, ".zip.tmp");
        if caught {
            // Stopped first, so the run cannot go on writing while the signal is sent.
            signal(&child, Signal::SIGSTOP);
            signal(&child, Signal::SIGINT);
            signal(&child, Signal::SIGCONT);
        }
        let (code, stderr) = finish(child);
        // On a busy machine the run may finish the zip before this test sees its temp file,
        // or before the handler runs: a correct outcome, but not the one under test. Try
        // again with more to write.
        let missed = !caught || stderr.contains("bundle written:");
        if missed && attempt < ATTEMPTS {
            files *= 2;
            continue;
        }
        assert!(
            caught,
            "the zip was written before the test saw its temp file (exit {code:?}), \
             {ATTEMPTS} times\n{stderr}"
        );
        check_interrupted_write(code, &stderr, &out_dir);
        return;
    }
}

/// A run interrupted while writing its zip: exit 130, the temp file removed and said so.
fn check_interrupted_write(code: Option<i32>, stderr: &str, out_dir: &Path) {
    assert_eq!(code, Some(130), "{stderr}");
    assert!(
        stderr.contains("removed the unfinished bundle")
            && stderr.contains("no bundle was written"),
        "{stderr}"
    );
    let left: Vec<String> = named(out_dir, "");
    assert!(left.is_empty(), "left behind: {left:?}\n{stderr}");
}

#[test]
fn sigterm_after_the_rename_says_the_bundle_exists() {
    let t = machine(1);
    let out_dir = t.join("out");
    // A full pipe as stdout: the run blocks printing its summary, after the bundle and the
    // issue file are in place, until the signal comes.
    let (reader, writer) = full_pipe(&t.join("stdout.fifo"));
    let mut child = spawn(&t, Stdio::from(writer));
    let written = wait_for(&mut child, &out_dir, "-issue.md");
    if written {
        // The issue file is written after the bundle's rename: any point from here on
        // must report the bundle, the blocked write included.
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

/// A pipe (a FIFO at `fifo`) whose buffer is full to the byte, as its read end and a
/// blocking write end: the first write to that end waits until the read end is dropped.
/// Filled through a non-blocking write end of its own, which says when it is full (a fill
/// judged by a writer thread's progress can stop early when that thread is not scheduled).
fn full_pipe(fifo: &Path) -> (File, File) {
    use std::os::unix::fs::OpenOptionsExt;
    let status = std::process::Command::new("mkfifo")
        .arg(fifo)
        .status()
        .expect("run mkfifo");
    assert!(status.success(), "mkfifo {}", fifo.display());
    // Non-blocking, so opening it does not wait for a writer.
    let reader = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK)
        .open(fifo)
        .expect("open the FIFO for reading");
    let mut filler = std::fs::OpenOptions::new()
        .write(true)
        .custom_flags(libc::O_NONBLOCK)
        .open(fifo)
        .expect("open the FIFO for filling");
    loop {
        match filler.write(b".") {
            Ok(_) => {}
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => break,
            Err(e) => panic!("fill the FIFO: {e}"),
        }
    }
    let writer = std::fs::OpenOptions::new()
        .write(true)
        .open(fifo)
        .expect("open the FIFO for writing");
    (reader, writer)
}
