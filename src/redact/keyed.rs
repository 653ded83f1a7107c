//! Which values a key rule claims. The key decides: a value under a key that names a secret
//! is one whatever its shape (hex, digits, UUID, base64). The exceptions are narrow: values
//! that are not there (empty, booleans, placeholders, already masked), values that refer to a
//! secret elsewhere (`env.X`, `$(cmd)`, `getPassword()`), and, for pairs read from free text
//! (weaker evidence), values too short or plain words of low entropy (`token: expired`).

use std::collections::HashMap;

use super::compiled::Compiled;
use super::rules::Action;
use super::structured::{self, Form, Pair};

/// What a key rule claims in a line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Claim {
    /// Mask `line[start..end]` for key rule `rule`.
    Value {
        start: usize,
        end: usize,
        rule: usize,
    },
    /// A YAML block scalar of key rule `rule` starts: mask the lines under it.
    Block { rule: usize },
}

/// Which key rule (if any) takes a key written in a form, remembered by one engine: the same
/// few keys (`level`, `msg`, `SRC`, `api_key`) come back line after line, and deciding costs
/// a keyword scan and up to a regex per rule. Keys under a section (TOML, INI) and keys
/// longer than [`RuleMemo::MAX_KEY`] are decided afresh each time.
#[derive(Debug, Default)]
pub(crate) struct RuleMemo {
    /// The form's number, then the key, to the rule.
    known: HashMap<Box<[u8]>, Option<usize>, foldhash::fast::RandomState>,
}

impl RuleMemo {
    const MAX_KEY: usize = 95;
    /// Entries at most; the table is emptied when full.
    const MAX_ENTRIES: usize = 4096;

    fn rule_for(&mut self, c: &Compiled, key: &[u8], section: &[u8], form: Form) -> Option<usize> {
        if !section.is_empty() || key.len() > Self::MAX_KEY {
            return c.key_rule_for(key, section, form);
        }
        let mut buf = [0u8; Self::MAX_KEY + 1];
        buf[0] = form as u8;
        buf[1..=key.len()].copy_from_slice(key);
        let id = &buf[..=key.len()];
        if let Some(&rule) = self.known.get(id) {
            return rule;
        }
        let rule = c.key_rule_for(key, section, form);
        if self.known.len() >= Self::MAX_ENTRIES {
            self.known.clear();
        }
        self.known.insert(id.into(), rule);
        rule
    }
}

/// The claim of the first key rule that takes `p`, found in `line` under `section`; `memo`
/// remembers which rule takes which key across calls.
pub(crate) fn claim(
    c: &Compiled,
    line: &[u8],
    p: &Pair,
    section: &[u8],
    memo: &mut RuleMemo,
) -> Option<Claim> {
    let rule = memo.rule_for(c, p.key_name(line), section, p.form)?;
    let r = &c.keys[rule];
    if p.form == Form::Block {
        return Some(Claim::Block { rule });
    }
    let (mut start, mut end) = p.value;
    start += structured::skip_auth_scheme(&line[start..end]);
    if !p.quoted
        && !r.spaces
        && let Some(i) = line[start..end].iter().position(u8::is_ascii_whitespace)
    {
        // Tokens hold no spaces: what follows is the rest of the line, not the value.
        end = start + i;
    }
    let v = &line[start..end];
    if structured::is_placeholder(v) || structured::is_reference(line, (start, end), p.quoted) {
        return None;
    }
    if r.url_credentials && holds_credentials(v) {
        return None;
    }
    if r.action == Action::Pseudonymize && is_pseudonym(v, &r.prefix) {
        // Already a pseudonym (a bundle redacted again): a pseudonym of it would hide nothing
        // more and break `reveal`.
        return None;
    }
    if p.loose {
        // An account key in prose is weaker evidence still (`login: failed`, `username
        // required`): only `k=v`, JSON and query pairs name an account there.
        if r.action == Action::Pseudonymize
            && !matches!(p.form, Form::Assign | Form::Json | Form::Query)
        {
            return None;
        }
        if v.len() < r.min_len {
            return None;
        }
        if r.entropy
            .is_some_and(|min| is_plain_word(v) && structured::entropy(v) < min)
        {
            return None;
        }
        // `password incorrect` at the start of a line is a sentence, not a netrc entry.
        if p.form == Form::Spaced && !p.quoted && v.iter().all(u8::is_ascii_lowercase) {
            return None;
        }
    }
    Some(Claim::Value { start, end, rule })
}

/// Letters only (with `-`, `_`, `.`): a word, which in free text after `token:` is more
/// likely prose (`expired`) than a secret. Anything with a digit or a symbol is not one.
fn is_plain_word(v: &[u8]) -> bool {
    v.iter()
        .all(|&b| b.is_ascii_alphabetic() || matches!(b, b'-' | b'_' | b'.'))
}

/// A URL or `k=v;` connection string: its credentials are found inside it, so the rest
/// (scheme, host, port, database, options) can stay.
fn holds_credentials(v: &[u8]) -> bool {
    memchr::memmem::find(v, b"://").is_some() || v.contains(&b'=')
}

/// `<prefix>-<6 hex>`, as the pseudonymizer writes it.
fn is_pseudonym(v: &[u8], prefix: &str) -> bool {
    v.len() == prefix.len() + 7
        && v.starts_with(prefix.as_bytes())
        && v[prefix.len()] == b'-'
        && v[prefix.len() + 1..]
            .iter()
            .all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::redact::{Redactor, tests::opts};

    #[test]
    fn pseudonyms_are_recognised() {
        assert!(is_pseudonym(b"user-3fa2c1", "user"));
        assert!(!is_pseudonym(b"user-3fa2c", "user"));
        assert!(!is_pseudonym(b"user-3FA2C1", "user"));
        assert!(!is_pseudonym(b"host-3fa2c1", "user"));
        assert!(!is_pseudonym(b"kestrel", "user"));
    }

    #[test]
    fn remembered_rules_are_the_rules_decided_afresh() {
        let d = tempfile::tempdir().unwrap();
        let r = Redactor::new(&opts(d.path())).unwrap();
        let keys: [&[u8]; 9] = [
            b"password",
            b"Password",
            b"api_key",
            b"level",
            b"msg",
            b"token_type",
            b"username",
            b"x-api-key",
            b"client_secret",
        ];
        let forms = [
            Form::Json,
            Form::Assign,
            Form::Query,
            Form::Colon,
            Form::Flag,
            Form::Spaced,
        ];
        let mut memo = RuleMemo::default();
        let mut claimed = 0;
        // Twice: the second round answers from the memo.
        for _ in 0..2 {
            for key in keys {
                for form in forms {
                    let want = r.c.key_rule_for(key, b"", form);
                    claimed += usize::from(want.is_some());
                    assert_eq!(memo.rule_for(&r.c, key, b"", form), want);
                    // Under a section nothing is remembered, and the answer is still right.
                    assert_eq!(
                        memo.rule_for(&r.c, key, b"db", form),
                        r.c.key_rule_for(key, b"db", form)
                    );
                }
            }
        }
        assert!(claimed > 10, "{claimed}");
        assert!(memo.known.len() <= keys.len() * forms.len());
    }
}
