//! Hostile zips, built here byte by byte where the zip writer refuses to: each is rejected by
//! every command with exit 2 and a message naming the problem, nothing is written anywhere,
//! and nothing panics.

use std::io::Write;

use support_bundle::bundle::{Bundle, Limits, ReadError};
use zip::write::SimpleFileOptions;

use super::*;

fn opts() -> SimpleFileOptions {
    SimpleFileOptions::DEFAULT
        .compression_method(zip::CompressionMethod::Deflated)
        .unix_permissions(0o644)
}

/// A zip with `entries` (name, data), written through the zip crate.
fn zip_bytes(entries: &[(&str, &[u8])]) -> Vec<u8> {
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    for (name, data) in entries {
        zip.start_file(*name, opts()).expect("start");
        zip.write_all(data).expect("write");
    }
    zip.finish().expect("finish").into_inner()
}

/// Replace every occurrence of `from` with `to` (same length): local and central names.
fn patch(bytes: &mut [u8], from: &[u8], to: &[u8]) {
    assert_eq!(from.len(), to.len());
    let mut hits = 0;
    let mut i = 0;
    while i + from.len() <= bytes.len() {
        if &bytes[i..i + from.len()] == from {
            bytes[i..i + from.len()].copy_from_slice(to);
            hits += 1;
            i += from.len();
        } else {
            i += 1;
        }
    }
    assert!(hits >= 2, "expected local and central names, found {hits}");
}

/// Set the declared uncompressed size of entry `name` in its local and central headers.
fn patch_size(bytes: &mut [u8], name: &[u8], size: u32) {
    let mut patched = 0;
    for i in 0..bytes.len().saturating_sub(46) {
        let (sig, size_at, name_at) = match &bytes[i..i + 4] {
            b"PK\x03\x04" => ("local", 22, 30),
            b"PK\x01\x02" => ("central", 24, 46),
            _ => continue,
        };
        let _ = sig;
        if bytes.get(i + name_at..i + name_at + name.len()) == Some(name) {
            bytes[i + size_at..i + size_at + 4].copy_from_slice(&size.to_le_bytes());
            patched += 1;
        }
    }
    assert_eq!(patched, 2, "local and central header of {:?}", name);
}

/// Run every reading command on `bytes`; each must exit 2 with `expect` in its message, write
/// nothing into the extraction directory or beside it, and leak no raw control character.
fn rejected(bytes: &[u8], expect: &str) {
    let case = tempfile::tempdir().expect("tempdir");
    let zip = case.path().join("hostile.zip");
    std::fs::write(&zip, bytes).expect("write");
    let to = case.path().join("x");
    let z = zip.to_str().expect("utf-8");
    let runs: Vec<Vec<&str>> = vec![
        vec!["verify", z],
        vec!["inspect", z],
        vec!["inspect", "--json", z],
        vec!["check", z],
        vec!["diff", z, z],
        vec!["extract", z, "--to", to.to_str().expect("utf-8")],
        vec!["issue", z],
    ];
    let mut runs = runs;
    if bytes.starts_with(b"PK\x03\x04") {
        // `redact` treats only zip-magic input as a bundle; the rest is streamed as text.
        runs.push(vec!["redact", z, "--out", "/nonexistent/new.zip"]);
    }
    for args in runs {
        let (code, stdout, stderr) = run_code(&args);
        assert_eq!(code, 2, "{args:?}: expected exit 2\n{stdout}{stderr}");
        assert!(
            stderr.contains(expect),
            "{args:?}: `{expect}` not in\n{stderr}"
        );
        for text in [&stdout, &stderr] {
            assert!(
                !text.contains(['\u{1b}', '\u{7}', '\u{9b}']),
                "{args:?}: raw control character printed: {text:?}"
            );
        }
    }
    assert_eq!(tree(case.path()), vec!["hostile.zip".to_string()]);
}

#[test]
fn zip_slip_is_rejected() {
    rejected(&zip_bytes(&[("../evil.txt", b"x")]), "`..` component");
    rejected(
        &zip_bytes(&[("files/a/../../../evil.txt", b"x")]),
        "`..` component",
    );
}

#[test]
fn absolute_names_are_rejected() {
    let dir = tempfile::tempdir().expect("tempdir");
    let target = dir.path().join("evil.txt");
    let name = target.to_str().expect("utf-8");
    rejected(&zip_bytes(&[(name, b"x")]), "absolute path");
    assert!(!target.exists());
    rejected(&zip_bytes(&[("C:/evil.txt", b"x")]), "drive letter");
}

#[test]
fn backslash_separators_are_rejected() {
    rejected(&zip_bytes(&[("..\\..\\evil.txt", b"x")]), "backslash");
    rejected(&zip_bytes(&[("files\\a.txt", b"x")]), "backslash");
}

#[test]
fn symlink_and_directory_entries_are_rejected() {
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    zip.add_symlink("link", "/etc/passwd", opts())
        .expect("symlink");
    let bytes = zip.finish().expect("finish").into_inner();
    rejected(&bytes, "is a symlink");

    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    zip.add_directory("dir/", opts()).expect("dir");
    let bytes = zip.finish().expect("finish").into_inner();
    rejected(&bytes, "is a directory");
}

/// Set the Unix mode (type and permission bits) of every central header.
fn patch_mode(bytes: &mut [u8], mode: u32) {
    let mut patched = 0;
    for i in 0..bytes.len().saturating_sub(46) {
        if &bytes[i..i + 4] == b"PK\x01\x02" {
            bytes[i + 5] = 3; // made by Unix
            bytes[i + 38..i + 42].copy_from_slice(&(mode << 16).to_le_bytes());
            patched += 1;
        }
    }
    assert!(patched > 0);
}

#[test]
fn device_fifo_and_socket_entries_are_rejected() {
    for (mode, kind) in [
        (0o020_644, "character device"),
        (0o060_644, "block device"),
        (0o010_644, "fifo"),
        (0o140_644, "socket"),
        (0o120_777, "symlink"),
    ] {
        let mut bytes = zip_bytes(&[("dev", b"")]);
        patch_mode(&mut bytes, mode);
        rejected(&bytes, &format!("is a {kind}"));
    }
}

#[test]
fn duplicate_names_are_rejected_and_named() {
    let mut bytes = zip_bytes(&[("same-a.txt", b"first"), ("same-b.txt", b"second")]);
    patch(&mut bytes, b"same-b.txt", b"same-a.txt");
    rejected(&bytes, "entry `same-a.txt` appears more than once");
}

#[test]
fn non_utf8_names_are_rejected() {
    let mut bytes = zip_bytes(&[("name-Q.txt", b"x")]);
    patch(&mut bytes, b"name-Q.txt", b"name-\xff.txt");
    rejected(&bytes, "not valid UTF-8");
}

#[test]
fn control_characters_in_names_are_rejected_and_escaped() {
    rejected(
        &zip_bytes(&[("a\u{1b}]0;pwned\u{7}.txt", b"x")]),
        "control characters",
    );
    rejected(
        &zip_bytes(&[("b\u{9b}31m.txt", b"x")]),
        "control characters",
    );
    rejected(
        &zip_bytes(&[("c\u{202e}txt.exe", b"x")]),
        "control characters",
    );
}

#[test]
fn bomb_by_ratio_is_rejected() {
    let zeros = vec![0u8; 24 * 1024 * 1024];
    rejected(&zip_bytes(&[("bomb.txt", &zeros)]), "expands");
}

#[test]
fn bomb_by_declared_size_is_rejected() {
    let mut bytes = zip_bytes(&[("big.bin", b"tiny")]);
    patch_size(&mut bytes, b"big.bin", 0xffff_fff0);
    rejected(&bytes, "uncompressed; the limit is");
}

#[test]
fn entry_larger_than_its_header_is_cut_at_the_declared_size() {
    // 4 MiB of zeros declared as 1,000 bytes: passes the open checks, fails on reading.
    let zeros = vec![0u8; 4 * 1024 * 1024];
    // A manifest that parses, so `extract` gets as far as the lying entry.
    let manifest = br#"{"format":"support-bundle/1","tool":{"name":"support-bundle","version":"0"},"project":{"name":"x","display":"x"},"spec":{"origin":"x","sha256":""},"created":"","private":false,"facts":{},"items":[],"checks":[],"files":{}}"#;
    let mut bytes = zip_bytes(&[("manifest.json", manifest), ("liar.txt", &zeros)]);
    patch_size(&mut bytes, b"liar.txt", 1000);
    let dir = tempfile::tempdir().expect("tempdir");
    let zip = dir.path().join("liar.zip");
    std::fs::write(&zip, &bytes).expect("write");
    let mut bundle = Bundle::open(&zip).expect("opens: the header looks fine");
    let err = bundle.read_entry("liar.txt", u64::MAX).unwrap_err();
    let says_larger =
        |t: &str| t.contains("larger than its declared") || t.contains("more data than");
    assert!(
        matches!(err, ReadError::Corrupt { .. }) && says_larger(&err.to_string()),
        "{err}"
    );
    let to = dir.path().join("x");
    let (code, _, stderr) = run_code(&[
        "extract",
        zip.to_str().expect("utf-8"),
        "--to",
        to.to_str().expect("utf-8"),
    ]);
    assert_eq!(code, 2, "{stderr}");
    assert!(says_larger(&stderr), "{stderr}");
    // The manifest before it was whole; of the lying entry nothing is left.
    assert_eq!(tree(&to), ["manifest.json"], "partial file left");
}

#[test]
fn hundred_thousand_entries_are_rejected_before_indexing() {
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let stored = SimpleFileOptions::DEFAULT.compression_method(zip::CompressionMethod::Stored);
    for i in 0..100_000u32 {
        zip.start_file(format!("e/{i}"), stored).expect("start");
    }
    let bytes = zip.finish().expect("finish").into_inner();
    rejected(&bytes, "bundle has 100000 entries; the limit is 10000");
}

#[test]
fn total_size_limit_applies_across_entries() {
    let dir = tempfile::tempdir().expect("tempdir");
    let zip = dir.path().join("many.zip");
    let data = vec![b'a'; 1000];
    std::fs::write(&zip, zip_bytes(&[("a", &data), ("b", &data), ("c", &data)])).expect("write");
    let limits = Limits::default().with_max_total_size(2500);
    let err = Bundle::open_with(&zip, limits).unwrap_err();
    assert!(
        matches!(
            err,
            ReadError::TotalTooLarge {
                total: 3000,
                limit: 2500
            }
        ),
        "{err}"
    );
    let limits = Limits::default().with_max_entry_size(999);
    let err = Bundle::open_with(&zip, limits).unwrap_err();
    assert!(
        matches!(err, ReadError::EntryTooLarge { size: 1000, .. }),
        "{err}"
    );
    assert!(Bundle::open(&zip).is_ok());
}

#[test]
fn not_a_zip_and_truncated_zips_are_rejected() {
    rejected(b"PK\x03\x04 but nothing else", "not a readable zip");
    rejected(b"", "not a readable zip");
    let full = zip_bytes(&[("a.txt", b"hello")]);
    rejected(&full[..full.len() - 10], "not a readable zip");
}

#[test]
fn control_characters_in_contents_never_reach_the_terminal() {
    let m = demo_machine(
        "1.2.0\u{1b}]0;pwned\u{7}\u{1b}[2J",
        "6.1.0\u{1b}[31m",
        "line \u{1b}[31mred\u{1b}[0m\nbell \u{7}\n",
    );
    let a = m.collect();
    let b_dir = demo_machine("1.3.0\u{1b}[5m", "6.1.0", "line \u{1b}[32mgreen\n");
    let b = b_dir.collect();
    let (a, b) = (a.to_str().expect("utf-8"), b.to_str().expect("utf-8"));
    for args in [
        vec!["inspect", a],
        vec!["inspect", "--json", a],
        vec!["verify", a],
        vec!["check", a],
        vec!["diff", a, b],
        vec!["diff", "--json", a, b],
    ] {
        let (code, stdout, stderr) = run_code(&args);
        assert!(code == 0 || code == 1, "{args:?}: {stderr}");
        for text in [&stdout, &stderr] {
            assert!(
                !text.contains(['\u{1b}', '\u{7}']),
                "{args:?}: raw control character printed: {text:?}"
            );
        }
    }
    let (_, stdout, _) = run_code(&["inspect", a]);
    assert!(stdout.contains("\\u{1b}]0;pwned"), "{stdout}");
}
