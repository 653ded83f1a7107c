//! Everyday use: edited issue files survive, `--spec NAME` means the built-in, private file
//! modes, the new-issue link on pipes and `--web`, item selection, log windows.

use std::os::unix::fs::PermissionsExt as _;

use crate::harness::Test;

/// A spec with one quick item and a GitHub repository, so the run files a link.
const SMALL_SPEC: &str = r#"
schema = 1
[project]
name = "demo"
repository = "https://github.com/example/demo"
[[collect]]
id = "system"
kind = "system"
[[collect]]
id = "motd"
kind = "file"
path = "motd.txt"
[[collect]]
id = "app-log"
kind = "file"
path = "app.log"
log = true
"#;

fn small() -> Test {
    Test::new()
        .spec(SMALL_SPEC)
        .file("work/motd.txt", "hello\n")
        .file(
            "work/app.log",
            "2026-01-01T10:00:00Z first\n2026-01-02T10:00:00Z second\n2026-01-03T10:00:00Z third\n",
        )
}

#[test]
fn an_edited_issue_file_survives_a_second_collect() {
    let t = small().args(["collect", "--spec", "[TMP]/spec.toml", "--out", "out"]);
    t.run().success();
    let issue = t.join("work/out/demo-issue.md");
    let ours = std::fs::read_to_string(&issue).unwrap();

    // Unchanged since we wrote it: the second run replaces it in place.
    let again = t.run();
    again.success();
    expect!(
        again,
        !again.out_dir().join("demo-issue-2.md").exists(),
        "wrote -2 for an unedited file"
    );

    let edited = format!("{ours}\nIt started after the upgrade.\n");
    std::fs::write(&issue, &edited).unwrap();
    let third = t.run();
    third.success();
    assert_eq!(std::fs::read_to_string(&issue).unwrap(), edited);
    let second = t.join("work/out/demo-issue-2.md");
    let fresh = std::fs::read_to_string(&second).unwrap();
    assert!(fresh.contains("Support bundle:"), "{fresh}");
    third.stdout_has("demo-issue-2.md");
    third.stdout_has("kept");
    let json = t.run_with([
        "collect",
        "--spec",
        "[TMP]/spec.toml",
        "--out",
        "out",
        "--json",
    ]);
    json.success();
    let v: serde_json::Value = serde_json::from_str(&json.stdout).unwrap();
    assert!(
        v["issue"].as_str().unwrap().ends_with("demo-issue-2.md"),
        "{v}"
    );
    assert!(
        v["kept_issue"].as_str().unwrap().ends_with("demo-issue.md"),
        "{v}"
    );
}

#[test]
fn bundle_and_issue_files_are_private() {
    let out = small()
        .args(["collect", "--spec", "[TMP]/spec.toml", "--out", "out"])
        .run();
    out.success();
    let files = out.out_files();
    assert!(files.iter().any(|f| f.ends_with(".zip")), "{files:?}");
    for f in &files {
        let mode = std::fs::metadata(out.out_dir().join(f))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600, "{f}: {mode:o}");
    }
}

#[test]
fn a_bare_spec_name_is_the_built_in_even_beside_a_file_of_that_name() {
    // A built binary named like the project sits in the directory.
    let t = crate::fixtures::rust_project(Test::new())
        .binary_file("work/kestrel", b"\x7fELF\x02\x01\x01\xff\xfe")
        .file("work/other", "schema = 1\n");
    let out = t.run_with(["collect", "--spec", "kestrel", "--dry-run"]);
    out.success();
    out.stdout_has("spec built-in:kestrel");
    out.stderr_has("`kestrel` is the built-in spec");
    out.stderr_has("./kestrel");

    // A path is a path.
    let path = t.run_with(["collect", "--spec", "./kestrel", "--dry-run"]);
    path.status(2);
    path.stderr_has("not valid UTF-8");

    // A bare name that is no built-in says how to name the file.
    let other = t.run_with(["collect", "--spec", "other", "--dry-run"]);
    other.status(2);
    other.stderr_has("no built-in spec named `other`");
    other.stderr_has("./other");
}
