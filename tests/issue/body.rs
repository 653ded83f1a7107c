//! Snapshots of the issue body for both projects, re-rendered from fixture bundles, and the
//! bundles `issue` refuses.

use super::{fixture, run, success};

/// The stdout of a successful `issue` run with `args`.
fn issue(args: &[&str]) -> String {
    success(run(&[&["issue"], args].concat()))
}

#[test]
fn kestrel_body() {
    let dir = tempfile::tempdir().unwrap();
    let bundle = fixture::kestrel(dir.path(), &fixture::builtin_text("kestrel"), 100);
    let body = issue(&[bundle.to_str().unwrap()]);
    // The policy's sections in the spec's order.
    let headings: Vec<&str> = body.lines().filter_map(|l| l.strip_prefix("## ")).collect();
    let spec = support_bundle::spec::load("kestrel").unwrap();
    assert_eq!(
        &headings[..spec.issue.sections.len()],
        spec.issue.sections.as_slice()
    );
    // The last 60 of 100 journal lines, not the 40th.
    assert!(body.contains("event 100 handled") && body.contains("event 41 handled"));
    assert!(!body.contains("event 40 handled\n"));
    insta::assert_snapshot!("kestrel_body", body);
}

#[test]
fn gojinn_body() {
    let dir = tempfile::tempdir().unwrap();
    let bundle = fixture::gojinn(dir.path(), &fixture::builtin_text("gojinn"));
    let body = issue(&[bundle.to_str().unwrap()]);
    // The binary module is listed with size and sha256, never shown.
    assert!(body.contains("`files/wasm-modules/hello.wasm` (64 bytes, sha256 `"));
    insta::assert_snapshot!("gojinn_body", body);
}

#[test]
fn describe_replaces_the_description_placeholder() {
    let dir = tempfile::tempdir().unwrap();
    let bundle = fixture::gojinn(dir.path(), &fixture::builtin_text("gojinn"));
    let desc = dir.path().join("desc.md");
    std::fs::write(&desc, "Every request to /hello returns 500 since rc7.\n").unwrap();
    let body = issue(&[
        bundle.to_str().unwrap(),
        "--describe",
        desc.to_str().unwrap(),
    ]);
    let section = body.split("## Description\n\n").nth(1).unwrap();
    assert!(section.starts_with("Every request to /hello returns 500 since rc7."));
}

#[test]
fn not_a_bundle_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let bogus = dir.path().join("x.zip");
    std::fs::write(&bogus, "not a zip").unwrap();
    run(&["issue", bogus.to_str().unwrap()])
        .status(2)
        .stderr_has("cannot read bundle");
}

#[test]
fn zip_slip_bundle_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let good = fixture::gojinn(dir.path(), &fixture::builtin_text("gojinn"));
    issue(&[good.to_str().unwrap()]);
    // The same bundle with one entry that would land outside an extraction directory: the
    // entries `issue` reads are all intact, the zip as a whole is still hostile.
    let mut entries = crate::maintainer::read_entries(&good);
    entries.push(("../evil.txt".to_string(), b"x".to_vec()));
    let case = dir.path().join("case");
    std::fs::create_dir(&case).unwrap();
    let hostile = case.join("hostile.zip");
    crate::maintainer::write_zip(&hostile, &entries);
    let out = run(&["issue", hostile.to_str().unwrap()]);
    out.status(2).stderr_has("`..` component");
    expect!(out, out.stdout.is_empty(), "nothing on stdout");
    assert_eq!(
        crate::maintainer::tree(&case),
        vec!["hostile.zip".to_string()]
    );
    assert!(!dir.path().join("evil.txt").exists());
}
