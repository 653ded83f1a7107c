//! Files that fight back: special files given as file paths, files changing while they are
//! read, symlink loops and huge directories in listings, a 1 GiB log of one line, names that
//! are not UTF-8. Each run must end quickly with a bundle that verifies.

use std::ffi::OsStr;
use std::io::{Seek, SeekFrom, Write};
use std::os::unix::ffi::OsStrExt;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use crate::harness::{Output, Test};

/// A spec of `items` (TOML tables without their `[[collect]]` header).
fn spec(items: &[&str]) -> String {
    let mut spec = String::from("schema = 1\n\n[project]\nname = \"files\"\n");
    for item in items {
        spec.push_str("\n[[collect]]\n");
        spec.push_str(item);
        spec.push('\n');
    }
    spec
}

/// `collect` of `<tmp>/spec.toml` against the sysroot `<tmp>/root`.
fn collect(t: &Test) -> Output {
    let out = t.run_with([
        "collect",
        "--spec",
        "[TMP]/spec.toml",
        "--sysroot",
        "[TMP]/root",
        "--out",
        "[TMP]/out",
    ]);
    out.success();
    out.finished_within(Duration::from_secs(30));
    out
}

/// `verify` the run's one bundle.
fn verify(t: &Test, out: &Output) {
    let zip = out
        .out_files()
        .into_iter()
        .find(|n| n.ends_with(".zip"))
        .expect("a bundle");
    t.run_with(["verify", &out.out_dir().join(zip).to_string_lossy()])
        .success();
}

fn detail(out: &Output, id: &str) -> String {
    out.bundle().item(id)["detail"]
        .as_str()
        .unwrap_or_default()
        .to_string()
}

#[test]
fn a_fifo_or_a_socket_given_as_a_file_is_skipped_without_waiting() {
    let t = Test::new().spec(&spec(&[
        "id = \"fifo\"\nkind = \"file\"\npath = \"/run/app.fifo\"",
        "id = \"sock\"\nkind = \"file\"\npath = \"/run/app.sock\"",
    ]));
    std::fs::create_dir_all(t.join("root/run")).unwrap();
    let made = Command::new("mkfifo")
        .arg(t.join("root/run/app.fifo"))
        .status()
        .expect("run mkfifo");
    assert!(made.success());
    let _listener =
        std::os::unix::net::UnixListener::bind(t.join("root/run/app.sock")).expect("bind socket");
    let out = collect(&t);
    let b = out.bundle();
    for (id, kind) in [("fifo", "fifo"), ("sock", "socket")] {
        assert_eq!(b.status(id), "skipped", "{}", b.manifest_text());
        assert_eq!(detail(&out, id), format!("not a regular file ({kind})"));
    }
}

/// Run `change` on the file at `<tmp>/root/var/log/<name>` over and over while a
/// `collect` of it runs.
fn collect_while(name: &str, change: fn(&std::path::Path, u64)) -> Output {
    let t = Test::new()
        .spec(&spec(&[&format!(
            "id = \"log\"\nkind = \"file\"\npath = \"/var/log/{name}\"\nmax_bytes = 262144"
        )]))
        .file(&format!("root/var/log/{name}"), &"seed line\n".repeat(1000));
    let path = t.join(&format!("root/var/log/{name}"));
    let stop = Arc::new(AtomicBool::new(false));
    let stopped = Arc::clone(&stop);
    let changer = std::thread::spawn(move || {
        let mut round = 0u64;
        while !stopped.load(Ordering::Relaxed) {
            change(&path, round);
            round += 1;
        }
        round
    });
    let out = collect(&t);
    stop.store(true, Ordering::Relaxed);
    let rounds = changer.join().expect("changer thread");
    assert!(rounds > 0, "the file never changed during the run");
    verify(&t, &out);
    out
}

#[test]
fn a_file_growing_while_read_is_read_to_a_consistent_cap() {
    let out = collect_while("grow.log", |path, round| {
        let mut f = std::fs::OpenOptions::new()
            .append(true)
            .open(path)
            .expect("open for append");
        let _ = writeln!(f, "appended line {round:08}");
    });
    let b = out.bundle();
    let status = b.status("log");
    assert!(status == "ok" || status == "truncated", "{status}");
    let text = b.text("files/log/grow.log");
    assert!(text.starts_with("seed line\n"), "{}", &text[..40]);
    assert!(text.len() <= 262_144 + 200, "kept {} bytes", text.len());
}

#[test]
fn a_file_truncated_while_read_is_collected_or_reported_never_hangs() {
    let out = collect_while("shrink.log", |path, round| {
        let _ = std::fs::write(path, "");
        let _ = std::fs::write(path, format!("rewritten {round}\n").repeat(2000));
    });
    let b = out.bundle();
    let status = b.status("log");
    assert!(
        ["ok", "truncated", "failed"].contains(&status.as_str()),
        "{status}: {}",
        detail(&out, "log")
    );
    if status != "failed" {
        // Whatever was read is whole lines of one of the versions, or nothing.
        let text = b.text("files/log/shrink.log");
        assert!(
            text.lines()
                .all(|l| l.starts_with("rewritten ") || l == "seed line"),
            "{text:.200}"
        );
    }
}

#[test]
fn a_symlink_loop_in_a_listing_is_listed_not_followed() {
    let t = Test::new()
        .spec(&spec(&[
            "id = \"etc\"\nkind = \"listing\"\npath = \"/etc/app\"\nrecursive = true",
        ]))
        .file("root/etc/app/app.conf", "port = 1\n");
    let dir = t.join("root/etc/app");
    std::os::unix::fs::symlink("b", dir.join("a")).unwrap();
    std::os::unix::fs::symlink("a", dir.join("b")).unwrap();
    std::os::unix::fs::symlink(".", dir.join("self")).unwrap();
    std::os::unix::fs::symlink("..", dir.join("up")).unwrap();
    let out = collect(&t);
    let b = out.bundle();
    assert_eq!(b.status("etc"), "ok", "{}", detail(&out, "etc"));
    let listing = b.text("listings/etc.txt");
    assert_eq!(listing.lines().count(), 5, "{listing}");
    for name in ["a -> b", "b -> a", "self -> .", "up -> .."] {
        assert!(listing.contains(name), "{name} missing:\n{listing}");
    }
}

#[test]
fn a_directory_of_100000_entries_is_listed_within_bounds() {
    let t = Test::new().spec(&spec(&[
        "id = \"spool\"\nkind = \"listing\"\npath = \"/var/spool/app\"",
    ]));
    let dir = t.join("root/var/spool/app");
    std::fs::create_dir_all(&dir).unwrap();
    for n in 0..100_000 {
        std::fs::File::create(dir.join(format!("msg-{n:06}"))).unwrap();
    }
    let out = collect(&t);
    out.finished_within(Duration::from_secs(20));
    let b = out.bundle();
    assert_eq!(b.status("spool"), "truncated", "{}", b.manifest_text());
    assert!(detail(&out, "spool").contains("entries"));
    let listing = b.text("listings/spool.txt");
    let lines = listing.lines().count();
    assert!((1000..=10_000).contains(&lines), "{lines} lines");
    assert!(listing.len() < 2 << 20, "{} bytes", listing.len());
}

#[test]
fn file_names_that_are_not_utf8_are_listed_and_collected() {
    let t = Test::new().spec(&spec(&[
        "id = \"logs\"\nkind = \"file\"\npath = \"/var/log/app/*.log\"",
        "id = \"dir\"\nkind = \"listing\"\npath = \"/var/log/app\"",
    ]));
    let dir = t.join("root/var/log/app");
    std::fs::create_dir_all(&dir).unwrap();
    let name = OsStr::from_bytes(b"caf\xe9-\xff.log");
    std::fs::write(dir.join(name), "latin-1 named log\n").unwrap();
    let out = collect(&t);
    let b = out.bundle();
    let logs = b.items("logs");
    assert_eq!(logs.len(), 1, "{}", b.manifest_text());
    assert_eq!(logs[0]["status"], "ok", "{}", b.manifest_text());
    let entry = logs[0]["path"].as_str().expect("entry path");
    assert!(entry.is_ascii() || std::str::from_utf8(entry.as_bytes()).is_ok());
    assert_eq!(b.text(entry), "latin-1 named log\n");
    assert_eq!(b.status("dir"), "ok");
    assert!(b.text("listings/dir.txt").contains("caf"));
    verify(&t, &out);
}

/// A 1 GiB file that is one line: text at the start, a hole, text at the end, no newline.
#[test]
fn a_log_of_one_1gib_line_is_read_in_bounded_memory() {
    const GIB: u64 = 1 << 30;
    let t = Test::new().spec(&spec(&[
        "id = \"huge\"\nkind = \"file\"\npath = \"/var/log/huge.log\"\ntail_lines = 100\n\
         max_bytes = 1048576",
        "id = \"head\"\nkind = \"file\"\npath = \"/var/log/huge.log\"\nmax_bytes = 1048576",
    ]));
    let path = t.join("root/var/log/huge.log");
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    let mut f = std::fs::File::create(&path).unwrap();
    f.write_all(&b"a".repeat(64 << 10)).unwrap();
    f.set_len(GIB).unwrap();
    f.seek(SeekFrom::Start(GIB - 4096)).unwrap();
    f.write_all(&b"z".repeat(4096)).unwrap();
    drop(f);

    let child = t
        .command([
            "collect",
            "--spec",
            "[TMP]/spec.toml",
            "--sysroot",
            "[TMP]/root",
            "--out",
            "[TMP]/out",
        ])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn support-bundle");
    let (peak, status) = peak_rss_until_exit(child);
    assert!(status.success(), "exit {status}");
    let peak_mib = peak >> 20;
    eprintln!("peak RSS {peak_mib} MiB");
    assert!(peak_mib < 128, "peak RSS {peak_mib} MiB for a 1 GiB line");

    let zip = std::fs::read_dir(t.join("out"))
        .unwrap()
        .filter_map(Result::ok)
        .map(|e| e.path())
        .find(|p| p.extension().is_some_and(|x| x == "zip"))
        .expect("a bundle");
    let b = crate::harness::Bundle::open(&zip).expect("open bundle");
    for id in ["huge", "head"] {
        assert_eq!(b.status(id), "truncated", "{}", b.manifest_text());
    }
    let tail = b.text("files/huge/huge.log");
    assert!(tail.ends_with(&"z".repeat(100)), "{:.200}", tail);
    assert!(tail.len() <= (1 << 20) + 200, "{} bytes", tail.len());
    let head = b.text("files/head/huge.log");
    assert!(head.starts_with("aaaa") && head.ends_with("zzzz"));
    assert!(head.len() <= (1 << 20) + 200, "{} bytes", head.len());
}

/// The child's peak resident set size (`VmHWM`), polled until it exits. A zombie has no
/// memory figures left, so the last reading before the exit counts; reading a gigabyte whole
/// would take far longer than the polling interval, so it cannot slip through.
fn peak_rss_until_exit(mut child: std::process::Child) -> (u64, std::process::ExitStatus) {
    let status_file = format!("/proc/{}/status", child.id());
    let mut peak = 0;
    loop {
        if let Some(kib) = std::fs::read_to_string(&status_file)
            .ok()
            .and_then(|s| {
                s.lines()
                    .find_map(|l| l.strip_prefix("VmHWM:"))
                    .map(|v| v.trim().trim_end_matches("kB").trim().to_string())
            })
            .and_then(|v| v.parse::<u64>().ok())
        {
            peak = peak.max(kib * 1024);
        }
        if let Some(status) = child.try_wait().expect("wait") {
            return (peak, status);
        }
        std::thread::sleep(Duration::from_millis(5));
    }
}
