//! `triage BUNDLE...`: a maintainer's first look at the bundles attached to an issue, as the
//! text of one issue comment (or JSON).
//!
//! For each bundle: whether it matches its own manifest ([`verify`]), the checks that fail or
//! warn, the required items that do not count (with the reason and how to supply them, from
//! [`crate::completeness`]) and the facts; for each bundle after the first, one line on what
//! changed since the one before it ([`diff`]). A bundle the hostile-input-safe reader refuses
//! is reported as refused, with the reason, and nothing else is read from it.
//!
//! Everything read from a bundle is someone else's text, posted where maintainers are
//! notified: [`inline`] renders it inert (no links, autolinks, mentions, HTML, table or fence
//! breakouts), and nothing from a bundle is written outside it.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;

use serde::Serialize;

use super::checklist::generic_hint;
use crate::bundle::diff::{self, BundleDiff};
use crate::bundle::recheck::stored_spec;
use crate::bundle::verify::{self, Verification};
use crate::bundle::{Bundle, CheckResult, Manifest};
use crate::completeness::{self, State};
use crate::sanitize::is_unsafe;

/// The hidden line every comment starts with, so a workflow finds its own comment again.
pub const COMMENT_MARKER: &str = "<!-- support-bundle-triage -->";

/// Longest comment rendered, in bytes; GitHub refuses comments over 65536 characters.
pub const MAX_COMMENT_BYTES: usize = 60_000;

/// Longest value from a bundle shown in one place, in characters.
pub const MAX_VALUE_CHARS: usize = 200;

/// Fact, check and item changes named in a diff line before "and N more".
const DIFF_LINE_CHANGES: usize = 4;

/// Rows of each list shown (checks, missing items, facts) before "and N more".
const MAX_ROWS: usize = 50;

/// The triage of every bundle given, in order.
#[derive(Debug, Clone, Serialize)]
pub struct Triage {
    /// One report per bundle, in the order given (oldest first).
    pub bundles: Vec<BundleTriage>,
}

/// What was found in one bundle.
#[derive(Debug, Clone, Serialize)]
pub struct BundleTriage {
    /// The bundle's file name, as given.
    pub file: String,
    /// `intact`, `tampered` or `refused`.
    pub verdict: Verdict,
    /// Why the reader refused it, or what differs from the manifest.
    pub problems: Vec<String>,
    /// The bundle id (sha256 of `manifest.json`), when the manifest was read.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// What the manifest says; absent when it could not be read.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub summary: Option<Summary>,
    /// One line on what changed since the previous bundle given.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub since_previous: Option<String>,
    /// The same line with every value from the bundles escaped for Markdown.
    #[serde(skip)]
    since_previous_markdown: Option<String>,
}

/// Whether a bundle can be taken at its word.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum Verdict {
    /// Every entry matches the manifest.
    Intact,
    /// Entries differ from the manifest (or it is missing): what it says may not be true.
    Tampered,
    /// The reader refused the zip (or it is not one); nothing was read from it.
    Refused,
}

/// What a bundle's manifest and stored spec say.
#[derive(Debug, Clone, Serialize)]
pub struct Summary {
    /// Project name.
    pub project: String,
    /// Version of the tool that wrote it.
    pub tool_version: String,
    /// Creation time.
    pub created: String,
    /// Collected with `--security`: not meant for a public issue.
    pub private: bool,
    /// Checks that fail or warn.
    pub flagged_checks: Vec<FlaggedCheck>,
    /// Required items present, of `required`.
    pub present: usize,
    /// Required items.
    pub required: usize,
    /// Required items that do not count.
    pub missing: Vec<MissingItem>,
    /// Why completeness could not be judged against the stored spec, when it could not.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub completeness_note: Option<String>,
    /// Facts by name.
    pub facts: BTreeMap<String, String>,
}

/// A check that fails or warns.
#[derive(Debug, Clone, Serialize)]
pub struct FlaggedCheck {
    /// The check id.
    pub id: String,
    /// `fail` or `warn`.
    pub outcome: CheckResult,
    /// Its message with the evidence line.
    pub message: String,
}

/// A required item that does not count.
#[derive(Debug, Clone, Serialize)]
pub struct MissingItem {
    /// The item id.
    pub id: String,
    /// Its label.
    pub label: String,
    /// Why it does not count.
    pub reason: String,
    /// How to supply it.
    pub hint: String,
    /// `hint` is this tool's own advice (the item has none), not text from the bundle.
    #[serde(skip)]
    generic_hint: bool,
}

impl Triage {
    /// Read every bundle in `paths`, in order.
    pub fn run(paths: &[&Path]) -> Triage {
        let mut bundles: Vec<BundleTriage> = paths.iter().map(|p| one(p)).collect();
        for i in 1..paths.len() {
            let both_read = bundles[i - 1].summary.is_some() && bundles[i].summary.is_some();
            if both_read {
                let (plain, markdown) = since_previous(paths[i - 1], paths[i]);
                bundles[i].since_previous = Some(plain);
                bundles[i].since_previous_markdown = Some(markdown);
            }
        }
        Triage { bundles }
    }

    /// Whether any bundle was refused.
    pub fn any_refused(&self) -> bool {
        self.bundles.iter().any(|b| b.verdict == Verdict::Refused)
    }

    /// Whether any bundle was tampered with or has a failing check.
    pub fn any_negative(&self) -> bool {
        self.bundles.iter().any(|b| {
            b.verdict == Verdict::Tampered
                || b.summary.as_ref().is_some_and(|s| {
                    s.flagged_checks
                        .iter()
                        .any(|c| c.outcome == CheckResult::Fail)
                })
        })
    }
}

/// Triage one bundle.
fn one(path: &Path) -> BundleTriage {
    let file = path.file_name().map_or_else(
        || path.display().to_string(),
        |n| n.to_string_lossy().into(),
    );
    let refused = |file: String, reason: String| BundleTriage {
        file,
        verdict: Verdict::Refused,
        problems: vec![reason],
        id: None,
        summary: None,
        since_previous: None,
        since_previous_markdown: None,
    };
    let mut bundle = match Bundle::open(path) {
        Ok(b) => b,
        Err(e) => return refused(file, e.to_string()),
    };
    let verification = match verify::verify(&mut bundle) {
        Ok(v) => v,
        Err(e) => return refused(file, e.to_string()),
    };
    let Verification { id, problems, .. } = verification;
    let verdict = if problems.is_empty() {
        Verdict::Intact
    } else {
        Verdict::Tampered
    };
    let problems: Vec<String> = problems.iter().map(ToString::to_string).collect();
    let summary = match bundle.manifest() {
        Ok((manifest, _)) => Some(summarize(&mut bundle, &manifest)),
        // A missing or unparsable manifest is already one of the problems.
        Err(_) => None,
    };
    BundleTriage {
        file,
        verdict,
        problems,
        id: (!id.is_empty()).then_some(id),
        summary,
        since_previous: None,
        since_previous_markdown: None,
    }
}

/// Checks, completeness and facts of a bundle whose manifest was read.
fn summarize(bundle: &mut Bundle, m: &Manifest) -> Summary {
    let flagged_checks = m
        .checks
        .iter()
        .filter(|c| c.outcome.is_flagged())
        .map(|c| FlaggedCheck {
            id: c.id.clone(),
            outcome: c.outcome,
            message: c.explained(),
        })
        .collect();
    let (mut present, mut required, mut missing, mut completeness_note) = (0, 0, Vec::new(), None);
    match stored_spec(bundle) {
        Ok(spec) => {
            for r in completeness::assess(&spec, m) {
                required += 1;
                match r.state {
                    State::Present { .. } => present += 1,
                    State::Missing { status, reason } => missing.push(MissingItem {
                        id: r.item.id.clone(),
                        label: r.item.label.clone().unwrap_or_else(|| r.item.id.clone()),
                        reason,
                        hint: r
                            .item
                            .hint
                            .clone()
                            .unwrap_or_else(|| generic_hint(status).to_string()),
                        generic_hint: r.item.hint.is_none(),
                    }),
                }
            }
        }
        Err(e) => {
            completeness_note = Some(format!(
                "the bundle's spec.toml could not be read ({e}), so which items are required \
                 is unknown"
            ));
        }
    }
    Summary {
        project: m.project.name.clone(),
        tool_version: m.tool.version.clone(),
        created: m.created.clone(),
        private: m.private,
        flagged_checks,
        present,
        required,
        missing,
        completeness_note,
        facts: m
            .facts
            .iter()
            .map(|(k, v)| (k.clone(), v.value.clone()))
            .collect(),
    }
}

/// One line on what changed from `previous` to `later` (both already read once): as plain
/// text, and with the bundles' values escaped for Markdown.
fn since_previous(previous: &Path, later: &Path) -> (String, String) {
    let compared = Bundle::open(previous).and_then(|mut a| {
        let mut b = Bundle::open(later)?;
        diff::diff(&mut a, &mut b, diff::Options::default())
    });
    match compared {
        Ok(d) => (diff_line(&d, &str::to_string), diff_line(&d, &inline)),
        Err(e) => {
            let why = e.to_string();
            let line = |reason: &str| format!("could not be compared with it: {reason}");
            (line(&why), line(&inline(&why)))
        }
    }
}

/// The diff on one line: facts `a → b`, checks `a → b`, and how many items changed; every
/// value from the bundles passes through `esc`.
fn diff_line(d: &BundleDiff, esc: &dyn Fn(&str) -> String) -> String {
    if d.is_empty() {
        return "no differences in facts, items or checks".to_string();
    }
    let show = |v: &Option<String>| v.as_deref().map_or_else(|| "(absent)".to_string(), esc);
    let mut parts = Vec::new();
    let facts: Vec<String> = d
        .facts
        .iter()
        .map(|f| format!("{} {} → {}", esc(&f.name), show(&f.a), show(&f.b)))
        .collect();
    let checks: Vec<String> = d
        .checks
        .iter()
        .map(|c| format!("{} {} → {}", esc(&c.id), show(&c.a), show(&c.b)))
        .collect();
    for (what, list) in [("facts", facts), ("checks", checks)] {
        if list.is_empty() {
            continue;
        }
        let mut text = list
            .iter()
            .take(DIFF_LINE_CHANGES)
            .cloned()
            .collect::<Vec<_>>()
            .join(", ");
        if list.len() > DIFF_LINE_CHANGES {
            let _ = write!(text, " and {} more", list.len() - DIFF_LINE_CHANGES);
        }
        parts.push(format!("{what}: {text}"));
    }
    if !d.items.is_empty() {
        let count = |c: &str| d.items.iter().filter(|i| i.change == c).count();
        let counts: Vec<String> = [("added", count("added")), ("removed", count("removed"))]
            .into_iter()
            .chain([("changed", count("changed"))])
            .filter(|(_, n)| *n > 0)
            .map(|(w, n)| format!("{n} {w}"))
            .collect();
        parts.push(format!("items: {}", counts.join(", ")));
    }
    parts.join("; ")
}

/// The comment: [`COMMENT_MARKER`], then one section per bundle, newest first, cut to
/// [`MAX_COMMENT_BYTES`].
pub fn render_markdown(t: &Triage) -> String {
    let mut out = format!("{COMMENT_MARKER}\n## Support bundle triage\n\n");
    if t.bundles.is_empty() {
        out.push_str("No support bundle was given.\n");
    }
    for (i, b) in t.bundles.iter().enumerate().rev() {
        let mut section = String::new();
        bundle_section(&mut section, b, i + 1, t.bundles.len());
        let newest = i + 1 == t.bundles.len();
        if newest && out.len() + section.len() > MAX_COMMENT_BYTES {
            // The newest bundle is always shown, cut at a line if it must be.
            let room = MAX_COMMENT_BYTES.saturating_sub(out.len() + 200);
            let mut end = room.min(section.len());
            while !section.is_char_boundary(end) {
                end -= 1;
            }
            let end = section[..end].rfind('\n').map_or(0, |n| n + 1);
            section.truncate(end);
            section.push_str(
                "\n_The rest is left out: the comment would be too long. Run `support-bundle \
                 inspect` on the bundle._\n\n",
            );
        }
        if out.len() + section.len() > MAX_COMMENT_BYTES {
            let _ = writeln!(
                out,
                "_{} more bundle(s) left out: the comment would be too long._",
                i + 1
            );
            break;
        }
        out.push_str(&section);
    }
    out.push_str(
        "\n<sub>Read by `support-bundle triage`. \"Intact\" means the bundle matches its own \
         manifest; anyone can build a consistent bundle, so it is not proof of where it came \
         from.</sub>\n",
    );
    out
}

/// One bundle's section of the comment.
fn bundle_section(out: &mut String, b: &BundleTriage, n: usize, of: usize) {
    let title = if of > 1 {
        format!("Bundle {n} of {of}: ")
    } else {
        String::new()
    };
    let _ = writeln!(out, "### {title}{}\n", code(&b.file));
    match b.verdict {
        Verdict::Intact => {
            let id = b.id.as_deref().map_or(String::new(), |id| {
                format!(" (bundle {})", code(id.get(..12).unwrap_or(id)))
            });
            let _ = writeln!(
                out,
                "**Verify: intact**{id}: every entry matches the manifest."
            );
        }
        Verdict::Tampered => {
            let _ = writeln!(
                out,
                "**Verify: TAMPERED**: the bundle does not match its manifest, so what it \
                 says below may not be true."
            );
            list_problems(out, &b.problems);
        }
        Verdict::Refused => {
            let _ = writeln!(
                out,
                "**Verify: refused**: this is not a bundle that can be read safely; nothing \
                 was read from it. Ask for a new one from `support-bundle collect`."
            );
            list_problems(out, &b.problems);
        }
    }
    if let Some(line) = &b.since_previous_markdown {
        let _ = writeln!(out, "\n**Since the previous bundle:** {line}");
    }
    let Some(s) = &b.summary else {
        out.push('\n');
        return;
    };
    let _ = writeln!(
        out,
        "\nProject {}, collected {} by support-bundle {}.",
        code(&s.project),
        code(&s.created),
        code(&s.tool_version)
    );
    if s.private {
        let _ = writeln!(
            out,
            "\n**This bundle is marked private** (collected with `--security`): it describes a \
             vulnerability report and should not stay on a public issue."
        );
    }
    if s.flagged_checks.is_empty() {
        let _ = writeln!(out, "\n**Checks:** none fails or warns.");
    } else {
        let _ = writeln!(out, "\n**Checks**\n");
        for c in s.flagged_checks.iter().take(MAX_ROWS) {
            let _ = writeln!(
                out,
                "- **{}** {}: {}",
                c.outcome.as_str(),
                code(&c.id),
                inline(&c.message)
            );
        }
        more(out, s.flagged_checks.len(), "checks");
    }
    match &s.completeness_note {
        Some(note) => {
            let _ = writeln!(out, "\n**Completeness:** unknown: {}", inline(note));
        }
        None if s.missing.is_empty() => {
            let _ = writeln!(
                out,
                "\n**Completeness:** {} of {} required items present.",
                s.present, s.required
            );
        }
        None => {
            let _ = writeln!(
                out,
                "\n**Completeness:** {} of {} required items present; missing:\n",
                s.present, s.required
            );
            for m in s.missing.iter().take(MAX_ROWS) {
                let _ = writeln!(
                    out,
                    "- {} ({}): {}\n  - to supply it: {}",
                    inline(&m.label),
                    code(&m.id),
                    inline(&m.reason),
                    if m.generic_hint {
                        m.hint.clone()
                    } else {
                        inline(&m.hint)
                    }
                );
            }
            more(out, s.missing.len(), "missing items");
        }
    }
    if s.facts.is_empty() {
        let _ = writeln!(out, "\n**Facts:** none found.");
    } else {
        let _ = writeln!(out, "\n| Fact | Value |\n|---|---|");
        for (k, v) in s.facts.iter().take(MAX_ROWS) {
            let _ = writeln!(out, "| {} | {} |", code(k), code(v));
        }
        more(out, s.facts.len(), "facts");
    }
    out.push('\n');
}

/// "and N more" after a list cut to [`MAX_ROWS`] (a blank line first, so it does not join a
/// table).
fn more(out: &mut String, total: usize, what: &str) {
    if total > MAX_ROWS {
        let _ = writeln!(
            out,
            "\n_and {} more {what}: see `support-bundle inspect`._",
            total - MAX_ROWS
        );
    }
}

fn list_problems(out: &mut String, problems: &[String]) {
    out.push('\n');
    for p in problems.iter().take(20) {
        let _ = writeln!(out, "- {}", inline(p));
    }
    if problems.len() > 20 {
        let _ = writeln!(out, "- and {} more", problems.len() - 20);
    }
}

/// `text` from a bundle as inert Markdown on one line, safe inside a list item or a table
/// cell: no link, autolink, mention, HTML, entity, emphasis, table or code-fence breakout.
///
/// Markdown punctuation is backslash-escaped (`#123` references included); what GitHub links
/// after parsing (`scheme://`, `www.`, `@mentions`, e-mail addresses) is broken with a
/// zero-width joiner,
/// which shows nothing but keeps the pattern from matching. Control and bidirectional
/// characters are dropped, whitespace runs become one space, and the text is cut to
/// [`MAX_VALUE_CHARS`].
pub fn inline(text: &str) -> String {
    use crate::sanitize::{LinkBreak, ZWJ, link_break};
    let text = clip(text);
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len() + 16);
    for (i, &c) in chars.iter().enumerate() {
        let joiner = link_break(&chars, i);
        if joiner == Some(LinkBreak::Before) {
            out.push(ZWJ);
        }
        match c {
            '\\' | '`' | '*' | '_' | '{' | '}' | '[' | ']' | '(' | ')' | '#' | '+' | '-' | '!'
            | '|' | '<' | '>' | '~' | '&' | '"' | '\'' | '=' | '$' | '^' => {
                out.push('\\');
                out.push(c);
            }
            c => out.push(c),
        }
        if joiner == Some(LinkBreak::After) {
            out.push(ZWJ);
        }
    }
    out
}

/// `text` as an inline code span: inert by construction (no links, mentions or HTML inside
/// code), its backticks turned into `'` so it cannot close early, and its pipes escaped, which
/// a table cell needs even inside code. `@` is still followed by a zero-width joiner, so a
/// renderer or notifier that looked inside code would find no mention either.
pub fn code(text: &str) -> String {
    let text = clip(text)
        .replace('`', "'")
        .replace('|', "\\|")
        .replace('@', "@\u{200d}");
    // A span that starts or ends with a space would lose it; padding keeps `\` last safe too.
    format!("` {text} `")
}

/// One line, no unsafe characters, at most [`MAX_VALUE_CHARS`].
fn clip(text: &str) -> String {
    let one: String = text
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .chars()
        .filter(|c| !is_unsafe(*c) && !is_invisible(*c))
        .collect();
    if one.chars().count() > MAX_VALUE_CHARS {
        let mut cut: String = one.chars().take(MAX_VALUE_CHARS).collect();
        cut.push('…');
        cut
    } else {
        one
    }
}

/// Zero-width and formatting characters a hostile value could use to hide or rejoin text.
fn is_invisible(c: char) -> bool {
    matches!(c, '\u{200b}'..='\u{200f}' | '\u{2060}'..='\u{2064}' | '\u{feff}' | '\u{00ad}')
}

#[cfg(test)]
mod tests {
    use super::*;

    const HOSTILE: &str = "hi @maintainer see [x](http://evil) <img src=x onerror=alert(1)> \
                           a | b\n```\nend www.evil.com me@evil.com #12 &amp; **bold**";

    #[test]
    fn inline_text_is_inert() {
        let s = inline(HOSTILE);
        assert!(!s.contains('\n'));
        assert!(!s.contains("@maintainer"), "{s}");
        assert!(!s.contains("http://"), "{s}");
        assert!(!s.contains("www.evil"), "{s}");
        // Every Markdown-active character is backslash-escaped.
        let chars: Vec<char> = s.chars().collect();
        for (i, c) in chars.iter().enumerate() {
            if "<>[]()|`*&#".contains(*c) {
                assert!(i > 0 && chars[i - 1] == '\\', "unescaped {c:?} in {s}");
            }
        }
        // A hostile zero-width joiner cannot be used to pre-break our own escaping.
        assert!(!inline("@\u{200d}\u{200d}x").contains("\u{200d}\u{200d}"));
    }

    #[test]
    fn code_spans_cannot_close_early_or_break_a_table() {
        let s = code(HOSTILE);
        assert!(s.starts_with("` ") && s.ends_with(" `"), "{s}");
        assert_eq!(s.matches('`').count(), 2, "{s}");
        assert!(!s.contains(" | "), "{s}");
        assert!(!s.contains('\n'));
    }

    #[test]
    fn a_huge_bundle_is_cut_to_a_postable_comment() {
        let facts = (0..5000)
            .map(|i| (format!("fact_{i:05}"), "@x|".repeat(100)))
            .collect();
        let summary = Summary {
            project: "p".into(),
            tool_version: "1".into(),
            created: "now".into(),
            private: false,
            flagged_checks: Vec::new(),
            present: 0,
            required: 100,
            missing: (0..100)
                .map(|i| MissingItem {
                    id: format!("item-{i}"),
                    label: "<@[".repeat(100),
                    reason: "<@[".repeat(100),
                    hint: "<@[".repeat(100),
                    generic_hint: false,
                })
                .collect(),
            completeness_note: None,
            facts,
        };
        let one = BundleTriage {
            file: "a.zip".into(),
            verdict: Verdict::Intact,
            problems: Vec::new(),
            id: None,
            summary: Some(summary),
            since_previous: None,
            since_previous_markdown: None,
        };
        let t = Triage {
            bundles: vec![one.clone(), one.clone(), one],
        };
        let text = render_markdown(&t);
        assert!(text.len() <= MAX_COMMENT_BYTES + 300, "{}", text.len());
        assert!(text.contains("### Bundle 3 of 3"));
        // The newest bundle's section alone is too long: it is cut at a line, and the older
        // bundles are left out.
        assert!(text.contains("The rest is left out"), "{text}");
        assert!(text.contains("2 more bundle(s) left out"), "{text}");
        assert!(text.ends_with("</sub>\n"));
    }

    #[test]
    fn long_values_are_cut() {
        let long = "x".repeat(1000);
        assert!(inline(&long).chars().count() <= MAX_VALUE_CHARS + 1);
    }
}
