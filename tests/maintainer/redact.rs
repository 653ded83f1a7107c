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

/// Peak resident set size of process `pid` so far, in bytes (0 once it is gone).
fn peak_rss(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        .map_or(0, |kib| kib * 1024)
}

/// A bundle that verifies but whose content is a bomb spread thin: `redact --out` on it must
/// neither take memory in proportion to what it claims to hold nor write anything.
#[test]
fn a_bundle_of_many_small_compressible_entries_is_refused_in_bounded_memory() {
    const MIB: usize = 1024 * 1024;
    // Each entry is just at the size below which entries are not ratio-checked.
    const ENTRIES: usize = 160;
    let (m, b) = bundle();
    let mut entries = read_entries(&b);
    let pad = format!("{}\n", "a".repeat(MIB - 1));
    let pos = entries
        .iter()
        .position(|(n, _)| n == "manifest.json")
        .expect("manifest");
    let mut manifest: serde_json::Value = serde_json::from_slice(&entries[pos].1).expect("json");
    for i in 0..ENTRIES {
        let name = format!("pad/{i:03}.txt");
        manifest["files"][&name] = serde_json::json!({
            "size": pad.len(),
            "sha256": crate::harness::sha256_hex(pad.as_bytes()),
        });
        entries.push((name, pad.clone().into_bytes()));
    }
    entries[pos].1 = serde_json::to_vec(&manifest).expect("json");
    let bomb = m.path().join("bomb.zip");
    write_zip(&bomb, &entries);
    let size = std::fs::metadata(&bomb).expect("bomb").len();
    assert!(size < 2 * MIB as u64, "{size} bytes is no bomb");

    let out = m.path().join("new.zip");
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_support-bundle"))
        .args([
            "redact".as_ref(),
            bomb.as_os_str(),
            "--out".as_ref(),
            out.as_os_str(),
        ])
        .env_clear()
        .env("HOME", m.path().join("home"))
        .env(
            "SUPPORT_BUNDLE_PSEUDONYM_KEY",
            m.path().join("pseudonym.key"),
        )
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("spawn");
    let mut peak = 0;
    let status = loop {
        peak = peak.max(peak_rss(child.id()));
        if let Some(status) = child.try_wait().expect("wait") {
            break status;
        }
        std::thread::sleep(std::time::Duration::from_millis(2));
    };
    let mut err = String::new();
    child
        .stderr
        .take()
        .expect("stderr")
        .read_to_string(&mut err)
        .expect("stderr");
    assert!(
        !status.success(),
        "a bomb ({size} bytes) was re-redacted: {err} peak {peak}"
    );
    assert!(err.contains("bundle expands"), "{err}");
    assert!(!out.exists());
    assert!(
        peak < 64 * MIB as u64,
        "peak RSS {} MiB on a {} KiB bundle",
        peak / MIB as u64,
        size / 1024
    );
}
