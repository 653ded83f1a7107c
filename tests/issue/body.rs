//! Snapshots of the issue body for both projects, re-rendered from fixture bundles, and the
//! bundles `issue` refuses.

use super::{fixture, run, success};

/// The stdout of a successful `issue` run with `args`.
fn issue(args: &[&str]) -> String {
    success(run(&[&["issue"], args].concat()))
}

#[test]
fn kestrel_body() {
    let dir = tempfile::tempdir().unwrap();
    let bundle = fixture::kestrel(dir.path(), &fixture::builtin_text("kestrel"), 100);
    let body = issue(&[bundle.to_str().unwrap()]);
    // The policy's sections in the spec's order.
    let headings: Vec<&str> = body.lines().filter_map(|l| l.strip_prefix("## ")).collect();
    let spec = support_bundle::spec::load("kestrel").unwrap();
    assert_eq!(
        &headings[..spec.issue.sections.len()],
        spec.issue.sections.as_slice()
    );
    // The last 60 of 100 journal lines, not the 40th.
    assert!(body.contains("event 100 handled") && body.contains("event 41 handled"));
    assert!(!body.contains("event 40 handled\n"));
    insta::assert_snapshot!("kestrel_body", body);
}

#[test]
fn gojinn_body() {
    let dir = tempfile::tempdir().unwrap();
    let bundle = fixture::gojinn(dir.path(), &fixture::builtin_text("gojinn"));
    let body = issue(&[bundle.to_str().unwrap()]);
    // The binary module is listed with size and sha256, never shown.
    assert!(body.contains("`files/wasm-modules/hello.wasm` (64 bytes, sha256 `"));
    insta::assert_snapshot!("gojinn_body", body);
}

#[test]
fn describe_replaces_the_description_placeholder() {
    let dir = tempfile::tempdir().unwrap();
    let bundle = fixture::gojinn(dir.path(), &fixture::builtin_text("gojinn"));
    let desc = dir.path().join("desc.md");
    std::fs::write(&desc, "Every request to /hello returns 500 since rc7.\n").unwrap();
    let body = issue(&[
        bundle.to_str().unwrap(),
        "--describe",
        desc.to_str().unwrap(),
    ]);
    let section = body.split("## Description\n\n").nth(1).unwrap();
    assert!(section.starts_with("Every request to /hello returns 500 since rc7."));
}

#[test]
fn not_a_bundle_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let bogus = dir.path().join("x.zip");
    std::fs::write(&bogus, "not a zip").unwrap();
    run(&["issue", bogus.to_str().unwrap()])
        .status(2)
        .stderr_has("cannot read bundle");
}

#[test]
fn zip_slip_bundle_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let good = fixture::gojinn(dir.path(), &fixture::builtin_text("gojinn"));
    issue(&[good.to_str().unwrap()]);
    // The same bundle with one entry that would land outside an extraction directory: the
    // entries `issue` reads are all intact, the zip as a whole is still hostile.
    let mut entries = crate::maintainer::read_entries(&good);
    entries.push(("../evil.txt".to_string(), b"x".to_vec()));
    let case = dir.path().join("case");
    std::fs::create_dir(&case).unwrap();
    let hostile = case.join("hostile.zip");
    crate::maintainer::write_zip(&hostile, &entries);
    let out = run(&["issue", hostile.to_str().unwrap()]);
    out.status(2).stderr_has("`..` component");
    expect!(out, out.stdout.is_empty(), "nothing on stdout");
    assert_eq!(
        crate::maintainer::tree(&case),
        vec!["hostile.zip".to_string()]
    );
    assert!(!dir.path().join("evil.txt").exists());
}

/// The check outcomes recorded in a bundle's manifest, by id: (outcome, reason, evidence).
fn manifest_checks(
    bundle: &std::path::Path,
) -> std::collections::BTreeMap<String, (String, Option<String>, Option<String>)> {
    let (_, manifest) = crate::maintainer::read_entries(bundle)
        .into_iter()
        .find(|(n, _)| n == "manifest.json")
        .expect("manifest.json");
    let m: serde_json::Value = serde_json::from_slice(&manifest).unwrap();
    m["checks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            let s = |k: &str| c[k].as_str().map(String::from);
            (
                s("id").unwrap(),
                (s("outcome").unwrap(), s("reason"), s("evidence")),
            )
        })
        .collect()
}

/// Without a journal, the restart-loop check has no evidence: it is unknown, with the
/// reason, in the manifest, the issue, `inspect` and `check`; the failed rule shows as the
/// detected actual behaviour; the Environment section is the template's four bullets.
#[test]
fn kestrel_without_a_journal_claims_nothing_it_did_not_see() {
    let dir = tempfile::tempdir().unwrap();
    let bundle = fixture::kestrel_without_journal(dir.path());
    let b = bundle.to_str().unwrap();
    let reason = "`journal` was not collected: missing: No journal files were found.";

    let checks = manifest_checks(&bundle);
    assert_eq!(
        checks["unit-config-flag"],
        ("unknown".to_string(), Some(reason.to_string()), None)
    );
    assert_eq!(
        checks["rules-load"],
        (
            "warn".to_string(),
            None,
            Some("Error: Failed to load 1 rules".to_string())
        )
    );
    assert_eq!(checks["rustc-msrv"].0, "unknown");
    assert_eq!(checks["btf-present"].0, "pass");

    let body = issue(&[b]);
    let section = |heading: &str| {
        let start = body.find(&format!("\n## {heading}\n\n")).expect(heading) + heading.len() + 6;
        let end = body[start..]
            .find("\n## ")
            .map_or(body.len(), |e| start + e);
        body[start..end].to_string()
    };
    // The template's own list, then every fact collapsed.
    let env = section("Environment");
    let bullets: Vec<&str> = env.lines().take_while(|l| l.starts_with("- ")).collect();
    assert_eq!(
        bullets,
        [
            "- **OS**: `Debian GNU/Linux 12.11`",
            "- **Kernel Version**: `6.1.0-18-amd64`",
            "- **Rust Version**: _not found automatically (`rustc-version` was not collected: missing: command `rustc` not found on PATH under sudo (root's PATH, not your user's)); please fill this in._",
            "- **Kestrel Version**: `0.1.0`",
        ]
    );
    assert!(env.contains("<details><summary>Every fact collected</summary>"));
    // The detected excerpt, marked for the user to keep or replace.
    let actual = section("Actual Behavior");
    assert!(
        actual.contains("<!-- detected by support-bundle: keep or replace -->"),
        "{actual}"
    );
    assert!(actual.contains("- `Error: Failed to load 1 rules` (`commands/rules-validate.txt`, check `rules-load` warn)"), "{actual}");
    // Checks: the evidence line and where it is; the undecided one with its reason.
    let checks_text = section("Checks");
    assert!(
        checks_text.contains(
            "  - seen: `Error: Failed to load 1 rules` (in `commands/rules-validate.txt`)"
        ),
        "{checks_text}"
    );
    assert!(checks_text.contains(&format!("- **UNKNOWN** `unit-config-flag`: the service passes `--config`, which this kestrel rejects; with Restart=always that is a restart loop (not decided: {reason})")), "{checks_text}");
    assert!(!checks_text.contains("PASS"));
    // The checklist: the journal is not ticked, rustc's hint speaks of root's PATH.
    let list = section("Completeness checklist");
    assert!(list.contains("- [ ] Logs (journalctl -u kestrel) (`journal`): **missing** (not found: No journal files were found.)"), "{list}");
    assert!(
        list.contains("- [ ] Rust version (`rustc-version`): **missing**"),
        "{list}"
    );
    assert!(
        list.contains("under sudo the PATH is root's, not yours"),
        "{list}"
    );
    assert!(
        list.starts_with("4 of 6 required items collected; 2 missing;"),
        "{list}"
    );
    // Pretty-printed alerts: whole records only, never from the middle of an object.
    let logs = section("Logs");
    let alerts = logs.split("<summary>Alerts").nth(1).expect("alerts block");
    let json = alerts
        .split("```text\n")
        .nth(1)
        .unwrap()
        .split("\n```")
        .next()
        .unwrap();
    assert!(json.starts_with("{\n  \"id\": \"alert-"), "{json}");
    let records: Vec<serde_json::Value> = serde_json::Deserializer::from_str(json)
        .into_iter()
        .collect::<Result<_, _>>()
        .expect("whole JSON records");
    assert_eq!(records.last().unwrap()["id"], "alert-6");
    insta::assert_snapshot!("kestrel_without_journal_body", body);

    let shown = run(&["inspect", b]).stdout;
    assert!(shown.contains("completeness 4/6 required items present (stored spec); missing: rustc-version (not found: command `rustc` not found on PATH under sudo (root's PATH, not your user's)), journal (not found: No journal files were found.)"), "{shown}");
    assert!(shown.contains(reason), "{shown}");
    let replayed = run(&["check", b]).stdout;
    assert!(replayed.contains("UNKNOWN unit-config-flag"), "{replayed}");
    assert!(replayed.contains(reason), "{replayed}");
    assert!(replayed.contains("WARN    rules-load"), "{replayed}");
}

/// A stock Caddy: no Gojinn version to tick, one of two modules missing, and `caddy
/// validate`'s verdict as the evidence.
#[test]
fn gojinn_on_stock_caddy_ticks_only_what_is_there() {
    let dir = tempfile::tempdir().unwrap();
    let bundle = fixture::gojinn_stock_caddy(dir.path());
    let b = bundle.to_str().unwrap();
    let checks = manifest_checks(&bundle);
    assert_eq!(checks["stock-caddy"].0, "fail");
    assert_eq!(
        checks["stock-caddy"].2.as_deref(),
        Some(
            "Error: adapting config using caddyfile: /etc/caddy/Caddyfile:5: unrecognized directive: gojinn"
        )
    );
    assert_eq!(checks["gojinn-module"].0, "warn");

    let body = issue(&[b]);
    assert!(body.contains("- [ ] Gojinn version (`caddy-build-info`): **missing** (collected, but `gojinn_version` was not found in it)"), "{body}");
    assert!(body.contains("- [ ] WASM modules (`wasm-modules`): **missing** (1 of 2 files collected; missing: /srv/app/functions/missing.wasm)"), "{body}");
    assert!(
        body.contains("3 of 5 required items collected; 2 missing;"),
        "{body}"
    );
    assert!(body.contains("- **Gojinn version**: _not found automatically (not in the output of `caddy-build-info` or `caddy-modules`); please fill this in._"), "{body}");
    assert!(
        body.contains("- **Operating System**: `Debian GNU/Linux 12.11`"),
        "{body}"
    );
    let actual = body
        .split("## Expected vs actual behavior\n\n")
        .nth(1)
        .unwrap();
    assert!(actual.contains("unrecognized directive: gojinn` (`commands/caddy-validate.txt`, check `stock-caddy` fail)"), "{actual}");
    insta::assert_snapshot!("gojinn_stock_caddy_body", body);

    let shown = run(&["inspect", b]).stdout;
    assert!(shown.contains("completeness 3/5 required items present (stored spec); missing: caddy-build-info (collected, but `gojinn_version` was not found in it), wasm-modules (1 of 2 files collected; missing: /srv/app/functions/missing.wasm)"), "{shown}");
}
