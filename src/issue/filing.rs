//! How the user files the issue: a prefilled URL and a `gh issue create` line, or, for a
//! vulnerability (`--security`, or a bundle marked private), neither, and the project's
//! security contact instead.

use std::path::Path;

use super::body::security_text;
use super::form::{self, Form};
use super::url::{self, Repo};
use super::{Input, one_line};
use crate::spec::ForgeKind;

/// What filing needs besides the rendered input: [`FilingOptions::default`], then the
/// `with_*` methods.
#[derive(Debug, Clone, Copy, Default)]
#[non_exhaustive]
pub struct FilingOptions<'a> {
    /// The user says this is a vulnerability: nothing public is produced.
    pub security: bool,
    /// The project's issue form, read from a checkout.
    pub form: Option<&'a Form>,
    /// The full body's file, for the `gh` line.
    pub body_file: Option<&'a Path>,
}

impl<'a> FilingOptions<'a> {
    builder_methods! {
        /// The user says this is a vulnerability: nothing public is produced.
        with_security => security: bool;
    }
    builder_methods! {
        some
        /// The project's issue form, read from a checkout.
        with_form => form: &'a Form;
        /// The full body's file, for the `gh` line.
        with_body_file => body_file: &'a Path;
    }
}

/// The ways to file.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct Filing {
    /// The prefilled new-issue URL (absent for security reports and unknown forges).
    pub url: Option<String>,
    /// The body in the URL is shorter than the full one.
    pub trimmed: bool,
    /// A ready `gh issue create` command line (GitHub only).
    pub gh: Option<String>,
    /// For a security report: where to send it instead.
    pub security: Option<String>,
    /// Why there is no URL, when there is none and it is not a security report.
    pub note: Option<String>,
}

/// Work out how to file `input`.
pub fn file(input: &Input<'_>, opts: &FilingOptions<'_>) -> Filing {
    if opts.security || input.manifest.private {
        return Filing {
            security: Some(security_text(input)),
            ..Filing::default()
        };
    }
    let Some(repo) = url::repo(&input.spec.project) else {
        let note = match &input.spec.project.repository {
            Some(r) => format!(
                "no prefilled link: `{}` is not on a forge this tool recognises (set `[project] forge`)",
                one_line(r)
            ),
            None => "no prefilled link: the spec names no `[project] repository`".to_string(),
        };
        return Filing {
            note: Some(note),
            ..Filing::default()
        };
    };
    let plan = match repo.kind {
        ForgeKind::GitHub => form::plan(input.spec, opts.form),
        ForgeKind::GitLab | ForgeKind::Gitea => None,
    };
    let prefill = url::prefill(input, &repo, plan.as_ref());
    Filing {
        url: Some(prefill.url),
        trimmed: prefill.trimmed,
        gh: opts.body_file.and_then(|f| gh_line(input, &repo, f)),
        security: None,
        note: None,
    }
}

/// `gh issue create --repo OWNER/NAME --title … --body-file … [--label …]`.
fn gh_line(input: &Input<'_>, repo: &Repo, body_file: &Path) -> Option<String> {
    if repo.kind != ForgeKind::GitHub {
        return None;
    }
    let title = input.full_title();
    let mut line = format!(
        "gh issue create --repo {} --title {} --body-file {}",
        quote(&repo.slug),
        quote(&title),
        quote(&body_file.display().to_string())
    );
    for label in &input.spec.issue.labels {
        line.push_str(" --label ");
        line.push_str(&quote(label));
    }
    Some(line)
}

/// POSIX shell quoting: bare when safe, else single quotes with `'` spelled `'\''`.
pub fn quote(s: &str) -> String {
    let safe = !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_./:=@,+%".contains(&b));
    if safe {
        s.to_string()
    } else {
        format!("'{}'", s.replace('\'', r"'\''"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoting_survives_a_real_shell() {
        for s in [
            "plain",
            "two words",
            "it's",
            "$(touch /x) `y` \"z\" \\",
            "[BUG] ",
        ] {
            let out = std::process::Command::new("sh")
                .arg("-c")
                .arg(format!("printf %s {}", quote(s)))
                .output()
                .unwrap();
            assert_eq!(String::from_utf8_lossy(&out.stdout), s);
        }
    }
}
