//! A deterministic generator of log lines with planted secrets among decoys, for the accuracy
//! tests, the benchmark and `scripts/bench-redact.sh`; included by each as a module, never part of
//! the library.
//!
//! Every planted secret is random (from a seeded PRNG) in the exact shape its format has, and
//! is recorded, so a test can assert that none survives. Decoy lines hold things that look
//! secret-ish but are not (UUIDs, digests, trace ids, masked values, placeholders, `PWD=`),
//! and only identifiers that are kept (loopback, documentation addresses).

use std::io::{self, Write};

/// A small, fast, seeded PRNG (splitmix64).
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    /// Seeded generator.
    pub fn new(seed: u64) -> Self {
        Rng(seed)
    }
    /// Next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    /// Uniform in `0..n`.
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n as u64) as usize
    }
    /// `n` characters drawn from `alphabet`.
    pub fn string(&mut self, alphabet: &[u8], n: usize) -> String {
        (0..n)
            .map(|_| alphabet[self.below(alphabet.len())] as char)
            .collect()
    }
}

const ALNUM: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
const UPPER32: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
const HEX: &[u8] = b"0123456789abcdef";
const B64: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
const URLSAFE: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-";

/// Number of single-line secret kinds [`secret_fragment`] knows.
pub const KINDS: usize = 38;

/// A log fragment holding one planted secret, and the secret itself.
pub fn secret_fragment(kind: usize, r: &mut Rng) -> (String, String) {
    let al = |r: &mut Rng, n| r.string(ALNUM, n);
    match kind % KINDS {
        0 => {
            let s = format!("AKIA{}", r.string(UPPER32, 16));
            (
                format!("using credentials access_key_id={s} region=eu-west-1"),
                s,
            )
        }
        1 => {
            let s = r.string(B64, 40);
            (format!("aws_secret_access_key={s}"), s)
        }
        2 => {
            let p = ["ghp_", "gho_", "ghu_", "ghs_", "ghr_"][r.below(5)];
            let s = format!("{p}{}", al(r, 36));
            (format!("git clone failed: remote rejected token {s}"), s)
        }
        3 => {
            let s = format!("github_pat_{}_{}", al(r, 22), al(r, 59));
            (format!("GH_TOKEN in use: {s}"), s)
        }
        4 => {
            let s = format!("glpat-{}", r.string(URLSAFE, 20));
            (format!("gitlab client configured with {s}"), s)
        }
        5 => {
            let s = format!(
                "xoxb-{}-{}-{}",
                r.below(1 << 30),
                r.below(1 << 30),
                al(r, 24)
            );
            (format!("slack notify via {s} failed"), s)
        }
        6 => {
            let p = ["sk_live_", "rk_live_"][r.below(2)];
            let s = format!("{p}{}", al(r, 24));
            (format!("stripe.api_key set to {s}"), s)
        }
        7 => {
            let s = format!("AIza{}", r.string(URLSAFE, 35));
            (format!("maps request key={s}&q=berlin"), s)
        }
        8 => {
            let s = r.string(HEX, 32);
            (
                format!("sentry enabled dsn https://{s}@o4504.ingest.sentry.io/451"),
                s,
            )
        }
        9 => {
            let s = format!("sk-proj-{}", r.string(URLSAFE, 48));
            (format!("calling model with key {s}"), s)
        }
        10 => {
            let s = format!("SU{}", r.string(UPPER32, 56));
            (format!("nats connect seed {s}"), s)
        }
        11 => {
            let s = format!(
                "eyJhbGciOiJIUzI1NiJ9.eyJ{}.{}",
                r.string(URLSAFE, 40),
                r.string(URLSAFE, 43)
            );
            (format!("session established jwt={s}"), s)
        }
        12 => {
            let s = al(r, 16);
            (
                format!("connecting to postgres://app:{s}@db.internal:5432/app"),
                s,
            )
        }
        13 => {
            let s = al(r, 14);
            (
                format!("mysql dsn gojinn:{s}@tcp(db:3306)/gojinn?parseTime=true"),
                s,
            )
        }
        14 => {
            let s = r.string(URLSAFE, 32);
            (format!("upstream request Authorization: Bearer {s}"), s)
        }
        15 => {
            let s = r.string(B64, 24);
            (format!("Authorization: Basic {s}="), s)
        }
        16 => {
            let s = al(r, 40);
            (format!("Authorization: token {s}"), s)
        }
        17 => {
            let s = al(r, 32);
            (format!("Cookie: session={s}; theme=dark"), s)
        }
        18 => {
            let s = al(r, 28);
            (format!("Set-Cookie: sid={s}; Path=/; HttpOnly"), s)
        }
        19 => {
            let s = al(r, 12);
            (format!("login retry user=bob password={s} attempt=2"), s)
        }
        20 => {
            let s = al(r, 10);
            (format!("passwd: {s}"), s)
        }
        21 => {
            let s = al(r, 14);
            (format!("PGPASSWORD={s} psql -h db -U app"), s)
        }
        22 => {
            let s = al(r, 18);
            (format!("exec /usr/bin/backup --password={s} --verbose"), s)
        }
        23 => {
            let s = al(r, 30);
            (format!("exec /usr/bin/agent --token={s}"), s)
        }
        24 => {
            let s = al(r, 12);
            (
                format!("Server=db01;Database=app;User Id=sa;Password={s};"),
                s,
            )
        }
        25 => {
            let s = al(r, 12);
            (format!("Driver={{ODBC}};Uid=sa;Pwd={s};"), s)
        }
        26 => {
            let s = al(r, 32);
            (format!("oauth client_secret={s} scope=read"), s)
        }
        27 => {
            let s = al(r, 24);
            (format!("DB_PASSWORD={s}"), s)
        }
        28 => {
            let s = al(r, 24);
            (
                format!(
                    "https://hooks.slack.com/services/T0{}/B0{}/{s}",
                    al(r, 8),
                    al(r, 8)
                ),
                s,
            )
        }
        29 => {
            let s = al(r, 40);
            (format!("X-Api-Key: {s}"), s)
        }
        30 => {
            let s = al(r, 20);
            (format!("mqtt connect tcp://gojinn:{s}@broker:1883"), s)
        }
        31 => {
            let s = al(r, 36);
            (format!("api_key: {s}"), s)
        }
        32 => {
            let s = format!("npm_{}", al(r, 36));
            (format!("//registry.npmjs.org/:_authToken={s}"), s)
        }
        33 => {
            let s = format!("dckr_pat_{}", r.string(URLSAFE, 27));
            (format!("docker login with {s}"), s)
        }
        34 => {
            let s = al(r, 40);
            (format!("AWS_SESSION_TOKEN={s}"), s)
        }
        35 => {
            let s = format!("hf_{}", al(r, 34));
            (format!("huggingface hub token {s}"), s)
        }
        36 => {
            let s = format!("hvs.{}", r.string(URLSAFE, 90));
            (format!("vault login ok token {s}"), s)
        }
        _ => {
            let s = format!("SG.{}.{}", r.string(URLSAFE, 22), r.string(URLSAFE, 43));
            (format!("mail relay key {s}"), s)
        }
    }
}

/// Decoy log fragments: nothing in them may change.
pub const DECOYS: &[&str] = &[
    "2026-11-23T00:39:43.533996Z  INFO kestrel_engine: Rules loaded loaded=3 failed=0",
    "2026-11-23T00:39:43.534120Z  WARN kestrel_engine: NFA engine disabled (no predicate evaluator)",
    "    deploy : TTY=pts/0 ; PWD=/home/deploy ; USER=root ; COMMAND=/usr/bin/systemctl restart caddy",
    "config reloaded password=******** token=<redacted> api_key=[REDACTED:token]",
    "config reloaded again api_key=[REDACTED:token:2] secret=[REDACTED:secret:1]",
    "settings: db_password=${DB_PASSWORD} ai_token={env.AI_TOKEN} api_key {$API_KEY} secret=REDACTED",
    "request_id=123e4567-e89b-12d3-a456-426614174000 status=200 duration=0.012s",
    "HEAD is now at 3f2a1c9e8b7d6a5f4e3d2c1b0a9f8e7d6c5b4a39 Merge branch 'main'",
    "pulled image sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
    "container 4f1c8a2b9d3e7f605c4b3a29180f7e6d5c4b3a2918f0e7d6c5b4a3928170f6e5 started",
    "trace_id=4bf92f3577b34da6a3ce929d0e0e4736 span_id=00f067aa0ba902b7 sampled=1",
    "trusted_key 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
    "[4121] [INF] Starting nats-server version 2.10.22, listening on 127.0.0.1:4222",
    "Embedded NATS JetStream Started store_dir=/var/lib/gojinn/nats_store",
    "Crash Dump Saved (Time Travel Ready) path=./crashes/crash_1795393164350000000.json",
    "token_ttl=3600 max_tokens=1024 session_timeout=30m password_min_length=12",
    "invalid token: expired, refreshing",
    "GET /api/v1/status HTTP/1.1 200 from 192.0.2.10 in 3ms",
    "listening on [::1]:2019 and 0.0.0.0:443, fe80::1 link-local ignored",
    "Authorization header missing; send a Bearer token",
    "loaded 42 rules from /opt/kestrel/rules in 12ms (cache hit ratio 0.93)",
    "kernel: [12345.678901] eth0: link up, 1000 Mbps, full duplex",
    "BLOCKING UNSIGNED MODULE ./functions/hello.wasm (no signature footer)",
    "using public_key=MCowBQYDK2VwAyEA0123456789abcdefABCDEF0123456789abcdefAB for verification",
    "systemd[1]: Started caddy.service - Caddy web server.",
    "Sync execution failed: context deadline exceeded (Client.Timeout exceeded while awaiting headers)",
    "GOMAXPROCS=2 GOMEMLIMIT=off LANG=C.UTF-8 HOME=/var/lib/caddy",
];

const JSON_DECOYS: &[&str] = &[
    r#"{"level":"info","ts":1795393164.35,"logger":"admin","msg":"admin endpoint started","address":"localhost:2019","enforce_origin":false,"origins":["//localhost:2019","//[::1]:2019","//127.0.0.1:2019"]}"#,
    r#"{"level":"info","ts":1795393164.36,"logger":"http.log","msg":"server running","name":"srv0","protocols":["h1","h2","h3"]}"#,
    r#"{"level":"error","ts":1795393170.01,"logger":"http.log.error","msg":"dial tcp 127.0.0.1:9000: connect: connection refused","request":{"remote_ip":"192.0.2.44","method":"GET","uri":"/fn/hello","headers":{"User-Agent":["curl/8.5.0"],"Accept":["*/*"],"Authorization":["REDACTED"],"Cookie":["REDACTED"]}},"duration":0.000812,"status":502}"#,
    r#"{"id":"a3c4e1f0-5b6d-4e7f-8091-a2b3c4d5e6f7","rule_id":"rule-001","rule_name":"Example Suspicious Process Execution","severity":"Medium","timestamp_ns":1795393164350000000}"#,
    r#"{"event_id":1842,"event_type_id":3,"ts_mono_ns":88211442,"entity_key":"b1946ac92492d2347c6235b4d2611184","fields":{"path":"/usr/bin/curl","sha256":"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"}}"#,
];

/// A journald-style prefix (`journalctl -o short`).
fn prefix(r: &mut Rng, out: &mut String) {
    use std::fmt::Write as _;
    let units = [
        "caddy[1021]",
        "kestrel[812]",
        "gojinn[3310]",
        "sudo[4411]",
        "systemd[1]",
    ];
    let _ = write!(
        out,
        "Nov 25 10:{:02}:{:02} buildhost {}: ",
        r.below(60),
        r.below(60),
        units[r.below(units.len())]
    );
}

/// One line in a JSON log with `fragment` as the message, escaped as JSON escapes it.
fn json_line(r: &mut Rng, fragment: &str, out: &mut String) {
    let msg = serde_json::to_string(fragment).unwrap_or_default();
    out.push_str(&format!(
        r#"{{"level":"error","ts":1795393{:03}.{:02},"logger":"http.handlers.gojinn","msg":{msg},"tenant":"t{}"}}"#,
        r.below(1000),
        r.below(100),
        r.below(10)
    ));
}

/// A Caddy error-log line carrying an API key header, the way Caddy logs request headers.
fn caddy_header_line(r: &mut Rng) -> (String, String) {
    let s = r.string(ALNUM, 32);
    let line = format!(
        r#"{{"level":"error","ts":1795393170.01,"logger":"http.log.error","msg":"handler failed","request":{{"remote_ip":"192.0.2.7","method":"POST","headers":{{"Content-Type":["application/json"],"X-Api-Key":["{s}"]}}}},"status":500}}"#
    );
    (line, s)
}

/// A generated corpus: the text, the planted secrets and the indexes of decoy lines.
#[derive(Debug, Default)]
pub struct Corpus {
    /// The log text.
    pub text: String,
    /// Every planted secret value.
    pub secrets: Vec<String>,
    /// 0-based indexes of decoy lines, which must come out unchanged.
    pub decoy_lines: Vec<usize>,
}

/// A PEM-looking private key body (random base64 lines).
fn pem_lines(r: &mut Rng) -> Vec<String> {
    let mut v = vec!["-----BEGIN RSA PRIVATE KEY-----".to_string()];
    for _ in 0..6 {
        v.push(r.string(B64, 64));
    }
    v.push(r.string(B64, 20) + "==");
    v.push("-----END RSA PRIVATE KEY-----".to_string());
    v
}

/// Build a corpus of about `lines` lines; one in `every` is a planted secret.
pub fn corpus(seed: u64, lines: usize, every: usize) -> Corpus {
    let mut r = Rng::new(seed);
    let mut c = Corpus::default();
    let mut n = 0usize;
    let mut kind = 0usize;
    let mut line = String::new();
    while n < lines {
        line.clear();
        if n % every.max(1) == every.max(1) - 1 {
            match kind % (KINDS + 4) {
                k if k < KINDS => {
                    let (frag, secret) = secret_fragment(k, &mut r);
                    if r.below(2) == 0 {
                        prefix(&mut r, &mut line);
                        line.push_str(&frag);
                    } else {
                        json_line(&mut r, &frag, &mut line);
                    }
                    c.secrets.push(secret);
                }
                k if k == KINDS => {
                    let (l, s) = caddy_header_line(&mut r);
                    line.push_str(&l);
                    c.secrets.push(s);
                }
                k => {
                    // PEM: raw, journald-prefixed on every line, or JSON-escaped on one line.
                    let pem = pem_lines(&mut r);
                    c.secrets.extend(pem[1..pem.len() - 1].iter().cloned());
                    match k - KINDS - 1 {
                        0 => line.push_str(&pem.join("\n")),
                        1 => {
                            let mut parts = Vec::new();
                            for p in &pem {
                                let mut l = String::new();
                                prefix(&mut r, &mut l);
                                l.push_str(p);
                                parts.push(l);
                            }
                            line.push_str(&parts.join("\n"));
                        }
                        _ => json_line(&mut r, &(pem.join("\n") + "\n"), &mut line),
                    }
                    n += line.matches('\n').count();
                }
            }
            kind += 1;
        } else {
            c.decoy_lines.push(n);
            if r.below(4) == 0 {
                line.push_str(JSON_DECOYS[r.below(JSON_DECOYS.len())]);
            } else {
                prefix(&mut r, &mut line);
                line.push_str(DECOYS[r.below(DECOYS.len())]);
            }
        }
        c.text.push_str(&line);
        c.text.push('\n');
        n += 1;
    }
    c
}

/// Write at least `bytes` of mixed logs (one planted secret per 50 lines) to `w`.
pub fn write_logs<W: Write>(seed: u64, bytes: u64, mut w: W) -> io::Result<()> {
    let mut written = 0u64;
    let mut s = seed;
    while written < bytes {
        let c = corpus(s, 5000, 50);
        w.write_all(c.text.as_bytes())?;
        written += c.text.len() as u64;
        s = s.wrapping_add(1);
    }
    w.flush()
}
