//! `collect --spec kestrel` against a fixture sysroot and fake Kestrel tools.

use crate::fixtures::{self, KESTREL_BAD_RULES, KESTREL_RULES, KESTREL_SECRETS, KESTREL_VERSION};
use crate::harness::{Output, Server, Test, free_port, sha256_hex};

const METRICS: &str = "# HELP kestrel_events_received Events received from eBPF\n\
# TYPE kestrel_events_received counter\n\
kestrel_events_received 42\n\
kestrel_alerts_generated 3\n\
kestrel_rule_evaluations{rule_id=\"rule-001\"} 17\n";

/// The built-in kestrel spec with its metrics item pointed at `url` through `--var metrics_url`
/// (an unknown `--var` is an error, so a spec without that variable fails the run).
fn with_metrics_url(t: Test, url: &str) -> Test {
    t.args(["--spec", "kestrel", "--var", &format!("metrics_url={url}")])
}

fn run_kestrel(metrics_url: &str) -> Output {
    let t = fixtures::kestrel(Test::new()).args(["collect", "--sysroot", "[TMP]/root"]);
    with_metrics_url(t, metrics_url)
        .args(["--out", "[TMP]/out"])
        .run()
}

#[test]
fn collects_everything_the_policy_asks_for() {
    let server = Server::start(METRICS.as_bytes(), "text/plain; version=0.0.4");
    let out = run_kestrel(&server.url("/metrics"));
    out.success();
    let b = out.bundle();

    for entry in [
        "system.json",
        "commands/kestrel-version.txt",
        "commands/uname.txt",
        "commands/rustc-version.txt",
        "commands/cargo-version.txt",
        "commands/rules-validate.txt",
        "commands/rules-list.txt",
        "commands/journal.txt",
        "commands/journal-errors.txt",
        "commands/unit-active.txt",
        "commands/unit-file.txt",
        "listings/rules-dir.txt",
        "listings/btf.txt",
        "http/metrics.txt",
        "issue.md",
        "redaction-report.json",
        "spec.toml",
        "manifest.json",
    ] {
        expect!(out, b.has(entry), "no {entry} in {b:?}");
    }
    for (id, name) in [
        ("config", "config.toml"),
        ("user-config", "config.toml"),
        ("alerts", "alerts.json"),
        ("replay-log", "kestrel_events.log"),
    ] {
        assert_eq!(b.status(id), "ok", "{id}: {}", b.manifest_text());
        let path = b.item(id)["path"].as_str().unwrap_or_default().to_string();
        assert_eq!(path, format!("files/{id}/{name}"), "{}", b.manifest_text());
    }
    // No capsh on PATH: recorded, not fatal.
    assert_eq!(b.status("capabilities"), "missing");

    assert_eq!(b.fact("kestrel_version"), Some(KESTREL_VERSION));
    assert_eq!(
        b.fact("rustc_version"),
        Some(crate::fixtures::RUSTC_RELEASE)
    );
    assert_eq!(b.fact("service_state"), Some("activating"));
    assert_eq!(b.fact("btf"), Some("vmlinux"), "{}", b.manifest_text());
    assert_eq!(b.check("btf-present"), Some("pass"));
    // The kernel fact is this machine's, from the system item, not the fake uname.
    let kernel = std::fs::read_to_string("/proc/sys/kernel/osrelease").expect("osrelease");
    assert_eq!(
        b.fact("kernel"),
        Some(kernel.trim()),
        "{}",
        b.manifest_text()
    );
    assert_eq!(b.manifest["facts"]["kernel"]["item"], "system");

    // The config is the sysroot's, the user config the sysroot's copy of ~/.kestrel.
    let config = b.text("files/config/config.toml");
    assert!(config.contains("metrics_port = 9090"), "{config}");
    assert!(config.contains("[integration.threat_intel]"), "{config}");
    assert_eq!(b.item("config")["source"], "/etc/kestrel/config.toml");

    // Metrics from the real loopback server.
    let metrics = b.text("http/metrics.txt");
    assert!(metrics.contains("kestrel_events_received 42"), "{metrics}");
    assert_eq!(b.status("metrics"), "ok");
    assert_eq!(server.requests(), ["GET /metrics HTTP/1.1"]);

    let issue = out.issue();
    assert!(issue.contains("## Bug Description"), "{issue}");
    assert!(issue.contains(KESTREL_VERSION), "{issue}");
}

#[test]
fn rules_run_against_the_sysroot_and_are_listed_not_copied() {
    let out = run_kestrel(&format!("http://127.0.0.1:{}/metrics", free_port()));
    out.success();
    let b = out.bundle();

    // validate saw the sysroot's rules dir ({sysroot}{rules_dir}): it names the bad file
    // there and fails the way kestrel does.
    let validate = out.filtered(&b.text("commands/rules-validate.txt"));
    for bad in KESTREL_BAD_RULES {
        let path = format!("[TMP]/root/opt/kestrel/rules/{bad}");
        assert!(
            validate.contains(&format!("Failed to load rule path={path}")),
            "{validate}"
        );
    }
    assert!(!validate.contains('\u{1b}'), "strip_ansi: {validate:?}");
    // Exit 1 is the spec's declared answer: a rule failed to load.
    assert_eq!(b.status("rules-validate"), "ok", "{}", b.manifest_text());
    assert_eq!(
        b.item("rules-validate")["detail"],
        "exit status 1 (declared an answer)"
    );
    let failures = KESTREL_BAD_RULES.len().to_string();
    assert_eq!(b.fact("rule_load_failures"), Some(failures.as_str()));
    assert_eq!(b.check("rules-load"), Some("warn"));

    let list = b.text("commands/rules-list.txt");
    for (_, name, severity, _) in KESTREL_RULES {
        assert!(list.contains(&format!("({name}) - {severity}")), "{list}");
    }

    // The listing: every rule file by name with its sha256, never its content.
    let listing = b.text("listings/rules-dir.txt");
    for (file, name, severity, body) in KESTREL_RULES {
        let content = format!("id: {file}\nname: {name}\nseverity: {severity}\n{body}\n");
        assert!(listing.contains(file), "{listing}");
        assert!(
            listing.contains(&sha256_hex(content.as_bytes())),
            "{listing}"
        );
        for entry in b.entries.values() {
            assert!(
                !crate::harness::contains(entry, body.as_bytes()),
                "rule logic copied into the bundle"
            );
        }
    }
    for bad in KESTREL_BAD_RULES {
        assert!(listing.contains(bad), "{listing}");
    }
    assert!(
        b.names_under("files/").iter().all(|n| !n.contains("rules")),
        "{b:?}"
    );
}

#[test]
fn journal_is_stripped_of_ansi_and_reveals_the_config_flag_loop() {
    let out = run_kestrel(&format!("http://127.0.0.1:{}/metrics", free_port()));
    out.success();
    let b = out.bundle();
    let journal = b.text("commands/journal.txt");
    assert!(
        journal.contains("Starting Kestrel detection engine"),
        "{journal}"
    );
    assert!(!journal.contains('\u{1b}'), "{journal:?}");
    assert!(!b.text("commands/journal-errors.txt").contains('\u{1b}'));
    assert!(
        b.fact("unit_rejects_config_flag").is_some(),
        "{}",
        b.manifest_text()
    );
    assert_eq!(
        b.check("unit-config-flag"),
        Some("fail"),
        "{}",
        b.manifest_text()
    );
    // The failing check shows in the summary and the issue.
    expect!(
        out,
        out.stdout.contains("unit-config-flag"),
        "summary names the check"
    );
    let issue = out.issue();
    assert!(
        issue.contains("unit-config-flag") || issue.contains("restart loop"),
        "{issue}"
    );
    // Log lines make it into the issue's Logs section.
    assert!(
        issue.contains("Starting Kestrel detection engine"),
        "{issue}"
    );
    assert!(!issue.contains('\u{1b}'), "{issue:?}");

    let unit = b.text("commands/unit-file.txt");
    assert!(
        unit.contains("ExecStart=/usr/bin/kestrel run --config"),
        "{unit}"
    );
}

#[test]
fn metrics_endpoint_down_is_missing_not_fatal() {
    let port = free_port();
    let out = run_kestrel(&format!("http://127.0.0.1:{port}/metrics"));
    out.success();
    let b = out.bundle();
    assert_eq!(b.status("metrics"), "missing", "{}", b.manifest_text());
    assert_eq!(b.item("metrics")["detail"], "connection refused");
    assert!(!b.has("http/metrics.txt"), "{b:?}");
}

#[test]
fn kestrel_missing_from_path_is_reported_with_its_hint() {
    let t = fixtures::kestrel(Test::new());
    std::fs::remove_file(t.join("bin/kestrel")).expect("remove fake kestrel");
    let out = with_metrics_url(
        t.args(["collect", "--sysroot", "[TMP]/root", "--out", "[TMP]/out"]),
        &format!("http://127.0.0.1:{}/metrics", free_port()),
    )
    .run();
    out.success();
    let b = out.bundle();
    assert_eq!(b.status("kestrel-version"), "missing");
    assert_eq!(b.fact("kestrel_version"), None);
    let issue = out.issue();
    assert!(
        issue.contains("put the `kestrel` binary on PATH"),
        "{issue}"
    );
}

#[test]
fn kestrel_secrets_never_reach_the_bundle_or_issue() {
    let server = Server::start(METRICS.as_bytes(), "text/plain");
    let out = run_kestrel(&server.url("/metrics"));
    out.success();
    out.assert_no_secrets(KESTREL_SECRETS);
    // Redaction keeps the structure: the config is still TOML with its keys.
    let b = out.bundle();
    let config = b.text("files/config/config.toml");
    let parsed: Result<toml::Table, _> = config.parse();
    assert!(parsed.is_ok(), "{config}");
    assert!(config.contains("password"), "{config}");
    assert!(b.item("config")["redactions"].as_u64() > Some(0));
}

/// `redaction-report.json` counts per entry and rule, agrees with the manifest's per-item
/// counts, and its sums add up.
#[test]
fn redaction_report_matches_the_manifest() {
    let server = Server::start(METRICS.as_bytes(), "text/plain");
    let out = run_kestrel(&server.url("/metrics"));
    out.success();
    let b = out.bundle();
    let report: serde_json::Value =
        serde_json::from_slice(&b.entries["redaction-report.json"]).expect("report is JSON");
    assert_eq!(report["format"], "support-bundle-redaction/1");
    let config = &report["items"]["files/config/config.toml"];
    assert_eq!(config["total"], b.item("config")["redactions"]);
    assert!(
        config["rules"]["password"].as_u64() >= Some(1),
        "{report:#}"
    );
    let items = report["items"].as_object().expect("items");
    let sum: u64 = items
        .values()
        .map(|i| i["total"].as_u64().unwrap_or(0))
        .sum();
    assert_eq!(report["total"].as_u64(), Some(sum));
    let per_rule: u64 = report["rules"]
        .as_object()
        .expect("rules")
        .values()
        .map(|n| n.as_u64().unwrap_or(0))
        .sum();
    assert_eq!(per_rule, sum);
}

/// A service account named after the service (`[integration.siem] username = "kestrel"`) is
/// pseudonymized where it is, and only there: the project's name stays readable in the
/// summary, the version fact, metric names and paths. Local accounts from the sysroot's
/// passwd, their home paths, and the machine's host names and domain are pseudonymized too.
#[test]
fn a_service_account_named_like_the_service_does_not_wreck_the_bundle() {
    let server = Server::start(METRICS.as_bytes(), "text/plain");
    let config = crate::fixtures::kestrel_config()
        .replace("username = \"svc-kestrel-siem\"", "username = \"kestrel\"")
        .replace(
            "data_dir = \"/var/lib/kestrel\"",
            "data_dir = \"/home/marisol/kestrel-data\"\nnode = \"sentry7\"\n\
             peer = \"db2.ops.corp.example\"\nrelay = \"relay.partner.example\"",
        );
    let t = fixtures::kestrel(Test::new())
        .file("root/etc/kestrel/config.toml", &config)
        .file(
            "root/etc/passwd",
            "root:x:0:0:root:/root:/bin/bash\n\
             kestrel:x:998:998::/var/lib/kestrel:/usr/sbin/nologin\n\
             marisol:x:1000:1000:Marisol,,,:/home/marisol:/bin/bash\n",
        )
        .file("root/etc/hostname", "sentry7.ops.corp.example\n")
        .args(["collect", "--sysroot", "[TMP]/root"])
        .args(["--domain", "partner.example"]);
    let t = with_metrics_url(t, &server.url("/metrics")).args(["--out", "[TMP]/out"]);
    let out = t.run();
    out.success();
    let b = out.bundle();

    out.stdout_has("built-in:kestrel");
    assert_eq!(b.fact("kestrel_version"), Some(KESTREL_VERSION));
    let metrics = b.text("http/metrics.txt");
    assert!(metrics.contains("kestrel_events_received 42"), "{metrics}");
    let issue = out.issue();
    assert!(!issue.contains("[REDACTED:siem-username"), "{issue}");
    assert!(issue.contains("kestrel"), "{issue}");

    let config = b.text("files/config/config.toml");
    assert!(config.contains("data_dir = \"/home/user-"), "{config}");
    assert!(config.contains("-data\""), "{config}");
    assert!(config.contains("index = \"kestrel-alerts\""), "{config}");
    assert_eq!(b.item("config")["source"], "/etc/kestrel/config.toml");
    for gone in [
        "marisol",
        "sentry7",
        "db2.ops.corp.example",
        "relay.partner.example",
    ] {
        assert!(!config.contains(gone), "{gone} survived in {config}");
    }
    // The account name is a stable pseudonym, not a mask, and it is the same one a user
    // name elsewhere would get.
    let line = config
        .lines()
        .find(|l| l.starts_with("username = "))
        .expect("username line");
    let pseudonym = line
        .trim_start_matches("username = \"")
        .trim_end_matches('"');
    assert!(
        pseudonym.starts_with("user-") && pseudonym.len() == "user-".len() + 6,
        "{line}"
    );
    let report: serde_json::Value =
        serde_json::from_slice(&b.entries["redaction-report.json"]).expect("report is JSON");
    assert!(
        report["learned"]["not_propagated"].as_u64() >= Some(1),
        "{report:#}"
    );
    assert!(
        report["learned"]["propagated"].as_u64() >= Some(1),
        "{report:#}"
    );
    assert!(!String::from_utf8_lossy(&b.entries["redaction-report.json"]).contains("kestrel\""));

    // `reveal` on this machine maps it back; a pseudonym nobody minted is an error.
    let revealed = t.run_with(["reveal", pseudonym]);
    revealed.success();
    revealed.stdout_is(&format!("{pseudonym}  kestrel\n"));
    let unknown = t.run_with(["reveal", "host-000000"]);
    assert_eq!(unknown.code(), 1, "{}", unknown.stderr);
    unknown.stderr_has("unknown pseudonym `host-000000`");
    // The map is private and never part of the bundle.
    let map = t.path().join("pseudonym.map");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&map).expect("map").permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    assert!(!b.entries.keys().any(|k| k.contains("pseudonym")), "{b:?}");
    t.run_with(["reveal", "--forget"]).success();
    assert!(!map.exists());
    assert_eq!(t.run_with(["reveal", pseudonym]).code(), 1);
}
