//! Evaluating a spec's `[[check]]`s against a bundle's facts: the one evaluation `collect`,
//! `check BUNDLE` (replay) and `redact BUNDLE --out` share, so a bundle checked later gives
//! the outcome `collect` would have given with the same spec. The conditions themselves are
//! [`crate::check`].

use std::collections::BTreeMap;

use crate::bundle::manifest::{CheckOutcome, CheckResult, FactRecord};
use crate::check::Verdict;
use crate::spec::{Level, Spec};

/// Every check's outcome, in spec order.
pub fn evaluate(spec: &Spec, facts: &BTreeMap<String, FactRecord>) -> Vec<CheckOutcome> {
    let values: BTreeMap<String, String> = facts
        .iter()
        .map(|(k, v)| (k.clone(), v.value.clone()))
        .collect();
    spec.checks
        .iter()
        .map(|check| {
            let outcome = match check.when.evaluate(&values) {
                Verdict::Holds => match check.level {
                    Level::Fail => CheckResult::Fail,
                    Level::Warn => CheckResult::Warn,
                },
                Verdict::DoesNotHold => CheckResult::Pass,
                Verdict::Unknown => CheckResult::Unknown,
            };
            CheckOutcome {
                id: check.id.clone(),
                outcome,
                when: check.when.to_string(),
                message: check.message.clone(),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const SPEC: &str = r#"
schema = 1
[project]
name = "demo"

[[collect]]
id = "v"
kind = "command"
argv = ["true"]

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
"#;

    fn fact(value: &str) -> FactRecord {
        FactRecord {
            value: value.into(),
            item: "v".into(),
        }
    }

    #[test]
    fn outcomes_follow_level_and_absent_facts_are_unknown() {
        let spec = crate::spec::parse("t.toml", SPEC).unwrap();
        let facts = BTreeMap::from([("kernel".to_string(), fact("4.19.0-25-amd64"))]);
        let got: Vec<(String, CheckResult)> = evaluate(&spec, &facts)
            .into_iter()
            .map(|c| (c.id, c.outcome))
            .collect();
        assert_eq!(
            got,
            [
                ("old-kernel".to_string(), CheckResult::Fail),
                ("no-version".to_string(), CheckResult::Warn),
                ("arch".to_string(), CheckResult::Unknown),
            ]
        );
        let facts = BTreeMap::from([
            ("kernel".to_string(), fact("6.1.0")),
            ("version".to_string(), fact("1.2")),
            ("arch".to_string(), fact("x86_64")),
        ]);
        assert!(
            evaluate(&spec, &facts)
                .iter()
                .all(|c| c.outcome == CheckResult::Pass)
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
