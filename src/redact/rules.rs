//! Loading redaction rule files: a compatible subset of the gitleaks TOML format plus our
//! extensions.
//!
//! Conventions:
//! - Every problem in a file is collected (with its 1-based line) before giving up, so a user
//!   fixes a rule file in one pass; problems read `file:line: rule `id` ...`.
//! - Fields gitleaks knows that cannot apply to a byte stream (`path`, `paths`, `commits`,
//!   `tags`, `minVersion`, `[extend]`, ...) are accepted and reported in one warning per file,
//!   so a user's existing `gitleaks.toml` loads unchanged. Any other field or table is an
//!   error, and so is a file that defines no rule: a typo (`[[rule]]`) must not leave a user
//!   believing their secrets are covered.
//! - Regexes are compiled for `regex::bytes` with Unicode off first (faster, and what Go's
//!   ASCII-only `\b`/`\w` mean); Go-only syntax is translated, and a rule whose regex still
//!   cannot be compiled for a reason Go would accept is skipped with a warning naming it.

use std::collections::BTreeSet;

use std::sync::OnceLock;

use regex::bytes::{Regex, RegexBuilder};
use toml::Spanned;

use super::structured::Form;
use toml::de::{DeTable, DeValue};

/// What a rule does with what it finds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Action {
    /// Replace with `[REDACTED:<id>:<n>]`.
    Mask,
    /// Replace with a stable keyed pseudonym `<prefix>-<hex>`.
    Pseudonymize,
}

/// Built-in scanners that are faster or more exact than a regex.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Detector {
    /// The rule's regex.
    Regex,
    /// PEM private key blocks, across lines.
    Pem,
    /// IPv4 addresses.
    Ipv4,
    /// IPv6 addresses.
    Ipv6,
    /// MAC addresses.
    Mac,
    /// The machine's host name and FQDN.
    Hostname,
    /// Local user names.
    Username,
}

/// Which text an allowlist regex is matched against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Target {
    Secret,
    Match,
    Line,
}

/// A gitleaks allowlist: a finding is dropped when any regex or stopword matches.
#[derive(Debug, Clone)]
pub(crate) struct Allowlist {
    pub regexes: Vec<Regex>,
    pub target: Target,
    /// Lower-cased; a secret containing one is not a secret.
    pub stopwords: Vec<String>,
}

impl Allowlist {
    /// Whether this allowlist excuses a finding.
    pub(super) fn allows(&self, secret: &[u8], whole: &[u8], line: &[u8]) -> bool {
        let hay = match self.target {
            Target::Secret => secret,
            Target::Match => whole,
            Target::Line => line,
        };
        if self.regexes.iter().any(|r| r.is_match(hay)) {
            return true;
        }
        if self.stopwords.is_empty() {
            return false;
        }
        let lower = secret.to_ascii_lowercase();
        self.stopwords
            .iter()
            .any(|w| memchr::memmem::find(&lower, w.as_bytes()).is_some())
    }
}

/// A pattern rule's regex, compiled when a line first needs it when it comes from the built-in
/// rules: most of their ~190 vendor formats never see a line with their keywords, and
/// compiling them all up front cost every run about 25 ms. Rule files are compiled as they
/// load, so a bad regex is reported with its file and line.
#[derive(Debug, Clone)]
pub(crate) struct RuleRegex {
    src: String,
    compiled: OnceLock<Regex>,
}

impl RuleRegex {
    /// A regex compiled already.
    pub(crate) fn ready(re: Regex) -> RuleRegex {
        RuleRegex {
            src: re.as_str().to_string(),
            compiled: OnceLock::from(re),
        }
    }

    /// A built-in rule's regex, compiled on first use. That it compiles is tested (every
    /// built-in file is loaded eagerly by the tests).
    fn lazy(src: &str) -> RuleRegex {
        RuleRegex {
            src: src.to_string(),
            compiled: OnceLock::new(),
        }
    }

    /// The regex, compiling it now if need be. A regex that fails (which the tests rule out
    /// for built-in rules) matches nothing rather than stopping a run half-way.
    pub(crate) fn get(&self) -> &Regex {
        self.compiled.get_or_init(|| {
            compile_regex(&self.src).unwrap_or_else(|_| {
                // `[^\x00-\xff]` cannot match in a byte regex without Unicode.
                RegexBuilder::new(r"[^\x00-\xFF]")
                    .unicode(false)
                    .build()
                    .unwrap_or_else(|_| unreachable!("a fixed pattern"))
            })
        })
    }

    /// The source, for the literal gate.
    pub(crate) fn as_str(&self) -> &str {
        &self.src
    }
}

/// A pattern rule (`[[rules]]`).
#[derive(Debug, Clone)]
pub(crate) struct PatternRule {
    pub id: String,
    pub regex: Option<RuleRegex>,
    /// `None`: gitleaks' default (first non-empty group, else the whole match).
    pub secret_group: Option<usize>,
    pub keywords: Vec<String>,
    pub entropy: Option<f64>,
    pub allowlists: Vec<Allowlist>,
    pub action: Action,
    pub detector: Detector,
    /// Pseudonym prefix (`ip`, `host`, ...).
    pub prefix: String,
}

/// A key-name rule (`[[keys]]`) for structured content and `key=value` forms.
#[derive(Debug, Clone)]
pub(crate) struct KeyRule {
    pub id: String,
    pub pattern: Regex,
    pub exclude: Option<Regex>,
    /// Matched against the enclosing section (`integration.siem`); the rule applies only there.
    pub path: Option<Regex>,
    /// Minimum entropy of a word-like value in free text (structured formats trust the key
    /// alone, and a value with digits or symbols is never a plain word).
    pub entropy: Option<f64>,
    /// Minimum length of the value in free text.
    pub min_len: usize,
    pub keywords: Vec<String>,
    /// Only pairs written this way (`forms = ["query"]`); `None`: any.
    pub forms: Option<Vec<Form>>,
    /// An unquoted value may hold spaces (passwords, cookies); otherwise it ends at the first
    /// space, so the rest of a log line survives.
    pub spaces: bool,
    /// A URL or `k=v;` connection string under this key keeps everything but its credentials,
    /// which the URL and key rules find inside it.
    pub url_credentials: bool,
    /// Mask the value, or (account names) replace it with a pseudonym.
    pub action: Action,
    /// Pseudonym prefix (`user`) when the action is to pseudonymize.
    pub prefix: String,
}

/// All rules from all files, in load order.
#[derive(Debug, Clone, Default)]
pub(crate) struct RuleSet {
    pub rules: Vec<PatternRule>,
    pub keys: Vec<KeyRule>,
    /// Top-level `[allowlist]` / `[[allowlists]]`: apply to every pattern rule.
    pub global_allow: Vec<Allowlist>,
    pub warnings: Vec<String>,
}

const TOP_KNOWN: &[&str] = &["rules", "keys", "allowlist", "allowlists"];
/// Top-level fields of a gitleaks configuration that do not apply to redaction.
const TOP_GITLEAKS: &[&str] = &["title", "description", "minVersion", "extend"];
/// Rule fields of a gitleaks configuration that do not apply to a byte stream.
const RULE_GITLEAKS: &[&str] = &["path", "tags", "skipReport", "required"];
/// Allowlist fields of a gitleaks configuration that do not apply to a byte stream.
const ALLOW_GITLEAKS: &[&str] = &["condition", "commits", "paths", "targetRules"];
const RULE_KNOWN: &[&str] = &[
    "id",
    "description",
    "regex",
    "secretGroup",
    "keywords",
    "entropy",
    "allowlists",
    "allowlist",
    "action",
    "detector",
    "prefix",
];
const KEY_KNOWN: &[&str] = &[
    "id",
    "description",
    "pattern",
    "exclude",
    "path",
    "entropy",
    "min_len",
    "keywords",
    "forms",
    "spaces",
    "url_credentials",
    "action",
    "prefix",
];
const ALLOW_KNOWN: &[&str] = &["regexes", "regexTarget", "stopwords", "description"];

/// Collects problems and ignored fields for one file.
struct Loader<'a> {
    name: &'a str,
    text: &'a str,
    problems: Vec<(usize, String)>,
    ignored: BTreeSet<String>,
    /// Pattern rules' regexes are compiled on first use (built-in rules only).
    lazy: bool,
}

impl Loader<'_> {
    fn line(&self, offset: usize) -> usize {
        let end = offset.min(self.text.len());
        self.text.as_bytes()[..end]
            .iter()
            .filter(|&&b| b == b'\n')
            .count()
            + 1
    }

    fn problem(&mut self, offset: usize, msg: String) {
        let line = self.line(offset);
        self.problems
            .push((line, format!("{}:{line}: {msg}", self.name)));
    }

    /// Sort a table's fields: ours are read by the caller, gitleaks' own are noted for the
    /// warning, anything else is a problem at the field's line.
    fn note_unknown(&mut self, table: &DeTable<'_>, known: &[&str], gitleaks: &[&str], ctx: &str) {
        for (k, _) in table.iter() {
            let name = k.get_ref().as_ref();
            if known.contains(&name) {
                continue;
            }
            if gitleaks.contains(&name) {
                self.ignored.insert(format!("{ctx}{name}"));
                continue;
            }
            let hint = known
                .iter()
                .chain(gitleaks)
                .find(|c| similar(c, name))
                .map(|c| format!(" (did you mean `{c}`?)"))
                .unwrap_or_default();
            let what = if ctx.is_empty() {
                "unknown top-level field or table".to_string()
            } else {
                format!("unknown field in `{}`", ctx.trim_end_matches('.'))
            };
            self.problem(
                k.span().start,
                format!("{what} `{}`{hint}", printable(name)),
            );
        }
    }
}

/// Whether `b` is a likely misspelling of `a`: one edit apart, or the same but for case.
fn similar(a: &str, b: &str) -> bool {
    if a.eq_ignore_ascii_case(b) {
        return true;
    }
    let (a, b): (Vec<char>, Vec<char>) = (a.chars().collect(), b.chars().collect());
    if a.len().abs_diff(b.len()) > 1 {
        return false;
    }
    // One-row Levenshtein distance, stopping at 1.
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.iter().enumerate() {
        let mut cur = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            let sub = prev[j] + usize::from(ca != cb);
            cur[j + 1] = sub.min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        prev = cur;
    }
    prev[b.len()] <= 1
}

/// `s` with control characters escaped, for messages that quote a user's file.
fn printable(s: &str) -> String {
    s.chars().flat_map(char::escape_debug).collect()
}

/// Problems with a rule id: an id is printed in labels, counts and messages.
fn bad_id(id: &str) -> Option<&'static str> {
    if id.trim().is_empty() {
        Some("is empty")
    } else if id.chars().any(char::is_control) {
        Some("holds a control character")
    } else {
        None
    }
}

type Val<'i> = Spanned<DeValue<'i>>;

fn get_str<'t>(l: &mut Loader<'_>, t: &'t DeTable<'_>, key: &str, ctx: &str) -> Option<&'t str> {
    let v = t.get(key)?;
    match v.get_ref() {
        DeValue::String(s) => Some(s.as_ref()),
        _ => {
            l.problem(v.span().start, format!("{ctx}: `{key}` must be a string"));
            None
        }
    }
}

fn get_num(l: &mut Loader<'_>, t: &DeTable<'_>, key: &str, ctx: &str) -> Option<f64> {
    let v = t.get(key)?;
    let parsed = match v.get_ref() {
        DeValue::Integer(i) => i.as_str().replace('_', "").parse::<f64>().ok(),
        DeValue::Float(f) => f.as_str().replace('_', "").parse::<f64>().ok(),
        _ => None,
    };
    if parsed.is_none() {
        l.problem(v.span().start, format!("{ctx}: `{key}` must be a number"));
    }
    parsed
}

/// A whole number of zero or more (`secretGroup`, `min_len`).
fn get_count(l: &mut Loader<'_>, t: &DeTable<'_>, key: &str, ctx: &str) -> Option<usize> {
    let n = get_num(l, t, key, ctx)?;
    if n.is_finite() && n >= 0.0 && n.fract() == 0.0 && n <= u32::MAX as f64 {
        return Some(n as usize);
    }
    let at = t.get(key).map_or(0, |v| v.span().start);
    l.problem(
        at,
        format!("{ctx}: `{key}` must be a whole number of 0 or more, not {n}"),
    );
    None
}

/// A minimum Shannon entropy in bits per byte: finite and between 0 and 8.
fn get_entropy(l: &mut Loader<'_>, t: &DeTable<'_>, ctx: &str) -> Option<f64> {
    let n = get_num(l, t, "entropy", ctx)?;
    if (0.0..=8.0).contains(&n) {
        return Some(n);
    }
    let at = t.get("entropy").map_or(0, |v| v.span().start);
    l.problem(
        at,
        format!("{ctx}: `entropy` must be between 0 and 8 (bits per byte), not {n}"),
    );
    None
}

fn get_bool(l: &mut Loader<'_>, t: &DeTable<'_>, key: &str, ctx: &str) -> bool {
    let Some(v) = t.get(key) else {
        return false;
    };
    match v.get_ref() {
        DeValue::Boolean(b) => *b,
        _ => {
            l.problem(
                v.span().start,
                format!("{ctx}: `{key}` must be true or false"),
            );
            false
        }
    }
}

fn get_strs(l: &mut Loader<'_>, t: &DeTable<'_>, key: &str, ctx: &str) -> Vec<(usize, String)> {
    let Some(v) = t.get(key) else {
        return Vec::new();
    };
    let DeValue::Array(items) = v.get_ref() else {
        l.problem(
            v.span().start,
            format!("{ctx}: `{key}` must be an array of strings"),
        );
        return Vec::new();
    };
    let mut out = Vec::new();
    for item in items.iter() {
        match item.get_ref() {
            DeValue::String(s) => out.push((item.span().start, s.to_string())),
            _ => l.problem(
                item.span().start,
                format!("{ctx}: `{key}` must be an array of strings"),
            ),
        }
    }
    out
}

/// Tables of `key`: one inline/standard table or an array of them.
fn get_tables<'t, 'i>(t: &'t DeTable<'i>, key: &str) -> Vec<&'t Val<'i>> {
    match t.get(key).map(|v| v.get_ref()) {
        Some(DeValue::Table(_)) => t.get(key).into_iter().collect(),
        Some(DeValue::Array(items)) => items.iter().collect(),
        _ => Vec::new(),
    }
}

/// Why a regex could not be used.
pub(crate) enum RegexFailure {
    /// Bad syntax: an error in the rule file.
    Invalid(String),
    /// Valid for Go but beyond what we can run: skip the rule with a warning.
    Unsupported(String),
}

/// Compile a rule regex, trying ASCII mode first, then Unicode, then a Go-syntax translation.
pub(crate) fn compile_regex(src: &str) -> Result<Regex, RegexFailure> {
    let build = |s: &str, unicode: bool| {
        RegexBuilder::new(s)
            .unicode(unicode)
            .size_limit(64 << 20)
            .dfa_size_limit(8 << 20)
            .build()
    };
    let first = match build(src, false) {
        Ok(r) => return Ok(r),
        Err(e) => e,
    };
    if let Ok(r) = build(src, true) {
        return Ok(r);
    }
    let translated = translate_go(src);
    if translated != src
        && let Ok(r) = build(&translated, false).or_else(|_| build(&translated, true))
    {
        return Ok(r);
    }
    let msg = one_line(&first.to_string());
    if matches!(first, regex::Error::CompiledTooBig(_)) {
        return Err(RegexFailure::Unsupported(msg));
    }
    if msg.contains("look-around") || msg.contains("backreference") || msg.contains("\\C") {
        return Err(RegexFailure::Unsupported(msg));
    }
    Err(RegexFailure::Invalid(msg))
}

fn one_line(s: &str) -> String {
    let last = s
        .lines()
        .rev()
        .find(|l| l.trim_start().starts_with("error:"))
        .map(|l| l.trim().trim_start_matches("error:").trim().to_string());
    last.unwrap_or_else(|| s.split_whitespace().collect::<Vec<_>>().join(" "))
}

/// Rewrite Go (RE2) syntax that Rust's regex does not accept: `\Q...\E` literal quoting, and
/// a `{` or `}` that is not part of a repetition (Go reads it as a literal, Rust rejects it).
fn translate_go(src: &str) -> String {
    braces(&quote(src))
}

fn braces(src: &str) -> String {
    let mut out = String::with_capacity(src.len() + 8);
    let (mut class, mut open_rep, mut escaped) = (false, false, false);
    for (i, c) in src.char_indices() {
        if escaped {
            escaped = false;
            out.push(c);
            continue;
        }
        match c {
            '\\' => escaped = true,
            '[' if !class => class = true,
            ']' if class => class = false,
            '{' if !class => {
                let valid = src[i + 1..].find('}').is_some_and(|e| {
                    let inner = &src[i + 1..i + 1 + e];
                    let (lo, hi) = inner.split_once(',').unwrap_or((inner, ""));
                    !lo.is_empty()
                        && lo.bytes().all(|d| d.is_ascii_digit())
                        && hi.bytes().all(|d| d.is_ascii_digit())
                });
                if valid && i > 0 {
                    open_rep = true;
                } else {
                    out.push_str("\\{");
                    continue;
                }
            }
            '}' if !class => {
                if !open_rep {
                    out.push_str("\\}");
                    continue;
                }
                open_rep = false;
            }
            _ => {}
        }
        out.push(c);
    }
    out
}

fn quote(src: &str) -> String {
    let mut out = String::with_capacity(src.len());
    let mut rest = src;
    while let Some(i) = rest.find("\\Q") {
        out.push_str(&rest[..i]);
        let after = &rest[i + 2..];
        let (lit, tail) = match after.find("\\E") {
            Some(j) => (&after[..j], &after[j + 2..]),
            None => (after, ""),
        };
        out.push_str(&regex::escape(lit));
        rest = tail;
    }
    out.push_str(rest);
    out
}

fn compile_allowlist(l: &mut Loader<'_>, v: &Val<'_>, ctx: &str) -> Option<Allowlist> {
    let DeValue::Table(t) = v.get_ref() else {
        l.problem(v.span().start, format!("{ctx}: allowlist must be a table"));
        return None;
    };
    l.note_unknown(t, ALLOW_KNOWN, ALLOW_GITLEAKS, "allowlist.");
    let target = match get_str(l, t, "regexTarget", ctx) {
        None | Some("secret") | Some("") => Target::Secret,
        Some("match") => Target::Match,
        Some("line") => Target::Line,
        Some(other) => {
            let at = t.get("regexTarget").map_or(0, |v| v.span().start);
            l.problem(
                at,
                format!("{ctx}: unknown regexTarget `{other}` (expected secret, match or line)"),
            );
            Target::Secret
        }
    };
    if t.contains_key("paths") || t.contains_key("commits") {
        // Path- or commit-scoped allowlists cannot be evaluated on a stream. With
        // condition = "AND" the other parts alone would allow too much, so drop it.
        let and =
            matches!(get_str(l, t, "condition", ctx), Some(c) if c.eq_ignore_ascii_case("and"));
        if and {
            return None;
        }
    }
    let mut regexes = Vec::new();
    for (at, src) in get_strs(l, t, "regexes", ctx) {
        match compile_regex(&src) {
            Ok(r) => regexes.push(r),
            Err(RegexFailure::Invalid(e)) => {
                l.problem(at, format!("{ctx}: allowlist has invalid regex: {e}"))
            }
            Err(RegexFailure::Unsupported(e)) => {
                l.problem(at, format!("{ctx}: allowlist regex is not supported: {e}"))
            }
        }
    }
    let stopwords = get_strs(l, t, "stopwords", ctx)
        .into_iter()
        .map(|(_, s)| s.to_ascii_lowercase())
        .collect();
    Some(Allowlist {
        regexes,
        target,
        stopwords,
    })
}

/// A rule's `action` field (default: mask).
fn parse_action(l: &mut Loader<'_>, t: &DeTable<'_>, ctx: &str) -> Action {
    match get_str(l, t, "action", ctx) {
        None | Some("mask") => Action::Mask,
        Some("pseudonymize") => Action::Pseudonymize,
        Some(other) => {
            let at = t.get("action").map_or(0, |v| v.span().start);
            l.problem(
                at,
                format!("{ctx}: unknown action `{other}` (expected mask or pseudonymize)"),
            );
            Action::Mask
        }
    }
}

fn parse_rule(l: &mut Loader<'_>, v: &Val<'_>, warnings: &mut Vec<String>) -> Option<PatternRule> {
    let DeValue::Table(t) = v.get_ref() else {
        l.problem(v.span().start, "`rules` entries must be tables".into());
        return None;
    };
    l.note_unknown(t, RULE_KNOWN, RULE_GITLEAKS, "rules.");
    let Some(id) = get_str(l, t, "id", "rule").map(str::to_string) else {
        if !t.contains_key("id") {
            l.problem(v.span().start, "rule has no `id`".into());
        }
        return None;
    };
    let ctx = format!("rule `{}`", printable(&id));
    let before = l.problems.len();
    if let Some(why) = bad_id(&id) {
        let at = t.get("id").map_or(v.span().start, |v| v.span().start);
        l.problem(at, format!("rule id {why}"));
    }
    let action = parse_action(l, t, &ctx);
    let detector = match get_str(l, t, "detector", &ctx) {
        None | Some("regex") => Detector::Regex,
        Some("pem") => Detector::Pem,
        Some("ipv4") => Detector::Ipv4,
        Some("ipv6") => Detector::Ipv6,
        Some("mac") => Detector::Mac,
        Some("hostname") => Detector::Hostname,
        Some("username") => Detector::Username,
        Some(other) => {
            let at = t.get("detector").map_or(0, |v| v.span().start);
            l.problem(at, format!("{ctx}: unknown detector `{other}`"));
            Detector::Regex
        }
    };
    let mut regex = None;
    if let Some(src) = get_str(l, t, "regex", &ctx) {
        let at = t.get("regex").map_or(0, |v| v.span().start);
        match if l.lazy {
            Ok(RuleRegex::lazy(src))
        } else {
            compile_regex(src).map(RuleRegex::ready)
        } {
            Ok(r) => regex = Some(r),
            Err(RegexFailure::Invalid(e)) => {
                l.problem(at, format!("{ctx} has invalid regex: {e}"));
            }
            Err(RegexFailure::Unsupported(e)) => {
                let line = l.line(at);
                warnings.push(format!(
                    "{}:{line}: rule `{id}` skipped: its regex uses syntax this engine cannot run ({e})",
                    l.name
                ));
                return None;
            }
        }
    } else if detector == Detector::Regex {
        if l.problems.len() == before {
            let line = l.line(v.span().start);
            warnings.push(format!(
                "{}:{line}: rule `{id}` skipped: it has no `regex` (path-only rules do not apply to content)",
                l.name
            ));
        }
        return None;
    }
    let secret_group = get_count(l, t, "secretGroup", &ctx);
    if let (Some(g), Some(r)) = (secret_group, regex.as_ref().and_then(|r| r.compiled.get()))
        && g >= r.captures_len()
    {
        let at = t.get("secretGroup").map_or(0, |v| v.span().start);
        l.problem(
            at,
            format!(
                "{ctx}: secretGroup {g} but the regex has only {} group(s)",
                r.captures_len() - 1
            ),
        );
    }
    let keywords = get_strs(l, t, "keywords", &ctx)
        .into_iter()
        .map(|(_, k)| k.to_ascii_lowercase())
        .filter(|k| !k.is_empty())
        .collect();
    let entropy = get_entropy(l, t, &ctx);
    let mut allowlists = Vec::new();
    for key in ["allowlists", "allowlist"] {
        for a in get_tables(t, key) {
            if let Some(a) = compile_allowlist(l, a, &ctx) {
                allowlists.push(a);
            }
        }
    }
    let prefix = get_str(l, t, "prefix", &ctx).unwrap_or("id").to_string();
    if l.problems.len() != before {
        return None;
    }
    Some(PatternRule {
        id,
        regex,
        secret_group,
        keywords,
        entropy,
        allowlists,
        action,
        detector,
        prefix,
    })
}

fn parse_key(l: &mut Loader<'_>, v: &Val<'_>) -> Option<KeyRule> {
    let DeValue::Table(t) = v.get_ref() else {
        l.problem(v.span().start, "`keys` entries must be tables".into());
        return None;
    };
    l.note_unknown(t, KEY_KNOWN, &[], "keys.");
    let Some(id) = get_str(l, t, "id", "key rule").map(str::to_string) else {
        if !t.contains_key("id") {
            l.problem(v.span().start, "key rule has no `id`".into());
        }
        return None;
    };
    let ctx = format!("key rule `{}`", printable(&id));
    let before = l.problems.len();
    if let Some(why) = bad_id(&id) {
        let at = t.get("id").map_or(v.span().start, |v| v.span().start);
        l.problem(at, format!("key rule id {why}"));
    }
    let regex_field = |l: &mut Loader<'_>, name: &str| -> Option<Regex> {
        let src = get_str(l, t, name, &ctx)?;
        let at = t.get(name).map_or(0, |v| v.span().start);
        match compile_regex(src) {
            Ok(r) => Some(r),
            Err(RegexFailure::Invalid(e) | RegexFailure::Unsupported(e)) => {
                l.problem(at, format!("{ctx} has invalid {name}: {e}"));
                None
            }
        }
    };
    let pattern = regex_field(l, "pattern");
    let exclude = regex_field(l, "exclude");
    let path = regex_field(l, "path");
    if !t.contains_key("pattern") {
        l.problem(v.span().start, format!("{ctx} has no `pattern`"));
    }
    let entropy = get_entropy(l, t, &ctx);
    let min_len = get_count(l, t, "min_len", &ctx).map_or(1, |n| n.max(1));
    let keywords = get_strs(l, t, "keywords", &ctx)
        .into_iter()
        .map(|(_, k)| k.to_ascii_lowercase())
        .filter(|k| !k.is_empty())
        .collect();
    let forms = t.contains_key("forms").then(|| {
        let mut forms = Vec::new();
        for (at, name) in get_strs(l, t, "forms", &ctx) {
            match Form::from_name(&name) {
                Some(f) => forms.push(f),
                None => l.problem(
                    at,
                    format!(
                        "{ctx}: unknown form `{name}` (expected one of {})",
                        Form::NAMES
                    ),
                ),
            }
        }
        forms
    });
    let spaces = get_bool(l, t, "spaces", &ctx);
    let url_credentials = get_bool(l, t, "url_credentials", &ctx);
    let action = parse_action(l, t, &ctx);
    let prefix = get_str(l, t, "prefix", &ctx).unwrap_or("user").to_string();
    if l.problems.len() != before {
        return None;
    }
    Some(KeyRule {
        id,
        pattern: pattern?,
        exclude,
        path,
        entropy,
        min_len,
        keywords,
        forms,
        spaces,
        url_credentials,
        action,
        prefix,
    })
}

impl RuleSet {
    /// Load one rule file's text into the set. `name` is how problems name the file.
    pub(super) fn load(&mut self, name: &str, text: &str) -> Result<(), Vec<String>> {
        self.load_with(name, text, false)
    }

    /// Load a built-in rule file: as [`RuleSet::load`], with pattern rules' regexes
    /// compiled on first use.
    pub(super) fn load_builtin(&mut self, name: &str, text: &str) -> Result<(), Vec<String>> {
        self.load_with(name, text, true)
    }

    fn load_with(&mut self, name: &str, text: &str, lazy: bool) -> Result<(), Vec<String>> {
        let doc = match DeTable::parse(text) {
            Ok(d) => d,
            Err(e) => {
                let mut l = Loader {
                    name,
                    text,
                    problems: Vec::new(),
                    ignored: BTreeSet::new(),
                    lazy,
                };
                let at = e.span().map_or(0, |s| s.start);
                l.problem(at, format!("invalid TOML: {}", one_line(e.message())));
                return Err(l.problems.into_iter().map(|(_, m)| m).collect());
            }
        };
        let mut l = Loader {
            name,
            text,
            problems: Vec::new(),
            ignored: BTreeSet::new(),
            lazy,
        };
        let top = doc.get_ref();
        l.note_unknown(top, TOP_KNOWN, TOP_GITLEAKS, "");
        let mut warnings = Vec::new();
        let mut rules = Vec::new();
        let mut seen: BTreeSet<String> = BTreeSet::new();
        for v in get_tables(top, "rules") {
            if let Some(r) = parse_rule(&mut l, v, &mut warnings) {
                if !seen.insert(r.id.clone()) {
                    let at = v.span().start;
                    l.problem(at, format!("rule `{}` is defined twice", r.id));
                    continue;
                }
                rules.push(r);
            }
        }
        let mut keys = Vec::new();
        for v in get_tables(top, "keys") {
            if let Some(k) = parse_key(&mut l, v) {
                if !seen.insert(k.id.clone()) {
                    l.problem(
                        v.span().start,
                        format!("key rule `{}` is defined twice", k.id),
                    );
                    continue;
                }
                keys.push(k);
            }
        }
        let mut global = Vec::new();
        for key in ["allowlist", "allowlists"] {
            for a in get_tables(top, key) {
                if let Some(a) = compile_allowlist(&mut l, a, "global allowlist") {
                    global.push(a);
                }
            }
        }
        if l.problems.is_empty() && rules.is_empty() && keys.is_empty() {
            if get_tables(top, "rules").is_empty() && get_tables(top, "keys").is_empty() {
                l.problem(
                    0,
                    "defines no rule: a rule file needs at least one `[[rules]]` or `[[keys]]` \
                     entry"
                        .into(),
                );
            } else {
                l.problem(0, "defines no rule that can run here".into());
                // The reasons, which would otherwise only be warnings.
                let problems = warnings.drain(..).map(|w| (usize::MAX, w));
                l.problems.extend(problems);
            }
        }
        if !l.problems.is_empty() {
            l.problems.sort();
            return Err(l.problems.into_iter().map(|(_, m)| m).collect());
        }
        if !l.ignored.is_empty() {
            let list: Vec<_> = l.ignored.into_iter().collect();
            self.warnings.push(format!(
                "{name}: ignored fields that do not apply to redaction: {}",
                list.join(", ")
            ));
        }
        self.warnings.extend(warnings);
        // Rules from different files never replace each other: a gitleaks file has its own
        // `private-key` or `jwt` rule, and ours must keep running beside it. Counts of rules
        // sharing an id are reported together.
        self.rules.extend(rules);
        self.keys.extend(keys);
        self.global_allow.extend(global);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_lazy_regex_compiles_on_first_use_and_a_broken_one_matches_nothing() {
        let ok = RuleRegex::lazy(r"tok_[a-z]{4}");
        assert!(ok.compiled.get().is_none());
        assert!(ok.get().is_match(b"x tok_abcd"));
        let broken = RuleRegex::lazy("(unclosed");
        for hay in [&b""[..], b"(unclosed", b"\x00\xff any bytes"] {
            assert!(!broken.get().is_match(hay));
        }
    }

    fn load(text: &str) -> Result<RuleSet, Vec<String>> {
        let mut set = RuleSet::default();
        set.load("x.toml", text).map(|()| set)
    }

    #[test]
    fn reports_every_problem_with_line_and_id() {
        let text = "[[rules]]\nid = \"a\"\nregex = '''(unclosed'''\n\n[[rules]]\nid = \"b\"\nregex = 'ok'\nentropy = \"high\"\n[[rules]]\ndescription = \"no id\"\nregex = 'x'\n";
        let errs = load(text).unwrap_err();
        assert_eq!(errs.len(), 3, "{errs:?}");
        assert!(
            errs[0].starts_with("x.toml:3: rule `a` has invalid regex:"),
            "{errs:?}"
        );
        assert!(errs[1].starts_with("x.toml:8: rule `b`"), "{errs:?}");
        assert!(
            errs[2].starts_with("x.toml:9: rule has no `id`"),
            "{errs:?}"
        );
    }

    #[test]
    fn unknown_fields_give_one_warning() {
        let text = "title = \"t\"\nminVersion = \"v8\"\n[[rules]]\nid = \"a\"\nregex = 'x'\ntags = [\"t\"]\npath = 'y'\n";
        let set = load(text).unwrap();
        assert_eq!(set.warnings.len(), 1, "{:?}", set.warnings);
        let w = &set.warnings[0];
        assert!(w.contains("minVersion") && w.contains("rules.tags") && w.contains("title"));
        assert_eq!(set.rules.len(), 1);
    }

    #[test]
    fn misspelled_or_unknown_tables_are_errors() {
        let errs = load("[[rule]]\nid = \"a\"\nregex = 'acme_[A-Z]{8}'\n").unwrap_err();
        assert_eq!(
            errs[0],
            "x.toml:1: unknown top-level field or table `rule` (did you mean `rules`?)"
        );
        let errs = load("[[rules]]\nid = \"a\"\nregexx = 'x'\n").unwrap_err();
        assert!(
            errs[0].starts_with("x.toml:3: unknown field in `rules` `regexx`"),
            "{errs:?}"
        );
        let errs = load("[[keys]]\nid = \"k\"\npattern = 'x'\nmin_length = 3\n").unwrap_err();
        assert!(errs[0].starts_with("x.toml:4: unknown field"), "{errs:?}");
        let errs =
            load("[[rules]]\nid = \"a\"\nregex = 'x'\n[[rules.allowlists]]\nregex = ['y']\n")
                .unwrap_err();
        assert!(errs[0].starts_with("x.toml:5: unknown field"), "{errs:?}");
    }

    #[test]
    fn a_file_without_rules_is_an_error() {
        let errs = load("title = \"mine\"\n[allowlist]\nregexes = ['x']\n").unwrap_err();
        assert!(errs[0].starts_with("x.toml:1: defines no rule"), "{errs:?}");
        let errs = load("").unwrap_err();
        assert!(errs[0].starts_with("x.toml:1: defines no rule"), "{errs:?}");
        // Rules that all had to be skipped protect nothing either; the reasons are errors.
        let errs = load("[[rules]]\nid = \"la\"\nregex = 'foo(?=bar)'\n").unwrap_err();
        assert!(errs[0].contains("defines no rule that can run"), "{errs:?}");
        assert!(errs[1].contains("rule `la` skipped"), "{errs:?}");
    }

    #[test]
    fn ids_and_numbers_are_validated() {
        let cases = [
            (
                "[[rules]]\nid = \"\"\nregex = 'x'\n",
                "x.toml:2: rule id is empty",
            ),
            (
                "[[rules]]\nid = \"a\\u001b[2J\"\nregex = 'x'\n",
                "x.toml:2: rule id holds a control character",
            ),
            (
                "[[keys]]\nid = \" \"\npattern = 'x'\n",
                "x.toml:2: key rule id is empty",
            ),
            (
                "[[rules]]\nid = \"a\"\nregex = 'x'\nentropy = nan\n",
                "x.toml:4: rule `a`: `entropy` must be between 0 and 8",
            ),
            (
                "[[rules]]\nid = \"a\"\nregex = 'x'\nentropy = -1.0\n",
                "x.toml:4: rule `a`: `entropy` must be between 0 and 8",
            ),
            (
                "[[rules]]\nid = \"a\"\nregex = '(x)'\nsecretGroup = -1\n",
                "x.toml:4: rule `a`: `secretGroup` must be a whole number",
            ),
            (
                "[[rules]]\nid = \"a\"\nregex = '(x)'\nsecretGroup = 0.5\n",
                "x.toml:4: rule `a`: `secretGroup` must be a whole number",
            ),
            (
                "[[keys]]\nid = \"k\"\npattern = 'x'\nmin_len = -4\n",
                "x.toml:4: key rule `k`: `min_len` must be a whole number",
            ),
            (
                "[[keys]]\nid = \"k\"\npattern = 'x'\nentropy = inf\n",
                "x.toml:4: key rule `k`: `entropy` must be between 0 and 8",
            ),
        ];
        for (text, want) in cases {
            let errs = load(text).unwrap_err();
            assert!(errs[0].starts_with(want), "{text:?}: {errs:?}");
            assert!(!errs.iter().any(|e| e.contains('\x1b')), "{errs:?}");
        }
    }

    #[test]
    fn gitleaks_top_level_fields_are_accepted() {
        let text = "title = \"t\"\ndescription = \"d\"\n[extend]\nuseDefault = true\n[[allowlists]]\ndescription = \"g\"\ntargetRules = [\"a\"]\nregexes = ['z']\n[[rules]]\nid = \"a\"\nregex = 'x'\nskipReport = false\n";
        let set = load(text).unwrap();
        assert_eq!(set.rules.len(), 1);
        assert!(set.warnings[0].contains("extend"), "{:?}", set.warnings);
    }

    #[test]
    fn go_literal_braces_are_translated() {
        let r = compile_regex(r"^\$(?:\d+|{\d+})$").ok().unwrap();
        assert!(r.is_match(b"${12}") && r.is_match(b"$3"));
        let r = compile_regex(r"^\{\{[ \t]*[\w ().|]+[ \t]*}}$")
            .ok()
            .unwrap();
        assert!(r.is_match(b"{{ .Values.x }}"));
        let r = compile_regex(r"a{2,3}b").ok().unwrap();
        assert!(r.is_match(b"aab") && !r.is_match(b"ab"));
    }

    #[test]
    fn go_quoting_is_translated() {
        let r = compile_regex(r"\Qa.b\E+").ok().unwrap();
        assert!(r.is_match(b"a.bbb"));
        assert!(!r.is_match(b"axb"));
    }

    #[test]
    fn lookaround_skips_the_rule_with_a_named_warning() {
        let set = load(
            "[[rules]]\nid = \"la\"\nregex = 'foo(?=bar)'\n[[rules]]\nid = \"b\"\nregex = 'b'\n",
        )
        .unwrap();
        assert_eq!(set.rules.len(), 1);
        assert!(
            set.warnings[0].contains("rule `la` skipped"),
            "{:?}",
            set.warnings
        );
    }

    #[test]
    fn bad_key_rule_is_reported() {
        let errs = load("[[keys]]\nid = \"k\"\npattern = '(['\n").unwrap_err();
        assert!(
            errs[0].starts_with("x.toml:3: key rule `k` has invalid pattern"),
            "{errs:?}"
        );
    }

    #[test]
    fn invalid_toml_names_the_line() {
        let errs = load("[[rules]]\nid = \n").unwrap_err();
        assert!(errs[0].starts_with("x.toml:2: invalid TOML"), "{errs:?}");
    }
}
