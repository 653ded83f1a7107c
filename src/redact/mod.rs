//! The redaction stage: every byte that enters a bundle or an issue body passes through a
//! [`Redactor`] first.
//!
//! - Rules come from `redaction-rules/secrets.toml` and `redaction-rules/identifiers.toml`
//!   (embedded) plus the user's files, in a gitleaks-compatible TOML format (`rules`).
//! - A secret becomes `[REDACTED:<rule-id>:<n>]`: equal values get equal numbers and different
//!   values different ones, across everything one [`Redactor`] redacts (`memo`). An
//!   identifier becomes a keyed pseudonym such as `host-3fa2c1` ([`pseudonym`]).
//! - Values found by key-based rules are learned ([`Redactor::learn`]); those that could be
//!   secrets, and are not words of the spec's own ([`Vocabulary`]), are then masked wherever
//!   they occur, like literals given with `--redact`. Account names found by key rules are
//!   pseudonymized instead.
//! - Pseudonyms minted are remembered beside the pseudonym key, so `reveal` can map them
//!   back on the user's machine ([`reveal`]).
//! - [`Redactor::redact_stream`] works in bounded memory on inputs of any size (`engine`).
//! - [`report_json`] renders `redaction-report.json`: counts per item and rule, never values.

mod builtin;
mod compiled;
mod engine;
mod keyed;
mod memo;
mod orphan_keys;
mod parallel;
mod prefilter;
pub mod pseudonym;
mod redacted;
mod report;
pub mod reveal;
mod rules;
mod scan;
mod structured;
#[doc(hidden)]
mod vocabulary;

use std::collections::BTreeMap;
use std::io::{self, Read, Write};
use std::path::PathBuf;
use std::sync::Mutex;

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, MatchKind};

use crate::item::Format;
use compiled::Compiled;
pub use redacted::{Redacted, RedactedText, redact_items};
pub use report::{ItemCounts, Learned, REPORT_FORMAT, Report, report_json};
use rules::{Action, RuleSet};
pub use vocabulary::Vocabulary;

/// How to build a [`Redactor`]: [`Options::default`] (the CLI's defaults), then the
/// `with_*` methods.
///
/// ```
/// use support_bundle::redact::{KeySource, Options};
///
/// let opts = Options::default()
///     .with_literals(vec!["hunter2-but-longer".into()])
///     .with_pseudonym_key_source(KeySource::DefaultFile("/etc/mytool/pseudonym.key".into()));
/// assert!(opts.pseudonym_key.is_none());
/// ```
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct Options {
    /// Extra rule files (`--rules`), gitleaks-compatible TOML.
    pub rule_files: Vec<PathBuf>,
    /// Turn off the built-in secret and identifier rule sets (`--no-default-rules`).
    pub no_default_rules: bool,
    /// Do not pseudonymize identifiers (`--keep-identifiers`).
    pub keep_identifiers: bool,
    /// Literal values to redact wherever they occur (`--redact VALUE`).
    pub literals: Vec<String>,
    /// Pseudonym key file (`--pseudonym-key`), created when absent; a key that cannot be
    /// used there is an error. It wins over [`Options::pseudonym_key_source`].
    pub pseudonym_key: Option<PathBuf>,
    /// Where the pseudonym key comes from when [`Options::pseudonym_key`] names no file: by
    /// default `$SUPPORT_BUNDLE_PSEUDONYM_KEY`, else the per-installation key in the user's
    /// config dir; a host tool names its own place or hands over the key.
    pub pseudonym_key_source: KeySource,
    /// Host names to pseudonymize; `None` detects this machine's name and FQDN.
    pub hostnames: Option<Vec<String>>,
    /// User names to pseudonymize; `None` detects the invoking user and the local accounts
    /// in the passwd database (under `sysroot` when given).
    pub usernames: Option<Vec<String>>,
    /// Domains whose host names are pseudonymized (`--domain`), besides this machine's own.
    pub domains: Vec<String>,
    /// Read the passwd database and host names under this root too (`collect --sysroot`).
    pub sysroot: Option<PathBuf>,
    /// Names never pseudonymized as host or user names: the project's own (a service
    /// account is often named after its service).
    pub keep_names: Vec<String>,
}

impl Options {
    builder_methods! {
        /// Extra rule files, gitleaks-compatible TOML.
        with_rule_files => rule_files: Vec<PathBuf>;
        /// Turn off the built-in secret and identifier rule sets.
        with_no_default_rules => no_default_rules: bool;
        /// Keep identifiers instead of pseudonymizing them.
        with_keep_identifiers => keep_identifiers: bool;
        /// Literal values to redact wherever they occur.
        with_literals => literals: Vec<String>;
        /// Where the pseudonym key comes from when no key file is named.
        with_pseudonym_key_source => pseudonym_key_source: KeySource;
        /// Domains whose host names are pseudonymized.
        with_domains => domains: Vec<String>;
        /// Names never pseudonymized as host or user names.
        with_keep_names => keep_names: Vec<String>;
    }
    builder_methods! {
        some
        /// The pseudonym key file; a key that cannot be used there is an error.
        with_pseudonym_key => pseudonym_key: PathBuf;
        /// Host names to pseudonymize instead of this machine's.
        with_hostnames => hostnames: Vec<String>;
        /// User names to pseudonymize instead of this machine's.
        with_usernames => usernames: Vec<String>;
        /// Read the passwd database and host names under this root too.
        with_sysroot => sysroot: PathBuf;
    }
}

/// Where the pseudonym key comes from when [`Options::pseudonym_key`] names no file.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum KeySource {
    /// `$SUPPORT_BUNDLE_PSEUDONYM_KEY` (a file, which must be usable), else the
    /// per-installation key in the user's config dir ([`pseudonym::default_key_path`]): what
    /// the `support-bundle` CLI uses.
    #[default]
    Installation,
    /// A host tool's own per-installation key file, created on first use. Where it can be
    /// neither read nor created, the run uses a key of its own and warns, as with the
    /// config dir. `reveal`'s map of minted pseudonyms is kept beside it.
    DefaultFile(PathBuf),
    /// A key the host holds; nothing is read or written, and no map for `reveal` is kept.
    Bytes(pseudonym::PseudonymKey),
    /// A random key for this run only: pseudonyms match nothing outside this run.
    RunOnly,
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
    /// Values to replace wherever they occur, with their counter and whether they are account
    /// names (pseudonymized): `--redact` values and learned ones.
    literals: BTreeMap<Vec<u8>, (usize, bool)>,
    secret_ac: Option<AhoCorasick>,
    /// Every value learned, and whether it is replaced bundle-wide; only counted, never shown.
    learned: BTreeMap<Vec<u8>, bool>,
    memo: memo::Memo,
    /// Where minted pseudonyms are kept for `reveal`; `None` with a key for this run only.
    reveal_map: Option<PathBuf>,
    /// Pseudonym caches of engines that finished, for the next ones: many short items are
    /// redacted one after another, and the same few hosts and addresses recur in them.
    caches: Mutex<Vec<pseudonym::Cache>>,
}

impl Redactor {
    /// Compile the rule sets the options name.
    pub fn new(opts: &Options) -> Result<Self, RuleError> {
        let mut set = RuleSet::default();
        let mut problems = Vec::new();
        if !opts.no_default_rules {
            for (name, text) in builtin::defaults(opts.keep_identifiers) {
                if let Err(p) = set.load_builtin(name, text) {
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
            // A key rule never lets the value it claims through: kept identifiers or not,
            // an account name under a credential's key is masked.
            for k in &mut set.keys {
                k.action = Action::Mask;
            }
        }
        if !problems.is_empty() {
            return Err(RuleError { problems });
        }
        let mut warnings = std::mem::take(&mut set.warnings);
        let pseudonymizes = set.rules.iter().any(|r| r.action == Action::Pseudonymize);
        let (key, key_warning) = match key_location(opts) {
            Some(KeyPath::Default(path)) if pseudonymizes => {
                match pseudonym::check_default_key(&path) {
                    Ok(()) => (compiled::Key::File(path), None),
                    Err(why) => (
                        compiled::Key::RunOnly,
                        Some(format!(
                            "{why}; using a key for this run only (pass --pseudonym-key FILE to \
                             keep one): pseudonyms in this bundle will not match other runs"
                        )),
                    ),
                }
            }
            Some(KeyPath::Default(path) | KeyPath::Chosen(path)) => {
                (compiled::Key::File(path), None)
            }
            Some(KeyPath::Given(key)) => (compiled::Key::Given(key), None),
            Some(KeyPath::RunOnly) => (compiled::Key::RunOnly, None),
            None => (
                compiled::Key::RunOnly,
                Some(
                    "no config directory for the pseudonym key (set HOME or XDG_CONFIG_HOME, or \
                     pass --pseudonym-key): pseudonyms in this bundle will not match other runs"
                        .to_string(),
                ),
            ),
        };
        let key_file = match &key {
            compiled::Key::File(path) => Some(path.clone()),
            compiled::Key::Given(_) | compiled::Key::RunOnly => None,
        };
        let inputs = compiled::Inputs {
            hostnames: opts.hostnames.clone(),
            usernames: opts.usernames.clone(),
            key,
            domains: opts.domains.clone(),
            sysroot: opts.sysroot.clone(),
            keep_names: opts.keep_names.clone(),
        };
        let c = compiled::compile(set, inputs).map_err(|p| RuleError { problems: vec![p] })?;
        if c.pseudonymizer.is_some() {
            warnings.extend(key_warning);
        }
        let reveal_map = match (&c.pseudonymizer, &key_file) {
            (Some(_), Some(key)) => Some(reveal::map_path(key)),
            _ => None,
        };
        let mut r = Redactor {
            c,
            warnings,
            literals: BTreeMap::new(),
            secret_ac: None,
            learned: BTreeMap::new(),
            memo: memo::Memo::default(),
            reveal_map,
            caches: Mutex::new(Vec::new()),
        };
        let lit = r.c.literal_counter_id();
        for l in &opts.literals {
            if !l.is_empty() {
                r.literals.insert(l.as_bytes().to_vec(), (lit, false));
            }
        }
        r.rebuild_literals();
        Ok(r)
    }

    /// Notes from loading: ignored gitleaks fields, rules skipped for unsupported regexes.
    pub fn warnings(&self) -> &[String] {
        &self.warnings
    }

    /// Learn values found by key-based rules in content. Those that could be secrets and are
    /// not words of `vocab` are then replaced wherever they occur; the rest only where found.
    pub fn learn(&mut self, data: &[u8], format: Format, vocab: &Vocabulary) {
        let mut found = Vec::new();
        let mut section: Vec<u8> = Vec::new();
        let mut memo = keyed::RuleMemo::default();
        for line in data.split(|&b| b == b'\n') {
            if matches!(format, Format::Toml | Format::Ini)
                && let Some(s) = structured::section_header(line)
            {
                section = s.to_vec();
            }
            structured::pairs(line, format, |p| {
                if let Some(keyed::Claim::Value { start, end, rule }) =
                    keyed::claim(&self.c, line, &p, &section, &mut memo)
                {
                    let v = line[start..end].trim_ascii();
                    if !v.is_empty() {
                        found.push((v.to_vec(), rule));
                    }
                }
            });
        }
        let before = self.literals.len();
        for (v, rule) in found {
            let account = self.c.keys[rule].action == Action::Pseudonymize;
            let spread = if account {
                vocab.may_propagate_account(&v)
            } else {
                vocab.may_propagate_secret(&v)
            };
            let spread = *self.learned.entry(v.clone()).or_insert(spread);
            if spread {
                let counter = self.c.rules.len() + rule;
                self.literals.entry(v).or_insert((counter, account));
            }
        }
        if self.literals.len() != before {
            self.rebuild_literals();
        }
    }

    /// Learn `value` as a secret to mask wherever it occurs, like a `--redact` value: a value
    /// the caller knows is secret (a spec variable that a key rule calls one). Values as short
    /// as those [`Redactor::learn`] skips are too likely to occur by chance and are not learned.
    pub fn learn_value(&mut self, value: &str) {
        let v = value.trim().as_bytes();
        if v.len() >= vocabulary::MIN_SECRET && !self.literals.contains_key(v) {
            let lit = self.c.literal_counter_id();
            self.literals.insert(v.to_vec(), (lit, false));
            self.rebuild_literals();
        }
    }

    fn rebuild_literals(&mut self) {
        if self.literals.is_empty() {
            self.secret_ac = None;
            return;
        }
        let pats: Vec<&Vec<u8>> = self.literals.keys().collect();
        self.c.literal_counter = self.literals.values().map(|&(c, _)| c).collect();
        self.c.literal_pseudo = self.literals.values().map(|&(_, p)| p).collect();
        self.secret_ac = AhoCorasickBuilder::new()
            .match_kind(MatchKind::LeftmostLongest)
            .build(pats)
            .ok();
    }

    /// Redact a buffer; one of several MiB on every core (see
    /// [`Redactor::redact_stream_parallel`]).
    pub fn redact_bytes(&self, data: &[u8], format: Format, counts: &mut Counts) -> Vec<u8> {
        let mut out = Vec::with_capacity(data.len() + 64);
        // Reading from a slice and writing to a Vec cannot fail.
        let _ = self.redact_stream_parallel(data, &mut out, format, counts, available_workers());
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

    /// As [`Redactor::redact_stream`], on up to `workers` threads when the input is large
    /// (several MiB): blocks of whole lines are redacted in parallel and written in input
    /// order. The output, mask numbers included, is exactly `redact_stream`'s. YAML, TOML
    /// and INI, whose meaning depends on earlier lines, stream on one thread.
    pub fn redact_stream_parallel<R: Read + Send, W: Write>(
        &self,
        input: R,
        output: W,
        format: Format,
        counts: &mut Counts,
        workers: usize,
    ) -> io::Result<()> {
        let workers = match format {
            Format::Yaml | Format::Toml | Format::Ini => 1,
            _ => workers,
        };
        let plan = parallel::Plan::new(workers);
        self.parallel_with(
            input,
            output,
            format,
            counts,
            plan,
            engine::Limits::default(),
        )
    }

    fn parallel_with<R: Read + Send, W: Write>(
        &self,
        input: R,
        output: W,
        format: Format,
        counts: &mut Counts,
        plan: parallel::Plan,
        lim: engine::Limits,
    ) -> io::Result<()> {
        let engines = parallel::Engines {
            c: &self.c,
            memo: &self.memo,
            make: || self.engine(format, lim),
            retire: |eng| self.retire(eng),
        };
        let found = parallel::run(&engines, input, output, plan)?;
        for (i, &n) in found.iter().enumerate() {
            counts.add(&self.c.labels[i], n);
        }
        Ok(())
    }

    fn stream_with<R: Read, W: Write>(
        &self,
        input: R,
        output: W,
        format: Format,
        counts: &mut Counts,
        lim: engine::Limits,
    ) -> io::Result<()> {
        let mut eng = self.engine(format, lim);
        eng.memo = Some(&self.memo);
        let result = eng.run(input, output);
        for (i, &n) in eng.counts.iter().enumerate() {
            counts.add(&self.c.labels[i], n);
        }
        self.retire(eng);
        result
    }

    /// An engine for one pass, numbering nothing yet (the caller sets `memo` or `local`).
    fn engine(&self, format: Format, lim: engine::Limits) -> engine::Engine<'_> {
        let mut eng = engine::Engine::new(&self.c, self.secret_ac.as_ref(), format, lim);
        if self.reveal_map.is_some() {
            eng.minted = Some(Default::default());
        }
        if self.c.pseudonymizer.is_some() {
            let pooled = self.caches.lock().unwrap_or_else(|e| e.into_inner()).pop();
            eng.cache = Some(pooled.unwrap_or_else(pseudonym::Cache::new));
        }
        eng
    }

    /// Keep what a finished engine minted, and its pseudonym cache for the next one. (A
    /// pooled cache's hits were minted by an earlier engine and are in the memo already.)
    fn retire(&self, mut eng: engine::Engine<'_>) {
        if let Some(minted) = eng.minted.take() {
            self.memo.absorb(minted);
        }
        if let Some(cache) = eng.cache.take() {
            self.caches
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .push(cache);
        }
    }

    /// How many distinct learned values are replaced bundle-wide, and how many only where
    /// they were found. Never the values.
    pub fn learned(&self) -> Learned {
        let propagated = self.learned.values().filter(|&&p| p).count() as u64;
        Learned {
            propagated,
            not_propagated: self.learned.len() as u64 - propagated,
        }
    }

    /// Add the pseudonyms minted so far to the local map `reveal` reads (beside the
    /// pseudonym key, mode 0600). Nothing to do with a key for this run only.
    pub fn save_reveal_map(&self) -> Result<(), reveal::RevealError> {
        match &self.reveal_map {
            Some(path) => self
                .memo
                .with_minted(|minted| reveal::remember_minted(path, minted)),
            None => Ok(()),
        }
    }
}

/// Worker threads for large inputs: one per CPU.
pub fn available_workers() -> usize {
    std::thread::available_parallelism().map_or(1, std::num::NonZero::get)
}

/// The pseudonym key file: `--pseudonym-key`, then [`Options::pseudonym_key_source`] (by
/// default the environment variable, then the per-installation file in the config dir);
/// `None` when there is no config dir, or the key is not kept in a file.
pub fn key_path(opts: &Options) -> Option<PathBuf> {
    key_location(opts).and_then(|k| match k {
        KeyPath::Chosen(p) | KeyPath::Default(p) => Some(p),
        KeyPath::Given(_) | KeyPath::RunOnly => None,
    })
}

/// Where the pseudonym key lives.
enum KeyPath {
    /// Named by the user: a key that cannot be used there is an error.
    Chosen(PathBuf),
    /// A per-installation file (ours in the config dir, or a host tool's): one that cannot
    /// be made there (a home the user cannot write) falls back to a key for this run.
    Default(PathBuf),
    /// Handed over by a host tool.
    Given(pseudonym::PseudonymKey),
    /// A key for this run only, as asked.
    RunOnly,
}

/// `--pseudonym-key`, then the source the options name; `None` when the default source has
/// no config dir.
fn key_location(opts: &Options) -> Option<KeyPath> {
    if let Some(p) = &opts.pseudonym_key {
        return Some(KeyPath::Chosen(p.clone()));
    }
    match &opts.pseudonym_key_source {
        KeySource::Installation => match std::env::var_os(pseudonym::KEY_ENV) {
            Some(p) if !p.is_empty() => Some(KeyPath::Chosen(PathBuf::from(p))),
            _ => pseudonym::default_key_path().map(KeyPath::Default),
        },
        KeySource::DefaultFile(p) => Some(KeyPath::Default(p.clone())),
        KeySource::Bytes(key) => Some(KeyPath::Given(key.clone())),
        KeySource::RunOnly => Some(KeyPath::RunOnly),
    }
}

#[cfg(test)]
mod tests;
