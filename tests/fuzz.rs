//! Fuzz targets that run on stable Rust: the bundle reader, the spec loader, the rule loader
//! and the redaction engine.
//!
//! Each target is a mutation loop seeded from built-in seeds plus the persisted corpus in
//! `fuzz/corpus/<target>/`, running until `FUZZ_SECONDS` (default 3) have passed, so a plain
//! `cargo test` stays fast and `scripts/fuzz.sh MINUTES` runs long. Every input runs on a
//! worker thread: a panic (caught with `catch_unwind`), an input that takes longer than the
//! per-input limit (1 s; 10 s in debug builds), or a broken property fails the target, and
//! the input is printed and saved to the corpus, so the next run replays it first.
//!
//! There is no coverage instrumentation on stable: "new behaviour" is a signature each target
//! computes from what the code did (error kinds, rule ids that fired, which stages passed).
//! When `FUZZ_SECONDS` is set, inputs with a signature not seen before are saved to the corpus
//! (a few per run, small inputs only), so long runs grow it; plain `cargo test` writes nothing
//! unless a target fails.
//!
//! The redaction target checks a differential property: a secret of a known shape, written in
//! one of the syntaxes the engine reads (text, JSON, TOML, YAML, env), planted in fuzzed filler
//! at any offset, including across the engine's read blocks and long-line windows, and fed
//! through the streaming API in random chunk sizes, never survives; and chunking never changes
//! the output. Everything about a case is derived from the input bytes, so a saved input is a
//! complete reproducer.

use std::collections::HashSet;
use std::io::Read;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use support_bundle::bundle::manifest::{ProjectRecord, SpecRecord, Tool};
use support_bundle::bundle::timestamp::Timestamp;
use support_bundle::bundle::{
    Bundle, Extra, Manifest, diff, extract, inspect, layout, sha256_hex, verify,
};
use support_bundle::item::{Format, Kind, RawItem};
use support_bundle::redact::{Counts, Options, Redactor, redact_items};
use testdata::Rng;

/// Generated logs and secrets, shared with the benches and the log generator.
#[allow(dead_code, unreachable_pub)]
#[path = "support/testdata.rs"]
mod testdata;

// ---------------------------------------------------------------------------------- driver

/// What one input did: a behaviour signature, or why it broke a property.
type Outcome = Result<String, String>;

/// A fuzz target.
struct Target {
    name: &'static str,
    /// Seeds generated at run time, on top of the corpus directory.
    seeds: fn() -> Vec<Vec<u8>>,
    /// Tokens the mutator splices in.
    dict: &'static [&'static [u8]],
    /// Largest input the mutator produces.
    max_len: usize,
    /// Runs one input. Called on a worker thread; a panic is caught.
    run: fn(&[u8]) -> Outcome,
}

fn per_input_limit() -> Duration {
    // `FUZZ_LIMIT_MS` raises the limit to time a saved hang while triaging it.
    if let Some(ms) = std::env::var("FUZZ_LIMIT_MS")
        .ok()
        .and_then(|v| v.trim().parse().ok())
    {
        return Duration::from_millis(ms);
    }
    // Debug builds are an order of magnitude slower; the 1 s budget is for release runs.
    if cfg!(debug_assertions) {
        Duration::from_secs(10)
    } else {
        Duration::from_secs(1)
    }
}

fn fuzz_seconds() -> (u64, bool) {
    match std::env::var("FUZZ_SECONDS") {
        Ok(s) => (
            s.trim()
                .parse()
                .unwrap_or_else(|_| panic!("FUZZ_SECONDS must be a number of seconds, not {s:?}")),
            true,
        ),
        Err(_) => (3, false),
    }
}

fn corpus_dir(target: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fuzz/corpus")
        .join(target)
}

fn read_corpus(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut files: Vec<(String, Vec<u8>)> = std::fs::read_dir(dir)
        .map(|rd| {
            rd.flatten()
                .filter(|e| e.file_type().is_ok_and(|t| t.is_file()))
                .filter_map(|e| {
                    let data = std::fs::read(e.path()).ok()?;
                    Some((e.file_name().to_string_lossy().into_owned(), data))
                })
                .collect()
        })
        .unwrap_or_default();
    files.sort();
    files
}

/// Save `data` under its hash; returns the path.
fn save(dir: &Path, data: &[u8]) -> PathBuf {
    std::fs::create_dir_all(dir).expect("create corpus dir");
    let path = dir.join(&sha256_hex(data)[..16]);
    if !path.exists() {
        let tmp = dir.join(format!(".{}.tmp", std::process::id()));
        std::fs::write(&tmp, data).expect("write corpus file");
        std::fs::rename(&tmp, &path).expect("rename corpus file");
    }
    path
}

/// A printable rendering of an input, as a Rust byte string literal.
fn show(data: &[u8]) -> String {
    const MAX: usize = 4096;
    let cut = &data[..data.len().min(MAX)];
    let escaped: String = cut
        .iter()
        .flat_map(|&b| std::ascii::escape_default(b))
        .map(char::from)
        .collect();
    if data.len() > MAX {
        format!("b\"{escaped}\" ... ({} bytes in all)", data.len())
    } else {
        format!("b\"{escaped}\"")
    }
}

/// Runs inputs on one worker thread so a hang can be detected and reported.
struct Worker {
    tx: mpsc::Sender<Vec<u8>>,
    rx: mpsc::Receiver<Result<Outcome, String>>,
}

impl Worker {
    fn new(run: fn(&[u8]) -> Outcome) -> Worker {
        let (tx, work) = mpsc::channel::<Vec<u8>>();
        let (done, rx) = mpsc::channel();
        std::thread::spawn(move || {
            for input in work {
                let r = catch_unwind(AssertUnwindSafe(|| run(&input))).map_err(|p| {
                    p.downcast_ref::<String>()
                        .cloned()
                        .or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string()))
                        .unwrap_or_else(|| "non-string panic payload".to_string())
                });
                if done.send(r).is_err() {
                    break;
                }
            }
        });
        Worker { tx, rx }
    }

    /// Run one input: its outcome, or the failure (panic, hang) as text.
    fn run(&self, input: &[u8], limit: Duration) -> Result<String, String> {
        self.tx.send(input.to_vec()).expect("worker alive");
        match self.rx.recv_timeout(limit) {
            Ok(Ok(outcome)) => outcome,
            Ok(Err(panic)) => Err(format!("panicked: {panic}")),
            Err(_) => Err(format!("hang: no answer within {limit:?}")),
        }
    }
}

/// The mutation loop. Panics (failing the test) on the first input that fails.
fn fuzz(t: &Target) {
    let (seconds, explicit) = fuzz_seconds();
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let limit = per_input_limit();
    let dir = corpus_dir(t.name);
    let save_new = explicit;
    const MAX_SAVED_PER_RUN: usize = 20;
    const MAX_SAVED_LEN: usize = 16 << 10;

    let worker = Worker::new(t.run);
    let mut corpus: Vec<Vec<u8>> = Vec::new();
    let mut seen: HashSet<String> = HashSet::new();
    let mut runs = 0u64;
    let mut saved = 0usize;
    let mut slowest = Duration::ZERO;
    let fail = |input: &[u8], why: &str| failed(t.name, &dir, input, why);

    // Replay the corpus first: saved failures are regressions until fixed. A plain `cargo
    // test` (no FUZZ_SECONDS) replays only what fits in its few seconds, so it stays fast.
    let seeds = (t.seeds)();
    let seed_count = seeds.len();
    let stored = read_corpus(&dir);
    let stored_count = stored.len();
    for (n, input) in seeds
        .into_iter()
        .chain(stored.into_iter().map(|(_, d)| d))
        .enumerate()
    {
        if !explicit && n >= seed_count && Instant::now() >= deadline {
            break;
        }
        runs += 1;
        let started = Instant::now();
        let outcome = worker.run(&input, limit);
        slowest = slowest.max(started.elapsed());
        match outcome {
            Ok(sig) => {
                seen.insert(sig);
            }
            Err(why) => fail(&input, &why),
        }
        corpus.push(input);
    }
    assert!(!corpus.is_empty(), "target `{}` has no seeds", t.name);

    // A long run (`FUZZ_SECONDS`) explores from a fresh seed each time. A plain `cargo test`
    // replays a fixed seed for a bounded number of mutations, so it asks the same questions on
    // every machine and a red test is a regression, never luck.
    let (mut rng, mut budget) = if explicit {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos() as u64)
            .unwrap_or(1);
        (Rng::new(now), usize::MAX)
    } else {
        (Rng::new(0x5eed_f00d), PLAIN_TEST_MUTATIONS)
    };
    while Instant::now() < deadline && budget > 0 {
        budget -= 1;
        let base = &corpus[rng.below(corpus.len())];
        let mut input = base.clone();
        let other = corpus[rng.below(corpus.len())].clone();
        mutate(&mut rng, &mut input, &other, t.dict, t.max_len);
        runs += 1;
        let started = Instant::now();
        let outcome = worker.run(&input, limit);
        slowest = slowest.max(started.elapsed());
        match outcome {
            Ok(sig) => {
                if seen.insert(sig) {
                    if save_new && saved < MAX_SAVED_PER_RUN && input.len() <= MAX_SAVED_LEN {
                        save(&dir, &input);
                        saved += 1;
                    }
                    corpus.push(input);
                }
            }
            Err(why) => fail(&input, &why),
        }
    }
    eprintln!(
        "fuzz {}: {runs} inputs in {seconds} s, 0 failures, slowest input {} ms, {} behaviours, \
         corpus {} stored + {saved} new",
        t.name,
        slowest.as_millis(),
        seen.len(),
        stored_count
    );
}

/// Mutations a plain `cargo test` tries per target after the corpus (fixed seed).
const PLAIN_TEST_MUTATIONS: usize = 200;

/// Save a failing input and fail the test with it.
fn failed(target: &str, dir: &Path, input: &[u8], why: &str) -> ! {
    let path = save(dir, input);
    panic!(
        "fuzz target `{target}` failed: {why}\ninput saved to {}\ninput: {}",
        path.display(),
        show(input)
    );
}

const INTERESTING8: &[u8] = &[
    0, 1, 0x7f, 0x80, 0xff, b'\n', b'\r', b'"', b'\\', b' ', b'=',
];
const INTERESTING32: &[u32] = &[0, 1, 0x7fff, 0xffff, 0x1_0000, 0x7fff_ffff, 0xffff_ffff];

/// Apply one to four random mutations to `data`.
fn mutate(r: &mut Rng, data: &mut Vec<u8>, other: &[u8], dict: &[&[u8]], max_len: usize) {
    for _ in 0..1 + r.below(4) {
        let len = data.len();
        match r.below(13) {
            0 if len > 0 => {
                let i = r.below(len);
                data[i] ^= 1 << r.below(8);
            }
            1 if len > 0 => {
                let i = r.below(len);
                data[i] = r.next_u64() as u8;
            }
            2 if len > 0 => {
                let i = r.below(len);
                data[i] = INTERESTING8[r.below(INTERESTING8.len())];
            }
            3 if len >= 4 => {
                let i = r.below(len - 3);
                let v = INTERESTING32[r.below(INTERESTING32.len())];
                let bytes = if r.below(2) == 0 {
                    v.to_le_bytes()
                } else {
                    v.to_be_bytes()
                };
                data[i..i + 4].copy_from_slice(&bytes);
            }
            4 if len > 0 => {
                let i = r.below(len);
                data[i] = data[i].wrapping_add((r.below(33) as u8).wrapping_sub(16));
            }
            5 => {
                let i = r.below(len + 1);
                let n = 1 + r.below(16);
                let bytes: Vec<u8> = (0..n).map(|_| r.next_u64() as u8).collect();
                data.splice(i..i, bytes);
            }
            6 if len > 0 => {
                let i = r.below(len);
                let n = 1 + r.below((len - i).min(256));
                data.drain(i..i + n);
            }
            7 if len > 0 => {
                let i = r.below(len);
                let n = 1 + r.below((len - i).min(512));
                let chunk = data[i..i + n].to_vec();
                let at = r.below(len + 1);
                data.splice(at..at, chunk);
            }
            8 | 9 if !dict.is_empty() => {
                let word = dict[r.below(dict.len())];
                let i = r.below(len + 1);
                if r.below(2) == 0 || i + word.len() > len {
                    data.splice(i..i, word.iter().copied());
                } else {
                    data[i..i + word.len()].copy_from_slice(word);
                }
            }
            10 if !other.is_empty() => {
                // Splice: a prefix of this input and a suffix of another.
                let a = r.below(len + 1);
                let b = r.below(other.len());
                data.truncate(a);
                data.extend_from_slice(&other[b..]);
            }
            11 if len > 0 => {
                data.truncate(r.below(len));
            }
            12 => {
                let i = r.below(len + 1);
                let cap = if r.below(8) == 0 { 70_000 } else { 64 };
                let n = 1 + r.below(cap);
                let b = if len > 0 && r.below(2) == 0 {
                    data[r.below(len)]
                } else {
                    INTERESTING8[r.below(INTERESTING8.len())]
                };
                data.splice(i..i, std::iter::repeat_n(b, n));
            }
            _ => {}
        }
    }
    data.truncate(max_len);
}

/// Collapse the parts of a message that vary with the input (numbers, quoted text) so the
/// signature names the kind of outcome, not the instance.
fn shape(msg: &str) -> String {
    let mut out = String::new();
    let mut quoted = None;
    for c in msg.chars() {
        match quoted {
            Some(q) if c == q => {
                quoted = None;
                out.push(c);
            }
            Some(_) => {}
            None if c == '`' || c == '"' || c == '\'' => {
                quoted = Some(c);
                out.push(c);
            }
            None if c.is_ascii_digit() => {
                if !out.ends_with('#') {
                    out.push('#');
                }
            }
            None => out.push(c),
        }
    }
    out.chars().take(200).collect()
}

// ------------------------------------------------------------------------------ the reader

fn bundle_seed(entries: &[(&str, &str)]) -> Vec<u8> {
    let dir = tempfile::tempdir().expect("tempdir");
    let manifest = Manifest {
        format: support_bundle::bundle::FORMAT.into(),
        tool: Tool::this(),
        project: ProjectRecord {
            name: "fuzz".into(),
            display: "Fuzz".into(),
            repository: Some("https://example.invalid/fuzz".into()),
        },
        spec: SpecRecord {
            origin: "built-in:fuzz".into(),
            sha256: "0".repeat(64),
            os: None,
        },
        created: "1980-01-01T00:00:00Z".into(),
        private: false,
        facts: Default::default(),
        items: Vec::new(),
        checks: Vec::new(),
        files: Default::default(),
    };
    // Seeds go through the real pass and layout, as `collect` writes them: `(kind, id, name,
    // content)`, plus the stored spec and issue body as the writer's typed extras.
    let mut redactor = Redactor::new(
        &Options::default()
            .with_no_default_rules(true)
            .with_keep_identifiers(true),
    )
    .expect("redactor without rules");
    let mut raws = Vec::new();
    let mut extras = Vec::new();
    for (path, content) in entries {
        match *path {
            "spec.toml" => extras.push(Extra::spec(&redactor.redact_text(
                content.as_bytes(),
                Format::Toml,
                &mut Counts::default(),
            ))),
            "issue.md" => extras.push(Extra::issue_body(content)),
            _ => {
                let (dir, rest) = path.split_once('/').unwrap_or(("commands", path));
                let (kind, id, name) = match dir {
                    "files" => {
                        let (id, name) = rest.split_once('/').unwrap_or((rest, rest));
                        (Kind::File, id, name)
                    }
                    _ => (Kind::Command, rest.trim_end_matches(".txt"), rest),
                };
                raws.push(RawItem::collected(
                    id,
                    kind,
                    id,
                    name,
                    content.as_bytes().to_vec(),
                ));
            }
        }
    }
    let items = layout::place(redact_items(raws, &mut redactor, &Default::default()));
    let written = support_bundle::bundle::write_bundle(
        dir.path(),
        manifest,
        &items,
        &extras,
        Timestamp::from_source_date_epoch(Some("0")).expect("epoch"),
    )
    .expect("write seed bundle");
    std::fs::read(written.path).expect("read seed bundle")
}

fn reader_seeds() -> Vec<Vec<u8>> {
    vec![
        bundle_seed(&[]),
        bundle_seed(&[
            ("commands/version.txt", "fuzz 1.2.3\n"),
            ("files/cfg/config.toml", "[general]\nmode = \"detect\"\n"),
            (
                "logs/journal.txt",
                &"Nov 25 10:00:00 host unit[1]: line\n".repeat(40),
            ),
            ("spec.toml", "schema = 1\n[project]\nname = \"fuzz\"\n"),
            ("issue.md", "### Environment\n\n| a | b |\n"),
        ]),
    ]
}

fn reader_run(input: &[u8]) -> Outcome {
    let dir = tempfile::tempdir().map_err(|e| format!("tempdir: {e}"))?;
    let path = dir.path().join("b.zip");
    std::fs::write(&path, input).map_err(|e| format!("write: {e}"))?;
    let mut bundle = match Bundle::open(&path) {
        Ok(b) => b,
        Err(e) => return Ok(format!("open: {}", shape(&e.to_string()))),
    };
    let mut sig = format!("entries {}", bundle.entries().len().min(8));
    let names: Vec<String> = bundle.entries().iter().map(|e| e.name.clone()).collect();
    for name in &names {
        if let Err(e) = bundle.read_entry(name, 1 << 20) {
            sig.push_str(&format!("; read: {}", shape(&e.to_string())));
        }
    }
    match bundle.manifest() {
        Ok(_) => sig.push_str("; manifest ok"),
        Err(e) => sig.push_str(&format!("; manifest: {}", shape(&e.to_string()))),
    }
    match verify::verify(&mut bundle) {
        Ok(v) => sig.push_str(&format!("; verify problems {}", v.problems.len().min(4))),
        Err(e) => sig.push_str(&format!("; verify: {}", shape(&e.to_string()))),
    }
    if let Ok(i) = inspect::inspect(&mut bundle) {
        let _ = inspect::render(&i);
        sig.push_str("; inspect ok");
    }
    if let Ok(mut other) = Bundle::open(&path)
        && let Ok(d) = diff::diff(&mut bundle, &mut other, diff::Options::default())
    {
        let _ = diff::render(&d);
        if !d.is_empty() {
            return Err("a bundle differs from itself".to_string());
        }
    }
    let out = dir.path().join("out");
    match extract::extract(&mut bundle, &out, false) {
        Ok(_) => sig.push_str("; extract ok"),
        Err(e) => sig.push_str(&format!("; extract: {}", shape(&e.to_string()))),
    }
    for entry in std::fs::read_dir(dir.path())
        .map_err(|e| e.to_string())?
        .flatten()
    {
        let name = entry.file_name();
        if name != "b.zip" && name != "out" {
            return Err(format!("extract wrote {name:?} outside its directory"));
        }
    }
    Ok(sig)
}

const READER_DICT: &[&[u8]] = &[
    b"PK\x03\x04",
    b"PK\x01\x02",
    b"PK\x05\x06",
    b"PK\x06\x06",
    b"PK\x06\x07",
    b"../",
    b"/etc/passwd",
    b"manifest.json",
    b"\"files\"",
    b"\"sha256\"",
    b"\xff\xff\xff\xff",
];

#[test]
fn reader() {
    fuzz(&Target {
        name: "reader",
        seeds: reader_seeds,
        dict: READER_DICT,
        max_len: 64 << 10,
        run: reader_run,
    });
}

// ------------------------------------------------------------------------- the spec loader

fn spec_seeds() -> Vec<Vec<u8>> {
    let mut v: Vec<Vec<u8>> = support_bundle::spec::BUILTINS
        .iter()
        .map(|b| b.text.as_bytes().to_vec())
        .collect();
    v.push(b"schema = 1\n[project]\nname = \"x\"\n".to_vec());
    v
}

fn spec_run(input: &[u8]) -> Outcome {
    let text = String::from_utf8_lossy(input);
    match support_bundle::spec::parse("fuzz.toml", &text) {
        Ok(spec) => {
            for item in &spec.items {
                if spec.item(&item.id).is_none() {
                    return Err(format!("item `{}` not found by its own id", item.id));
                }
            }
            for heading in &spec.issue.sections {
                let _ = spec.section_sources(heading);
            }
            let vars = spec.vars.clone();
            for item in &spec.items {
                for a in &item.argv {
                    let _ = support_bundle::spec::substitute(a, &vars);
                }
            }
            Ok(format!(
                "ok items {} checks {}",
                spec.items.len().min(4),
                spec.checks.len().min(2)
            ))
        }
        Err(e) => {
            // Rendering the diagnostic (spans, line and column, snippet) must not panic either.
            let rendered = e.to_string();
            let first = e
                .diagnostics
                .first()
                .map(|d| shape(&format!("{d:?}")))
                .unwrap_or_default();
            if rendered.is_empty() {
                return Err("a spec error renders as nothing".to_string());
            }
            Ok(format!("err {first}"))
        }
    }
}

const SPEC_DICT: &[&[u8]] = &[
    b"[[collect]]\n",
    b"[[check]]\n",
    b"[issue]\n",
    b"[issue.sources]\n",
    b"[issue.form]\n",
    b"[project]\n",
    b"[vars]\n",
    b"kind = \"command\"\n",
    b"kind = \"file\"\n",
    b"kind = \"http\"\n",
    b"kind = \"listing\"\n",
    b"kind = \"env\"\n",
    b"argv = [\"x\", \"{v}\"]\n",
    b"id = \"a\"\n",
    b"format = \"json\"\n",
    b"timeout = \"5s\"\n",
    b"max_bytes = 18446744073709551615\n",
    b"tail_lines = -1\n",
    b"when = \"version < 1.2\"\n",
    b"regex = '(a+)+$'\n",
    b"{",
    b"}",
    b"\"\"\"",
    b"'''",
    b"\xc3\xa9",
    b"\xe2\x80\xae",
];

#[test]
fn spec() {
    fuzz(&Target {
        name: "spec",
        seeds: spec_seeds,
        dict: SPEC_DICT,
        max_len: 32 << 10,
        run: spec_run,
    });
}

// ------------------------------------------------------------------------- the rule loader

fn rules_seeds() -> Vec<Vec<u8>> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("redaction-rules");
    let mut v: Vec<Vec<u8>> = ["secrets.toml", "identifiers.toml"]
        .iter()
        .filter_map(|f| std::fs::read(root.join(f)).ok())
        .collect();
    v.push(
        b"[[rules]]\nid = \"acme\"\nregex = '''acme_[A-Z]{8}'''\nkeywords = [\"acme_\"]\n\n\
          [[keys]]\nid = \"pin\"\npattern = '''(?i)pin$'''\n\n\
          [[allowlists]]\nregexes = ['''^x+$''']\nstopwords = [\"dummy\"]\n"
            .to_vec(),
    );
    v
}

const RULES_SAMPLE: &str = "token acme_ABCDEFGH pin=482913 ip 10.1.2.3 mac 00:11:22:33:44:55\n\
    {\"user_pin\":\"5521\",\"note\":\"dummy acme_QWERTYUI\"}\n[db]\npassword = \"hunter2hunter2\"\n";

fn rules_run(input: &[u8]) -> Outcome {
    let dir = tempfile::tempdir().map_err(|e| format!("tempdir: {e}"))?;
    let path = dir.path().join("rules.toml");
    std::fs::write(&path, input).map_err(|e| format!("write: {e}"))?;
    let opts = Options::default()
        .with_rule_files(vec![path])
        .with_no_default_rules(true)
        .with_pseudonym_key(dir.path().join("pseudonym.key"))
        .with_hostnames(vec!["web01".into()])
        .with_usernames(vec!["alice".into()]);
    match Redactor::new(&opts) {
        Ok(r) => {
            let mut counts = Counts::default();
            for f in Format::ALL {
                let _ = r.redact_bytes(RULES_SAMPLE.as_bytes(), f, &mut counts);
            }
            let ids: Vec<String> = counts.by_rule().into_keys().collect();
            Ok(format!(
                "ok {} warnings {}",
                ids.join(","),
                r.warnings().len().min(2)
            ))
        }
        Err(e) => {
            let first = e.problems().first().map(|p| shape(p)).unwrap_or_default();
            if e.problems().is_empty() {
                return Err("a rule error with no problem listed".to_string());
            }
            Ok(format!("err {first}"))
        }
    }
}

const RULES_DICT: &[&[u8]] = &[
    b"[[rules]]\n",
    b"[[keys]]\n",
    b"[[allowlists]]\n",
    b"[[rules.allowlists]]\n",
    b"[allowlist]\n",
    b"id = \"r\"\n",
    b"regex = '''(?i)x{2,}'''\n",
    b"regex = '''(?P<n>a)\\k<n>'''\n",
    b"secretGroup = 3\n",
    b"entropy = 9.5\n",
    b"min_len = 0\n",
    b"keywords = []\n",
    b"keywords = [\"\"]\n",
    b"detector = \"pem\"\n",
    b"action = \"pseudonymize\"\n",
    b"prefix = \"\"\n",
    b"path = '''^a$'''\n",
    b"stopwords = [\"a\"]\n",
    b"regexTarget = \"line\"\n",
    b"(?-u:\\xff)",
    b"\\b",
    b"[^\\s]",
    b"{99999}",
];

#[test]
fn rules() {
    fuzz(&Target {
        name: "rules",
        seeds: rules_seeds,
        dict: RULES_DICT,
        max_len: 32 << 10,
        run: rules_run,
    });
}

// ---------------------------------------------------------------------- the redaction engine

/// The shared redactor: default rules with identifiers, as `collect` and `redact` use them.
fn redactor() -> &'static Redactor {
    static R: std::sync::OnceLock<(Redactor, tempfile::TempDir)> = std::sync::OnceLock::new();
    &R.get_or_init(|| {
        let dir = tempfile::tempdir().expect("tempdir");
        let r = Redactor::new(
            &Options::default()
                .with_pseudonym_key(dir.path().join("pseudonym.key"))
                .with_hostnames(vec!["web01".into(), "web01.corp.example.net".into()])
                .with_usernames(vec!["alice".into()]),
        )
        .expect("default rules compile");
        (r, dir)
    })
    .0
}

const ALNUM: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
const UPPER32: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
const URLSAFE: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-";
const B64: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// A secret to plant: the record as written in its syntax, the format to redact it as, and
/// the random parts that must not survive.
#[derive(Debug)]
struct Plant {
    record: String,
    format: Format,
    /// The record must sit on a line of its own (key syntaxes of structured formats).
    own_line: bool,
    secrets: Vec<String>,
    what: String,
}

/// Random alphanumeric text with at least one letter and one digit (so it is never mistaken
/// for a word or a number by an entropy check).
fn value(r: &mut Rng, n: usize) -> String {
    let mut s = r.string(ALNUM, n - 2);
    s.insert(r.below(s.len() + 1), (b'a' + r.below(26) as u8) as char);
    s.insert(r.below(s.len() + 1), (b'0' + r.below(10) as u8) as char);
    s
}

/// A token secret by shape: (token, the parts that must not survive, shape name). Besides
/// bare tokens, the generated log fragments, whose secrets are in text forms (`k=v`,
/// `Header: value`, `--flag=value`, URLs), in plain text and inside JSON, YAML, TOML and env
/// string values alike.
fn token(r: &mut Rng) -> (String, Vec<String>, &'static str) {
    match r.below(4) {
        0 => {
            let body = r.string(ALNUM, 36);
            let p = ["ghp_", "gho_", "ghu_", "ghs_", "ghr_"][r.below(5)];
            (format!("{p}{body}"), vec![body], "github-token")
        }
        1 => {
            let body = r.string(UPPER32, 16);
            let p = ["AKIA", "ASIA", "ABIA", "ACCA"][r.below(4)];
            (format!("{p}{body}"), vec![body], "aws-access-key-id")
        }
        2 => {
            let n = 12 + r.below(60);
            let payload = r.string(URLSAFE, n);
            let n = 20 + r.below(40);
            let sig = r.string(URLSAFE, n);
            (
                format!("eyJhbGciOiJIUzI1NiJ9.eyJ{payload}.{sig}"),
                vec![payload, sig],
                "jwt",
            )
        }
        _ => {
            let (frag, s) = testdata::secret_fragment(r.below(testdata::KINDS), r);
            (frag, vec![s], "testdata-fragment")
        }
    }
}

fn plant(r: &mut Rng) -> Plant {
    let syntaxes = [
        Format::Text,
        Format::Json,
        Format::Toml,
        Format::Yaml,
        Format::Env,
    ];
    let format = syntaxes[r.below(syntaxes.len())];
    let kind = r.below(3);
    if kind == 0 {
        // PEM private key block: lines of its own in every syntax.
        let header = [
            "RSA PRIVATE KEY",
            "PRIVATE KEY",
            "EC PRIVATE KEY",
            "OPENSSH PRIVATE KEY",
        ][r.below(4)];
        let lines = 1 + r.below(6);
        let mut body: Vec<String> = (0..lines).map(|_| r.string(B64, 64)).collect();
        let n = 20 + r.below(40);
        body.push(r.string(B64, n) + "==");
        let block = format!(
            "-----BEGIN {header}-----\n{}\n-----END {header}-----",
            body.join("\n")
        );
        let secrets: Vec<String> = body
            .iter()
            .map(|b| b.trim_end_matches('=').to_string())
            .collect();
        let record = match (format, r.below(2)) {
            (Format::Json, 0) => format!(
                "{{\"key\":{}}}",
                serde_json::to_string(&(block.clone() + "\n")).expect("json")
            ),
            _ => block,
        };
        return Plant {
            record,
            format,
            own_line: true,
            secrets,
            what: format!("pem in {}", format.as_str()),
        };
    }
    let (secret_text, secrets, shape_name, is_password) = if kind == 1 {
        let (t, s, n) = token(r);
        (t, s, n, false)
    } else {
        let n = 10 + r.below(20);
        let v = value(r, n);
        (v.clone(), vec![v], "password", true)
    };
    let key = ["password", "db_password", "passwd", "mqtt_password"][r.below(4)];
    let (record, own_line) = match (format, is_password) {
        (Format::Text, true) => match r.below(3) {
            0 => (format!("{key}={secret_text}"), false),
            1 => (format!("\"{key}\":\"{secret_text}\""), false),
            _ => (format!("login {key}={secret_text} retry=1"), false),
        },
        (Format::Text, false) => (secret_text, false),
        (Format::Json, true) => match r.below(2) {
            0 => (format!("{{\"{key}\": \"{secret_text}\"}}"), true),
            _ => (
                format!("{{\"db\":{{\"{key}\":\"{secret_text}\",\"port\":5432}}}}"),
                true,
            ),
        },
        (Format::Json, false) => (
            format!(
                "{{\"level\":\"info\",\"msg\":{}}}",
                serde_json::to_string(&secret_text).expect("json")
            ),
            true,
        ),
        (Format::Toml, true) => match r.below(2) {
            0 => (format!("{key} = \"{secret_text}\""), true),
            _ => (format!("[database]\n{key} = '{secret_text}'"), true),
        },
        (Format::Toml, false) => (
            format!(
                "note = {}",
                serde_json::to_string(&secret_text).expect("json")
            ),
            true,
        ),
        (Format::Yaml, true) => match r.below(2) {
            0 => (format!("{key}: {secret_text}"), true),
            _ => (format!("db:\n  {key}: \"{secret_text}\""), true),
        },
        (Format::Yaml, false) => (format!("note: {secret_text}"), true),
        (Format::Env, true) => match r.below(2) {
            0 => (format!("{}={secret_text}", key.to_ascii_uppercase()), true),
            _ => (
                format!("export {}=\"{secret_text}\"", key.to_ascii_uppercase()),
                true,
            ),
        },
        (Format::Env, false) => (format!("NOTE=\"{secret_text}\""), true),
        _ => unreachable!("only the syntaxes listed above are drawn"),
    };
    Plant {
        record,
        format,
        own_line,
        secrets,
        what: format!("{shape_name} in {}", format.as_str()),
    }
}

/// A reader that hands out the data in the given chunk sizes.
struct Chunked<'a> {
    data: &'a [u8],
    cuts: Vec<usize>,
    i: usize,
}

impl Read for Chunked<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let want = self.cuts.get(self.i).copied().unwrap_or(usize::MAX).max(1);
        self.i += 1;
        let n = want.min(buf.len()).min(self.data.len());
        buf[..n].copy_from_slice(&self.data[..n]);
        self.data = &self.data[n..];
        Ok(n)
    }
}

fn stream(r: &Redactor, data: &[u8], cuts: Vec<usize>, format: Format) -> Vec<u8> {
    let mut out = Vec::new();
    let mut counts = Counts::default();
    r.redact_stream(Chunked { data, cuts, i: 0 }, &mut out, format, &mut counts)
        .expect("streaming into memory cannot fail");
    out
}

/// Where the engine's seams are: read blocks (64 KiB) and, on long lines, window ends
/// (64 KiB after the window start) and commit points (60 KiB after it).
const SEAMS: &[usize] = &[0, 61_440, 65_536, 122_880, 126_976, 131_072];

/// Separators that end a token in every syntax (a token glued to letters is another word).
const SEPS: &[&str] = &[
    " ", "\t", "\n", ",", ";", "(", ")", "[", "]", "<", ">", "|", " : ",
];

/// Build the case an input describes: (data, plant, chunk cuts).
fn redaction_case(input: &[u8]) -> (Vec<u8>, Plant, Vec<usize>) {
    let digest = sha256_hex(input);
    let mut r = Rng::new(u64::from_str_radix(&digest[..16], 16).expect("hex"));
    let p = plant(&mut r);
    // Filler: the input, optionally as one long line so the engine scans it in windows.
    let mut filler: Vec<u8> = input.to_vec();
    if r.below(2) == 0 {
        for b in &mut filler {
            if *b == b'\n' {
                *b = b' ';
            }
        }
    }
    if filler.is_empty() {
        filler.push(b' ');
    }

    let seam = SEAMS[r.below(SEAMS.len())];
    let pos = if seam == 0 {
        r.below(filler.len() + 1)
    } else {
        // Straddle the seam: the record starts up to its own length before it.
        seam.saturating_sub(r.below(p.record.len() + 2))
    };
    let mut data = Vec::with_capacity(pos + p.record.len() + filler.len() * 2);
    while data.len() < pos {
        let need = pos - data.len();
        data.extend_from_slice(&filler[..need.min(filler.len())]);
    }
    let (before, after) = if p.own_line {
        ("\n", "\n")
    } else {
        (SEPS[r.below(SEPS.len())], SEPS[r.below(SEPS.len())])
    };
    data.extend_from_slice(before.as_bytes());
    let at = data.len();
    data.extend_from_slice(p.record.as_bytes());
    data.extend_from_slice(after.as_bytes());
    let tail = r.below(filler.len() + 1);
    data.extend_from_slice(&filler[..tail]);
    // Chunks: random sizes, with one cut inside the record.
    let mut cuts = Vec::new();
    let inside = at + 1 + r.below(p.record.len().saturating_sub(1).max(1));
    let mut done = 0;
    while done < data.len() {
        let mut n = match r.below(4) {
            0 => 1 + r.below(16),
            1 => 1 + r.below(4096),
            _ => 1 + r.below(70_000),
        };
        if done < inside && done + n > inside {
            n = inside - done;
        }
        n = n.min(data.len() - done);
        cuts.push(n);
        done += n;
    }
    (data, p, cuts)
}

fn redaction_run(input: &[u8]) -> Outcome {
    let red = redactor();
    // Whatever the bytes, every format: chunking never changes the output.
    let mut sink = Counts::default();
    for f in Format::ALL {
        let whole = red.redact_bytes(input, f, &mut sink);
        let sizes: Vec<usize> = (0..input.len()).map(|i| 1 + (i * 7919) % 97).collect();
        if stream(red, input, sizes, f) != whole {
            return Err(format!(
                "chunked output differs from whole output ({})",
                f.as_str()
            ));
        }
    }
    let (data, p, cuts) = redaction_case(input);
    let mut counts = Counts::default();
    let whole = red.redact_bytes(&data, p.format, &mut counts);
    let streamed = stream(red, &data, cuts, p.format);
    if streamed != whole {
        return Err(format!(
            "{}: chunked output differs from whole output",
            p.what
        ));
    }
    for s in &p.secrets {
        if let Some(i) = memchr_find(&streamed, s.as_bytes()) {
            let from = i.saturating_sub(200);
            let to = (i + s.len() + 200).min(streamed.len());
            return Err(format!(
                "{}: secret {s:?} survived; record {:?}; output around it: {:?}",
                p.what,
                p.record,
                String::from_utf8_lossy(&streamed[from..to])
            ));
        }
    }
    let mut ids: Vec<String> = counts.by_rule().into_keys().collect();
    ids.sort();
    Ok(format!("{} / {}", p.what, ids.join(",")))
}

fn memchr_find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

fn redaction_seeds() -> Vec<Vec<u8>> {
    let mut v = vec![
        testdata::corpus(1, 30, 4).text.into_bytes(),
        testdata::DECOYS.join("\n").into_bytes(),
        b"[general]\nmode = \"detect\"\n[integration.siem]\nusername = \"svc\"\nurl = \"http://127.0.0.1:9200\"\n"
            .to_vec(),
        b"{\"level\":\"info\",\"headers\":{\"Authorization\":[\"REDACTED\"]},\"msg\":\"ok\"}\n".to_vec(),
        b"server:\n  listen: 127.0.0.1\n  tls:\n    cert: |\n      MIIB\n      MIIC\n".to_vec(),
        b"HOME=/root\nPATH=/usr/bin\nexport LANG=C.UTF-8\n".to_vec(),
        Vec::new(),
    ];
    v.push(b"x".repeat(300));
    v
}

const REDACTION_DICT: &[&[u8]] = &[
    b"password",
    b"token",
    b"=",
    b": ",
    b"\"",
    b"'",
    b"\n",
    b"\\n",
    b"\\\"",
    b"[section]\n",
    b"[integration.siem]\n",
    b"key: |\n",
    b"\"\"\"",
    b"-----BEGIN RSA PRIVATE KEY-----\n",
    b"-----END RSA PRIVATE KEY-----\n",
    b"eyJ",
    b"ghp_",
    b"AKIA",
    b"export ",
    b"{",
    b"}",
    b"Bearer ",
    b"://",
    b"${X}",
    b"[REDACTED:x]",
    b"\xff\xfe",
    b"\xe2\x80\x8b",
];

#[test]
fn redaction() {
    // Compile the rules before the clock starts: that is not per-input work.
    redactor();
    fuzz(&Target {
        name: "redaction",
        seeds: redaction_seeds,
        dict: REDACTION_DICT,
        max_len: 16 << 10,
        run: redaction_run,
    });
}

/// The harness catches what it must: a panic and a hang are failures.
#[test]
fn harness_reports_panics_and_hangs() {
    let w = Worker::new(|_| panic!("boom"));
    let e = w.run(b"x", Duration::from_secs(5)).unwrap_err();
    assert!(e.contains("panicked: boom"), "{e}");
    let w = Worker::new(|_| {
        std::thread::sleep(Duration::from_millis(400));
        Ok(String::new())
    });
    let e = w.run(b"x", Duration::from_millis(50)).unwrap_err();
    assert!(e.starts_with("hang"), "{e}");
}

/// The redaction cases do what the property claims: the record is planted verbatim, a read
/// cut falls inside it, and the engine's seams are straddled.
#[test]
fn redaction_cases_plant_across_seams() {
    let mut r = Rng::new(7);
    let mut straddled = HashSet::new();
    let mut syntaxes = HashSet::new();
    for _ in 0..300 {
        let n = 1 + r.below(200);
        let input = r.string(b"ab c=\n", n).into_bytes();
        let (data, p, cuts) = redaction_case(&input);
        let at = memchr_find(&data, p.record.as_bytes()).expect("record planted verbatim");
        let end = at + p.record.len();
        assert_eq!(cuts.iter().sum::<usize>(), data.len());
        let mut offset = 0;
        let mut cut_inside = false;
        for c in &cuts {
            offset += c;
            cut_inside |= offset > at && offset < end;
        }
        assert!(
            cut_inside || p.record.len() < 2,
            "no cut inside {:?}",
            p.record
        );
        for &seam in &SEAMS[1..] {
            if at <= seam && seam < end {
                straddled.insert(seam);
            }
        }
        syntaxes.insert(p.format);
        for s in &p.secrets {
            assert!(p.record.contains(s.as_str()), "{s:?} not in {:?}", p.record);
        }
    }
    assert_eq!(
        straddled.len(),
        SEAMS.len() - 1,
        "seams straddled: {straddled:?}"
    );
    assert_eq!(syntaxes.len(), 5);
}

/// Found by the redaction target: key-style secrets written as text inside a value
/// (`"msg":"login password=..."`, a command line in a JSON field or a YAML scalar) come out
/// in clear when the content is redacted as JSON, YAML or (for some forms) TOML, though the
/// same line as text is redacted. Ignored until the engine handles it;
/// run with `cargo test --test fuzz -- --ignored`.
#[test]
fn known_leak_text_forms_inside_structured_values() {
    let red = redactor();
    let cases: &[(&str, Format, &str)] = &[
        (
            "{\"level\":\"info\",\"msg\":\"passwd: CszkMXgXt6\"}\n",
            Format::Json,
            "CszkMXgXt6",
        ),
        (
            "{\"cmdline\":\"mysql --password=Cszk7XgXt6 db\"}\n",
            Format::Json,
            "Cszk7XgXt6",
        ),
        (
            "{\"msg\":\"PGPASSWORD=Pq4wLr8sTz psql -h db\"}\n",
            Format::Json,
            "Pq4wLr8sTz",
        ),
        (
            "command: mysql --password=Cszk7XgXt6 db\n",
            Format::Yaml,
            "Cszk7XgXt6",
        ),
        (
            "note = \"X-Api-Key: H5d8KcwrYVF9Ux1hPO6JykqQwp7jgwq8Aqzh5u1R\"\n",
            Format::Toml,
            "H5d8KcwrYVF9Ux1hPO6JykqQwp7jgwq8Aqzh5u1R",
        ),
    ];
    let mut leaks = Vec::new();
    for (input, format, secret) in cases {
        let mut c = Counts::default();
        let out = red.redact_bytes(input.as_bytes(), *format, &mut c);
        if memchr_find(&out, secret.as_bytes()).is_some() {
            leaks.push(format!(
                "{} {:?}",
                format.as_str(),
                String::from_utf8_lossy(&out)
            ));
        }
        // The same line as text is redacted: the rules know the form.
        let text = red.redact_bytes(input.as_bytes(), Format::Text, &mut c);
        assert!(memchr_find(&text, secret.as_bytes()).is_none(), "{input}");
    }
    assert!(leaks.is_empty(), "secrets survived:\n{}", leaks.join("\n"));
}

/// Found by the redaction target: in env (and INI) syntax, a long line with many `=` (here 128 KiB of
/// `"o= 25`, no newline) takes time quadratic in the line up to the 64 KiB window: about 0.7 s
/// for 128 KiB and 8 s for 1.2 MB in a release build, against milliseconds as text, JSON,
/// TOML or YAML. Each `=` looks back for a quoted key and forward to the end of the line.
/// Ignored until the engine is fixed; run with
/// `cargo test --profile fuzz --test fuzz -- --ignored`.
#[test]
fn known_slow_env_and_ini_syntax_on_long_lines() {
    let red = redactor();
    let line = "\"o= 25".repeat(21_845);
    let mut took = Vec::new();
    for f in Format::ALL {
        let started = Instant::now();
        let mut c = Counts::default();
        let _ = red.redact_bytes(line.as_bytes(), f, &mut c);
        took.push((f.as_str(), started.elapsed()));
    }
    let slow: Vec<_> = took
        .iter()
        .filter(|(_, t)| *t > Duration::from_millis(250))
        .collect();
    assert!(slow.is_empty(), "slow formats: {slow:?} (all: {took:?})");
}

/// Found by the redaction target: a 128 KiB line of `HOME=HOME=…` took 1.5 s as TOML and
/// 0.4 s as env or INI: every `=` starts a bare value with no stop byte before the end of the
/// line, and each was scanned to the end. The same line must not cost more than text does,
/// and a secret on the next line is still found.
#[test]
fn known_slow_bare_values_running_to_the_end_of_a_long_line() {
    let red = redactor();
    let mut took = Vec::new();
    for line in ["HOME=".repeat(26_000), "a=b,".repeat(32_000)] {
        // A token every format's rules catch by its shape, after the long line.
        let planted = format!("{line}\ntoken ghp_R8kT2mQ9vX4nL7pW3sZ6yB1cD5fG8hJ0kM2q\n");
        for f in Format::ALL {
            let started = Instant::now();
            let mut c = Counts::default();
            let out = red.redact_bytes(planted.as_bytes(), f, &mut c);
            took.push((f.as_str(), started.elapsed()));
            assert!(
                memchr_find(&out, b"R8kT2mQ9vX4nL7pW3sZ6").is_none(),
                "{} leaked the token",
                f.as_str()
            );
        }
    }
    let slow: Vec<_> = took
        .iter()
        .filter(|(_, t)| *t > Duration::from_millis(250))
        .collect();
    assert!(slow.is_empty(), "slow formats: {slow:?} (all: {took:?})");
}

/// Found by the redaction target: in text, a `key=value` or `Header: value` secret right
/// after `]`, `)`, `<` or `>` (`[db]password=...`, `<password=...>`, `>Cookie: ...`) comes
/// out in clear, while after a space,
/// `(`, `[`, `,` or `;` it is redacted. Ordinary keys glued to a bracket stay as they are.
#[test]
fn known_leak_key_right_after_a_bracket() {
    let red = redactor();
    let mut leaks = Vec::new();
    for line in [
        "[db]password=hunter2x9\n",
        "settings: db_password=${]passwd=XXfcdM3W50q>\n",
        "<password=hunter2x9>\n",
        "f(x)password=hunter2x9\n",
        "a>password=hunter2x9\n",
        // A random password before `(` is not a call like `loadApiKey(cfg)`.
        "<passwd=kVapydI3gE0ITK337z6q7RRmzN(Nov 25 10:19:30 buildhost caddy[1021]: ok\n",
        "{\"level\":\"inf>Cookie: session=Zi7TibpwrVBanKtsCPrlfUXA4D4uznnh; theme=dark\n",
    ] {
        let mut c = Counts::default();
        let out = red.redact_bytes(line.as_bytes(), Format::Text, &mut c);
        let secret: &[u8] = if line.contains("XXfcdM3W50q") {
            b"XXfcdM3W50q"
        } else if line.contains("kVapydI3gE0") {
            b"kVapydI3gE0ITK337z6q7RRmzN"
        } else if line.contains("Zi7Tibpw") {
            b"Zi7TibpwrVBanKtsCPrlfUXA4D4uznnh"
        } else {
            b"hunter2x9"
        };
        if memchr_find(&out, secret).is_some() {
            leaks.push(String::from_utf8_lossy(&out).into_owned());
        }
    }
    assert!(leaks.is_empty(), "secrets survived:\n{}", leaks.concat());
    for line in [
        "a[b]c=d\n",
        "[db]port=5432 f(x)count=3 <note=hello> a>b=c\n",
        "[INFO]Started caddy.service (pid)kestrel_engine=ready <gojinn=up>\n",
        "if (a)<=b && arr[i]>=n\n",
    ] {
        let mut c = Counts::default();
        let out = red.redact_bytes(line.as_bytes(), Format::Text, &mut c);
        assert_eq!(
            String::from_utf8_lossy(&out),
            line,
            "counts {:?}",
            c.by_rule()
        );
    }
}

/// Found by the redaction target: in text, a `Cookie:` header whose line later holds an
/// unclosed `[REDACTED` (a line cut short, or that text logged) comes out in clear: the value
/// runs to the end of the line and was taken for one already masked. Only a value that is a
/// marker counts as masked.
#[test]
fn known_leak_header_value_before_an_unclosed_redacted_marker() {
    let red = redactor();
    for line in [
        "Cookie: session=57QYhfwoRqNXj7cCCUyQ8Frlbaea8nde; theme=dark api_key=[REDACTED\n",
        "Cookie: session=57QYhfwoRqNXj7cCCUyQ8Frlbaea8nde; api_key=[REDACTED:token]\n",
        "password=57QYhfwoRqNXj7cCCUyQ8Frlbaea8nde[REDACTED:x]\n",
    ] {
        let mut c = Counts::default();
        let out = red.redact_bytes(line.as_bytes(), Format::Text, &mut c);
        assert!(
            memchr_find(&out, b"57QYhfwoRqNXj7cCCUyQ8Frlbaea8nde").is_none(),
            "survived: {}",
            String::from_utf8_lossy(&out)
        );
    }
    // A value masked already stays as it is.
    for line in [
        "api_key=[REDACTED:token] next=1\n",
        "Cookie: [REDACTED:cookie]\n",
    ] {
        let mut c = Counts::default();
        let out = red.redact_bytes(line.as_bytes(), Format::Text, &mut c);
        assert_eq!(
            String::from_utf8_lossy(&out),
            line,
            "counts {:?}",
            c.by_rule()
        );
    }
}

/// Found by the redaction target: in text, an env-style `KEY=value` at the start of a line
/// (or after `: `, as journald prints it) is not redacted at all when 100 or more bytes
/// follow it on the line; with a short tail it is.
#[test]
fn known_leak_env_style_value_with_a_long_line_tail() {
    let red = redactor();
    let secret = "N2gSIAxupq0rWzLaIfRCIHUcd0HLJDGh6O4vARkx";
    let tail = "b".repeat(200);
    let mut leaks = Vec::new();
    for line in [
        format!("AWS_SESSION_TOKEN={secret} {tail}\n"),
        format!("Nov 25 10:00:00 host app[1]: AWS_SESSION_TOKEN={secret} {tail}\n"),
    ] {
        let mut c = Counts::default();
        let out = red.redact_bytes(line.as_bytes(), Format::Text, &mut c);
        if memchr_find(&out, secret.as_bytes()).is_some() {
            leaks.push(String::from_utf8_lossy(&out).into_owned());
        }
    }
    assert!(leaks.is_empty(), "secrets survived:\n{}", leaks.concat());
}

/// Triage aid: write the case a saved redaction input describes, and its redacted output,
/// next to it (`FUZZ_CASE=fuzz/corpus/redaction/<hash> cargo test --profile fuzz --test fuzz
/// -- --ignored write_redaction_case`).
#[test]
#[ignore = "triage aid, needs FUZZ_CASE"]
fn write_redaction_case() {
    let path = PathBuf::from(std::env::var("FUZZ_CASE").expect("FUZZ_CASE names an input"));
    let input = std::fs::read(&path).expect("read the input");
    let (data, p, _) = redaction_case(&input);
    let mut c = Counts::default();
    let out = redactor().redact_bytes(&data, p.format, &mut c);
    std::fs::write(path.with_extension("case"), &data).expect("write the case");
    std::fs::write(path.with_extension("out"), &out).expect("write the output");
    eprintln!("{} as {}: record {:?}", p.what, p.format.as_str(), p.record);
}
