//! Library-level tests of the redaction engine: planted secrets in generated logs, structured
//! formats, learned secrets, identifiers, streaming invariants and gitleaks compatibility.

use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path, PathBuf};

use proptest::prelude::*;
use support_bundle::item::Format;
use support_bundle::redact::{Counts, Options, Redactor, Vocabulary, report_json};
use testdata::Rng;

/// Generated logs and secrets, shared with the benches and the log generator.
#[allow(dead_code, unreachable_pub)]
#[path = "support/testdata.rs"]
mod testdata;

fn opts(dir: &Path) -> Options {
    Options::default()
        .with_pseudonym_key(dir.join("pseudonym.key"))
        .with_hostnames(vec!["web01".into(), "web01.corp.example.net".into()])
        .with_usernames(vec!["alice".into()])
}

fn redactor() -> (Redactor, tempfile::TempDir) {
    let d = tempfile::tempdir().unwrap();
    let r = Redactor::new(&opts(d.path())).unwrap();
    (r, d)
}

fn red(r: &Redactor, s: &str, f: Format) -> (String, Counts) {
    let mut c = Counts::default();
    let out = r.redact_bytes(s.as_bytes(), f, &mut c);
    (String::from_utf8(out).unwrap(), c)
}

/// The secrets that still occur in `out`, found in one pass: `str::contains` per secret over a
/// half-megabyte corpus takes most of a minute in a debug build.
fn survivors<'a, S: AsRef<str>>(out: &str, secrets: &'a [S]) -> Vec<&'a str> {
    let finder = aho_corasick::AhoCorasick::new(secrets.iter().map(AsRef::as_ref))
        .expect("secrets build a searcher");
    let found: std::collections::BTreeSet<usize> = finder
        .find_overlapping_iter(out)
        .map(|m| m.pattern().as_usize())
        .collect();
    found.into_iter().map(|i| secrets[i].as_ref()).collect()
}

/// Assert every secret is gone and every line without one is unchanged.
fn check(r: &Redactor, input: &str, f: Format, secrets: &[&str]) -> String {
    let (out, _) = red(r, input, f);
    for s in secrets {
        assert!(!out.contains(s), "secret {s:?} survived in:\n{out}");
    }
    let ins: Vec<&str> = input.lines().collect();
    let outs: Vec<&str> = out.lines().collect();
    assert_eq!(ins.len(), outs.len(), "line count changed:\n{out}");
    for (i, o) in ins.iter().zip(&outs) {
        if !secrets.iter().any(|s| i.contains(s)) {
            assert_eq!(i, o, "a line without a secret changed");
        }
    }
    out
}

#[test]
fn planted_secrets_are_gone_and_decoys_untouched() {
    let (r, _d) = redactor();
    for seed in 1..=4 {
        let c = testdata::corpus(seed, 4000, 3);
        assert!(c.secrets.len() > 1000);
        let (out, counts) = red(&r, &c.text, Format::Text);
        let survivors = survivors(&out, &c.secrets);
        assert!(
            survivors.is_empty(),
            "{} survived, e.g. {:?}",
            survivors.len(),
            &survivors[..survivors.len().min(5)]
        );
        let ins: Vec<&str> = c.text.lines().collect();
        let outs: Vec<&str> = out.lines().collect();
        assert_eq!(ins.len(), outs.len());
        for &i in &c.decoy_lines {
            assert_eq!(ins[i], outs[i], "decoy line {i} changed");
        }
        assert!(counts.total() as usize >= c.secrets.len() / 2);
        assert!(out.ends_with('\n'));
    }
}

#[test]
fn every_kind_alone_in_both_contexts() {
    let (r, _d) = redactor();
    let mut rng = Rng::new(7);
    for kind in 0..testdata::KINDS {
        for _ in 0..20 {
            let (frag, secret) = testdata::secret_fragment(kind, &mut rng);
            let plain = format!("Nov 25 10:00:00 buildhost caddy[1]: {frag}\n");
            check(&r, &plain, Format::Text, &[&secret]);
            let json = format!(
                "{{\"level\":\"warn\",\"msg\":{}}}\n",
                serde_json::to_string(&frag).unwrap()
            );
            check(&r, &json, Format::Text, &[&secret]);
        }
    }
}

#[test]
fn pem_blocks_raw_prefixed_and_escaped() {
    let (r, _d) = redactor();
    let body = [
        "MIIEowIBAAKCAQEAu1SU1LfVLPHCozMxH2Mo4lgOEePzNm0tRgeLezV6ffAt0gun",
        "VTLw7onLRnrq0/IzW7yWR7QkrmBL7jTKEn5u+qKhbwKfBstIs+bMY2Zkp18gnTxK",
        "LxoS2tFczGkPLPgizskuemMghRniWaoLcyehkd3qqGElvW/VDL5AaWTg0nLVkjRo",
    ];
    let raw = format!(
        "-----BEGIN RSA PRIVATE KEY-----\n{}\n-----END RSA PRIVATE KEY-----\nafter\n",
        body.join("\n")
    );
    let out = check(&r, &raw, Format::Text, &body);
    assert!(out.contains("-----BEGIN RSA PRIVATE KEY-----\n[REDACTED:private-key:1]\n"));
    let prefixed: String = raw
        .lines()
        .map(|l| format!("Nov 25 10:00:00 buildhost app[42]: {l}\n"))
        .collect();
    let out = check(&r, &prefixed, Format::Text, &body);
    assert!(out.contains("app[42]: [REDACTED:private-key:1]\n"), "{out}");
    let escaped = format!("{{\"key\":{}}}\n", serde_json::to_string(&raw).unwrap());
    check(&r, &escaped, Format::Text, &body);
    let (_, counts) = red(&r, &prefixed, Format::Text);
    assert_eq!(counts.by_rule().get("private-key"), Some(&1));
    // OPENSSH and PKCS#8 forms too.
    let ssh = "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW\n-----END OPENSSH PRIVATE KEY-----\n";
    check(
        &r,
        ssh,
        Format::Text,
        &["b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW"],
    );
}

#[test]
fn kestrel_config_toml() {
    let (r, _d) = redactor();
    let cfg = r#"[general]
log_level = "info"
data_dir = "/var/lib/kestrel"

[performance]
metrics_enabled = true
metrics_port = 9090

[integration.siem]
type = "elastic"
url = "https://siem.internal:9200"
token = "siemTok3nX9qLw2ZrT"
username = "svc-kestrel-ingest"
password = "Winter2026!"
index = "kestrel-alerts"

[integration.soar]
webhook_url = "https://soar.internal/hooks/T8d7f6a5s4"
auth_token = "soarAuthQ7w8e9r0"
playbooks = ["isolate", "notify"]

[integration.threat_intel]
sources = [{ name = "otx", url = "https://otx.example/api", api_key = "otxKey5566aabbccdd" },
  { name = "misp", url = "https://misp.example", api_key = "mispKey1122zzyyxx" }]
placeholder = "${KESTREL_TOKEN}"
token_env = "${SIEM_TOKEN}"

[other]
username = "not-a-secret-here"
"#;
    let secrets = [
        "siemTok3nX9qLw2ZrT",
        "svc-kestrel-ingest",
        "Winter2026!",
        "https://soar.internal/hooks/T8d7f6a5s4",
        "soarAuthQ7w8e9r0",
        "otxKey5566aabbccdd",
        "mispKey1122zzyyxx",
        "not-a-secret-here",
    ];
    let out = check(&r, cfg, Format::Toml, &secrets);
    // An account name is an identifier wherever it is: pseudonymized, not masked.
    assert!(out.contains("username = \"user-"), "{out}");
    assert!(!out.contains("not-a-secret-here"), "{out}");
    assert!(
        out.contains("password = \"[REDACTED:password:1]\""),
        "{out}"
    );
    assert!(out.contains("name = \"otx\""));
}

#[test]
fn gojinn_caddyfile() {
    let (r, _d) = redactor();
    let caddy = r#"{
	order gojinn last
}
api.example.net {
	gojinn ./functions/hello.wasm {
		env DB_PASSWORD s3cretPassw0rd
		env LOG_LEVEL debug
		env OPENAI_API_KEY sk-proj-abcdefghijklmnopqrstuvwxyz012345
		db_dsn postgres://gojinn:dbPa55word@db:5432/gojinn
		db_sync_token syncTok_8f7e6d5c4b3a
		debug_secret dbgSecret_0a9b8c7d
		mqtt_password mqttPassQ1w2e3
		ai_token aiTok_77aa88bb99cc
		s3_access_key AKIAIOSFODNN7EXAMPLF
		s3_secret_key wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY
		store_cipher_key 0123456789abcdef0123456789abcdef
		nats_user_seed SUAMLK2ZNL35WSMW37E7UD4VZ7ELPKW7DHC3BWBSD2GCZ7IUQQXZIORRBU
		sentry_dsn https://0123456789abcdef0123456789abcdef@o1.ingest.sentry.io/2
		api_key tenant-acme-7f3k2q
		api_key {$OTHER_KEY}
		trusted_key 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08
		mqtt_broker tcp://broker:1883
	}
}
"#;
    let secrets = [
        "s3cretPassw0rd",
        "sk-proj-abcdefghijklmnopqrstuvwxyz012345",
        "dbPa55word",
        "syncTok_8f7e6d5c4b3a",
        "dbgSecret_0a9b8c7d",
        "mqttPassQ1w2e3",
        "aiTok_77aa88bb99cc",
        "AKIAIOSFODNN7EXAMPLF",
        "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
        "0123456789abcdef0123456789abcdef",
        "SUAMLK2ZNL35WSMW37E7UD4VZ7ELPKW7DHC3BWBSD2GCZ7IUQQXZIORRBU",
        "tenant-acme-7f3k2q",
    ];
    let out = check(&r, caddy, Format::Caddyfile, &secrets);
    assert!(
        out.contains(
            "trusted_key 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"
        )
    );
    assert!(out.contains("api_key {$OTHER_KEY}"));
    assert!(out.contains("env LOG_LEVEL debug"));
}

#[test]
fn json_pretty_and_minified() {
    let (r, _d) = redactor();
    let pretty = r#"{
  "apps": {
    "http": {
      "servers": {
        "srv0": {
          "routes": [
            {
              "handle": [
                {
                  "handler": "gojinn",
                  "api_keys": ["tenantKeyAAA111", "tenantKeyBBB222"],
                  "db_dsn": "postgres://u:jsonDbPass9@db/x",
                  "env": { "STRIPE_KEY": "sk_live_51HxYzAbCdEfGhIjKlMnOpQr" },
                  "password": "",
                  "trusted_key": "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"
                }
              ]
            }
          ]
        }
      }
    }
  }
}
"#;
    let secrets = [
        "tenantKeyAAA111",
        "tenantKeyBBB222",
        "jsonDbPass9",
        "sk_live_51HxYzAbCdEfGhIjKlMnOpQr",
    ];
    check(&r, pretty, Format::Json, &secrets);
    let v: serde_json::Value = serde_json::from_str(pretty).unwrap();
    let mini = serde_json::to_string(&v).unwrap() + "\n";
    let out = check(&r, &mini, Format::Json, &secrets);
    let back: serde_json::Value = serde_json::from_str(&out).expect("still valid JSON");
    assert_eq!(
        back["apps"]["http"]["servers"]["srv0"]["routes"][0]["handle"][0]["trusted_key"],
        v["apps"]["http"]["servers"]["srv0"]["routes"][0]["handle"][0]["trusted_key"]
    );
}

#[test]
fn yaml_ini_env() {
    let (r, _d) = redactor();
    let yaml = "db:\n  host: localhost\n  password: \"yamlPass42\"\nauth:\n  - client_secret: yamlClientSecretZZ99\ntls:\n  private_key: |\n    line-one-secret-material\n    line-two-secret-material\n  cert_file: /etc/x.pem\n";
    let out = check(
        &r,
        yaml,
        Format::Yaml,
        &[
            "yamlPass42",
            "yamlClientSecretZZ99",
            "line-one-secret-material",
            "line-two-secret-material",
        ],
    );
    assert!(out.contains("  cert_file: /etc/x.pem"));
    let ini = "[database]\nuser = app\npassword = ini pass word ; comment\n[auth]\ntoken=iniTokenValue123\n";
    check(&r, ini, Format::Ini, &["ini pass word", "iniTokenValue123"]);
    let env = "PWD=/home/x\nOLDPWD=/root\nexport DB_PASSWORD='envPass 77'\nGITHUB_TOKEN=ghp_abcdefghijklmnopqrstuvwxyz0123456789\nAPI_KEY=envApiKey_9988\nPATH=/usr/bin\n";
    let out = check(
        &r,
        env,
        Format::Env,
        &[
            "envPass 77",
            "ghp_abcdefghijklmnopqrstuvwxyz0123456789",
            "envApiKey_9988",
        ],
    );
    assert!(out.starts_with("PWD=/home/x\nOLDPWD=/root\n"));
}

#[test]
fn environ_dump_in_journal() {
    let (r, _d) = redactor();
    let dump = "Nov 25 10:00:00 buildhost caddy[1021]: PWD=/var/lib/caddy\nNov 25 10:00:00 buildhost caddy[1021]: HOME=/var/lib/caddy\nNov 25 10:00:00 buildhost caddy[1021]: GOJINN_API_KEY=environKey4455\nNov 25 10:00:00 buildhost caddy[1021]: SMTP_PASSWORD=two words here\nNov 25 10:00:00 buildhost caddy[1021]: INVOCATION_ID=0a1b2c3d4e5f60718293a4b5c6d7e8f9\n";
    check(
        &r,
        dump,
        Format::Text,
        &["environKey4455", "two words here"],
    );
}

#[test]
fn not_secrets() {
    let (r, _d) = redactor();
    let text: String = testdata::DECOYS.iter().map(|d| format!("{d}\n")).collect();
    let (out, counts) = red(&r, &text, Format::Text);
    assert_eq!(out, text, "counts: {:?}", counts.by_rule());
}

#[test]
fn learned_secrets_are_masked_everywhere() {
    let (mut r, _d) = redactor();
    r.learn(
        b"gojinn {\n  api_key tenant-acme-7f3k2q\n  api_key abc\n  api_key {$X}\n}\n",
        Format::Caddyfile,
        &Vocabulary::default(),
    );
    let logs = "[INF] stream WORKER_tenant-acme-7f3k2q created\ngojinn_requests_total{tenant=\"tenant-acme-7f3k2q\"} 3\nabc stays\n";
    let out = check(&r, logs, Format::Text, &["tenant-acme-7f3k2q"]);
    assert!(out.contains("abc stays"));
    let mut c = Counts::default();
    let name = r.redact_str(
        "crash_tenant_tenant-acme-7f3k2q_20261125-101010_seq1.json",
        &mut c,
    );
    assert_eq!(
        name,
        "crash_tenant_[REDACTED:token:1]_20261125-101010_seq1.json"
    );
    assert_eq!(c.total(), 1);
}

#[test]
fn literals_from_options() {
    let d = tempfile::tempdir().unwrap();
    let mut o = opts(d.path());
    o.literals = vec!["project-nightingale".into()];
    let r = Redactor::new(&o).unwrap();
    let (out, c) = red(&r, "codename project-nightingale launched\n", Format::Text);
    assert_eq!(out, "codename [REDACTED:literal:1] launched\n");
    assert_eq!(c.by_rule().get("literal"), Some(&1));
}

/// Access logs name the client's browser: `Chrome/131.0.0.0` is a version, not an address,
/// while the client address in the same line is pseudonymized.
#[test]
fn a_browser_version_in_a_user_agent_is_kept() {
    let (r, _d) = redactor();
    let text = "203.0.114.7 - - [25/Nov/2026:10:00:01 +0000] \"GET /hosts/10.9.8.7 HTTP/1.1\" 200 5 \"-\" \"Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0\"\n";
    let (out, counts) = red(&r, text, Format::Text);
    for kept in [
        "Chrome/131.0.0.0 Safari/537.36",
        "Edg/131.0.0.0\"",
        "HTTP/1.1",
    ] {
        assert!(out.contains(kept), "{kept} missing in {out}");
    }
    for gone in ["203.0.114.7", "10.9.8.7"] {
        assert!(!out.contains(gone), "{gone} in {out}");
    }
    assert_eq!(counts.by_rule().get("ipv4"), Some(&2), "{out}");
}

#[test]
fn identifiers_are_pseudonymized_stably() {
    let (r, d) = redactor();
    let text = "web01 sshd[9]: Accepted key for alice from 10.20.30.40 port 22 via 2a01:4f8:c0c:1234::2 ether 52:54:00:12:34:56 mail alice.smith@corp.io\nweb01.corp.example.net peer 10.20.30.40 and 127.0.0.1 and 192.0.2.1 docs@example.com\n";
    let (out, counts) = red(&r, text, Format::Text);
    for gone in [
        "web01",
        "alice",
        "10.20.30.40",
        "2a01:4f8:c0c:1234::2",
        "52:54:00:12:34:56",
        "alice.smith@corp.io",
    ] {
        assert!(!out.contains(gone), "{gone} in {out}");
    }
    for kept in ["127.0.0.1", "192.0.2.1", "docs@example.com"] {
        assert!(out.contains(kept), "{kept} missing in {out}");
    }
    let ip = out
        .split_whitespace()
        .find(|w| w.starts_with("ip-"))
        .unwrap()
        .to_string();
    assert_eq!(
        out.matches(ip.as_str()).count(),
        2,
        "same IP, same pseudonym: {out}"
    );
    assert!(
        out.contains("host-")
            && out.contains("user-")
            && out.contains("mac-")
            && out.contains("email-")
    );
    assert_eq!(counts.by_rule().get("ipv4"), Some(&2));
    // Same key, same mapping; another key, another mapping.
    let r2 = Redactor::new(&opts(d.path())).unwrap();
    assert_eq!(red(&r2, text, Format::Text).0, out);
    let d2 = tempfile::tempdir().unwrap();
    let r3 = Redactor::new(&opts(d2.path())).unwrap();
    assert_ne!(red(&r3, text, Format::Text).0, out);
    // keep_identifiers leaves them alone but still masks secrets.
    let mut o = opts(d.path());
    o.keep_identifiers = true;
    let r4 = Redactor::new(&o).unwrap();
    let (kept, _) = red(&r4, &format!("{text}password=hunter22\n"), Format::Text);
    assert!(kept.starts_with(text) && kept.ends_with("password=[REDACTED:password:1]\n"));
}

#[test]
fn pseudonym_key_from_env() {
    // The env var is the key location when no option names one.
    let d = tempfile::tempdir().unwrap();
    let key = d.path().join("env.key");
    std::fs::write(&key, "11".repeat(32)).unwrap();
    let text = "from 10.9.8.7\n";
    let mut o = opts(d.path());
    o.pseudonym_key = Some(key.clone());
    let a = red(&Redactor::new(&o).unwrap(), text, Format::Text).0;
    let out = std::process::Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "env_key_child",
            "--nocapture",
            "--include-ignored",
        ])
        .env("SUPPORT_BUNDLE_PSEUDONYM_KEY", &key)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains(&format!("CHILD:{}", a.trim())), "{stdout}");
}

#[test]
#[ignore = "run by pseudonym_key_from_env in a child process with the env var set"]
fn env_key_child() {
    let o = Options::default()
        .with_hostnames(vec![])
        .with_usernames(vec![]);
    let r = Redactor::new(&o).unwrap();
    println!(
        "CHILD:{}",
        red(&r, "from 10.9.8.7\n", Format::Text).0.trim()
    );
}

#[test]
fn invalid_utf8_passes_through() {
    let (r, _d) = redactor();
    let mut input = b"bin \xff\xfe\x00 data password=hunter22 \xc3\x28 end\n".to_vec();
    input.extend_from_slice(b"\x80\x81 no newline at end");
    let mut c = Counts::default();
    let out = r.redact_bytes(&input, Format::Text, &mut c);
    let want = [
        &b"bin \xff\xfe\x00 data password=[REDACTED:password:1] \xc3\x28 end\n"[..],
        b"\x80\x81 no newline at end",
    ]
    .concat();
    assert_eq!(out, want);
}

#[test]
fn long_lines_are_windowed_without_losing_secrets() {
    let (r, _d) = redactor();
    let mut rng = Rng::new(3);
    let mut line = String::new();
    let mut secrets = Vec::new();
    while line.len() < 600_000 {
        line.push_str(&rng.string(b"abcdefgh ", 997));
        let (frag, s) = testdata::secret_fragment(rng.below(testdata::KINDS), &mut rng);
        line.push(' ');
        line.push_str(&frag);
        line.push(' ');
        secrets.push(s);
    }
    line.push('\n');
    let (out, _) = red(&r, &line, Format::Text);
    let survivors = survivors(&out, &secrets);
    assert!(survivors.is_empty(), "{survivors:?} survived");
    assert_eq!(out.matches('\n').count(), 1);
}

struct Chunked<'a> {
    data: &'a [u8],
    sizes: Vec<usize>,
    i: usize,
}

impl Read for Chunked<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.sizes[self.i % self.sizes.len()]
            .min(buf.len())
            .min(self.data.len());
        self.i += 1;
        buf[..n].copy_from_slice(&self.data[..n]);
        self.data = &self.data[n..];
        Ok(n)
    }
}

fn stream(r: &Redactor, data: &[u8], sizes: Vec<usize>) -> (Vec<u8>, Counts) {
    let mut out = Vec::new();
    let mut c = Counts::default();
    r.redact_stream(
        Chunked { data, sizes, i: 0 },
        &mut out,
        Format::Text,
        &mut c,
    )
    .unwrap();
    (out, c)
}

/// One redactor for every proptest case: building it (compiling the rules) costs more than a
/// case's streaming, and the configuration is the same for all of them.
fn shared_redactor() -> &'static Redactor {
    static SHARED: std::sync::OnceLock<(Redactor, tempfile::TempDir)> = std::sync::OnceLock::new();
    &SHARED
        .get_or_init(|| {
            let d = tempfile::tempdir().unwrap();
            (Redactor::new(&opts(d.path())).unwrap(), d)
        })
        .0
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]
    #[test]
    fn read_sizes_do_not_change_output(seed in 0u64..1000, sizes in proptest::collection::vec(1usize..70_000, 1..6)) {
        let r = shared_redactor();
        let c = testdata::corpus(seed, 300, 4);
        let data = c.text.as_bytes();
        let reference = stream(r, data, vec![1 << 16]);
        prop_assert_eq!(&stream(r, data, vec![1]), &reference);
        prop_assert_eq!(&stream(r, data, vec![7]), &reference);
        prop_assert_eq!(&stream(r, data, sizes), &reference);
    }
}

fn gitleaks_path() -> Option<PathBuf> {
    let candidates = [
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/third-party/gitleaks-default.toml"),
        PathBuf::from("/work/shared/third-party/gitleaks-default.toml"),
    ];
    candidates.into_iter().find(|p| p.exists())
}

#[test]
fn gitleaks_default_config_loads_and_runs() {
    let Some(path) = gitleaks_path() else {
        assert!(
            std::env::var_os("CI").is_none(),
            "gitleaks-default.toml missing in CI"
        );
        eprintln!("skipped: gitleaks-default.toml not found next to the repository");
        return;
    };
    let d = tempfile::tempdir().unwrap();
    let o = opts(d.path())
        .with_rule_files(vec![path.clone()])
        .with_no_default_rules(true);
    let r = Redactor::new(&o).expect("gitleaks config loads unchanged");
    let w = r.warnings();
    assert!(
        w.iter()
            .any(|w| w.contains("ignored fields") && w.contains("minVersion")),
        "{w:?}"
    );
    let skipped = w.iter().filter(|w| w.contains("skipped")).count();
    assert!(skipped <= 10, "{w:?}");
    let c = testdata::corpus(11, 3000, 3);
    let (out, counts) = red(&r, &c.text, Format::Text);
    assert!(counts.total() > 100, "{:?}", counts.by_rule());
    let covered: Vec<&String> = c
        .secrets
        .iter()
        .filter(|s| s.starts_with("ghp_") || s.starts_with("AKIA") || s.starts_with("glpat-"))
        .collect();
    assert!(
        !covered.is_empty(),
        "the corpus plants no GitHub, AWS or GitLab token"
    );
    let survived = survivors(&out, &covered);
    assert!(survived.is_empty(), "{survived:?}");
    assert!(
        out.contains("[REDACTED:github-pat:1]") || out.contains("[REDACTED:aws-access-token:1]")
    );
    // Together with the defaults, too.
    let o = opts(d.path()).with_rule_files(vec![path]);
    let r = Redactor::new(&o).unwrap();
    let (out, _) = red(&r, &c.text, Format::Text);
    let survivors = survivors(&out, &c.secrets);
    assert!(survivors.is_empty(), "{survivors:?}");
}

#[test]
fn bad_rule_files_name_file_line_and_rule() {
    let d = tempfile::tempdir().unwrap();
    let f = d.path().join("x.toml");
    std::fs::write(&f, "[[rules]]\nid = \"foo\"\nkeywords = [\"a\"]\nregex = '''(oops'''\n\n[[rules]]\nid = \"bar\"\nregex = 'ok'\nsecretGroup = 3\n").unwrap();
    let o = opts(d.path()).with_rule_files(vec![f.clone()]);
    let e = Redactor::new(&o).unwrap_err().to_string();
    let lines: Vec<&str> = e.lines().collect();
    assert_eq!(lines.len(), 2, "{e}");
    assert!(
        lines[0].starts_with(&format!("{}:4: rule `foo` has invalid regex:", f.display())),
        "{e}"
    );
    assert!(
        lines[1].starts_with(&format!("{}:9: rule `bar`: secretGroup 3", f.display())),
        "{e}"
    );
    let o = opts(d.path()).with_rule_files(vec![d.path().join("missing.toml")]);
    assert!(
        Redactor::new(&o)
            .unwrap_err()
            .to_string()
            .contains("missing.toml: cannot read rule file")
    );
}

#[test]
fn user_rules_extend_and_pseudonymize() {
    let d = tempfile::tempdir().unwrap();
    let f = d.path().join("mine.toml");
    std::fs::write(&f, "# ours\n[[rules]]\nid = \"ticket-id\"\nregex = '''\\bCASE-(\\d{6})\\b'''\nkeywords = [\"case-\"]\naction = \"pseudonymize\"\nprefix = \"case\"\n\n[[keys]]\nid = \"internal\"\npattern = '(?i)^internal_code$'\nkeywords = [\"internal_code\"]\n").unwrap();
    let o = opts(d.path()).with_rule_files(vec![f]);
    let r = Redactor::new(&o).unwrap();
    let (out, c) = red(
        &r,
        "see CASE-123456 internal_code=zz9plural\n",
        Format::Text,
    );
    assert!(
        out.starts_with("see CASE-case-")
            && out.ends_with(" internal_code=[REDACTED:internal:1]\n"),
        "{out}"
    );
    assert_eq!(c.by_rule().get("ticket-id"), Some(&1));
}

#[test]
fn no_default_rules_turns_builtins_off() {
    let d = tempfile::tempdir().unwrap();
    let o = opts(d.path()).with_no_default_rules(true);
    let r = Redactor::new(&o).unwrap();
    let text = "password=hunter22 from 10.1.1.1 AKIAIOSFODNN7EXAMPLF\n";
    assert_eq!(red(&r, text, Format::Text).0, text);
}

#[test]
fn report_has_counts_never_values() {
    let (r, _d) = redactor();
    let mut items = BTreeMap::new();
    let (_, c) = red(
        &r,
        "password=hunter22 token=abcdefghijklmnop1234\n",
        Format::Text,
    );
    items.insert("logs".to_string(), c);
    let json = report_json(&items);
    assert!(!json.contains("hunter22") && !json.contains("abcdefghijklmnop1234"));
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(v["items"]["logs"]["rules"]["password"], 1);
    assert_eq!(v["total"], 2);
}

/// Secret values of every shape a key can hold. Digests and UUIDs are left alone only when
/// nothing but their shape speaks for them; under a key that names a secret they go.
const SHAPES: &[(&str, &str)] = &[
    ("hex32", "4be1c07a9f3d58e2b6a0d7c4f19e8235"),
    (
        "hex64",
        "c3a18f5e07d2b94a6e1f08c7d35b92a40e6f1d8c2b7a95e3f04d1c8b6a2e7f93",
    ),
    ("base64", "Q2FmZWJhYmUrL2tleT9zZWNyZXRa0w8="),
    ("digits", "80416392751804"),
    ("uuid", "6f1c2e9a-4b7d-4e3a-9c5f-2d8e7b1a0c46"),
    ("alnum", "Xq7vB2mK9pL4rT8wZ3nD"),
];

/// One syntax: a template with `{v}` where the secret goes, the format it is read as, and
/// the rule whose label must replace the value (`a|b`: either, when a vendor rule also knows
/// some shapes); everything else must stay as it was.
struct Syntax {
    name: &'static str,
    template: &'static str,
    format: Format,
    rule: &'static str,
    /// A bare TOML or YAML value: the mask is written as a quoted string.
    quoted_mask: bool,
}

const fn syn(
    name: &'static str,
    template: &'static str,
    format: Format,
    rule: &'static str,
) -> Syntax {
    Syntax {
        name,
        template,
        format,
        rule,
        quoted_mask: false,
    }
}

const fn quoted_mask(s: Syntax) -> Syntax {
    Syntax {
        quoted_mask: true,
        ..s
    }
}

const SYNTAXES: &[Syntax] = &[
    // Free text: logs, request dumps, command lines.
    syn("env line", "API_KEY={v}\n", Format::Text, "token"),
    syn(
        "env line, rest of the line",
        "SIEM_TOKEN={v} forwarding to https://siem.internal as kestrel-svc\n",
        Format::Text,
        "token",
    ),
    syn(
        "key: value",
        "worker 3 api_key: {v} loaded\n",
        Format::Text,
        "token",
    ),
    syn(
        "json log",
        "{\"level\":\"warn\",\"apikey\":\"{v}\",\"msg\":\"retry\"}\n",
        Format::Text,
        "token",
    ),
    syn(
        "json log, nested array",
        "{\"request\":{\"headers\":{\"x-api-key\":[\"{v}\"],\"Accept\":[\"*/*\"]}}}\n",
        Format::Text,
        "token",
    ),
    syn(
        "journald header",
        "Nov 25 10:00:00 buildhost kestrel[812]: X-Api-Key: {v}\n",
        Format::Text,
        "token",
    ),
    syn("request dump", "> X-Api-Key: {v}\n", Format::Text, "token"),
    syn(
        "apikey header",
        "Nov 25 10:00:00 buildhost app[9]: Apikey: {v}\n",
        Format::Text,
        "token",
    ),
    syn(
        "access token header",
        "Nov 25 10:00:00 buildhost app[9]: Access_Token: {v}\n",
        Format::Text,
        "token",
    ),
    syn(
        "query access_token",
        "GET /v1/data?access_token={v}&page=2 HTTP/1.1\n",
        Format::Text,
        "token",
    ),
    syn(
        "query client_secret",
        "GET /cb?state=ok&client_secret={v} 200 3ms\n",
        Format::Text,
        "secret",
    ),
    syn(
        "query api_key",
        "POST /fn/hello?api_key={v} 502\n",
        Format::Text,
        "token",
    ),
    syn(
        "query apikey",
        "GET /geo?apikey={v}&q=berlin 200\n",
        Format::Text,
        "token",
    ),
    syn(
        "query key",
        "GET /maps?key={v}&q=berlin 200\n",
        Format::Text,
        "url-param",
    ),
    syn(
        "query sig",
        "GET /blob?sv=2024&sig={v}&se=2026 200\n",
        Format::Text,
        "azure-storage-key|url-param",
    ),
    syn(
        "query signature",
        "GET /dl?file=a.tgz&signature={v} 200\n",
        Format::Text,
        "url-param",
    ),
    syn(
        "query password",
        "GET /login?user=bob&password={v} 302\n",
        Format::Text,
        "password",
    ),
    // A cookie header goes whole: every cookie in it may be a session.
    syn(
        "cookie header",
        "Nov 25 10:00:00 buildhost app[9]: Cookie: {v}\n",
        Format::Text,
        "cookie",
    ),
    syn(
        "cookie secret",
        "[http]\ncookie_secret = \"{v}\"\n",
        Format::Toml,
        "secret",
    ),
    syn(
        "cli flag",
        "exec /usr/bin/agent --token {v} --verbose\n",
        Format::Text,
        "token",
    ),
    syn(
        "cli flag =",
        "exec /usr/bin/agent --api-key={v} --verbose\n",
        Format::Text,
        "token",
    ),
    syn(
        "key=value in text",
        "login retry user=bob password={v} attempt=2\n",
        Format::Text,
        "password",
    ),
    syn("go :=", "\tapiKey := \"{v}\"\n", Format::Text, "token"),
    syn("ruby =>", "  :api_key => \"{v}\",\n", Format::Text, "token"),
    syn(
        "php ->",
        "$mail->Password = '{v}';\n",
        Format::Text,
        "password",
    ),
    syn(
        "xml element",
        "  <password>{v}</password>\n",
        Format::Text,
        "password",
    ),
    syn(
        "xml key/value",
        "  <add key=\"DbPassword\" value=\"{v}\" />\n",
        Format::Text,
        "password",
    ),
    syn(
        "NetworkCredential",
        "var c = new NetworkCredential(\"svc\", \"{v}\");\n",
        Format::Text,
        "password",
    ),
    syn(
        "powershell -Password",
        "Connect-Vault -Server v1 -Password {v} -Force\n",
        Format::Text,
        "password",
    ),
    syn(
        "psexec -p",
        "psexec \\\\host01 -u admin -p {v} cmd.exe\n",
        Format::Text,
        "password",
    ),
    syn(
        "curl -u",
        "curl -sS -u svc-bot:{v} https://api.internal/v1\n",
        Format::Text,
        "password",
    ),
    syn(
        "curl.exe -u",
        "PS> curl.exe -u svc-bot:{v} https://api.internal/v1\n",
        Format::Text,
        "password",
    ),
    syn(
        "netrc",
        "machine api.internal login svc-bot password {v}\n",
        Format::Text,
        "password",
    ),
    syn(
        "gradle",
        "        password '{v}'\n",
        Format::Text,
        "password",
    ),
    syn("bare Key=", "Key={v}\n", Format::Text, "token"),
    syn("bare Secret=", "Secret={v}\n", Format::Text, "secret"),
    syn(
        "sshpass -p",
        "sshpass -p '{v}' ssh deploy@host01 uptime\n",
        Format::Text,
        "password",
    ),
    syn(
        "mysql -p",
        "mysqldump -u root -p{v} app > /tmp/app.sql\n",
        Format::Text,
        "password",
    ),
    syn(
        "--password spaced",
        "mysql --password {v} -h db app\n",
        Format::Text,
        "password",
    ),
    // Structured formats.
    syn(
        "json nested",
        "{\"a\":{\"b\":{\"api_key\":\"{v}\",\"n\":1}}}\n",
        Format::Json,
        "token",
    ),
    syn(
        "json array",
        "{\"api_keys\":[\"{v}\",\"{v}\"],\"on\":true}\n",
        Format::Json,
        "token",
    ),
    syn(
        "json pretty",
        "{\n  \"auth\": {\n    \"client_secret\": \"{v}\"\n  }\n}\n",
        Format::Json,
        "secret",
    ),
    syn(
        "json string holding env",
        "{\"e\":\"DB_PASSWORD={v}\"}\n",
        Format::Json,
        "password",
    ),
    syn(
        "json string holding header",
        "{\"k\":\"api_key: {v}\"}\n",
        Format::Json,
        "token",
    ),
    syn(
        "json string holding flag",
        "{\"c\":\"mysql --password={v} -h db\"}\n",
        Format::Json,
        "password",
    ),
    syn(
        "json uri",
        "{\"uri\":\"/api/hello?api_key={v}&x=1\",\"status\":502}\n",
        Format::Json,
        "token",
    ),
    quoted_mask(syn(
        "yaml",
        "db:\n  host: db.internal\n  password: {v}\n",
        Format::Yaml,
        "password",
    )),
    quoted_mask(syn(
        "toml bare",
        "[auth]\nsession_key = {v}\n",
        Format::Toml,
        "token",
    )),
    syn(
        "yaml list",
        "auth:\n  - client_secret: \"{v}\"\n",
        Format::Yaml,
        "secret",
    ),
    syn(
        "toml",
        "[integration.siem]\ntoken = \"{v}\"\nindex = \"alerts\"\n",
        Format::Toml,
        "token",
    ),
    syn(
        "toml inline table",
        "sources = [{ name = \"otx\", api_key = \"{v}\" }]\n",
        Format::Toml,
        "token",
    ),
    syn(
        "toml string holding flag",
        "cmd = \"run --token={v}\"\n",
        Format::Toml,
        "token",
    ),
    syn(
        "ini",
        "[database]\npassword = {v}\n",
        Format::Ini,
        "password",
    ),
    syn("env file", "export API_TOKEN={v}\n", Format::Env, "token"),
    syn(
        "systemd Environment",
        "[Service]\nEnvironment=\"SOAR_TOKEN={v}\" \"LOG=info\"\n",
        Format::Env,
        "token",
    ),
    syn(
        "systemd Environment bare",
        "Environment=SIEM_TOKEN={v} LOG=info\n",
        Format::Env,
        "token",
    ),
    syn(
        "systemd ExecStart",
        "ExecStart=/usr/bin/kestrel run --token {v} --rules /etc/kestrel/rules\n",
        Format::Env,
        "token",
    ),
    syn(
        "caddyfile option",
        "\tgojinn ./f.wasm {\n\t\tapi_key {v}\n\t}\n",
        Format::Caddyfile,
        "token",
    ),
    syn(
        "caddyfile env",
        "\t\tenv GOJINN_API_KEY {v}\n",
        Format::Caddyfile,
        "token",
    ),
    syn(
        "caddyfile respond",
        "\trespond \"debug_secret={v}\"\n",
        Format::Caddyfile,
        "secret",
    ),
    syn(
        "caddyfile header_up",
        "\treverse_proxy :9000 {\n\t\theader_up X-Api-Key {v}\n\t}\n",
        Format::Caddyfile,
        "token",
    ),
    syn(
        "caddyfile header_down",
        "\t\theader_down +X-Token {v}\n",
        Format::Caddyfile,
        "token",
    ),
    syn(
        "caddyfile header",
        "\theader @api X-Api-Key \"{v}\"\n",
        Format::Caddyfile,
        "token",
    ),
    syn(
        "caddyfile request_header",
        "\trequest_header X-Token {v}\n",
        Format::Caddyfile,
        "token",
    ),
    syn(
        "caddyfile header block",
        "\theader {\n\t\tX-Api-Key {v}\n\t\tServer kestrel\n\t}\n",
        Format::Caddyfile,
        "token",
    ),
    syn(
        "caddyfile Authorization",
        "\theader_up Authorization \"Basic {v}\"\n",
        Format::Caddyfile,
        "token",
    ),
];

/// `s` with mask numbers dropped (`[REDACTED:token:7]` reads `[REDACTED:token]`).
fn unnumbered(s: &str) -> String {
    let re = regex::Regex::new(r"\[REDACTED:([a-z0-9-]+):[0-9]+\]").unwrap();
    re.replace_all(s, "[REDACTED:$1]").into_owned()
}

#[test]
fn key_context_wins_over_value_shape_in_every_syntax() {
    let (r, _d) = redactor();
    let mut failures = Vec::new();
    for s in SYNTAXES {
        for (shape, v) in SHAPES {
            let input = s.template.replace("{v}", v);
            let (out, _) = red(&r, &input, s.format);
            // Which rule, not which number: one redactor numbers all these values in turn.
            let out = unnumbered(&out);
            let wants: Vec<String> = s
                .rule
                .split('|')
                .map(|rule| {
                    let mask = format!("[REDACTED:{rule}]");
                    let mask = if s.quoted_mask {
                        format!("\"{mask}\"")
                    } else {
                        mask
                    };
                    s.template.replace("{v}", &mask)
                })
                .collect();
            if !wants.contains(&out) {
                let want = &wants[0];
                failures.push(format!(
                    "{} x {shape}:\n  in:   {input:?}\n  out:  {out:?}\n  want: {want:?}",
                    s.name
                ));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn references_placeholders_and_look_alike_keys_stay() {
    let (r, _d) = redactor();
    let cases: &[(&str, Format)] = &[
        // References to a secret kept elsewhere.
        ("password = env.DB_PASS\n", Format::Text),
        ("PASSWORD=$(cat /run/secrets/db)\n", Format::Text),
        ("password = \"#{password}\"\n", Format::Text),
        ("password = getMasterUserPassword()\n", Format::Text),
        ("const password = process.env.DB_PASSWORD;\n", Format::Text),
        ("  password: process.env.DB_PASSWORD,\n", Format::Text),
        ("this.addPassword = \"#add-password\";\n", Format::Text),
        // Placeholders and masked values.
        (
            "password=<YOURPASSWORD> api_key: <YOUR_API_KEY>\n",
            Format::Text,
        ),
        (
            "api_key=xxxxxxxxxxxxxxxx token: ******** secret=REDACTED\n",
            Format::Text,
        ),
        ("config reloaded api_key=[REDACTED:token]\n", Format::Text),
        (
            "api_key = \"${GOJINN_KEY}\"\ntoken = \"{env.AI_TOKEN}\"\n",
            Format::Toml,
        ),
        (
            "\tapi_key {$KEY}\n\theader_up X-Api-Key {http.request.header.X-Api-Key}\n",
            Format::Caddyfile,
        ),
        (
            "db:\n  password: ${DB_PASSWORD}\n  token_file: /run/secrets/t\n",
            Format::Yaml,
        ),
        // Empty and boolean values.
        ("password=\n", Format::Text),
        (
            "{\"password\":\"\",\"token\":true,\"secret\":\"false\"}\n",
            Format::Json,
        ),
        ("[auth]\napi_key = \"\"\ntoken = false\n", Format::Toml),
        // Keys that only look secret.
        (
            "token_type=bearer expires_in=3600 token_id=6f1c2e9a-4b7d-4e3a-9c5f-2d8e7b1a0c46\n",
            Format::Text,
        ),
        (
            "key_id=AKIDX1234567 secret_name=db-creds password_file=/run/secrets/db token_path=/var/lib/t\n",
            Format::Text,
        ),
        (
            "{\"token_type\":\"Bearer\",\"expires_in\":3600,\"key_id\":\"k-4b7d4e3a9c5f\"}\n",
            Format::Json,
        ),
        ("max_tokens = 1024\ntoken_ttl = \"1h\"\n", Format::Toml),
        // Prose and the project's own words.
        ("invalid token: expired, refreshing\n", Format::Text),
        ("password incorrect for user bob\n", Format::Text),
        (
            "Authorization header missing; send a Bearer token\n",
            Format::Text,
        ),
        (
            "kestrel_events_received_total 1042\nkestrel 0.1.0\nloaded /etc/kestrel/config.toml\n",
            Format::Text,
        ),
        (
            "ssh://deploy-bot-account@host01/x https://example.com:443/users/@bob\n",
            Format::Text,
        ),
    ];
    for (text, format) in cases {
        let (out, counts) = red(&r, text, *format);
        assert_eq!(&out, text, "{format:?}, counts {:?}", counts.by_rule());
    }
}

#[test]
fn redacted_configs_still_parse() {
    let (r, _d) = redactor();
    let toml_in = r#"[integration.siem]
url = "https://siem.internal:9200"
token = "4be1c07a9f3d58e2b6a0d7c4f19e8235"
password = 'Winter 2026!'

[integration.soar]
webhook_url = "https://soar.internal/hooks/T8d7f6a5s4"
auth_token = """c3a18f5e07d2b94a"""
command = "notify --token=Xq7vB2mK9pL4rT8w --channel ops"
sources = [{ name = "otx", api_key = "80416392751804" }, { name = "misp", api_key = "6f1c2e9a-4b7d-4e3a-9c5f-2d8e7b1a0c46" }]
db = "postgres://kestrel:dbPa55w0rd@db.internal:5432/events?sslmode=require"
session_key = 80416392751804
"#;
    let secrets = [
        "4be1c07a9f3d58e2b6a0d7c4f19e8235",
        "Winter 2026!",
        "T8d7f6a5s4",
        "c3a18f5e07d2b94a",
        "Xq7vB2mK9pL4rT8w",
        "80416392751804",
        "6f1c2e9a-4b7d-4e3a-9c5f-2d8e7b1a0c46",
        "dbPa55w0rd",
    ];
    let out = check(&r, toml_in, Format::Toml, &secrets);
    let v: toml::Table = toml::from_str(&out).expect("redacted TOML parses");
    let soar = &v["integration"]["soar"];
    assert_eq!(
        soar["webhook_url"].as_str(),
        Some("[REDACTED:webhook-url:1]")
    );
    assert_eq!(
        soar["command"].as_str(),
        Some("notify --token=[REDACTED:token:3] --channel ops")
    );
    assert_eq!(
        soar["db"].as_str(),
        Some(
            "postgres://kestrel:[REDACTED:url-password:1]@db.internal:5432/events?sslmode=require"
        )
    );
    assert_eq!(soar["sources"][1]["name"].as_str(), Some("misp"));
    // The same value as the first source's api_key: the same number.
    assert_eq!(
        soar["sources"][0]["api_key"].as_str(),
        Some("[REDACTED:token:4]")
    );
    assert_eq!(soar["session_key"].as_str(), Some("[REDACTED:token:4]"));

    let json_in = r#"{"level":"error","msg":"job failed","cmd":"backup --password=Xq7vB2mK9pL4rT8w --verbose","env":{"DB_PASSWORD":"80416392751804","API_KEY":"4be1c07a9f3d58e2b6a0d7c4f19e8235"},"uri":"/api/hello?api_key=c3a18f5e07d2b94a&x=1","keys":{"x-api-key":["6f1c2e9a-4b7d-4e3a-9c5f-2d8e7b1a0c46"]}}
"#;
    let out = check(&r, json_in, Format::Json, &secrets);
    let v: serde_json::Value = serde_json::from_str(&out).expect("redacted JSON parses");
    assert_eq!(
        v["cmd"],
        "backup --password=[REDACTED:password:2] --verbose"
    );
    assert_eq!(v["uri"], "/api/hello?api_key=[REDACTED:token:2]&x=1");
    assert_eq!(v["env"]["DB_PASSWORD"], "[REDACTED:password:3]");

    // A bare YAML or TOML value becomes a quoted string, not a flow sequence or an array.
    let yaml_in = "siem:\n  url: https://siem.internal:9200\n  token: 4be1c07a9f3d58e2b6a0d7c4f19e8235\n  password: \"Winter 2026!\"\n  args: [\"--token\", \"x\"]\n  command: run --api-key=Xq7vB2mK9pL4rT8w --fast\n  private_key: |\n    c3a18f5e07d2b94a\n    80416392751804\n  index: alerts\n";
    let out = check(&r, yaml_in, Format::Yaml, &secrets);
    let docs = yaml_rust2::YamlLoader::load_from_str(&out).expect("redacted YAML parses");
    let siem = &docs[0]["siem"];
    assert_eq!(siem["token"].as_str(), Some("[REDACTED:token:1]"));
    assert_eq!(
        siem["command"].as_str(),
        Some("run --api-key=[REDACTED:token:3] --fast")
    );
    assert_eq!(siem["index"].as_str(), Some("alerts"));
}

#[test]
fn quotes_delimiters_and_the_rest_of_the_line_survive() {
    let cases: &[(&str, Format, &str)] = &[
        (
            "webhook_url = \"https://soar.internal/hooks/T8d7f6a5s4\"\n",
            Format::Toml,
            "webhook_url = \"[REDACTED:webhook-url:1]\"\n",
        ),
        (
            "Environment=\"SOAR_TOKEN=Xq7vB2mK9pL4rT8w\" \"LOG_LEVEL=info\"\n",
            Format::Env,
            "Environment=\"SOAR_TOKEN=[REDACTED:token:1]\" \"LOG_LEVEL=info\"\n",
        ),
        (
            "Nov 25 10:00:00 buildhost kestrel[812]: SIEM_TOKEN=Xq7vB2mK9pL4rT8w forwarding to https://siem.internal:9200 as kestrel-svc\n",
            Format::Text,
            "Nov 25 10:00:00 buildhost kestrel[812]: SIEM_TOKEN=[REDACTED:token:1] forwarding to https://siem.internal:9200 as kestrel-svc\n",
        ),
        (
            "connecting to postgres://app:s3cr/t'pw@db.internal:5432/app?sslmode=require&password=Xq7vB2mK9p now\n",
            Format::Text,
            "connecting to postgres://app:[REDACTED:url-password:1]@db.internal:5432/app?sslmode=require&password=[REDACTED:password:1] now\n",
        ),
        (
            "cache redis://:Xq7vB2mK9pL4rT8w@cache.internal:6379/0 ready\n",
            Format::Text,
            "cache redis://:[REDACTED:url-password:1]@cache.internal:6379/0 ready\n",
        ),
        (
            "git fetch https://a1B2c3D4e5F6g7H8i9J0@git.internal/org/repo.git\n",
            Format::Text,
            "git fetch https://[REDACTED:url-token:1]@git.internal/org/repo.git\n",
        ),
        (
            "\t\tdb_dsn postgres://gojinn:dbPa55word@db:5432/gojinn?sslmode=disable\n",
            Format::Caddyfile,
            "\t\tdb_dsn postgres://gojinn:[REDACTED:url-password:1]@db:5432/gojinn?sslmode=disable\n",
        ),
        (
            "dsn = \"host=db.internal port=5432 dbname=events user=kestrel password=Xq7vB2mK9p sslmode=require\"\n",
            Format::Toml,
            "dsn = \"host=db.internal port=5432 dbname=events user=kestrel password=[REDACTED:password:1] sslmode=require\"\n",
        ),
        (
            "token_type=bearer expires_in=3600 access_token=Xq7vB2mK9pL4rT8w scope=read\n",
            Format::Text,
            "token_type=bearer expires_in=3600 access_token=[REDACTED:token:1] scope=read\n",
        ),
    ];
    for (input, format, want) in cases {
        // A redactor per case: each case's secret is the first it numbers.
        let (r, _d) = redactor();
        assert_eq!(&red(&r, input, *format).0, want, "{format:?}");
    }
}

#[test]
fn account_names_under_account_keys_are_pseudonyms_and_prose_is_left_alone() {
    let (r, _d) = redactor();
    let (out, _) = red(
        &r,
        "db:\n  username: svc-ledger\n  login_shell: /bin/sh\n",
        Format::Yaml,
    );
    let line = out.lines().nth(1).expect("line");
    assert!(
        line.starts_with("  username: user-") && line.len() == "  username: user-".len() + 6,
        "{out}"
    );
    assert!(out.contains("login_shell: /bin/sh"), "{out}");
    let text = "sshd: login: failed for request 7\nauth ok login=svc-ledger\n";
    let (out, _) = red(&r, text, Format::Text);
    assert!(
        out.starts_with("sshd: login: failed for request 7\n"),
        "{out}"
    );
    assert!(!out.contains("svc-ledger"), "{out}");
    // The same account gets the same pseudonym in YAML and in a log line.
    assert!(out.contains(&line["  username: ".len()..]), "{out}");
}

/// Key body lines of a fixed fake key, 64 base64 characters each.
const WRAPPED_BODY: [&str; 3] = [
    "MIIEowIBAAKCAQEAu1SU1LfVLPHCozMxH2Mo4lgOEePzNm0tRgeLezV6ffAt0gun",
    "VTLw7onLRnrq0/IzW7yWR7QkrmBL7jTKEn5u+qKhbwKfBstIs+bMY2Zkp18gnTxK",
    "LxoS2tFczGkPLPgizskuemMghRniWaoLcyehkd3qqGElvW/VDL5AaWTg0nLVkjRo",
];

#[test]
fn pem_keys_in_quoted_and_concatenated_layouts() {
    let (r, _d) = redactor();
    let b = WRAPPED_BODY;
    let begin = "-----BEGIN RSA PRIVATE KEY-----";
    let end = "-----END RSA PRIVATE KEY-----";
    let layouts = [
        // Go, Java, JavaScript: `+` concatenation.
        (
            format!(
                "const key = \"{begin}\\n\" +\n\t\"{}\\n\" +\n\t\"{}\\n\" +\n\t\"{}\\n\" +\n\t\"{end}\\n\"\n",
                b[0], b[1], b[2]
            ),
            Format::Text,
        ),
        // C and Python: adjacent literals.
        (
            format!(
                "KEY = (\n    \"{begin}\\n\"\n    \"{}\\n\"\n    \"{}\\n\"\n    \"{}\\n\"\n    \"{end}\\n\"\n)\n",
                b[0], b[1], b[2]
            ),
            Format::Text,
        ),
        // Rust `concat!` with trailing commas.
        (
            format!(
                "const KEY: &str = concat!(\n    \"{begin}\\n\",\n    \"{}\\n\",\n    \"{}\\n\",\n    \"{}\\n\",\n    \"{end}\\n\",\n);\n",
                b[0], b[1], b[2]
            ),
            Format::Text,
        ),
        // A JSON or TOML list of lines.
        (
            format!(
                "{{\"key\": [\n  \"{begin}\",\n  \"{}\",\n  \"{}\",\n  \"{}\",\n  \"{end}\"\n]}}\n",
                b[0], b[1], b[2]
            ),
            Format::Json,
        ),
        (
            format!(
                "lines = [\n  '{begin}',\n  '{}',\n  '{}',\n  '{}',\n  '{end}',\n]\n",
                b[0], b[1], b[2]
            ),
            Format::Toml,
        ),
        // Shell continuation lines.
        (
            format!(
                "echo {begin} \\\n{} \\\n{} \\\n{} \\\n{end} > key.pem\n",
                b[0], b[1], b[2]
            ),
            Format::Text,
        ),
        // A YAML block scalar under a key that names no secret.
        (
            format!(
                "tls:\n  pem: |\n    {begin}\n    {}\n    {}\n    {}\n    {end}\n",
                b[0], b[1], b[2]
            ),
            Format::Yaml,
        ),
        // Escaped line ends inside one literal, body on separate lines.
        (
            format!(
                "s = \"{begin}\\r\\n\\\n{}\\r\\n\\\n{}\\r\\n\\\n{}\\r\\n\\\n{end}\"\n",
                b[0], b[1], b[2]
            ),
            Format::Text,
        ),
    ];
    for (text, format) in &layouts {
        for fmt in [*format, Format::Text] {
            let (out, counts) = red(&r, text, fmt);
            let survived = survivors(&out, &b);
            assert!(survived.is_empty(), "{fmt:?}:\n{text}\n->\n{out}");
            assert!(
                counts.by_rule().contains_key("private-key"),
                "{:?}",
                counts.by_rule()
            );
            assert!(out.contains(end), "{out}");
        }
    }
}

/// A secret longer than the window overlap, at every alignment against the window edges of a
/// line over the line cap.
#[test]
fn long_secrets_across_window_edges() {
    let (r, _d) = redactor();
    let mut rng = Rng::new(9);
    let alphabet = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-";
    // A 9.5 KB JWT.
    let jwt = format!(
        "eyJhbGciOiJIUzI1NiJ9.eyJ{}.{}",
        rng.string(alphabet, 9400),
        rng.string(alphabet, 43)
    );
    // A 6.6 KB key as one JSON string: `\n` escapes between body lines.
    let body: Vec<String> = (0..100).map(|_| rng.string(&alphabet[..62], 64)).collect();
    let key = format!(
        "-----BEGIN PRIVATE KEY-----\\n{}\\n-----END PRIVATE KEY-----\\n",
        body.join("\\n")
    );
    let window = 64 << 10;
    let overlap = 4 << 10;
    for (secret, pieces) in [
        (
            &jwt,
            vec![jwt[3000..3016].to_string(), jwt[9000..9016].to_string()],
        ),
        (
            &key,
            vec![body[0].clone(), body[50].clone(), body[99].clone()],
        ),
    ] {
        for offset in [
            window - overlap - 5000,
            window - overlap - 100,
            window - overlap,
            window - 2000,
            window - 10,
            window + 3000,
            2 * window - 7000,
        ] {
            let mut line = String::from("{\"level\":\"info\",\"msg\":\"");
            line.push_str(&"a b ".repeat((offset - line.len()) / 4 + 1)[..offset - line.len()]);
            line.push_str(&format!("\",\"blob\":\"{secret}\",\"rest\":\""));
            line.push_str(&"c d ".repeat(40_000));
            line.push_str("\"}\n");
            let (out, _) = red(&r, &line, Format::Text);
            let survived = survivors(&out, &pieces);
            assert!(
                survived.is_empty(),
                "offset {offset}: {survived:?} survived"
            );
        }
    }
}

/// A rule file with tens of thousands of keywords loads in about linear time.
#[test]
fn many_keywords_load_quickly() {
    let d = tempfile::tempdir().unwrap();
    let mut rng = Rng::new(60);
    let mut text =
        String::from("[[rules]]\nid = \"many\"\nregex = '''mk_[a-z]{12}'''\nkeywords = [\n");
    let mut keys =
        String::from("[[keys]]\nid = \"many-keys\"\npattern = '''^zz_'''\nkeywords = [\n");
    for _ in 0..60_000 {
        let w = rng.string(b"abcdefghijklmnopqrstuvwxyz0123456789", 10);
        text.push_str(&format!("  \"{w}\",\n"));
        keys.push_str(&format!("  \"k{w}\",\n"));
    }
    text.push_str("]\n");
    keys.push_str("]\n");
    text.push_str(&keys);
    let path = d.path().join("many.toml");
    std::fs::write(&path, text).unwrap();
    let o = opts(d.path()).with_rule_files(vec![path]);
    let started = std::time::Instant::now();
    let r = Redactor::new(&o).expect("loads");
    let took = started.elapsed();
    // About 7 s in a debug build on a shared machine; the quadratic build took minutes.
    assert!(took < std::time::Duration::from_secs(30), "took {took:?}");
    let (out, _) = red(&r, "id mk_abcdefghijkl\n", Format::Text);
    // The rule runs only where a keyword occurs; with none here the line is kept.
    assert_eq!(out, "id mk_abcdefghijkl\n");
}
