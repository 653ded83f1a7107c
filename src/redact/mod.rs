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
mod compiled;
mod engine;
mod keyed;
mod orphan_keys;
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

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, MatchKind};

use crate::item::Format;
use compiled::Compiled;
pub use redacted::{Redacted, RedactedText, redact_items};
pub use report::{ItemCounts, REPORT_FORMAT, Report, report_json};
use rules::{Action, RuleSet};

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
        let mut warnings = std::mem::take(&mut set.warnings);
        let inputs = compiled::Inputs {
            hostnames: opts.hostnames.clone(),
            usernames: opts.usernames.clone(),
            key_path: key_path(opts),
        };
        let c = compiled::compile(set, inputs).map_err(|p| RuleError { problems: vec![p] })?;
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
                if let Some(keyed::Claim::Value { start, end, rule }) =
                    keyed::claim(&self.c, line, &p, &section)
                {
                    let v = line[start..end].trim_ascii();
                    if v.len() >= MIN_LEARNED {
                        found.push((v.to_vec(), self.c.rules.len() + rule));
                    }
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

#[cfg(test)]
mod tests;
