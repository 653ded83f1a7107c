//! What commands print: versioned JSON everywhere, text and JSON that carry a hostile
//! bundle's control characters only as escapes, honest redaction totals, and bounded
//! durations.

use serde_json::Value;

use crate::harness::Test;

/// Every character that must never reach a terminal raw from a bundle: ESC (OSC title,
/// clear screen, OSC 52 clipboard), BEL, C1 CSI, DEL and the bidi overrides and isolates.
const HOSTILE: &str = "title\u{1b}]0;owned\u{7} clear\u{1b}[2J\u{1b}[3J clip\u{1b}]52;c;ZWNobyBvd25lZA==\u{7} \
                       csi\u{9b}31m del\u{7f} rlo\u{202e}fdp.exe isolate\u{2067}x\u{2069}";

/// Raw characters from [`HOSTILE`] found in `text`.
fn raw_controls(text: &str) -> Vec<char> {
    text.chars()
        .filter(|&c| {
            (c.is_control() && c != '\n' && c != '\t')
                || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
        })
        .collect()
}

/// A spec with one log file item, so the issue body carries collected text.
fn demo_spec() -> String {
    r#"schema = 1

[project]
name = "demo"
display = "Demo"
repository = "https://github.com/example/demo"

[[collect]]
id = "log"
kind = "file"
path = "/var/log/demo.log"
log = true

[issue]
sections = ["Bug Description", "Logs"]

[issue.sources]
"Bug Description" = ["description"]
"#
    .to_string()
}

/// A demo machine: spec, log file and a description, all carrying [`HOSTILE`].
fn hostile_machine() -> Test {
    Test::new()
        .spec_file("demo.toml", &demo_spec())
        .file(
            "root/var/log/demo.log",
            &format!("INFO start\nERROR {HOSTILE}\n"),
        )
        .file("describe.txt", &format!("It broke: {HOSTILE}\n"))
}

fn collect_args() -> Vec<&'static str> {
    vec![
        "collect",
        "--spec",
        "[TMP]/demo.toml",
        "--sysroot",
        "[TMP]/root",
        "--out",
        "[TMP]/out",
        "--describe",
        "[TMP]/describe.txt",
    ]
}

fn json(out: &crate::harness::Output) -> Value {
    serde_json::from_str(&out.stdout).unwrap_or_else(|e| panic!("not JSON: {e}\n{out}"))
}

#[test]
fn issue_bundle_prints_a_hostile_bundles_controls_escaped() {
    let mut t = hostile_machine().args(collect_args());
    let collected = t.run();
    collected.success();
    let bundle = collected.bundle();
    let request = bundle.text("issue.json");
    // The controls really are in the bundle: the test would catch them if printed raw.
    assert!(
        request.contains('\u{9b}') || request.contains("\\u009b"),
        "{request}"
    );
    let log = bundle.names_under("files/");
    assert_eq!(log.len(), 1, "{bundle:?}");
    assert!(bundle.text(log[0]).contains("\u{1b}]52;c;"), "{bundle:?}");

    let path = bundle.path.to_string_lossy().into_owned();
    t.set_args(["issue", &path]);
    let text = t.run();
    text.success();
    expect!(
        text,
        raw_controls(&text.stdout).is_empty(),
        "raw controls in `issue BUNDLE`: {:?}",
        raw_controls(&text.stdout)
    );
    expect!(
        text,
        text.stdout.contains("\\u{1b}]52;c;") && text.stdout.contains("\\u{9b}31m"),
        "the hostile text is shown escaped"
    );

    t.set_args(["issue", &path, "--json"]);
    let out = t.run();
    out.success();
    expect!(
        out,
        raw_controls(&out.stdout).is_empty(),
        "raw controls in `issue BUNDLE --json`: {:?}",
        raw_controls(&out.stdout)
    );
    // Escaped, not dropped: the JSON value is the body as rendered.
    let body = json(&out)["body"].as_str().unwrap_or_default().to_string();
    for c in ['\u{1b}', '\u{9b}', '\u{7f}', '\u{202e}', '\u{2067}'] {
        expect!(out, body.contains(c), "{c:?} missing from the decoded body");
    }
}

#[test]
fn every_json_output_carries_the_format_version() {
    let t = hostile_machine().file(
        "SUPPORT.md",
        "# Demo support\n\nPlease include the output of `demo --version` and your logs.\n",
    );
    let mut collect = collect_args();
    collect.push("--json");
    let mut t = t.args(&collect);
    let collected = t.run();
    collected.success();
    let bundle = collected.bundle().path.to_string_lossy().into_owned();
    let mut dry = collect.clone();
    dry.push("--dry-run");
    let runs: Vec<Vec<&str>> = vec![
        dry,
        vec!["specs", "--json"],
        vec!["verify", "--json", &bundle],
        vec!["inspect", "--json", &bundle],
        vec!["check", "--json", &bundle],
        vec!["diff", "--json", &bundle, &bundle],
        vec!["extract", "--json", &bundle, "--to", "[TMP]/x"],
        vec!["issue", "--json", &bundle],
        vec!["init", "--json", "--from", "[TMP]/SUPPORT.md"],
    ];
    assert_eq!(json(&collected)["format_version"], 1, "{collected}");
    for args in runs {
        t.set_args(&args);
        let out = t.run();
        out.success();
        let value = json(&out);
        expect!(
            out,
            value["format_version"] == 1,
            "{args:?}: no format_version 1"
        );
        expect!(
            out,
            raw_controls(&out.stdout).is_empty(),
            "{args:?}: raw controls {:?}",
            raw_controls(&out.stdout)
        );
    }
}

#[test]
fn new_json_outputs_carry_their_content() {
    let t = Test::new().file(
        "SUPPORT.md",
        "# Demo support\n\nPlease include the output of `demo --version`.\n",
    );
    let mut t = t.args(["specs", "--json"]);
    let out = t.run();
    out.success();
    let specs = json(&out)["specs"].as_array().cloned().unwrap_or_default();
    let names: Vec<&str> = specs.iter().filter_map(|s| s["name"].as_str()).collect();
    expect!(out, names.contains(&"kestrel"), "{names:?}");
    expect!(
        out,
        specs.iter().filter(|s| s["default"] == true).count() == 1,
        "one default"
    );

    t.set_args([
        "init",
        "--json",
        "--from",
        "[TMP]/SUPPORT.md",
        "-o",
        "[TMP]/demo.toml",
    ]);
    let out = t.run();
    out.success();
    let v = json(&out);
    let written = std::fs::read_to_string(t.join("demo.toml")).expect("the draft was written");
    expect!(
        out,
        v["toml"] == written.as_str(),
        "the JSON carries the draft"
    );
    expect!(
        out,
        v["mapped"].is_array() && v["todos"].is_array(),
        "lists"
    );
}

#[test]
fn the_summary_counts_redactions_in_title_and_description() {
    let t = Test::new()
        .spec_file("demo.toml", &demo_spec())
        .file("root/var/log/demo.log", "INFO nothing secret here\n")
        .file(
            "describe.txt",
            "it fails with password=Sup3rSecretValue and token ghp_abcdefghijklmnopqrstuvwxyz0123456789\n",
        );
    let mut args = collect_args();
    args.extend(["--title", "crash with api_key=AKIAIOSFODNN7EXAMPLE"]);
    let out = t.args(&args).run();
    out.success();
    let bundle = out.bundle();
    let report: Value =
        serde_json::from_str(&bundle.text("redaction-report.json")).expect("report is JSON");
    let total = report["total"].as_u64().expect("total");
    let in_items: u64 = bundle.manifest["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter_map(|i| i["redactions"].as_u64())
        .sum();
    assert!(total >= 2 && in_items == 0, "{report}");
    expect!(
        out,
        out.stdout.contains(&format!("; {total} values redacted")),
        "the summary counts all {total} replacements"
    );
    out.assert_no_secrets(&["Sup3rSecretValue", "AKIAIOSFODNN7EXAMPLE"]);
}

#[test]
fn an_out_of_range_timeout_is_a_usage_error() {
    let t = Test::new().spec_file("demo.toml", &demo_spec());
    for timeout in ["9223372036854775807", "18446744073709551615", "86401"] {
        let out = Test::new()
            .spec_file("demo.toml", &demo_spec())
            .args(["collect", "--spec", "[TMP]/demo.toml", "--out", "[TMP]/out"])
            .args(["--timeout", timeout])
            .run();
        out.status(2);
        expect!(out, out.stderr.contains("--timeout"), "names the flag");
        expect!(out, out.out_files().is_empty(), "nothing written");
    }
    let out = t
        .args(["collect", "--spec", "[TMP]/demo.toml", "--out", "[TMP]/out"])
        .args(["--timeout", "86400", "--dry-run"])
        .run();
    out.success();
}

#[test]
fn an_unknown_var_names_the_spec_variables() {
    let out = Test::new()
        .spec_file(
            "demo.toml",
            &demo_spec().replace("[[collect]]", "[vars]\nport = \"1\"\n\n[[collect]]"),
        )
        .args(["collect", "--spec", "[TMP]/demo.toml", "--out", "[TMP]/out"])
        .args(["--var", "prot=2"])
        .run();
    out.status(2);
    expect!(
        out,
        out.stderr
            .contains("spec `demo` has no variable `prot` (its variables: port)"),
        "names the variables"
    );
}
