//! `collect` with the default spec (`rust`), `specs`, and `--dry-run`.

use serde_json::Value;

use crate::fixtures::{self, PACKAGE_NAME, PACKAGE_VERSION, RUSTC_HOST, RUSTC_RELEASE};
use crate::harness::Test;

/// Whether some line of `text` contains every one of `parts`.
fn line_with(text: &str, parts: &[&str]) -> bool {
    text.lines().any(|l| parts.iter().all(|p| l.contains(p)))
}

#[test]
fn default_spec_collects_toolchain_and_package() {
    let out = fixtures::rust_project(Test::new())
        .args(["collect", "--out", "[TMP]/out"])
        .run();
    out.success();
    let bundle = out.bundle();
    for entry in [
        "system.json",
        "commands/rustc.txt",
        "commands/cargo.txt",
        "manifest.json",
    ] {
        expect!(out, bundle.has(entry), "no {entry} in {bundle:?}");
    }
    assert_eq!(bundle.manifest["project"]["name"], "rust");
    for id in ["system", "rustc", "cargo", "cargo-toml"] {
        assert_eq!(bundle.status(id), "ok", "{id}: {}", bundle.manifest_text());
    }
    let rustc = bundle.text("commands/rustc.txt");
    assert!(rustc.contains(&format!("host: {RUSTC_HOST}")), "{rustc}");

    assert_eq!(bundle.fact("package_name"), Some(PACKAGE_NAME));
    assert_eq!(bundle.fact("package_version"), Some(PACKAGE_VERSION));
    assert_eq!(bundle.fact("rustc_version"), Some(RUSTC_RELEASE));
    assert_eq!(bundle.fact("rustc_host"), Some(RUSTC_HOST));
    assert_eq!(
        bundle.manifest["facts"]["package_name"]["item"],
        "cargo-toml",
        "{}",
        bundle.manifest_text()
    );

    // system.json is JSON with the machine's kernel.
    let system: Value = serde_json::from_slice(&bundle.entries["system.json"]).expect("json");
    assert!(system.is_object(), "{system}");

    // Every entry the manifest lists is in the zip with that size and hash.
    let files = bundle.manifest["files"].as_object().expect("files map");
    for (name, record) in files {
        let data = bundle
            .entries
            .get(name)
            .unwrap_or_else(|| panic!("manifest lists {name}, zip lacks it"));
        assert_eq!(record["size"], data.len() as u64, "{name}");
        assert_eq!(record["sha256"], crate::harness::sha256_hex(data), "{name}");
    }
    for name in bundle.entries.keys().filter(|n| *n != "manifest.json") {
        assert!(
            files.contains_key(name),
            "zip entry {name} not in manifest files"
        );
    }

    // The bundle is named after the sha256 of its manifest.
    let id = crate::harness::sha256_hex(&bundle.entries["manifest.json"]);
    assert_eq!(bundle.file_name, format!("rust-bundle-{}.zip", &id[..12]));

    let issue = out.issue();
    assert!(
        line_with(&issue, &["package_name", PACKAGE_NAME]),
        "{issue}"
    );
    assert!(
        line_with(&issue, &["package_version", PACKAGE_VERSION]),
        "{issue}"
    );
    assert!(
        line_with(&issue, &["rustc_version", RUSTC_RELEASE]),
        "{issue}"
    );
    assert!(issue.contains(&bundle.file_name), "{issue}");
    // The issue inside the bundle is the body without the trailer naming the bundle.
    let inner = bundle.text("issue.md");
    assert!(issue.starts_with(inner.trim_end()), "{inner}\n---\n{issue}");

    // The summary names the bundle and issue paths.
    let stdout = out.stdout_filtered();
    assert!(
        stdout.contains(&format!("[TMP]/out/{}", bundle.file_name)),
        "{stdout}"
    );
    assert!(stdout.contains("[TMP]/out/rust-issue.md"), "{stdout}");
}

#[test]
fn missing_rustc_is_a_status_not_a_failure() {
    let out = Test::new()
        .file(
            "work/Cargo.toml",
            "[package]\nname = \"bare\"\nversion = \"0.0.1\"\n",
        )
        .args(["collect", "--out", "[TMP]/out"])
        .run();
    out.success();
    let bundle = out.bundle();
    assert_eq!(
        bundle.status("rustc"),
        "missing",
        "{}",
        bundle.manifest_text()
    );
    assert_eq!(bundle.status("cargo"), "missing");
    let detail = bundle.item("rustc")["detail"].as_str().unwrap_or_default();
    assert!(detail.contains("rustc"), "{detail}");
    assert!(!bundle.has("commands/rustc.txt"), "{bundle:?}");
    assert_eq!(bundle.fact("rustc_version"), None);
    assert_eq!(bundle.fact("package_name"), Some("bare"));
    // A required item that is missing must show in the issue, with its hint.
    let issue = out.issue();
    assert!(issue.contains("rustup"), "{issue}");
}

#[test]
fn no_cargo_toml_means_no_package_facts() {
    let out = Test::new()
        .fake_command(
            "rustc",
            "printf 'rustc 1.95.0 (59807616e 2026-04-14)\\nhost: x\\n'\n",
        )
        .args(["collect", "--out", "[TMP]/out"])
        .run();
    out.success();
    let bundle = out.bundle();
    assert_eq!(
        bundle.status("cargo-toml"),
        "missing",
        "{}",
        bundle.manifest_text()
    );
    assert_eq!(bundle.fact("package_name"), None);
    assert_eq!(bundle.fact("rustc_version"), Some("1.95.0"));
}

#[test]
fn out_defaults_to_the_current_directory() {
    let out = fixtures::rust_project(Test::new()).args(["collect"]).run();
    out.success();
    let bundle = out.bundle();
    assert!(bundle.path.starts_with(out.out_dir()));
    assert!(out.out_files().contains(&"rust-issue.md".to_string()));
}

#[test]
fn specs_lists_the_builtins_and_marks_the_default() {
    let out = Test::new().args(["specs"]).run();
    out.success();
    let lines: Vec<&str> = out.stdout.lines().collect();
    for name in ["rust", "kestrel", "gojinn"] {
        let matching: Vec<&&str> = lines
            .iter()
            .filter(|l| l.split_whitespace().next() == Some(name))
            .collect();
        expect!(out, matching.len() == 1, "one line for `{name}`");
        let default = matching[0].contains("(default)");
        expect!(out, default == (name == "rust"), "`(default)` only on rust");
    }
}

#[test]
fn dry_run_writes_nothing_and_runs_nothing() {
    let t = fixtures::kestrel(Test::new())
        .args(["collect", "--spec", "kestrel", "--sysroot", "[TMP]/root"])
        .args(["--out", "[TMP]/out", "--dry-run"]);
    let ran = t.join("ran.log");
    let list = |dir: std::path::PathBuf| {
        let mut names: Vec<_> = std::fs::read_dir(dir)
            .map(|d| d.filter_map(Result::ok).map(|e| e.file_name()).collect())
            .unwrap_or_default();
        names.sort();
        names
    };
    let before = list(t.join("work"));
    let out = t.run();
    out.success();
    expect!(
        out,
        out.out_files().is_empty(),
        "out dir: {:?}",
        out.out_files()
    );
    expect!(out, !ran.exists(), "a fake command ran during --dry-run");
    let after = list(t.join("work"));
    expect!(out, before == after, "cwd changed: {before:?} -> {after:?}");

    let stdout = out.stdout_filtered();
    // Argv as the spec writes it, with its program resolved on PATH.
    expect!(
        out,
        line_with(
            &stdout,
            &[
                "kestrel-version",
                "\"kestrel\"",
                "\"--version\"",
                "[TMP]/bin/kestrel"
            ]
        ),
        "kestrel-version's argv and resolved program"
    );
    // `{sysroot}{rules_dir}` filled in.
    expect!(
        out,
        line_with(&stdout, &["rules-validate", "[TMP]/root/opt/kestrel/rules"]),
        "rules-validate runs against the sysroot's rules dir"
    );
    // Absolute paths re-rooted.
    expect!(
        out,
        line_with(&stdout, &["config", "[TMP]/root/etc/kestrel/config.toml"]),
        "config read from the sysroot"
    );
    expect!(out, stdout.contains("[TMP]/root"), "sysroot shown");
    expect!(
        out,
        line_with(&stdout, &["capabilities", "capsh"]),
        "a command not on PATH is still listed"
    );
}

#[test]
fn dry_run_json_lists_every_step() {
    let out = fixtures::kestrel(Test::new())
        .args(["collect", "--spec", "kestrel", "--sysroot", "[TMP]/root"])
        .args(["--out", "[TMP]/out", "--dry-run", "--json"])
        .run();
    out.success();
    let plan: Value = serde_json::from_str(&out.stdout).unwrap_or_else(|e| panic!("{e}\n{out}"));
    let steps = plan["steps"]
        .as_array()
        .unwrap_or_else(|| panic!("no steps[]\n{out}"));
    let spec = crate::harness::builtin_spec_text("kestrel");
    let declared = spec.lines().filter(|l| l.trim() == "[[collect]]").count();
    assert_eq!(steps.len(), declared, "{out}");
    for step in steps {
        assert!(step["id"].is_string(), "{step}");
        assert!(step["kind"].is_string(), "{step}");
    }
    let validate = steps
        .iter()
        .find(|s| s["id"] == "rules-validate")
        .expect("rules-validate step");
    let argv: Vec<String> = validate["argv"]
        .as_array()
        .expect("argv")
        .iter()
        .map(|a| out.filtered(a.as_str().unwrap_or_default()))
        .collect();
    assert_eq!(
        argv,
        [
            "kestrel",
            "validate",
            "--rules",
            "[TMP]/root/opt/kestrel/rules"
        ]
    );
    assert!(out.out_files().is_empty(), "{:?}", out.out_files());
}

/// The default spec has no repository of its own: the link goes to the one the working
/// directory's Cargo.toml names, and `issue BUNDLE --url` finds it again from the manifest.
#[test]
fn link_goes_to_the_repository_cargo_toml_names() {
    let out = fixtures::rust_project(Test::new())
        .file(
            "work/Cargo.toml",
            "[package]\nname = \"widget\"\nversion = \"0.3.1\"\nrepository = \"https://github.com/acme/widget\"\n",
        )
        .args(["collect", "--out", "[TMP]/out", "--title", "frames drop"])
        .run();
    out.success();
    let stdout = out.stdout.clone();
    assert!(
        line_with(&stdout, &["https://github.com/acme/widget/issues/new?"]),
        "{stdout}"
    );
    assert!(
        line_with(&stdout, &["gh issue create", "--repo acme/widget"]),
        "{stdout}"
    );
    let bundle = out.bundle();
    assert_eq!(
        bundle.manifest["project"]["repository"],
        "https://github.com/acme/widget"
    );
    assert_eq!(
        bundle.fact("package_repository"),
        Some("https://github.com/acme/widget")
    );

    let again = Test::new()
        .args(["issue", bundle.path.to_str().expect("utf-8 path"), "--url"])
        .run();
    again.success();
    assert!(
        again
            .stdout
            .starts_with("https://github.com/acme/widget/issues/new?"),
        "{}",
        again.stdout
    );
}

#[test]
fn no_repository_in_cargo_toml_means_no_link() {
    let out = fixtures::rust_project(Test::new())
        .args(["collect", "--out", "[TMP]/out"])
        .run();
    out.success();
    let stdout = out.stdout.clone();
    assert!(!stdout.contains("/issues/new"), "{stdout}");
    assert!(stdout.contains("no prefilled link"), "{stdout}");
}
