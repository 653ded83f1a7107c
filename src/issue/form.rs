//! GitHub issue forms: which `input`/`textarea` fields a new-issue URL can prefill (by `id`),
//! and which body sections go into each.
//!
//! A form comes from the project's `.github/ISSUE_TEMPLATE/*.yml` in a local checkout
//! (`[project] issue_form` plus `--repo-dir`), or from `[issue.form]` in the spec (field id
//! to section heading). Fields match sections by label or id; `[issue.form]` overrides; every
//! section no field took (the checklist included) goes into the last text area, so nothing
//! the body holds is lost from the link.

use yaml_rust2::{Yaml, YamlLoader};

use crate::spec::{CHECKLIST_HEADING, Spec};

/// Largest form file read, in bytes.
pub const MAX_FORM_BYTES: u64 = 1024 * 1024;

/// A prefillable field kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldKind {
    /// One line.
    Input,
    /// Several lines.
    Textarea,
}

/// One prefillable field of a form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Field {
    /// The field's `id` (the URL parameter name).
    pub id: String,
    /// `input` or `textarea`.
    pub kind: FieldKind,
    /// `attributes.label`.
    pub label: String,
}

/// A parsed issue form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Form {
    /// The form's file name, the new-issue link's `template` value (`bug.yml`).
    pub file_name: String,
    /// Its `input` and `textarea` fields that have an `id`, in order.
    pub fields: Vec<Field>,
}

/// Why a form file could not be used.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum FormError {
    /// Not readable.
    #[error("cannot read issue form `{path}`: {source}")]
    Io {
        /// The path.
        path: String,
        /// The cause.
        source: std::io::Error,
    },
    /// Not YAML, or not an issue form.
    #[error("issue form `{path}`: {message}")]
    Invalid {
        /// The path.
        path: String,
        /// What is wrong.
        message: String,
    },
}

impl Form {
    /// Read and parse `repo_dir/relative`, capped at [`MAX_FORM_BYTES`].
    pub fn load(repo_dir: &std::path::Path, relative: &str) -> Result<Form, FormError> {
        use std::io::Read;
        let path = repo_dir.join(relative);
        let shown = path.display().to_string();
        let mut text = String::new();
        std::fs::File::open(&path)
            .and_then(|f| f.take(MAX_FORM_BYTES).read_to_string(&mut text))
            .map_err(|source| FormError::Io {
                path: shown.clone(),
                source,
            })?;
        let file_name = relative.rsplit('/').next().unwrap_or(relative).to_string();
        Form::parse(&text, &file_name).map_err(|message| FormError::Invalid {
            path: shown,
            message,
        })
    }

    /// Parse a form's YAML text.
    pub fn parse(text: &str, file_name: &str) -> Result<Form, String> {
        let docs = YamlLoader::load_from_str(text).map_err(|e| e.to_string())?;
        let doc = docs.first().ok_or("empty file")?;
        let Yaml::Array(body) = &doc["body"] else {
            return Err("no `body:` list; not an issue form".into());
        };
        let mut fields = Vec::new();
        for element in body {
            let kind = match element["type"].as_str() {
                Some("input") => FieldKind::Input,
                Some("textarea") => FieldKind::Textarea,
                _ => continue,
            };
            let Some(id) = element["id"].as_str() else {
                continue;
            };
            let label = element["attributes"]["label"]
                .as_str()
                .unwrap_or(id)
                .to_string();
            fields.push(Field {
                id: id.to_string(),
                kind,
                label,
            });
        }
        Ok(Form {
            file_name: file_name.to_string(),
            fields,
        })
    }
}

/// Which sections fill which field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    /// The `template` parameter (the form's file name), if known.
    pub template: Option<String>,
    /// Field id and the headings whose text fills it, in form order.
    pub fields: Vec<(String, Vec<String>)>,
}

/// Headings the body can have besides the spec's sections.
const EXTRA_HEADINGS: [&str; 3] = [CHECKLIST_HEADING, "Checks", "Collected items"];

fn normalize(s: &str) -> String {
    s.to_lowercase()
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

/// Plan the fields for `spec`, from a parsed form and/or `[issue.form]`; `None` when there
/// is neither (the link then carries the body).
pub fn plan(spec: &Spec, form: Option<&Form>) -> Option<Plan> {
    let inline = &spec.issue.form;
    if form.is_none() && inline.is_empty() {
        return None;
    }
    let headings: Vec<String> = spec
        .issue
        .sections
        .iter()
        .cloned()
        .chain(EXTRA_HEADINGS.iter().map(|s| s.to_string()))
        .collect();
    // Field order: the form's, then inline ids the form does not have.
    let mut fields: Vec<(String, Option<FieldKind>, String)> = form
        .map(|f| {
            f.fields
                .iter()
                .map(|x| (x.id.clone(), Some(x.kind), x.label.clone()))
                .collect()
        })
        .unwrap_or_default();
    for id in inline.keys() {
        if !fields.iter().any(|(f, _, _)| f == id) {
            fields.push((id.clone(), None, id.clone()));
        }
    }
    let mut taken: Vec<(String, Vec<String>)> = fields
        .iter()
        .map(|(id, _, _)| (id.clone(), Vec::new()))
        .collect();
    let mut used: Vec<&String> = Vec::new();
    for (id, heading) in inline {
        if let Some(slot) = taken.iter_mut().find(|(f, _)| f == id) {
            slot.1.push(heading.clone());
            used.push(heading);
        }
    }
    for (i, (id, _, label)) in fields.iter().enumerate() {
        if inline.contains_key(id) {
            continue;
        }
        let (l, n) = (normalize(label), normalize(id));
        let matched = headings.iter().find(|h| {
            let h2 = normalize(h);
            !used.contains(h) && (h2 == l || h2 == n || (!l.is_empty() && h2.contains(&l)))
        });
        if let Some(h) = matched {
            taken[i].1.push(h.clone());
            used.push(h);
        }
    }
    let leftovers: Vec<String> = headings
        .iter()
        .filter(|h| !used.contains(h))
        .cloned()
        .collect();
    let sink = taken
        .iter()
        .position(|(_, hs)| hs.iter().any(|h| h == CHECKLIST_HEADING))
        .or_else(|| {
            fields
                .iter()
                .rposition(|(_, k, _)| *k == Some(FieldKind::Textarea))
        })
        .or_else(|| taken.len().checked_sub(1))?;
    // Keep spec order inside the sink field.
    let sink_headings = &mut taken[sink].1;
    sink_headings.extend(leftovers);
    sink_headings.sort_by_key(|h| headings.iter().position(|x| x == h));
    taken.retain(|(_, hs)| !hs.is_empty());
    let template = form.map(|f| f.file_name.clone()).or_else(|| {
        spec.project
            .issue_form
            .as_deref()
            .map(|p| p.rsplit('/').next().unwrap_or(p).to_string())
    });
    Some(Plan {
        template,
        fields: taken,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const FORM: &str = r#"
name: Bug report
description: File a bug
labels: ["bug"]
body:
  - type: markdown
    attributes:
      value: Thanks!
  - type: textarea
    id: what-happened
    attributes:
      label: Description
  - type: input
    id: version
    attributes:
      label: Environment
  - type: dropdown
    id: os
    attributes:
      label: OS
      options: [Linux, macOS]
  - type: textarea
    attributes:
      label: No id, not prefillable
  - type: textarea
    id: extra
    attributes:
      label: Anything else?
"#;

    #[test]
    fn parses_prefillable_fields_only() {
        let f = Form::parse(FORM, "bug.yml").unwrap();
        let ids: Vec<_> = f.fields.iter().map(|x| x.id.as_str()).collect();
        assert_eq!(ids, ["what-happened", "version", "extra"]);
        assert_eq!(f.fields[1].kind, FieldKind::Input);
        assert!(Form::parse("name: x\n", "x.yml").is_err());
        assert!(Form::parse("body: [unclosed", "x.yml").is_err());
    }

    #[test]
    fn sections_map_by_label_and_leftovers_go_to_the_last_textarea() {
        let spec = crate::spec::load("gojinn").unwrap();
        let f = Form::parse(FORM, "bug.yml").unwrap();
        let p = plan(&spec, Some(&f)).unwrap();
        assert_eq!(p.template.as_deref(), Some("bug.yml"));
        assert_eq!(
            p.fields[0],
            ("what-happened".into(), vec!["Description".into()])
        );
        assert_eq!(p.fields[1], ("version".into(), vec!["Environment".into()]));
        let (id, rest) = &p.fields[2];
        assert_eq!(id, "extra");
        assert!(rest.contains(&"Logs".to_string()));
        assert!(rest.contains(&CHECKLIST_HEADING.to_string()));
        // Every heading lands somewhere exactly once.
        let all: Vec<&String> = p.fields.iter().flat_map(|(_, h)| h).collect();
        assert_eq!(all.len(), spec.issue.sections.len() + EXTRA_HEADINGS.len());
    }

    #[test]
    fn no_form_no_plan() {
        let spec = crate::spec::load("kestrel").unwrap();
        assert_eq!(plan(&spec, None), None);
    }
}
