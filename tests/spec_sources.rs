//! Where `collect` gets its spec when `--spec` does not name a built-in or a file: the
//! project's own spec found from the working directory, or a URL served by a real loopback
//! server, pinned or confirmed.

use crate::harness::{Server, Test, sha256_hex};

/// A spec whose one item runs the fake `probe`, so a run that happened leaves its output.
fn spec(name: &str) -> String {
    format!(
        "schema = 1\n\n[project]\nname = \"{name}\"\ndescription = \"the {name} project\"\n\n\
         [[collect]]\nid = \"probe\"\nkind = \"command\"\nargv = [\"probe\"]\n"
    )
}

fn project() -> Test {
    Test::new().fake_output("probe", "probe output\n")
}

/// The tempdir as the binary sees it (the working directory is resolved by the kernel).
fn real(test: &Test, rel: &str) -> String {
    std::fs::canonicalize(test.join(rel))
        .expect("canonicalize")
        .display()
        .to_string()
}

/// `collect --dry-run` started in `<tmp>/cwd_rel` rather than the harness's `work`: its
/// exit code and stdout.
fn dry_run_in(test: &Test, cwd_rel: &str) -> (Option<i32>, String) {
    let mut cmd = test.command(["collect", "--dry-run"]);
    cmd.current_dir(test.join(cwd_rel));
    let out = cmd.output().expect("run support-bundle");
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

#[test]
fn github_spec_comes_before_the_root_spec() {
    let t = project()
        .file("work/.git/HEAD", "ref: refs/heads/main\n")
        .spec_file("work/.github/support-bundle.toml", &spec("fromgithub"))
        .spec_file("work/support-bundle.toml", &spec("fromroot"));
    let out = t.run_with(["collect", "--out", "[TMP]/out"]);
    out.success()
        .stdout_has("fromgithub bundle from spec support-bundle.toml")
        .stdout_has(&format!(
            "using spec .github/support-bundle.toml (found in {}, the project's own)",
            real(&t, "work")
        ));
    let bundle = out.bundle();
    assert_eq!(bundle.status("probe"), "ok");
    assert!(bundle.text("spec.toml").contains("fromgithub"));
}

#[test]
fn root_spec_is_used_when_there_is_no_github_one() {
    let t = project()
        .file("work/.git/HEAD", "ref: refs/heads/main\n")
        .spec_file("work/support-bundle.toml", &spec("fromroot"));
    let out = t.run_with(["collect", "--out", "[TMP]/out"]);
    out.success().stdout_has(&format!(
        "using spec support-bundle.toml (found in {}, the project's own)",
        real(&t, "work")
    ));
    assert!(out.bundle().text("spec.toml").contains("fromroot"));
}

#[test]
fn parents_are_searched_up_to_the_repository_root() {
    let t = project()
        .file("work/.git", "gitdir: /elsewhere/.git/worktrees/work\n")
        .spec_file("work/support-bundle.toml", &spec("fromroot"))
        .file("work/crates/deep/src/lib.rs", "");
    let (code, stdout) = dry_run_in(&t, "work/crates/deep/src");
    assert_eq!(code, Some(0), "{stdout}");
    let expected = format!(
        "using spec support-bundle.toml (found in {}, the project's own)",
        real(&t, "work")
    );
    assert!(stdout.contains(&expected), "{stdout}");
    assert!(
        stdout.contains("work/support-bundle.toml (1 steps)"),
        "{stdout}"
    );
}

#[test]
fn search_stops_at_the_repository_root() {
    // A spec above the repository (here the tempdir itself) is not the project's.
    let t = project()
        .spec_file("support-bundle.toml", &spec("above"))
        .file("work/.git/HEAD", "ref: refs/heads/main\n");
    let out = t.run_with(["collect", "--dry-run"]);
    out.success()
        .stdout_has("spec built-in:rust")
        .stdout_has("using built-in default (no project spec found)");
}

#[test]
fn a_bare_name_is_still_a_built_in() {
    let t = project()
        .file("work/.git/HEAD", "ref: refs/heads/main\n")
        .spec_file("work/support-bundle.toml", &spec("fromroot"));
    let out = t.run_with(["collect", "--spec", "kestrel", "--dry-run"]);
    out.success().stdout_has("spec built-in:kestrel");
    assert!(!out.stdout.contains("using "), "{out}");
}

#[test]
fn a_malformed_project_spec_is_an_error_not_a_fallback() {
    let t = project()
        .file("work/.git/HEAD", "ref: refs/heads/main\n")
        .spec_file(
            "work/.github/support-bundle.toml",
            "schema = 1\n\n[project]\nname = \"x\"\n\n[[collect]]\nid = \"a\"\nkind = \"fiel\"\n",
        );
    let out = t.run_with(["collect", "--out", "[TMP]/out"]);
    out.status(2).stderr_has(&format!(
        "error: {}/.github/support-bundle.toml:8:8: collector `a` has unknown kind `fiel`",
        real(&t, "work")
    ));
    assert!(out.out_files().is_empty(), "{:?}", out.out_files());
}

#[test]
fn specs_lists_the_project_spec_as_the_default() {
    let t = project()
        .file("work/.git/HEAD", "ref: refs/heads/main\n")
        .spec_file("work/.github/support-bundle.toml", &spec("mine"));
    let out = t.run_with(["specs"]);
    out.success().stdout_has(&format!(
        ".github/support-bundle.toml  the mine project (default: the project's own, found in {})",
        real(&t, "work")
    ));
    assert!(!out.stdout.contains("(default)\n"), "{out}");

    let out = t.run_with(["specs", "--json"]);
    out.success();
    let v: serde_json::Value = serde_json::from_str(&out.stdout).expect("json");
    assert_eq!(v["project"]["name"], ".github/support-bundle.toml");
    assert_eq!(v["project"]["project"], "mine");
    assert_eq!(v["project"]["dir"], real(&t, "work").as_str());
    let defaults: Vec<_> = v["specs"]
        .as_array()
        .expect("specs")
        .iter()
        .filter(|s| s["default"] == true)
        .collect();
    assert!(defaults.is_empty(), "{defaults:?}");
}

#[test]
fn specs_without_a_project_spec_marks_the_built_in_default() {
    let out = Test::new().run_with(["specs", "--json"]);
    out.success();
    let v: serde_json::Value = serde_json::from_str(&out.stdout).expect("json");
    assert!(v["project"].is_null(), "{out}");
    assert!(
        v["specs"]
            .as_array()
            .expect("specs")
            .iter()
            .any(|s| s["name"] == "rust" && s["default"] == true)
    );
}

#[test]
fn specs_shows_a_project_spec_that_does_not_load() {
    let t = Test::new()
        .file("work/.git/HEAD", "ref: refs/heads/main\n")
        .spec_file(
            "work/support-bundle.toml",
            "schema = 1\n[project]\nnom = 1\n",
        );
    let out = t.run_with(["specs"]);
    out.success()
        .stdout_has("support-bundle.toml  does not load: ")
        .stdout_has("support-bundle.toml:3:1:");
}

// Remote specs.

fn served(text: &str) -> Server {
    Server::start(text.as_bytes(), "application/toml")
}

#[test]
fn a_pinned_url_runs_and_the_bundle_records_url_and_sha256() {
    let text = spec("remote");
    let server = served(&text);
    let sha = sha256_hex(text.as_bytes());
    let url = server.url("/support-bundle.toml");
    let pinned = format!("{url}#sha256={sha}");
    let out = project().run_with(["collect", "--spec", &pinned, "--out", "[TMP]/out"]);
    out.success().stdout_has(&format!(
        "using spec fetched from {url} (sha256 {sha}, matches its pin)"
    ));
    assert!(!out.stderr.contains("not pinned"), "{out}");
    let bundle = out.bundle();
    assert_eq!(bundle.status("probe"), "ok");
    let manifest: serde_json::Value =
        serde_json::from_str(&bundle.manifest_text()).expect("manifest");
    assert_eq!(manifest["spec"]["origin"], pinned.as_str());
    assert_eq!(bundle.text("spec.toml"), text);
    assert_eq!(
        server.requests(),
        vec!["GET /support-bundle.toml HTTP/1.1".to_string()]
    );
}

#[test]
fn a_pin_mismatch_is_an_error_with_both_hashes() {
    let text = spec("remote");
    let server = served(&text);
    let wrong = sha256_hex(b"something else");
    let pinned = format!("{}#sha256={wrong}", server.url("/s.toml"));
    let out = project().run_with(["collect", "--spec", &pinned, "--out", "[TMP]/out"]);
    out.status(2)
        .stderr_has(&format!("expected sha256 {wrong}"))
        .stderr_has(&format!("got {}", sha256_hex(text.as_bytes())));
    assert!(out.out_files().is_empty(), "{:?}", out.out_files());
}

#[test]
fn an_unpinned_url_is_shown_and_refused_without_yes() {
    let text = spec("remote");
    let server = served(&text);
    let url = server.url("/s.toml");
    let t = project();
    let out = t.run_with(["collect", "--spec", &url, "--out", "[TMP]/out"]);
    out.status(2)
        .stderr_has(&format!(
            "spec {url} is not pinned; it will run, read and request:"
        ))
        .stderr_has("command probe")
        .stderr_has("pass --yes, or pin it with --spec")
        .stderr_has(&format!("{url}#sha256={}", sha256_hex(text.as_bytes())));
    assert!(out.out_files().is_empty(), "{:?}", out.out_files());

    // A "y" on a stdin that is not a terminal is no confirmation.
    let out = project()
        .stdin("y\n")
        .run_with(["collect", "--spec", &url, "--out", "[TMP]/out"]);
    out.status(2).stderr_has("pass --yes");
}

#[test]
fn an_unpinned_url_runs_with_yes() {
    let text = spec("remote");
    let server = served(&text);
    let url = server.url("/s.toml");
    let out = project().run_with(["collect", "--spec", &url, "--yes", "--out", "[TMP]/out"]);
    out.success()
        .stderr_has("is not pinned; it will run, read and request:")
        .stdout_has(&format!(
            "using spec fetched from {url} (sha256 {}, not pinned)",
            sha256_hex(text.as_bytes())
        ));
    assert_eq!(out.bundle().status("probe"), "ok");
}

#[test]
fn dry_run_of_an_unpinned_url_needs_no_confirmation() {
    let server = served(&spec("remote"));
    let out = project().run_with(["collect", "--spec", &server.url("/s.toml"), "--dry-run"]);
    out.success().stdout_has("command probe");
}

#[test]
fn plain_http_to_another_host_is_refused_before_connecting() {
    // Reserved for documentation (RFC 5737): nothing answers there, and nothing is tried.
    let out = project().run_with([
        "collect",
        "--spec",
        "http://192.0.2.1/support-bundle.toml",
        "--yes",
    ]);
    out.status(2)
        .stderr_has("plain http is fetched from loopback only")
        .stderr_has("use https");
    out.finished_within(std::time::Duration::from_secs(5));
}

#[test]
#[cfg(not(feature = "https"))]
fn https_without_tls_built_in_names_the_feature() {
    let out = project().run_with([
        "collect",
        "--spec",
        "https://192.0.2.1/support-bundle.toml",
        "--yes",
    ]);
    out.status(2).stderr_has("the `https` cargo feature");
    out.finished_within(std::time::Duration::from_secs(5));
}

#[test]
fn an_oversized_spec_is_refused() {
    // A valid spec padded with a comment past the 1 MiB cap.
    let mut text = spec("big");
    text.push('#');
    text.push_str(&"x".repeat(1024 * 1024));
    text.push('\n');
    let server = served(&text);
    let pinned = format!(
        "{}#sha256={}",
        server.url("/s.toml"),
        sha256_hex(text.as_bytes())
    );
    let out = project().run_with(["collect", "--spec", &pinned, "--out", "[TMP]/out"]);
    out.status(2).stderr_has("is larger than 1048576 bytes");
    assert!(out.out_files().is_empty(), "{:?}", out.out_files());
}

#[test]
fn a_malformed_remote_spec_points_at_its_line() {
    let server = served("schema = 1\n[project]\nname = \"x\"\ncolour = 1\n");
    let url = server.url("/s.toml");
    let out = project().run_with(["collect", "--spec", &url, "--yes"]);
    out.status(2)
        .stderr_has(&format!("error: {url}:4:1: unknown field `colour`"));
}

#[test]
fn specs_lists_the_items_of_a_url() {
    let server = served(&spec("remote"));
    let out = Test::new().run_with(["specs", &server.url("/s.toml")]);
    out.success().stdout_has("probe").stdout_has("command");
}

/// `collect --spec URL` run on a terminal (a pty from util-linux `script`), with `typed` as
/// what the user types: exit code and everything the terminal showed.
fn on_terminal(t: &Test, url: &str, typed: &str) -> Option<(Option<i32>, String)> {
    let script = std::path::Path::new("/usr/bin/script");
    if !script.is_file() {
        assert!(
            std::env::var_os("CI").is_none(),
            "script (util-linux) is missing, and CI is expected to have it"
        );
        eprintln!("skipping: script (util-linux) is not installed");
        return None;
    }
    let inner = t.command(["collect", "--spec", url, "--out", "[TMP]/out"]);
    let line = std::iter::once(inner.get_program())
        .chain(inner.get_args())
        .map(|a| format!("'{}'", a.to_string_lossy()))
        .collect::<Vec<_>>()
        .join(" ");
    let mut cmd = std::process::Command::new(script);
    cmd.args(["-q", "-e", "-c", &line, "/dev/null"])
        .env_clear()
        .env("SHELL", "/bin/sh")
        .current_dir(t.join("work"))
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    for (k, v) in inner.get_envs() {
        if let Some(v) = v {
            cmd.env(k, v);
        }
    }
    let mut child = cmd.spawn().expect("spawn script");
    {
        use std::io::Write as _;
        let mut stdin = child.stdin.take().expect("stdin");
        stdin.write_all(typed.as_bytes()).expect("type");
    }
    let out = child.wait_with_output().expect("wait for script");
    let shown =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    Some((out.status.code(), shown))
}

#[test]
fn an_unpinned_url_asks_on_a_terminal() {
    let server = served(&spec("remote"));
    let url = server.url("/s.toml");

    let t = project();
    let Some((code, shown)) = on_terminal(&t, &url, "y\n") else {
        return;
    };
    assert_eq!(code, Some(0), "{shown}");
    assert!(shown.contains("Run it? [y/N]"), "{shown}");
    assert!(shown.contains("command probe"), "{shown}");
    assert!(
        t.join("out")
            .read_dir()
            .is_ok_and(|mut d| d.next().is_some())
    );

    let t = project();
    let Some((code, shown)) = on_terminal(&t, &url, "n\n") else {
        return;
    };
    assert_eq!(code, Some(2), "{shown}");
    assert!(shown.contains("not confirmed; nothing was run"), "{shown}");
    assert!(!t.join("out").exists(), "{shown}");
}
