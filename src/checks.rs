//! Evaluating a spec's `[[check]]`s against a bundle's facts: the one evaluation `collect`,
//! `check BUNDLE` (replay) and `redact BUNDLE --out` share, so a bundle checked later gives
//! the outcome `collect` would have given with the same spec. The conditions themselves are
//! [`crate::check`].

use std::collections::BTreeMap;

use crate::bundle::manifest::{CheckOutcome, CheckResult, FactRecord, ItemRecord};
use crate::check::{Condition, Verdict};
use crate::item::{Kind, Status};
use crate::sanitize::one_line;
use crate::spec::{Level, Spec};

/// Longest item detail quoted in a reason, in characters.
const MAX_DETAIL_CHARS: usize = 160;

/// Every check's outcome, in spec order.
///
/// A check is decided only on evidence. A fact that was found decides it whatever its item's
/// status (the line was seen). A fact that was not found decides it (`missing FACT` holds,
/// `present FACT` does not) only when an item that could yield it answered in full: its
/// records are all `ok`, or it is a `listing` whose directory is not there (an empty listing
/// is the answer). When each such item is missing, denied, failed, timed out, skipped or
/// truncated (the cut part may hold the line), the check is `unknown`, with the reasons.
pub fn evaluate(
    spec: &Spec,
    facts: &BTreeMap<String, FactRecord>,
    items: &[ItemRecord],
) -> Vec<CheckOutcome> {
    let values: BTreeMap<String, String> = facts
        .iter()
        .map(|(k, v)| (k.clone(), v.value.clone()))
        .collect();
    spec.checks
        .iter()
        .map(|check| {
            let fact = fact_of(&check.when);
            let found = facts.get(fact);
            let mut reason = None;
            let verdict = match found {
                Some(_) => check.when.evaluate(&values),
                None => match unanswered(spec, fact, items) {
                    Some(why) => {
                        reason = Some(why);
                        Verdict::Unknown
                    }
                    None => check.when.evaluate(&values),
                },
            };
            let outcome = match verdict {
                Verdict::Holds => match check.level {
                    Level::Fail => CheckResult::Fail,
                    Level::Warn => CheckResult::Warn,
                },
                Verdict::DoesNotHold => CheckResult::Pass,
                Verdict::Unknown => CheckResult::Unknown,
            };
            if outcome == CheckResult::Unknown && reason.is_none() {
                reason = Some(match found {
                    Some(f) => format!("`{fact}` is `{}`, not a version", one_line(&f.value)),
                    None => format!("`{fact}` was not found in {}", sources_text(spec, fact)),
                });
            }
            let evidence = found
                .filter(|_| outcome.is_flagged())
                .and_then(|f| f.line.clone());
            CheckOutcome {
                id: check.id.clone(),
                outcome,
                when: check.when.to_string(),
                message: check.message.clone(),
                reason,
                evidence,
            }
        })
        .collect()
}

fn fact_of(when: &Condition) -> &str {
    match when {
        Condition::Compare { fact, .. } | Condition::Missing(fact) | Condition::Present(fact) => {
            fact
        }
    }
}

/// The ids of the spec items that could yield `fact`: those whose `facts` name it, else the
/// `system` items (which yield every key of their JSON).
pub fn fact_sources<'a>(spec: &'a Spec, fact: &str) -> Vec<&'a str> {
    let named: Vec<&str> = spec
        .items
        .iter()
        .filter(|i| i.facts.iter().any(|f| f.name == fact))
        .map(|i| i.id.as_str())
        .collect();
    if !named.is_empty() {
        return named;
    }
    spec.items
        .iter()
        .filter(|i| i.kind == Kind::System)
        .map(|i| i.id.as_str())
        .collect()
}

fn sources_text(spec: &Spec, fact: &str) -> String {
    let ids = fact_sources(spec, fact);
    if ids.is_empty() {
        "any collector's output (none extracts it)".to_string()
    } else {
        ids.iter()
            .map(|id| format!("`{id}`"))
            .collect::<Vec<_>>()
            .join(" or ")
    }
}

/// Why an absent `fact` is no evidence: no item that could yield it answered in full (each
/// one's reason). `None` when one of them did: a spec lists alternative sources (`caddy
/// validate` besides the journal), and one full answer without the fact is evidence.
fn unanswered(spec: &Spec, fact: &str, items: &[ItemRecord]) -> Option<String> {
    let sources = fact_sources(spec, fact);
    if sources.is_empty() {
        return Some(format!("no collector in the spec extracts `{fact}`"));
    }
    let why: Vec<String> = sources
        .iter()
        .map(|id| not_answered(id, items))
        .collect::<Option<_>>()?;
    Some(why.join("; "))
}

/// Why the item `id` did not answer in full, or `None` when it did.
pub fn not_answered(id: &str, items: &[ItemRecord]) -> Option<String> {
    let records: Vec<&ItemRecord> = items.iter().filter(|r| r.id == id).collect();
    if records.is_empty() {
        return Some(format!("`{id}` was not collected"));
    }
    let bad = records.iter().find(|r| !answered(r))?;
    let detail = bad
        .detail
        .as_deref()
        .map(|d| {
            let d = one_line(d);
            match d.char_indices().nth(MAX_DETAIL_CHARS) {
                Some((cut, _)) => format!(": {}…", &d[..cut]),
                None => format!(": {d}"),
            }
        })
        .unwrap_or_default();
    Some(match bad.status {
        Status::Truncated => format!("`{id}` was cut short (truncated{detail})"),
        Status::Failed => format!("`{id}` failed{detail}"),
        status => format!("`{id}` was not collected: {status}{detail}"),
    })
}

/// Whether a record is a full answer: `ok`, or a listing of a directory that is not there.
fn answered(r: &ItemRecord) -> bool {
    r.status == Status::Ok || (r.kind == Kind::Listing && r.status == Status::Missing)
}

#[cfg(test)]
mod tests {
    use super::*;

    const SPEC: &str = r#"
schema = 1
[project]
name = "demo"

[[collect]]
id = "sys"
kind = "system"

[[collect]]
id = "v"
kind = "command"
argv = ["demo", "--version"]
fact = { name = "version", regex = 'demo (\S+)' }

[[collect]]
id = "journal"
kind = "command"
argv = ["journalctl", "-u", "demo"]
fact = { name = "config_flag", regex = "unexpected argument '--config'" }

[[check]]
id = "old-kernel"
when = "kernel < 5.10"
level = "fail"
message = "too old"

[[check]]
id = "no-version"
when = "missing version"
level = "warn"
message = "no version"

[[check]]
id = "arch"
when = "arch == riscv64"
level = "warn"
message = "untested"

[[check]]
id = "config-flag"
when = "present config_flag"
level = "fail"
message = "restart loop"
"#;

    fn fact(value: &str, item: &str) -> FactRecord {
        FactRecord {
            value: value.into(),
            item: item.into(),
            line: None,
        }
    }

    fn record(id: &str, kind: Kind, status: Status, detail: Option<&str>) -> ItemRecord {
        ItemRecord {
            id: id.into(),
            kind,
            source: id.into(),
            path: None,
            status,
            detail: detail.map(String::from),
            size: 0,
            sha256: None,
            redactions: 0,
            binary: false,
        }
    }

    fn all_ok() -> Vec<ItemRecord> {
        vec![
            record("sys", Kind::System, Status::Ok, None),
            record("v", Kind::Command, Status::Ok, None),
            record("journal", Kind::Command, Status::Ok, None),
        ]
    }

    fn outcomes(
        spec: &Spec,
        facts: &BTreeMap<String, FactRecord>,
        items: &[ItemRecord],
    ) -> Vec<(String, CheckResult)> {
        evaluate(spec, facts, items)
            .into_iter()
            .map(|c| (c.id, c.outcome))
            .collect()
    }

    #[test]
    fn outcomes_follow_level_and_absent_facts_are_unknown() {
        let spec = crate::spec::parse("t.toml", SPEC).unwrap();
        let facts = BTreeMap::from([("kernel".to_string(), fact("4.19.0-25-amd64", "sys"))]);
        assert_eq!(
            outcomes(&spec, &facts, &all_ok()),
            [
                ("old-kernel".to_string(), CheckResult::Fail),
                ("no-version".to_string(), CheckResult::Warn),
                ("arch".to_string(), CheckResult::Unknown),
                ("config-flag".to_string(), CheckResult::Pass),
            ]
        );
        let facts = BTreeMap::from([
            ("kernel".to_string(), fact("6.1.0", "sys")),
            ("version".to_string(), fact("1.2", "v")),
            ("arch".to_string(), fact("x86_64", "sys")),
        ]);
        assert!(
            evaluate(&spec, &facts, &all_ok())
                .iter()
                .all(|c| c.outcome == CheckResult::Pass && c.reason.is_none())
        );
    }

    /// A presence check whose item was never collected has no evidence either way.
    #[test]
    fn presence_checks_on_items_not_collected_are_unknown_with_the_reason() {
        let spec = crate::spec::parse("t.toml", SPEC).unwrap();
        let facts = BTreeMap::from([("kernel".to_string(), fact("6.1.0", "sys"))]);
        let mut items = all_ok();
        items[1] = record(
            "v",
            Kind::Command,
            Status::Missing,
            Some("command `demo` not found on PATH"),
        );
        items[2] = record(
            "journal",
            Kind::Command,
            Status::Missing,
            Some("No journal files were found."),
        );
        let got = evaluate(&spec, &facts, &items);
        let by_id = |id: &str| got.iter().find(|c| c.id == id).unwrap();
        assert_eq!(by_id("config-flag").outcome, CheckResult::Unknown);
        assert_eq!(
            by_id("config-flag").reason.as_deref(),
            Some("`journal` was not collected: missing: No journal files were found.")
        );
        assert_eq!(by_id("no-version").outcome, CheckResult::Unknown);
        assert_eq!(
            by_id("no-version").reason.as_deref(),
            Some("`v` was not collected: missing: command `demo` not found on PATH")
        );
        assert_eq!(by_id("old-kernel").outcome, CheckResult::Pass);
        assert_eq!(
            by_id("arch").reason.as_deref(),
            Some("`arch` was not found in `sys`")
        );
        // No record at all, a failure and a cut log are no evidence either.
        for (items, reason) in [
            (vec![], "`journal` was not collected"),
            (
                vec![record(
                    "journal",
                    Kind::Command,
                    Status::Failed,
                    Some("exit status 1"),
                )],
                "`journal` failed: exit status 1",
            ),
            (
                vec![record("journal", Kind::Command, Status::Truncated, None)],
                "`journal` was cut short (truncated)",
            ),
        ] {
            let got = evaluate(&spec, &facts, &items);
            let c = got.iter().find(|c| c.id == "config-flag").unwrap();
            assert_eq!(
                (c.outcome, c.reason.as_deref()),
                (CheckResult::Unknown, Some(reason))
            );
        }
    }

    /// One alternative source that answered in full is evidence; none is not.
    #[test]
    fn one_full_answer_among_alternatives_decides() {
        let text = SPEC.replace(
            "argv = [\"demo\", \"--version\"]\nfact = { name = \"version\", regex = 'demo (\\S+)' }",
            "argv = [\"demo\", \"--version\"]\nfacts = [\n  { name = \"version\", regex = 'demo (\\S+)' },\n  { name = \"config_flag\", regex = 'rejects --config' },\n]",
        );
        assert_ne!(text, SPEC, "the replacement must apply");
        let spec = crate::spec::parse("t.toml", &text).unwrap();
        let facts = BTreeMap::new();
        let journal_missing = record(
            "journal",
            Kind::Command,
            Status::Missing,
            Some("no journal"),
        );
        let outcome = |items: &[ItemRecord]| {
            let got = evaluate(&spec, &facts, items);
            let c = got.into_iter().find(|c| c.id == "config-flag").unwrap();
            (c.outcome, c.reason)
        };
        let v_ok = record("v", Kind::Command, Status::Ok, None);
        assert_eq!(
            outcome(&[v_ok, journal_missing.clone()]),
            (CheckResult::Pass, None)
        );
        let v_failed = record("v", Kind::Command, Status::Failed, Some("exit status 2"));
        assert_eq!(
            outcome(&[v_failed, journal_missing]),
            (
                CheckResult::Unknown,
                Some(
                    "`v` failed: exit status 2; `journal` was not collected: missing: no journal"
                        .to_string()
                )
            )
        );
    }

    /// A found fact is evidence whatever its item's status; its line is quoted.
    #[test]
    fn a_found_fact_decides_and_is_quoted() {
        let spec = crate::spec::parse("t.toml", SPEC).unwrap();
        let mut flag = fact("unexpected argument '--config'", "journal");
        flag.line = Some("kestrel[1]: error: unexpected argument '--config' found".into());
        let facts = BTreeMap::from([("config_flag".to_string(), flag)]);
        let items = vec![record("journal", Kind::Command, Status::Truncated, None)];
        let got = evaluate(&spec, &facts, &items);
        let c = got.iter().find(|c| c.id == "config-flag").unwrap();
        assert_eq!(c.outcome, CheckResult::Fail);
        assert_eq!(
            c.explained(),
            "restart loop (seen: \"kestrel[1]: error: unexpected argument '--config' found\")"
        );
    }

    /// A listing of a directory that is not there is a complete (empty) answer.
    #[test]
    fn a_missing_listing_is_an_answer() {
        let text = format!(
            "{SPEC}\n[[collect]]\nid = \"btf\"\nkind = \"listing\"\npath = \"/sys/kernel/btf\"\nfact = {{ name = \"btf\", regex = 'vmlinux' }}\n[[check]]\nid = \"btf\"\nwhen = \"missing btf\"\nlevel = \"fail\"\nmessage = \"no BTF\"\n"
        );
        let spec = crate::spec::parse("t.toml", &text).unwrap();
        let facts = BTreeMap::new();
        let check = |status| {
            let items = vec![record("btf", Kind::Listing, status, None)];
            evaluate(&spec, &facts, &items)
                .into_iter()
                .find(|c| c.id == "btf")
                .unwrap()
                .outcome
        };
        assert_eq!(check(Status::Missing), CheckResult::Fail);
        assert_eq!(check(Status::Denied), CheckResult::Unknown);
    }

    #[test]
    fn old_manifests_without_reasons_still_read() {
        let json = r#"{"id":"a","outcome":"pass","when":"present x","message":"m"}"#;
        let c: CheckOutcome = serde_json::from_str(json).unwrap();
        assert_eq!((&c.reason, &c.evidence), (&None, &None));
        let back = serde_json::to_string(&c).unwrap();
        assert!(
            !back.contains("reason") && !back.contains("evidence"),
            "{back}"
        );
    }

    #[test]
    fn results_serialize_as_the_manifest_strings() {
        for r in [
            CheckResult::Pass,
            CheckResult::Warn,
            CheckResult::Fail,
            CheckResult::Unknown,
        ] {
            let json = serde_json::to_string(&r).unwrap();
            assert_eq!(json, format!("\"{}\"", r.as_str()));
            assert_eq!(serde_json::from_str::<CheckResult>(&json).unwrap(), r);
        }
        assert!(serde_json::from_str::<CheckResult>("\"maybe\"").is_err());
    }
}
