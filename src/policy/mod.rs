//! `init --from SUPPORT.md`: draft a collector spec from a project's support policy.
//!
//! The policy is decoded forgivingly first ([`decode`]): a byte-order mark is dropped, Windows
//! line endings become `\n`, and text that was UTF-8 mis-decoded as Windows-1252 or -1254 and
//! saved again (mojibake such as `â€œ` or `ğŸ†˜`) is turned back into what it was.
//!
//! Then the lists that ask for something ("please include:", "Gather information") are read
//! item by item: backticked commands (`` `kestrel --version` ``) become `command` collectors;
//! named things ("Caddy version", "Operating System", "logs", "config", "minimal reproduction
//! (Caddyfile + WASM module)") map to collectors and `required` entries; the parts only a
//! person can write (description, steps, expected vs actual) become issue sections. The
//! security section is carried over as `[project] security`. Whatever could not be mapped, or
//! was guessed, is marked with a `# TODO` comment. The draft always loads as a spec.
//!
//! Decoding lives in `decode`, reading the policy's lists in `classify`, writing the TOML in
//! `emit`, and the files a project adopts (`init --kit`: spec, issue form, workflow) in [`kit`].

mod classify;
mod decode;
mod emit;
pub mod kit;

use regex::Regex;

pub use decode::{decode, repair_mojibake};

/// Options for [`draft`]: [`DraftOptions::default`], then the `with_*` methods.
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct DraftOptions {
    /// The project's short name; default: from the policy's title.
    pub name: Option<String>,
    /// Point the spec at this issue form (a file name in `.github/ISSUE_TEMPLATE/`) instead
    /// of the template the policy links; [`kit`] sets it.
    pub issue_form: Option<String>,
}

impl DraftOptions {
    builder_methods! {
        some
        /// The project's short name.
        with_name => name: String;
        /// Point the spec at this issue form.
        with_issue_form => issue_form: String;
    }
}

/// A drafted spec.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Draft {
    /// The spec's TOML text, with `# TODO` comments.
    pub toml: String,
    /// What was found and how it was mapped, one line each.
    pub mapped: Vec<String>,
    /// What needs a person, one line each (also in the text as `# TODO`).
    pub todos: Vec<String>,
}

/// Draft a spec from a policy's decoded text.
pub fn draft(text: &str, opts: &DraftOptions) -> Draft {
    let project = project_info(text, opts);
    let lists = classify::ask_lists(text);
    let classified = classify::classify_lists(&lists);
    let mut collectors = emit::Collectors::new(&project);
    collectors.add_lists(&classified, classify::section_list(&classified));
    collectors.finish(!lists.is_empty())
}

/// The project's names, repository, issue template and security section, from the policy.
fn project_info(text: &str, opts: &DraftOptions) -> emit::ProjectInfo {
    let display = classify::project_display(text).unwrap_or_else(|| "Project".to_string());
    let name = opts
        .name
        .clone()
        .map(|n| emit::slug(&n))
        .filter(|n| !n.is_empty())
        .unwrap_or_else(|| {
            let s = emit::slug(&display);
            if s.is_empty() { "project".into() } else { s }
        });
    emit::ProjectInfo {
        name,
        display,
        repository: repository(text),
        template: opts.issue_form.clone().or_else(|| issue_template(text)),
        security: classify::security_section(text),
    }
}

/// The first GitHub, GitLab or Codeberg repository URL in the policy.
fn repository(text: &str) -> Option<String> {
    let repo_re = Regex::new(r"https?://(?:github\.com|gitlab\.com|codeberg\.org)/[\w.-]+/[\w.-]+")
        .expect("static regex");
    repo_re.find(text).map(|m| {
        m.as_str()
            .trim_end_matches(".git")
            .trim_end_matches('.')
            .to_string()
    })
}

/// The issue template the policy links, preferring a bug template.
fn issue_template(text: &str) -> Option<String> {
    let template_re = Regex::new(r"ISSUE_TEMPLATE/([\w.-]+\.(?:md|ya?ml))").expect("static regex");
    let templates: Vec<String> = template_re
        .captures_iter(text)
        .map(|c| c[1].to_string())
        .collect();
    templates
        .iter()
        .find(|t| t.contains("bug"))
        .or(templates.first())
        .cloned()
}
