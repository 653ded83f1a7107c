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

#[test]
fn the_link_is_raw_on_a_pipe_and_web_opens_it_with_an_argv() {
    let t = small()
        .fake_command(
            "xdg-open",
            "for a in \"$@\"; do printf '%s\\n' \"$a\" >> \"$HOME/opened\"; done\n",
        )
        .args([
            "collect",
            "--spec",
            "[TMP]/spec.toml",
            "--out",
            "out",
            "--web",
        ]);
    let out = t.run();
    out.success();
    let line = out
        .stdout
        .lines()
        .find(|l| l.starts_with("file   "))
        .unwrap_or_else(|| panic!("no link line\n{out}"));
    let url = line
        .trim_start_matches("file   ")
        .split(' ')
        .next()
        .unwrap();
    assert!(
        url.starts_with("https://github.com/example/demo/issues/new?"),
        "{line}"
    );
    expect!(
        out,
        !out.stdout.contains('\u{1b}'),
        "escape sequences on a pipe"
    );
    let opened = std::fs::read_to_string(t.join("home/opened")).unwrap();
    assert_eq!(opened, format!("{url}\n"), "one argv entry, the URL itself");

    // $BROWSER wins, with its own arguments; a failing opener is a warning only.
    let browser = small()
        .fake_command(
            "mybrowser",
            "for a in \"$@\"; do printf '%s\\n' \"$a\" >> \"$HOME/opened\"; done\n",
        )
        .env(
            "BROWSER",
            "[TMP]/bin/mybrowser --new-window:[TMP]/bin/other",
        )
        .args([
            "collect",
            "--spec",
            "[TMP]/spec.toml",
            "--out",
            "out",
            "--web",
            "--json",
        ]);
    let json = browser.run();
    json.success();
    let v: serde_json::Value = serde_json::from_str(&json.stdout).unwrap();
    let url = v["filing"]["url"].as_str().unwrap();
    assert_eq!(
        std::fs::read_to_string(browser.join("home/opened")).unwrap(),
        format!("--new-window\n{url}\n")
    );
    let failing = small()
        .env("BROWSER", "[TMP]/bin/nobrowser --new-window")
        .args([
            "collect",
            "--spec",
            "[TMP]/spec.toml",
            "--out",
            "out",
            "--web",
        ])
        .run();
    failing.success();
    failing.stderr_has("warning: --web: cannot run `");
    failing.stderr_has("nobrowser");
}

#[test]
fn only_skip_and_the_item_list() {
    let t = small();
    let only = t.run_with([
        "collect",
        "--spec",
        "[TMP]/spec.toml",
        "--out",
        "a",
        "--only",
        "motd,app-log",
    ]);
    only.success();
    let ids: Vec<String> = only.bundle().manifest["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["id"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(ids, ["motd", "app-log"]);

    let skip = t.run_with([
        "collect",
        "--spec",
        "[TMP]/spec.toml",
        "--out",
        "b",
        "--skip",
        "system",
    ]);
    skip.success();
    assert!(
        skip.bundle().manifest["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|i| i["id"] != "system")
    );

    let unknown = t.run_with([
        "collect",
        "--spec",
        "[TMP]/spec.toml",
        "--only",
        "sytem",
        "--dry-run",
    ]);
    unknown.status(2);
    unknown.stderr_has("spec `demo` has no item `sytem` (its items: system, motd, app-log)");

    let list = t.run_with(["specs", "[TMP]/spec.toml"]);
    list.success();
    list.stdout_has("   system   system   OS, kernel, CPU, memory\n");
    list.stdout_has(" ~ app-log  file     app.log\n");
    let kestrel = t.run_with(["specs", "kestrel", "--json"]);
    kestrel.success();
    let v: serde_json::Value = serde_json::from_str(&kestrel.stdout).unwrap();
    assert_eq!(v["format_version"], 1);
    let journal = v["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["id"] == "journal")
        .unwrap();
    assert_eq!(journal["kind"], "command");
    assert_eq!(journal["required"], true);
    assert!(
        journal["reads"]
            .as_str()
            .unwrap()
            .starts_with("journalctl -u kestrel")
    );
}

#[test]
fn lines_and_since_narrow_the_log_items() {
    let t = small();
    let out = t.run_with([
        "collect",
        "--spec",
        "[TMP]/spec.toml",
        "--out",
        "o",
        "--lines",
        "1",
    ]);
    out.success();
    let bundle = out.bundle();
    let log = bundle.text("files/app-log/app.log");
    assert!(log.ends_with("\n2026-01-03T10:00:00Z third\n"), "{log}");
    assert!(!log.contains("second"), "{log}");
    assert_eq!(bundle.text("files/motd/motd.txt"), "hello\n");

    // Journal items get -n and --since in their argv: the real journalctl stand-in records it.
    let k = Test::new()
        .fake_command(
            "journalctl",
            "printf '%s ' \"$@\" > \"$HOME/journal-args\"; printf 'no entries\\n'\n",
        )
        .spec(
            r#"
schema = 1
[project]
name = "demo"
[[collect]]
id = "journal"
kind = "command"
argv = ["journalctl", "-u", "demo", "-n", "1000", "--no-pager"]
log = true
"#,
        );
    let run = k.run_with([
        "collect",
        "--spec",
        "[TMP]/spec.toml",
        "--out",
        "o",
        "--since",
        "2h",
        "--lines",
        "50",
    ]);
    run.success();
    assert_eq!(
        std::fs::read_to_string(k.join("home/journal-args")).unwrap(),
        "-u demo -n 50 --no-pager --since -2h "
    );
    let bad = k.run_with([
        "collect",
        "--spec",
        "[TMP]/spec.toml",
        "--since",
        "yesterday",
        "--dry-run",
    ]);
    bad.status(2);
    bad.stderr_has("`yesterday` is not a duration");
}

#[test]
fn on_a_terminal_the_link_is_a_short_hyperlinked_label() {
    // `script` gives the run a pseudo-terminal as stdout.
    let t = small();
    let bin = env!("CARGO_BIN_EXE_support-bundle");
    let line = format!(
        "cd '{work}' && env -i PATH='{bin_dir}' HOME='{home}' SOURCE_DATE_EPOCH=1795393164 \
         SUPPORT_BUNDLE_PSEUDONYM_KEY='{key}' '{bin}' collect --spec '{spec}' --out out --no-progress",
        work = t.join("work").display(),
        bin_dir = t.join("bin").display(),
        home = t.join("home").display(),
        key = t.join("pseudonym.key").display(),
        spec = t.join("spec.toml").display(),
    );
    let out = std::process::Command::new("script")
        .args(["-qec", &line, "/dev/null"])
        .stdin(std::process::Stdio::null())
        .output()
        .expect("run script(1)");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{text}");
    let link = text
        .lines()
        .find(|l| l.starts_with("file   "))
        .unwrap_or_else(|| panic!("no link line:\n{text}"));
    assert!(
        link.starts_with("file   \u{1b}]8;;https://github.com/example/demo/issues/new?"),
        "{link:?}"
    );
    assert!(link.contains("\u{1b}\\open new issue ("), "{link:?}");
    assert!(
        link.trim_end().ends_with(" bytes)\u{1b}]8;;\u{1b}\\"),
        "{link:?}"
    );
}

/// One id per system: the run keeps the item for the system it is on, and `specs NAME`
/// shows both.
#[test]
fn items_for_another_system_are_left_out() {
    let spec = SMALL_SPEC.replace(
        "[[collect]]\nid = \"motd\"\nkind = \"file\"\npath = \"motd.txt\"\n",
        "[[collect]]\nid = \"motd\"\nkind = \"file\"\npath = \"motd.txt\"\nos = [\"linux\"]\n\
         [[collect]]\nid = \"motd\"\nkind = \"file\"\npath = \"motd-mac.txt\"\nos = [\"macos\"]\n\
         [[collect]]\nid = \"launchd\"\nkind = \"command\"\nargv = [\"launchctl\", \"list\"]\nos = [\"macos\"]\n",
    );
    let t = small().spec(&spec);
    let out = t.run_with(["collect", "--spec", "[TMP]/spec.toml", "--out", "a"]);
    out.success();
    let manifest = out.bundle().manifest;
    let items = manifest["items"].as_array().unwrap();
    let ids: Vec<&str> = items.iter().map(|i| i["id"].as_str().unwrap()).collect();
    assert_eq!(ids, ["system", "motd", "app-log"]);
    assert_eq!(out.bundle().text("files/motd/motd.txt"), "hello\n");

    let listed = t.run_with(["specs", "[TMP]/spec.toml"]);
    listed
        .success()
        .stdout_has("motd-mac.txt  (on macos only)")
        .stdout_has("launchctl list  (on macos only)");
}
