//! Rendering the Markdown body, section by section, at a chosen level of detail.

use std::fmt::Write as _;

use super::checklist::checklist;
use super::section::Section;
use super::{Input, one_line};
use crate::bundle::{CheckResult, ItemRecord};
use crate::check::Condition;
use crate::checks;
use crate::collect::tail::{json_record_start, json_records_end};
use crate::item::{Format, Status};
use crate::spec::{CHECKLIST_HEADING, Kind, SectionSource};

/// Longest fenced block the body shows for one log or config item, in bytes.
const MAX_BLOCK_BYTES: usize = 16 * 1024;
/// Most lines of one config file the body shows.
const MAX_CONFIG_LINES: usize = 200;
/// Longest description kept when details are trimmed, in characters.
const TRIMMED_DESCRIPTION_CHARS: usize = 1000;

/// How much of the bundle the body shows. [`Detail::full`] is what `issue.md` holds; a URL
/// may need less (see [`super::url`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Detail {
    /// Trailing lines shown per log item; 0 shows none (the checklist still lists them).
    pub log_lines: usize,
    /// Show config contents, the whole description and the collected-items list.
    pub details: bool,
}

impl Detail {
    /// Everything: the spec's `log_lines`, all details.
    pub fn full(input: &Input<'_>) -> Detail {
        Detail {
            log_lines: input.spec.issue.log_lines,
            details: true,
        }
    }
}

/// Render the full body.
pub fn render(input: &Input<'_>) -> String {
    render_with(input, Detail::full(input))
}

/// Render the body at `detail`; anything less than full says where the full text is.
pub fn render_with(input: &Input<'_>, detail: Detail) -> String {
    let mut out = header(input);
    if detail != Detail::full(input) {
        let _ = writeln!(
            out,
            "\n_Trimmed to fit the new-issue link: the full text is in the attached support \
             bundle's `issue.md`._"
        );
    }
    for s in sections(input, detail) {
        let _ = write!(out, "\n## {}\n\n{}", s.heading, s.text);
    }
    out
}

fn header(input: &Input<'_>) -> String {
    let m = input.manifest;
    let mut out = String::new();
    let _ = writeln!(
        out,
        "<!-- Prefilled by {} {} from spec {}. Everything below was redacted before it was written. -->",
        m.tool.name,
        m.tool.version,
        one_line(&m.spec.origin).replace("--", "- -")
    );
    if m.private {
        let contact = security_text(input);
        // A contact that says it already (the built-in specs' do) is not preceded by it.
        let lead = if contact
            .to_lowercase()
            .starts_with("do not file a public issue")
        {
            "Security report."
        } else {
            "Security report: do not file this publicly."
        };
        let _ = writeln!(out, "\n> **{lead}** {contact}");
    }
    out
}

/// The project's security contact, or where to look for one.
pub(crate) fn security_text(input: &Input<'_>) -> String {
    match &input.spec.project.security {
        Some(s) => one_line(s),
        None => format!(
            "The {} spec names no security contact: look for SECURITY.md in the project's \
             repository and report privately.",
            input.spec.project.display
        ),
    }
}

/// The spec's sections in order, then the completeness checklist, flagged checks and (with
/// details) the list of collected items.
pub fn sections(input: &Input<'_>, detail: Detail) -> Vec<Section> {
    let mut out = Vec::new();
    for heading in &input.spec.issue.sections {
        let sources = input.spec.section_sources(heading);
        let mut text = String::new();
        let mut human = false;
        for source in &sources {
            human |= fill(&mut text, input, heading, source, detail);
        }
        if text.is_empty() {
            text.push_str("<!-- Nothing to show here. -->\n");
        }
        out.push(Section {
            heading: heading.clone(),
            text,
            human,
        });
    }
    if let Some(excerpt) = detected(input)
        && let Some(section) = out
            .iter_mut()
            .find(|s| is_actual_behaviour(input, &s.heading))
    {
        section.text.push('\n');
        section.text.push_str(&excerpt);
    }
    out.push(Section {
        heading: CHECKLIST_HEADING.to_string(),
        text: checklist(input, &out),
        human: false,
    });
    if let Some(text) = checks(input) {
        out.push(Section {
            heading: "Checks".into(),
            text,
            human: false,
        });
    }
    if detail.details {
        out.push(Section {
            heading: "Collected items".into(),
            text: collected(input),
            human: false,
        });
    }
    out
}

/// Append one source's text; true when the part is left for the user to write.
fn fill(
    out: &mut String,
    input: &Input<'_>,
    heading: &str,
    source: &SectionSource,
    detail: Detail,
) -> bool {
    match source {
        SectionSource::Environment => environment(out, input),
        SectionSource::Logs => logs(out, input, detail),
        SectionSource::Reproduction => {
            let before = out.len();
            configs(out, input, detail);
            stored_files(out, input);
            if out.len() == before {
                placeholder(out, heading);
                return true;
            }
        }
        SectionSource::Configs => {
            let before = out.len();
            configs(out, input, detail);
            if out.len() == before {
                let _ = writeln!(out, "_No config files were collected._");
            }
        }
        SectionSource::Description => match input.description.filter(|d| !d.trim().is_empty()) {
            Some(text) => {
                let text = text.trim_end();
                if !detail.details && text.chars().count() > TRIMMED_DESCRIPTION_CHARS {
                    let cut: String = text.chars().take(TRIMMED_DESCRIPTION_CHARS).collect();
                    let _ = writeln!(out, "{cut}\n\n_[... see `issue.md` for the rest ...]_");
                } else {
                    let _ = writeln!(out, "{text}");
                }
            }
            None => {
                placeholder(out, heading);
                return true;
            }
        },
        SectionSource::Placeholder => {
            placeholder(out, heading);
            return true;
        }
        SectionSource::Item(id) => item_facts(out, input, id),
        SectionSource::Fact(name) => match input.manifest.facts.get(name) {
            Some(f) => {
                let _ = writeln!(out, "- {name}: `{}` (from `{}`)", code(&f.value), f.item);
            }
            None => {
                let _ = writeln!(
                    out,
                    "- {name}: _not found automatically; please fill this in._"
                );
            }
        },
    }
    false
}

/// Marks text the tool found for the user to keep or replace; the checklist looks for it.
pub(crate) const DETECTED_MARK: &str = "<!-- detected by support-bundle: keep or replace -->";
/// Most lines in the detected excerpt.
const MAX_DETECTED_LINES: usize = 12;
/// Most error lines taken from one failed item.
const MAX_ERROR_LINES_PER_ITEM: usize = 3;

/// The section for actual behaviour: a placeholder whose heading speaks of it ("Actual
/// Behavior", "Expected vs actual behavior").
fn is_actual_behaviour(input: &Input<'_>, heading: &str) -> bool {
    heading.to_lowercase().contains("actual")
        && input
            .spec
            .section_sources(heading)
            .contains(&SectionSource::Placeholder)
}

/// A suggested excerpt for actual behaviour: failing checks' evidence lines, then the first
/// error lines of items that failed or timed out. `None` when nothing was detected.
fn detected(input: &Input<'_>) -> Option<String> {
    let mut lines: Vec<(String, String)> = Vec::new();
    let push = |line: &str, from: String, lines: &mut Vec<(String, String)>| {
        let line = code(line.trim());
        if !line.is_empty() && !lines.iter().any(|(l, _)| *l == line) {
            lines.push((line, from));
        }
    };
    for c in input
        .manifest
        .checks
        .iter()
        .filter(|c| c.outcome.is_flagged())
    {
        let Some(line) = &c.evidence else { continue };
        let entry = check_entry(input, &c.id);
        let from = format!(
            "{}check `{}` {}",
            entry
                .as_deref()
                .map(|e| format!("`{}`, ", cell(e)))
                .unwrap_or_default(),
            c.id,
            c.outcome.as_str()
        );
        // The error lines around the evidence say more than the one line the fact matched
        // (which rule failed to load, not only how many).
        let text = entry
            .as_deref()
            .and_then(|e| {
                input
                    .manifest
                    .items
                    .iter()
                    .find(|r| r.path.as_deref() == Some(e))
            })
            .and_then(|r| input.contents.get(r).filter(|_| !r.binary))
            .map(String::from_utf8_lossy)
            .unwrap_or_default();
        for l in error_lines(&text) {
            push(l, from.clone(), &mut lines);
        }
        push(line, from, &mut lines);
    }
    for rec in input
        .manifest
        .items
        .iter()
        .filter(|r| matches!(r.status, Status::Failed | Status::Timeout))
    {
        let text = input
            .contents
            .get(rec)
            .filter(|_| !rec.binary)
            .map(String::from_utf8_lossy)
            .unwrap_or_default();
        let errors = error_lines(&text);
        let from = format!(
            "{}`{}` {}",
            rec.path
                .as_deref()
                .map(|p| format!("`{}`, ", cell(p)))
                .unwrap_or_default(),
            rec.id,
            rec.status
        );
        if errors.is_empty() {
            if let Some(d) = &rec.detail {
                push(d, from, &mut lines);
            }
        } else {
            for l in errors {
                push(l, from.clone(), &mut lines);
            }
        }
    }
    if lines.is_empty() {
        return None;
    }
    let mut out = format!("{DETECTED_MARK}\nDetected in the bundle:\n\n");
    for (line, from) in lines.iter().take(MAX_DETECTED_LINES) {
        let _ = writeln!(out, "- `{line}` ({from})");
    }
    Some(out)
}

/// The first lines of `text` that speak of an error.
fn error_lines(text: &str) -> Vec<&str> {
    text.lines()
        .filter(|l| {
            let l = l.to_lowercase();
            ["error", "fail", "fatal", "panic", "denied", "refused"]
                .iter()
                .any(|w| l.contains(w))
        })
        .take(MAX_ERROR_LINES_PER_ITEM)
        .collect()
}

/// The bundle entry (else the item id) a check's fact was found in.
fn check_entry(input: &Input<'_>, check_id: &str) -> Option<String> {
    let check = input.spec.checks.iter().find(|c| c.id == check_id)?;
    let fact = match &check.when {
        Condition::Compare { fact, .. } | Condition::Missing(fact) | Condition::Present(fact) => {
            fact
        }
    };
    let item = &input.manifest.facts.get(fact)?.item;
    Some(
        record(input, item)
            .and_then(|r| r.path.clone())
            .unwrap_or_else(|| item.clone()),
    )
}

fn placeholder(out: &mut String, heading: &str) {
    let _ = writeln!(
        out,
        "<!-- {}: please fill this in. -->",
        one_line(heading).replace("--", "- -")
    );
}

/// Escape a table cell: no pipes, no newlines.
fn cell(s: &str) -> String {
    one_line(s).replace('|', "\\|")
}

/// Inline code cannot hold a backtick.
fn code(s: &str) -> String {
    one_line(s).replace('`', "'")
}

fn record<'a>(input: &Input<'a>, id: &str) -> Option<&'a ItemRecord> {
    input.manifest.items.iter().find(|r| r.id == id)
}

/// The template's own list (`[issue] environment`) when the spec gives one, with every fact
/// in a collapsed table under it; else the table itself.
fn environment(out: &mut String, input: &Input<'_>) {
    let list = &input.spec.issue.environment;
    if list.is_empty() {
        environment_table(out, input);
        return;
    }
    let facts = &input.manifest.facts;
    for entry in list {
        let values: Vec<&str> = entry
            .facts
            .iter()
            .filter_map(|f| facts.get(f).map(|r| r.value.as_str()))
            .collect();
        if values.is_empty() {
            let why: Vec<String> = entry
                .facts
                .iter()
                .flat_map(|f| checks::fact_sources(input.spec, f))
                .filter_map(|id| checks::not_answered(id, &input.manifest.items))
                .collect();
            let why = if why.is_empty() {
                let ids: Vec<String> = entry
                    .facts
                    .iter()
                    .flat_map(|f| checks::fact_sources(input.spec, f))
                    .map(|id| format!("`{id}`"))
                    .collect();
                if ids.is_empty() {
                    String::new()
                } else {
                    format!(" (not in the output of {})", ids.join(" or "))
                }
            } else {
                format!(" ({})", cell(&why.join("; ")))
            };
            let _ = writeln!(
                out,
                "- **{}**: _not found automatically{why}; please fill this in._",
                one_line(&entry.label)
            );
        } else {
            let _ = writeln!(
                out,
                "- **{}**: `{}`",
                one_line(&entry.label),
                code(&values.join(" "))
            );
        }
    }
    if !facts.is_empty() {
        let _ = writeln!(out, "\n<details><summary>Every fact collected</summary>\n");
        environment_table(out, input);
        let _ = writeln!(out, "\n</details>");
    }
}

/// Facts in spec item order (system facts first when the system item comes first), each
/// with the item and bundle entry it came from.
fn environment_table(out: &mut String, input: &Input<'_>) {
    let facts = &input.manifest.facts;
    if facts.is_empty() {
        let _ = writeln!(out, "_No facts could be collected._");
        return;
    }
    let mut ordered: Vec<_> = facts.iter().collect();
    let position = |id: &str| input.spec.items.iter().position(|i| i.id == id);
    ordered.sort_by(|a, b| {
        position(&a.1.item)
            .cmp(&position(&b.1.item))
            .then(a.0.cmp(b.0))
    });
    let _ = writeln!(out, "| Fact | Value | From |\n|---|---|---|");
    for (name, fact) in ordered {
        let entry = record(input, &fact.item)
            .and_then(|r| r.path.as_deref())
            .map(|p| format!(" (`{}`)", cell(p)))
            .unwrap_or_default();
        let _ = writeln!(
            out,
            "| {} | {} | `{}`{entry} |",
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
        let status = record(input, id).map_or_else(|| "not collected".to_string(), describe_status);
        let _ = writeln!(
            out,
            "_Not found automatically ({}); please fill this in._",
            cell(&status)
        );
        return;
    }
    for (name, fact) in facts {
        let _ = writeln!(out, "- {name}: `{}`", code(&fact.value));
    }
}

/// `status: detail` of a record, on one line.
pub(crate) fn describe_status(r: &ItemRecord) -> String {
    match &r.detail {
        Some(d) => format!("{}: {}", r.status, one_line(d)),
        None => r.status.to_string(),
    }
}

fn logs(out: &mut String, input: &Input<'_>, detail: Detail) {
    let mut any = false;
    let mut omitted = 0;
    for spec_item in input.spec.items.iter().filter(|i| i.log) {
        for rec in input.manifest.items.iter().filter(|r| r.id == spec_item.id) {
            let Some(data) = input
                .contents
                .get(rec)
                .filter(|d| !d.is_empty() && rec.status.is_present() && !rec.binary)
            else {
                continue;
            };
            if detail.log_lines == 0 {
                omitted += 1;
                continue;
            }
            any = true;
            let text = String::from_utf8_lossy(data);
            let tail = tail(&text, detail.log_lines);
            // JSON logs (pretty-printed ones too) are cut at record boundaries: a tail that
            // starts inside an object reads as garbage.
            let tail = if spec_item.format == Format::Json {
                whole_json_records(&tail)
            } else {
                tail
            };
            let label = spec_item.label.as_deref().unwrap_or(&spec_item.id);
            block(
                out,
                &format!("{} (last {} lines)", cell(label), tail.lines().count()),
                &tail,
            );
        }
    }
    if omitted > 0 {
        let _ = writeln!(
            out,
            "_{omitted} log(s) left out to fit the link; they are in the attached bundle._"
        );
    } else if !any {
        let _ = writeln!(out, "_No logs were collected; paste relevant output here._");
    }
}

fn block(out: &mut String, summary: &str, text: &str) {
    let fence = fence_for(text);
    let _ = writeln!(
        out,
        "<details><summary>{summary}</summary>\n\n{fence}text\n{}\n{fence}\n\n</details>\n",
        text.trim_end()
    );
}

/// The last `n` lines of `text`, capped in bytes at a line boundary.
fn tail(text: &str, n: usize) -> String {
    let lines: Vec<&str> = text.lines().collect();
    let start = lines.len().saturating_sub(n);
    let mut kept: Vec<&str> = Vec::new();
    let mut size = 0;
    for line in lines[start..].iter().rev() {
        size += line.len() + 1;
        if size > MAX_BLOCK_BYTES {
            break;
        }
        kept.push(line);
    }
    kept.reverse();
    kept.join("\n")
}

/// The whole JSON records of a tail: from the first line that starts a record to the end of
/// the last line that ends one. A tail with no whole record is kept as it is.
fn whole_json_records(tail: &str) -> String {
    let bytes = tail.as_bytes();
    let Some(start) = json_record_start(bytes, true) else {
        return tail.to_string();
    };
    let mut rest = tail[start..].to_string();
    rest.push('\n');
    match json_records_end(rest.as_bytes()) {
        Some(end) => rest[..end].trim_end().to_string(),
        None => tail.to_string(),
    }
}

/// The first lines of `text`, capped in lines and bytes, with a marker when cut.
fn head(text: &str) -> String {
    let mut out = String::new();
    for (n, line) in text.lines().enumerate() {
        if n >= MAX_CONFIG_LINES || out.len() + line.len() + 1 > MAX_BLOCK_BYTES {
            out.push_str("[... cut here; the whole file is in the bundle ...]\n");
            break;
        }
        out.push_str(line);
        out.push('\n');
    }
    out
}

/// A code fence longer than any backtick run inside the text, so content cannot close it.
fn fence_for(text: &str) -> String {
    let longest = text.split(|c| c != '`').map(str::len).max().unwrap_or(0);
    "`".repeat(longest.max(2) + 1)
}

/// A config: a structured text file that is not a log (no `tail_lines`, not `log = true`).
fn is_config(input: &Input<'_>, rec: &ItemRecord) -> bool {
    input.spec.item(&rec.id).is_some_and(|i| {
        i.kind == Kind::File
            && !i.binary
            && !i.log
            && i.tail_lines.is_none()
            && i.format != Format::Text
    }) && !rec.binary
}

fn configs(out: &mut String, input: &Input<'_>, detail: Detail) {
    for rec in input.manifest.items.iter().filter(|r| is_config(input, r)) {
        let Some(data) = input.contents.get(rec) else {
            continue;
        };
        let path = rec.path.as_deref().unwrap_or("");
        if detail.details {
            block(
                out,
                &format!("`{}` (redacted)", cell(path)),
                &head(&String::from_utf8_lossy(data)),
            );
        } else {
            let _ = writeln!(
                out,
                "- `{}` (redacted, {} bytes): in the attached bundle",
                cell(path),
                rec.size
            );
        }
    }
}

/// Every other stored file (binary ones included), by size and sha256.
fn stored_files(out: &mut String, input: &Input<'_>) {
    let files: Vec<_> = input
        .manifest
        .items
        .iter()
        .filter(|r| r.kind == Kind::File.as_str() && r.path.is_some())
        .filter(|r| !is_config(input, r))
        .filter(|r| input.spec.item(&r.id).is_none_or(|i| !i.log))
        .collect();
    if files.is_empty() {
        return;
    }
    let _ = writeln!(out, "Attached in the support bundle:\n");
    for f in files {
        let _ = writeln!(
            out,
            "- `{}` ({} bytes, sha256 `{}`){}",
            cell(f.path.as_deref().unwrap_or("")),
            f.size,
            f.sha256.as_deref().unwrap_or(""),
            if f.binary {
                ", binary, stored as-is"
            } else {
                ""
            }
        );
    }
}

fn checks(input: &Input<'_>) -> Option<String> {
    // Undecided checks are listed with their reason: left out, they would read as passed.
    let shown: Vec<_> = input
        .manifest
        .checks
        .iter()
        .filter(|c| c.outcome.is_flagged() || c.outcome == CheckResult::Unknown)
        .collect();
    if shown.is_empty() {
        return None;
    }
    let mut out = String::new();
    for c in shown {
        let _ = write!(
            out,
            "- **{}** `{}`: {}",
            c.outcome.as_str().to_uppercase(),
            c.id,
            one_line(&c.message)
        );
        match (&c.evidence, &c.reason) {
            (Some(line), _) if c.outcome.is_flagged() => {
                let from = check_entry(input, &c.id)
                    .map(|e| format!(" (in `{}`)", cell(&e)))
                    .unwrap_or_default();
                let _ = writeln!(out, "\n  - seen: `{}`{from}", code(line));
            }
            (_, Some(reason)) if c.outcome == CheckResult::Unknown => {
                let _ = writeln!(out, " (not decided: {})", one_line(reason));
            }
            _ => out.push('\n'),
        }
    }
    Some(out)
}

fn collected(input: &Input<'_>) -> String {
    let mut out = String::from("<details><summary>Every item the spec names</summary>\n\n");
    for spec_item in &input.spec.items {
        let records: Vec<_> = input
            .manifest
            .items
            .iter()
            .filter(|r| r.id == spec_item.id)
            .collect();
        let label = spec_item.label.as_deref().unwrap_or(&spec_item.id);
        let status = if records.is_empty() {
            "not collected".to_string()
        } else {
            records
                .iter()
                .map(|r| {
                    // One of several files: say which.
                    if records.len() > 1 {
                        format!("`{}` {}", code(&r.source), describe_status(r))
                    } else {
                        describe_status(r)
                    }
                })
                .collect::<Vec<_>>()
                .join("; ")
        };
        let _ = writeln!(
            out,
            "- `{}` {}: {}",
            spec_item.id,
            cell(label),
            cell(&status)
        );
    }
    out.push_str("\n</details>\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fence_outgrows_backticks_in_content() {
        assert_eq!(fence_for("plain"), "```");
        assert_eq!(fence_for("a ```` b"), "`````");
    }

    #[test]
    fn tail_keeps_last_lines() {
        let text: String = (1..=10).map(|n| format!("line {n}\n")).collect();
        assert_eq!(tail(&text, 3), "line 8\nline 9\nline 10");
        assert_eq!(tail(&text, 100).lines().count(), 10);
    }

    #[test]
    fn tail_is_capped_in_bytes() {
        let line = "x".repeat(1000);
        let text = format!("{line}\n").repeat(100);
        let t = tail(&text, 100);
        assert!(t.len() <= MAX_BLOCK_BYTES);
        assert!(t.lines().all(|l| l == line));
    }

    #[test]
    fn json_tails_never_start_or_end_inside_a_record() {
        let pretty = "{\n  \"id\": 1,\n  \"events\": [\n    {\"a\": 1}\n  ]\n}\n{\n  \"id\": 2,\n  \"events\": [\n    {\"a\": 2}\n  ]\n}\n";
        for n in 1..=12 {
            let t = whole_json_records(&tail(pretty, n));
            if t.starts_with('{') {
                assert!(t.ends_with('}'), "{n}: {t}");
                for record in t.split("\n}\n") {
                    let record = if record.ends_with('}') {
                        record.to_string()
                    } else {
                        format!("{record}\n}}")
                    };
                    serde_json::from_str::<serde_json::Value>(&record)
                        .unwrap_or_else(|e| panic!("{n}: {e}: {record}"));
                }
            }
        }
        assert_eq!(
            whole_json_records(&tail(pretty, 8)),
            "{\n  \"id\": 2,\n  \"events\": [\n    {\"a\": 2}\n  ]\n}"
        );
        let lines = "{\"a\":1}\n{\"a\":2}\n";
        assert_eq!(whole_json_records(&tail(lines, 1)), "{\"a\":2}");
        // A tail with no record start is kept, not emptied.
        assert_eq!(whole_json_records("  ],\n  \"x\": 1"), "  ],\n  \"x\": 1");
    }

    #[test]
    fn head_marks_a_cut() {
        let text: String = (0..500).map(|n| format!("k{n} = 1\n")).collect();
        let h = head(&text);
        assert_eq!(h.lines().count(), MAX_CONFIG_LINES + 1);
        assert!(h.ends_with("bundle ...]\n"));
    }
}
