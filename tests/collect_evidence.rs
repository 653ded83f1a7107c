//! What the built-in specs record is what was seen: declared answers are `ok`, the reason a
//! journal is missing is the tool's own line, versions are the ones that run, log tails hold
//! whole records, and the specs find logs without systemd. Fixture trees and fake tools as in
//! `fixtures`, varied per test.

use crate::fixtures::{self, GO_VERSION, GOJINN_VERSION, KESTREL_BAD_RULES, ROOT, TENANT_KEY};
use crate::harness::{Output, Test, free_port, sha256_hex};

/// The kestrel spec under `--sysroot <tmp>/root`, metrics pointed at a closed port.
fn run_kestrel(t: Test) -> Output {
    run_kestrel_with(t, &[])
}

/// [`run_kestrel`] with more arguments.
fn run_kestrel_with(t: Test, extra: &[&str]) -> Output {
    t.args(["collect", "--spec", "kestrel", "--sysroot", "[TMP]/root"])
        .args(extra)
        .args(["--out", "[TMP]/out"])
        .args([
            "--var",
            &format!("metrics_url=http://127.0.0.1:{}/metrics", free_port()),
        ])
        .run()
}

/// The gojinn spec in `<tmp>/work`, its Caddyfile named absolutely, no admin API.
fn run_gojinn(t: Test) -> Output {
    run_gojinn_with(t, &[])
}

/// [`run_gojinn`] with more arguments.
fn run_gojinn_with(t: Test, extra: &[&str]) -> Output {
    t.args(["collect", "--spec", "gojinn", "--out", "[TMP]/out"])
        .args(extra)
        .args(["--var", "caddyfile=[TMP]/work/Caddyfile"])
        .args(["--var", &format!("admin=http://127.0.0.1:{}", free_port())])
        .run()
}

/// The gojinn spec under `--sysroot <tmp>/root` with its default Caddyfile path.
fn run_gojinn_sysroot(t: Test) -> Output {
    t.args(["collect", "--spec", "gojinn", "--sysroot", "[TMP]/root"])
        .args(["--out", "[TMP]/out"])
        .args(["--var", &format!("admin=http://127.0.0.1:{}", free_port())])
        .run()
}

/// journalctl on a machine without journal files: the empty result on stdout, the reason on
/// stderr, exit 0 (as systemd's journalctl does).
const NO_JOURNAL: &str =
    "printf -- '-- No entries --\\n'\nprintf 'No journal files were found.\\n' >&2\n";

// ---------------------------------------------------------------------------------------------
// Kestrel

#[test]
fn declared_answers_are_ok_and_the_summary_says_so() {
    let out = run_kestrel(fixtures::kestrel(Test::new()));
    out.success();
    let b = out.bundle();
    for (id, code) in [("rules-validate", 1), ("unit-active", 3)] {
        let detail = format!("exit status {code} (declared an answer)");
        assert_eq!(b.status(id), "ok", "{}", b.manifest_text());
        assert_eq!(b.item(id)["detail"], detail.as_str());
        let line = out
            .stdout
            .lines()
            .find(|l| l.contains(id))
            .unwrap_or_default();
        expect!(out, line.contains(&detail), "summary line for {id}: {line}");
    }
    assert_eq!(b.fact("service_state"), Some("activating"));
    let failures = KESTREL_BAD_RULES.len().to_string();
    assert_eq!(b.fact("rule_load_failures"), Some(failures.as_str()));
    // An exit code nobody declared still fails: `kestrel` given an unknown subcommand.
    let t = fixtures::kestrel(Test::new()).fake_command(
        "systemctl",
        "printf 'Failed to get unit file state\\n' >&2; exit 4\n",
    );
    let out = run_kestrel(t);
    out.success();
    let b = out.bundle();
    assert_eq!(b.status("unit-active"), "failed", "{}", b.manifest_text());
    assert_eq!(b.item("unit-active")["detail"], "exit status 4");
}

#[test]
fn a_missing_journal_gives_the_tools_reason_and_the_foreground_hint() {
    let t = fixtures::kestrel(Test::new()).fake_command("journalctl", NO_JOURNAL);
    let out = run_kestrel(t);
    out.success();
    let b = out.bundle();
    for id in ["journal", "journal-errors"] {
        assert_eq!(b.status(id), "missing", "{}", b.manifest_text());
        assert_eq!(b.item(id)["detail"], "No journal files were found.");
    }
    // No foreground log either: the journal's hint says how to make one.
    assert_eq!(b.status("foreground-log"), "missing");
    let issue = out.issue();
    assert!(issue.contains("No journal files were found."), "{issue}");
    assert!(!issue.contains("-- No entries --"), "{issue}");
    assert!(
        issue.contains("kestrel run --rules <rules dir> 2>&1 | tee kestrel.log"),
        "{issue}"
    );
}

#[test]
fn a_foreground_log_stands_in_for_the_journal() {
    let log = "2026-11-23T00:39:43.533996Z \u{1b}[32m INFO\u{1b}[0m kestrel: Starting Kestrel detection engine\n\
               2026-11-23T00:39:43.601212Z \u{1b}[31mERROR\u{1b}[0m kestrel_rules: Failed to load rule path=rules/README.txt error=Invalid rule format\n";
    let t = fixtures::kestrel(Test::new())
        .fake_command("journalctl", NO_JOURNAL)
        .file("work/kestrel.log", log);
    let out = run_kestrel(t);
    out.success();
    let b = out.bundle();
    assert_eq!(b.status("foreground-log"), "ok", "{}", b.manifest_text());
    let kept = b.text("files/foreground-log/kestrel.log");
    assert!(kept.contains("Failed to load rule"), "{kept}");
    assert!(!kept.contains('\u{1b}'), "{kept:?}");
    let issue = out.issue();
    assert!(
        issue.contains("Starting Kestrel detection engine"),
        "{issue}"
    );

    // Named elsewhere with the variable.
    let t = fixtures::kestrel(Test::new())
        .fake_command("journalctl", NO_JOURNAL)
        .file("work/logs/run-1.log", log);
    let b = run_kestrel_with(t, &["--var", "foreground_log=logs/run-1.log"]).bundle();
    assert_eq!(b.status("foreground-log"), "ok", "{}", b.manifest_text());
}

#[test]
fn rule_packs_in_subdirectories_are_listed_file_by_file() {
    let pack =
        "id: lateral\nname: Lateral Movement Pack\nseverity: High\ncondition: pack-logic-6d1e\n";
    let t = fixtures::kestrel(Test::new()).file(
        &format!("{ROOT}/opt/kestrel/rules/packs/lateral/ssh.yaml"),
        pack,
    );
    let out = run_kestrel(t);
    out.success();
    let b = out.bundle();
    let listing = b.text("listings/rules-dir.txt");
    let line = listing
        .lines()
        .find(|l| l.ends_with(" packs/lateral/ssh.yaml"))
        .unwrap_or_else(|| panic!("{listing}"));
    assert!(line.contains(&sha256_hex(pack.as_bytes())), "{line}");
    assert!(
        b.entries
            .values()
            .all(|e| !crate::harness::contains(e, b"pack-logic-6d1e")),
        "rule logic copied into the bundle"
    );
}

#[test]
fn os_version_is_the_sysroots_point_release() {
    let t = fixtures::kestrel(Test::new())
        .file(
            &format!("{ROOT}/etc/os-release"),
            "PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\nNAME=\"Debian GNU/Linux\"\n\
             VERSION_ID=\"12\"\nVERSION=\"12 (bookworm)\"\nID=debian\n",
        )
        .file(&format!("{ROOT}/etc/debian_version"), "12.11\n");
    let out = run_kestrel(t);
    out.success();
    let b = out.bundle();
    assert_eq!(b.fact("os_version"), Some("12.11"), "{}", b.manifest_text());
    assert_eq!(b.fact("os_name"), Some("Debian GNU/Linux 12 (bookworm)"));
    assert_eq!(b.fact("os"), Some("Debian GNU/Linux"));
}

#[test]
fn alert_tails_start_at_a_whole_record() {
    // 40 pretty-printed alerts of 13 lines: the spec's last 400 lines start inside the tenth.
    let alerts: String = (0..40)
        .map(|i| {
            format!(
                "{{\n  \"id\": \"a-{i:04}\",\n  \"rule_id\": \"rule-001\",\n  \"severity\": \"Medium\",\n  \
                 \"timestamp_ns\": {},\n  \"events\": [\n    {{\n      \"pid\": {},\n      \
                 \"comm\": \"sh\"\n    }}\n  ],\n  \"rule_name\": \"Example\"\n}}\n",
                1_795_393_100_000_000_000u64 + i,
                4000 + i
            )
        })
        .collect();
    let t = fixtures::kestrel(Test::new())
        .file(&format!("{ROOT}/var/log/kestrel/alerts.json"), &alerts);
    let out = run_kestrel(t);
    out.success();
    let b = out.bundle();
    assert_eq!(b.status("alerts"), "truncated", "{}", b.manifest_text());
    let kept = b.text("files/alerts/alerts.json");
    let (marker, records) = kept.split_once('\n').expect("marker line");
    assert!(marker.starts_with("[... support-bundle: first "), "{kept}");
    assert!(records.starts_with("{\n  \"id\": \"a-0010\""), "{kept}");
    let parsed: Vec<serde_json::Value> = serde_json::Deserializer::from_str(records)
        .into_iter()
        .collect::<Result<_, _>>()
        .unwrap_or_else(|e| panic!("{e}: {records}"));
    assert_eq!(parsed.len(), 30);
    let detail = b.item("alerts")["detail"].as_str().unwrap_or_default();
    assert!(detail.contains("whole JSON records only"), "{detail}");
}

#[test]
fn under_sudo_a_missing_rustc_is_blamed_on_roots_path() {
    let t = fixtures::kestrel(Test::new());
    std::fs::remove_file(t.join("bin/rustc")).expect("remove fake rustc");
    let out = run_kestrel(t.env("SUDO_USER", "alice"));
    out.success();
    let b = out.bundle();
    assert_eq!(b.status("rustc-version"), "missing");
    let detail = "command `rustc` not found on PATH under sudo (root's PATH, not your user's)";
    assert_eq!(b.item("rustc-version")["detail"], detail);
    // The checklist line gives that reason, then a hint about root's PATH, not "install".
    let issue = out.issue();
    let line = issue
        .lines()
        .position(|l| l.starts_with("- [ ] Rust version"))
        .unwrap_or_else(|| panic!("{issue}"));
    let lines: Vec<&str> = issue.lines().collect();
    assert!(lines[line].contains(detail), "{issue}");
    assert!(
        lines[line + 1].contains("under sudo the PATH is root's, not yours")
            && !lines[line + 1].contains("install Rust"),
        "{issue}"
    );

    // Without sudo, nothing about it.
    let t = fixtures::kestrel(Test::new());
    std::fs::remove_file(t.join("bin/rustc")).expect("remove fake rustc");
    let b = run_kestrel(t).bundle();
    assert_eq!(
        b.item("rustc-version")["detail"],
        "command `rustc` not found on PATH"
    );
}

// ---------------------------------------------------------------------------------------------
// Gojinn

/// A Caddy with Gojinn whose build info says `build_info` (printf format, `\t` escaped) and
/// whose `validate` reads the config it is given: a config that uses `gojinn` is rejected
/// unless `knows_gojinn`. Each call appends its arguments to `<tmp>/caddy.log`.
fn caddy(t: Test, build_info: &str, knows_gojinn: bool) -> Test {
    let log = t.join("caddy.log");
    let verdict = if knows_gojinn {
        "printf '{\"level\":\"info\",\"msg\":\"using config from file\"}\\n' >&2\n      printf 'Valid configuration\\n' >&2; exit 0"
    } else {
        "printf 'Error: adapting config using caddyfile: %s:7: unrecognized directive: gojinn\\n' \"$cfg\" >&2; exit 1"
    };
    let script = format!(
        r#"printf '%s\n' "$*" >> '{log}'
case "$1" in
  version) printf 'v2.10.2 h1:qEwD9Pk3uX8+Wt1yQnM0vR6bZcF2gT4sH5jK7lN9oPA=\n' ;;
  build-info) printf '{build_info}' ;;
  list-modules) printf 'http.handlers.gojinn {GOJINN_VERSION}\n\n  Non-standard modules: 1\n' ;;
  validate)
    cfg=$3
    if [ ! -f "$cfg" ]; then
      printf 'Error: reading config from file: open %s: no such file or directory\n' "$cfg" >&2; exit 1
    fi
    while IFS= read -r line; do
      case "$line" in *gojinn*)
      {verdict} ;;
      esac
    done < "$cfg"
    printf 'Valid configuration\n' >&2 ;;
  *) printf 'unknown command %s\n' "$1" >&2; exit 1 ;;
esac
"#,
        log = log.display()
    );
    t.fake_command("caddy", &script)
}

/// Build info of an xcaddy build with Gojinn replaced by a local checkout.
fn replaced_build_info() -> String {
    format!(
        "go\\t{GO_VERSION}\\npath\\tcaddy\\nmod\\tcaddy\\t(devel)\\t\\n\
         dep\\tgithub.com/caddyserver/caddy/v2\\tv2.10.2\\th1:Gq0f3tPz1Ww8yB7vN2cK4mL6dR5sT9uX0aE3hJ1iO2U=\\n\
         dep\\tgithub.com/gojinn-io/gojinn\\t{GOJINN_VERSION}\\t\\n=>\\t../gojinn\\t(devel)\\t\\n\
         build\\tCGO_ENABLED=0\\n"
    )
}

#[test]
fn a_replaced_module_is_reported_as_its_replacement() {
    let t = caddy(fixtures::gojinn(Test::new()), &replaced_build_info(), true);
    let out = run_gojinn(t);
    out.success();
    let b = out.bundle();
    let shown = format!("{GOJINN_VERSION} => ../gojinn (devel)");
    assert_eq!(
        b.fact("gojinn_version"),
        Some(shown.as_str()),
        "{}",
        b.manifest_text()
    );
    assert_eq!(
        b.manifest["facts"]["gojinn_version"]["item"],
        "caddy-build-info"
    );
    assert_eq!(b.fact("go_version"), Some(GO_VERSION));
    let issue = out.issue();
    assert!(issue.contains(&shown), "{issue}");

    // A release dependency is still its version.
    let release = replaced_build_info().replace(
        "\\t\\n=>\\t../gojinn\\t(devel)\\t\\n",
        "\\th1:Zk3mQ8vR2tY7uW1xA4bC6dE9fG0hI5jK3lM7nO1pQ2s=\\n",
    );
    let b = run_gojinn(caddy(fixtures::gojinn(Test::new()), &release, true)).bundle();
    assert_eq!(b.fact("gojinn_version"), Some(GOJINN_VERSION));
}

#[test]
fn caddy_validate_reveals_a_stock_caddy_without_a_journal() {
    let t = caddy(fixtures::gojinn(Test::new()), &replaced_build_info(), false)
        .fake_command("journalctl", NO_JOURNAL);
    let tmp = t.path().to_path_buf();
    let out = run_gojinn(t);
    out.success();
    let b = out.bundle();
    let args = std::fs::read_to_string(tmp.join("caddy.log")).expect("caddy ran");
    let expected = format!(
        "validate --config {}/work/Caddyfile --adapter caddyfile",
        tmp.display()
    );
    assert!(args.lines().any(|l| l == expected), "{args}");
    assert_eq!(b.status("caddy-validate"), "ok", "{}", b.manifest_text());
    assert_eq!(
        b.item("caddy-validate")["detail"],
        "exit status 1 (declared an answer)"
    );
    for id in ["journal-caddy", "journal-gojinn"] {
        assert_eq!(b.status(id), "missing");
        assert_eq!(b.item(id)["detail"], "No journal files were found.");
    }
    assert_eq!(
        b.check("stock-caddy"),
        Some("fail"),
        "{}",
        b.manifest_text()
    );
    assert_eq!(b.manifest["facts"]["stock_caddy"]["item"], "caddy-validate");
    assert_eq!(b.check("caddyfile-valid"), Some("warn"));
    let validate = b.text("commands/caddy-validate.txt");
    assert!(
        validate.contains("unrecognized directive: gojinn"),
        "{validate}"
    );
    expect!(
        out,
        out.stdout.contains("stock-caddy"),
        "summary names the check"
    );

    // A Caddy with Gojinn accepts the same Caddyfile: nothing fires.
    let t = caddy(fixtures::gojinn(Test::new()), &replaced_build_info(), true)
        .fake_command("journalctl", NO_JOURNAL);
    let b = run_gojinn(t).bundle();
    assert_eq!(b.status("caddy-validate"), "ok");
    assert!(
        b.item("caddy-validate")["detail"].is_null(),
        "{}",
        b.manifest_text()
    );
    assert_eq!(b.check("stock-caddy"), Some("pass"));
    assert_eq!(b.check("caddyfile-valid"), Some("pass"));
}

/// A Caddyfile whose `log` block writes to an absolute file, under the sysroot.
fn caddyfile_with_log() -> String {
    fixtures::caddyfile().replace(
        ":8080 {\n",
        ":8080 {\n\tlog {\n\t\toutput file /var/log/caddy/gojinn.log {\n\t\t\troll_size 10mb\n\t\t}\n\t\tformat json\n\t}\n",
    )
}

#[test]
fn caddyfile_log_files_are_collected_under_the_sysroot() {
    let caddyfile = caddyfile_with_log();
    assert!(caddyfile.contains("output file /var/log/caddy/gojinn.log"));
    let log = concat!(
        "{\"level\":\"info\",\"ts\":1795393165.01,\"logger\":\"gojinn\",\"msg\":\"Embedded NATS JetStream Started\"}\n",
        "{\"level\":\"error\",\"ts\":1795393200.42,\"logger\":\"http.log.error\",\"msg\":\"Sync execution failed\",",
        "\"request\":{\"method\":\"POST\",\"uri\":\"/api/hello\",\"headers\":{\"X-Api-Key\":[\"xak-log-5e2d9c71a0b3\"]}},\"status\":500}\n",
    );
    let t = caddy(fixtures::gojinn(Test::new()), &replaced_build_info(), false)
        .fake_command("journalctl", NO_JOURNAL)
        .file(&format!("{ROOT}/etc/caddy/Caddyfile"), &caddyfile)
        .file(&format!("{ROOT}/var/log/caddy/gojinn.log"), log);
    let tmp = t.path().to_path_buf();
    let out = run_gojinn_sysroot(t);
    out.success();
    let b = out.bundle();
    assert_eq!(b.status("caddy-logs"), "ok", "{}", b.manifest_text());
    assert_eq!(b.item("caddy-logs")["source"], "/var/log/caddy/gojinn.log");
    let kept = b.text("files/caddy-logs/gojinn.log");
    assert!(kept.contains("Sync execution failed"), "{kept}");
    let issue = out.issue();
    assert!(issue.contains("Sync execution failed"), "{issue}");
    out.assert_no_secrets(&["xak-log-5e2d9c71a0b3", TENANT_KEY]);

    // caddy validate read the sysroot's Caddyfile and found the stock-Caddy error there.
    let args = std::fs::read_to_string(tmp.join("caddy.log")).expect("caddy ran");
    let expected = format!(
        "validate --config {}/{ROOT}/etc/caddy/Caddyfile --adapter caddyfile",
        tmp.display()
    );
    assert!(args.lines().any(|l| l == expected), "{args}");
    assert_eq!(
        b.check("stock-caddy"),
        Some("fail"),
        "{}",
        b.manifest_text()
    );
}

#[test]
fn crash_dumps_are_found_through_the_crashes_variable() {
    // Gojinn ran in another directory: its crashes/ is not where collect runs.
    let t = fixtures::gojinn(Test::new());
    let from = t.join(&format!("work/crashes/{}", fixtures::crash_file_name()));
    let to = t.join(&format!(
        "srv/gojinn/crashes/{}",
        fixtures::crash_file_name()
    ));
    std::fs::create_dir_all(to.parent().unwrap()).unwrap();
    std::fs::rename(&from, &to).unwrap();
    std::fs::remove_dir(from.parent().unwrap()).unwrap();

    let b = run_gojinn_with(t, &["--var", "crashes=[TMP]/srv/gojinn/crashes"]).bundle();
    let dumps = b.items("crash-dumps");
    assert_eq!(dumps.len(), 1, "{}", b.manifest_text());
    assert_eq!(dumps[0]["status"], "ok");
    let path = dumps[0]["path"].as_str().unwrap_or_default();
    serde_json::from_slice::<serde_json::Value>(&b.entries[path]).expect("crash dump JSON");

    // Without it, the default `./crashes` finds nothing and says where it looked.
    let t = fixtures::gojinn(Test::new());
    std::fs::remove_dir_all(t.join("work/crashes")).unwrap();
    let b = run_gojinn(t).bundle();
    assert_eq!(b.status("crash-dumps"), "missing", "{}", b.manifest_text());
    let detail = b.item("crash-dumps")["detail"].as_str().unwrap_or_default();
    assert!(detail.contains("./crashes/*.json"), "{detail}");
    let spec = crate::harness::builtin_spec_text("gojinn");
    assert!(
        spec.contains("--var crashes=DIR"),
        "the hint names the variable"
    );
}

#[test]
fn caddy_validate_without_a_caddyfile_is_missing_not_a_verdict() {
    let t = caddy(fixtures::gojinn(Test::new()), &replaced_build_info(), false)
        .file(&format!("{ROOT}/etc/hostname"), "host\n");
    let out = run_gojinn_sysroot(t);
    out.success();
    let b = out.bundle();
    assert_eq!(b.status("caddyfile"), "missing");
    assert_eq!(
        b.status("caddy-validate"),
        "missing",
        "{}",
        b.manifest_text()
    );
    let detail = b.item("caddy-validate")["detail"]
        .as_str()
        .unwrap_or_default();
    assert!(
        detail.starts_with("Error: reading config from file: open ")
            && detail.ends_with("/etc/caddy/Caddyfile: no such file or directory"),
        "{detail}"
    );
    assert_eq!(b.fact("caddyfile_error"), None, "{}", b.manifest_text());
    // No verdict, no pass: the check cannot be decided.
    assert_eq!(b.check("caddyfile-valid"), Some("unknown"));
}
