//! Turning loaded rules into what the engine runs: the keyword prefilter, the key-name
//! prefilter, the identifier matcher and the pseudonymizer.
//!
//! This module sits below both the public [`Redactor`](super::Redactor) and the engine: it
//! knows nothing of either, so the two only meet here.

use std::collections::HashMap;
use std::path::PathBuf;

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, AhoCorasickKind, MatchKind};
use regex::bytes::Regex;

use super::prefilter::{self, Gate, Prefilter};
use super::pseudonym;
use super::rules::{Action, Allowlist, Detector, KeyRule, PatternRule, RuleRegex, RuleSet};
use super::structured::Form;

/// Compiled rules and the prefilter over their keywords.
#[derive(Debug)]
pub(crate) struct Compiled {
    pub rules: Vec<PatternRule>,
    pub keys: Vec<KeyRule>,
    pub global_allow: Vec<Allowlist>,
    /// Counter labels: rules, then key rules, then `literal`.
    pub labels: Vec<String>,
    /// Pseudonym prefix per counter.
    pub prefixes: Vec<String>,
    /// Number of trigger ids: rules, then key rules, then the name search (`ident_ac`).
    pub triggers: usize,
    pub prefilter: Prefilter,
    pub keys_always: bool,
    /// Key-name prefilter: keywords of key rules, and per keyword the rules (bit i = rule i).
    key_keyword_ac: Option<AhoCorasick>,
    key_keyword_mask: Vec<u64>,
    /// Key rules without keywords, and every rule past the 64th: always plausible.
    key_always_mask: u64,
    pub pem_begin: Regex,
    pub pseudonymizer: Option<pseudonym::Pseudonymizer>,
    pub ipv4: Option<usize>,
    pub ipv6: Option<usize>,
    pub mac: Option<usize>,
    pub ident_ac: Option<AhoCorasick>,
    pub ident_counter: Vec<usize>,
    /// Counter for each literal in the secret automaton.
    pub literal_counter: Vec<usize>,
    /// Whether each literal is an account name, pseudonymized at word boundaries only.
    pub literal_pseudo: Vec<bool>,
}

/// The pseudonym key, resolved by the caller.
#[derive(Debug, Default)]
pub(crate) enum Key {
    /// Read from this file, created there when absent.
    File(PathBuf),
    /// Given by the host.
    Given(pseudonym::PseudonymKey),
    /// A random key for this run only.
    #[default]
    RunOnly,
}

/// What compiling needs besides the rules, resolved by the caller.
#[derive(Debug, Default)]
pub(crate) struct Inputs {
    /// Host names to pseudonymize; `None` detects this machine's.
    pub hostnames: Option<Vec<String>>,
    /// User names to pseudonymize; `None` detects this machine's.
    pub usernames: Option<Vec<String>>,
    /// The pseudonym key.
    pub key: Key,
    /// Domains whose host names to pseudonymize, besides this machine's own.
    pub domains: Vec<String>,
    /// Read the passwd database and host names under this root too.
    pub sysroot: Option<PathBuf>,
    /// Names never pseudonymized as host or user names (the project's own name).
    pub keep_names: Vec<String>,
}

impl Compiled {
    /// The first key rule that claims `key` within `section`, for a pair written in `form`.
    pub(super) fn key_rule_for(&self, key: &[u8], section: &[u8], form: Form) -> Option<usize> {
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
                && r.forms.as_ref().is_none_or(|f| f.contains(&form))
                && r.pattern.is_match(key)
                && !r.exclude.as_ref().is_some_and(|x| x.is_match(key))
                && r.path
                    .as_ref()
                    .is_none_or(|p| !section.is_empty() && p.is_match(section))
        })
    }

    /// The counter of `--redact` literals.
    pub(super) fn literal_counter_id(&self) -> usize {
        self.rules.len() + self.keys.len()
    }
}

/// Compile a loaded rule set.
pub(crate) fn compile(set: RuleSet, inputs: Inputs) -> Result<Compiled, String> {
    let RuleSet {
        mut rules,
        keys,
        global_allow,
        ..
    } = set;
    let names = identifier_names(&rules, &inputs);
    if let Some(rule) = domain_rule(&rules, &names, &inputs.domains)? {
        rules.push(rule);
    }
    let (labels, prefixes) = labels(&rules, &keys);
    let (ident_pats, ident_counter) = names;
    let ident_lower: Vec<String> = ident_pats.iter().map(|n| n.to_ascii_lowercase()).collect();
    let (prefilter, keys_always) = trigger_prefilter(&rules, &keys, &ident_lower)?;
    let key_filter = key_prefilter(&keys)?;
    let ident_ac = identifier_matcher(&ident_pats)?;
    let pseudonymizer = pseudonymizer(&rules, &keys, &inputs.key)?;
    let pem_begin = Regex::new(r"-----BEGIN[ A-Z0-9_-]{0,100}PRIVATE KEY(?: BLOCK)?-----")
        .map_err(|e| e.to_string())?;
    let find = |d: Detector| rules.iter().position(|r| r.detector == d);
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
        key_keyword_ac: key_filter.ac,
        key_keyword_mask: key_filter.mask,
        key_always_mask: key_filter.always,
        pem_begin,
        pseudonymizer,
        ident_ac,
        ident_counter,
        literal_counter: Vec::new(),
        literal_pseudo: Vec::new(),
    })
}

/// Counter labels (rules, key rules, `literal`) and each counter's pseudonym prefix.
fn labels(rules: &[PatternRule], keys: &[KeyRule]) -> (Vec<String>, Vec<String>) {
    let mut labels: Vec<String> = rules.iter().map(|r| r.id.clone()).collect();
    labels.extend(keys.iter().map(|k| k.id.clone()));
    labels.push("literal".to_string());
    let mut prefixes: Vec<String> = rules.iter().map(|r| r.prefix.clone()).collect();
    prefixes.extend(keys.iter().map(|k| k.prefix.clone()));
    prefixes.resize(labels.len(), String::new());
    (labels, prefixes)
}

/// The line prefilter: one gate per trigger (rules, then key rules, then the name search).
/// Also says whether some key rule has no keywords and so must run on every line.
fn trigger_prefilter(
    rules: &[PatternRule],
    keys: &[KeyRule],
    ident_lower: &[String],
) -> Result<(Prefilter, bool), String> {
    let mut gates = Vec::with_capacity(rules.len() + keys.len() + 1);
    for r in rules {
        gates.push(match (r.detector, &r.regex) {
            (Detector::Regex | Detector::Pem, _) if !r.keywords.is_empty() => {
                Gate::Keywords(&r.keywords)
            }
            (Detector::Regex, Some(re)) => Gate::Regex(re.as_str()),
            (Detector::Regex | Detector::Pem, _) => Gate::None,
            _ => Gate::Never,
        });
    }
    let mut keys_always = false;
    for k in keys {
        if k.keywords.is_empty() {
            keys_always = true;
            gates.push(Gate::Never);
        } else {
            gates.push(Gate::Keywords(&k.keywords));
        }
    }
    // Names to pseudonymize are searched only on lines that hold one.
    gates.push(if ident_lower.is_empty() {
        Gate::Never
    } else {
        Gate::Keywords(ident_lower)
    });
    Ok((prefilter::Prefilter::new(&gates)?, keys_always))
}

/// The key-name prefilter's automaton and masks.
struct KeyFilter {
    ac: Option<AhoCorasick>,
    mask: Vec<u64>,
    always: u64,
}

fn key_prefilter(keys: &[KeyRule]) -> Result<KeyFilter, String> {
    let mut words: Vec<String> = Vec::new();
    let mut index: HashMap<&str, usize> = HashMap::new();
    let mut mask: Vec<u64> = Vec::new();
    let mut always = 0u64;
    for (i, k) in keys.iter().enumerate().take(64) {
        if k.keywords.is_empty() {
            always |= 1 << i;
        }
        for w in &k.keywords {
            match index.get(w.as_str()) {
                Some(&j) => mask[j] |= 1 << i,
                None => {
                    index.insert(w, words.len());
                    words.push(w.clone());
                    mask.push(1 << i);
                }
            }
        }
    }
    let ac = if words.is_empty() {
        None
    } else {
        Some(
            // Keys are short (at most 80 bytes): a DFA without a prefilter beats the default
            // automaton with one there.
            AhoCorasickBuilder::new()
                .ascii_case_insensitive(true)
                // A DFA over tens of thousands of words takes seconds to build.
                .kind((words.len() <= 4096).then_some(AhoCorasickKind::DFA))
                .prefilter(false)
                .build(&words)
                .map_err(|e| format!("key prefilter: {e}"))?,
        )
    };
    Ok(KeyFilter { ac, mask, always })
}

/// Host and user names to pseudonymize, with the counter (rule) each belongs to.
fn identifier_names(rules: &[PatternRule], inputs: &Inputs) -> (Vec<String>, Vec<usize>) {
    let mut pats = Vec::new();
    let mut counters = Vec::new();
    let root = inputs.sysroot.as_deref();
    for (det, names) in [
        (Detector::Hostname, &inputs.hostnames),
        (Detector::Username, &inputs.usernames),
    ] {
        let Some(i) = rules.iter().position(|r| r.detector == det) else {
            continue;
        };
        let names = names.clone().unwrap_or_else(|| match det {
            Detector::Hostname => pseudonym::machine_hostnames(root),
            _ => pseudonym::machine_usernames(root),
        });
        for n in names.into_iter().filter(|n| !n.is_empty()) {
            if inputs.keep_names.iter().any(|k| k.eq_ignore_ascii_case(&n)) {
                continue;
            }
            pats.push(n);
            counters.push(i);
        }
    }
    (pats, counters)
}

/// A rule for host names under this machine's domain and the `--domain`s (and the domains
/// themselves), pseudonymized as the `hostname` rule's are; `None` without that rule or any
/// domain.
fn domain_rule(
    rules: &[PatternRule],
    names: &(Vec<String>, Vec<usize>),
    extra: &[String],
) -> Result<Option<PatternRule>, String> {
    let Some(host) = rules.iter().position(|r| r.detector == Detector::Hostname) else {
        return Ok(None);
    };
    let hostnames: Vec<String> = names
        .0
        .iter()
        .zip(&names.1)
        .filter(|&(_, &c)| c == host)
        .map(|(n, _)| n.clone())
        .collect();
    let mut domains = pseudonym::machine_domains(&hostnames);
    domains.extend(
        extra
            .iter()
            .map(|d| d.trim().trim_matches('.').to_ascii_lowercase())
            .filter(|d| !d.is_empty()),
    );
    domains.sort();
    domains.dedup();
    if domains.is_empty() {
        return Ok(None);
    }
    let alts: Vec<String> = domains.iter().map(|d| regex::escape(d)).collect();
    // The name ends where no further label follows: `a.corp.example` but not the start of
    // `a.corp.example.org`.
    let pattern = format!(
        r"\b((?:[a-z0-9](?:[a-z0-9-]{{0,61}}[a-z0-9])?\.)*(?:{}))(?:$|[^a-z0-9.-]|\.(?:$|[^a-z0-9]))",
        alts.join("|")
    );
    let regex = regex::bytes::RegexBuilder::new(&pattern)
        .unicode(false)
        .case_insensitive(true)
        .build()
        .map_err(|e| format!("--domain: {e}"))?;
    let base = &rules[host];
    Ok(Some(PatternRule {
        id: base.id.clone(),
        regex: Some(RuleRegex::ready(regex)),
        secret_group: Some(1),
        keywords: domains,
        entropy: None,
        allowlists: Vec::new(),
        action: Action::Pseudonymize,
        detector: Detector::Regex,
        prefix: base.prefix.clone(),
    }))
}

fn identifier_matcher(names: &[String]) -> Result<Option<AhoCorasick>, String> {
    if names.is_empty() {
        return Ok(None);
    }
    AhoCorasickBuilder::new()
        .match_kind(MatchKind::LeftmostLongest)
        .ascii_case_insensitive(true)
        .build(names)
        .map(Some)
        .map_err(|e| format!("identifier matcher: {e}"))
}

/// The pseudonymizer, when some rule pseudonymizes: keyed from the key file, the host's key,
/// or for this run only when there is no place for a key (no HOME, e.g. under cron).
fn pseudonymizer(
    rules: &[PatternRule],
    keys: &[KeyRule],
    key: &Key,
) -> Result<Option<pseudonym::Pseudonymizer>, String> {
    if !rules.iter().any(|r| r.action == Action::Pseudonymize)
        && !keys.iter().any(|k| k.action == Action::Pseudonymize)
    {
        return Ok(None);
    }
    let key = match key {
        Key::File(path) => pseudonym::load_or_create_key(path)?,
        Key::Given(key) => *key.bytes(),
        Key::RunOnly => pseudonym::ephemeral_key()?,
    };
    Ok(Some(pseudonym::Pseudonymizer::new(&key)))
}
