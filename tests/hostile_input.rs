//! Input built to hurt: bundles with very many items, huge text diffs, entry names that forge
//! output lines, bundles without a readable manifest, specs with values past every sane limit,
//! and facts that are not versions. Each is answered with a clear result in bounded time, never
//! a panic or a forged line.

use std::io::Write;
use std::time::Duration;

use serde_json::{Value, json};
use zip::write::SimpleFileOptions;

use crate::harness::{Test, sha256_hex};

/// A zip holding `entries` as given (Stored, so size limits are about the data itself).
fn zip_bytes(entries: &[(&str, &[u8])]) -> Vec<u8> {
    let opts = SimpleFileOptions::DEFAULT
        .compression_method(zip::CompressionMethod::Stored)
        .unix_permissions(0o644);
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    for (name, data) in entries {
        zip.start_file(*name, opts).expect("start entry");
        zip.write_all(data).expect("write entry");
    }
    zip.finish().expect("finish zip").into_inner()
}

/// A manifest listing `items`, with `facts`, and a file table for `files`.
fn manifest(items: Vec<Value>, facts: Value, files: &[(&str, &[u8])]) -> Vec<u8> {
    let table: serde_json::Map<String, Value> = files
        .iter()
        .map(|(name, data)| {
            (
                (*name).to_string(),
                json!({ "size": data.len(), "sha256": sha256_hex(data) }),
            )
        })
        .collect();
    serde_json::to_vec(&json!({
        "format": "support-bundle/1",
        "tool": { "name": "support-bundle", "version": "0.1.0" },
        "project": { "name": "demo", "display": "Demo" },
        "spec": { "origin": "spec.toml", "sha256": "0".repeat(64) },
        "created": "2026-11-23T12:00:00Z",
        "private": false,
        "facts": facts,
        "items": items,
        "checks": [],
        "files": table,
    }))
    .expect("manifest json")
}

/// A bundle of text items stored at their paths.
fn bundle_with_texts(texts: &[(&str, &[u8])]) -> Vec<u8> {
    let items = texts
        .iter()
        .map(|(path, data)| {
            json!({
                "id": "log", "kind": "file", "source": "/var/log/app.log", "path": path,
                "status": "ok", "size": data.len(), "sha256": sha256_hex(data),
                "redactions": 0, "binary": false,
            })
        })
        .collect();
    let m = manifest(items, json!({}), texts);
    let mut entries = vec![("manifest.json", m.as_slice())];
    entries.extend_from_slice(texts);
    zip_bytes(&entries)
}

/// 100,000 item records: unique ids, and one id with many paths (as a glob's matches are);
/// the first `changed` have status `missing`, the rest `ok`. Written as text, since building
/// that many JSON values takes longer than the commands under test.
fn many_items(changed: usize) -> Vec<u8> {
    let record = |n: usize, id: &str, path: Option<String>| {
        let status = if n < changed { "missing" } else { "ok" };
        let path = path.map_or_else(String::new, |p| format!(r#""path":"{p}","#));
        format!(
            r#"{{"id":"{id}","kind":"file","source":"/var/log/x",{path}"status":"{status}","size":0,"redactions":0,"binary":false}}"#
        )
    };
    let items: Vec<String> = (0..50_000)
        .map(|n| record(n, &format!("item-{n}"), None))
        .chain((0..50_000).map(|n| record(50_000 + n, "logs", Some(format!("files/logs/{n}.log")))))
        .collect();
    let empty = String::from_utf8(manifest(Vec::new(), json!({}), &[])).expect("utf-8");
    empty
        .replace(
            r#""items":[]"#,
            &format!(r#""items":[{}]"#, items.join(",")),
        )
        .into_bytes()
}

#[test]
fn inspect_and_diff_stay_fast_with_very_many_items() {
    let a = many_items(0);
    let b = many_items(10);
    let mut t = Test::new()
        .binary_file("a.zip", &zip_bytes(&[("manifest.json", &a)]))
        .binary_file("b.zip", &zip_bytes(&[("manifest.json", &b)]));

    t.set_args(["inspect", "[TMP]/b.zip"]);
    let inspect = t.run();
    inspect.success();
    expect!(
        inspect,
        inspect
            .stdout
            .contains("completeness 49991/50001 required items present (all items)"),
        "completeness over every item"
    );
    expect!(
        inspect,
        inspect.elapsed < Duration::from_secs(30),
        "inspect took {:?}",
        inspect.elapsed
    );

    t.set_args(["diff", "[TMP]/a.zip", "[TMP]/b.zip", "--json"]);
    let diff = t.run();
    diff.success();
    let rows: Value = serde_json::from_str(&diff.stdout).expect("diff json");
    assert_eq!(rows["items"].as_array().map(Vec::len), Some(10));
    expect!(
        diff,
        diff.elapsed < Duration::from_secs(30),
        "diff took {:?}",
        diff.elapsed
    );
}

#[test]
fn a_huge_text_diff_is_cut_at_its_time_budget() {
    // Lines that repeat with different periods on each side: Myers' worst case, which took
    // minutes on inputs this size.
    let text = |period: u64, step: u64| -> Vec<u8> {
        (0..30_000u64)
            .map(|i| format!("line {} {}\n", i % period, i * step % 10_007))
            .collect::<String>()
            .into_bytes()
    };
    let (ta, tb) = (text(7, 7919), text(5, 104_729));
    let out = Test::new()
        .binary_file(
            "a.zip",
            &bundle_with_texts(&[("files/log/app.log", &ta), ("files/log/other.log", &ta)]),
        )
        .binary_file(
            "b.zip",
            &bundle_with_texts(&[("files/log/app.log", &tb), ("files/log/other.log", &tb)]),
        )
        .args(["diff", "[TMP]/a.zip", "[TMP]/b.zip"])
        .run();
    out.success();
    expect!(
        out,
        out.stdout.contains("changed  log files/log/app.log")
            && out
                .stdout
                .contains("diff is approximate: the time for text diffs ran out")
            && out.stdout.contains("changed  log files/log/other.log")
            && out
                .stdout
                .contains("(not diffed: the time for text diffs ran out)"),
        "the first diff approximate, the second left out"
    );
    expect!(
        out,
        out.elapsed < Duration::from_secs(30),
        "diff took {:?}",
        out.elapsed
    );
}

#[test]
fn entry_names_with_newlines_or_tabs_are_refused_everywhere() {
    for name in [
        "files/x.log\nintact: bundle 3f0c2a9b1d4e (9 entries match the manifest)",
        "files/x.log\tcompleteness 9/9",
    ] {
        let data = b"forged\n".as_slice();
        let m = manifest(Vec::new(), json!({}), &[(name, data)]);
        let zip = zip_bytes(&[("manifest.json", &m), (name, data)]);
        let mut t = Test::new().binary_file("evil.zip", &zip);
        for args in [
            vec!["verify", "[TMP]/evil.zip"],
            vec!["inspect", "[TMP]/evil.zip"],
            vec!["extract", "[TMP]/evil.zip", "--to", "[TMP]/x"],
            vec!["diff", "[TMP]/evil.zip", "[TMP]/evil.zip"],
        ] {
            t.set_args(&args);
            let out = t.run();
            out.status(2);
            expect!(
                out,
                out.stderr
                    .contains("has an unsafe name: contains control characters")
                    && !out.stderr.contains("x.log\n")
                    && !out.stderr.contains("x.log\t"),
                "{args:?}: refused, name escaped"
            );
            expect!(out, !out.stdout.contains("intact"), "no forged line");
        }
        assert!(!t.join("x").exists(), "extract wrote nothing");
    }
}

#[test]
fn extract_refuses_a_bundle_without_a_readable_manifest() {
    let data = b"hello\n".as_slice();
    let oversized = vec![b' '; 16 * 1024 * 1024 + 1];
    for (what, zip) in [
        (
            "bundle has no `manifest.json`",
            zip_bytes(&[("files/a.txt", data)]),
        ),
        (
            "`manifest.json` is not a valid manifest",
            zip_bytes(&[("manifest.json", b"{not json"), ("files/a.txt", data)]),
        ),
        (
            "entry `manifest.json` is 16777217 bytes uncompressed; the limit is 16777216",
            zip_bytes(&[("manifest.json", &oversized), ("files/a.txt", data)]),
        ),
    ] {
        let t = Test::new().binary_file("b.zip", &zip).args([
            "extract",
            "[TMP]/b.zip",
            "--to",
            "[TMP]/x",
        ]);
        let out = t.run();
        out.status(2);
        expect!(
            out,
            out.stderr.contains(what)
                && out.stderr.contains(
                    "without a readable manifest no entry can be checked, so nothing was extracted"
                ),
            "says why: {what}"
        );
        assert!(!t.join("x").exists(), "nothing written for: {what}");
    }
}

/// A spec whose one collector carries `extra`, loaded by `collect --dry-run`.
fn dry_run(project: &str, item: &str) -> crate::harness::Output {
    let spec =
        format!("schema = 1\n[project]\nname = \"{project}\"\n\n[[collect]]\nid = \"c\"\n{item}\n");
    Test::new()
        .spec_file("spec.toml", &spec)
        .args(["collect", "--spec", "[TMP]/spec.toml", "--dry-run"])
        .run()
}

#[test]
fn spec_values_past_their_limits_are_errors_at_load() {
    let cmd = "kind = \"command\"\nargv = [\"true\"]";
    for (project, item, expected) in [
        (
            "demo".to_string(),
            format!("{cmd}\ntimeout = \"18446744073709551615s\""),
            "[TMP]/spec.toml:9:11: timeout `18446744073709551615s` is too long; the limit is 24h",
        ),
        (
            "p".repeat(5000),
            cmd.to_string(),
            "[TMP]/spec.toml:3:8: project name `pppp",
        ),
        (
            "demo".to_string(),
            "kind = \"file\"\npath = \"/var/log/[app.log\"".to_string(),
            "[TMP]/spec.toml:8:8: collector `c`: invalid glob",
        ),
        (
            "demo".to_string(),
            "kind = \"http\"\nurl = \"http://exa mple.com/\"".to_string(),
            "[TMP]/spec.toml:8:7: collector `c`: invalid url",
        ),
    ] {
        let out = dry_run(&project, &item);
        out.status(2);
        expect!(
            out,
            out.stderr_filtered().contains(expected),
            "expected {expected:?}"
        );
        expect!(out, out.stderr.len() < 2000, "a short error");
    }
}

#[test]
fn a_fact_that_is_not_a_version_leaves_a_version_check_unknown() {
    let facts = json!({
        "kernel": { "value": "", "item": "kernel" },
        "demo_version": { "value": "unknown", "item": "version" },
    });
    let m = manifest(Vec::new(), facts, &[]);
    let spec = "schema = 1\n[project]\nname = \"demo\"\n\n[[collect]]\nid = \"kernel\"\nkind = \"command\"\nargv = [\"uname\", \"-r\"]\nfact = { name = \"kernel\", regex = '(\\S+)' }\n\n[[check]]\nid = \"old-kernel\"\nwhen = \"kernel < 5.10\"\nlevel = \"fail\"\nmessage = \"too old\"\n\n[[check]]\nid = \"new-demo\"\nwhen = \"demo_version >= 2.0\"\nlevel = \"fail\"\nmessage = \"too new\"\n";
    let out = Test::new()
        .binary_file("b.zip", &zip_bytes(&[("manifest.json", &m)]))
        .spec_file("spec.toml", spec)
        .args(["check", "[TMP]/b.zip", "--spec", "[TMP]/spec.toml"])
        .run();
    out.success();
    expect!(
        out,
        out.stdout
            .contains("0 failed, 0 warned, 0 passed, 2 unknown"),
        "both unknown"
    );
}

/// A collected file whose name holds a bidirectional override, a newline and a tab: the bundle
/// stores it under a name its own reader accepts, so it verifies, and the name reads as bytes.
#[test]
fn a_collected_file_named_with_bidi_and_control_characters_verifies() {
    let hostile = "report\u{202e}gpj.exe\nforged: ok\t.log";
    let t = Test::new()
        .file(&format!("work/logs/{hostile}"), "line one\n")
        .spec(
            "schema = 1\n[project]\nname = \"app\"\n\
             [[collect]]\nid = \"logs\"\nkind = \"file\"\n\
             path = \"logs/report\\u202Egpj.exe\\nforged: ok\\t.log\"\n",
        );
    t.run_with(["collect", "--spec", "[TMP]/spec.toml", "--out", "out"])
        .success();
    let dir = t.join("work/out");
    let bundle = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.extension().is_some_and(|e| e == "zip"))
        .unwrap();
    let bundle = bundle.to_str().unwrap();
    let verified = t.run_with(["verify", bundle]);
    verified.success();
    let inspected = t.run_with(["inspect", bundle, "--json"]);
    inspected.success();
    let manifest: Value = serde_json::from_str(&inspected.stdout).unwrap();
    let path = manifest["items"][0]["path"].as_str().unwrap_or_default();
    assert_eq!(
        path, "files/logs/report_gpj.exe_forged: ok_.log",
        "{inspected}"
    );
}
