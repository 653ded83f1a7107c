//! Byte-reproducible bundles: same inputs and `SOURCE_DATE_EPOCH`, same zip.

use crate::fixtures;
use crate::harness::{Bundle, EPOCH, Test, civil_from_unix, free_port};

/// Run the same `collect` twice, in separate processes, into `out1` and `out2`.
fn twice(mut t: Test, args: &[&str]) -> (Bundle, Bundle) {
    let mut bundles = Vec::new();
    for out in ["[TMP]/out1", "[TMP]/out2"] {
        let mut all = vec!["collect", "--out", out];
        all.extend_from_slice(args);
        t.set_args(all);
        let run = t.run();
        run.success();
        bundles.push(run.bundle());
    }
    let second = bundles.pop().expect("two runs");
    (bundles.pop().expect("two runs"), second)
}

fn assert_identical(a: &Bundle, b: &Bundle) {
    assert_ne!(
        a.path, b.path,
        "the runs must write to different directories"
    );
    assert_eq!(a.file_name, b.file_name);
    if a.bytes != b.bytes {
        let differ: Vec<&String> = a
            .entries
            .keys()
            .filter(|k| b.entries.get(*k) != a.entries.get(*k))
            .collect();
        panic!(
            "bundles differ ({} vs {} bytes); differing entries: {differ:?}",
            a.bytes.len(),
            b.bytes.len()
        );
    }
}

#[test]
fn default_spec_bundle_is_byte_identical() {
    let (a, b) = twice(fixtures::rust_project(Test::new()), &[]);
    assert_identical(&a, &b);
}

#[test]
fn kestrel_bundle_is_byte_identical() {
    let metrics = format!("metrics_url=http://127.0.0.1:{}/metrics", free_port());
    let t = fixtures::kestrel(Test::new());
    let (a, b) = twice(
        t,
        &[
            "--spec",
            "kestrel",
            "--sysroot",
            "[TMP]/root",
            "--var",
            &metrics,
        ],
    );
    assert_identical(&a, &b);
    assert!(a.entries.len() > 10, "{a:?}");
}

#[test]
fn entries_are_sorted_with_fixed_time_and_mode() {
    let (a, _) = twice(fixtures::rust_project(Test::new()), &[]);
    let names: Vec<&str> = a.order.iter().map(|e| e.name.as_str()).collect();
    let mut sorted = names.clone();
    sorted.sort_unstable();
    assert_eq!(names, sorted);

    let epoch: u64 = EPOCH.parse().expect("epoch");
    // DOS time has two-second resolution.
    let (y, mo, d, h, mi, s) = civil_from_unix(epoch);
    let expected = (y, mo, d, h, mi, s - s % 2);
    for entry in &a.order {
        assert_eq!(entry.modified, Some(expected), "{}", entry.name);
        let mode = entry
            .unix_mode
            .unwrap_or_else(|| panic!("{}: no unix mode", entry.name));
        assert_eq!(mode & 0o7777, 0o644, "{}: mode {mode:o}", entry.name);
    }
    // The manifest's `created` is the same instant.
    let created = a.manifest["created"].as_str().expect("created");
    let (y, mo, d, h, mi, s) = civil_from_unix(epoch);
    assert_eq!(
        created,
        format!("{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}Z")
    );
}

#[test]
fn another_epoch_gives_another_bundle() {
    let t = fixtures::rust_project(Test::new());
    let first = t.args(["collect", "--out", "[TMP]/out1"]).run();
    first.success();
    let mut t = fixtures::rust_project(Test::new()).env("SOURCE_DATE_EPOCH", "1795393166");
    t.set_args(["collect", "--out", "[TMP]/out2"]);
    let second = t.run();
    second.success();
    let (a, b) = (first.bundle(), second.bundle());
    assert_ne!(a.file_name, b.file_name);
    assert_ne!(a.manifest["created"], b.manifest["created"]);
}

#[test]
fn malformed_source_date_epoch_is_a_usage_error() {
    let out = fixtures::rust_project(Test::new())
        .env("SOURCE_DATE_EPOCH", "yesterday")
        .args(["collect", "--out", "[TMP]/out"])
        .run();
    out.status(2);
    let first = out.stderr.lines().next().unwrap_or_default();
    expect!(out, first.starts_with("error: "), "one error line first");
    expect!(
        out,
        first.contains("SOURCE_DATE_EPOCH"),
        "names the variable"
    );
    expect!(out, first.contains("yesterday"), "shows the bad value");
    expect!(out, !out.stderr.contains("panicked"), "no panic");
    expect!(
        out,
        out.out_files().is_empty(),
        "nothing written: {:?}",
        out.out_files()
    );
}

/// Where the project sits on disk is not part of the bundle: the same project in two
/// different directories gives the same bytes.
#[test]
fn bundle_does_not_depend_on_the_directory() {
    let run = || {
        let out = fixtures::rust_project(Test::new())
            .args(["collect", "--out", "[TMP]/out"])
            .run();
        out.success();
        out.bundle()
    };
    let (a, b) = (run(), run());
    assert_identical(&a, &b);
}
