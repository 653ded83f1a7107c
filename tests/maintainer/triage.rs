//! `triage`: the issue comment for bundles written by `collect` on demo machines (verdict,
//! flagged checks, missing required items with hints, facts, the diff line between two
//! bundles, JSON), for a tampered and a refused bundle (said in the comment, exit 1 and 2),
//! and for a bundle whose spec and facts were written to inject Markdown: rendered with a
//! real GFM renderer (cmark-gfm, required under `CI`), nothing in it links, mentions,
//! injects HTML or breaks the facts table.

use std::process::Command;

use super::*;

fn triage(args: &[&str]) -> (i32, String, String) {
    let mut all = vec!["triage"];
    all.extend_from_slice(args);
    run_code(&all)
}

fn s(p: &Path) -> &str {
    p.to_str().expect("utf-8 path")
}

#[test]
fn comment_has_verdict_checks_completeness_and_facts() {
    let m = demo_machine("1.2.0", "5.4.0-150-generic", "started\n");
    std::fs::remove_file(m.join("root/etc/demo/config.toml")).expect("remove config");
    let bundle = m.collect();
    let (code, out, err) = triage(&[s(&bundle)]);
    assert_eq!(code, 1, "a failing check is a negative verdict\n{out}{err}");
    assert!(out.starts_with("<!-- support-bundle-triage -->\n"), "{out}");
    assert!(out.contains("**Verify: intact**"), "{out}");
    assert!(out.contains("- **fail** ` kernel-floor `"), "{out}");
    assert!(out.contains("Demo needs Linux 5.10 or newer"), "{out}");
    assert!(out.contains("- **warn** ` old-demo `"), "{out}");
    assert!(
        out.contains("**Completeness:** 2 of 3 required items present; missing:"),
        "{out}"
    );
    assert!(out.contains("(` config `): not found"), "{out}");
    assert!(
        out.contains("  - to supply it: install it or point the spec at it"),
        "{out}"
    );
    assert!(out.contains("| ` demo_version ` | ` 1.2.0 ` |"), "{out}");
    assert!(
        out.contains("| ` kernel ` | ` 5.4.0-150-generic ` |"),
        "{out}"
    );
    assert!(!out.contains("Since the previous bundle"), "{out}");

    let h = demo_machine("1.3.0", "6.1.0-18-amd64", "ok\n");
    let healthy = h.collect();
    let (code, out, err) = triage(&["--markdown", s(&healthy)]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("**Checks:** none fails or warns."), "{out}");
    assert!(
        out.contains("**Completeness:** 3 of 3 required items present."),
        "{out}"
    );
}

#[test]
fn two_bundles_get_one_diff_line_and_json_has_the_same() {
    let (a, b) = (
        demo_machine("1.2.0", "6.1.0-18-amd64", "ok\n"),
        demo_machine("1.3.0", "6.1.0-18-amd64", "ok\n"),
    );
    let (before, after) = (a.collect(), b.collect());
    let (code, out, err) = triage(&[s(&before), s(&after)]);
    assert_eq!(code, 0, "{out}{err}");
    // Newest first: the later bundle's section leads and carries the diff line.
    let later = out.find("### Bundle 2 of 2").expect("bundle 2 section");
    let earlier = out.find("### Bundle 1 of 2").expect("bundle 1 section");
    assert!(later < earlier, "{out}");
    let line = out
        .lines()
        .find(|l| l.starts_with("**Since the previous bundle:**"))
        .unwrap_or_else(|| panic!("no diff line\n{out}"));
    assert!(
        line.contains("facts: demo\\_version 1.2.0 → 1.3.0"),
        "{line}"
    );
    assert!(line.contains("checks: old\\-demo warn → pass"), "{line}");
    assert!(line.contains("items: 1 changed"), "{line}");
    assert_eq!(
        out.matches("**Since the previous bundle:**").count(),
        1,
        "{out}"
    );

    let (code, json, err) = triage(&["--json", s(&before), s(&after)]);
    assert_eq!(code, 0, "{err}");
    let v: serde_json::Value = serde_json::from_str(&json).expect("json");
    assert_eq!(v["format_version"], 1, "{json}");
    assert_eq!(v["bundles"][0]["verdict"], "intact");
    assert_eq!(v["bundles"][1]["summary"]["facts"]["demo_version"], "1.3.0");
    assert_eq!(
        v["bundles"][0]["summary"]["flagged_checks"][0]["id"],
        "old-demo"
    );
    let since = v["bundles"][1]["since_previous"]
        .as_str()
        .expect("diff line");
    assert!(since.contains("demo_version 1.2.0 → 1.3.0"), "{since}");
    assert!(v["bundles"][0].get("since_previous").is_none(), "{json}");
}

#[test]
fn tampered_and_refused_bundles_are_said_so_in_the_comment() {
    let m = demo_machine("1.3.0", "6.1.0-18-amd64", "ok\n");
    let bundle = m.collect();
    // Rewrite the zip with one entry's content changed but the manifest kept.
    let entries = read_entries(&bundle);
    let tampered = m.join("tampered.zip");
    {
        let file = std::fs::File::create(&tampered).expect("create");
        let mut zip = zip::ZipWriter::new(file);
        let opts = zip::write::SimpleFileOptions::DEFAULT;
        for (name, data) in &entries {
            zip.start_file(name.as_str(), opts).expect("start");
            let data = if name.ends_with("config.toml") {
                b"[server]\nworkers = 64\n".to_vec()
            } else {
                data.clone()
            };
            zip.write_all(&data).expect("write");
        }
        zip.finish().expect("finish");
    }
    let (code, out, err) = triage(&[s(&tampered)]);
    assert_eq!(code, 1, "{out}{err}");
    assert!(out.contains("**Verify: TAMPERED**"), "{out}");
    assert!(out.contains("content changed"), "{out}");

    let junk = m.join("not-a-bundle.zip");
    std::fs::write(&junk, b"PK\x03\x04 this is not a zip").expect("write");
    let (code, out, err) = triage(&[s(&bundle), s(&junk)]);
    assert_eq!(code, 2, "a refused bundle is an input error\n{out}{err}");
    assert!(out.contains("**Verify: refused**"), "{out}");
    assert!(
        out.contains("**Verify: intact**"),
        "the readable one is still reported\n{out}"
    );
    assert!(!out.contains("Since the previous bundle"), "{out}");
}

/// Text written to be rendered as links, mentions, HTML, a table breakout or a fence.
const HOSTILE: &str = "@maintainer [x](http://evil.example/a) <img src=x onerror=alert(1)> \
                       www.evil.example | injected | cell ``` fence <script>alert(2)</script>";

fn hostile_spec() -> String {
    let toml_str = |s: &str| format!("'{s}'");
    format!(
        r#"schema = 1

[project]
name = "evil"
display = "Evil"

[[collect]]
id = "tool"
kind = "command"
argv = ["evil-tool"]
required = true
label = {label}
log = true
fact = {{ name = "tool_version", regex = 'version: (.*)' }}

[[collect]]
id = "gone"
kind = "command"
argv = ["not-installed-here"]
required = true
label = {label}
hint = {label}

[[check]]
id = "always"
when = "present tool_version"
level = "fail"
message = {label}
"#,
        label = toml_str(HOSTILE)
    )
}

/// `markdown` rendered to HTML by cmark-gfm with GitHub's extensions, raw HTML let through
/// (so only our escaping keeps it out); `None` when cmark-gfm is absent outside CI.
fn render_gfm(markdown: &str) -> Option<String> {
    let probe = Command::new("cmark-gfm").arg("--version").output();
    if probe.is_err() {
        assert!(
            std::env::var_os("CI").is_none(),
            "cmark-gfm is missing, and CI is expected to install it"
        );
        eprintln!("skipping the rendering check: cmark-gfm is not installed");
        return None;
    }
    let mut child = Command::new("cmark-gfm")
        .args([
            "--unsafe",
            "-e",
            "table",
            "-e",
            "autolink",
            "-e",
            "strikethrough",
        ])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("start cmark-gfm");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(markdown.as_bytes())
        .expect("write markdown");
    let out = child.wait_with_output().expect("cmark-gfm");
    assert!(out.status.success());
    Some(String::from_utf8(out.stdout).expect("utf-8 html"))
}

#[test]
fn hostile_bundle_renders_inert() {
    let m = Test::new()
        .spec(&hostile_spec())
        .file("root/.keep", "")
        .fake_output("evil-tool", &format!("version: {HOSTILE}\n"));
    let bundle = m.collect();
    let (code, out, err) = triage(&[s(&bundle)]);
    assert_eq!(code, 1, "{out}{err}");
    // The hostile text reached the comment: as the fact, the check, the label and the hint.
    assert!(out.contains("` tool_version `"), "{out}");
    assert!(out.contains("- **fail** ` always `"), "{out}");
    assert!(out.contains("to supply it:"), "{out}");
    assert!(!out.contains("@maintainer"), "mention\n{out}");
    assert!(!out.contains("```"), "fence\n{out}");

    let Some(html) = render_gfm(&out) else {
        return;
    };
    for bad in ["<a ", "<img", "<script", "<del", "onerror=alert(1)>"] {
        assert!(
            !html.contains(bad),
            "`{bad}` in the rendered comment\n{html}"
        );
    }
    assert!(!html.contains("@maintainer"), "{html}");
    assert!(!html.contains("<pre"), "a fence opened\n{html}");
    // Every facts-table row has exactly its two cells.
    for row in html.split("<tr>").skip(1) {
        let cells = row.matches("<td").count() + row.matches("<th").count();
        assert_eq!(cells, 2, "table breakout: {row}\n{html}");
    }
}

#[test]
fn a_private_bundle_on_an_issue_is_flagged() {
    let m = demo_machine("1.3.0", "6.1.0-18-amd64", "ok\n");
    let out = m.run_with([
        "collect",
        "--no-progress",
        "--security",
        "--spec",
        "[TMP]/spec.toml",
        "--sysroot",
        "[TMP]/root",
        "--out",
        "[TMP]/out",
    ]);
    out.success();
    let bundle = out.bundle().path;
    let (code, text, err) = triage(&[s(&bundle)]);
    assert_eq!(code, 0, "{text}{err}");
    assert!(text.contains("**This bundle is marked private**"), "{text}");
    let other = demo_machine("1.3.0", "6.1.0-18-amd64", "ok\n");
    let (_, public, _) = triage(&[s(&other.collect())]);
    assert!(!public.contains("marked private"), "{public}");
}
