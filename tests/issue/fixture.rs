//! Fixture bundles written through the real bundle writer from content written here, so the
//! snapshots do not depend on this machine (its kernel, its tools).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use support_bundle::bundle::manifest::{ProjectRecord, SpecRecord, Tool};
use support_bundle::bundle::timestamp::Timestamp;
use support_bundle::bundle::{self, Extra, Manifest};
use support_bundle::facts;
use support_bundle::item::{Format, RawEntry, RawItem, Status};
use support_bundle::redact::{self, Counts, Redactor};
use support_bundle::spec::{self, Spec};

/// One item of a fixture: id, status, detail, and content (entry path, bytes, binary); the
/// source (what was read) is the id unless given.
pub(super) struct Item {
    pub id: &'static str,
    pub status: Status,
    pub detail: Option<&'static str>,
    pub entry: Option<(String, Vec<u8>, bool)>,
    pub source: Option<&'static str>,
}

pub(super) fn ok(id: &'static str, path: &str, data: impl Into<Vec<u8>>) -> Item {
    Item {
        id,
        status: Status::Ok,
        detail: None,
        entry: Some((path.to_string(), data.into(), false)),
        source: None,
    }
}

pub(super) fn absent(id: &'static str, status: Status, detail: &'static str) -> Item {
    Item {
        id,
        status,
        detail: Some(detail),
        entry: None,
        source: None,
    }
}

/// Write a bundle for `spec_text` holding `items` into `dir`; returns its path. The items go
/// through the redaction pass (with no rules, so their content is kept) and the bundle layout,
/// as in `collect`.
pub(super) fn write(dir: &Path, spec_text: &str, items: Vec<Item>, title: Option<&str>) -> PathBuf {
    let spec: Spec = spec::parse("fixture.toml", spec_text).expect("fixture spec loads");
    let raws: Vec<RawItem> = items
        .iter()
        .map(|item| {
            let kind = spec
                .item(item.id)
                .expect("fixture item is in the spec")
                .kind;
            RawItem {
                id: item.id.to_string(),
                kind,
                source: item.source.unwrap_or(item.id).to_string(),
                status: item.status,
                detail: item.detail.map(String::from),
                entry: item.entry.as_ref().map(|(p, d, b)| RawEntry {
                    source: item.id.to_string(),
                    name: p.rsplit('/').next().unwrap_or(p).to_string(),
                    data: d.clone(),
                    binary: *b,
                }),
                format: Format::Text,
            }
        })
        .collect();
    let mut redactor = Redactor::new(
        &redact::Options::default()
            .with_no_default_rules(true)
            .with_keep_identifiers(true),
    )
    .expect("a redactor without rules");
    let placed = bundle::layout::place(redact::redact_items(
        raws,
        &mut redactor,
        &Default::default(),
    ));
    for (p, item) in placed.iter().zip(&items) {
        let want = item.entry.as_ref().map(|(p, _, _)| p.as_str());
        assert_eq!(
            p.record.path.as_deref(),
            want,
            "fixture path follows the layout"
        );
    }
    let sources: Vec<facts::Source<'_>> = items
        .iter()
        .filter_map(|i| {
            let (_, d, b) = i.entry.as_ref()?;
            (!b).then_some(facts::Source { id: i.id, data: d })
        })
        .collect();
    let facts = facts::extract(&spec, &sources);
    let records: Vec<_> = placed.iter().map(|p| p.record.clone()).collect();
    let checks = support_bundle::checks::evaluate(&spec, &facts, &records);
    let manifest = Manifest {
        format: bundle::FORMAT.to_string(),
        tool: Tool {
            name: "support-bundle".into(),
            version: "0.0.0-fixture".into(),
        },
        project: ProjectRecord {
            name: spec.project.name.clone(),
            display: spec.project.display.clone(),
            repository: spec.project.repository.clone(),
        },
        spec: SpecRecord {
            origin: "fixture.toml".into(),
            sha256: bundle::sha256_hex(spec_text.as_bytes()),
            os: None,
        },
        created: "1980-01-01T00:00:00Z".into(),
        private: false,
        facts,
        items: records,
        checks,
        files: BTreeMap::new(),
    };
    let mut counts = Counts::default();
    let text =
        |s: &str, format, counts: &mut Counts| redactor.redact_text(s.as_bytes(), format, counts);
    let title = title.map(|t| text(t, Format::Text, &mut counts));
    let extras = [
        Extra::spec(&text(spec_text, Format::Toml, &mut counts)),
        Extra::issue_request(title.as_ref(), None),
    ];
    let created = Timestamp::from_source_date_epoch(None).unwrap();
    bundle::write_bundle(dir, manifest, &placed, &extras, created)
        .expect("fixture bundle is written")
        .path
}

pub(super) fn builtin_text(name: &str) -> String {
    spec::builtin(name).expect("built-in spec").text.to_string()
}

/// `lines` numbered journal lines.
pub(super) fn journal(unit: &str, lines: usize) -> String {
    (1..=lines)
        .map(|n| {
            format!(
                "Nov 23 00:39:{:02} host {unit}[812]: INFO event {n} handled\n",
                n % 60
            )
        })
        .collect()
}

pub(super) fn kestrel(dir: &Path, spec_text: &str, journal_lines: usize) -> PathBuf {
    let system =
        r#"{"arch":"x86_64","cpu_count":"4","kernel":"5.4.0","os":"Ubuntu","os_version":"20.04"}"#;
    let config = "[general]\nlog_level = \"info\"\n\n[performance]\nmetrics_port = 9090\n";
    write(
        dir,
        spec_text,
        vec![
            ok("system", "system.json", system),
            ok(
                "kestrel-version",
                "commands/kestrel-version.txt",
                "kestrel 0.1.0\n",
            ),
            ok(
                "uname",
                "commands/uname.txt",
                "Linux box 5.4.0-150-generic #167 SMP x86_64 GNU/Linux\n",
            ),
            ok(
                "rustc-version",
                "commands/rustc-version.txt",
                "rustc 1.80.1 (3f5fd8dd4 2024-08-06)\n",
            ),
            Item {
                id: "config",
                status: Status::Denied,
                detail: Some("permission denied: /etc/kestrel/config.toml"),
                entry: None,
                source: None,
            },
            ok("user-config", "files/user-config/config.toml", config),
            ok(
                "journal",
                "commands/journal.txt",
                journal("kestrel", journal_lines),
            ),
            absent("metrics", Status::Missing, "connection refused"),
            Item {
                id: "replay-log",
                status: Status::Ok,
                detail: None,
                entry: Some((
                    "files/replay-log/kestrel_events.log".into(),
                    b"{\"magic\":[75,69,83,84],\"version\":1}\n".to_vec(),
                    false,
                )),
                source: None,
            },
            ok("btf", "listings/btf.txt", "-r--r--r-- file 0 vmlinux\n"),
        ],
        None,
    )
}

pub(super) fn gojinn(dir: &Path, spec_text: &str) -> PathBuf {
    let caddyfile = "{\n\torder gojinn last\n}\n:8080 {\n\tgojinn ./functions/hello.wasm {\n\t\tenv GREETING hi\n\t}\n}\n";
    let mut wasm = b"\0asm\x01\0\0\0".to_vec();
    wasm.extend([0u8; 56]);
    write(
        dir,
        spec_text,
        vec![
            ok(
                "system",
                "system.json",
                r#"{"arch":"aarch64","kernel":"6.1.0","os":"Debian","os_version":"12"}"#,
            ),
            ok(
                "caddy-version",
                "commands/caddy-version.txt",
                "v2.10.2 h1:exampleSum=\n",
            ),
            ok(
                "caddy-build-info",
                "commands/caddy-build-info.txt",
                "go\tgo1.25.1\npath\tcaddy\ndep\tgithub.com/gojinn-io/gojinn\tv1.0.0-rc7\th1:x=\n",
            ),
            ok("caddyfile", "files/caddyfile/Caddyfile", caddyfile),
            Item {
                id: "wasm-modules",
                status: Status::Ok,
                detail: None,
                entry: Some(("files/wasm-modules/hello.wasm".into(), wasm, true)),
                source: None,
            },
            ok(
                "journal-caddy",
                "commands/journal-caddy.txt",
                journal("caddy", 80),
            ),
            absent("journal-gojinn", Status::Missing, "-- No entries --"),
        ],
        Some("gojinn 500s on every request"),
    )
}

/// One pretty-printed Kestrel alert, as `kestrel run` prints it (many lines per record).
fn alert(n: usize) -> String {
    format!(
        "{{\n  \"id\": \"alert-{n}\",\n  \"rule_id\": \"rule-00{n}\",\n  \"rule_name\": \"Suspicious Process {n}\",\n  \"severity\": \"Medium\",\n  \"timestamp_ns\": {n}000000000,\n  \"events\": [\n    {{\n      \"event_id\": {n},\n      \"event_type_id\": 1,\n      \"fields\": [\n        \"/usr/bin/curl\",\n        \"-s\"\n      ]\n    }}\n  ]\n}}\n"
    )
}

/// A Kestrel install as issue reports find it: no journal (a container), `rustc` only on the
/// user's PATH under sudo, one rule that fails to load, pretty-printed alerts.
pub(super) fn kestrel_without_journal(dir: &Path) -> PathBuf {
    let system = r#"{"arch":"x86_64","kernel":"6.1.0-18-amd64","os":"Debian GNU/Linux","os_name":"Debian GNU/Linux 12 (bookworm)","os_version":"12.11"}"#;
    let validate = "2026-11-23T00:39:43.533996Z ERROR kestrel_rules: Failed to load rule path=/opt/kestrel/rules/notes.txt error=Invalid rule format\nError: Failed to load 1 rules\n";
    let alerts: String = (1..=6).map(alert).collect();
    write(
        dir,
        &builtin_text("kestrel"),
        vec![
            ok("system", "system.json", system),
            ok(
                "kestrel-version",
                "commands/kestrel-version.txt",
                "kestrel 0.1.0\n",
            ),
            ok(
                "uname",
                "commands/uname.txt",
                "Linux box 6.1.0-18-amd64 #1 SMP Debian 6.1.76-1 x86_64 GNU/Linux\n",
            ),
            absent(
                "rustc-version",
                Status::Missing,
                "command `rustc` not found on PATH under sudo (root's PATH, not your user's)",
            ),
            ok(
                "config",
                "files/config/config.toml",
                "[general]\nlog_level = \"info\"\n",
            ),
            Item {
                id: "rules-validate",
                status: Status::Ok,
                detail: Some("exit status 1, an answer (ok_exit)"),
                entry: Some(("commands/rules-validate.txt".into(), validate.into(), false)),
                source: None,
            },
            absent("journal", Status::Missing, "No journal files were found."),
            absent("foreground-log", Status::Missing, "no such file"),
            absent(
                "unit-active",
                Status::Missing,
                "System has not been booted with systemd as init system (PID 1). Can't operate.",
            ),
            ok("alerts", "files/alerts/alerts.json", alerts),
            ok("btf", "listings/btf.txt", "-r--r--r-- file 0 vmlinux\n"),
        ],
        None,
    )
}

/// A Gojinn setup on a stock Caddy: `caddy build-info` has no Gojinn line, and the Caddyfile
/// names a module that is not there.
pub(super) fn gojinn_stock_caddy(dir: &Path) -> PathBuf {
    let caddyfile = "{\n\torder gojinn last\n}\n:8080 {\n\tgojinn ./functions/hello.wasm\n\troute /b {\n\t\tgojinn ./functions/missing.wasm\n\t}\n}\n";
    let mut wasm = b"\0asm\x01\0\0\0".to_vec();
    wasm.extend([0u8; 24]);
    write(
        dir,
        &builtin_text("gojinn"),
        vec![
            ok(
                "system",
                "system.json",
                r#"{"arch":"x86_64","kernel":"6.1.0","os":"Debian GNU/Linux","os_version":"12.11"}"#,
            ),
            ok("caddy-version", "commands/caddy-version.txt", "2.6.2\n"),
            ok(
                "caddy-build-info",
                "commands/caddy-build-info.txt",
                "go\tgo1.19.8\npath\tcaddy\nmod\tgithub.com/caddyserver/caddy/v2\t(devel)\t\n",
            ),
            ok(
                "caddy-modules",
                "commands/caddy-modules.txt",
                "http.handlers.file_server\nhttp.handlers.reverse_proxy\n\n  Standard modules: 2\n",
            ),
            ok("caddyfile", "files/caddyfile/Caddyfile", caddyfile),
            Item {
                id: "wasm-modules",
                status: Status::Ok,
                detail: None,
                entry: Some(("files/wasm-modules/hello.wasm".into(), wasm, true)),
                source: Some("/srv/app/functions/hello.wasm"),
            },
            Item {
                id: "wasm-modules",
                status: Status::Missing,
                detail: Some("no such file"),
                entry: None,
                source: Some("/srv/app/functions/missing.wasm"),
            },
            Item {
                id: "caddy-validate",
                status: Status::Ok,
                detail: Some("exit status 1, an answer (ok_exit)"),
                entry: Some((
                    "commands/caddy-validate.txt".into(),
                    b"2026/11/23 00:39:43.533 INFO using config from file\nError: adapting config using caddyfile: /etc/caddy/Caddyfile:5: unrecognized directive: gojinn\n".to_vec(),
                    false,
                )),
                source: None,
            },
            absent("journal-caddy", Status::Missing, "No journal files were found."),
            absent("journal-gojinn", Status::Missing, "No journal files were found."),
        ],
        None,
    )
}
