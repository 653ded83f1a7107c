//! Inputs that are not regular files: `redact` reads pipes (`/dev/stdin`, `<(…)`, a FIFO)
//! once, from the first byte, and redacts all of it; commands that read bundles refuse them
//! instead of blocking.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use crate::harness::Test;

const SECRET: &str = "Sup3rSecretValue";

/// Text whose first line is a secret: a reader that loses the first bytes turns
/// `password=` into `word=`, which no rule recognizes.
fn secret_text() -> String {
    format!("password={SECRET}\nsecond line stays\n")
}

fn mkfifo(path: &Path) {
    let status = std::process::Command::new("mkfifo")
        .arg(path)
        .status()
        .expect("run mkfifo");
    assert!(status.success(), "mkfifo {}", path.display());
}

/// Feeds a FIFO once (`data`, then EOF) and, until dropped, keeps opening it for writing
/// without data, so a reader stuck in a second `open` gets EOF instead of hanging the suite.
struct Feeder {
    stop: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Feeder {
    fn start(fifo: PathBuf, data: Option<Vec<u8>>) -> Feeder {
        let stop = Arc::new(AtomicBool::new(false));
        let flag = stop.clone();
        let thread = std::thread::spawn(move || {
            use std::os::unix::fs::OpenOptionsExt;
            let mut data = data;
            while !flag.load(Ordering::Relaxed) {
                // Non-blocking: succeeds only while a reader has the FIFO open.
                let opened = std::fs::OpenOptions::new()
                    .write(true)
                    .custom_flags(libc::O_NONBLOCK)
                    .open(&fifo);
                if let Ok(mut w) = opened {
                    if let Some(bytes) = data.take() {
                        let _ = w.write_all(&bytes);
                    }
                    drop(w);
                }
                std::thread::sleep(Duration::from_millis(20));
            }
        });
        Feeder {
            stop,
            thread: Some(thread),
        }
    }
}

impl Drop for Feeder {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

#[test]
fn redact_dev_stdin_keeps_the_first_bytes_and_redacts_them() {
    let mut t = Test::new().stdin(secret_text()).args(["redact", "-"]);
    let plain = t.run();
    plain.success();
    t.set_args(["redact", "/dev/stdin"]);
    let out = t.run();
    out.success();
    expect!(
        out,
        out.stdout.starts_with("password=") && !out.stdout.contains(SECRET),
        "the whole input, redacted"
    );
    expect!(
        out,
        out.stdout == plain.stdout,
        "same output as `redact -`:\n{}",
        plain.stdout
    );
}

#[test]
fn redact_a_fifo_reads_it_once_and_does_not_hang() {
    let t = Test::new().args(["redact", "[TMP]/pipe"]);
    mkfifo(&t.join("pipe"));
    let feeder = Feeder::start(t.join("pipe"), Some(secret_text().into_bytes()));
    let out = t.run();
    drop(feeder);
    out.success();
    expect!(
        out,
        out.stdout.starts_with("password=")
            && out.stdout.contains("second line stays")
            && !out.stdout.contains(SECRET),
        "the whole input, redacted"
    );
}

#[test]
fn a_bundle_through_a_pipe_is_refused_with_a_hint() {
    let out = Test::new()
        .stdin(b"PK\x03\x04 the rest of a zip")
        .args(["redact", "/dev/stdin", "--out", "[TMP]/new.zip"])
        .run();
    out.status(2);
    expect!(
        out,
        out.stderr.contains("not a regular file"),
        "says why it is refused"
    );
}

#[test]
fn bundle_commands_refuse_a_fifo_instead_of_blocking() {
    let mut t = Test::new();
    let fifo = t.join("bundle.zip");
    mkfifo(&fifo);
    // No data: with nothing refusing the FIFO, every open would wait for a writer forever.
    let _feeder = Feeder::start(fifo.clone(), None);
    let z = "[TMP]/bundle.zip";
    for args in [
        vec!["verify", z],
        vec!["inspect", z],
        vec!["check", z],
        vec!["diff", z, z],
        vec!["extract", z, "--to", "[TMP]/x"],
        vec!["issue", z],
    ] {
        t.set_args(&args);
        let started = Instant::now();
        let out = t.run();
        out.status(2);
        expect!(
            out,
            out.stderr.contains("not a regular file"),
            "{args:?}: says why it is refused"
        );
        expect!(
            out,
            started.elapsed() < Duration::from_secs(10),
            "{args:?}: took {:?}",
            started.elapsed()
        );
    }
}
