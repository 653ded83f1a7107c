//! The redaction stage: every byte that enters a bundle or an issue body passes through a
//! [`Redactor`] first.
//!
//! - Rules come from `redaction-rules/secrets.toml` and `redaction-rules/identifiers.toml`
//!   (embedded) plus the user's files, in a gitleaks-compatible TOML format (`rules`).
//! - A secret becomes `[REDACTED:<rule-id>]`; an identifier becomes a keyed pseudonym such as
//!   `host-3fa2c1` ([`pseudonym`]).
//! - Values found by key-based rules can be learned ([`Redactor::learn`]) and are then masked
//!   wherever they occur, like literals given with `--redact`.
//! - [`Redactor::redact_stream`] works in bounded memory on inputs of any size (`engine`).
//! - [`report_json`] renders `redaction-report.json`: counts per item and rule, never values.

mod builtin;
mod engine;
mod prefilter;
pub mod pseudonym;
mod redacted;
mod report;
mod rules;
mod scan;
mod structured;
#[doc(hidden)]
pub mod testdata;

use std::collections::BTreeMap;
use std::io::{self, Read, Write};
use std::path::PathBuf;

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, AhoCorasickKind, MatchKind};
use regex::bytes::Regex;

use crate::item::Format;
pub use redacted::{Redacted, RedactedText, redact_items};
pub use report::{ItemCounts, REPORT_FORMAT, Report, report_json};
use rules::{Action, Allowlist, Detector, KeyRule, PatternRule, RuleSet};

/// How to build a [`Redactor`].
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// Extra rule files (`--rules`), gitleaks-compatible TOML.
    pub rule_files: Vec<PathBuf>,
    /// Turn off the built-in secret and identifier rule sets (`--no-default-rules`).
    pub no_default_rules: bool,
    /// Do not pseudonymize identifiers (`--keep-identifiers`).
    pub keep_identifiers: bool,
    /// Literal values to redact wherever they occur (`--redact VALUE`).
    pub literals: Vec<String>,
    /// Pseudonym key file (`--pseudonym-key`); default: `$SUPPORT_BUNDLE_PSEUDONYM_KEY`, else
    /// the per-installation key in the user's config dir (created on first use).
    pub pseudonym_key: Option<PathBuf>,
    /// Host names to pseudonymize; `None` detects this machine's name and FQDN.
    pub hostnames: Option<Vec<String>>,
    /// User names to pseudonymize; `None` detects `$USER` and the names under `/home`.
    pub usernames: Option<Vec<String>>,
}

/// An error loading or compiling redaction rules, or reading the pseudonym key. Lists every
/// problem found, one per line, each as `file:line: message`.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{}", .problems.join("\n"))]
pub struct RuleError {
    problems: Vec<String>,
}

impl RuleError {
    /// Each problem, one line each.
    pub fn problems(&self) -> &[String] {
        &self.problems
    }
}

/// Replacement counts per rule, for one piece of content. Never holds the values.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Counts(BTreeMap<String, u64>);

impl Counts {
    /// Total replacements.
    pub fn total(&self) -> u64 {
        self.0.values().sum()
    }
    /// Per rule id, sorted.
    pub fn by_rule(&self) -> BTreeMap<String, u64> {
        self.0.clone()
    }
    /// Add another set of counts to this one.
    pub fn merge(&mut self, other: &Counts) {
        for (k, v) in &other.0 {
            *self.0.entry(k.clone()).or_default() += v;
        }
    }
    /// Add `n` replacements for rule `id`.
    pub fn add(&mut self, id: &str, n: u64) {
        if n > 0 {
            *self.0.entry(id.to_string()).or_default() += n;
        }
    }
}

/// Compiled rules and the prefilter over their keywords.
#[derive(Debug)]
pub(crate) struct Compiled {
    rules: Vec<PatternRule>,
    keys: Vec<KeyRule>,
    global_allow: Vec<Allowlist>,
    /// Counter labels: rules, then key rules, then `literal`.
    labels: Vec<String>,
    /// Pseudonym prefix per counter.
    prefixes: Vec<String>,
    /// Number of trigger ids: rules, then key rules, then the name search (`ident_ac`).
    triggers: usize,
    prefilter: prefilter::Prefilter,
    keys_always: bool,
    /// Key-name prefilter: keywords of key rules, and per keyword the rules (bit i = rule i).
    key_keyword_ac: Option<AhoCorasick>,
    key_keyword_mask: Vec<u64>,
    /// Key rules without keywords, and every rule past the 64th: always plausible.
    key_always_mask: u64,
    pem_begin: Regex,
    pseudonymizer: Option<pseudonym::Pseudonymizer>,
    ipv4: Option<usize>,
    ipv6: Option<usize>,
    mac: Option<usize>,
    ident_ac: Option<AhoCorasick>,
    ident_counter: Vec<usize>,
    /// Counter for each literal in the secret automaton.
    literal_counter: Vec<usize>,
}

impl Compiled {
    /// The first key rule that claims `key` within `section`.
    fn key_rule_for(&self, key: &[u8], section: &[u8]) -> Option<usize> {
        // Most keys in a JSON log line are not secret-like: one automaton pass over the key
        // for the rules' keywords rejects them before any regex runs.
        let mut plausible = self.key_always_mask;
        if let Some(ac) = &self.key_keyword_ac {
            for m in ac.find_overlapping_iter(key) {
                plausible |= self.key_keyword_mask[m.pattern().as_usize()];
            }
        }
        if plausible == 0 {
            return None;
        }
        self.keys.iter().enumerate().position(|(i, r)| {
            (i >= 64 || plausible & (1 << i) != 0)
                && r.pattern.is_match(key)
                && !r.exclude.as_ref().is_some_and(|x| x.is_match(key))
                && r.path
                    .as_ref()
                    .is_none_or(|p| !section.is_empty() && p.is_match(section))
        })
    }

    fn literal_counter_id(&self) -> usize {
        self.rules.len() + self.keys.len()
    }
}

/// Compiled rules plus learned secrets.
#[derive(Debug)]
pub struct Redactor {
    c: Compiled,
    warnings: Vec<String>,
    /// Values to mask wherever they occur, with their counter: `--redact` values and learned.
    literals: BTreeMap<Vec<u8>, usize>,
    secret_ac: Option<AhoCorasick>,
}

/// Learned values shorter than this are too likely to occur by chance.
const MIN_LEARNED: usize = 6;

impl Redactor {
    /// Compile the rule sets the options name.
    pub fn new(opts: &Options) -> Result<Self, RuleError> {
        let mut set = RuleSet::default();
        let mut problems = Vec::new();
        if !opts.no_default_rules {
            for (name, text) in builtin::defaults(opts.keep_identifiers) {
                if let Err(p) = set.load(name, text) {
                    problems.extend(p);
                }
            }
        }
        for path in &opts.rule_files {
            let name = path.display().to_string();
            match std::fs::read_to_string(path) {
                Ok(text) => {
                    if let Err(p) = set.load(&name, &text) {
                        problems.extend(p);
                    }
                }
                Err(e) => problems.push(format!("{name}: cannot read rule file: {e}")),
            }
        }
        if opts.keep_identifiers {
            set.rules.retain(|r| r.action != Action::Pseudonymize);
        }
        if !problems.is_empty() {
            return Err(RuleError { problems });
        }
        let c = compile(set.rules, set.keys, set.global_allow, opts)
            .map_err(|p| RuleError { problems: vec![p] })?;
        let mut warnings = set.warnings;
        if c.pseudonymizer.is_some() && key_path(opts).is_none() {
            warnings.push(
                "no config directory for the pseudonym key (set HOME or XDG_CONFIG_HOME, or pass \
                 --pseudonym-key): pseudonyms in this bundle will not match other runs"
                    .to_string(),
            );
        }
        let mut r = Redactor {
            c,
            warnings,
            literals: BTreeMap::new(),
            secret_ac: None,
        };
        let lit = r.c.literal_counter_id();
        for l in &opts.literals {
            if !l.is_empty() {
                r.literals.insert(l.as_bytes().to_vec(), lit);
            }
        }
        r.rebuild_literals();
        Ok(r)
    }

    /// Notes from loading: ignored gitleaks fields, rules skipped for unsupported regexes.
    pub fn warnings(&self) -> &[String] {
        &self.warnings
    }

    /// Learn secret values from content, found by key-based rules, to redact them everywhere.
    pub fn learn(&mut self, data: &[u8], format: Format) {
        let mut found = Vec::new();
        let mut section: Vec<u8> = Vec::new();
        for line in data.split(|&b| b == b'\n') {
            if matches!(format, Format::Toml | Format::Ini)
                && let Some(s) = structured::section_header(line)
            {
                section = s.to_vec();
            }
            structured::pairs(line, format, |p| {
                if p.form == structured::Form::Block {
                    return;
                }
                let key = &line[p.key.0..p.key.1];
                let Some(k) = self.c.key_rule_for(key, &section) else {
                    return;
                };
                let (mut vs, ve) = p.value;
                vs += structured::skip_auth_scheme(&line[vs..ve]);
                let v = line[vs..ve].trim_ascii();
                if v.len() >= MIN_LEARNED && !structured::is_placeholder(v) {
                    found.push((v.to_vec(), self.c.rules.len() + k));
                }
            });
        }
        let before = self.literals.len();
        for (v, counter) in found {
            self.literals.entry(v).or_insert(counter);
        }
        if self.literals.len() != before {
            self.rebuild_literals();
        }
    }

    fn rebuild_literals(&mut self) {
        if self.literals.is_empty() {
            self.secret_ac = None;
            return;
        }
        let pats: Vec<&Vec<u8>> = self.literals.keys().collect();
        self.c.literal_counter = self.literals.values().copied().collect();
        self.secret_ac = AhoCorasickBuilder::new()
            .match_kind(MatchKind::LeftmostLongest)
            .build(pats)
            .ok();
    }

    /// Redact a buffer.
    pub fn redact_bytes(&self, data: &[u8], format: Format, counts: &mut Counts) -> Vec<u8> {
        let mut out = Vec::with_capacity(data.len() + 64);
        // Reading from a slice and writing to a Vec cannot fail.
        let _ = self.redact_stream(data, &mut out, format, counts);
        out
    }

    /// Redact a short string (names, command lines, error messages): the same rules, learned
    /// values and literals as for content.
    pub fn redact_str(&self, s: &str, counts: &mut Counts) -> String {
        let out = self.redact_bytes(s.as_bytes(), Format::Text, counts);
        String::from_utf8(out)
            .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
    }

    /// Stream `input` to `output`, redacting, with bounded memory.
    pub fn redact_stream<R: Read, W: Write>(
        &self,
        input: R,
        output: W,
        format: Format,
        counts: &mut Counts,
    ) -> io::Result<()> {
        self.stream_with(input, output, format, counts, engine::Limits::default())
    }

    fn stream_with<R: Read, W: Write>(
        &self,
        input: R,
        output: W,
        format: Format,
        counts: &mut Counts,
        lim: engine::Limits,
    ) -> io::Result<()> {
        let mut eng = engine::Engine::new(&self.c, self.secret_ac.as_ref(), format, lim);
        let result = eng.run(input, output);
        for (i, &n) in eng.counts.iter().enumerate() {
            counts.add(&self.c.labels[i], n);
        }
        result
    }
}

/// Where the pseudonym key lives: `--pseudonym-key`, then the environment variable, then the
/// per-installation file in the config dir; `None` when there is no config dir.
fn key_path(opts: &Options) -> Option<PathBuf> {
    match (&opts.pseudonym_key, std::env::var_os(pseudonym::KEY_ENV)) {
        (Some(p), _) => Some(p.clone()),
        (None, Some(p)) if !p.is_empty() => Some(PathBuf::from(p)),
        _ => pseudonym::default_key_path(),
    }
}

fn compile(
    rules: Vec<PatternRule>,
    keys: Vec<KeyRule>,
    global_allow: Vec<Allowlist>,
    opts: &Options,
) -> Result<Compiled, String> {
    let mut labels: Vec<String> = rules.iter().map(|r| r.id.clone()).collect();
    labels.extend(keys.iter().map(|k| k.id.clone()));
    labels.push("literal".to_string());
    let mut prefixes: Vec<String> = rules.iter().map(|r| r.prefix.clone()).collect();
    prefixes.resize(labels.len(), String::new());

    // One gate per trigger: rules, then key rules.
    let mut gates = Vec::with_capacity(rules.len() + keys.len());
    for r in &rules {
        gates.push(match (r.detector, &r.regex) {
            (Detector::Regex | Detector::Pem, _) if !r.keywords.is_empty() => {
                prefilter::Gate::Keywords(&r.keywords)
            }
            (Detector::Regex, Some(re)) => prefilter::Gate::Regex(re.as_str()),
            (Detector::Regex | Detector::Pem, _) => prefilter::Gate::None,
            _ => prefilter::Gate::Never,
        });
    }
    let mut keys_always = false;
    for k in &keys {
        if k.keywords.is_empty() {
            keys_always = true;
            gates.push(prefilter::Gate::Never);
        } else {
            gates.push(prefilter::Gate::Keywords(&k.keywords));
        }
    }
    let mut key_kw: Vec<String> = Vec::new();
    let mut key_keyword_mask: Vec<u64> = Vec::new();
    let mut key_always_mask = 0u64;
    for (i, k) in keys.iter().enumerate() {
        if i >= 64 {
            break;
        }
        if k.keywords.is_empty() {
            key_always_mask |= 1 << i;
        }
        for w in &k.keywords {
            match key_kw.iter().position(|x| x == w) {
                Some(j) => key_keyword_mask[j] |= 1 << i,
                None => {
                    key_kw.push(w.clone());
                    key_keyword_mask.push(1 << i);
                }
            }
        }
    }
    let key_keyword_ac = if key_kw.is_empty() {
        None
    } else {
        Some(
            // Keys are short (at most 80 bytes): a DFA without a prefilter beats the default
            // automaton with one there.
            AhoCorasickBuilder::new()
                .ascii_case_insensitive(true)
                .kind(Some(AhoCorasickKind::DFA))
                .prefilter(false)
                .build(&key_kw)
                .map_err(|e| format!("key prefilter: {e}"))?,
        )
    };

    let find = |d: Detector| rules.iter().position(|r| r.detector == d);
    let mut ident_pats: Vec<String> = Vec::new();
    let mut ident_counter = Vec::new();
    for (det, names) in [
        (Detector::Hostname, opts.hostnames.clone()),
        (Detector::Username, opts.usernames.clone()),
    ] {
        let Some(i) = find(det) else { continue };
        let names = names.unwrap_or_else(|| match det {
            Detector::Hostname => pseudonym::machine_hostnames(),
            _ => pseudonym::machine_usernames(),
        });
        for n in names.into_iter().filter(|n| !n.is_empty()) {
            ident_pats.push(n);
            ident_counter.push(i);
        }
    }
    // One more trigger after the key rules: names to pseudonymize, searched only on lines
    // that hold one.
    let ident_lower: Vec<String> = ident_pats.iter().map(|n| n.to_ascii_lowercase()).collect();
    gates.push(if ident_lower.is_empty() {
        prefilter::Gate::Never
    } else {
        prefilter::Gate::Keywords(&ident_lower)
    });
    let prefilter = prefilter::Prefilter::new(&gates)?;
    drop(gates);
    let ident_ac = if ident_pats.is_empty() {
        None
    } else {
        Some(
            AhoCorasickBuilder::new()
                .match_kind(MatchKind::LeftmostLongest)
                .ascii_case_insensitive(true)
                .build(&ident_pats)
                .map_err(|e| format!("identifier matcher: {e}"))?,
        )
    };
    let pseudonymizer = if rules.iter().any(|r| r.action == Action::Pseudonymize) {
        let key = match key_path(opts) {
            Some(path) => pseudonym::load_or_create_key(&path)?,
            // No config dir (no HOME, e.g. under cron): a key for this run only.
            None => pseudonym::ephemeral_key()?,
        };
        Some(pseudonym::Pseudonymizer::new(&key))
    } else {
        None
    };
    let pem_begin = Regex::new(r"-----BEGIN[ A-Z0-9_-]{0,100}PRIVATE KEY(?: BLOCK)?-----")
        .map_err(|e| e.to_string())?;
    Ok(Compiled {
        triggers: rules.len() + keys.len() + 1,
        ipv4: find(Detector::Ipv4),
        ipv6: find(Detector::Ipv6),
        mac: find(Detector::Mac),
        rules,
        keys,
        global_allow,
        labels,
        prefixes,
        prefilter,
        keys_always,
        key_keyword_ac,
        key_keyword_mask,
        key_always_mask,
        pem_begin,
        pseudonymizer,
        ident_ac,
        ident_counter,
        literal_counter: Vec::new(),
    })
}

#[cfg(test)]
mod tests;
