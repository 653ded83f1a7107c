//! Help, completions, man page, output-path errors and `redact` on stdin.

use crate::harness::Test;

const SUBCOMMANDS: &[&str] = &["collect", "specs", "redact", "completions", "man"];

#[test]
fn help_mentions_every_subcommand() {
    let out = Test::new().args(["--help"]).run();
    out.success();
    for sub in SUBCOMMANDS {
        expect!(
            out,
            out.stdout.lines().any(|l| l.trim_start().starts_with(sub)),
            "`{sub}` listed"
        );
    }
}

#[test]
fn collect_help_documents_its_flags() {
    let out = Test::new().args(["collect", "--help"]).run();
    out.success();
    for flag in [
        "--spec",
        "--out",
        "--sysroot",
        "--var",
        "--rules",
        "--redact",
        "--keep-identifiers",
        "--pseudonym-key",
        "--title",
        "--describe",
        "--dry-run",
        "--json",
        "--timeout",
        "--no-progress",
    ] {
        expect!(out, out.stdout.contains(flag), "`{flag}` documented");
    }
}

#[test]
fn version_flag_prints_the_version() {
    let out = Test::new().args(["--version"]).run();
    out.success();
    expect!(
        out,
        out.stdout.trim() == format!("support-bundle {}", env!("CARGO_PKG_VERSION")),
        "version line"
    );
}

#[test]
fn no_subcommand_is_a_usage_error() {
    let out = Test::new().run();
    out.status(2);
    expect!(out, out.stderr.contains("Usage"), "usage shown");
}

#[test]
fn completions_for_each_shell() {
    for shell in ["bash", "zsh", "fish"] {
        let out = Test::new().args(["completions", shell]).run();
        out.success();
        expect!(
            out,
            out.stdout.contains("support-bundle"),
            "{shell} script names the binary"
        );
        expect!(
            out,
            out.stdout.contains("collect"),
            "{shell} script knows `collect`"
        );
    }
    let out = Test::new().args(["completions", "tcsh"]).run();
    out.status(2);
}

#[test]
fn man_page_is_roff() {
    let out = Test::new().args(["man"]).run();
    out.success();
    expect!(
        out,
        out.stdout.lines().any(|l| l.starts_with(".TH")),
        ".TH line"
    );
    expect!(
        out,
        out.stdout.contains("support\\-bundle"),
        "names the program"
    );
}

#[test]
fn out_path_that_is_a_file_is_a_clear_error() {
    let out = crate::fixtures::rust_project(Test::new())
        .file("occupied", "not a directory\n")
        .args(["collect", "--out", "[TMP]/occupied"])
        .run();
    out.status(2);
    let stderr = out.stderr_filtered();
    expect!(out, stderr.starts_with("error: "), "one error line");
    expect!(out, stderr.contains("[TMP]/occupied"), "names the path");
    expect!(out, !stderr.contains("panicked"), "no panic");
    let occupied = std::fs::read_to_string(out.out_dir()).expect("file still there");
    assert_eq!(occupied, "not a directory\n");
}

/// An I/O error names its cause once, though both the message and the source chain carry it.
#[test]
fn error_cause_is_not_repeated() {
    let out = Test::new()
        .file("occupied", "x")
        .args(["collect", "--out", "[TMP]/occupied"])
        .run();
    out.status(2);
    let first = out.stderr.lines().next().unwrap_or_default();
    expect!(
        out,
        first.matches("os error").count() == 1,
        "cause printed once"
    );
}

#[test]
fn out_dir_is_created_when_missing() {
    let out = crate::fixtures::rust_project(Test::new())
        .args(["collect", "--out", "[TMP]/new/nested/out"])
        .run();
    out.success();
    out.bundle();
}

#[test]
fn json_summary_is_json() {
    let out = crate::fixtures::rust_project(Test::new())
        .args(["collect", "--json", "--out", "[TMP]/out"])
        .run();
    out.success();
    let summary: serde_json::Value =
        serde_json::from_str(&out.stdout).unwrap_or_else(|e| panic!("{e}\n{out}"));
    let bundle = out.bundle();
    assert_eq!(
        summary["bundle"].as_str().map(std::path::Path::new),
        Some(bundle.path.as_path())
    );
    assert_eq!(summary["manifest"], bundle.manifest);
    assert_eq!(
        summary["id"].as_str(),
        Some(crate::harness::sha256_hex(&bundle.entries["manifest.json"]).as_str())
    );
}

#[test]
fn title_and_description_reach_the_issue() {
    let out = crate::fixtures::rust_project(Test::new())
        .stdin("The widget stops after the third frame.\n")
        .args(["collect", "--out", "[TMP]/out", "--describe", "-"])
        .args(["--title", "widget freezes"])
        .run();
    out.success();
    let issue = out.issue();
    assert!(
        issue.contains("The widget stops after the third frame."),
        "{issue}"
    );
    assert!(issue.contains("widget freezes"), "{issue}");
}

#[test]
fn redact_passes_a_harmless_line_through() {
    let line = "the quick brown fox jumps over the lazy dog\n";
    let out = Test::new().args(["redact"]).stdin(line).run();
    out.success().stdout_is(line);
}

#[test]
fn redact_reads_a_file_argument() {
    let out = Test::new()
        .file("work/in.txt", "first line\nsecond line\n")
        .args(["redact", "in.txt"])
        .run();
    out.success().stdout_is("first line\nsecond line\n");
    let missing = Test::new().args(["redact", "nowhere.txt"]).run();
    missing.status(2);
    expect!(
        missing,
        missing.stderr.contains("nowhere.txt"),
        "names the file"
    );
}

#[test]
fn redact_removes_a_token_from_stdin() {
    let out = Test::new()
        .args(["redact"])
        .stdin("deploy token=glpat-Xy7pQ2rLm9KdW4vTn8Bz ok\n")
        .run();
    out.success();
    expect!(
        out,
        !out.stdout.contains("glpat-Xy7pQ2rLm9KdW4vTn8Bz"),
        "token removed"
    );
    expect!(out, out.stdout.contains("deploy"), "the rest kept");
}

#[test]
fn sysroot_that_is_not_a_directory_is_a_usage_error() {
    let out = Test::new()
        .args(["collect", "--spec", "kestrel", "--sysroot", "[TMP]/no-root"])
        .args(["--out", "[TMP]/out"])
        .run();
    out.status(2);
    expect!(
        out,
        out.stderr_filtered().contains("[TMP]/no-root"),
        "names the path"
    );
    expect!(out, out.out_files().is_empty(), "nothing written");
}

#[test]
fn unreadable_description_is_a_usage_error() {
    let out = Test::new()
        .args(["collect", "--describe", "[TMP]/no-such-description.md"])
        .args(["--out", "[TMP]/out"])
        .run();
    out.status(2);
    expect!(
        out,
        out.stderr_filtered()
            .contains("[TMP]/no-such-description.md"),
        "names the file"
    );
    expect!(out, out.out_files().is_empty(), "nothing written");
}
