//! The fleet report: `fleet.json` for scripts and `fleet.md` for people (and the same as one
//! HTML page with `fleet --html`: [`super::html`]). Hosts × key facts, the facts that differ
//! grouped by value ("kernel 5.4 on 3 hosts, 6.1 on 9"), flagged checks and missing required
//! items per host, and one row per failed host.
//!
//! Facts, check messages and item ids come from the hosts' bundles (already redacted there);
//! in Markdown every such string is escaped so none of it can become markup, a link or HTML.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io;
use std::path::Path;

use serde_json::{Value, json};

use super::host::{HostReport, Status};

/// `format_version` of `fleet.json`; bumped on incompatible changes.
pub const FORMAT_VERSION: u32 = 1;

/// At most this many differing facts become columns of the hosts table; the rest are listed
/// under "Facts that differ" only.
pub(super) const MAX_COLUMNS: usize = 6;

/// The whole run.
#[derive(Debug, Clone)]
pub struct Fleet {
    /// The spec each host ran.
    pub spec: String,
    /// Wall time of the run, in seconds.
    pub seconds: f64,
    /// Hosts collected at once at most.
    pub parallel: usize,
    /// Every host, in inventory order.
    pub hosts: Vec<HostReport>,
}

/// Hosts sharing one value of a fact.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValueGroup {
    /// The value; `None` where the host's bundle has no such fact.
    pub value: Option<String>,
    /// The hosts, in inventory order.
    pub hosts: Vec<String>,
}

impl Fleet {
    /// Hosts whose bundle is here and verified.
    pub fn ok(&self) -> impl Iterator<Item = &HostReport> {
        self.hosts.iter().filter(|h| h.status == Status::Ok)
    }

    /// Whether every host succeeded.
    pub fn all_ok(&self) -> bool {
        self.hosts.iter().all(|h| h.status == Status::Ok)
    }

    /// Every fact of the collected bundles, its values grouped: most common value first.
    /// A fact is the same everywhere when it has one group.
    pub fn fact_groups(&self) -> BTreeMap<String, Vec<ValueGroup>> {
        let names: std::collections::BTreeSet<&String> =
            self.ok().flat_map(|h| h.facts.keys()).collect();
        names
            .into_iter()
            .map(|name| {
                let mut groups: Vec<ValueGroup> = Vec::new();
                for h in self.ok() {
                    let value = h.facts.get(name).cloned();
                    match groups.iter_mut().find(|g| g.value == value) {
                        Some(g) => g.hosts.push(h.name.clone()),
                        None => groups.push(ValueGroup {
                            value,
                            hosts: vec![h.name.clone()],
                        }),
                    }
                }
                groups.sort_by(|a, b| {
                    b.hosts
                        .len()
                        .cmp(&a.hosts.len())
                        .then(a.value.cmp(&b.value))
                });
                (name.clone(), groups)
            })
            .collect()
    }

    /// `fleet.json`.
    pub fn to_json(&self) -> serde_json::Result<String> {
        let ok = self.ok().count();
        let differing: serde_json::Map<String, Value> = self
            .fact_groups()
            .into_iter()
            .filter(|(_, g)| g.len() > 1)
            .map(|(name, groups)| {
                let groups: Vec<Value> = groups
                    .iter()
                    .map(|g| json!({"value": g.value, "hosts": g.hosts}))
                    .collect();
                (name, Value::Array(groups))
            })
            .collect();
        let doc = json!({
            "format_version": FORMAT_VERSION,
            "spec": self.spec,
            "seconds": self.seconds,
            "parallel": self.parallel,
            "hosts": self.hosts.iter().map(HostReport::to_value).collect::<Vec<_>>(),
            "counts": {
                "hosts": self.hosts.len(),
                "ok": ok,
                "failed": self.hosts.len() - ok,
            },
            "differing_facts": differing,
        });
        let text = serde_json::to_string_pretty(&doc)?;
        let mut text = crate::sanitize::json_text(&text).into_owned();
        text.push('\n');
        Ok(text)
    }

    /// `fleet.md`.
    pub fn to_markdown(&self) -> String {
        let mut out = String::new();
        let ok = self.ok().count();
        let _ = writeln!(out, "# Fleet report\n");
        let _ = writeln!(
            out,
            "Spec {}; {} host(s): {ok} collected, {} failed; {:.1} s with up to {} at once.\n",
            code(&self.spec),
            self.hosts.len(),
            self.hosts.len() - ok,
            self.seconds,
            self.parallel
        );
        let groups = self.fact_groups();
        let differing: Vec<(&String, &Vec<ValueGroup>)> =
            groups.iter().filter(|(_, g)| g.len() > 1).collect();
        let columns: Vec<&String> = differing
            .iter()
            .take(MAX_COLUMNS)
            .map(|(n, _)| *n)
            .collect();

        let _ = writeln!(out, "## Hosts\n");
        let mut header = "| host | status |".to_string();
        let mut rule = "|---|---|".to_string();
        for c in &columns {
            let _ = write!(header, " {} |", escape(c));
            rule.push_str("---|");
        }
        header.push_str(" flagged checks | missing required |");
        rule.push_str("---|---|");
        let _ = writeln!(out, "{header}\n{rule}");
        for h in &self.hosts {
            let mut row = format!("| {} | {} |", escape(&h.name), h.status.as_str());
            for c in &columns {
                let v = h.facts.get(*c).map(|v| escape(v)).unwrap_or_default();
                let _ = write!(row, " {v} |");
            }
            let flagged = if h.status == Status::Ok {
                h.checks.len().to_string()
            } else {
                String::new()
            };
            let missing = if h.status == Status::Ok {
                h.missing.len().to_string()
            } else {
                String::new()
            };
            let _ = writeln!(out, "{row} {flagged} | {missing} |");
        }

        let _ = writeln!(out, "\n## Facts that differ\n");
        if differing.is_empty() {
            let _ = writeln!(out, "None: every collected host reports the same facts.");
        }
        for (name, groups) in &differing {
            let parts: Vec<String> = groups
                .iter()
                .map(|g| {
                    let value = match &g.value {
                        Some(v) => code(v),
                        None => "not found".to_string(),
                    };
                    let hosts: Vec<String> = g.hosts.iter().map(|h| escape(h)).collect();
                    format!(
                        "{value} on {} host{} ({})",
                        g.hosts.len(),
                        if g.hosts.len() == 1 { "" } else { "s" },
                        hosts.join(", ")
                    )
                })
                .collect();
            let _ = writeln!(out, "- **{}**: {}", escape(name), parts.join("; "));
        }

        let same: Vec<(&String, &Vec<ValueGroup>)> =
            groups.iter().filter(|(_, g)| g.len() == 1).collect();
        if !same.is_empty() {
            let _ = writeln!(out, "\n## Facts the same on every collected host\n");
            for (name, groups) in same {
                let value = groups[0]
                    .value
                    .as_deref()
                    .map(code)
                    .unwrap_or_else(|| "not found".into());
                let _ = writeln!(out, "- **{}**: {value}", escape(name));
            }
        }

        let _ = writeln!(out, "\n## Failing and warning checks\n");
        let mut any = false;
        for h in self.ok().filter(|h| !h.checks.is_empty()) {
            any = true;
            for c in &h.checks {
                let _ = writeln!(
                    out,
                    "- {}: {} {}: {}",
                    escape(&h.name),
                    c.outcome.as_str(),
                    code(&c.id),
                    escape(&c.message)
                );
            }
        }
        if !any {
            let _ = writeln!(out, "None.");
        }

        let _ = writeln!(out, "\n## Missing required items\n");
        let mut any = false;
        for h in self.ok().filter(|h| !h.missing.is_empty()) {
            any = true;
            let ids: Vec<String> = h.missing.iter().map(|m| code(m)).collect();
            let _ = writeln!(out, "- {}: {}", escape(&h.name), ids.join(", "));
        }
        if !any {
            let _ = writeln!(out, "None.");
        }

        let failed: Vec<&HostReport> = self
            .hosts
            .iter()
            .filter(|h| h.status != Status::Ok)
            .collect();
        if !failed.is_empty() {
            let _ = writeln!(out, "\n## Hosts that failed\n");
            for h in failed {
                let _ = writeln!(
                    out,
                    "- {}: {}: {}",
                    escape(&h.name),
                    h.status.as_str(),
                    escape(h.message.as_deref().unwrap_or_default())
                );
            }
        }
        out
    }

    /// Write `fleet.json` and `fleet.md` into `dir`, each atomically and private.
    pub fn write(&self, dir: &Path) -> io::Result<()> {
        let json = self.to_json().map_err(io::Error::other)?;
        crate::atomic::write(
            &dir.join("fleet.json"),
            json.as_bytes(),
            crate::atomic::PRIVATE,
        )?;
        crate::atomic::write(
            &dir.join("fleet.md"),
            self.to_markdown().as_bytes(),
            crate::atomic::PRIVATE,
        )
    }
}

/// `text` as inline Markdown that renders as the text itself: on one line, every ASCII
/// punctuation character that could start markup backslash-escaped, `<`, `>` and `&` as
/// entities (so no HTML), control characters dropped, and what GitHub links or mentions
/// after parsing (`http://`, `www.`, `a@b.example`, `@org/team`) broken with a zero-width
/// joiner ([`crate::sanitize::link_break`]).
pub fn escape(text: &str) -> String {
    use crate::sanitize::{LinkBreak, ZWJ, is_unsafe, link_break};
    let chars: Vec<char> = crate::sanitize::one_line(text)
        .chars()
        .filter(|c| !is_unsafe(*c))
        .collect();
    let mut out = String::with_capacity(chars.len() + 8);
    for (i, &c) in chars.iter().enumerate() {
        let joiner = link_break(&chars, i);
        if joiner == Some(LinkBreak::Before) {
            out.push(ZWJ);
        }
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '\\' | '`' | '*' | '_' | '{' | '}' | '[' | ']' | '(' | ')' | '#' | '+' | '!' | '|'
            | '~' | '"' | '\'' | '$' | '%' | '^' | '=' | ':' => {
                out.push('\\');
                out.push(c);
            }
            c => out.push(c),
        }
        if joiner == Some(LinkBreak::After) {
            out.push(ZWJ);
        }
    }
    out
}

/// `text` as an inline code span: escaped like [`escape`] would not keep it readable, so the
/// value goes in backticks, with a fence longer than any backtick run inside, and `|` (which
/// ends a table cell even in code) written as an entity.
fn code(text: &str) -> String {
    let line: String = crate::sanitize::one_line(text)
        .chars()
        .filter(|c| !crate::sanitize::is_unsafe(*c))
        .collect();
    if line.contains('|') || line.contains('<') {
        // A code span shows entities literally; escaped text shows the characters.
        return escape(&line);
    }
    let longest = line.split(|c| c != '`').map(str::len).max().unwrap_or(0);
    let fence = "`".repeat(longest + 1);
    let pad = if line.starts_with('`') || line.ends_with('`') {
        " "
    } else {
        ""
    };
    format!("{fence}{pad}{line}{pad}{fence}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bundle::CheckResult;
    use crate::fleet::host::FlaggedCheck;

    fn host(name: &str, kernel: Option<&str>) -> HostReport {
        let mut h = HostReport::not_run(name.into(), Status::Ok, "");
        h.message = None;
        if let Some(k) = kernel {
            h.facts.insert("kernel".into(), k.into());
        }
        h.facts.insert("os".into(), "linux".into());
        h
    }

    fn fleet() -> Fleet {
        let mut a = host("a", Some("5.4"));
        a.checks.push(FlaggedCheck {
            id: "old_kernel".into(),
            outcome: CheckResult::Warn,
            message: "kernel <5.10 [see](javascript:x) *now*".into(),
        });
        a.missing.push("journal".into());
        let failed = HostReport::not_run(
            "d".into(),
            Status::Unreachable,
            "ssh: connect to host ip-123abc port 1: Connection refused",
        );
        Fleet {
            spec: "built-in:kestrel".into(),
            seconds: 1.25,
            parallel: 8,
            hosts: vec![
                a,
                host("b", Some("6.1")),
                host("c", Some("5.4")),
                host("e", None),
                failed,
            ],
        }
    }

    #[test]
    fn facts_that_differ_are_grouped_by_value() {
        let groups = fleet().fact_groups();
        assert_eq!(
            groups["kernel"],
            vec![
                ValueGroup {
                    value: Some("5.4".into()),
                    hosts: vec!["a".into(), "c".into()]
                },
                ValueGroup {
                    value: None,
                    hosts: vec!["e".into()]
                },
                ValueGroup {
                    value: Some("6.1".into()),
                    hosts: vec!["b".into()]
                },
            ]
        );
        assert_eq!(groups["os"].len(), 1);
    }

    #[test]
    fn the_markdown_report_groups_escapes_and_lists_failures() {
        let md = fleet().to_markdown();
        assert!(md.contains("- **kernel**: `5.4` on 2 hosts (a, c); not found on 1 host (e); `6.1` on 1 host (b)"), "{md}");
        assert!(md.contains("- **os**: `linux`"), "{md}");
        assert!(
            md.contains("| host | status | kernel | flagged checks | missing required |"),
            "{md}"
        );
        assert!(
            md.contains(
                "- a: warn `old_kernel`: kernel &lt;5.10 \\[see\\]\\(javascript\\:x\\) \\*now\\*"
            ),
            "{md}"
        );
        assert!(md.contains("- a: `journal`"), "{md}");
        assert!(md.contains("- d: unreachable: ssh\\: connect"), "{md}");
        assert!(!md.contains("](javascript"), "{md}");
    }

    #[test]
    fn the_json_report_is_versioned_and_counts() {
        let json: serde_json::Value = serde_json::from_str(&fleet().to_json().unwrap()).unwrap();
        assert_eq!(json["format_version"], 1);
        assert_eq!(json["counts"]["ok"], 4);
        assert_eq!(json["counts"]["failed"], 1);
        assert_eq!(json["hosts"][4]["status"], "unreachable");
        assert!(json["differing_facts"].get("kernel").is_some());
        assert!(json["differing_facts"].get("os").is_none());
    }

    #[test]
    fn hostile_fact_values_neither_link_nor_mention() {
        let mut fleet = fleet();
        let hostile = "see www.evil.example or HTTPS://evil.example, mail a@evil.example, \
                       ping @org/team";
        fleet.hosts[1].facts.insert("kernel".into(), hostile.into());
        let md = fleet.to_markdown();
        let row = md
            .lines()
            .find(|l| l.starts_with("| b |"))
            .unwrap_or_else(|| panic!("no row for b:\n{md}"));
        assert!(row.contains("evil"), "{row}");
        for linked in ["www.", "\\://", "a@e", "@o"] {
            assert!(!row.contains(linked), "`{linked}` in {row}");
        }
        assert!(row.contains("www\u{200d}.evil"), "{row}");
        assert!(row.contains("@\u{200d}org/team"), "{row}");
        assert!(row.contains("HTTPS\\:\u{200d}//"), "{row}");
    }

    #[test]
    fn code_spans_survive_backticks_and_pipes() {
        assert_eq!(code("a`b"), "``a`b``");
        assert_eq!(code("`x"), "`` `x ``");
        assert_eq!(code("a|b"), "a\\|b");
        assert_eq!(escape("line\nbreak <b>"), "line break &lt;b&gt;");
    }
}
