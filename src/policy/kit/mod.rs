//! `init --kit DIR`: what a project adds to its repository to adopt the tool.
//!
//! - [`SPEC_PATH`]: the drafted spec, pointed at the kit's issue form, with `[issue.form]`
//!   mapping one form field to each of its issue sections (so the new-issue link `collect`
//!   prints fills the form);
//! - [`FORM_PATH`]: a GitHub issue form that first says how to install and run the tool, then
//!   asks for the bundle (required) and has one field per section, ids as in `[issue.form]`;
//! - [`SNIPPET_PATH`]: the same instructions as Markdown, for projects that keep
//!   `bug_report.md` templates (outside `ISSUE_TEMPLATE/`, where any `.md` file is a template);
//! - [`WORKFLOW_PATH`]: a GitHub Actions workflow that runs `support-bundle triage` on the zip
//!   attachments of an opened or edited issue and posts or updates one comment.
//!
//! Text from the policy (names, headings, the security note) goes into YAML only as quoted
//! scalars, so a heading cannot change the form's structure.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use super::{Draft, DraftOptions};
use crate::sanitize::json_text;
use crate::spec::{self, CHECKLIST_HEADING, Spec};

/// Where the spec goes, relative to the kit directory (a repository's root).
pub const SPEC_PATH: &str = ".github/support-bundle.toml";
/// The issue form's file name; the new-issue link's `template`.
pub const FORM_FILE: &str = "bug_report.yml";
/// Where the issue form goes.
pub const FORM_PATH: &str = ".github/ISSUE_TEMPLATE/bug_report.yml";
/// Where the Markdown snippet goes.
pub const SNIPPET_PATH: &str = ".github/support-bundle-snippet.md";
/// Where the workflow goes.
pub const WORKFLOW_PATH: &str = ".github/workflows/support-bundle.yml";

/// The form field that asks for the zip; the link leaves it for the user.
pub const BUNDLE_FIELD: &str = "support-bundle";
/// The form field the completeness checklist (and whatever no other field takes) fills.
pub const CHECKLIST_FIELD: &str = "completeness";

/// The workflow, with `@VERSION@` for the version of the tool it installs.
const WORKFLOW: &str = include_str!("support-bundle.yml");

/// The install line every kit file shows.
const INSTALL: &str = "cargo install --locked support-bundle";

/// One file of the kit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KitFile {
    /// Path relative to the kit directory, `/`-separated.
    pub path: &'static str,
    /// Its content.
    pub text: String,
}

/// The adoption kit: the draft it was built from, and its files.
#[derive(Debug, Clone)]
pub struct Kit {
    /// The drafted spec (its TOML is the first file), what was mapped and what needs a person.
    pub draft: Draft,
    /// The files, spec first.
    pub files: Vec<KitFile>,
}

/// Why no kit could be built.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum KitError {
    /// The drafted spec does not load (a bug in the draft, reported rather than written).
    #[error("the drafted spec does not load: {0}")]
    Spec(#[from] spec::SpecError),
}

/// Build the kit for a policy's decoded `text`.
pub fn kit(text: &str, opts: &DraftOptions) -> Result<Kit, KitError> {
    let opts = DraftOptions {
        issue_form: Some(FORM_FILE.to_string()),
        ..opts.clone()
    };
    let mut draft = super::draft(text, &opts);
    let drafted = spec::parse(SPEC_PATH, &draft.toml)?;
    let fields = form_fields(&drafted.issue.sections);
    // `[issue]` is the draft's last table, so `[issue.form]` can follow it.
    let mut toml = draft.toml.trim_end().to_string();
    toml.push_str(
        "\n\n# Issue-form field id -> the section whose text the new-issue link puts in it.\n\
         [issue.form]\n",
    );
    for (id, heading) in &fields {
        let _ = writeln!(toml, "{} = {}", toml_string(id), toml_string(heading));
    }
    // The spec users run is the one written; check it loads, [issue.form] included.
    let spec = spec::parse(SPEC_PATH, &toml)?;
    draft.toml = toml;
    draft.mapped.push(format!(
        "issue sections -> {} fields of {FORM_PATH} ([issue.form])",
        fields.len()
    ));
    let files = vec![
        KitFile {
            path: SPEC_PATH,
            text: draft.toml.clone(),
        },
        KitFile {
            path: FORM_PATH,
            text: issue_form(&spec, &fields),
        },
        KitFile {
            path: SNIPPET_PATH,
            text: snippet(&spec),
        },
        KitFile {
            path: WORKFLOW_PATH,
            text: WORKFLOW.replace("@VERSION@", env!("CARGO_PKG_VERSION")),
        },
    ];
    Ok(Kit { draft, files })
}

/// Field id to section heading: one field per section, then [`CHECKLIST_FIELD`] for the
/// checklist (which also takes the body's other generated sections).
pub fn form_fields(sections: &[String]) -> BTreeMap<String, String> {
    let mut fields = BTreeMap::new();
    for heading in sections.iter().filter(|h| *h != CHECKLIST_HEADING) {
        let base = field_id(heading);
        let mut id = base.clone();
        let mut n = 2;
        while fields.contains_key(&id) || id == BUNDLE_FIELD || id == CHECKLIST_FIELD {
            id = format!("{base}-{n}");
            n += 1;
        }
        fields.insert(id, heading.clone());
    }
    fields.insert(CHECKLIST_FIELD.to_string(), CHECKLIST_HEADING.to_string());
    fields
}

/// A form field id from a heading: lowercase ASCII letters and digits, runs of anything else
/// as one `-`, at most 64 characters (`Steps to reproduce` → `steps-to-reproduce`).
pub fn field_id(heading: &str) -> String {
    let mut id = String::new();
    for c in heading.chars().flat_map(char::to_lowercase) {
        if c.is_ascii_alphanumeric() {
            id.push(c);
        } else if !id.is_empty() && !id.ends_with('-') {
            id.push('-');
        }
    }
    let mut id: String = id.trim_end_matches('-').chars().take(64).collect();
    while id.ends_with('-') {
        id.pop();
    }
    if id.is_empty() {
        "section".to_string()
    } else {
        id
    }
}

/// The issue form, fields in section order.
fn issue_form(spec: &Spec, fields: &BTreeMap<String, String>) -> String {
    let p = &spec.project;
    let mut out = String::new();
    let _ = writeln!(
        out,
        "# Written by `support-bundle init --kit`. The ids match [issue.form] in {SPEC_PATH}:\n\
         # keep them in step, so the link `support-bundle collect` prints fills this form.\n\
         name: {}\ndescription: {}",
        yaml_string("Bug report"),
        yaml_string(&format!(
            "Report a problem with {}, with a support bundle",
            p.display
        )),
    );
    if !spec.issue.title.is_empty() {
        let _ = writeln!(out, "title: {}", yaml_string(&spec.issue.title));
    }
    let labels = if spec.issue.labels.is_empty() {
        vec!["bug".to_string()]
    } else {
        spec.issue.labels.clone()
    };
    let _ = writeln!(
        out,
        "labels: [{}]\nbody:",
        labels
            .iter()
            .map(|l| yaml_string(l))
            .collect::<Vec<_>>()
            .join(", ")
    );
    let _ = writeln!(
        out,
        "  - type: markdown\n    attributes:\n      value: {}",
        yaml_string(&instructions(spec, "this form", "below"))
    );
    textarea(
        &mut out,
        BUNDLE_FIELD,
        "Support bundle",
        &format!(
            "Attach the `{}-bundle-….zip` that `support-bundle collect` wrote: drag it into \
             this box. Everything in it was redacted on your machine; you can read it first \
             with `support-bundle inspect`.",
            p.name
        ),
        true,
    );
    let ordered = spec
        .issue
        .sections
        .iter()
        .filter(|h| *h != CHECKLIST_HEADING)
        .chain(std::iter::once(&CHECKLIST_HEADING.to_string()))
        .filter_map(|h| fields.iter().find(|(_, heading)| *heading == h))
        .map(|(id, h)| (id.clone(), h.clone()))
        .collect::<Vec<_>>();
    for (id, heading) in ordered {
        let description = if id == CHECKLIST_FIELD {
            "Filled in by the link `support-bundle collect` prints: what the bundle holds and \
             what is missing."
                .to_string()
        } else {
            "Filled in by the link `support-bundle collect` prints; complete or correct it."
                .to_string()
        };
        textarea(&mut out, &id, &heading, &description, false);
    }
    out
}

fn textarea(out: &mut String, id: &str, label: &str, description: &str, required: bool) {
    let _ = writeln!(
        out,
        "  - type: textarea\n    id: {id}\n    attributes:\n      label: {}\n      description: {}\n    validations:\n      required: {required}",
        yaml_string(label),
        yaml_string(description),
    );
}

/// How to install and run the tool for this project, in Markdown; `what` is what the link
/// fills in and `where_` where the zip goes.
fn instructions(spec: &Spec, what: &str, where_: &str) -> String {
    let p = &spec.project;
    let mut text = format!(
        "{} asks for a **support bundle** with every bug report: one zip with what its \
         support policy asks for (versions, configuration, logs), with secrets and personal \
         identifiers redacted on your machine before anything is written.\n\n\
         1. Install the tool: `{INSTALL}`\n\
         2. Run `support-bundle collect` {}\n\
         3. Open the link it prints: it fills in {what}. Attach the zip {where_} and read \
         what you send before you submit.\n",
        p.display,
        run_where(spec)
    );
    if p.security.is_some() {
        text.push_str(
            "\n**Security vulnerabilities do not go here.** Run `support-bundle collect \
             --security`: it tells you where to send the report privately.\n",
        );
    }
    text
}

/// Where to run `collect` so it uses this project's spec.
fn run_where(spec: &Spec) -> String {
    let raw = spec
        .project
        .repository
        .as_deref()
        .and_then(|r| r.strip_prefix("https://github.com/"))
        .map(|r| format!("https://raw.githubusercontent.com/{r}/HEAD/{SPEC_PATH}"));
    match raw {
        Some(url) => format!(
            "in a checkout of this repository (it uses `{SPEC_PATH}`), or anywhere with \
             `--spec {url}`."
        ),
        None => format!("in a checkout of this repository (it uses `{SPEC_PATH}`)."),
    }
}

/// The Markdown snippet for `bug_report.md` templates.
fn snippet(spec: &Spec) -> String {
    format!(
        "<!-- Written by `support-bundle init --kit`: paste this into \
         .github/ISSUE_TEMPLATE/bug_report.md. -->\n\
         ### Support bundle\n\n{}\n\
         <!-- Attach the {}-bundle-….zip here. -->\n",
        instructions(spec, "the issue", "to the issue"),
        spec.project.name
    )
}

/// A YAML double-quoted scalar: JSON string syntax is a subset of it. DEL, C1 and
/// bidirectional controls, which JSON leaves raw but YAML and TOML refuse or hide, are written
/// as `\u` escapes too.
fn yaml_string(s: &str) -> String {
    let json = serde_json::Value::String(s.to_string()).to_string();
    json_text(&json).into_owned()
}

/// A TOML basic string: the escapes [`yaml_string`] writes are valid TOML escapes as well.
fn toml_string(s: &str) -> String {
    yaml_string(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn field_ids_are_slugs_and_unique() {
        assert_eq!(field_id("Steps to reproduce"), "steps-to-reproduce");
        assert_eq!(
            field_id("Minimal reproduction (Caddyfile + WASM module)"),
            "minimal-reproduction-caddyfile-wasm-module"
        );
        assert_eq!(field_id("!!!"), "section");
        let f = form_fields(&[
            "Logs".into(),
            "logs".into(),
            "Support bundle".into(),
            CHECKLIST_HEADING.into(),
        ]);
        let ids: Vec<&str> = f.keys().map(String::as_str).collect();
        assert_eq!(
            ids,
            ["completeness", "logs", "logs-2", "support-bundle-2"],
            "{f:?}"
        );
        assert_eq!(f["completeness"], CHECKLIST_HEADING);
    }

    #[test]
    fn controls_are_escaped_for_toml_and_yaml() {
        let s = "a\u{7f}b\u{85}c\u{202e}d\"e\\f\ng";
        let quoted = toml_string(s);
        assert!(!quoted.chars().any(|c| c.is_control()), "{quoted}");
        let toml: toml::Value = toml::from_str(&format!("k = {quoted}")).unwrap();
        assert_eq!(toml["k"].as_str(), Some(s));
        let yaml = yaml_rust2::YamlLoader::load_from_str(&format!("k: {quoted}")).unwrap();
        assert_eq!(yaml[0]["k"].as_str(), Some(s));
    }

    #[test]
    fn hostile_headings_stay_quoted_scalars() {
        let heading = "Logs\"\n  - type: input\n    id: injected\n# '";
        let text = format!(
            "schema = 1\n[project]\nname = \"x\"\ndisplay = \"X: {{y}}\"\n\
             [[collect]]\nid = \"os\"\nkind = \"system\"\n\
             [issue]\nsections = [\"Description\", {}]\n",
            toml_string(heading)
        );
        let spec = spec::parse("t.toml", &text).unwrap();
        let fields = form_fields(&spec.issue.sections);
        let form = issue_form(&spec, &fields);
        let docs = yaml_rust2::YamlLoader::load_from_str(&form).unwrap();
        let body = docs[0]["body"].as_vec().unwrap();
        // markdown, the bundle, two sections and the checklist: nothing injected.
        assert_eq!(body.len(), 5, "{form}");
        assert!(
            body.iter().all(|f| f["type"].as_str() != Some("input")),
            "{form}"
        );
        assert_eq!(body[3]["attributes"]["label"].as_str(), Some(heading));
        assert_eq!(
            docs[0]["description"].as_str(),
            Some("Report a problem with X: {y}, with a support bundle")
        );
    }
}
