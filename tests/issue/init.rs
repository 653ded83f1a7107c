//! `init --from`: what is extracted from policies written for these tests (one saved with
//! Windows line endings, a BOM and mojibake emoji headings), and from the two real policies
//! when they are beside the repository.

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use support_bundle::policy::{self, DraftOptions};
use support_bundle::spec::{self, Kind};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/policies")
        .join(name)
}

fn draft_of(path: &Path) -> (spec::Spec, policy::Draft) {
    let text = policy::decode(&std::fs::read(path).unwrap());
    let draft = policy::draft(&text, &DraftOptions::default());
    let spec = spec::parse("draft.toml", &draft.toml)
        .unwrap_or_else(|e| panic!("draft does not load: {e}\n{}", draft.toml));
    (spec, draft)
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
    assert!(!draft.toml.contains("usage questions"));
    assert!(
        draft
            .toml
            .contains("# TODO: not mapped from the policy: \"Your favourite colour\"")
    );
    assert!(draft.toml.contains("# TODO: config:"));
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
    assert!(draft.toml.contains("# TODO: security:"));
    assert!(
        draft
            .toml
            .contains("# TODO: reproduction artifact \"Dockerfile\"")
    );
    assert!(
        draft
            .toml
            .contains("# TODO: Widget version: the policy names no command")
    );
    assert!(
        !draft.toml.contains("what you tried"),
        "a Questions list is not a bug report list"
    );
}

#[test]
fn cli_writes_the_draft_and_refuses_to_overwrite() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("acme.toml");
    let run = || {
        Command::cargo_bin("support-bundle")
            .unwrap()
            .args(["init", "--from"])
            .arg(fixture("acme-windows-mojibake.md"))
            .arg("--out")
            .arg(&out)
            .output()
            .unwrap()
    };
    let first = run();
    assert!(
        first.status.success(),
        "{}",
        String::from_utf8_lossy(&first.stderr)
    );
    assert!(String::from_utf8_lossy(&first.stderr).contains("todo:   not mapped from the policy"));
    spec::load_file(&out).unwrap();
    let second = run();
    assert_eq!(second.status.code(), Some(2));
}

/// The two real policies, read by path where the shared folder sits beside the repository.
fn seed(name: &str) -> Option<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    [
        root.join("../shared/seeds"),
        root.join("../../shared/seeds"),
    ]
    .into_iter()
    .map(|d| d.join(name))
    .find(|p| p.is_file())
}

#[test]
fn real_policies_draft_close_to_the_built_in_specs() {
    for (file, builtin) in [
        ("kestrel-SUPPORT.md", "kestrel"),
        ("gojinn-SUPPORT.md", "gojinn"),
    ] {
        let Some(path) = seed(file) else {
            eprintln!("skipped: {file} is not beside the repository");
            return;
        };
        let (drafted, _) = draft_of(&path);
        let real = spec::load(builtin).unwrap();
        assert_eq!(drafted.project.name, real.project.name);
        // Every required item the draft found is one the built-in spec has, by id or label.
        for item in drafted.items.iter().filter(|i| i.required) {
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
}
