//! The spec text a bundle stores, redacted and still a spec.
//!
//! Redacting the user's spec as TOML can cut through its syntax or its meaning: a key rule
//! takes `(\S+)` in `regex = 'api_key=(\S+)'` for a secret, a value masked inside an inline
//! table or an array can end it early. A stored spec that does not load breaks `check`, `issue`
//! and `inspect` on the very bundle this run wrote. So the redacted text is parsed again, and
//! when it no longer loads, the spec is rebuilt from its parsed values (no comments, which can
//! hold anything) and each string a rule touches is masked whole, then dropped, until the
//! result loads. Every candidate goes through the redactor once more, so nothing that skips
//! it is ever stored.

use toml::{Table, Value};

use crate::item::Format;
use crate::redact::{Counts, RedactedText, Redactor};
use crate::spec::Spec;

/// The mask a string a rule touched becomes when masking inside it breaks the spec.
const WHOLE_MASK: &str = "[REDACTED]";

/// The report's name for strings masked whole or dropped from the stored spec.
const WHOLE_LABEL: &str = "spec-value";

/// `spec`'s text redacted for the bundle, loadable as a spec whenever any safe form is;
/// replacements are added to `counts`.
pub(super) fn redact(spec: &Spec, redactor: &Redactor, counts: &mut Counts) -> RedactedText {
    let (text, found) = attempt(redactor, spec.text.as_bytes());
    if text.as_bytes() == spec.text.as_bytes() || loads(spec, &text) {
        counts.merge(&found);
        return text;
    }
    let Ok(mut table) = spec.text.parse::<Table>() else {
        counts.merge(&found);
        return text;
    };
    let suspects = suspects(&mut table, redactor);
    let mut best = (text, found);
    // Dropping a string renumbers those after it, so drops go from the last one back.
    let masks = suspects.iter().map(|&n| (n, Choice::Mask));
    let drops = suspects.iter().rev().map(|&n| (n, Choice::Drop));
    for (changed, (n, choice)) in masks.chain(drops).enumerate() {
        set(&mut table, n, choice);
        let Ok(rebuilt) = toml::to_string(&table) else {
            continue;
        };
        best = attempt(redactor, rebuilt.as_bytes());
        // Each string masked or dropped so far is a replacement the report counts.
        let whole = suspects.len().min(changed + 1);
        best.1.add(WHOLE_LABEL, whole as u64);
        if loads(spec, &best.0) {
            break;
        }
    }
    counts.merge(&best.1);
    best.0
}

/// What happens to a suspect string in the rebuilt spec.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Choice {
    /// Replaced whole by [`WHOLE_MASK`].
    Mask,
    /// Removed from its table or array.
    Drop,
}

fn attempt(redactor: &Redactor, text: &[u8]) -> (RedactedText, Counts) {
    let mut counts = Counts::default();
    let text = redactor.redact_text(text, Format::Toml, &mut counts);
    (text, counts)
}

fn loads(spec: &Spec, text: &RedactedText) -> bool {
    crate::spec::parse(&spec.origin, &text.to_str_lossy()).is_ok()
}

/// The numbers (in [`walk`] order) of the strings a rule changes, read alone or under their key.
fn suspects(table: &mut Table, redactor: &Redactor) -> Vec<usize> {
    let mut found = Vec::new();
    let mut n = 0;
    walk(table, &mut |key, s| {
        if touched(redactor, key, s) {
            found.push(n);
        }
        n += 1;
        Keep::Yes
    });
    found
}

/// Whether redaction changes `s` as free text, or as the value of `key` in a TOML line.
fn touched(redactor: &Redactor, key: &str, s: &str) -> bool {
    let mut counts = Counts::default();
    if redactor.redact_str(s, &mut counts) != s {
        return true;
    }
    let line = format!(
        "{} = {}\n",
        Value::String(key.to_string()),
        Value::String(s.to_string())
    );
    redactor.redact_bytes(line.as_bytes(), Format::Toml, &mut counts) != line.as_bytes()
}

/// Apply `choice` to string number `n`.
fn set(table: &mut Table, n: usize, choice: Choice) {
    let mut i = 0;
    walk(table, &mut |_, s| {
        let this = i;
        i += 1;
        match choice {
            _ if this != n => Keep::Yes,
            Choice::Mask => {
                *s = WHOLE_MASK.to_string();
                Keep::Yes
            }
            Choice::Drop => Keep::No,
        }
    });
}

/// Whether [`walk`] keeps a string.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Keep {
    Yes,
    No,
}

/// Visit every string value under `table` in a fixed order, with the key it sits under (an
/// array's strings under the array's key); drop those `f` says not to keep.
fn walk(table: &mut Table, f: &mut impl FnMut(&str, &mut String) -> Keep) {
    let mut dropped = Vec::new();
    for (key, value) in table.iter_mut() {
        if walk_value(key, value, f) == Keep::No {
            dropped.push(key.clone());
        }
    }
    for key in dropped {
        table.remove(&key);
    }
}

fn walk_value(key: &str, value: &mut Value, f: &mut impl FnMut(&str, &mut String) -> Keep) -> Keep {
    match value {
        Value::String(s) => f(key, s),
        Value::Array(items) => {
            let mut keep = Vec::with_capacity(items.len());
            for v in items.iter_mut() {
                keep.push(walk_value(key, v, f));
            }
            let mut flags = keep.into_iter();
            items.retain(|_| flags.next() == Some(Keep::Yes));
            Keep::Yes
        }
        Value::Table(t) => {
            walk(t, f);
            Keep::Yes
        }
        Value::Integer(_) | Value::Float(_) | Value::Boolean(_) | Value::Datetime(_) => Keep::Yes,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn redactor() -> Redactor {
        let dir = tempfile::tempdir().unwrap();
        Redactor::new(&crate::redact::Options {
            pseudonym_key: Some(dir.path().join("key")),
            keep_identifiers: true,
            ..crate::redact::Options::default()
        })
        .unwrap()
    }

    const HEAD: &str = "schema = 1\n[project]\nname = \"app\"\n";

    #[test]
    fn a_spec_whose_redaction_breaks_it_is_stored_loadable_and_without_the_secret() {
        let r = redactor();
        let cases = [
            // A key rule inside a regex.
            "[[collect]]\nid = \"a\"\nkind = \"command\"\nargv = [\"echo\"]\n\
             fact = { name = \"t\", regex = 'password=(\\S+)' }\n",
            // The same, with a real secret beside it in a comment and a secret-named var.
            "# password = PLANTEDcomment-secret\n[vars]\napi_key = \"PLANTEDvar-secret-123\"\n\
             [[collect]]\nid = \"a\"\nkind = \"command\"\nargv = [\"echo\", \"{api_key}\"]\n\
             fact = { name = \"t\", regex = \"token=(\\\\w+)\" }\n",
        ];
        for body in cases {
            let text = format!("{HEAD}{body}");
            let spec = crate::spec::parse("/tmp/s.toml", &text).unwrap();
            let mut counts = Counts::default();
            let stored = redact(&spec, &r, &mut counts);
            let stored = stored.to_str_lossy();
            assert!(
                crate::spec::parse("spec.toml", &stored).is_ok(),
                "{text}\n---\n{stored}"
            );
            assert!(!stored.contains("PLANTED"), "{stored}");
            assert!(counts.total() > 0);
        }
    }

    #[test]
    fn a_spec_that_stays_loadable_is_stored_as_redacted_text() {
        let r = redactor();
        let text = format!(
            "{HEAD}# keep this comment\n[vars]\npassword = \"PLANTEDpw-123456\"\n\
             [[collect]]\nid = \"a\"\nkind = \"system\"\n"
        );
        let spec = crate::spec::parse("/tmp/s.toml", &text).unwrap();
        let stored = redact(&spec, &r, &mut Counts::default());
        let stored = stored.to_str_lossy();
        assert!(stored.contains("# keep this comment"), "{stored}");
        assert!(!stored.contains("PLANTED"), "{stored}");
    }
}
