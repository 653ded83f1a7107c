//! The completeness checklist: what the project's policy asks for (the spec's `required`
//! items), whether the bundle has it, why not, how to supply it, and the parts only the user
//! can write.

use std::fmt::Write as _;

use super::section::Section;
use super::{Input, one_line};
use crate::item::Status;

/// The checklist's Markdown, given the spec sections already rendered (to find the ones left
/// for the user).
pub fn checklist(input: &Input<'_>, rendered: &[Section]) -> String {
    let mut out = String::new();
    let required: Vec<_> = input.spec.items.iter().filter(|i| i.required).collect();
    let mut missing = 0;
    for item in &required {
        let records: Vec<_> = input
            .manifest
            .items
            .iter()
            .filter(|r| r.id == item.id)
            .collect();
        let label = one_line(item.label.as_deref().unwrap_or(&item.id));
        if let Some(r) = records.iter().find(|r| r.status.is_present()) {
            let what = match &r.path {
                Some(p) => format!("in the bundle as `{p}`"),
                None => "collected".to_string(),
            };
            let _ = writeln!(out, "- [x] {label} (`{}`): {what}", item.id);
            continue;
        }
        missing += 1;
        let (reason, status) = match records.first() {
            Some(r) => (
                match &r.detail {
                    // Collectors often say it themselves ("permission denied: /etc/...").
                    Some(d) if d.starts_with(reason_word(r.status)) => one_line(d),
                    Some(d) => format!("{}: {}", reason_word(r.status), one_line(d)),
                    None => reason_word(r.status).to_string(),
                },
                Some(r.status),
            ),
            None => ("not collected".to_string(), None),
        };
        let how = item
            .hint
            .as_deref()
            .map(one_line)
            .unwrap_or_else(|| generic_hint(status).to_string());
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

/// The reason, as a maintainer's policy would say it.
fn reason_word(status: Status) -> &'static str {
    match status {
        Status::Missing => "not found",
        Status::Denied => "permission denied",
        Status::Timeout => "timed out",
        Status::Failed => "failed",
        Status::Skipped => "skipped",
        Status::Ok | Status::Truncated => "collected",
    }
}

/// How to supply an item that has no `hint`, by why it is missing.
fn generic_hint(status: Option<Status>) -> &'static str {
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
        Some(Status::Ok | Status::Truncated | Status::Failed) => "see the bundle",
    }
}
