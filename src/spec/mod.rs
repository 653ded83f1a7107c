//! Collector specs: what a project's support policy asks for, as TOML.
//!
//! A spec is loaded from a built-in (`collectors/*.toml`, embedded) or a file, validated in one
//! pass that reports every problem with its file, line and column ([`SpecError`]), and turned
//! into the typed [`Spec`] the planner runs. The spec's exact text travels into the bundle as
//! `spec.toml`, so `check` can replay it later.

mod builtin;
mod diagnostic;
mod discover;
mod load;
mod remote;

use std::collections::BTreeMap;
use std::time::Duration;

use regex::Regex;

pub use builtin::{BUILTINS, Builtin, DEFAULT_SPEC, builtin};
pub use diagnostic::{Diagnostic, Location, SpecError, suggest};
pub use discover::{DEFAULT_REASON, Discovered, PROJECT_SPEC_FILES, discover};
pub use load::{load, load_file, looks_like_path, parse, shadowed_file_note};
pub use remote::{RemoteError, RemoteSpec, is_url};

pub use crate::item::Kind;

use crate::check::Condition;
use crate::item::Format;

/// The only spec schema version this build understands.
pub const SCHEMA: i64 = 1;

/// A validated collector spec.
#[derive(Debug, Clone)]
pub struct Spec {
    /// Who the bundle is for.
    pub project: Project,
    /// Variables for `{name}` placeholders in argv, paths and URLs, with their defaults
    /// (`--var NAME=VALUE` overrides them).
    pub vars: BTreeMap<String, String>,
    /// Extra never-collect globs on top of the built-in denylist.
    pub deny: Vec<String>,
    /// What to collect, in spec order.
    pub items: Vec<Item>,
    /// Checks evaluated against the bundle's facts.
    pub checks: Vec<Check>,
    /// The project's own replay tools, run by a maintainer on an extracted bundle.
    pub replay: Vec<ReplayStep>,
    /// How the issue body is laid out.
    pub issue: IssueSpec,
    /// Where the spec came from (`built-in:kestrel` or the path given).
    pub origin: String,
    /// The spec's text, stored in the bundle as `spec.toml`.
    pub text: String,
}

impl Spec {
    /// Refuse `--var` overrides of variables the spec does not declare: a misspelt name
    /// would otherwise be ignored silently and the default collected instead.
    pub fn check_var_overrides<'a>(
        &self,
        names: impl IntoIterator<Item = &'a str>,
    ) -> Result<(), UnknownVar> {
        match names.into_iter().find(|n| !self.vars.contains_key(*n)) {
            None => Ok(()),
            Some(name) => Err(UnknownVar {
                spec: self.project.name.clone(),
                name: name.to_string(),
                known: self.vars.keys().cloned().collect(),
            }),
        }
    }
}

/// A `--var` override names a variable the spec does not declare.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("spec `{spec}` has no variable `{name}` (its variables: {})", list_or_none(.known))]
pub struct UnknownVar {
    /// The spec's project name.
    pub spec: String,
    /// The variable named.
    pub name: String,
    /// The variables the spec declares, sorted.
    pub known: Vec<String>,
}

fn list_or_none(names: &[String]) -> String {
    if names.is_empty() {
        "none".to_string()
    } else {
        names.join(", ")
    }
}

/// The `[project]` table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Project {
    /// Short name used in bundle and file names (`[a-z0-9-]`).
    pub name: String,
    /// Human name (`Kestrel`).
    pub display: String,
    /// One line on what the spec covers (shown by `specs`).
    pub description: Option<String>,
    /// The project's repository URL, for the new-issue link.
    pub repository: Option<String>,
    /// Without `repository`: a fact whose value (an http(s) URL) is the repository, e.g.
    /// the default spec's `package_repository` from the working directory's `Cargo.toml`.
    pub repository_fact: Option<String>,
    /// Issue template file name (`bug_report.md`), passed as the new-issue link's `template`.
    pub issue_template: Option<String>,
    /// A GitHub issue form in the project's repository (`.github/ISSUE_TEMPLATE/bug.yml`),
    /// read from a local checkout (`--repo-dir`) to prefill its fields by id.
    pub issue_form: Option<String>,
    /// Which forge hosts the repository, when its host name does not say.
    pub forge: Option<ForgeKind>,
    /// Where vulnerability reports go instead of a public issue.
    pub security: Option<String>,
    /// The maintainers' age X25519 public keys (`age1…`, checked at load): with `--security`,
    /// the bundle is written encrypted to them. Empty: `--security` writes a plain bundle.
    pub security_recipients: Vec<String>,
}

/// A code forge whose new-issue page can be prefilled from a URL.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ForgeKind {
    /// github.com and GitHub Enterprise: `/issues/new?title=&body=&labels=&template=`.
    GitHub,
    /// gitlab.com and self-hosted GitLab: `/-/issues/new?issue[title]=&issue[description]=`.
    GitLab,
    /// Gitea, Forgejo, Codeberg: `/issues/new?title=&body=`.
    Gitea,
}

impl ForgeKind {
    /// The names a spec may give in `[project] forge`.
    pub const NAMES: [&'static str; 4] = ["github", "gitlab", "gitea", "forgejo"];

    /// The kind a `forge` value names.
    pub fn from_name(name: &str) -> Option<ForgeKind> {
        Some(match name {
            "github" => ForgeKind::GitHub,
            "gitlab" => ForgeKind::GitLab,
            "gitea" | "forgejo" => ForgeKind::Gitea,
            _ => return None,
        })
    }
}

/// A value to pull out of an item's redacted content.
#[derive(Debug, Clone)]
pub struct FactSpec {
    /// Fact name (`kestrel_version`).
    pub name: String,
    /// The first capture group (or the whole match) is the value.
    pub regex: Regex,
    /// Values to show differently, e.g. Go's `(devel)` as `unknown (devel build)`.
    pub map: BTreeMap<String, String>,
    /// The value built from several groups (`$1 => $2`, as [`regex::Captures::expand`]
    /// reads it) instead of the first group alone.
    pub value: Option<String>,
    /// Which matches make the value.
    pub matches: FactMatches,
}

/// Which of a fact regex's matches make its value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum FactMatches {
    /// The first match (the default).
    #[default]
    First,
    /// Every match's value, joined with `, ` (`all = true`): workspace members.
    All,
    /// How many times it matches, `0` included (`count = true`): changed files.
    Count,
}

/// Follow references found in another item's content (`from = { item, regex }`).
#[derive(Debug, Clone)]
pub struct FromRef {
    /// The id of the item whose content is searched.
    pub item: String,
    /// Every match's first capture group is a path, relative to that item's directory.
    pub regex: Regex,
}

/// One `[[collect]]` entry.
#[derive(Debug, Clone)]
pub struct Item {
    /// Unique id, `[a-z0-9-]`.
    pub id: String,
    /// Collector kind.
    pub kind: Kind,
    /// Row label in the issue (`Kestrel version`).
    pub label: Option<String>,
    /// The policy asks for it: counts in completeness.
    pub required: bool,
    /// How to supply it when it is missing, shown in the issue checklist.
    pub hint: Option<String>,
    /// Facts to extract from the redacted content.
    pub facts: Vec<FactSpec>,
    /// Redaction format of the content.
    pub format: Format,
    /// Per-item timeout (commands, requests).
    pub timeout: Option<Duration>,
    /// Per-item byte cap.
    pub max_bytes: Option<u64>,
    /// Keep only the last N lines (files).
    pub tail_lines: Option<u64>,
    /// Store binary content as-is (files).
    pub binary: bool,
    /// Strip ANSI escape sequences (files, commands).
    pub strip_ansi: bool,
    /// Show the tail of this item in the issue's Logs section.
    pub log: bool,
    /// Command argv (`command`).
    pub argv: Vec<String>,
    /// Output matching this means the thing is absent (`command`): e.g. journalctl's
    /// `-- No entries --` or systemctl's "not booted with systemd". The item is recorded as
    /// `missing` with the matching line as its reason; the output is kept.
    pub missing_when: Option<Regex>,
    /// Exit codes besides 0 that are answers, not failures (`command`): `systemctl
    /// is-active` exits 3 for `inactive`, a validator 1 for what it rejected. Such an exit is
    /// recorded as `ok`, its detail saying so.
    pub ok_exit: Vec<u8>,
    /// Path or glob (`file`, `listing`).
    pub path: Option<String>,
    /// URL (`http`).
    pub url: Option<String>,
    /// Allow a non-loopback host (`http`).
    pub allow_remote: bool,
    /// Variable names (`env`).
    pub vars: Vec<String>,
    /// Follow references in another item (`file`).
    pub from: Option<FromRef>,
    /// Descend into subdirectories (`listing`).
    pub recursive: bool,
    /// The systems it is collected on, as Rust names them (`linux`, `macos`, `windows`);
    /// empty means every system. See [`Spec::keep_for_os`].
    pub os: Vec<String>,
}

/// The system names an item's `os` may list (Rust's `std::env::consts::OS` values).
pub const KNOWN_OS: &[&str] = &[
    "linux",
    "macos",
    "windows",
    "freebsd",
    "netbsd",
    "openbsd",
    "dragonfly",
    "illumos",
    "solaris",
    "android",
    "ios",
];

/// Whether a failing check fails the bundle or only warns.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    /// The environment is unsupported.
    Fail,
    /// Worth a maintainer's attention.
    Warn,
}

/// One `[[check]]` entry: when `when` holds, the check's level applies.
#[derive(Debug, Clone)]
pub struct Check {
    /// Unique id.
    pub id: String,
    /// The condition, over facts.
    pub when: Condition,
    /// Outcome when the condition holds.
    pub level: Level,
    /// What to tell the user and maintainer.
    pub message: String,
}

/// One `[[replay]]` entry: a program a maintainer runs on the extracted bundle.
///
/// `argv` and `cwd` take the placeholders of [`ReplayPlaceholder`]; they were checked at load,
/// and a variable's value comes only from the maintainer's `--var`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReplayStep {
    /// Unique id, `[a-z0-9-]`.
    pub id: String,
    /// Program and arguments, placeholders as written.
    pub argv: Vec<String>,
    /// Working directory, placeholders as written; the extraction root when absent.
    pub cwd: Option<String>,
    /// Kill the process group after this long; the replay default when absent.
    pub timeout: Option<Duration>,
    /// Items that must all be `ok` in the bundle, else the step is skipped.
    pub requires: Vec<String>,
}

impl ReplayStep {
    /// The one item whose files `{entry:<id>}` runs the step for, if any (the loader allows
    /// at most one such item per step).
    pub fn entry_item(&self) -> Option<&str> {
        self.placeholders().find_map(|p| match p {
            ReplayPlaceholder::Entry(id) | ReplayPlaceholder::EntryDir(id) => Some(id),
            _ => None,
        })
    }

    /// The variables the step needs from `--var`, in order of appearance.
    pub fn variables(&self) -> Vec<&str> {
        let mut names: Vec<&str> = Vec::new();
        for p in self.placeholders() {
            if let ReplayPlaceholder::Var(name) = p
                && !names.contains(&name)
            {
                names.push(name);
            }
        }
        names
    }

    fn placeholders(&self) -> impl Iterator<Item = ReplayPlaceholder<'_>> {
        self.argv
            .iter()
            .chain(&self.cwd)
            .flat_map(|text| replay_placeholders(text).unwrap_or_default())
    }
}

/// A placeholder in a `[[replay]]` step's `argv` or `cwd`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReplayPlaceholder<'a> {
    /// `{dir}`: the extraction root.
    Dir,
    /// `{entry:<item-id>}`: each extracted file of that item, one run per file.
    Entry(&'a str),
    /// `{entry_dir:<item-id>}`: the directory holding each extracted file of that item (a
    /// working directory next to the file), one run per file.
    EntryDir(&'a str),
    /// `{<name>}`: a maintainer variable, given with `--var name=VALUE`.
    Var(&'a str),
}

/// The placeholders of a `[[replay]]` value, in order; `{{` and `}}` are literal braces.
/// An `Err` describes the first malformed one.
pub fn replay_placeholders(text: &str) -> Result<Vec<ReplayPlaceholder<'_>>, String> {
    Ok(replay_segments(text)?
        .into_iter()
        .filter_map(|s| match s {
            ReplaySegment::Literal(_) => None,
            ReplaySegment::Placeholder(p) => Some(p),
        })
        .collect())
}

/// A piece of a `[[replay]]` value: literal text or a placeholder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReplaySegment<'a> {
    /// Text taken as it is (`{{` and `}}` already turned into single braces).
    Literal(String),
    /// A placeholder to fill in.
    Placeholder(ReplayPlaceholder<'a>),
}

/// Split a `[[replay]]` value into literal text and placeholders.
pub fn replay_segments(text: &str) -> Result<Vec<ReplaySegment<'_>>, String> {
    let mut out = Vec::new();
    let mut literal = String::new();
    let mut rest = text;
    while let Some(at) = rest.find(['{', '}']) {
        literal.push_str(&rest[..at]);
        let tail = &rest[at..];
        if let Some(after) = tail.strip_prefix("{{").or_else(|| tail.strip_prefix("}}")) {
            literal.push_str(&tail[..1]);
            rest = after;
            continue;
        }
        if tail.starts_with('}') {
            return Err(format!(
                "unmatched `}}` in `{text}` (write `}}}}` for a literal brace)"
            ));
        }
        let Some(end) = tail.find('}') else {
            return Err(format!(
                "unclosed `{{` in `{text}` (write `{{{{` for a literal brace)"
            ));
        };
        let inner = &tail[1..end];
        let placeholder = if inner == "dir" {
            ReplayPlaceholder::Dir
        } else if let Some((kind, id)) = inner
            .split_once(':')
            .filter(|(kind, _)| matches!(*kind, "entry" | "entry_dir"))
        {
            if !is_item_id(id) {
                return Err(format!(
                    "`{{{inner}}}`: an entry placeholder names a collector id (lowercase letters, digits and `-`)"
                ));
            }
            if kind == "entry" {
                ReplayPlaceholder::Entry(id)
            } else {
                ReplayPlaceholder::EntryDir(id)
            }
        } else if is_var_name(inner) {
            ReplayPlaceholder::Var(inner)
        } else {
            return Err(format!(
                "unknown placeholder `{{{inner}}}`; expected `{{dir}}`, `{{entry:<collector id>}}`, `{{entry_dir:<collector id>}}` or `{{<variable>}}`"
            ));
        };
        if !literal.is_empty() {
            out.push(ReplaySegment::Literal(std::mem::take(&mut literal)));
        }
        out.push(ReplaySegment::Placeholder(placeholder));
        rest = &tail[end + 1..];
    }
    literal.push_str(rest);
    if !literal.is_empty() {
        out.push(ReplaySegment::Literal(literal));
    }
    Ok(out)
}

fn is_item_id(s: &str) -> bool {
    !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

/// The `[issue]` table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IssueSpec {
    /// Title prefix (`[BUG] `).
    pub title: String,
    /// Section headings in order.
    pub sections: Vec<String>,
    /// Labels for the new-issue link.
    pub labels: Vec<String>,
    /// How many trailing lines of each log item the body shows.
    pub log_lines: usize,
    /// What fills a section (`[issue.sources]`); a section not listed here is filled by what
    /// its heading names (see [`SectionSource::guess`]).
    pub sources: BTreeMap<String, Vec<SectionSource>>,
    /// Issue-form field id to the section heading whose text fills it (`[issue.form]`).
    pub form: BTreeMap<String, String>,
    /// The template's own environment list (`[issue] environment`): when set, the
    /// `environment` source renders these bullets, in order, and the full fact table goes
    /// under a collapsed `<details>`.
    pub environment: Vec<EnvironmentEntry>,
}

/// One bullet of `[issue] environment`: `{ label = "Kestrel Version", fact = "kestrel_version" }`,
/// or with `facts = ["os", "os_version"]` several facts' values joined by spaces.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnvironmentEntry {
    /// The template's wording (`Kestrel Version`).
    pub label: String,
    /// The facts whose values fill it, in order (at least one).
    pub facts: Vec<String>,
}

/// The heading of the completeness checklist the body always ends with; `[issue.form]` may
/// map a field to it.
pub const CHECKLIST_HEADING: &str = "Completeness checklist";

/// One source of a section's text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SectionSource {
    /// The facts table (`environment`).
    Environment,
    /// The tail of each `log = true` item (`logs`).
    Logs,
    /// Redacted config files, then every other stored file with size and sha256
    /// (`reproduction`).
    Reproduction,
    /// Redacted config files only (`configs`).
    Configs,
    /// The user's `--describe` text (`description`).
    Description,
    /// Left for the user to fill in; listed as a human-only part of the checklist
    /// (`placeholder`).
    Placeholder,
    /// Every fact an item yielded (`item:<id>`).
    Item(String),
    /// One fact (`fact:<name>`).
    Fact(String),
}

impl SectionSource {
    /// The plain source names (the others are `item:<id>` and `fact:<name>`).
    pub const NAMES: [&'static str; 6] = [
        "environment",
        "logs",
        "reproduction",
        "configs",
        "description",
        "placeholder",
    ];

    /// Parse a source as written in `[issue.sources]`.
    pub fn parse(s: &str) -> Option<SectionSource> {
        if let Some(id) = s.strip_prefix("item:") {
            return Some(SectionSource::Item(id.to_string()));
        }
        if let Some(name) = s.strip_prefix("fact:") {
            return Some(SectionSource::Fact(name.to_string()));
        }
        Some(match s {
            "environment" => SectionSource::Environment,
            "logs" => SectionSource::Logs,
            "reproduction" => SectionSource::Reproduction,
            "configs" => SectionSource::Configs,
            "description" => SectionSource::Description,
            "placeholder" => SectionSource::Placeholder,
            _ => return None,
        })
    }

    /// What a heading names, for sections `[issue.sources]` does not list: `Environment`
    /// gets the facts table, `Logs` the log tails, `Configuration` the configs, a
    /// `Minimal reproduction` the stored files, a heading equal to an item's label that
    /// item's facts, a description heading the `--describe` text, and anything else (steps,
    /// expected and actual behaviour, context) is a placeholder.
    pub fn guess(heading: &str, spec: &Spec) -> SectionSource {
        let lower = heading.to_lowercase();
        if let Some(item) = spec.items.iter().find(|i| {
            i.label
                .as_deref()
                .is_some_and(|l| l.eq_ignore_ascii_case(heading.trim()))
        }) {
            return SectionSource::Item(item.id.clone());
        }
        if lower.contains("environment") {
            SectionSource::Environment
        } else if lower.contains("log") {
            SectionSource::Logs
        } else if lower.contains("reproduc")
            && !lower.contains("steps")
            && !lower.contains("to reproduce")
        {
            SectionSource::Reproduction
        } else if lower.contains("config") {
            SectionSource::Configs
        } else if lower.contains("description") || lower == "summary" || lower == "problem" {
            SectionSource::Description
        } else {
            SectionSource::Placeholder
        }
    }
}

impl Default for IssueSpec {
    fn default() -> Self {
        IssueSpec {
            title: String::new(),
            sections: [
                "Description",
                "Steps to reproduce",
                "Expected behavior",
                "Actual behavior",
                "Environment",
                "Logs",
            ]
            .map(String::from)
            .to_vec(),
            labels: Vec::new(),
            log_lines: 50,
            sources: BTreeMap::new(),
            form: BTreeMap::new(),
            environment: Vec::new(),
        }
    }
}

/// Placeholders every spec may use without declaring them: `{sysroot}` is the `--sysroot`
/// directory (empty without one), `{home}` the user's home, `{cwd}` the working directory.
pub const BUILTIN_VARS: [&str; 3] = ["sysroot", "home", "cwd"];

/// The names of the `{name}` placeholders in `text`, in order. `{{` and `}}` are not
/// placeholders, so literal braces (e.g. in a regex) survive.
pub fn placeholders(text: &str) -> Vec<&str> {
    let mut names = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find('{') {
        let after = &rest[start + 1..];
        if let Some(escaped) = after.strip_prefix('{') {
            rest = escaped;
            continue;
        }
        match after.find('}') {
            Some(end) if is_var_name(&after[..end]) => {
                names.push(&after[..end]);
                rest = &after[end + 1..];
            }
            _ => rest = after,
        }
    }
    names
}

/// Replace each `{name}` placeholder with its value from `vars`; unknown ones stay as written.
pub fn substitute(text: &str, vars: &BTreeMap<String, String>) -> String {
    let mut out = text.to_string();
    for name in placeholders(text) {
        if let Some(value) = vars.get(name) {
            out = out.replace(&format!("{{{name}}}"), value);
        }
    }
    out
}

fn is_var_name(s: &str) -> bool {
    !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
}

impl Spec {
    /// The item with this id.
    pub fn item(&self, id: &str) -> Option<&Item> {
        self.items.iter().find(|i| i.id == id)
    }

    /// Drop the items meant for other systems than `os` (their `os` list does not name it),
    /// and the items that read their paths from a dropped one. Returns the ids dropped.
    pub fn keep_for_os(&mut self, os: &str) -> Vec<String> {
        let mut dropped = Vec::new();
        loop {
            let before = dropped.len();
            let ids: Vec<String> = self.items.iter().map(|i| i.id.clone()).collect();
            self.items.retain(|i| {
                let here = i.os.is_empty() || i.os.iter().any(|o| o == os);
                let source_kept = i.from.as_ref().is_none_or(|f| ids.contains(&f.item))
                    && !i.from.as_ref().is_some_and(|f| dropped.contains(&f.item));
                if here && source_kept {
                    true
                } else {
                    dropped.push(i.id.clone());
                    false
                }
            });
            if dropped.len() == before {
                return dropped;
            }
        }
    }

    /// What fills the section `heading`: `[issue.sources]`, else what the heading names.
    pub fn section_sources(&self, heading: &str) -> Vec<SectionSource> {
        self.issue
            .sources
            .get(heading)
            .cloned()
            .unwrap_or_else(|| vec![SectionSource::guess(heading, self)])
    }
}

#[cfg(test)]
mod var_tests {
    #[test]
    fn unknown_var_override_names_the_known_ones() {
        const ITEM: &str = "[[collect]]\nid = \"v\"\nkind = \"command\"\nargv = [\"p\"]\n";
        let text = format!(
            "schema = 1\n[project]\nname = \"demo\"\n[vars]\nport = \"8080\"\nhost = \"localhost\"\n{ITEM}"
        );
        let spec = super::parse("demo.toml", &text).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(spec.check_var_overrides(["port", "host"]), Ok(()));
        let err = spec.check_var_overrides(["port", "prot"]).unwrap_err();
        assert_eq!(err.name, "prot");
        assert_eq!(
            err.to_string(),
            "spec `demo` has no variable `prot` (its variables: host, port)"
        );
        let bare = format!("schema = 1\n[project]\nname = \"bare\"\n{ITEM}");
        let bare = super::parse("bare.toml", &bare).unwrap_or_else(|e| panic!("{e}"));
        assert!(
            bare.check_var_overrides(["x"])
                .unwrap_err()
                .to_string()
                .ends_with("(its variables: none)")
        );
    }
}

#[cfg(test)]
mod readme_tests {
    /// The spec example in README's "Writing a spec" section loads through the real loader.
    #[test]
    fn readme_spec_example_loads() {
        let readme = include_str!("../../README.md");
        let section = &readme[readme.find("## Writing a spec").expect("section")..];
        let start = section.find("```toml\n").expect("toml block") + "```toml\n".len();
        let end = start + section[start..].find("```").expect("block end");
        let spec =
            super::parse("README.md", &section[start..end]).unwrap_or_else(|e| panic!("{e}"));
        assert!(spec.items.iter().any(|i| i.from.is_some()));
    }
}

#[cfg(test)]
mod fuzz_tests {
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

        /// Any text gives a spec or an error that points inside the text, never a panic.
        #[test]
        fn any_text_loads_or_errs(text in "\\PC{0,400}") {
            if let Err(e) = super::parse("fuzz.toml", &text) {
                for d in &e.diagnostics {
                    if let Some(span) = &d.span {
                        prop_assert!(span.start <= text.len());
                    }
                }
                let _ = e.to_string();
            }
        }

        /// Damaged copies of the built-in specs never panic the loader.
        #[test]
        fn damaged_builtins_load_or_err(which in 0usize..3, at in any::<prop::sample::Index>(), junk in "\\PC{0,12}") {
            let text = super::BUILTINS[which].text;
            let mut cut = at.index(text.len());
            while !text.is_char_boundary(cut) {
                cut -= 1;
            }
            let damaged = format!("{}{junk}{}", &text[..cut], &text[cut..]);
            if let Err(e) = super::parse("damaged.toml", &damaged) {
                let _ = e.to_string();
            }
        }
    }
}
