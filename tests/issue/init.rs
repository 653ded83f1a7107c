//! `init --from`: what is extracted from policies written for these tests (one saved with
//! Windows line endings, a BOM and mojibake emoji headings; a Kestrel-like and a mis-decoded
//! Gojinn-like one that must draft close to the built-in specs), and from the two real policies
//! where the shared folder sits beside the repository (required under `CI`).

use std::path::{Path, PathBuf};

use support_bundle::policy;
use support_bundle::spec::{self, Kind};

use super::Test;

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/policies")
        .join(name)
}

/// The spec `init --from path` drafts (printed on stdout), loaded, and its text.
#[track_caller]
fn draft_of(path: &Path) -> (spec::Spec, String) {
    let out = Test::new()
        .args(["init", "--from", path.to_str().unwrap()])
        .run();
    out.success();
    let spec = spec::parse("draft.toml", &out.stdout)
        .unwrap_or_else(|e| panic!("draft does not load: {e}\n{out}"));
    (spec, out.stdout.clone())
}

#[test]
fn windows_policy_with_mojibake() {
    let raw = std::fs::read(fixture("acme-windows-mojibake.md")).unwrap();
    let text = policy::decode(&raw);
    assert!(text.contains("## 🚀 Reporting a bug"), "{text}");
    assert!(text.contains("Relevant logs — the last hour"));
    assert!(!text.contains('\r') && !text.starts_with('\u{feff}'));

    let (spec, draft) = draft_of(&fixture("acme-windows-mojibake.md"));
    assert_eq!(spec.project.name, "acme");
    assert_eq!(
        spec.project.repository.as_deref(),
        Some("https://gitlab.com/acme-dev/acme")
    );
    let items: Vec<(&str, Kind, bool)> = spec
        .items
        .iter()
        .map(|i| (i.id.as_str(), i.kind, i.required))
        .collect();
    assert_eq!(
        items,
        [
            ("acme-version", Kind::Command, true),
            ("uname", Kind::Command, true),
            ("system", Kind::System, true),
            ("config", Kind::File, true),
            ("journal", Kind::Command, true),
        ]
    );
    assert_eq!(
        spec.item("acme-version").unwrap().argv,
        ["acme", "--version"]
    );
    assert!(spec.item("journal").unwrap().log);
    assert_eq!(
        spec.issue.sections,
        [
            "Description",
            "Acme version",
            "Kernel",
            "Operating System",
            "Configuration",
            "Logs",
            "Steps to reproduce",
            "Expected vs actual behavior"
        ]
    );
    assert_eq!(
        spec.project.security.as_deref(),
        Some(
            "Never report vulnerabilities in public issues. email security@acme.example; expect an answer within 3 days."
        )
    );
    // The questions list is not an ask list; the unknown item is a TODO in the text.
    assert!(!draft.contains("usage questions"));
    assert!(draft.contains("# TODO: not mapped from the policy: \"Your favourite colour\""));
    assert!(draft.contains("# TODO: config:"));
}

#[test]
fn plain_policy_with_a_form_and_no_security_section() {
    let (spec, draft) = draft_of(&fixture("widget-plain.md"));
    assert_eq!(
        spec.project.issue_form.as_deref(),
        Some(".github/ISSUE_TEMPLATE/bug.yml")
    );
    assert_eq!(spec.item("go-version").unwrap().argv, ["go", "version"]);
    assert_eq!(
        spec.item("wasm-modules")
            .unwrap()
            .from
            .as_ref()
            .unwrap()
            .item,
        "caddyfile"
    );
    assert!(spec.item("wasm-modules").unwrap().binary);
    assert_eq!(spec.project.security, None);
    assert!(draft.contains("# TODO: security:"));
    assert!(draft.contains("# TODO: reproduction artifact \"Dockerfile\""));
    assert!(draft.contains("# TODO: Widget version: the policy names no command"));
    assert!(
        !draft.contains("what you tried"),
        "a Questions list is not a bug report list"
    );
}

#[test]
fn cli_writes_the_draft_and_refuses_to_overwrite() {
    let t = Test::new().args([
        "init",
        "--from",
        fixture("acme-windows-mojibake.md").to_str().unwrap(),
        "--out",
        "[TMP]/acme.toml",
    ]);
    t.run()
        .success()
        .stderr_has("todo:   not mapped from the policy");
    spec::load_file(&t.join("acme.toml")).unwrap();
    let before = std::fs::read(t.join("acme.toml")).unwrap();
    t.run().status(2).stderr_has("not overwriting");
    assert_eq!(std::fs::read(t.join("acme.toml")).unwrap(), before);
}

/// Assert that a draft is close to the built-in spec it stands for: same project name, every
/// required item one the built-in spec has (by id or label) or a `*-version` command, and the
/// security section pointing at SECURITY.md.
#[track_caller]
fn assert_close_to_builtin(drafted: &spec::Spec, builtin: &str) {
    let real = spec::load(builtin).unwrap();
    assert_eq!(drafted.project.name, real.project.name);
    let required: Vec<&spec::Item> = drafted.items.iter().filter(|i| i.required).collect();
    assert!(
        !required.is_empty(),
        "{builtin}: the draft asks for nothing"
    );
    for item in required {
        let known = real
            .items
            .iter()
            .any(|r| r.id == item.id || (r.label.is_some() && r.label == item.label));
        assert!(
            known || item.id.ends_with("-version"),
            "{builtin}: unexpected {}",
            item.id
        );
    }
    assert!(
        drafted
            .project
            .security
            .as_deref()
            .unwrap()
            .contains("SECURITY.md")
    );
}

/// The ids, kinds and required flags of a spec's items, in order.
fn items(spec: &spec::Spec) -> Vec<(&str, Kind, bool)> {
    spec.items
        .iter()
        .map(|i| (i.id.as_str(), i.kind, i.required))
        .collect()
}

#[test]
fn kestrel_like_policy_drafts_close_to_the_built_in_spec() {
    let (drafted, text) = draft_of(&fixture("kestrel-like.md"));
    assert_close_to_builtin(&drafted, "kestrel");
    assert_eq!(
        items(&drafted),
        [
            ("kestrel-version", Kind::Command, true),
            ("uname", Kind::Command, true),
            ("rustc-version", Kind::Command, true),
            ("journal", Kind::Command, true),
        ]
    );
    assert_eq!(
        drafted.project.repository.as_deref(),
        Some("https://github.com/kestrel-detection/kestrel")
    );
    assert_eq!(
        drafted.project.issue_template.as_deref(),
        Some("bug_report.md")
    );
    assert!(drafted.item("journal").unwrap().log);
    assert_eq!(
        drafted.issue.sections,
        [
            "Description",
            "Steps to reproduce",
            "Expected vs actual behavior",
            "Logs"
        ]
    );
    // The questions list and the out-of-scope list ask for nothing.
    assert!(!text.contains("what you already tried"), "{text}");
    assert!(!text.contains("private forks"), "{text}");
    assert!(text.contains(
        "# TODO: not mapped from the policy: \"The smallest rule set and event sequence that still shows the problem\""
    ));
}

#[test]
fn gojinn_like_mojibake_policy_drafts_close_to_the_built_in_spec() {
    let raw = std::fs::read(fixture("gojinn-like-mojibake.md")).unwrap();
    // Written as UTF-8 read as Windows-1252 and saved again: the bytes hold `â€”`, not `—`.
    assert!(String::from_utf8_lossy(&raw).contains("\u{e2}\u{20ac}\u{201d}"));
    let decoded = policy::decode(&raw);
    assert!(decoded.contains("## 🔒 Security"), "{decoded}");

    let (drafted, text) = draft_of(&fixture("gojinn-like-mojibake.md"));
    assert_close_to_builtin(&drafted, "gojinn");
    assert_eq!(
        items(&drafted),
        [
            ("gojinn-version", Kind::Command, true),
            ("caddy-version", Kind::Command, true),
            ("system", Kind::System, true),
            ("caddyfile", Kind::File, true),
            ("wasm-modules", Kind::File, true),
        ]
    );
    assert_eq!(
        drafted.project.repository.as_deref(),
        Some("https://github.com/gojinn-io/gojinn")
    );
    assert_eq!(
        drafted.item("caddy-version").unwrap().argv,
        ["caddy", "version"]
    );
    assert!(drafted.item("wasm-modules").unwrap().binary);
    // The security text is carried over decoded.
    assert!(
        drafted
            .project
            .security
            .as_deref()
            .unwrap()
            .ends_with("channel it names — we answer there within a week."),
        "{text}"
    );
    assert!(
        !text.contains('\u{20ac}'),
        "mojibake left in the draft:\n{text}"
    );
    assert_eq!(
        drafted.issue.sections,
        [
            "Description",
            "Gojinn version",
            "Caddy version",
            "Operating System",
            "Minimal reproduction (Caddyfile + WASM module)",
            "Expected vs actual behavior"
        ]
    );
}

#[test]
fn real_policies_draft_close_to_the_built_in_specs() {
    for (file, builtin) in [
        ("kestrel-SUPPORT.md", "kestrel"),
        ("gojinn-SUPPORT.md", "gojinn"),
    ] {
        let Some(path) = crate::harness::seed(file) else {
            eprintln!("skipped: {file} is not beside the repository");
            continue;
        };
        let (drafted, _) = draft_of(&path);
        assert_close_to_builtin(&drafted, builtin);
    }
}
