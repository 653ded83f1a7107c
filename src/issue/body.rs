//! Rendering the Markdown body.

use std::fmt::Write as _;

use crate::bundle::Manifest;
use crate::run::Redacted;
use crate::spec::Spec;

/// What the body is rendered from.
#[derive(Debug, Clone, Copy)]
pub struct Input<'a> {
    /// The spec (sections, labels, log lines).
    pub spec: &'a Spec,
    /// The manifest (facts, items, checks), redacted.
    pub manifest: &'a Manifest,
    /// The redacted items.
    pub items: &'a [Redacted],
    /// The user's title, redacted.
    pub title: Option<&'a str>,
    /// The user's description, redacted.
    pub description: Option<&'a str>,
}

/// Longest fenced block the body shows for one log item, in bytes.
const MAX_LOG_BYTES: usize = 16 * 1024;

/// Render the body.
pub fn render(input: &Input<'_>) -> String {
    let mut out = String::new();
    let m = input.manifest;
    let _ = writeln!(
        out,
        "<!-- Prefilled by {} {} from spec {}. Everything below was redacted before it was written. -->",
        m.tool.name, m.tool.version, m.spec.origin
    );
    if let Some(title) = input.title {
        let _ = writeln!(
            out,
            "<!-- Title: {}{} -->",
            input.spec.issue.title,
            one_line(title)
        );
    }
    let mut described = false;
    for heading in &input.spec.issue.sections {
        let _ = writeln!(out, "\n## {heading}\n");
        let lower = heading.to_lowercase();
        if lower.contains("environment") {
            environment_table(&mut out, input);
        } else if lower.contains("log") {
            logs(&mut out, input);
        } else if lower.contains("reproduc")
            && !lower.contains("steps")
            && !lower.contains("to reproduce")
        {
            reproduction(&mut out, input);
        } else if let Some(item) = input.spec.items.iter().find(|i| {
            i.label
                .as_deref()
                .is_some_and(|l| l.eq_ignore_ascii_case(heading))
        }) {
            item_facts(&mut out, input, &item.id);
        } else if let (false, Some(text)) = (described, input.description) {
            described = true;
            let _ = writeln!(out, "{}", text.trim_end());
        } else {
            let _ = writeln!(out, "<!-- {heading}: please fill this in. -->");
        }
    }
    checks(&mut out, input);
    collected(&mut out, input);
    out
}

fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Escape a table cell: no pipes, no newlines.
fn cell(s: &str) -> String {
    one_line(s).replace('|', "\\|")
}

fn environment_table(out: &mut String, input: &Input<'_>) {
    let facts = &input.manifest.facts;
    if facts.is_empty() {
        let _ = writeln!(out, "_No facts could be collected._");
        return;
    }
    let _ = writeln!(out, "| Fact | Value | From |\n|---|---|---|");
    for (name, fact) in facts {
        let _ = writeln!(
            out,
            "| {} | {} | `{}` |",
            cell(name),
            cell(&fact.value),
            cell(&fact.item)
        );
    }
}

fn item_facts(out: &mut String, input: &Input<'_>, id: &str) {
    let facts: Vec<_> = input
        .manifest
        .facts
        .iter()
        .filter(|(_, f)| f.item == id)
        .collect();
    if facts.is_empty() {
        let status = input
            .manifest
            .items
            .iter()
            .find(|i| i.id == id)
            .map_or_else(|| "not collected".to_string(), describe_status);
        let _ = writeln!(
            out,
            "_Not found automatically ({status}); please fill this in._"
        );
        return;
    }
    for (name, fact) in facts {
        let _ = writeln!(out, "- {name}: `{}`", fact.value.replace('`', "'"));
    }
}

fn describe_status(r: &crate::bundle::ItemRecord) -> String {
    match &r.detail {
        Some(d) => format!("{}: {}", r.status, one_line(d)),
        None => r.status.to_string(),
    }
}

fn logs(out: &mut String, input: &Input<'_>) {
    let lines = input.spec.issue.log_lines;
    let mut any = false;
    for spec_item in input.spec.items.iter().filter(|i| i.log) {
        for item in input.items.iter().filter(|i| i.record.id == spec_item.id) {
            let Some(data) = item
                .data()
                .filter(|d| !d.is_empty() && item.record.status.is_present())
            else {
                continue;
            };
            any = true;
            let text = String::from_utf8_lossy(data);
            let tail = tail(&text, lines);
            let label = spec_item.label.as_deref().unwrap_or(&spec_item.id);
            let fence = fence_for(&tail);
            let _ = writeln!(
                out,
                "<details><summary>{} (last {} lines)</summary>\n\n{fence}text\n{}\n{fence}\n\n</details>\n",
                cell(label),
                lines,
                tail.trim_end()
            );
        }
    }
    if !any {
        let _ = writeln!(out, "_No logs were collected; paste relevant output here._");
    }
}

/// The last `n` lines of `text`, capped in bytes at a line boundary.
fn tail(text: &str, n: usize) -> String {
    let lines: Vec<&str> = text.lines().collect();
    let start = lines.len().saturating_sub(n);
    let mut kept: Vec<&str> = Vec::new();
    let mut size = 0;
    for line in lines[start..].iter().rev() {
        size += line.len() + 1;
        if size > MAX_LOG_BYTES {
            break;
        }
        kept.push(line);
    }
    kept.reverse();
    kept.join("\n")
}

/// A code fence longer than any backtick run inside the text, so content cannot close it.
fn fence_for(text: &str) -> String {
    let longest = text.split(|c| c != '`').map(str::len).max().unwrap_or(0);
    "`".repeat(longest.max(2) + 1)
}

fn reproduction(out: &mut String, input: &Input<'_>) {
    let files: Vec<_> = input
        .manifest
        .items
        .iter()
        .filter(|i| i.kind == "file" && i.path.is_some())
        .collect();
    if files.is_empty() {
        let _ = writeln!(out, "<!-- Attach a minimal reproduction. -->");
        return;
    }
    let _ = writeln!(out, "Attached in the support bundle:\n");
    for f in files {
        let sha = f.sha256.as_deref().unwrap_or("");
        let _ = writeln!(
            out,
            "- `{}` ({} bytes, sha256 `{}`){}",
            f.path.as_deref().unwrap_or(""),
            f.size,
            &sha[..sha.len().min(16)],
            if f.binary { ", binary" } else { "" }
        );
    }
}

fn checks(out: &mut String, input: &Input<'_>) {
    let flagged: Vec<_> = input
        .manifest
        .checks
        .iter()
        .filter(|c| c.outcome == "fail" || c.outcome == "warn")
        .collect();
    if flagged.is_empty() {
        return;
    }
    let _ = writeln!(out, "\n## Checks\n");
    for c in flagged {
        let _ = writeln!(
            out,
            "- **{}** `{}`: {}",
            c.outcome.to_uppercase(),
            c.id,
            c.message
        );
    }
}

fn collected(out: &mut String, input: &Input<'_>) {
    let _ = writeln!(out, "\n<details><summary>Collected items</summary>\n");
    for spec_item in &input.spec.items {
        let records: Vec<_> = input
            .manifest
            .items
            .iter()
            .filter(|r| r.id == spec_item.id)
            .collect();
        let present = records.iter().any(|r| r.status.is_present());
        let mark = if present { "x" } else { " " };
        let label = spec_item.label.as_deref().unwrap_or(&spec_item.id);
        let status = records
            .iter()
            .map(|r| describe_status(r))
            .collect::<Vec<_>>()
            .join("; ");
        let required = if spec_item.required {
            " (required)"
        } else {
            ""
        };
        let _ = writeln!(
            out,
            "- [{mark}] {}{required}: {}",
            cell(label),
            cell(&status)
        );
        if !present
            && spec_item.required
            && let Some(hint) = &spec_item.hint
        {
            let _ = writeln!(out, "  - how to supply it: {}", cell(hint));
        }
    }
    let _ = writeln!(out, "\n</details>");
}
