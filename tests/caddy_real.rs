//! The gojinn spec against a real, running Debian Caddy (`/usr/bin/caddy`): real version
//! output, real module list, and the admin API's running config.
//!
//! Without `/usr/bin/caddy` the test prints why and passes, except under CI (`CI` set), where
//! a missing Caddy is a failure: CI installs it.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::harness::{Test, free_port};

const CADDY: &str = "/usr/bin/caddy";

/// Secrets a stock Caddy accepts in a Caddyfile; the admin API serves them back verbatim.
const SECRETS: &[&str] = &[
    "sk_live_51HqLr8Kc2VbN7xYz4Tq9Wm3P",
    "ghp_R4nd0mT0k3nV4lu3F0rT3st1ngXyZ1234567",
];

/// Kills and reaps Caddy however the test ends.
struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn caddy_present() -> bool {
    if Path::new(CADDY).is_file() {
        return true;
    }
    assert!(
        std::env::var_os("CI").is_none(),
        "{CADDY} is missing, and CI is expected to install it"
    );
    eprintln!("skipping: {CADDY} is not installed");
    false
}

/// GET `path` from 127.0.0.1:`port`; the body if the status is 200.
fn get(port: u16, path: &str) -> Option<String> {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).ok()?;
    stream.set_read_timeout(Some(Duration::from_secs(2))).ok()?;
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\r\n"
    )
    .ok()?;
    let mut response = String::new();
    stream.read_to_string(&mut response).ok()?;
    let (head, body) = response.split_once("\r\n\r\n")?;
    head.starts_with("HTTP/1.1 200").then(|| body.to_string())
}

fn caddyfile(admin: u16, site: u16) -> String {
    format!(
        r#"{{
	admin 127.0.0.1:{admin}
}}

http://127.0.0.1:{site} {{
	header X-Api-Key "{}"
	reverse_proxy /upstream/* 127.0.0.1:9 {{
		header_up Authorization "Bearer {}"
	}}
	respond /hello "hello"
}}
"#,
        SECRETS[0], SECRETS[1]
    )
}

/// Start Caddy on the fixture Caddyfile and wait until its admin API serves the config.
fn start(t: &Test, admin: u16) -> Running {
    let log_path = t.join("caddy.log");
    let log = std::fs::File::create(&log_path).expect("caddy log");
    let log_text = || std::fs::read_to_string(&log_path).unwrap_or_default();
    let child = Command::new(CADDY)
        .args(["run", "--adapter", "caddyfile", "--config"])
        .arg(t.join("Caddyfile"))
        .env_clear()
        .env("PATH", "/usr/bin:/bin")
        .env("HOME", t.join("home"))
        .env("XDG_CONFIG_HOME", t.join("xdg/config"))
        .env("XDG_DATA_HOME", t.join("xdg/data"))
        .current_dir(t.join("work"))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(log)
        .spawn()
        .expect("start caddy");
    let mut running = Running(child);
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        if let Some(body) = get(admin, "/config/")
            && body.contains("X-Api-Key")
        {
            return running;
        }
        if let Ok(Some(status)) = running.0.try_wait() {
            panic!("caddy exited early: {status}\n{}", log_text());
        }
        assert!(
            Instant::now() < deadline,
            "caddy's admin API never answered\n{}",
            log_text()
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn run_against_caddy() -> Option<crate::harness::Output> {
    if !caddy_present() {
        return None;
    }
    let (admin, site) = (free_port(), free_port());
    let t = Test::new()
        .file("Caddyfile", &caddyfile(admin, site))
        // Hermetic: no journal of this machine's services.
        .fake_command("journalctl", "printf -- '-- No entries --\\n'\n")
        .system_path();
    let _caddy = start(&t, admin);
    let out = t
        .args(["collect", "--spec", "gojinn", "--out", "[TMP]/out"])
        .args(["--var", &format!("admin=http://127.0.0.1:{admin}")])
        .args(["--var", "caddyfile=[TMP]/Caddyfile"])
        .run();
    Some(out)
}

#[test]
fn real_caddy_versions_modules_and_admin_config() {
    let Some(out) = run_against_caddy() else {
        return;
    };
    out.success();
    let b = out.bundle();
    let version = b
        .fact("caddy_version")
        .unwrap_or_else(|| panic!("{}", b.manifest_text()));
    assert!(
        version.starts_with('v') || version.starts_with(|c: char| c.is_ascii_digit()),
        "{version}"
    );
    // The fact is the first word of what this Caddy prints itself.
    let own = Command::new(CADDY)
        .arg("version")
        .output()
        .expect("caddy version");
    let own = String::from_utf8_lossy(&own.stdout);
    assert_eq!(own.split_whitespace().next(), Some(version));

    assert_eq!(b.status("caddy-modules"), "ok", "{}", b.manifest_text());
    let modules = b.text("commands/caddy-modules.txt");
    assert!(modules.contains("http.handlers.reverse_proxy"), "{modules}");
    assert!(modules.contains("Standard modules:"), "{modules}");
    // Stock Caddy has no Gojinn: the check says so.
    assert_eq!(b.fact("gojinn_module"), None);
    assert_eq!(b.check("gojinn-module"), Some("warn"));
    assert!(b.has("commands/caddy-build-info.txt"), "{b:?}");

    assert_eq!(b.status("admin-config"), "ok", "{}", b.manifest_text());
    let config: serde_json::Value = serde_json::from_slice(&b.entries["http/admin-config.txt"])
        .unwrap_or_else(|e| panic!("admin config is not JSON: {e}"));
    assert!(config["apps"]["http"]["servers"].is_object(), "{config}");
    assert_eq!(b.status("caddyfile"), "ok");
}

#[test]
fn real_caddy_secrets_never_reach_the_bundle_or_issue() {
    let Some(out) = run_against_caddy() else {
        return;
    };
    out.success();
    let b = out.bundle();
    crate::harness::assert_no_secrets(&b, &out.issue(), SECRETS);
    for secret in SECRETS {
        expect!(
            out,
            !out.stdout.contains(secret),
            "`{secret}` in the summary"
        );
    }
    // Still JSON after redaction.
    serde_json::from_slice::<serde_json::Value>(&b.entries["http/admin-config.txt"])
        .expect("admin config JSON");
}
