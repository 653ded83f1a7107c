//! Evaluating a spec's `[[check]]`s against facts.

use std::collections::BTreeMap;

use crate::bundle::{CheckOutcome, FactRecord};
use crate::check::Verdict;
use crate::spec::{Level, Spec};

/// Every check's outcome, in spec order: `pass`, `warn`, `fail` or `unknown`.
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
                    Level::Fail => "fail",
                    Level::Warn => "warn",
                },
                Verdict::DoesNotHold => "pass",
                Verdict::Unknown => "unknown",
            };
            CheckOutcome {
                id: check.id.clone(),
                outcome: outcome.to_string(),
                when: check.when.to_string(),
                message: check.message.clone(),
            }
        })
        .collect()
}
