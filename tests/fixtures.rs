//! Fixture trees and fake commands for the built-in specs, written by hand from the facts in
//! the project notes (version formats, config layout, log shapes). Every secret planted here
//! is fake and listed in a `*_SECRETS` constant, so leak checks can look for each one.
//!
//! Fake commands are `#!/bin/sh` scripts that use only shell built-ins and absolute paths,
//! because the runs they serve have nothing but the fake-bin dir on `PATH`.

use crate::harness::Test;

/// The sysroot every fixture tree lives under, relative to the tempdir.
pub(crate) const ROOT: &str = "root";

// ---------------------------------------------------------------------------------------------
// Rust (the default spec)

/// The package the default-spec fixture's Cargo.toml declares.
pub(crate) const PACKAGE_NAME: &str = "widget-tool";
/// Its version.
pub(crate) const PACKAGE_VERSION: &str = "3.4.5";
/// The rustc release the fake rustc reports.
pub(crate) const RUSTC_RELEASE: &str = "1.95.0";
/// The host triple the fake rustc reports.
pub(crate) const RUSTC_HOST: &str = "x86_64-unknown-linux-gnu";
/// The cargo release the fake cargo reports.
pub(crate) const CARGO_RELEASE: &str = "1.95.0";

/// A Cargo project in `<tmp>/work` plus fake `rustc` and `cargo`.
pub(crate) fn rust_project(t: Test) -> Test {
    t.file(
        "work/Cargo.toml",
        &format!(
            "[package]\nname = \"{PACKAGE_NAME}\"\nversion = \"{PACKAGE_VERSION}\"\nedition = \"2024\"\n\n\
             [dependencies]\nserde = {{ version = \"1\", features = [\"derive\"] }}\n\n\
             [dev-dependencies]\nname-lookalike = \"9.9.9\"\n"
        ),
    )
    .file("work/src/main.rs", "fn main() {}\n")
    .fake_command("rustc", &rustc_script())
    .fake_command("cargo", &cargo_script())
}

fn rustc_script() -> String {
    format!(
        r#"case "$1" in
  -vV)
    printf 'rustc {RUSTC_RELEASE} (59807616e 2026-04-14)\n'
    printf 'binary: rustc\n'
    printf 'commit-hash: 59807616e1e6f5cd4fb2d1c8e3a0b7b2a6d44c90\n'
    printf 'commit-date: 2026-04-14\n'
    printf 'host: {RUSTC_HOST}\n'
    printf 'release: {RUSTC_RELEASE}\n'
    printf 'LLVM version: 20.1.8\n' ;;
  --version|-V) printf 'rustc {RUSTC_RELEASE} (59807616e 2026-04-14)\n' ;;
  *) printf 'error: unexpected arguments\n' >&2; exit 1 ;;
esac
"#
    )
}

fn cargo_script() -> String {
    format!(
        r#"case "$1" in
  -vV)
    printf 'cargo {CARGO_RELEASE} (f2932b4ab 2026-04-01)\n'
    printf 'release: {CARGO_RELEASE}\n'
    printf 'host: {RUSTC_HOST}\n' ;;
  --version|-V) printf 'cargo {CARGO_RELEASE} (f2932b4ab 2026-04-01)\n' ;;
  *) printf 'error: no such command\n' >&2; exit 101 ;;
esac
"#
    )
}

// ---------------------------------------------------------------------------------------------
// Kestrel

/// The version the fake `kestrel --version` prints.
pub(crate) const KESTREL_VERSION: &str = "0.1.0";

/// Rule files in the fixture rules dir: (file name, rule name, severity, body line).
/// The body line stands for detection logic that must never be copied into a bundle.
pub(crate) const KESTREL_RULES: &[(&str, &str, &str, &str)] = &[
    (
        "suspicious_exec.yaml",
        "Example Suspicious Process Execution",
        "Medium",
        "condition: process.executable == \"/tmp/.x-dropper-7f3a\"",
    ),
    (
        "net_beacon.yml",
        "Periodic Outbound Beacon",
        "High",
        "condition: network.dst_port == 4444 and interval_s < 61 # beacon-logic-91b2",
    ),
];

/// Files in the rules dir that `kestrel validate` cannot load.
pub(crate) const KESTREL_BAD_RULES: &[&str] = &["README.txt"];

/// Secrets planted in the Kestrel fixture: config files, journal, unit file.
pub(crate) const KESTREL_SECRETS: &[&str] = &[
    // /etc/kestrel/config.toml
    "siemtok-8f3e2a91c4b7d605e1f2",
    "Wint3r-siem-pass-4471",
    "svc-kestrel-siem",
    "T0KEN-4c1d9e7a2b55f0",
    "soar-auth-77d2c0ffee91ab34",
    "ti-key-5be1d0a3f9c84e27",
    // ~/.kestrel/config.toml
    "user-siem-token-0a9b8c7d6e5f",
    // journal
    "glpat-Xy7pQ2rLm9KdW4vTn8Bz",
    "Sup3rS3cret-j0urnal-pw",
    "AKIAZ7VQ3KX2M4PLR9TB",
    // systemctl cat kestrel
    "unit-siem-token-3e8d1f0b6a27",
];

/// The kestrel config, with every secret from [`KESTREL_SECRETS`] that belongs there.
pub(crate) fn kestrel_config() -> String {
    r#"# Kestrel configuration (test fixture)
[general]
log_level = "info"
mode = "detect"
workers = 4
max_memory_mb = 512
data_dir = "/var/lib/kestrel"

[ebpf]
enabled = true
ringbuf_size = 262144

[alerts]
output = "file"
file_path = "/var/log/kestrel/alerts.json"

[alerts.syslog]
host = "10.20.30.40"
port = 514
protocol = "udp"
facility = "local0"

[performance]
metrics_enabled = true
metrics_host = "127.0.0.1"
metrics_port = 9090

[integration.siem]
type = "elasticsearch"
url = "https://siem.corp.example:9200"
token = "siemtok-8f3e2a91c4b7d605e1f2"
username = "svc-kestrel-siem"
password = "Wint3r-siem-pass-4471"
index = "kestrel-alerts"

[integration.soar]
webhook_url = "https://soar.corp.example/hooks/T0KEN-4c1d9e7a2b55f0"
auth_token = "soar-auth-77d2c0ffee91ab34"
playbooks = ["isolate-host"]

[integration.threat_intel]
sources = [
  { name = "feed-one", url = "https://ti.example.net/feed", api_key = "ti-key-5be1d0a3f9c84e27" },
]
"#
    .to_string()
}

/// The Kestrel sysroot under `<tmp>/root`, a replay log in `<tmp>/work`, the user config in
/// `~/.kestrel` (re-rooted under the sysroot, as the spec resolves `~/` there), and fake
/// `kestrel`, `journalctl`, `systemctl`, `uname`, `rustc`, `cargo`. Each fake command
/// appends its name to `<tmp>/ran.log`, so a test can tell whether anything ran.
pub(crate) fn kestrel(t: Test) -> Test {
    let home_in_root = format!(
        "{ROOT}/{}/home/.kestrel/config.toml",
        t.path().to_string_lossy().trim_start_matches('/')
    );
    let mut t = t
        .file(&format!("{ROOT}/etc/kestrel/config.toml"), &kestrel_config())
        .file(
            &home_in_root,
            "[integration.siem]\ntoken = \"user-siem-token-0a9b8c7d6e5f\"\n",
        )
        .file(
            &format!("{ROOT}/var/log/kestrel/alerts.json"),
            concat!(
                "{\n  \"id\": \"a-0001\",\n  \"rule_id\": \"rule-001\",\n",
                "  \"rule_name\": \"Example Suspicious Process Execution\",\n",
                "  \"severity\": \"Medium\",\n  \"timestamp_ns\": 1795393100000000000,\n",
                "  \"events\": [{ \"pid\": 4242, \"comm\": \"sh\" }]\n}\n",
            ),
        )
        .binary_file(&format!("{ROOT}/sys/kernel/btf/vmlinux"), b"\x9f\xeb\x01\x00btf")
        .file(
            "work/kestrel_events.log",
            concat!(
                "{\"magic\":[75,69,83,84],\"version\":1,\"schema_version\":1,\"engine_build_id\":\"0.1.0\"}\n",
                "{\"event_id\":1,\"event_type_id\":3,\"ts_mono_ns\":10,\"ts_wall_ns\":1795393100000000000,",
                "\"entity_key\":4242,\"fields\":{\"cmdline\":\"sh -c id\"}}\n",
            ),
        );
    for (file, name, severity, body) in KESTREL_RULES {
        t = t.file(
            &format!("{ROOT}/opt/kestrel/rules/{file}"),
            &format!("id: {file}\nname: {name}\nseverity: {severity}\n{body}\n"),
        );
    }
    for file in KESTREL_BAD_RULES {
        t = t.file(
            &format!("{ROOT}/opt/kestrel/rules/{file}"),
            "These rules are maintained by the detection team.\n",
        );
    }
    let log = t.path().join("ran.log");
    let log = log.to_string_lossy();
    let mark = |name: &str| format!("printf '%s\\n' '{name} '\"$*\" >> '{log}'\n");
    t.fake_command("kestrel", &(mark("kestrel") + KESTREL_SCRIPT))
        .fake_command("journalctl", &(mark("journalctl") + KESTREL_JOURNAL_SCRIPT))
        .fake_command("systemctl", &(mark("systemctl") + SYSTEMCTL_SCRIPT))
        .fake_command("uname", &(mark("uname") + UNAME_SCRIPT))
        .fake_command("rustc", &(mark("rustc") + &rustc_script()))
        .fake_command("cargo", &(mark("cargo") + &cargo_script()))
}

const KESTREL_SCRIPT: &str = r#"rules_dir() {
  dir=./rules
  while [ $# -gt 0 ]; do
    case "$1" in
      -r|--rules) dir=$2; shift ;;
    esac
    shift
  done
  printf '%s' "$dir"
}
case "$1" in
  --version|-V) printf 'kestrel 0.1.0\n' ;;
  validate)
    shift
    dir=$(rules_dir "$@")
    if [ ! -d "$dir" ]; then
      printf '\033[33m WARN\033[0m kestrel_rules: Rules directory not found path=%s\n' "$dir"
      exit 0
    fi
    loaded=0
    failed=0
    for f in "$dir"/*; do
      [ -f "$f" ] || continue
      case "$f" in
        *.json|*.yaml|*.yml|*.eql) loaded=$((loaded + 1)) ;;
        *)
          failed=$((failed + 1))
          printf '\033[31mERROR\033[0m kestrel_rules: Failed to load rule path=%s error=Invalid rule format\n' "$f" ;;
      esac
    done
    printf '\033[32m INFO\033[0m kestrel_rules: Rules loaded loaded=%d failed=%d\n' "$loaded" "$failed"
    if [ "$failed" -gt 0 ]; then
      printf 'Error: Failed to load %d rules\n' "$failed" >&2
      exit 1
    fi ;;
  list)
    shift
    dir=$(rules_dir "$@")
    n=0
    for f in "$dir"/*.yaml "$dir"/*.yml; do
      [ -f "$f" ] || continue
      n=$((n + 1))
      name=
      severity=
      while IFS= read -r line; do
        case "$line" in
          "name: "*) name=${line#name: } ;;
          "severity: "*) severity=${line#severity: } ;;
        esac
      done < "$f"
      printf -- '- rule-%03d (%s) - %s\n' "$n" "$name" "$severity"
    done ;;
  *)
    printf "error: unexpected argument '%s' found\n" "$1" >&2
    exit 2 ;;
esac
"#;

const KESTREL_JOURNAL_SCRIPT: &str = r#"case "$*" in
  *"-p err"*)
    printf '2026-11-23T00:39:44.100000Z \033[31mERROR\033[0m \033[2mkestrel_integration\033[0m: SIEM auth failed password=Sup3rS3cret-j0urnal-pw\n'
    printf "error: unexpected argument '--config' found\n"
    exit 0 ;;
esac
printf -- '-- Logs begin at Sun 2026-11-22 23:00:00 UTC. --\n'
printf '2026-11-23T00:39:43.533996Z \033[32m INFO\033[0m \033[2mkestrel\033[0m: Starting Kestrel detection engine\n'
printf '2026-11-23T00:39:43.601212Z \033[32m INFO\033[0m \033[2mkestrel_engine\033[0m: Rules loaded loaded=2 failed=1\n'
printf '2026-11-23T00:39:43.601900Z \033[33m WARN\033[0m \033[2mkestrel_engine\033[0m: NFA engine disabled (no predicate evaluator)\n'
printf '2026-11-23T00:39:43.702001Z \033[34mDEBUG\033[0m \033[2mkestrel_integration\033[0m: siem push url=https://siem.corp.example:9200 token=glpat-Xy7pQ2rLm9KdW4vTn8Bz\n'
printf '2026-11-23T00:39:44.100000Z \033[31mERROR\033[0m \033[2mkestrel_integration\033[0m: SIEM auth failed password=Sup3rS3cret-j0urnal-pw\n'
printf '2026-11-23T00:39:44.200000Z \033[34mDEBUG\033[0m \033[2mkestrel_cloud\033[0m: uploading with access key AKIAZ7VQ3KX2M4PLR9TB\n'
printf "error: unexpected argument '--config' found\n"
printf '\n'
printf "Usage: kestrel <COMMAND>\n"
"#;

const SYSTEMCTL_SCRIPT: &str = r#"case "$1" in
  is-active) printf 'activating\n'; exit 3 ;;
  cat)
    /bin/cat <<'UNIT'
# /etc/systemd/system/kestrel.service
[Unit]
Description=Kestrel detection engine
After=network-online.target

[Service]
Type=simple
ExecStart=/usr/bin/kestrel run --config /etc/kestrel/config.toml
Environment=SIEM_TOKEN=unit-siem-token-3e8d1f0b6a27
Environment=RUST_LOG=info
Restart=always
RestartSec=5

[Install]
WantedBy=multi-user.target
UNIT
    ;;
  *) printf 'Unknown command verb %s.\n' "$1" >&2; exit 1 ;;
esac
"#;

const UNAME_SCRIPT: &str = r#"case "$1" in
  -r) printf '6.1.0-18-amd64\n' ;;
  *) printf 'Linux host 6.1.0-18-amd64 #1 SMP PREEMPT_DYNAMIC Debian 6.1.76-1 (2024-02-01) x86_64 GNU/Linux\n' ;;
esac
"#;

// ---------------------------------------------------------------------------------------------
// Gojinn

/// What the fake `caddy version` reports (first word).
pub(crate) const CADDY_VERSION: &str = "v2.10.2";
/// The Gojinn dependency version in the fake build info.
pub(crate) const GOJINN_VERSION: &str = "v1.0.0-rc7";
/// The Go toolchain in the fake build info.
pub(crate) const GO_VERSION: &str = "go1.25.3";
/// The tenant's API key, also its tenant id (crash-dump file names carry it).
pub(crate) const TENANT_KEY: &str = "tnt-8e1f4c2a9b7d";
/// The hex of the (fake) signing key next to the module: 64 bytes.
pub(crate) const PRIV_KEY_HEX: &str = "9d3f1a7c5e2b8046f1d9c3a5b7e0246813579bdf02468ace13579bdf2468ace0\
                                 0f1e2d3c4b5a69788796a5b4c3d2e1f00123456789abcdef0fedcba987654321";
/// The module's bytes: the WASM magic and version, then a small body.
pub(crate) const WASM: &[u8] = &[
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x04, 0x01, 0x60, 0x00, 0x00, 0x03, 0x02,
    0x01, 0x00, 0x07, 0x09, 0x01, 0x05, 0x5f, 0x73, 0x74, 0x61, 0x72, 0x74, 0x00, 0x00, 0x0a, 0x04,
    0x01, 0x02, 0x00, 0x0b, 0xff, 0xfe, 0x00, 0x80,
];
/// A second module, named through `wasm_file`.
pub(crate) const WASM_WORKER: &[u8] = &[
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x00, 0x08, 0x04, 0x6e, 0x61, 0x6d, 0x65, 0x02,
    0x01, 0x00, 0xc3, 0x28,
];

/// Secrets planted in the Gojinn fixture: Caddyfile, crash dump, journal, admin config.
pub(crate) const GOJINN_SECRETS: &[&str] = &[
    // Caddyfile
    "s3cr3t-value-9QxT",
    "pg-pass-7Hq2Lw",
    TENANT_KEY,
    "SUAM3KQ7ZP2XWJ5R6TYB4NVC7DLE2HFGJ3KM5PQ7RS2TUV4WX6YZABCDEF",
    "mqtt-pw-2c9e41d7",
    // crash dump
    "gjb-4f7a1c9e2d8b6035aa71",
    // journal
    "xak-91c3e7b2d5f04a68",
    "wJalrXUtnFEMI/K7MDENG/bPxRfiCYz9Qk2LmN4p",
    // admin config
    "adm-cfg-secret-6b1d3f5a",
];

/// The Caddyfile, naming `./functions/hello.wasm` and (through `wasm_file`)
/// `./functions/worker.wasm`.
pub(crate) fn caddyfile() -> String {
    format!(
        r#"{{
	order gojinn last
	admin localhost:2019
}}

:8080 {{
	# Tenant functions
	gojinn ./functions/hello.wasm {{
		env DB_PASSWORD s3cr3t-value-9QxT
		env GREETING "hello there"
		db_dsn postgres://app:pg-pass-7Hq2Lw@db:5432/appdb
		api_key {TENANT_KEY}
		nats_user_seed SUAM3KQ7ZP2XWJ5R6TYB4NVC7DLE2HFGJ3KM5PQ7RS2TUV4WX6YZABCDEF
		mqtt_password mqtt-pw-2c9e41d7
		trusted_key 3b6a27bcceb6a42d62a3a8d02a6f0d73653215771de243a63ac048a18b59da29
	}}

	route /worker {{
		gojinn {{
			wasm_file ./functions/worker.wasm
		}}
	}}
}}
"#
    )
}

/// The crash dump's file name.
pub(crate) fn crash_file_name() -> String {
    format!("crash_tenant_{TENANT_KEY}_20261123-001500_seq1.json")
}

/// The Gojinn working directory in `<tmp>/work`: Caddyfile, modules, signing key, crash
/// dump, a data dir; fake `caddy` and `journalctl`.
pub(crate) fn gojinn(t: Test) -> Test {
    t.file("work/Caddyfile", &caddyfile())
        .binary_file("work/functions/hello.wasm", WASM)
        .binary_file("work/functions/worker.wasm", WASM_WORKER)
        .file("work/functions/hello.priv", PRIV_KEY_HEX)
        .file(
            "work/functions/hello.pub",
            "3b6a27bcceb6a42d62a3a8d02a6f0d73653215771de243a63ac048a18b59da29",
        )
        .file(
            "work/data/nats_store/jetstream/payload.json",
            "{\"body\":\"customer payload\"}\n",
        )
        .file(
            &format!("work/crashes/{}", crash_file_name()),
            &crash_dump(),
        )
        .fake_command("caddy", &caddy_script())
        .fake_command("journalctl", GOJINN_JOURNAL_SCRIPT)
}

fn crash_dump() -> String {
    format!(
        r#"{{
  "timestamp": "2026-11-23T00:15:00Z",
  "error": "guest trapped: unreachable\nstderr: connecting to postgres",
  "input": {{
    "method": "POST",
    "uri": "/api/hello?debug=1",
    "headers": {{
      "Authorization": ["Bearer gjb-4f7a1c9e2d8b6035aa71"],
      "X-Api-Key": ["{TENANT_KEY}"],
      "Content-Type": ["application/json"]
    }},
    "body": "{{\"name\":\"world\"}}"
  }},
  "env": {{ "DB_PASSWORD": "s3cr3t-value-9QxT", "GREETING": "hello there" }},
  "wasm_file": "./functions/hello.wasm"
}}
"#
    )
}

fn caddy_script() -> String {
    format!(
        r#"case "$1" in
  version) printf '{CADDY_VERSION} h1:qEwD9Pk3uX8+Wt1yQnM0vR6bZcF2gT4sH5jK7lN9oPA=\n' ;;
  build-info)
    printf 'go\t{GO_VERSION}\n'
    printf 'path\tcaddy\n'
    printf 'mod\tcaddy\t(devel)\t\n'
    printf 'dep\tgithub.com/caddyserver/caddy/v2\t{CADDY_VERSION}\th1:Gq0f3tPz1Ww8yB7vN2cK4mL6dR5sT9uX0aE3hJ1iO2U=\n'
    printf 'dep\tgithub.com/gojinn-io/gojinn\t{GOJINN_VERSION}\th1:Zk3mQ8vR2tY7uW1xA4bC6dE9fG0hI5jK3lM7nO1pQ2s=\n'
    printf 'dep\tgithub.com/nats-io/nats-server/v2\tv2.12.1\th1:Ab1Cd2Ef3Gh4Ij5Kl6Mn7Op8Qr9St0Uv1Wx2Yz3Ab4C=\n'
    printf 'build\t-compiler=gc\n'
    printf 'build\tCGO_ENABLED=0\n'
    printf 'build\tGOOS=linux\n' ;;
  list-modules)
    printf 'admin.api.load\n'
    printf 'caddy.adapters.caddyfile\n'
    printf 'http.handlers.file_server\n'
    printf 'http.handlers.reverse_proxy\n'
    printf '\n  Standard modules: 4\n\n'
    printf 'http.handlers.gojinn {GOJINN_VERSION}\n'
    printf '\n  Non-standard modules: 1\n\n  Unknown modules: 0\n' ;;
  *) printf 'unknown command %s\n' "$1" >&2; exit 1 ;;
esac
"#
    )
}

const GOJINN_JOURNAL_SCRIPT: &str = r#"case "$*" in
  *"-u gojinn"*) printf -- '-- No entries --\n'; exit 0 ;;
esac
printf '{"level":"info","ts":1795393164.35,"logger":"admin","msg":"admin endpoint started","address":"localhost:2019","enforce_origin":false}\n'
printf 'HOME=/var/lib/caddy\n'
printf 'AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG/bPxRfiCYz9Qk2LmN4p\n'
printf '{"level":"info","ts":1795393165.01,"logger":"gojinn","msg":"Embedded NATS JetStream Started"}\n'
printf '{"level":"error","ts":1795393200.42,"logger":"http.log.error","msg":"Sync execution failed","request":{"remote_ip":"203.0.113.7","proto":"HTTP/1.1","method":"POST","host":"api.example.org","uri":"/api/hello","headers":{"X-Api-Key":["xak-91c3e7b2d5f04a68"],"Authorization":["REDACTED"],"Cookie":["REDACTED"]}},"status":500}\n'
printf '{"level":"info","ts":1795393200.50,"logger":"gojinn","msg":"Crash Dump Saved (Time Travel Ready)"}\n'
"#;

/// The running config the fake admin API serves (JSON, a secret inside).
pub(crate) fn admin_config() -> String {
    concat!(
        "{\"admin\":{\"listen\":\"localhost:2019\"},\"apps\":{\"http\":{\"servers\":{\"srv0\":{",
        "\"listen\":[\":8080\"],\"routes\":[{\"handle\":[{\"handler\":\"gojinn\",",
        "\"path\":\"./functions/hello.wasm\",\"env\":{\"DB_PASSWORD\":\"adm-cfg-secret-6b1d3f5a\"}}]}]}}}}}\n"
    )
    .to_string()
}
