//! Facts: named values pulled from items' redacted content (`kestrel_version`, `kernel`).
//!
//! The first item in spec order that yields a fact wins, so a spec can list fallbacks
//! (`caddy build-info` before `caddy list-modules`). `system` items contribute every key of
//! their JSON object. A fact's value is its regex's first group (or whole match), or the
//! spec's `value` template filled from the groups; values are trimmed and capped at 200
//! characters.

use std::collections::BTreeMap;

use crate::bundle::manifest::FactRecord;
use crate::spec::{FactMatches, FactSpec, Kind, Spec};

const MAX_FACT_LEN: usize = 200;

/// Redacted content of one item, as the fact extractor sees it.
#[derive(Debug, Clone, Copy)]
pub struct Source<'a> {
    /// The item's id.
    pub id: &'a str,
    /// The redacted content.
    pub data: &'a [u8],
}

/// Extract facts from redacted content, in spec order, every source taken as collected.
pub fn extract(spec: &Spec, sources: &[Source<'_>]) -> BTreeMap<String, FactRecord> {
    extract_with(spec, sources, &|_| true)
}

/// [`extract`], where `collected(id)` says whether an item was collected (ok or truncated)
/// rather than missing or failed: a `count` fact is taken only from a collected item, whose
/// content is what the spec's regex describes (a missing item's is its error message, and
/// no match there is not zero).
pub fn extract_with(
    spec: &Spec,
    sources: &[Source<'_>],
    collected: &dyn Fn(&str) -> bool,
) -> BTreeMap<String, FactRecord> {
    let mut facts: BTreeMap<String, FactRecord> = BTreeMap::new();
    let mut add = |name: &str, value: &str, item: &str, line: Option<&str>| {
        let value = clean(value);
        if !value.is_empty() && !facts.contains_key(name) {
            facts.insert(
                name.to_string(),
                FactRecord {
                    value,
                    item: item.to_string(),
                    line: line.map(clean).filter(|l| !l.is_empty()),
                },
            );
        }
    };
    for item in &spec.items {
        for source in sources.iter().filter(|s| s.id == item.id) {
            if item.kind == Kind::System {
                let map: BTreeMap<String, String> =
                    serde_json::from_slice(source.data).unwrap_or_default();
                for (name, value) in &map {
                    add(name, value, &item.id, None);
                }
            }
            let text = String::from_utf8_lossy(source.data);
            for fact in &item.facts {
                if fact.matches == FactMatches::Count && !collected(source.id) {
                    continue;
                }
                if let Some((value, line)) = fact_value(fact, &text) {
                    add(&fact.name, &value, &item.id, line);
                }
            }
        }
    }
    facts
}

/// `fact`'s value in `text`, if its regex matches (a count is always a value), with the
/// line it was found on (the first match's), which a check quotes as its evidence.
fn fact_value<'t>(fact: &FactSpec, text: &'t str) -> Option<(String, Option<&'t str>)> {
    let one = |caps: &regex::Captures<'_>| {
        let value = match &fact.value {
            Some(template) => {
                let mut value = String::new();
                caps.expand(template, &mut value);
                value
            }
            None => caps
                .get(1)
                .or_else(|| caps.get(0))
                .map_or_else(String::new, |m| m.as_str().to_string()),
        };
        let value = value.trim();
        fact.map
            .get(value)
            .map_or(value, String::as_str)
            .to_string()
    };
    let line = |caps: &regex::Captures<'_>| caps.get(0).map(|m| line_at(text, m.start()));
    match fact.matches {
        FactMatches::First => fact.regex.captures(text).map(|c| (one(&c), line(&c))),
        FactMatches::All => {
            let all: Vec<regex::Captures<'_>> = fact.regex.captures_iter(text).collect();
            let first = all.first().and_then(line);
            let values: Vec<String> = all.iter().map(one).collect();
            (!values.is_empty()).then(|| (values.join(", "), first))
        }
        FactMatches::Count => Some((fact.regex.find_iter(text).count().to_string(), None)),
    }
}

/// The whole line of `text` that `at` falls on: what a check quotes as its evidence.
fn line_at(text: &str, at: usize) -> &str {
    let start = text[..at].rfind('\n').map_or(0, |n| n + 1);
    let end = text[at..].find('\n').map_or(text.len(), |n| at + n);
    &text[start..end]
}

fn clean(value: &str) -> String {
    let value = value.trim();
    match value.char_indices().nth(MAX_FACT_LEN) {
        Some((cut, _)) => format!("{}…", &value[..cut]),
        None => value.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SPEC: &str = r#"
schema = 1
[project]
name = "t"
[[collect]]
id = "sys"
kind = "system"
[[collect]]
id = "build-info"
kind = "command"
argv = ["caddy", "build-info"]
fact = { name = "gojinn_version", regex = '(?m)^dep\s+\S+/gojinn\s+(\S+)' }
[[collect]]
id = "modules"
kind = "command"
argv = ["caddy", "list-modules"]
facts = [
  { name = "gojinn_version", regex = '(?m)^http\.handlers\.gojinn\s+(\S+)' },
  { name = "has_module", regex = 'http\.handlers\.gojinn' },
]
"#;

    #[test]
    fn first_item_in_spec_order_wins_and_system_keys_become_facts() {
        let spec = crate::spec::parse("t.toml", SPEC).unwrap();
        let sources = [
            Source {
                id: "modules",
                data: b"http.handlers.gojinn v9.9.9\n",
            },
            Source {
                id: "build-info",
                data: b"go\tgo1.25.1\ndep\tgithub.com/gojinn-io/gojinn\tv1.0.0-rc7\th1:x=\n",
            },
            Source {
                id: "sys",
                data: br#"{"kernel": "6.1.0-18-amd64", "os": "Debian"}"#,
            },
        ];
        let facts = extract(&spec, &sources);
        assert_eq!(facts["gojinn_version"].value, "v1.0.0-rc7");
        assert_eq!(facts["gojinn_version"].item, "build-info");
        assert_eq!(facts["has_module"].value, "http.handlers.gojinn");
        assert_eq!(facts["kernel"].item, "sys");
        assert_eq!(facts["kernel"].line, None);
        assert_eq!(
            facts["gojinn_version"].line.as_deref(),
            Some("dep\tgithub.com/gojinn-io/gojinn\tv1.0.0-rc7\th1:x=")
        );
    }

    #[test]
    fn mapped_values_are_shown_as_the_spec_says() {
        let text = SPEC.replace(
            r#"fact = { name = "gojinn_version", regex = '(?m)^dep\s+\S+/gojinn\s+(\S+)' }"#,
            r#"fact = { name = "gojinn_version", regex = '(?m)^(?:dep|mod)\s+\S+/gojinn\s+(\S+)', map = { "(devel)" = "unknown (devel build)" } }"#,
        );
        assert_ne!(text, SPEC, "the replacement must apply");
        let spec = crate::spec::parse("t.toml", &text).unwrap();
        let facts = extract(
            &spec,
            &[Source {
                id: "build-info",
                data: b"mod\tgithub.com/gojinn-io/gojinn\t(devel)\t\n",
            }],
        );
        assert_eq!(facts["gojinn_version"].value, "unknown (devel build)");
    }

    #[test]
    fn absent_and_empty_values_are_not_facts() {
        let spec = crate::spec::parse("t.toml", SPEC).unwrap();
        let facts = extract(
            &spec,
            &[Source {
                id: "modules",
                data: b"http.handlers.file_server\n",
            }],
        );
        assert!(facts.is_empty(), "{facts:?}");
    }

    /// A `value` template builds the value from several groups: a replaced Go module is
    /// shown as its replacement, and the same fact without one falls back to the next spec.
    #[test]
    fn value_templates_fill_from_groups() {
        let text = SPEC.replace(
            r#"fact = { name = "gojinn_version", regex = '(?m)^dep\s+\S+/gojinn\s+(\S+)' }"#,
            r#"facts = [
  { name = "gojinn_version", regex = '(?m)^dep\t\S+/gojinn\t(\S+).*\n=>\t(\S+)(?:\t(\S+))?', value = "$1 => $2 $3" },
  { name = "gojinn_version", regex = '(?m)^dep\t\S+/gojinn\t(\S+)' },
]"#,
        );
        assert_ne!(text, SPEC, "the replacement must apply");
        let spec = crate::spec::parse("t.toml", &text).unwrap();
        let value = |data: &[u8]| {
            extract(
                &spec,
                &[Source {
                    id: "build-info",
                    data,
                }],
            )["gojinn_version"]
                .value
                .clone()
        };
        assert_eq!(
            value(b"dep\tgithub.com/gojinn-io/gojinn\tv1.0.0-rc7\t\n=>\t../gojinn\t(devel)\t\n"),
            "v1.0.0-rc7 => ../gojinn (devel)"
        );
        assert_eq!(
            value(b"dep\tgithub.com/gojinn-io/gojinn\tv1.0.0-rc7\n=>\t../gojinn\n"),
            "v1.0.0-rc7 => ../gojinn"
        );
        assert_eq!(
            value(
                b"dep\tgithub.com/gojinn-io/gojinn\tv1.0.0-rc7\th1:x=\ndep\tgithub.com/x/y\tv1\n"
            ),
            "v1.0.0-rc7"
        );
    }

    #[test]
    fn all_joins_every_match_and_count_counts_only_collected_items() {
        let spec = crate::spec::parse(
            "t.toml",
            r#"
schema = 1
[project]
name = "t"
[[collect]]
id = "members"
kind = "command"
argv = ["x"]
fact = { name = "members", regex = 'member (\S+) (\S+)', value = "$1 $2", all = true }
[[collect]]
id = "status"
kind = "command"
argv = ["x"]
fact = { name = "changed", regex = '(?m)^ M ', count = true }
"#,
        )
        .unwrap();
        let sources = [
            Source {
                id: "members",
                data: b"member a 1.0\nmember b 2.0\n",
            },
            Source {
                id: "status",
                data: b"",
            },
        ];
        let facts = extract(&spec, &sources);
        assert_eq!(facts["members"].value, "a 1.0, b 2.0");
        assert_eq!(facts["changed"].value, "0", "a clean tree counts zero");
        let facts = extract_with(&spec, &sources, &|id| id != "status");
        assert!(!facts.contains_key("changed"), "{facts:?}");

        let both = crate::spec::parse(
            "t.toml",
            "schema = 1\n[project]\nname = \"t\"\n[[collect]]\nid = \"s\"\nkind = \"command\"\n\
             argv = [\"x\"]\nfact = { name = \"n\", regex = 'x', all = true, count = true }\n",
        )
        .unwrap_err();
        assert!(both.to_string().contains("not both"), "{both}");
    }
}
