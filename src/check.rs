//! `[[check]]` conditions over facts, with version-aware comparison.
//!
//! Grammar: `FACT OP VALUE` with OP one of `<`, `<=`, `>`, `>=`, `==`, `!=`; or
//! `missing FACT` / `present FACT`. Values are compared as versions when both sides start with
//! a digit (optionally after a `v`): the leading dotted numbers are compared numerically, so
//! `6.1.0-18-amd64 >= 5.10` holds. A fact that is not a version (empty, `unknown`) compared
//! with a version is unknown; other values compare as strings.
//!
//! ```
//! use std::collections::BTreeMap;
//! use support_bundle::check::{Condition, Verdict};
//!
//! let when = Condition::parse("kernel < 5.10").unwrap();
//! let facts = BTreeMap::from([("kernel".to_string(), "6.1.0-18-amd64".to_string())]);
//! assert_eq!(when.evaluate(&facts), Verdict::DoesNotHold);
//! assert_eq!(when.evaluate(&BTreeMap::new()), Verdict::Unknown);
//! ```

use std::cmp::Ordering;
use std::collections::BTreeMap;
use std::fmt;

/// A parsed `when` condition.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Condition {
    /// Compare a fact with a literal.
    Compare {
        /// The fact's name.
        fact: String,
        /// The operator.
        op: Op,
        /// The literal.
        value: String,
    },
    /// The fact was not found.
    Missing(String),
    /// The fact was found.
    Present(String),
}

/// A comparison operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    /// `<`
    Lt,
    /// `<=`
    Le,
    /// `>`
    Gt,
    /// `>=`
    Ge,
    /// `==`
    Eq,
    /// `!=`
    Ne,
}

impl Op {
    fn parse(s: &str) -> Option<Op> {
        Some(match s {
            "<" => Op::Lt,
            "<=" => Op::Le,
            ">" => Op::Gt,
            ">=" => Op::Ge,
            "==" => Op::Eq,
            "!=" => Op::Ne,
            _ => return None,
        })
    }

    fn as_str(self) -> &'static str {
        match self {
            Op::Lt => "<",
            Op::Le => "<=",
            Op::Gt => ">",
            Op::Ge => ">=",
            Op::Eq => "==",
            Op::Ne => "!=",
        }
    }

    fn holds(self, ord: Ordering) -> bool {
        match self {
            Op::Lt => ord == Ordering::Less,
            Op::Le => ord != Ordering::Greater,
            Op::Gt => ord == Ordering::Greater,
            Op::Ge => ord != Ordering::Less,
            Op::Eq => ord == Ordering::Equal,
            Op::Ne => ord != Ordering::Equal,
        }
    }
}

impl fmt::Display for Condition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Condition::Compare { fact, op, value } => write!(f, "{fact} {} {value}", op.as_str()),
            Condition::Missing(fact) => write!(f, "missing {fact}"),
            Condition::Present(fact) => write!(f, "present {fact}"),
        }
    }
}

/// What evaluating a condition against facts gave.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Verdict {
    /// The condition holds: the check's level applies.
    Holds,
    /// The condition does not hold: the check passes.
    DoesNotHold,
    /// The fact the comparison needs is absent: the check cannot be decided.
    Unknown,
}

impl Condition {
    /// Parse a `when` expression.
    pub fn parse(text: &str) -> Result<Condition, String> {
        let words: Vec<&str> = text.split_whitespace().collect();
        match words.as_slice() {
            ["missing", fact] => Ok(Condition::Missing(fact_name(fact)?)),
            ["present", fact] => Ok(Condition::Present(fact_name(fact)?)),
            [fact, op, value @ ..] if !value.is_empty() => {
                let op = Op::parse(op).ok_or_else(|| {
                    format!("unknown operator `{op}`; expected one of < <= > >= == !=")
                })?;
                Ok(Condition::Compare {
                    fact: fact_name(fact)?,
                    op,
                    value: value.join(" ").trim_matches('"').to_string(),
                })
            }
            _ => Err(format!(
                "`{text}` is not `FACT OP VALUE`, `missing FACT` or `present FACT`"
            )),
        }
    }

    /// Evaluate against facts.
    pub fn evaluate(&self, facts: &BTreeMap<String, String>) -> Verdict {
        let holds = |b: bool| {
            if b {
                Verdict::Holds
            } else {
                Verdict::DoesNotHold
            }
        };
        match self {
            Condition::Missing(f) => holds(!facts.contains_key(f)),
            Condition::Present(f) => holds(facts.contains_key(f)),
            Condition::Compare { fact, op, value } => match facts.get(fact) {
                None => Verdict::Unknown,
                // A version compared with something that is not one (an empty value, `unknown`)
                // has no answer; as strings `"" < 2.0` would hold.
                Some(actual)
                    if version_numbers(value).is_some() && version_numbers(actual).is_none() =>
                {
                    Verdict::Unknown
                }
                Some(actual) => holds(op.holds(compare(actual, value))),
            },
        }
    }
}

fn fact_name(s: &str) -> Result<String, String> {
    if !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
    {
        Ok(s.to_string())
    } else {
        Err(format!(
            "`{s}` is not a fact name (lowercase letters, digits, `_`)"
        ))
    }
}

/// The leading dotted numbers of a version-like string (`v6.1.0-18` → `[6, 1, 0]`).
fn version_numbers(s: &str) -> Option<Vec<u64>> {
    let s = s.trim();
    let s = s.strip_prefix('v').unwrap_or(s);
    if !s.starts_with(|c: char| c.is_ascii_digit()) {
        return None;
    }
    let end = s
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(s.len());
    s[..end]
        .split('.')
        .filter(|p| !p.is_empty())
        .map(|p| p.parse().ok())
        .collect()
}

/// Version-aware comparison: numeric on dotted versions, missing components count as zero
/// (`5.10 == 5.10.0`); plain string comparison otherwise.
pub fn compare(actual: &str, expected: &str) -> Ordering {
    match (version_numbers(actual), version_numbers(expected)) {
        (Some(a), Some(b)) => {
            let len = a.len().max(b.len());
            let get = |v: &[u64], i: usize| v.get(i).copied().unwrap_or(0);
            (0..len)
                .map(|i| get(&a, i).cmp(&get(&b, i)))
                .find(|o| o.is_ne())
                .unwrap_or(Ordering::Equal)
        }
        _ => actual.trim().cmp(expected.trim()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn kernel_versions_compare_numerically() {
        let c = Condition::parse("kernel < 5.10").unwrap();
        assert_eq!(
            c.evaluate(&facts(&[("kernel", "5.4.0-150-generic")])),
            Verdict::Holds
        );
        assert_eq!(
            c.evaluate(&facts(&[("kernel", "6.1.0-18-amd64")])),
            Verdict::DoesNotHold
        );
        assert_eq!(
            c.evaluate(&facts(&[("kernel", "5.10")])),
            Verdict::DoesNotHold
        );
        assert_eq!(c.evaluate(&facts(&[("kernel", "5.9.16")])), Verdict::Holds);
        assert_eq!(c.evaluate(&facts(&[])), Verdict::Unknown);
    }

    #[test]
    fn rustc_and_prefixed_versions() {
        let c = Condition::parse("rustc_version < 1.82").unwrap();
        assert_eq!(
            c.evaluate(&facts(&[("rustc_version", "1.95.0")])),
            Verdict::DoesNotHold
        );
        assert_eq!(
            c.evaluate(&facts(&[("rustc_version", "1.75.0")])),
            Verdict::Holds
        );
        assert_eq!(compare("v2.10.2", "2.6.2"), Ordering::Greater);
    }

    #[test]
    fn a_non_version_fact_against_a_version_is_unknown() {
        for op in ["<", "<=", ">", ">=", "==", "!="] {
            let c = Condition::parse(&format!("kernel {op} 2.0")).unwrap();
            for actual in ["", "  ", "unknown", "n/a", "v", ".5"] {
                assert_eq!(
                    c.evaluate(&facts(&[("kernel", actual)])),
                    Verdict::Unknown,
                    "{actual:?} {op} 2.0"
                );
            }
        }
        let c = Condition::parse("mode == 2.0").unwrap();
        assert_eq!(c.evaluate(&facts(&[("mode", "2.0")])), Verdict::Holds);
    }

    #[test]
    fn presence_and_strings() {
        let f = facts(&[("btf", "present"), ("mode", "detect")]);
        assert_eq!(
            Condition::parse("missing btf").unwrap().evaluate(&f),
            Verdict::DoesNotHold
        );
        assert_eq!(
            Condition::parse("present btf").unwrap().evaluate(&f),
            Verdict::Holds
        );
        assert_eq!(
            Condition::parse("mode != detect").unwrap().evaluate(&f),
            Verdict::DoesNotHold
        );
        assert_eq!(
            Condition::parse("mode == \"detect\"").unwrap().evaluate(&f),
            Verdict::Holds
        );
    }

    #[test]
    fn bad_expressions_say_why() {
        assert!(
            Condition::parse("kernel ~ 5")
                .unwrap_err()
                .contains("unknown operator")
        );
        assert!(
            Condition::parse("kernel")
                .unwrap_err()
                .contains("FACT OP VALUE")
        );
        assert!(
            Condition::parse("Kernel < 5")
                .unwrap_err()
                .contains("not a fact name")
        );
    }
}
