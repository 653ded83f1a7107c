//! The completeness checklist: what the project's policy asks for (the spec's `required`
//! items), whether the bundle has it, why not, how to supply it, and the parts only the user
//! can write.

use std::fmt::Write as _;

use super::section::Section;
use super::{Input, one_line};
use crate::completeness::{self, State};
use crate::item::Status;

/// The checklist's Markdown, given the spec sections already rendered (to find the ones left
/// for the user). What counts is [`completeness::assess`], which `inspect` shares.
pub fn checklist(input: &Input<'_>, rendered: &[Section]) -> String {
    let mut out = String::new();
    let required = completeness::assess(input.spec, input.manifest);
    let mut missing = 0;
    for req in &required {
        let item = req.item;
        let label = one_line(item.label.as_deref().unwrap_or(&item.id));
        let (status, reason) = match &req.state {
            State::Present { path, records } => {
                let what = match (path, records) {
                    (Some(p), _) => format!("in the bundle as `{p}`"),
                    (None, n) if *n > 1 => format!("all {n} files in the bundle"),
                    (None, _) => "collected".to_string(),
                };
                let _ = writeln!(out, "- [x] {label} (`{}`): {what}", item.id);
                continue;
            }
            State::Missing { status, reason } => (*status, reason),
        };
        missing += 1;
        let under_sudo = input
            .manifest
            .items
            .iter()
            .filter(|r| r.id == item.id)
            .filter_map(|r| r.detail.as_deref())
            .any(|d| d.contains("under sudo"));
        let how = if under_sudo {
            // The program is there for the user, not on root's PATH: installing it again is
            // the wrong advice.
            "under sudo the PATH is root's, not yours: run `collect` again with your PATH \
             (`sudo env \"PATH=$PATH\" support-bundle collect …`), or paste the output yourself"
                .to_string()
        } else {
            item.hint
                .as_deref()
                .map(one_line)
                .unwrap_or_else(|| generic_hint(status).to_string())
        };
        let _ = writeln!(
            out,
            "- [ ] {label} (`{}`): **missing** ({})\n  - to supply it: {how}",
            item.id,
            reason.replace('|', "\\|")
        );
    }
    let human: Vec<_> = rendered.iter().filter(|s| s.human).collect();
    for s in &human {
        let what = if is_optional(&s.heading) {
            "optional, written by you"
        } else if s.text.contains(super::body::DETECTED_MARK) {
            "**to be written by you**: keep or replace the excerpt detected above"
        } else {
            "**to be written by you** (replace the placeholder above)"
        };
        let _ = writeln!(out, "- [ ] {}: {what}", one_line(&s.heading));
    }
    let human: Vec<_> = human.iter().filter(|s| !is_optional(&s.heading)).collect();
    let summary = format!(
        "{} of {} required items collected{}{}.\n\n",
        required.len() - missing,
        required.len(),
        if missing > 0 {
            format!("; {missing} missing")
        } else {
            String::new()
        },
        if human.is_empty() {
            String::new()
        } else {
            format!("; {} part(s) only you can write", human.len())
        }
    );
    summary + &out
}

/// Context sections are welcome but not required.
fn is_optional(heading: &str) -> bool {
    let h = heading.to_lowercase();
    h.contains("additional") || h.contains("context") || h.contains("anything else")
}

/// How to supply an item that has no `hint`, by why it is missing.
pub(crate) fn generic_hint(status: Option<Status>) -> &'static str {
    match status {
        Some(Status::Missing) | None => {
            "install it or point the spec at it (`--var NAME=VALUE`), then run `collect` again; \
             or paste it into the issue yourself"
        }
        Some(Status::Denied) => {
            "run `collect` again as a user who can read it (for example with sudo)"
        }
        Some(Status::Timeout) => {
            "run `collect` again with a longer `--timeout`, or paste the output yourself"
        }
        Some(Status::Skipped) => {
            "it is never collected automatically; attach it yourself only if it holds no secrets"
        }
        Some(Status::Ok | Status::Truncated) => {
            "its output is in the bundle, but the value was not recognised in it: fill it in yourself"
        }
        Some(Status::Failed) => "see the bundle",
    }
}
