//! Parsing and validating spec text into a [`Spec`].
//!
//! Deserialisation (unknown keys, wrong types) stops at the first problem, since that is what
//! the TOML parser can report; everything after it (ids, kinds, regexes, durations, keys that
//! do not apply to a kind, `from` references, check expressions) is validated in one pass that
//! collects every problem.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::ops::Range;
use std::path::Path;
use std::time::Duration;

use regex::Regex;
use serde::Deserialize;
use toml::Spanned;

use super::{
    CHECKLIST_HEADING, Check, Diagnostic, EnvironmentEntry, FactMatches, FactSpec, ForgeKind,
    FromRef, IssueSpec, Item, Kind, Level, Project, ReplayPlaceholder, ReplayStep, SCHEMA,
    SectionSource, Spec, SpecError, suggest,
};
use crate::check::Condition;
use crate::item::Format;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSpec {
    schema: Spanned<i64>,
    project: RawProject,
    #[serde(default)]
    deny: Vec<Spanned<String>>,
    #[serde(default)]
    vars: BTreeMap<String, String>,
    #[serde(default)]
    collect: Vec<RawItem>,
    #[serde(default)]
    check: Vec<RawCheck>,
    #[serde(default)]
    replay: Vec<RawReplay>,
    issue: Option<RawIssue>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawReplay {
    id: Spanned<String>,
    argv: Spanned<Vec<Spanned<String>>>,
    cwd: Option<Spanned<String>>,
    timeout: Option<Spanned<String>>,
    #[serde(default)]
    requires: Vec<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawProject {
    name: Spanned<String>,
    display: Option<String>,
    description: Option<String>,
    repository: Option<Spanned<String>>,
    repository_fact: Option<Spanned<String>>,
    issue_template: Option<String>,
    issue_form: Option<Spanned<String>>,
    forge: Option<Spanned<String>>,
    security: Option<String>,
    security_recipient: Option<Spanned<toml::Value>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFact {
    name: Spanned<String>,
    regex: Spanned<String>,
    #[serde(default)]
    map: BTreeMap<String, String>,
    value: Option<String>,
    all: Option<Spanned<bool>>,
    count: Option<Spanned<bool>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFrom {
    item: Spanned<String>,
    regex: Spanned<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawItem {
    id: Spanned<String>,
    kind: Spanned<String>,
    label: Option<String>,
    #[serde(default)]
    required: bool,
    hint: Option<String>,
    fact: Option<RawFact>,
    #[serde(default)]
    facts: Vec<RawFact>,
    format: Option<Spanned<String>>,
    timeout: Option<Spanned<String>>,
    max_bytes: Option<Spanned<i64>>,
    tail_lines: Option<Spanned<i64>>,
    binary: Option<Spanned<bool>>,
    strip_ansi: Option<Spanned<bool>>,
    #[serde(default)]
    log: bool,
    argv: Option<Spanned<Vec<String>>>,
    missing_when: Option<Spanned<String>>,
    ok_exit: Option<Spanned<Vec<Spanned<i64>>>>,
    path: Option<Spanned<String>>,
    url: Option<Spanned<String>>,
    allow_remote: Option<Spanned<bool>>,
    vars: Option<Spanned<Vec<String>>>,
    from: Option<Spanned<RawFrom>>,
    recursive: Option<Spanned<bool>>,
    os: Option<Spanned<Vec<Spanned<String>>>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCheck {
    id: Spanned<String>,
    when: Spanned<String>,
    level: Spanned<String>,
    message: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawIssue {
    title: Option<String>,
    sections: Option<Vec<String>>,
    #[serde(default)]
    labels: Vec<String>,
    log_lines: Option<Spanned<i64>>,
    #[serde(default)]
    sources: BTreeMap<String, Spanned<Vec<String>>>,
    #[serde(default)]
    form: BTreeMap<String, Spanned<String>>,
    #[serde(default)]
    environment: Vec<Spanned<RawEnvironmentEntry>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawEnvironmentEntry {
    label: String,
    fact: Option<Spanned<String>>,
    facts: Option<Spanned<Vec<Spanned<String>>>>,
}

/// Load a spec by built-in name or file path: a value containing a `/` or ending in `.toml`
/// is a path; anything else is a built-in name, even when a file of that name exists in the
/// current directory (a built binary called `kestrel`, say): write `./kestrel` for the file.
///
/// A URL is not fetched here (see [`super::RemoteSpec`]): it is an error naming the URL.
pub fn load(name_or_path: &str) -> Result<Spec, SpecError> {
    if super::is_url(name_or_path) {
        return Err(SpecError::whole_file(
            name_or_path,
            "a spec URL is fetched by the command line (`collect --spec URL`), not loaded as a file",
        ));
    }
    if looks_like_path(name_or_path) {
        return load_file(Path::new(name_or_path));
    }
    match super::builtin(name_or_path) {
        Some(b) => parse(&format!("built-in:{}", b.name), b.text),
        None => {
            let names: Vec<&str> = super::BUILTINS.iter().map(|b| b.name).collect();
            let mut err = SpecError::whole_file(
                name_or_path,
                format!(
                    "no built-in spec named `{name_or_path}` (built-ins: {})",
                    names.join(", ")
                ),
            );
            err.diagnostics[0].help = if Path::new(name_or_path).is_file() {
                Some(format!(
                    "a bare name is a built-in spec; for the file, write `./{name_or_path}`"
                ))
            } else {
                suggest(name_or_path, &names).map(|s| format!("did you mean `{s}`?"))
            };
            Err(err)
        }
    }
}

/// Whether `--spec` takes `value` as a path: it contains a `/` or ends in `.toml`.
pub fn looks_like_path(value: &str) -> bool {
    value.contains('/') || value.ends_with(".toml")
}

/// When `value` names a built-in and a file of the same name exists here, the note saying
/// which one [`load`] took and how to ask for the other.
pub fn shadowed_file_note(value: &str) -> Option<String> {
    (!looks_like_path(value) && super::builtin(value).is_some() && Path::new(value).exists()).then(
        || {
            format!(
                "`{value}` is the built-in spec; the file `{value}` here is not read (write \
                 `./{value}` to use it)"
            )
        },
    )
}

/// Load and validate a spec file.
pub fn load_file(path: &Path) -> Result<Spec, SpecError> {
    let origin = path.display().to_string();
    let bytes = read_capped(path)
        .map_err(|e| SpecError::whole_file(&origin, format!("cannot read spec: {e}")))?;
    let text = String::from_utf8(bytes)
        .map_err(|e| SpecError::whole_file(&origin, format!("spec is not valid UTF-8: {e}")))?;
    parse(&origin, &text)
}

/// The largest spec file read: the built-in specs are a few KiB; a megabyte is no spec.
const MAX_SPEC_FILE: u64 = 1024 * 1024;

/// Read a spec file of at most [`MAX_SPEC_FILE`] bytes. What is not a regular file (a FIFO
/// would block, `/dev/zero` never ends) is refused before it is read.
fn read_capped(path: &Path) -> std::io::Result<Vec<u8>> {
    use std::io::Read as _;
    // Before opening: opening a FIFO blocks until something writes to it.
    if !std::fs::metadata(path)?.is_file() {
        return Err(std::io::Error::other("not a regular file"));
    }
    let file = std::fs::File::open(path)?;
    let mut bytes = Vec::new();
    file.take(MAX_SPEC_FILE + 1).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > MAX_SPEC_FILE {
        return Err(std::io::Error::other(format!(
            "larger than {} KiB; a spec is a few KiB",
            MAX_SPEC_FILE / 1024
        )));
    }
    Ok(bytes)
}

/// Validate spec `text`; `origin` names it in errors.
pub fn parse(origin: &str, text: &str) -> Result<Spec, SpecError> {
    let fail = |diagnostics| SpecError {
        origin: origin.to_string(),
        text: text.to_string(),
        diagnostics,
    };
    let raw: RawSpec = toml::from_str(text).map_err(|e| {
        fail(vec![Diagnostic::at(
            e.span(),
            e.message().trim_end().replace('\n', "; "),
        )])
    })?;
    let mut v = Validator::default();
    let spec = v.spec(raw, origin, text);
    if v.problems.is_empty() {
        Ok(spec)
    } else {
        v.problems
            .sort_by_key(|d| d.span.as_ref().map_or(0, |s| s.start));
        Err(fail(v.problems))
    }
}

#[derive(Default)]
struct Validator {
    problems: Vec<Diagnostic>,
}

impl Validator {
    fn err(&mut self, span: Range<usize>, message: impl Into<String>) {
        self.problems.push(Diagnostic::at(Some(span), message));
    }

    fn spec(&mut self, raw: RawSpec, origin: &str, text: &str) -> Spec {
        if *raw.schema.get_ref() != SCHEMA {
            self.err(
                raw.schema.span(),
                format!(
                    "unsupported schema {}; this build reads schema {SCHEMA}",
                    raw.schema.get_ref()
                ),
            );
        }
        let project = self.project(raw.project);
        let deny = raw
            .deny
            .into_iter()
            .filter_map(|g| match globset::Glob::new(g.get_ref()) {
                Ok(_) => Some(g.into_inner()),
                Err(e) => {
                    self.err(g.span(), format!("invalid deny glob: {}", e.kind()));
                    None
                }
            })
            .collect();
        for name in raw.vars.keys() {
            if !is_fact_name(name) || super::BUILTIN_VARS.contains(&name.as_str()) {
                self.problems.push(Diagnostic::at(
                    text.find(&format!("{name} =")).map(|s| s..s + name.len()),
                    format!(
                        "variable `{name}` must be lowercase letters, digits and `_`, and not one of {}",
                        super::BUILTIN_VARS.join(", ")
                    ),
                ));
            }
        }
        // Two items may share an id when they are for different systems (the same log read
        // with `journalctl` on Linux and `log show` on macOS): each run keeps one of them.
        let mut seen: HashMap<String, Vec<Vec<String>>> = HashMap::new();
        let mut items = Vec::new();
        for raw_item in raw.collect {
            let id_span = raw_item.id.span();
            let os: Vec<String> = raw_item
                .os
                .as_ref()
                .map(|l| l.get_ref().iter().map(|o| o.get_ref().clone()).collect())
                .unwrap_or_default();
            let earlier = seen.entry(raw_item.id.get_ref().clone()).or_default();
            let overlaps = |other: &Vec<String>| {
                os.is_empty() || other.is_empty() || other.iter().any(|o| os.contains(o))
            };
            if earlier.iter().any(overlaps) {
                self.err(
                    id_span.clone(),
                    format!(
                        "duplicate collector id `{}` (items may share an id only when their `os` lists do not overlap)",
                        raw_item.id.get_ref()
                    ),
                );
            }
            earlier.push(os);
            self.placeholders(&raw_item, &raw.vars);
            if let Some(item) = self.item(raw_item) {
                items.push(item);
            }
        }
        self.check_references(&items, text);
        let mut check_ids = HashSet::new();
        let checks = raw
            .check
            .into_iter()
            .filter_map(|c| {
                if !check_ids.insert(c.id.get_ref().clone()) {
                    self.err(
                        c.id.span(),
                        format!("duplicate check id `{}`", c.id.get_ref()),
                    );
                }
                self.check(c)
            })
            .collect();
        let issue = self.issue(raw.issue, &items);
        let mut replay_ids = HashSet::new();
        let replay = raw
            .replay
            .into_iter()
            .map(|r| {
                if !replay_ids.insert(r.id.get_ref().clone()) {
                    self.err(
                        r.id.span(),
                        format!("duplicate replay step id `{}`", r.id.get_ref()),
                    );
                }
                self.replay(r, &items)
            })
            .collect();
        Spec {
            project,
            vars: raw.vars,
            deny,
            items,
            checks,
            replay,
            issue,
            origin: origin.to_string(),
            text: text.to_string(),
        }
    }

    /// Every `{name}` in argv, path and url must be a built-in or a declared variable.
    fn placeholders(&mut self, raw: &RawItem, vars: &BTreeMap<String, String>) {
        let mut fields: Vec<(&str, Range<usize>)> = Vec::new();
        if let Some(argv) = &raw.argv {
            fields.extend(argv.get_ref().iter().map(|a| (a.as_str(), argv.span())));
        }
        for s in [&raw.path, &raw.url].into_iter().flatten() {
            fields.push((s.get_ref().as_str(), s.span()));
        }
        for (value, span) in fields {
            for name in super::placeholders(value) {
                if !vars.contains_key(name) && !super::BUILTIN_VARS.contains(&name) {
                    self.err(
                        span.clone(),
                        format!(
                            "unknown placeholder `{{{name}}}`; declare it under `[vars]` or use one of {}",
                            super::BUILTIN_VARS.join(", ")
                        ),
                    );
                }
            }
        }
    }

    fn project(&mut self, raw: RawProject) -> Project {
        let name = raw.name.get_ref().clone();
        if !is_slug(&name) || name.len() > MAX_PROJECT_NAME {
            // The name is part of the bundle's file name; keep the message short for a long one.
            let shown: String = name.chars().take(MAX_PROJECT_NAME).collect();
            let ellipsis = if shown.len() < name.len() { "…" } else { "" };
            self.err(
                raw.name.span(),
                format!(
                    "project name `{shown}{ellipsis}` must be 1 to {MAX_PROJECT_NAME} lowercase letters, digits and `-`"
                ),
            );
        }
        if let Some(repo) = &raw.repository
            && !(repo.get_ref().starts_with("https://") || repo.get_ref().starts_with("http://"))
        {
            self.err(repo.span(), "repository must be an http(s) URL");
        }
        if let Some(form) = &raw.issue_form {
            let path = form.get_ref();
            let relative =
                !path.is_empty() && !path.starts_with('/') && !path.split('/').any(|c| c == "..");
            if !relative || !(path.ends_with(".yml") || path.ends_with(".yaml")) {
                self.err(
                    form.span(),
                    "issue_form must be a relative path to a .yml or .yaml file inside the repository",
                );
            }
        }
        let forge = raw.forge.as_ref().and_then(|f| {
            let kind = ForgeKind::from_name(f.get_ref());
            if kind.is_none() {
                self.err(
                    f.span(),
                    format!(
                        "unknown forge `{}`; expected one of {}",
                        f.get_ref(),
                        ForgeKind::NAMES.join(", ")
                    ),
                );
            }
            kind
        });
        if let Some(fact) = &raw.repository_fact
            && !is_fact_name(fact.get_ref())
        {
            self.err(
                fact.span(),
                format!(
                    "repository_fact `{}` must be a fact name (lowercase letters, digits and `_`)",
                    fact.get_ref()
                ),
            );
        }
        let security_recipients = raw
            .security_recipient
            .as_ref()
            .map(|r| self.recipients(r))
            .unwrap_or_default();
        Project {
            display: raw.display.unwrap_or_else(|| name.clone()),
            repository_fact: raw.repository_fact.map(Spanned::into_inner),
            name,
            description: raw.description,
            repository: raw.repository.map(Spanned::into_inner),
            issue_template: raw.issue_template,
            issue_form: raw.issue_form.map(Spanned::into_inner),
            forge,
            security: raw.security,
            security_recipients,
        }
    }

    /// `security_recipient`: one age public key, or a non-empty list of them.
    fn recipients(&mut self, raw: &Spanned<toml::Value>) -> Vec<String> {
        let keys: Vec<&str> = match raw.get_ref() {
            toml::Value::String(key) => vec![key.as_str()],
            toml::Value::Array(list) if !list.is_empty() => {
                match list
                    .iter()
                    .map(toml::Value::as_str)
                    .collect::<Option<Vec<_>>>()
                {
                    Some(keys) => keys,
                    None => {
                        self.err(
                            raw.span(),
                            "security_recipient must list strings (age1… keys)",
                        );
                        return Vec::new();
                    }
                }
            }
            _ => {
                self.err(
                    raw.span(),
                    "security_recipient must be an age public key (age1…) or a non-empty list of them",
                );
                return Vec::new();
            }
        };
        let mut out = Vec::new();
        for key in keys {
            match crate::seal::parse_recipient(key) {
                Ok(r) => {
                    let key = r.to_string();
                    if !out.contains(&key) {
                        out.push(key);
                    }
                }
                Err(e) => self.err(raw.span(), format!("security_recipient: {e}")),
            }
        }
        out
    }

    fn item(&mut self, raw: RawItem) -> Option<Item> {
        let id = self.item_id(&raw.id);
        let kind = self.item_kind(&id, &raw.kind)?;
        self.kind_keys(&id, kind, &raw);
        self.sources(&id, &raw);
        let ok_exit = self.ok_exit(&id, kind, raw.ok_exit.as_ref());
        let os = self.os(&id, raw.os.as_ref());
        let format = raw.format.as_ref().map_or(Format::Text, |f| self.format(f));
        let timeout = raw.timeout.as_ref().and_then(|t| self.duration(t));
        let max_bytes = raw
            .max_bytes
            .as_ref()
            .and_then(|n| self.positive(n, "max_bytes"));
        let tail_lines = raw
            .tail_lines
            .as_ref()
            .and_then(|n| self.positive(n, "tail_lines"));
        let facts = raw
            .fact
            .into_iter()
            .chain(raw.facts)
            .filter_map(|f| self.fact(f))
            .collect();
        let missing_when = raw.missing_when.as_ref().and_then(|r| self.regex(r));
        let from = raw.from.as_ref().and_then(|f| {
            let regex = self.regex(&f.get_ref().regex)?;
            Some(FromRef {
                item: f.get_ref().item.get_ref().clone(),
                regex,
            })
        });
        Some(Item {
            id,
            kind,
            label: raw.label,
            required: raw.required,
            hint: raw.hint,
            facts,
            format,
            timeout,
            max_bytes,
            tail_lines,
            binary: raw.binary.is_some_and(Spanned::into_inner),
            strip_ansi: raw.strip_ansi.is_some_and(Spanned::into_inner),
            log: raw.log,
            argv: raw.argv.map(Spanned::into_inner).unwrap_or_default(),
            missing_when,
            ok_exit,
            path: raw.path.map(Spanned::into_inner),
            url: raw.url.map(Spanned::into_inner),
            allow_remote: raw.allow_remote.is_some_and(Spanned::into_inner),
            vars: raw.vars.map(Spanned::into_inner).unwrap_or_default(),
            from,
            recursive: raw.recursive.is_some_and(Spanned::into_inner),
            os,
        })
    }

    /// A collector id is a slug: it names entries in the bundle.
    fn item_id(&mut self, raw: &Spanned<String>) -> String {
        let id = raw.get_ref().clone();
        if !is_slug(&id) {
            self.err(
                raw.span(),
                format!("collector id `{id}` must be lowercase letters, digits and `-`"),
            );
        }
        id
    }

    /// The collector kind; `None` (reported) when unknown, since nothing else can be checked.
    fn item_kind(&mut self, id: &str, raw: &Spanned<String>) -> Option<Kind> {
        let kind = Kind::from_name(raw.get_ref());
        if kind.is_none() {
            let mut d = Diagnostic::at(
                Some(raw.span()),
                format!(
                    "collector `{id}` has unknown kind `{}`; expected one of {}",
                    raw.get_ref(),
                    Kind::NAMES.join(", ")
                ),
            );
            if let Some(s) = suggest(raw.get_ref(), &Kind::NAMES) {
                d = d.with_help(format!("did you mean `{s}`?"));
            }
            self.problems.push(d);
        }
        kind
    }

    fn format(&mut self, raw: &Spanned<String>) -> Format {
        Format::ALL
            .into_iter()
            .find(|x| x.as_str() == raw.get_ref())
            .unwrap_or_else(|| {
                let names: Vec<&str> = Format::ALL.iter().map(|x| x.as_str()).collect();
                self.err(
                    raw.span(),
                    format!(
                        "unknown format `{}`; expected one of {}",
                        raw.get_ref(),
                        names.join(", ")
                    ),
                );
                Format::Text
            })
    }

    fn fact(&mut self, raw: RawFact) -> Option<FactSpec> {
        if !is_fact_name(raw.name.get_ref()) {
            self.err(
                raw.name.span(),
                format!(
                    "fact name `{}` must be lowercase letters, digits and `_`",
                    raw.name.get_ref()
                ),
            );
        }
        let regex = self.regex(&raw.regex)?;
        let flag = |f: &Option<Spanned<bool>>| f.as_ref().is_some_and(|b| *b.get_ref());
        let matches = match (flag(&raw.all), flag(&raw.count)) {
            (false, false) => FactMatches::First,
            (true, false) => FactMatches::All,
            (false, true) => FactMatches::Count,
            (true, true) => {
                let span = raw.count.as_ref().map_or(0..0, Spanned::span);
                self.err(span, "a fact takes `all` or `count`, not both");
                FactMatches::First
            }
        };
        Some(FactSpec {
            name: raw.name.into_inner(),
            regex,
            map: raw.map,
            value: raw.value,
            matches,
        })
    }

    /// What a collector reads from: a program to run, a URL to fetch, a path or glob to read.
    /// Placeholders are filled in at plan time; what can be told before that is checked here.
    fn sources(&mut self, id: &str, raw: &RawItem) {
        if let Some(url) = &raw.url
            && super::placeholders(url.get_ref()).is_empty()
            && let Err(why) = check_url(url.get_ref())
        {
            self.err(url.span(), format!("collector `{id}`: {why}"));
        }
        if let Some(argv) = &raw.argv
            && argv.get_ref().first().is_none_or(|a| a.is_empty())
        {
            self.err(
                argv.span(),
                format!("collector `{id}`: argv must name a program"),
            );
        }
        if let Some(path) = &raw.path
            && let Err(e) = check_glob(path.get_ref())
        {
            self.err(
                path.span(),
                format!("collector `{id}`: invalid glob: {}", e.kind()),
            );
        }
    }

    /// Keys that a kind needs, and keys that make no sense for it.
    fn kind_keys(&mut self, id: &str, kind: Kind, raw: &RawItem) {
        let present: [(&str, Option<Range<usize>>); 11] = [
            ("argv", raw.argv.as_ref().map(Spanned::span)),
            ("missing_when", raw.missing_when.as_ref().map(Spanned::span)),
            ("path", raw.path.as_ref().map(Spanned::span)),
            ("url", raw.url.as_ref().map(Spanned::span)),
            ("vars", raw.vars.as_ref().map(Spanned::span)),
            ("from", raw.from.as_ref().map(Spanned::span)),
            ("binary", raw.binary.as_ref().map(Spanned::span)),
            ("tail_lines", raw.tail_lines.as_ref().map(Spanned::span)),
            ("allow_remote", raw.allow_remote.as_ref().map(Spanned::span)),
            ("recursive", raw.recursive.as_ref().map(Spanned::span)),
            ("strip_ansi", raw.strip_ansi.as_ref().map(Spanned::span)),
        ];
        let allowed: &[&str] = match kind {
            Kind::System => &[],
            Kind::Command => &["argv", "strip_ansi", "missing_when"],
            Kind::File => &["path", "from", "binary", "tail_lines", "strip_ansi"],
            Kind::Listing => &["path", "recursive"],
            Kind::Http => &["url", "allow_remote"],
            Kind::Env => &["vars"],
        };
        for (key, span) in &present {
            if let Some(span) = span
                && !allowed.contains(key)
            {
                self.err(
                    span.clone(),
                    format!(
                        "key `{key}` does not apply to `{}` collector `{id}`",
                        kind.as_str()
                    ),
                );
            }
        }
        let has = |key: &str| present.iter().any(|(k, s)| *k == key && s.is_some());
        let needed: &[&str] = match kind {
            Kind::Command => &["argv"],
            Kind::Listing => &["path"],
            Kind::Http => &["url"],
            Kind::Env => &["vars"],
            Kind::System | Kind::File => &[],
        };
        for key in needed {
            if !has(key) {
                self.err(
                    raw.kind.span(),
                    format!("`{}` collector `{id}` needs `{key}`", kind.as_str()),
                );
            }
        }
        if kind == Kind::File && has("path") == has("from") {
            self.err(
                raw.kind.span(),
                format!("`file` collector `{id}` needs exactly one of `path` and `from`"),
            );
        }
    }

    /// `ok_exit`: exit codes (0 to 255) of a `command` collector that are answers.
    fn ok_exit(
        &mut self,
        id: &str,
        kind: Kind,
        raw: Option<&Spanned<Vec<Spanned<i64>>>>,
    ) -> Vec<u8> {
        let Some(raw) = raw else {
            return Vec::new();
        };
        if kind != Kind::Command {
            self.err(
                raw.span(),
                format!(
                    "key `ok_exit` does not apply to `{}` collector `{id}`",
                    kind.as_str()
                ),
            );
            return Vec::new();
        }
        let mut codes = Vec::new();
        for code in raw.get_ref() {
            match u8::try_from(*code.get_ref()) {
                Ok(c) => codes.push(c),
                Err(_) => self.err(
                    code.span(),
                    format!(
                        "collector `{id}`: ok_exit code {} is not an exit status (0 to 255)",
                        code.get_ref()
                    ),
                ),
            }
        }
        codes
    }

    /// `os`: the systems an item is collected on, each a name Rust uses.
    fn os(&mut self, id: &str, raw: Option<&Spanned<Vec<Spanned<String>>>>) -> Vec<String> {
        let Some(raw) = raw else {
            return Vec::new();
        };
        if raw.get_ref().is_empty() {
            self.err(
                raw.span(),
                format!("collector `{id}`: `os` is empty, so it would never be collected (leave it out for every system)"),
            );
        }
        let mut names = Vec::new();
        for name in raw.get_ref() {
            if super::KNOWN_OS.contains(&name.get_ref().as_str()) {
                names.push(name.get_ref().clone());
            } else {
                self.err(
                    name.span(),
                    format!(
                        "collector `{id}`: unknown os `{}` (known: {})",
                        name.get_ref(),
                        super::KNOWN_OS.join(", ")
                    ),
                );
            }
        }
        names
    }

    fn check_references(&mut self, items: &[Item], text: &str) {
        for item in items {
            if let Some(from) = &item.from {
                let target = items.iter().find(|i| i.id == from.item);
                let problem = match target {
                    None => Some(format!(
                        "collector `{}` follows unknown collector `{}`",
                        item.id, from.item
                    )),
                    Some(t) if t.kind != Kind::File => Some(format!(
                        "collector `{}` follows `{}`, which is not a `file` collector",
                        item.id, from.item
                    )),
                    Some(t) if t.from.is_some() => Some(format!(
                        "collector `{}` follows `{}`, which itself follows another collector",
                        item.id, from.item
                    )),
                    _ => None,
                };
                if let Some(message) = problem {
                    // The span of the referenced name is found in the text: one line per id.
                    let needle = format!("item = \"{}\"", from.item);
                    let span = text.find(&needle).map(|s| s..s + needle.len());
                    self.problems.push(Diagnostic::at(span, message));
                }
            }
        }
    }

    fn check(&mut self, raw: RawCheck) -> Option<Check> {
        let level = match raw.level.get_ref().as_str() {
            "fail" => Some(Level::Fail),
            "warn" => Some(Level::Warn),
            other => {
                self.err(
                    raw.level.span(),
                    format!("unknown check level `{other}`; expected `fail` or `warn`"),
                );
                None
            }
        };
        let when = match Condition::parse(raw.when.get_ref()) {
            Ok(c) => Some(c),
            Err(e) => {
                self.err(raw.when.span(), format!("invalid check condition: {e}"));
                None
            }
        };
        Some(Check {
            id: raw.id.into_inner(),
            when: when?,
            level: level?,
            message: raw.message,
        })
    }

    /// A `[[replay]]` step: its placeholders must be well formed and name collectors of this
    /// spec (at most one per step, since each file of it is one run), and `requires` too.
    fn replay(&mut self, raw: RawReplay, items: &[Item]) -> ReplayStep {
        let id = raw.id.get_ref().clone();
        if !is_slug(&id) {
            self.err(
                raw.id.span(),
                format!("replay step id `{id}` must be lowercase letters, digits and `-`"),
            );
        }
        if raw
            .argv
            .get_ref()
            .first()
            .is_none_or(|a| a.get_ref().is_empty())
        {
            self.err(
                raw.argv.span(),
                format!("replay step `{id}`: argv must name a program"),
            );
        }
        let mut entry_items: Vec<String> = Vec::new();
        let values = raw.argv.get_ref().iter().chain(&raw.cwd);
        for value in values {
            let placeholders = match super::replay_placeholders(value.get_ref()) {
                Ok(p) => p,
                Err(why) => {
                    self.err(value.span(), format!("replay step `{id}`: {why}"));
                    continue;
                }
            };
            for p in placeholders {
                let (written, item) = match p {
                    ReplayPlaceholder::Entry(item) => ("entry", item),
                    ReplayPlaceholder::EntryDir(item) => ("entry_dir", item),
                    _ => continue,
                };
                if !items.iter().any(|i| i.id == item) {
                    self.err(
                        value.span(),
                        format!("replay step `{id}`: `{{{written}:{item}}}` names unknown collector `{item}`"),
                    );
                } else if !entry_items.iter().any(|e| e == item) {
                    if let Some(first) = entry_items.first() {
                        self.err(
                            value.span(),
                            format!(
                                "replay step `{id}` uses the files of `{first}` and `{item}`; a step runs once per file of one collector"
                            ),
                        );
                    }
                    entry_items.push(item.to_string());
                }
            }
        }
        if let Some(program) = raw.argv.get_ref().first()
            && super::replay_placeholders(program.get_ref()).is_ok_and(|p| {
                p.iter().any(|x| {
                    matches!(
                        x,
                        ReplayPlaceholder::Entry(_) | ReplayPlaceholder::EntryDir(_)
                    )
                })
            })
        {
            self.err(
                program.span(),
                format!("replay step `{id}`: the program cannot be a bundle entry (a bundle is never executed)"),
            );
        }
        for item in &raw.requires {
            if !items.iter().any(|i| &i.id == item.get_ref()) {
                self.err(
                    item.span(),
                    format!(
                        "replay step `{id}` requires unknown collector `{}`",
                        item.get_ref()
                    ),
                );
            }
        }
        let timeout = raw.timeout.as_ref().and_then(|t| self.duration(t));
        ReplayStep {
            id,
            argv: raw
                .argv
                .into_inner()
                .into_iter()
                .map(Spanned::into_inner)
                .collect(),
            cwd: raw.cwd.map(Spanned::into_inner),
            timeout,
            requires: raw.requires.into_iter().map(Spanned::into_inner).collect(),
        }
    }

    fn issue(&mut self, raw: Option<RawIssue>, items: &[Item]) -> IssueSpec {
        let mut issue = IssueSpec::default();
        let Some(raw) = raw else { return issue };
        if let Some(title) = raw.title {
            issue.title = title;
        }
        if let Some(sections) = raw.sections {
            issue.sections = sections;
        }
        issue.labels = raw.labels;
        if let Some(n) = raw
            .log_lines
            .as_ref()
            .and_then(|n| self.positive(n, "log_lines"))
        {
            issue.log_lines = usize::try_from(n).unwrap_or(usize::MAX);
        }
        for (heading, list) in raw.sources {
            if !issue.sections.contains(&heading) {
                self.err(
                    list.span(),
                    format!("[issue.sources] names `{heading}`, which is not one of the sections"),
                );
            }
            let mut sources = Vec::new();
            for name in list.get_ref() {
                match SectionSource::parse(name) {
                    Some(SectionSource::Item(id)) if !items.iter().any(|i| i.id == id) => {
                        self.err(
                            list.span(),
                            format!("section `{heading}` names unknown collector `{id}`"),
                        );
                    }
                    Some(SectionSource::Fact(f))
                        if !items.iter().any(|i| {
                            i.kind == Kind::System || i.facts.iter().any(|x| x.name == f)
                        }) =>
                    {
                        self.err(
                            list.span(),
                            format!(
                                "section `{heading}` names fact `{f}`, which no collector extracts"
                            ),
                        );
                    }
                    Some(source) => sources.push(source),
                    None => {
                        let mut d = Diagnostic::at(
                            Some(list.span()),
                            format!(
                                "unknown section source `{name}`; expected one of {}, `item:<id>` or `fact:<name>`",
                                SectionSource::NAMES.join(", ")
                            ),
                        );
                        if let Some(s) = suggest(name, &SectionSource::NAMES) {
                            d = d.with_help(format!("did you mean `{s}`?"));
                        }
                        self.problems.push(d);
                    }
                }
            }
            issue.sources.insert(heading, sources);
        }
        for entry in raw.environment {
            let span = entry.span();
            let RawEnvironmentEntry { label, fact, facts } = entry.into_inner();
            if label.trim().is_empty() || label.contains('\n') {
                self.err(
                    span.clone(),
                    "[issue] environment: `label` must be one non-empty line",
                );
            }
            let names: Vec<Spanned<String>> = match (fact, facts) {
                (Some(f), None) => vec![f],
                (None, Some(list)) if !list.get_ref().is_empty() => list.into_inner(),
                _ => {
                    self.err(
                        span,
                        format!(
                            "[issue] environment entry `{}` needs exactly one of `fact` and a non-empty `facts`",
                            label.trim()
                        ),
                    );
                    continue;
                }
            };
            for name in &names {
                let n = name.get_ref();
                let extracted = items
                    .iter()
                    .any(|i| i.kind == Kind::System || i.facts.iter().any(|x| &x.name == n));
                if !is_fact_name(n) {
                    self.err(
                        name.span(),
                        format!(
                            "[issue] environment: `{n}` is not a fact name (lowercase letters, digits and `_`)"
                        ),
                    );
                } else if !extracted {
                    self.err(
                        name.span(),
                        format!(
                            "[issue] environment names fact `{n}`, which no collector extracts"
                        ),
                    );
                }
            }
            issue.environment.push(EnvironmentEntry {
                label,
                facts: names.into_iter().map(Spanned::into_inner).collect(),
            });
        }
        for (field, heading) in raw.form {
            let valid_id = !field.is_empty()
                && field
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
            if !valid_id {
                self.err(
                    heading.span(),
                    format!("form field id `{field}` must be letters, digits, `-` and `_`"),
                );
            }
            if !issue.sections.contains(heading.get_ref()) && heading.get_ref() != CHECKLIST_HEADING
            {
                self.err(
                    heading.span(),
                    format!(
                        "form field `{field}` maps to `{}`, which is not one of the sections (or `{CHECKLIST_HEADING}`)",
                        heading.get_ref()
                    ),
                );
            }
            issue.form.insert(field, heading.into_inner());
        }
        issue
    }

    fn duration(&mut self, raw: &Spanned<String>) -> Option<Duration> {
        match humantime::parse_duration(raw.get_ref()) {
            Ok(d) if d > MAX_TIMEOUT => {
                self.err(
                    raw.span(),
                    format!(
                        "timeout `{}` is too long; the limit is {}h",
                        raw.get_ref(),
                        MAX_TIMEOUT.as_secs() / 3600
                    ),
                );
                None
            }
            Ok(d) if d > Duration::ZERO => Some(d),
            Ok(_) => {
                self.err(raw.span(), "timeout must be more than zero");
                None
            }
            Err(e) => {
                self.err(
                    raw.span(),
                    format!(
                        "invalid duration `{}`: {e} (write e.g. `10s`, `500ms`, `2m`)",
                        raw.get_ref()
                    ),
                );
                None
            }
        }
    }

    fn positive(&mut self, raw: &Spanned<i64>, key: &str) -> Option<u64> {
        match u64::try_from(*raw.get_ref()) {
            Ok(n) if n > 0 => Some(n),
            _ => {
                self.err(
                    raw.span(),
                    format!("`{key}` must be a positive whole number"),
                );
                None
            }
        }
    }

    fn regex(&mut self, raw: &Spanned<String>) -> Option<Regex> {
        match Regex::new(raw.get_ref()) {
            Ok(r) => Some(r),
            Err(e) => {
                let msg = e.to_string();
                let last = msg.lines().last().unwrap_or("invalid").trim().to_string();
                self.err(raw.span(), format!("invalid regex: {last}"));
                None
            }
        }
    }
}

/// Longest `[project] name`: it is part of every bundle's file name.
const MAX_PROJECT_NAME: usize = 64;

/// Longest collector `timeout`: a collector that runs longer than a day is stuck, and a
/// duration this size stays far from what the clock arithmetic can hold.
const MAX_TIMEOUT: Duration = Duration::from_secs(24 * 60 * 60);

/// An http(s) URL with a host, as the `http` collector will parse it.
fn check_url(url: &str) -> Result<(), String> {
    if !(url.starts_with("http://") || url.starts_with("https://")) {
        return Err("url must start with http:// or https://".into());
    }
    let uri: ureq::http::Uri = url
        .parse()
        .map_err(|e| format!("invalid url `{url}`: {e}"))?;
    let authority = uri.authority().map_or("", |a| a.as_str());
    // Everything before the last `@` is user info; what follows must name a host.
    let host_port = authority.rsplit('@').next().unwrap_or_default();
    if host_port.is_empty() || host_port.starts_with(':') {
        return Err(format!("invalid url `{url}`: no host"));
    }
    Ok(())
}

/// A path that is a glob must compile as one, with its placeholders standing for plain text.
fn check_glob(path: &str) -> Result<(), globset::Error> {
    let filler: BTreeMap<String, String> = super::placeholders(path)
        .into_iter()
        .map(|name| (name.to_string(), "x".to_string()))
        .collect();
    let filled = super::substitute(path, &filler);
    if !filled.contains(['*', '?', '[', '{']) {
        return Ok(());
    }
    globset::GlobBuilder::new(&filled)
        .literal_separator(true)
        .build()
        .map(drop)
}

fn is_slug(s: &str) -> bool {
    !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

fn is_fact_name(s: &str) -> bool {
    !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
}

#[cfg(test)]
mod tests {
    use super::*;

    const BASE: &str = "schema = 1\n[project]\nname = \"p\"\n[[collect]]\nid = \"v\"\nkind = \"command\"\nargv = [\"p\", \"--version\"]\nfact = { name = \"p_version\", regex = 'p (\\S+)' }\n";

    #[test]
    fn issue_additions_load() {
        let text = format!(
            "{BASE}[issue]\nsections = [\"Version\", \"Steps\"]\n[issue.sources]\n\"Version\" = [\"fact:p_version\", \"item:v\"]\n\"Steps\" = [\"placeholder\"]\n[issue.form]\nver = \"Version\"\nrest = \"{CHECKLIST_HEADING}\"\n"
        );
        let spec = parse("t.toml", &text).unwrap();
        assert_eq!(
            spec.section_sources("Version"),
            [
                SectionSource::Fact("p_version".into()),
                SectionSource::Item("v".into())
            ]
        );
        assert_eq!(spec.issue.form["rest"], CHECKLIST_HEADING);
    }

    #[test]
    fn every_issue_problem_is_reported_with_its_line() {
        let text = format!(
            "{BASE}[issue]\nsections = [\"Version\"]\n[issue.sources]\n\"Version\" = [\"enviroment\"]\n\"Nope\" = [\"item:ghost\"]\n[issue.form]\n\"bad id!\" = \"Missing\"\n"
        )
        .replace("name = \"p\"\n", "name = \"p\"\nissue_form = \"../x.yml\"\nforge = \"bitbucket\"\n");
        let err = parse("t.toml", &text).unwrap_err();
        let shown = err.to_string();
        for needle in [
            "t.toml:4:14: issue_form must be a relative path",
            "t.toml:5:9: unknown forge `bitbucket`",
            "unknown section source `enviroment`",
            "[issue.sources] names `Nope`",
            "unknown collector `ghost`",
            "form field id `bad id!`",
            "maps to `Missing`",
        ] {
            assert!(shown.contains(needle), "missing {needle:?} in:\n{shown}");
        }
        assert!(
            err.diagnostics
                .iter()
                .any(|d| d.help.as_deref() == Some("did you mean `environment`?"))
        );
    }

    fn problems(text: &str) -> String {
        parse("t.toml", text).unwrap_err().to_string()
    }

    #[test]
    fn security_recipients_load_as_one_key_or_a_list() {
        let (a, b) = (
            age::x25519::Identity::generate().to_public().to_string(),
            age::x25519::Identity::generate().to_public().to_string(),
        );
        let one = BASE.replace(
            "name = \"p\"\n",
            &format!("name = \"p\"\nsecurity_recipient = \"{a}\"\n"),
        );
        assert_eq!(
            parse("t.toml", &one).unwrap().project.security_recipients,
            std::slice::from_ref(&a)
        );
        let two = BASE.replace(
            "name = \"p\"\n",
            &format!("name = \"p\"\nsecurity_recipient = [\"{a}\", \"{b}\", \"{a}\"]\n"),
        );
        assert_eq!(
            parse("t.toml", &two).unwrap().project.security_recipients,
            [a, b]
        );
        assert!(
            parse("t.toml", BASE)
                .unwrap()
                .project
                .security_recipients
                .is_empty()
        );
    }

    #[test]
    fn a_bad_security_recipient_points_at_its_line() {
        for (value, needle) in [
            (
                "\"age1nope\"",
                "t.toml:4:22: security_recipient: `age1nope` is not an age public key",
            ),
            (
                "[]",
                "t.toml:4:22: security_recipient must be an age public key",
            ),
            ("[1]", "t.toml:4:22: security_recipient must list strings"),
            (
                "true",
                "t.toml:4:22: security_recipient must be an age public key",
            ),
        ] {
            let text = BASE.replace(
                "name = \"p\"\n",
                &format!("name = \"p\"\nsecurity_recipient = {value}\n"),
            );
            let shown = problems(&text);
            assert!(shown.contains(needle), "missing {needle:?} in:\n{shown}");
        }
    }

    #[test]
    fn a_long_project_name_is_refused_at_load() {
        let at_limit = BASE.replace("name = \"p\"", &format!("name = \"{}\"", "p".repeat(64)));
        assert!(parse("t.toml", &at_limit).is_ok());
        let long = BASE.replace("name = \"p\"", &format!("name = \"{}\"", "p".repeat(5000)));
        let shown = problems(&long);
        assert!(
            shown.starts_with("t.toml:3:8: project name `ppp")
                && shown.contains("must be 1 to 64 lowercase letters"),
            "{shown}"
        );
        assert!(shown.len() < 600, "{shown}");
    }

    #[test]
    fn timeouts_are_capped_at_load() {
        let with = |t: &str| BASE.replace("argv =", &format!("timeout = \"{t}\"\nargv ="));
        assert!(parse("t.toml", &with("24h")).is_ok());
        for huge in ["18446744073709551615s", "25h", "400days"] {
            let shown = problems(&with(huge));
            assert!(
                shown.starts_with(&format!(
                    "t.toml:7:11: timeout `{huge}` is too long; the limit is 24h"
                )),
                "{shown}"
            );
        }
    }

    #[test]
    fn bad_globs_and_urls_are_found_at_load() {
        let file = |path: &str| {
            format!("{BASE}[[collect]]\nid = \"f\"\nkind = \"file\"\npath = \"{path}\"\n")
        };
        assert!(parse("t.toml", &file("/var/log/*.log")).is_ok());
        assert!(parse("t.toml", &file("{home}/.config/app/{{a,b}}.toml")).is_ok());
        let shown = problems(&file("/var/log/[app.log"));
        assert!(
            shown.starts_with("t.toml:12:8: collector `f`: invalid glob: unclosed character class"),
            "{shown}"
        );
        assert!(problems(&file("/etc/{a,{b}.conf")).contains("invalid glob"));

        let http = |url: &str| {
            format!("{BASE}[[collect]]\nid = \"h\"\nkind = \"http\"\nurl = \"{url}\"\n")
        };
        assert!(parse("t.toml", &http("http://127.0.0.1:8080/metrics")).is_ok());
        assert!(
            parse(
                "t.toml",
                &http("http://{host}/metrics\"\n[vars]\nhost = \"x")
            )
            .is_ok()
        );
        for bad in [
            "http://exa mple.com/",
            "http://",
            "https://:80/x",
            "http://[::1/x",
        ] {
            let shown = problems(&http(bad));
            assert!(
                shown.starts_with("t.toml:12:7: collector `h`: invalid url"),
                "{bad}: {shown}"
            );
        }
        assert!(problems(&http("ftp://x/")).contains("url must start with http://"));
    }

    #[test]
    fn issue_environment_loads_in_order() {
        let text = format!(
            "{BASE}[[collect]]\nid = \"sys\"\nkind = \"system\"\n[issue]\nenvironment = [\n  {{ label = \"OS\", facts = [\"os\", \"os_version\"] }},\n  {{ label = \"P Version\", fact = \"p_version\" }},\n]\n"
        );
        let spec = parse("t.toml", &text).unwrap();
        let got: Vec<(&str, Vec<&str>)> = spec
            .issue
            .environment
            .iter()
            .map(|e| {
                (
                    e.label.as_str(),
                    e.facts.iter().map(String::as_str).collect(),
                )
            })
            .collect();
        assert_eq!(
            got,
            [
                ("OS", vec!["os", "os_version"]),
                ("P Version", vec!["p_version"])
            ]
        );
    }

    #[test]
    fn issue_environment_problems_point_at_their_line() {
        let text = format!(
            "{BASE}[issue]\nenvironment = [\n  {{ label = \"V\", fact = \"q_version\" }},\n  {{ label = \"W\", fact = \"Bad\" }},\n  {{ label = \"\", facts = [] }},\n  {{ label = \"X\", fakt = \"p_version\" }},\n]\n"
        );
        let shown = problems(&text);
        assert!(shown.contains("unknown field `fakt`"), "{shown}");
        let text = text.replace("  { label = \"X\", fakt = \"p_version\" },\n", "");
        let err = parse("t.toml", &text).unwrap_err();
        let shown = err.to_string();
        for needle in [
            "t.toml:11:25: [issue] environment names fact `q_version`, which no collector extracts",
            "t.toml:12:25: [issue] environment: `Bad` is not a fact name",
            "t.toml:13:3: [issue] environment entry `` needs exactly one of `fact` and a non-empty `facts`",
        ] {
            assert!(shown.contains(needle), "missing {needle:?} in:\n{shown}");
        }
    }

    const SYSTEMS: &str = "[[collect]]\nid = \"logs\"\nkind = \"command\"\nargv = [\"journalctl\"]\nos = [\"linux\"]\n\
         [[collect]]\nid = \"logs\"\nkind = \"command\"\nargv = [\"log\", \"show\"]\nos = [\"macos\"]\n\
         [[collect]]\nid = \"conf\"\nkind = \"file\"\npath = \"/etc/p.conf\"\nos = [\"macos\", \"freebsd\"]\n\
         [[collect]]\nid = \"named\"\nkind = \"file\"\nfrom = { item = \"conf\", regex = \'include (\\S+)\' }\n";

    #[test]
    fn items_for_other_systems_are_dropped_with_what_follows_them() {
        let spec = parse("t.toml", &format!("{BASE}{SYSTEMS}")).unwrap();
        assert_eq!(spec.items.len(), 5);
        let mut linux = spec.clone();
        assert_eq!(linux.keep_for_os("linux"), ["logs", "conf", "named"]);
        let argv: Vec<_> = linux.items.iter().map(|i| i.argv.join(" ")).collect();
        assert_eq!(argv, ["p --version", "journalctl"]);
        let mut mac = spec.clone();
        assert_eq!(mac.keep_for_os("macos"), ["logs"]);
        let ids: Vec<_> = mac.items.iter().map(|i| i.id.as_str()).collect();
        assert_eq!(ids, ["v", "logs", "conf", "named"]);
        assert_eq!(mac.items[1].argv, ["log", "show"]);
    }

    #[test]
    fn os_problems_point_at_their_line() {
        let text = format!(
            "{BASE}[[collect]]\nid = \"a\"\nkind = \"command\"\nargv = [\"x\"]\nos = [\"linux\", \"mac\"]\n\
             [[collect]]\nid = \"b\"\nkind = \"command\"\nargv = [\"x\"]\nos = []\n\
             [[collect]]\nid = \"a\"\nkind = \"command\"\nargv = [\"y\"]\nos = [\"linux\"]\n\
             [[collect]]\nid = \"v\"\nkind = \"command\"\nargv = [\"y\"]\nos = [\"macos\"]\n"
        );
        let shown = problems(&text);
        for needle in [
            "t.toml:13:16: collector `a`: unknown os `mac` (known: linux, macos, windows,",
            "t.toml:18:6: collector `b`: `os` is empty",
            "t.toml:20:6: duplicate collector id `a` (items may share an id only when their `os` lists do not overlap)",
            // `v` above is for every system, so no other `v` may exist.
            "t.toml:25:6: duplicate collector id `v`",
        ] {
            assert!(shown.contains(needle), "missing {needle:?} in:\n{shown}");
        }
    }

    #[test]
    fn ok_exit_loads_for_commands() {
        let text = BASE.replace(
            "kind = \"command\"\n",
            "kind = \"command\"\nok_exit = [0, 3]\n",
        );
        let spec = parse("t.toml", &text).unwrap();
        assert_eq!(spec.items[0].ok_exit, [0, 3]);
        assert!(parse("t.toml", BASE).unwrap().items[0].ok_exit.is_empty());
    }

    #[test]
    fn ok_exit_problems_point_at_their_line() {
        let text = BASE.replace(
            "kind = \"command\"\n",
            "kind = \"command\"\nok_exit = [1, 256, -1]\n",
        ) + "[[collect]]\nid = \"f\"\nkind = \"file\"\npath = \"/x\"\nok_exit = [1]\n";
        let err = parse("t.toml", &text).unwrap_err();
        let shown = err.to_string();
        for needle in [
            "t.toml:7:15: collector `v`: ok_exit code 256 is not an exit status (0 to 255)",
            "t.toml:7:20: collector `v`: ok_exit code -1 is not an exit status (0 to 255)",
            "t.toml:14:11: key `ok_exit` does not apply to `file` collector `f`",
        ] {
            assert!(shown.contains(needle), "missing {needle:?} in:\n{shown}");
        }
        assert_eq!(err.diagnostics.len(), 3, "{shown}");
    }

    const REPLAY_BASE: &str = "schema = 1\n[project]\nname = \"p\"\n[[collect]]\nid = \"dumps\"\nkind = \"file\"\npath = \"*.json\"\n";

    #[test]
    fn replay_steps_load() {
        let text = format!(
            "{REPLAY_BASE}[[replay]]\nid = \"run\"\nargv = [\"tool\", \"replay\", \"{{entry:dumps}}\", \"--rules\", \"{{rules}}\", \"{{{{x}}}}\"]\ncwd = \"{{entry_dir:dumps}}\"\ntimeout = \"90s\"\nrequires = [\"dumps\"]\n"
        );
        let spec = parse("t.toml", &text).unwrap_or_else(|e| panic!("{e}"));
        let step = &spec.replay[0];
        assert_eq!(step.entry_item(), Some("dumps"));
        assert_eq!(step.variables(), ["rules"]);
        assert_eq!(step.timeout, Some(Duration::from_secs(90)));
        assert_eq!(step.cwd.as_deref(), Some("{entry_dir:dumps}"));
    }

    #[test]
    fn replay_problems_point_at_their_line() {
        let text = format!(
            "{REPLAY_BASE}[[replay]]\nid = \"Bad\"\nargv = [\"{{entry:dumps}}\"]\n[[replay]]\nid = \"b\"\nargv = [\"t\", \"{{entry:ghost}}\", \"{{Rules}}\", \"{{dir\"]\ncwd = \"{{entry:dumps}}}}\"\nrequires = [\"nope\"]\ntimeout = \"soon\"\n[[replay]]\nid = \"b\"\nargv = []\n"
        );
        let shown = problems(&text);
        for needle in [
            "t.toml:9:6: replay step id `Bad` must be lowercase",
            "t.toml:10:9: replay step `Bad`: the program cannot be a bundle entry",
            "t.toml:13:14: replay step `b`: `{entry:ghost}` names unknown collector `ghost`",
            "t.toml:13:31: replay step `b`: unknown placeholder `{Rules}`",
            "t.toml:13:42: replay step `b`: unclosed `{`",
            "t.toml:14:7: replay step `b`: unmatched `}`",
            "t.toml:15:13: replay step `b` requires unknown collector `nope`",
            "t.toml:16:11: invalid duration `soon`",
            "t.toml:18:6: duplicate replay step id `b`",
            "t.toml:19:8: replay step `b`: argv must name a program",
        ] {
            assert!(shown.contains(needle), "missing {needle:?} in:\n{shown}");
        }
    }

    #[test]
    fn a_replay_step_uses_one_collector_s_files() {
        let text = format!(
            "{REPLAY_BASE}[[collect]]\nid = \"logs\"\nkind = \"file\"\npath = \"*.log\"\n[[replay]]\nid = \"r\"\nargv = [\"t\", \"{{entry:dumps}}\", \"{{entry:logs}}\"]\n"
        );
        assert!(
            problems(&text).contains("uses the files of `dumps` and `logs`"),
            "{}",
            problems(&text)
        );
    }
}
