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

/// A reader of `total` bytes of log lines, made up as they are read (no memory, no disk):
/// ordinary lines with an address and now and then a password, then one line of several
/// MiB without a newline, which a block of whole lines cannot hold.
struct GeneratedLogs {
    total: u64,
    sent: u64,
    line: Vec<u8>,
    at: usize,
    n: u64,
}

impl GeneratedLogs {
    const LONG_LINE: u64 = 24 * MIB;

    fn new(total: u64) -> Self {
        GeneratedLogs {
            total,
            sent: 0,
            line: Vec::new(),
            at: 0,
            n: 0,
        }
    }

    fn next_line(&mut self) {
        use std::fmt::Write as _;
        self.n += 1;
        let mut s = String::new();
        let _ = write!(
            s,
            "Nov 25 10:00:00 web-3 api[2211]: request {} from 10.{}.{}.7 took {}ms",
            self.n,
            self.n % 200,
            self.n / 200 % 250,
            self.n % 97
        );
        if self.n.is_multiple_of(50) {
            let _ = write!(s, " password=hunter2x{}", self.n);
        }
        s.push_str(&" ".repeat(self.n as usize % 400));
        s.push('\n');
        self.line = s.into_bytes();
        self.at = 0;
    }
}

impl std::io::Read for GeneratedLogs {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let left = self.total - self.sent;
        if left == 0 {
            return Ok(0);
        }
        let n = if left <= Self::LONG_LINE {
            // The overlong last line: `x`s with a token now and then.
            let n = buf.len().min(left as usize);
            for (i, b) in buf[..n].iter_mut().enumerate() {
                *b = if (self.sent + i as u64) % 4096 < 4 {
                    b' '
                } else {
                    b'x'
                };
            }
            n
        } else {
            if self.at == self.line.len() {
                self.next_line();
            }
            let n = buf
                .len()
                .min(self.line.len() - self.at)
                .min((left - Self::LONG_LINE) as usize);
            buf[..n].copy_from_slice(&self.line[self.at..self.at + n]);
            self.at += n;
            n
        };
        self.sent += n as u64;
        Ok(n)
    }
}

/// Counts and drops what it is given.
struct Sink(u64);

impl Write for Sink {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0 += buf.len() as u64;
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[test]
fn redacting_1_gib_on_every_core_stays_within_32_mib_plus_8_per_worker() {
    use support_bundle::redact::{Counts, Options, Redactor};
    let dir = tempfile::tempdir().unwrap();
    let opts = Options::default().with_pseudonym_key(dir.path().join("key"));
    let r = Redactor::new(&opts).unwrap();
    // At least two workers, so the parallel path runs even on one CPU.
    let workers = support_bundle::redact::available_workers().max(2);
    let before = peak_rss();
    let mut counts = Counts::default();
    let mut out = Sink(0);
    r.redact_stream_parallel(
        GeneratedLogs::new(GIB),
        &mut out,
        Format::Text,
        &mut counts,
        workers,
    )
    .unwrap();
    let grown = peak_rss().saturating_sub(before);
    eprintln!(
        "{workers} workers: peak RSS grew by {} KiB; {} bytes out, {} redactions",
        grown / 1024,
        out.0,
        counts.total()
    );
    assert!(out.0 > GIB * 9 / 10, "{} bytes out", out.0);
    assert!(
        counts.by_rule().get("password").is_some_and(|&n| n > 1000),
        "{counts:?}"
    );
    assert!(
        grown < (32 + 8 * workers as u64) * MIB,
        "peak RSS grew by {} MiB with {workers} workers",
        grown / MIB
    );
}
