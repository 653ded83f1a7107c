//! Reading a 1 GiB log keeps memory bounded: `tail_lines` and `max_bytes` read only what they
//! keep. The file is sparse, so it costs no disk space, but a reader that loaded it whole
//! would need a gigabyte of memory.

use std::fs::{self, OpenOptions};
use std::io::{Seek, SeekFrom, Write};
use std::path::Path;
use std::time::{Duration, Instant};

use support_bundle::collect::deny::DenyList;
use support_bundle::collect::file::{self, FileRequest};
use support_bundle::collect::{Context, DEFAULT_MAX_BYTES};
use support_bundle::item::{Format, Status};

const GIB: u64 = 1024 * 1024 * 1024;
const MIB: u64 = 1024 * 1024;
const START_LINES: usize = 400;
const END_LINES: usize = 100;

/// Peak resident set size of this process so far, in bytes.
fn peak_rss() -> u64 {
    let status = fs::read_to_string("/proc/self/status").expect("read /proc/self/status");
    let line = status
        .lines()
        .find(|l| l.starts_with("VmHWM:"))
        .expect("VmHWM in /proc/self/status");
    let kib: u64 = line
        .trim_start_matches("VmHWM:")
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .expect("VmHWM value");
    kib * 1024
}

fn context(dir: &Path) -> Context {
    Context {
        sysroot: None,
        cwd: dir.to_path_buf(),
        home: Some(dir.join("home")),
        path_env: None,
        deadline: Instant::now() + Duration::from_secs(60),
        deny: DenyList::default(),
    }
}

/// A 1 GiB sparse file: text lines at the start (more than the binary sniff window, so it
/// reads as text), a hole of zeros, and text lines at the very end.
fn sparse_log(path: &Path) {
    let mut f = OpenOptions::new()
        .create(true)
        .write(true)
        .truncate(true)
        .open(path)
        .unwrap();
    for i in 0..START_LINES {
        writeln!(f, "start line {i:04} {}", "s".repeat(20)).unwrap();
    }
    let mut end = String::from("\n");
    for i in 0..END_LINES {
        end.push_str(&format!("end line {i:04}\n"));
    }
    f.set_len(GIB).unwrap();
    f.seek(SeekFrom::Start(GIB - end.len() as u64)).unwrap();
    f.write_all(end.as_bytes()).unwrap();
    f.sync_all().unwrap();
}

#[test]
fn large_sparse_log_is_read_in_bounded_memory() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("huge.log");
    sparse_log(&log);
    assert_eq!(fs::metadata(&log).unwrap().len(), GIB);
    let ctx = context(dir.path());
    let path = log.to_str().unwrap();
    let before = peak_rss();

    // Tail: the last 100 lines are short, but the line before them runs back through the
    // whole hole, so the byte cap is what stops the backwards scan.
    let req = FileRequest {
        id: "log",
        path,
        base: None,
        binary: false,
        max_bytes: DEFAULT_MAX_BYTES,
        tail_lines: Some(1000),
        strip_ansi: true,
        format: Format::Text,
    };
    let items = file::collect(&req, &ctx);
    assert_eq!(items.len(), 1);
    let item = &items[0];
    assert_eq!(item.status, Status::Truncated, "{item:?}");
    let data = &item.entry.as_ref().unwrap().data;
    let text = String::from_utf8_lossy(data);
    assert!(
        text.starts_with("[... support-bundle: first "),
        "{}",
        &text[..80.min(text.len())]
    );
    assert!(text.ends_with(&format!("end line {:04}\n", END_LINES - 1)));
    assert!(text.contains("end line 0000\n"));
    assert!(!text.contains("start line"));
    assert!(data.len() as u64 <= DEFAULT_MAX_BYTES + 100);

    // Head and tail around a 1 MiB cap.
    let req = FileRequest {
        tail_lines: None,
        max_bytes: MIB,
        ..req
    };
    let items = file::collect(&req, &ctx);
    let item = &items[0];
    assert_eq!(item.status, Status::Truncated, "{item:?}");
    let data = &item.entry.as_ref().unwrap().data;
    let text = String::from_utf8_lossy(data);
    assert!(text.starts_with("start line 0000 "));
    assert!(text.ends_with(&format!("end line {:04}\n", END_LINES - 1)));
    let (head, rest) = text
        .split_once("[... support-bundle: ")
        .expect("middle marker");
    let (omitted, tail) = rest
        .split_once(" bytes omitted ...]\n")
        .expect("marker end");
    let omitted: u64 = omitted.parse().unwrap();
    assert_eq!(head.len() as u64 + omitted + tail.len() as u64, GIB);
    assert!(data.len() as u64 <= MIB + 100);

    let grown = peak_rss().saturating_sub(before);
    eprintln!("peak RSS grew by {} KiB", grown / 1024);
    assert!(
        grown < 64 * MIB,
        "peak RSS grew by {} MiB while reading a 1 GiB file",
        grown / MIB
    );
}
