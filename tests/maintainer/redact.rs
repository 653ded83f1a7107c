//! `redact BUNDLE --out NEW.zip`: re-redaction gives a verifiable, reproducible bundle.

use super::*;

const SECRET: &str = "worker-7f3a9c-secret";

fn bundle() -> (Test, PathBuf) {
    let m = demo_machine(
        "1.2.0",
        "6.1.0",
        &format!("started\nconnecting as {SECRET}\nready\n"),
    );
    let b = m.collect();
    (m, b)
}

fn redact(bundle: &Path, out: &Path, extra: &[&str]) -> (i32, String) {
    let mut args = vec![
        "redact",
        bundle.to_str().expect("utf-8"),
        "--out",
        out.to_str().expect("utf-8"),
    ];
    args.extend_from_slice(extra);
    let (code, o, e) = run_code(&args);
    (code, format!("{o}{e}"))
}

#[test]
fn bundle_input_needs_out_and_text_input_refuses_it() {
    let (m, b) = bundle();
    let (code, _, err) = run_code(&["redact", b.to_str().expect("utf-8")]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("pass --out NEW.zip"), "{err}");
    let text = m.path().join("notes.txt");
    std::fs::write(&text, "hello\n").expect("write");
    let (code, out) = redact(&text, &m.path().join("n.zip"), &[]);
    assert_eq!(code, 2, "{out}");
    assert!(
        out.contains("--out applies only when FILE is a bundle"),
        "{out}"
    );
    let (code, stdout, _) = run_code(&["redact", text.to_str().expect("utf-8")]);
    assert_eq!((code, stdout.as_str()), (0, "hello\n"));
}

#[test]
fn output_verifies_and_is_reproducible() {
    let (m, b) = bundle();
    let (one, two) = (m.path().join("one.zip"), m.path().join("two.zip"));
    let (code, out) = redact(&b, &one, &["--redact", SECRET]);
    assert_eq!(code, 0, "{out}");
    let (code, out) = redact(&b, &two, &["--redact", SECRET]);
    assert_eq!(code, 0, "{out}");
    assert_eq!(
        std::fs::read(&one).expect("one"),
        std::fs::read(&two).expect("two"),
        "same input and rules must give the same bytes"
    );
    let (code, stdout, _) = run_code(&["verify", one.to_str().expect("utf-8")]);
    assert_eq!(code, 0, "{stdout}");
    let names: Vec<String> = read_entries(&one).into_iter().map(|(n, _)| n).collect();
    for fixed in [
        "manifest.json",
        "issue.md",
        "spec.toml",
        "redaction-report.json",
    ] {
        assert!(names.contains(&fixed.to_string()), "{names:?}");
    }
    // Binary items are copied untouched.
    let wasm = read_entries(&one)
        .into_iter()
        .find(|(n, _)| n == "files/module/fn.wasm")
        .expect("module");
    assert_eq!(wasm.1, WASM);
}

#[test]
fn tampered_bundle_is_refused() {
    let (m, b) = bundle();
    let bad = m.path().join("bad.zip");
    let mut entries = read_entries(&b);
    entries.retain(|(n, _)| n != "commands/version.txt");
    write_zip(&bad, &entries);
    let out_path = m.path().join("new.zip");
    let (code, out) = redact(&bad, &out_path, &[]);
    assert_eq!(code, 2, "{out}");
    assert!(out.contains("does not match its manifest"), "{out}");
    assert!(!out_path.exists());
}

#[test]
fn literal_is_removed_everywhere_and_counted() {
    let (m, b) = bundle();
    let new = m.path().join("new.zip");
    let (code, out) = redact(&b, &new, &["--redact", SECRET]);
    assert_eq!(code, 0, "{out}");
    for (name, data) in read_entries(&new) {
        assert!(
            !String::from_utf8_lossy(&data).contains(SECRET),
            "{name} still holds the value"
        );
    }
    let (_, json, _) = run_code(&["inspect", "--json", new.to_str().expect("utf-8")]);
    let v: serde_json::Value = serde_json::from_str(&json).expect("json");
    let total: u64 = v["redactions"]
        .as_object()
        .expect("redactions")
        .values()
        .filter_map(serde_json::Value::as_u64)
        .sum();
    assert!(total >= 1, "{json}");
    let log = v["items"]
        .as_array()
        .expect("items")
        .iter()
        .find(|i| i["id"] == "log")
        .expect("log item");
    assert!(log["redactions"].as_u64().expect("count") >= 1, "{log}");
}

#[test]
fn entry_names_are_redacted_too() {
    let (m, b) = bundle();
    let new = m.path().join("new.zip");
    let (code, out) = redact(&b, &new, &["--redact", "demo.log"]);
    assert_eq!(code, 0, "{out}");
    let names: Vec<String> = read_entries(&new).into_iter().map(|(n, _)| n).collect();
    assert!(names.iter().all(|n| !n.contains("demo.log")), "{names:?}");
    assert!(
        names.iter().any(|n| n.starts_with("files/log/")),
        "{names:?}"
    );
    let (code, stdout, _) = run_code(&["verify", new.to_str().expect("utf-8")]);
    assert_eq!(code, 0, "{stdout}");
}

/// The line a fact was found on, and a check's quoted evidence, are content: re-redaction
/// reaches them too.
#[test]
fn evidence_lines_are_redacted_too() {
    let (m, b) = bundle();
    let manifest = |zip: &Path| {
        read_entries(zip)
            .into_iter()
            .find(|(n, _)| n == "manifest.json")
            .map(|(_, d)| String::from_utf8(d).expect("utf-8"))
            .expect("manifest.json")
    };
    assert!(manifest(&b).contains("\"line\": \"demo 1.2.0\""));
    let new = m.path().join("new.zip");
    let (code, out) = redact(&b, &new, &["--redact", "demo 1.2.0"]);
    assert_eq!(code, 0, "{out}");
    let text = manifest(&new);
    assert!(!text.contains("demo 1.2.0"), "{text}");
}
