//! The one-screen summary of a finished `collect`, as text and as a serializable value, its
//! warnings, and the plan `collect --dry-run` shows, so a host tool offering
//! `mytool support-bundle` prints what `support-bundle collect` prints.
//!
//! Item sources, details and check messages come from collected data or a user's spec:
//! everything shown passes [`for_terminal`].

use std::fmt::Write as _;
use std::path::Path;

use serde::Serialize;

use super::{Options, Outcome, Step};
use crate::bundle::{CheckResult, Manifest};
use crate::issue::Filing;
use crate::item::Status;
use crate::redact::{Counts, Redactor};
use crate::sanitize::for_terminal;

/// What `collect` reports: paths, id, the total of replacements, how to file, the manifest.
#[derive(Debug, Clone, Serialize)]
pub struct Summary<'a> {
    /// The bundle's path.
    pub bundle: &'a Path,
    /// The issue body's path.
    pub issue: &'a Path,
    /// The usual issue file, kept because the user edited it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kept_issue: Option<&'a Path>,
    /// The bundle id.
    pub id: &'a str,
    /// Replacements over the whole run: items, title, description and spec.
    pub redactions: u64,
    /// URL, `gh` line, or the security contact.
    pub filing: &'a Filing,
    /// The manifest as written.
    pub manifest: &'a Manifest,
    /// Which spec ran and why, when the user did not name it (the project's own, the
    /// built-in default, or one fetched from a URL).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub spec_source: Option<String>,
    /// The age public keys the bundle is encrypted to (absent: a plain zip).
    #[serde(skip_serializing_if = "<[String]>::is_empty")]
    pub encrypted_to: &'a [String],
}

impl<'a> Summary<'a> {
    /// The summary of `outcome`.
    pub fn new(outcome: &'a Outcome) -> Summary<'a> {
        let in_items: u64 = outcome.manifest.items.iter().map(|i| i.redactions).sum();
        Summary {
            bundle: &outcome.bundle,
            issue: &outcome.issue,
            kept_issue: outcome.kept_issue.as_deref(),
            id: &outcome.id,
            redactions: in_items + outcome.other_redactions.total(),
            filing: &outcome.filing,
            manifest: &outcome.manifest,
            spec_source: None,
            encrypted_to: &outcome.encrypted_to,
        }
    }

    /// The summary, saying which spec ran and why (see [`Summary::spec_source`]).
    pub fn with_spec_source(mut self, reason: Option<String>) -> Summary<'a> {
        self.spec_source = reason;
        self
    }

    /// The text `collect` prints: one line per item, the counts, failing and warning checks,
    /// the paths, and how to file (the link as a raw URL, for pipes and logs).
    pub fn render(&self) -> String {
        self.render_with(Link::Raw)
    }

    /// [`Summary::render`], with the new-issue link shown as `link` says.
    pub fn render_with(&self, link: Link) -> String {
        let m = self.manifest;
        let mut out = String::new();
        let _ = writeln!(
            out,
            "{} bundle from spec {}",
            for_terminal(&m.project.display),
            for_terminal(&m.spec.origin)
        );
        if let Some(reason) = &self.spec_source {
            let _ = writeln!(out, "using {}", for_terminal(reason));
        }
        let width = m.items.iter().map(|i| i.id.len()).max().unwrap_or(0);
        for item in &m.items {
            let detail = item
                .detail
                .as_deref()
                .map(|d| format!(" ({})", for_terminal(d)))
                .unwrap_or_default();
            let redacted = if item.redactions > 0 {
                format!(", {} redacted", item.redactions)
            } else {
                String::new()
            };
            let _ = writeln!(
                out,
                "  {:<9} {:width$}  {}{detail}{redacted}",
                item.status.as_str(),
                for_terminal(&item.id),
                for_terminal(&item.source)
            );
        }
        let count = |pred: fn(Status) -> bool| m.items.iter().filter(|i| pred(i.status)).count();
        let _ = writeln!(
            out,
            "collected {}, missing {}, skipped {}, failed or timed out {}; {} values redacted",
            count(|s| matches!(s, Status::Ok | Status::Truncated)),
            count(|s| matches!(s, Status::Missing | Status::Denied)),
            count(|s| s == Status::Skipped),
            count(|s| matches!(s, Status::Failed | Status::Timeout)),
            self.redactions,
        );
        // Unknown checks too: a check that could not be decided must not read as passed.
        for c in m
            .checks
            .iter()
            .filter(|c| c.outcome.is_flagged() || c.outcome == CheckResult::Unknown)
        {
            let _ = writeln!(
                out,
                "check {} {}: {}",
                c.outcome.as_str().to_uppercase(),
                for_terminal(&c.id),
                for_terminal(&c.explained())
            );
        }
        let _ = writeln!(
            out,
            "bundle {}",
            for_terminal(&self.bundle.display().to_string())
        );
        if !self.encrypted_to.is_empty() {
            let keys = match self.encrypted_to.len() {
                1 => "the maintainers' key".to_string(),
                n => format!("the maintainers' {n} keys"),
            };
            let _ = writeln!(
                out,
                "sealed encrypted to {keys}: only they can read it; send this file through the \
                 private channel below"
            );
        }
        let _ = writeln!(
            out,
            "issue  {}",
            for_terminal(&self.issue.display().to_string())
        );
        if let Some(kept) = self.kept_issue {
            let _ = writeln!(
                out,
                "kept   {} (it has your edits; the new body is in the file above)",
                for_terminal(&kept.display().to_string())
            );
        }
        out.push_str(&filing_text_with(self.filing, link));
        out
    }
}

/// The warnings of a run ([`Outcome::warnings`]), one `warning: ...` line each, as `collect`
/// prints them on stderr.
pub fn warnings_text(warnings: &[String]) -> String {
    let mut out = String::new();
    for w in warnings {
        let _ = writeln!(out, "warning: {}", for_terminal(w));
    }
    out
}

/// What `collect --dry-run` prints: the spec, the sysroot, and each step ([`plan_text`]).
/// `reason` says which spec runs and why, when the user did not name it.
pub fn dry_run_text(
    opts: &Options,
    steps: &[Step],
    redactor: &Redactor,
    reason: Option<&str>,
) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "spec {} ({} steps); nothing will be written",
        for_terminal(&opts.spec.origin),
        steps.len()
    );
    if let Some(reason) = reason {
        let _ = writeln!(out, "using {}", for_terminal(reason));
    }
    if let Some(root) = &opts.sysroot {
        let _ = writeln!(out, "sysroot {}", for_terminal(&root.display().to_string()));
    }
    out.push_str(&plan_text(steps, redactor));
    out
}

/// One line per step: its kind, id and what it runs, reads or requests, redacted (the plan
/// holds the spec's variables filled in, secrets among them).
pub fn plan_text(steps: &[Step], redactor: &Redactor) -> String {
    let mut out = String::new();
    let width = steps.iter().map(|s| s.id.len()).max().unwrap_or(0);
    for step in steps {
        let _ = writeln!(
            out,
            "  {:<7} {:width$}  {}",
            step.request.kind(),
            for_terminal(&step.id),
            for_terminal(&redactor.redact_str(&step.request.to_string(), &mut Counts::default()))
        );
    }
    out
}

/// How the new-issue link is shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum Link {
    /// The whole URL, which pipes, logs and any terminal can use.
    #[default]
    Raw,
    /// A short label that is an OSC 8 hyperlink to the URL, for terminals: a prefilled URL
    /// runs to kilobytes and would fill the screen.
    Hyperlink,
}

/// The filing lines of a summary: the security contact, or the link and the `gh` line.
pub fn filing_text(f: &Filing) -> String {
    filing_text_with(f, Link::Raw)
}

/// [`filing_text`] with the link shown as `link` says.
pub fn filing_text_with(f: &Filing, link: Link) -> String {
    let mut out = String::new();
    if let Some(contact) = &f.security {
        // A contact that already says it (as the built-in specs' do) is not said twice.
        let lead = if contact
            .trim_start()
            .to_lowercase()
            .starts_with("do not file a public issue")
        {
            ""
        } else {
            "do not file a public issue. "
        };
        let _ = writeln!(out, "SECURITY REPORT: {lead}{}", for_terminal(contact));
        return out;
    }
    if let Some(url) = &f.url {
        let trimmed = if f.trimmed {
            " (body trimmed to fit; attach the bundle)"
        } else {
            ""
        };
        let _ = writeln!(out, "file   {}{trimmed}", show_link(url, link));
    }
    if let Some(gh) = &f.gh {
        let _ = writeln!(out, "or     {}", for_terminal(gh));
    }
    if let Some(note) = &f.note {
        let _ = writeln!(out, "note   {}", for_terminal(note));
    }
    out
}

/// `url` as `link` says. A URL that is not plain printable text stays raw (and escaped), so
/// it can never end the hyperlink early or carry other sequences.
fn show_link(url: &str, link: Link) -> String {
    let plain = url.bytes().all(|b| b.is_ascii_graphic());
    match link {
        Link::Hyperlink if plain => format!(
            "\u{1b}]8;;{url}\u{1b}\\open new issue ({} bytes)\u{1b}]8;;\u{1b}\\",
            url.len()
        ),
        _ => for_terminal(url).into_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_terminal_gets_a_short_hyperlinked_label() {
        let f = Filing {
            url: Some("https://example.invalid/new?body=x".into()),
            ..Filing::default()
        };
        assert_eq!(
            filing_text_with(&f, Link::Hyperlink),
            "file   \u{1b}]8;;https://example.invalid/new?body=x\u{1b}\\open new issue (34 bytes)\u{1b}]8;;\u{1b}\\\n"
        );
        let odd = Filing {
            url: Some("https://example.invalid/\u{7}x".into()),
            ..Filing::default()
        };
        assert!(!filing_text_with(&odd, Link::Hyperlink).contains("]8;;"));
    }

    #[test]
    fn security_filing_shows_only_the_contact() {
        let f = Filing {
            url: Some("https://example.invalid/new".into()),
            security: Some("mail security@example.invalid\u{1b}[2J".into()),
            ..Filing::default()
        };
        assert_eq!(
            filing_text(&f),
            "SECURITY REPORT: do not file a public issue. mail security@example.invalid\\u{1b}[2J\n"
        );
    }

    #[test]
    fn public_filing_shows_link_gh_and_note() {
        let f = Filing {
            url: Some("https://example.invalid/new?body=x".into()),
            trimmed: true,
            gh: Some("gh issue create --body-file x.md".into()),
            note: Some("attach it".into()),
            security: None,
        };
        assert_eq!(
            filing_text(&f),
            "file   https://example.invalid/new?body=x (body trimmed to fit; attach the bundle)\n\
             or     gh issue create --body-file x.md\n\
             note   attach it\n"
        );
    }
}
