//! Prefilled new-issue URLs for GitHub, GitLab and Gitea/Forgejo, kept under
//! [`MAX_URL_BYTES`].
//!
//! The forge comes from `[project] forge`, else from the repository's host name. When the
//! full body does not fit, the body is re-rendered with fewer log lines, then without logs,
//! then without details (configs, the item list), always keeping the environment table and
//! the checklist; the trimmed body says the full text is in the bundle's `issue.md`. Only if
//! even that is too long is the longest parameter cut.

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};

use super::body::{Detail, render_with, sections};
use super::form::Plan;
use super::section::Section;
use super::{Input, one_line};
use crate::spec::{ForgeKind, Project};

/// Browsers and forges accept longer URLs, but some proxies and GitHub's own new-issue page
/// stop around 8 KB; stay under it.
pub const MAX_URL_BYTES: usize = 8000;

/// RFC 3986 unreserved characters stay; everything else is percent-encoded (so `+`, `&`,
/// `#` and `=` in a body cannot be misread).
const QUERY: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

/// A repository on a known forge.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Repo {
    /// Which forge.
    pub kind: ForgeKind,
    /// `https://host/owner/name`, without a trailing `/` or `.git`.
    pub base: String,
    /// `owner/name` (GitLab groups: the whole path).
    pub slug: String,
}

/// The project's repository, if it is on a forge this tool knows how to prefill.
pub fn repo(project: &Project) -> Option<Repo> {
    let url = project.repository.as_deref()?.trim();
    let rest = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"))?;
    let scheme = &url[..url.len() - rest.len()];
    let rest = rest.trim_end_matches('/');
    let rest = rest.strip_suffix(".git").unwrap_or(rest);
    let (host, path) = rest.split_once('/')?;
    let path = path.trim_matches('/');
    if host.is_empty() || path.split('/').count() < 2 || path.split('/').any(str::is_empty) {
        return None;
    }
    let lower = host.to_ascii_lowercase();
    let kind = project.forge.or_else(|| {
        if lower == "github.com" || lower.starts_with("github.") {
            Some(ForgeKind::GitHub)
        } else if lower.contains("gitlab") {
            Some(ForgeKind::GitLab)
        } else if lower == "codeberg.org" || lower.contains("gitea") || lower.contains("forgejo") {
            Some(ForgeKind::Gitea)
        } else {
            None
        }
    })?;
    Some(Repo {
        kind,
        base: format!("{scheme}{host}/{path}"),
        slug: path.to_string(),
    })
}

/// A prefilled URL and whether the body in it was trimmed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Prefill {
    /// The URL, at most [`MAX_URL_BYTES`] bytes.
    pub url: String,
    /// The body in it is shorter than `issue.md`.
    pub trimmed: bool,
}

/// Percent-encode one query value.
pub fn encode(s: &str) -> String {
    utf8_percent_encode(s, QUERY).to_string()
}

/// The new-issue URL for `input`; `form` prefills issue-form fields instead of the body
/// (GitHub only).
pub fn prefill(input: &Input<'_>, repo: &Repo, form: Option<&Plan>) -> Prefill {
    let full = Detail::full(input);
    let mut levels = Vec::new();
    let mut lines = full.log_lines;
    while lines > 0 {
        levels.push(Detail {
            log_lines: lines,
            details: true,
        });
        lines /= 2;
    }
    levels.push(Detail {
        log_lines: 0,
        details: true,
    });
    levels.push(Detail {
        log_lines: 0,
        details: false,
    });
    let mut last = Vec::new();
    for detail in &levels {
        let params = params(input, repo, form, *detail);
        let url = assemble(repo, &params);
        if url.len() <= MAX_URL_BYTES {
            return Prefill {
                url,
                trimmed: *detail != full,
            };
        }
        last = params;
    }
    // Even the environment table and checklist are too long: cut the longest value.
    Prefill {
        url: cut_to_fit(repo, last),
        trimmed: true,
    }
}

fn params(
    input: &Input<'_>,
    repo: &Repo,
    form: Option<&Plan>,
    detail: Detail,
) -> Vec<(String, String)> {
    let title = input.full_title();
    let mut out: Vec<(String, String)> = Vec::new();
    let mut push = |key: &str, value: String| out.push((key.to_string(), value));
    match repo.kind {
        ForgeKind::GitHub => {
            let template = form
                .and_then(|f| f.template.clone())
                .or_else(|| input.spec.project.issue_template.clone());
            if let Some(t) = template {
                push("template", t);
            }
            push("title", title);
            if !input.spec.issue.labels.is_empty() {
                push("labels", input.spec.issue.labels.join(","));
            }
            match form {
                Some(plan) => {
                    let rendered = sections(input, detail);
                    let trimmed = detail != Detail::full(input);
                    for (i, (field, headings)) in plan.fields.iter().enumerate() {
                        let mut value = field_value(&rendered, headings);
                        if trimmed && i == 0 {
                            value = format!(
                                "_Trimmed to fit the new-issue link: the full text is in the \
                                 attached support bundle's `issue.md`._\n\n{value}"
                            );
                        }
                        if !value.is_empty() {
                            push(field, value);
                        }
                    }
                }
                None => push("body", render_with(input, detail)),
            }
        }
        ForgeKind::GitLab => {
            push("issue[title]", title);
            push("issue[description]", render_with(input, detail));
        }
        ForgeKind::Gitea => {
            push("title", title);
            push("body", render_with(input, detail));
        }
    }
    out
}

/// A field's text: one section's text as is, several as `### heading` blocks.
fn field_value(rendered: &[Section], headings: &[String]) -> String {
    let chosen: Vec<&Section> = headings
        .iter()
        .filter_map(|h| rendered.iter().find(|s| &s.heading == h))
        .collect();
    match chosen.as_slice() {
        [one] => one.text.trim_end().to_string(),
        many => many
            .iter()
            .map(|s| format!("### {}\n\n{}", one_line(&s.heading), s.text.trim_end()))
            .collect::<Vec<_>>()
            .join("\n\n"),
    }
}

fn assemble(repo: &Repo, params: &[(String, String)]) -> String {
    let path = match repo.kind {
        ForgeKind::GitLab => "/-/issues/new",
        ForgeKind::GitHub | ForgeKind::Gitea => "/issues/new",
    };
    let query: Vec<String> = params
        .iter()
        .map(|(k, v)| format!("{}={}", encode(k), encode(v)))
        .collect();
    format!("{}{path}?{}", repo.base, query.join("&"))
}

const CUT_NOTE: &str = "\n\n[... cut to fit the link; the full text is in issue.md ...]";

fn cut_to_fit(repo: &Repo, mut params: Vec<(String, String)>) -> String {
    loop {
        let url = assemble(repo, &params);
        if url.len() <= MAX_URL_BYTES {
            return url;
        }
        let Some(longest) = params
            .iter_mut()
            .max_by_key(|(_, v)| encode(v).len())
            .filter(|(_, v)| !v.is_empty())
        else {
            return url;
        };
        let over = url.len() - MAX_URL_BYTES + encode(CUT_NOTE).len();
        let value = std::mem::take(&mut longest.1);
        let value = value.strip_suffix(CUT_NOTE).unwrap_or(&value).to_string();
        // Drop chars from the end until the encoded length has shrunk by `over`.
        let mut shrink = 0;
        let mut end = value.len();
        for (i, c) in value.char_indices().rev() {
            if shrink >= over {
                break;
            }
            let mut buf = [0u8; 4];
            shrink += encode(c.encode_utf8(&mut buf)).len();
            end = i;
        }
        longest.1 = if end == 0 {
            String::new()
        } else {
            format!("{}{CUT_NOTE}", &value[..end])
        };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn project(repo: &str, forge: Option<ForgeKind>) -> Project {
        Project {
            name: "p".into(),
            display: "P".into(),
            description: None,
            repository: Some(repo.into()),
            repository_fact: None,
            issue_template: None,
            issue_form: None,
            forge,
            security: None,
            security_recipients: Vec::new(),
        }
    }

    #[test]
    fn forges_from_host_names() {
        let r = repo(&project("https://github.com/o/n.git/", None)).unwrap();
        assert_eq!(
            (r.kind, r.base.as_str(), r.slug.as_str()),
            (ForgeKind::GitHub, "https://github.com/o/n", "o/n")
        );
        let r = repo(&project("https://gitlab.example.org/group/sub/n", None)).unwrap();
        assert_eq!(
            (r.kind, r.slug.as_str()),
            (ForgeKind::GitLab, "group/sub/n")
        );
        let r = repo(&project("https://codeberg.org/o/n", None)).unwrap();
        assert_eq!(r.kind, ForgeKind::Gitea);
        assert_eq!(repo(&project("https://example.org/o/n", None)), None);
        let r = repo(&project(
            "https://git.example.org/o/n",
            Some(ForgeKind::Gitea),
        ))
        .unwrap();
        assert_eq!(r.kind, ForgeKind::Gitea);
        assert_eq!(repo(&project("https://github.com/justowner", None)), None);
        assert_eq!(repo(&project("ftp://github.com/o/n", None)), None);
    }

    #[test]
    fn encoding_leaves_only_unreserved() {
        assert_eq!(encode("a b+c&d=e#f/ü~"), "a%20b%2Bc%26d%3De%23f%2F%C3%BC~");
    }

    #[test]
    fn cutting_respects_the_bound_and_char_boundaries() {
        let repo = Repo {
            kind: ForgeKind::Gitea,
            base: "https://codeberg.org/o/n".into(),
            slug: "o/n".into(),
        };
        let params = vec![
            ("title".to_string(), "t".to_string()),
            ("body".to_string(), "ü€x".repeat(5000)),
        ];
        let url = cut_to_fit(&repo, params);
        assert!(url.len() <= MAX_URL_BYTES, "{}", url.len());
        assert!(url.len() > MAX_URL_BYTES - 100, "{}", url.len());
        let body = url.split("body=").nth(1).unwrap();
        let decoded = percent_encoding::percent_decode_str(body)
            .decode_utf8()
            .unwrap();
        assert!(decoded.starts_with("ü€xü€x"));
        assert!(decoded.ends_with(CUT_NOTE));
    }
}
