//! Links: the 8,000-byte bound with huge logs, decode round trips, forges, issue forms,
//! `gh` lines and security reports.

use support_bundle::issue::url::MAX_URL_BYTES;

use super::{Test, bundle_in, fixture, run, success};

fn stdout(args: &[&str]) -> String {
    success(run(args))
}

/// The decoded query parameters of a URL.
fn params(url: &str) -> Vec<(String, String)> {
    let query = url.split_once('?').unwrap().1;
    form_urlencoded::parse(query.as_bytes())
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

fn param(url: &str, key: &str) -> Option<String> {
    params(url)
        .into_iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v)
}

#[test]
fn small_bundle_link_carries_the_whole_body() {
    let dir = tempfile::tempdir().unwrap();
    let bundle = fixture::kestrel(dir.path(), &fixture::builtin_text("kestrel"), 10);
    let b = bundle.to_str().unwrap();
    let body = stdout(&["issue", b]);
    let url = stdout(&["issue", b, "--url", "--title", "alerts & rules: 100% gone?"]);
    let url = url.trim_end();
    assert!(url.starts_with("https://github.com/kestrel-detection/kestrel/issues/new?"));
    assert!(url.len() <= MAX_URL_BYTES);
    // Round trip: decoding gives back exactly the body.
    assert_eq!(param(url, "body").as_deref(), Some(body.as_str()));
    assert_eq!(
        param(url, "title").as_deref(),
        Some("[BUG] alerts & rules: 100% gone?")
    );
    assert_eq!(param(url, "template").as_deref(), Some("bug_report.md"));
    assert_eq!(param(url, "labels").as_deref(), Some("bug"));
}

#[test]
fn a_body_over_the_bound_loses_log_lines_before_anything_else() {
    let dir = tempfile::tempdir().unwrap();
    let bundle = fixture::gojinn(dir.path(), &fixture::builtin_text("gojinn"));
    let b = bundle.to_str().unwrap();
    let full = stdout(&["issue", b]);
    let url = stdout(&["issue", b, "--url"]);
    let url = url.trim_end();
    assert!(url.len() <= MAX_URL_BYTES);
    let body = param(url, "body").unwrap();
    assert!(full.contains("(last 60 lines)"));
    assert!(body.contains("(last 30 lines)"), "{body}");
    // Details stay: the Caddyfile and the module's hash.
    assert!(body.contains("gojinn ./functions/hello.wasm"));
    assert!(body.contains("`files/wasm-modules/hello.wasm` (64 bytes, sha256 `"));
}

#[test]
fn huge_logs_are_trimmed_first_and_the_link_stays_under_the_bound() {
    let dir = tempfile::tempdir().unwrap();
    let text = fixture::builtin_text("kestrel").replace("log_lines = 60", "log_lines = 5000");
    let bundle = fixture::kestrel(dir.path(), &text, 20_000);
    let b = bundle.to_str().unwrap();
    let full = stdout(&["issue", b]);
    assert!(
        full.len() > MAX_URL_BYTES * 2,
        "the fixture must not fit: {}",
        full.len()
    );
    let url = stdout(&["issue", b, "--url"]);
    let url = url.trim_end();
    assert!(url.len() <= MAX_URL_BYTES, "{} bytes", url.len());
    let body = param(url, "body").unwrap();
    assert!(body.contains("the full text is in the attached support bundle's `issue.md`"));
    // Kept: the environment table and the checklist.
    assert!(body.contains("| kernel | 5.4.0 | `system` (`system.json`) |"));
    assert!(body.contains("## Completeness checklist"));
    assert!(body.contains("- [ ] Configuration (`config`): **missing** (permission denied"));
    // Round trip: the decoded body and the full body share everything before the first
    // trimmed section (the header comment).
    let header_end = full.find("-->\n").unwrap() + 4;
    assert_eq!(&body[..header_end], &full[..header_end]);
    // The last log line survives the trimming.
    assert!(body.contains("event 20000 handled"));
}

#[test]
fn gitlab_and_gitea_links() {
    let dir = tempfile::tempdir().unwrap();
    for (repo, prefix, title_key, body_key) in [
        (
            "https://gitlab.com/kestrel/kestrel",
            "https://gitlab.com/kestrel/kestrel/-/issues/new?",
            "issue[title]",
            "issue[description]",
        ),
        (
            "https://codeberg.org/kestrel/kestrel",
            "https://codeberg.org/kestrel/kestrel/issues/new?",
            "title",
            "body",
        ),
    ] {
        let text = fixture::builtin_text("kestrel")
            .replace("https://github.com/kestrel-detection/kestrel", repo);
        let sub = dir.path().join(prefix.len().to_string());
        std::fs::create_dir_all(&sub).unwrap();
        let bundle = fixture::kestrel(&sub, &text, 10);
        let b = bundle.to_str().unwrap();
        let body = stdout(&["issue", b]);
        let url = stdout(&["issue", b, "--url"]);
        let url = url.trim_end();
        assert!(url.starts_with(prefix), "{url}");
        // The link's title says what the `gh` line's does.
        assert_eq!(
            param(url, title_key).as_deref(),
            Some("[BUG] <one-line summary>")
        );
        assert_eq!(param(url, body_key).as_deref(), Some(body.as_str()));
        assert!(param(url, "labels").is_none());
    }
}

const FORM: &str = "name: Bug report\ndescription: Report a bug\nbody:\n  - type: markdown\n    attributes:\n      value: Thanks for reporting.\n  - type: textarea\n    id: description\n    attributes:\n      label: Bug Description\n  - type: input\n    id: version\n    attributes:\n      label: Kestrel version\n  - type: textarea\n    id: env\n    attributes:\n      label: Environment\n  - type: textarea\n    id: context\n    attributes:\n      label: Additional context\n";

#[test]
fn issue_form_fields_are_prefilled_by_id() {
    let dir = tempfile::tempdir().unwrap();
    let repo = dir.path().join("checkout");
    std::fs::create_dir_all(repo.join(".github/ISSUE_TEMPLATE")).unwrap();
    std::fs::write(repo.join(".github/ISSUE_TEMPLATE/bug.yml"), FORM).unwrap();
    // `version` is mapped inline to the description, which a label match then cannot take.
    let text = fixture::builtin_text("kestrel").replace(
        "issue_template = \"bug_report.md\"",
        "issue_form = \".github/ISSUE_TEMPLATE/bug.yml\"",
    ) + "\n[issue.form]\nversion = \"Bug Description\"\n";
    let bundle = fixture::kestrel(dir.path(), &text, 10);
    let url = stdout(&[
        "issue",
        bundle.to_str().unwrap(),
        "--url",
        "--repo-dir",
        repo.to_str().unwrap(),
    ]);
    let url = url.trim_end();
    let p = params(url);
    assert_eq!(param(url, "template").as_deref(), Some("bug.yml"));
    assert!(
        param(url, "body").is_none(),
        "a form gets fields, not a body"
    );
    // Inline mapping wins: `version` holds the description placeholder.
    assert!(
        param(url, "version")
            .unwrap()
            .contains("Bug Description: please fill this in")
    );
    // By label: Environment, the template's own list first.
    assert!(
        param(url, "env")
            .unwrap()
            .starts_with("- **OS**: `Ubuntu 20.04`\n- **Kernel Version**: `5.4.0`\n")
    );
    // The rest, checklist included, goes to the last text area.
    let context = param(url, "context").unwrap();
    assert!(context.contains("### Completeness checklist"));
    assert!(context.contains("### To Reproduce"));
    assert!(
        p.iter().all(|(k, _)| [
            "template",
            "title",
            "labels",
            "version",
            "env",
            "context",
            "description"
        ]
        .contains(&k.as_str())),
        "{p:?}"
    );
    // Without the checkout, the link carries the body.
    let url = stdout(&["issue", bundle.to_str().unwrap(), "--url"]);
    assert!(
        param(url.trim_end(), "version")
            .unwrap()
            .contains("Bug Description")
    );
}

#[test]
fn collect_prints_link_and_gh_line_and_security_prints_neither() {
    // The spec names `note.txt` relative to the run's directory, `<tmp>/work`.
    let t = Test::new()
        .file(
            "work/mini.toml",
            "schema = 1\n[project]\nname = \"mini\"\nrepository = \"https://github.com/o/mini\"\nsecurity = \"Email sec@mini.example privately.\"\n[[collect]]\nid = \"note\"\nkind = \"file\"\npath = \"note.txt\"\nrequired = true\n[issue]\ntitle = \"[BUG] \"\nlabels = [\"bug\", \"needs triage\"]\n",
        )
        .file("work/note.txt", "hello\n");
    let collect = |out_dir: &std::path::Path, extra: &[&str]| {
        let out_dir = out_dir.to_str().unwrap();
        let args = [
            "collect",
            "--spec",
            "mini.toml",
            "--out",
            out_dir,
            "--title",
            "it's broken",
        ];
        success(t.run_with(args.iter().chain(extra)))
    };
    let out_dir = t.join("public");
    let summary = collect(&out_dir, &[]);
    let url = summary
        .lines()
        .find_map(|l| l.strip_prefix("file   "))
        .unwrap();
    assert_eq!(param(url, "labels").as_deref(), Some("bug,needs triage"));
    let issue_md = out_dir.join("mini-issue.md");
    let gh = summary
        .lines()
        .find_map(|l| l.strip_prefix("or     "))
        .unwrap();
    assert_eq!(
        gh,
        format!(
            "gh issue create --repo o/mini --title '[BUG] it'\\''s broken' --body-file {} --label bug --label 'needs triage'",
            issue_md.display()
        )
    );

    let out_dir = t.join("private");
    let issue_md = out_dir.join("mini-issue.md");
    let summary = collect(&out_dir, &["--security"]);
    assert!(!summary.contains("https://"), "{summary}");
    assert!(!summary.contains("gh issue"), "{summary}");
    assert!(summary.contains(
        "SECURITY REPORT: do not file a public issue. Email sec@mini.example privately."
    ));
    let body = std::fs::read_to_string(&issue_md).unwrap();
    assert!(
        body.contains("> **Security report: do not file this publicly.** Email sec@mini.example")
    );
    let bundle = bundle_in(&out_dir);
    let stored = crate::harness::Bundle::open(&bundle).unwrap();
    assert_eq!(
        stored.manifest["private"],
        true,
        "{}",
        stored.manifest_text()
    );
    // The private bundle keeps refusing a public link.
    let out = run(&["issue", bundle.to_str().unwrap(), "--url"]);
    out.status(2).stderr_has("sec@mini.example");
    expect!(out, out.stdout.is_empty(), "no link on stdout");
}

/// `collect` on a machine without a journal: the summary says the restart-loop check is
/// unknown and why (not a pass), quotes the failing rule's line, and a security report says
/// "do not file a public issue" once even when the project's own contact says it too.
#[test]
fn collect_summary_tells_unknown_checks_and_security_once() {
    let t = Test::new()
        .fake_command(
            "kestrel",
            "case \"$1\" in\n--version) echo 'kestrel 0.1.0' ;;\nvalidate) echo 'ERROR kestrel_rules: Failed to load rule path=r/notes.txt error=Invalid rule format'; echo 'Error: Failed to load 1 rules' >&2; exit 1 ;;\n*) echo '- rule-001 (Example) - Medium' ;;\nesac\n",
        )
        .fake_command("journalctl", "echo 'No journal files were found.' >&2\nexit 1\n")
        .file("work/rules/r.yml", "id: rule-001\n");
    let out_dir = t.join("out");
    let out = t.run_with([
        "collect",
        "--spec",
        "kestrel",
        "--var",
        "rules_dir=rules",
        "--var",
        "metrics_url=http://127.0.0.1:9/metrics",
        "--out",
        out_dir.to_str().unwrap(),
        "--security",
    ]);
    let summary = success(out);
    let line = |id: &str| {
        summary
            .lines()
            .find(|l| l.starts_with("check ") && l.contains(id))
            .unwrap_or_else(|| panic!("no check line for {id}:\n{summary}"))
            .to_string()
    };
    assert_eq!(
        line("unit-config-flag"),
        "check UNKNOWN unit-config-flag: `journal` was not collected: missing: No journal files were found."
    );
    assert!(
        line("rules-load").starts_with("check WARN rules-load: some rules failed to load")
            && line("rules-load").ends_with("(seen: \"Error: Failed to load 1 rules\")"),
        "{summary}"
    );
    assert_eq!(
        summary.matches("o not file a public issue").count(),
        1,
        "{summary}"
    );
    assert!(
        summary.contains(
            "SECURITY REPORT: Do not file a public issue. Email security@kestrel-detection.org"
        ),
        "{summary}"
    );
    let body = std::fs::read_to_string(out_dir.join("kestrel-issue.md")).unwrap();
    assert!(
        body.contains("> **Security report.** Do not file a public issue. Email"),
        "{body}"
    );
    assert_eq!(
        body.to_lowercase().matches("do not file").count(),
        1,
        "{body}"
    );
}
