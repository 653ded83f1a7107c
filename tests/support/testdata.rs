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
/// The corpora [`write_profile`] can generate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Profile {
    /// Journald and JSON application lines with planted secrets among decoys: [`corpus`].
    Journald,
    /// Web-facing logs as they come from a busy host: access logs with many distinct client
    /// addresses, JSON access and application logs, journald request dumps with headers and
    /// sshd/firewall lines; hex and other keys planted under names that say what they are.
    Mixed,
}

impl Profile {
    /// Every profile, in the order tools list them.
    pub const ALL: [Profile; 2] = [Profile::Mixed, Profile::Journald];

    /// The profile's name on command lines.
    pub fn as_str(self) -> &'static str {
        match self {
            Profile::Journald => "journald",
            Profile::Mixed => "mixed",
        }
    }

    /// The profile with this name.
    pub fn from_name(name: &str) -> Option<Profile> {
        Profile::ALL.into_iter().find(|p| p.as_str() == name)
    }
}

/// Write at least `bytes` of `profile` logs to `w`.
pub fn write_profile<W: Write>(
    profile: Profile,
    seed: u64,
    bytes: u64,
    mut w: W,
) -> io::Result<()> {
    match profile {
        Profile::Journald => write_logs(seed, bytes, w),
        Profile::Mixed => {
            let mut g = Mixed::new(seed);
            let mut written = 0u64;
            let mut c = Corpus::default();
            while written < bytes {
                c.text.clear();
                c.secrets.clear();
                g.lines(5000, &mut c);
                w.write_all(c.text.as_bytes())?;
                written += c.text.len() as u64;
            }
            w.flush()
        }
    }
}

/// About `lines` lines of the [`Profile::Mixed`] corpus, with every planted secret recorded
/// (`decoy_lines` stays empty: nearly every line holds an address that is pseudonymized).
pub fn mixed_corpus(seed: u64, lines: usize) -> Corpus {
    let mut c = Corpus::default();
    Mixed::new(seed).lines(lines, &mut c);
    c
}

/// Client addresses in the pool; picks are skewed towards the start, as real clients are.
const CLIENTS: usize = 50_000;

/// The [`Profile::Mixed`] generator. Client addresses are drawn from a skewed pool (a few hot
/// clients, a long tail) plus one in twenty fresh random addresses (scanners, bots), so a
/// 100 MB corpus holds tens of thousands of distinct addresses.
struct Mixed {
    r: Rng,
    /// Seconds since midnight of the current timestamp; advances slowly.
    clock: u32,
}

const PATHS: &[&str] = &[
    "/api/v1/orders",
    "/api/v1/items",
    "/api/v2/search",
    "/static/app.4f1c8a2b.js",
    "/static/style.css",
    "/healthz",
    "/login",
    "/v1/data",
    "/fn/hello",
    "/metrics",
    "/cart/checkout",
    "/images/products/8812/thumb.webp",
];

const AGENTS: &[&str] = &[
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1",
    "curl/8.5.0",
    "Go-http-client/1.1",
    "python-requests/2.32.3",
    "Prometheus/2.55.1",
];

const UNITS: &[&str] = &["api[2211]", "caddy[1021]", "gojinn[3310]", "orders[980]"];

impl Mixed {
    fn new(seed: u64) -> Self {
        Mixed {
            r: Rng::new(seed ^ 0x6d_6978_6564),
            clock: 36_000,
        }
    }

    /// A public-looking IPv4 address: never loopback, link-local, documentation or multicast,
    /// so every one is an identifier the engine must replace.
    fn ip_of(mut x: u64) -> String {
        x = x.wrapping_mul(0x9e37_79b9_7f4a_7c15);
        // 11..=222: past 10/8, below multicast; first octets of kept ranges moved one up.
        let a = 11 + (x >> 56) % 212;
        let a = if matches!(a, 127 | 169 | 192 | 198 | 203) {
            a + 1
        } else {
            a
        };
        format!(
            "{a}.{}.{}.{}",
            (x >> 48) & 0xff,
            (x >> 40) & 0xff,
            1 + (x >> 32) % 254
        )
    }

    fn client(&mut self) -> String {
        if self.r.below(20) == 0 {
            return Mixed::ip_of(self.r.next_u64());
        }
        // u³ skews towards 0: a few addresses are very hot, most appear a handful of times.
        let u = (self.r.next_u64() >> 11) as f64 / (1u64 << 53) as f64;
        Mixed::ip_of((u * u * u * CLIENTS as f64) as u64)
    }

    fn tick(&mut self) -> (u32, u32, u32) {
        if self.r.below(8) == 0 {
            self.clock = (self.clock + 1) % 86_400;
        }
        (self.clock / 3600, self.clock / 60 % 60, self.clock % 60)
    }

    fn hex(&mut self, n: usize) -> String {
        self.r.string(HEX, n)
    }

    /// Append about `lines` lines to `c`.
    fn lines(&mut self, lines: usize, c: &mut Corpus) {
        let mut n = 0;
        while n < lines {
            n += match self.r.below(20) {
                0..=6 => self.access(c),
                7..=9 => self.caddy_json(c),
                10..=12 => self.app_json(c),
                13..=15 => self.request_dump(c),
                16..=17 => self.sshd(c),
                _ => self.firewall(c),
            };
        }
    }

    fn secret_hit(&mut self) -> bool {
        self.r.below(40) == 0
    }

    /// Combined log format; now and then a credential in the query string.
    fn access(&mut self, c: &mut Corpus) -> usize {
        use std::fmt::Write as _;
        let ip = self.client();
        let (h, m, s) = self.tick();
        let path = PATHS[self.r.below(PATHS.len())];
        let query = if self.secret_hit() {
            let (name, v) = match self.r.below(4) {
                0 => ("access_token", self.hex(32)),
                1 => ("client_secret", self.hex(64)),
                2 => ("api_key", self.r.string(ALNUM, 32)),
                _ => ("apikey", self.hex(40)),
            };
            c.secrets.push(v.clone());
            format!("?{name}={v}&page={}", self.r.below(50))
        } else if self.r.below(3) == 0 {
            format!("?page={}&sort=asc", self.r.below(50))
        } else {
            String::new()
        };
        let method = ["GET", "GET", "GET", "POST", "PUT"][self.r.below(5)];
        let status = [200, 200, 200, 304, 404, 500][self.r.below(6)];
        let agent = AGENTS[self.r.below(AGENTS.len())];
        let _ = writeln!(
            c.text,
            "{ip} - - [25/Nov/2026:{h:02}:{m:02}:{s:02} +0000] \"{method} {path}{query} HTTP/1.1\" {status} {} \"https://shop.example.com/\" \"{agent}\" 0.{:03}",
            self.r.below(90_000),
            self.r.below(1000)
        );
        1
    }

    /// Caddy's JSON access log, request headers included.
    fn caddy_json(&mut self, c: &mut Corpus) -> usize {
        use std::fmt::Write as _;
        let ip = self.client();
        let fwd = self.client();
        let path = PATHS[self.r.below(PATHS.len())];
        let agent = AGENTS[self.r.below(AGENTS.len())];
        let key = if self.secret_hit() {
            let v = self.hex(32);
            c.secrets.push(v.clone());
            format!(r#","X-Api-Key":["{v}"]"#)
        } else {
            String::new()
        };
        let _ = writeln!(
            c.text,
            r#"{{"level":"info","ts":1795393{:03}.{:06},"logger":"http.log.access.log0","msg":"handled request","request":{{"remote_ip":"{ip}","remote_port":"{}","client_ip":"{fwd}","proto":"HTTP/2.0","method":"GET","host":"shop.example.com","uri":"{path}","headers":{{"User-Agent":["{agent}"],"Accept":["*/*"],"X-Forwarded-For":["{fwd}"]{key}}},"tls":{{"resumed":false,"version":772,"cipher_suite":4865,"proto":"h2","server_name":"shop.example.com"}}}},"bytes_read":0,"user_id":"","duration":0.00{},"size":{},"status":200,"resp_headers":{{"Server":["Caddy"],"Content-Type":["application/json"]}}}}"#,
            self.r.below(1000),
            self.r.below(1_000_000),
            1024 + self.r.below(60_000),
            self.r.below(100_000),
            self.r.below(90_000)
        );
        1
    }

    /// A structured application log line; now and then a key in the fields.
    fn app_json(&mut self, c: &mut Corpus) -> usize {
        use std::fmt::Write as _;
        let (h, m, s) = self.tick();
        let peer = self.client();
        let trace = self.hex(32);
        let span = self.hex(16);
        let extra = if self.secret_hit() {
            let (name, v) = match self.r.below(3) {
                0 => ("apikey", self.hex(64)),
                1 => ("x-api-key", self.hex(32)),
                _ => ("auth_token", self.r.string(URLSAFE, 40)),
            };
            c.secrets.push(v.clone());
            format!(r#","{name}":"{v}""#)
        } else {
            String::new()
        };
        let path = PATHS[self.r.below(PATHS.len())];
        let _ = writeln!(
            c.text,
            r#"{{"time":"2026-11-25T{h:02}:{m:02}:{s:02}.{:03}Z","level":"INFO","msg":"request completed","trace_id":"{trace}","span_id":"{span}","user_id":{},"path":"{path}","latency_ms":{}.{},"peer":"{peer}:{}"{extra}}}"#,
            self.r.below(1000),
            self.r.below(100_000),
            self.r.below(300),
            self.r.below(10),
            1024 + self.r.below(60_000)
        );
        1
    }

    fn journald_prefix(&mut self, unit: &str, out: &mut String) {
        use std::fmt::Write as _;
        let (h, m, s) = self.tick();
        let _ = write!(out, "Nov 25 {h:02}:{m:02}:{s:02} web-3 {unit}: ");
    }

    /// A debug dump of an outgoing request and its response, one journald line per header.
    fn request_dump(&mut self, c: &mut Corpus) -> usize {
        let unit = UNITS[self.r.below(UNITS.len())];
        let path = PATHS[self.r.below(PATHS.len())];
        let mut headers = vec![
            format!("> GET {path} HTTP/1.1"),
            "> Host: orders.internal:8080".to_string(),
            format!("> User-Agent: {}", AGENTS[self.r.below(AGENTS.len())]),
            format!(
                "> X-Request-Id: {}-{}-4{}-a{}-{}",
                self.hex(8),
                self.hex(4),
                self.hex(3),
                self.hex(3),
                self.hex(12)
            ),
            format!("> X-Forwarded-For: {}, {}", self.client(), self.client()),
            "> Accept-Encoding: gzip".to_string(),
        ];
        if self.r.below(8) == 0 {
            let (name, v) = match self.r.below(3) {
                0 => ("X-Api-Key", self.hex(32)),
                1 => ("Apikey", self.hex(64)),
                _ => ("Access_Token", self.hex(32)),
            };
            c.secrets.push(v.clone());
            headers.insert(3, format!("> {name}: {v}"));
        }
        headers.extend([
            "< HTTP/1.1 200 OK".to_string(),
            "< Content-Type: application/json".to_string(),
            format!("< Content-Length: {}", self.r.below(10_000)),
            format!(
                "< Date: Tue, 25 Nov 2026 10:{:02}:{:02} GMT",
                self.r.below(60),
                self.r.below(60)
            ),
        ]);
        for h in &headers {
            self.journald_prefix(unit, &mut c.text);
            c.text.push_str(h);
            c.text.push('\n');
        }
        headers.len()
    }

    fn sshd(&mut self, c: &mut Corpus) -> usize {
        use std::fmt::Write as _;
        let ip = self.client();
        let unit = format!("sshd[{}]", 1000 + self.r.below(60_000));
        self.journald_prefix(&unit, &mut c.text);
        let port = 1024 + self.r.below(60_000);
        let _ = match self.r.below(3) {
            0 => writeln!(
                c.text,
                "Accepted publickey for deploy from {ip} port {port} ssh2: ED25519 SHA256:{}",
                self.r.string(B64, 43)
            ),
            1 => writeln!(
                c.text,
                "Failed password for invalid user oracle from {ip} port {port} ssh2"
            ),
            _ => writeln!(
                c.text,
                "Connection closed by authenticating user root {ip} port {port} [preauth]"
            ),
        };
        1
    }

    fn firewall(&mut self, c: &mut Corpus) -> usize {
        use std::fmt::Write as _;
        let src = self.client();
        let dst = Mixed::ip_of(7);
        self.journald_prefix("kernel", &mut c.text);
        let _ = writeln!(
            c.text,
            "[UFW BLOCK] IN=eth0 OUT= MAC=52:54:00:12:34:56:52:54:00:ab:cd:ef:08:00 SRC={src} DST={dst} LEN=44 TOS=0x00 PREC=0x00 TTL=243 ID={} PROTO=TCP SPT={} DPT={} WINDOW=1024 RES=0x00 SYN URGP=0",
            self.r.below(65_536),
            1024 + self.r.below(60_000),
            [22, 23, 80, 443, 3389, 8080][self.r.below(6)]
        );
        1
    }
}
