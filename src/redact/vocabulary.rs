//! Which learned values may be replaced bundle-wide.
//!
//! A value a key rule finds is always replaced where it was found. Replacing it everywhere
//! else too catches a secret that is repeated (an API key that is also a tenant id in file
//! names), but a value that is also an ordinary word of the bundle wrecks it: a service
//! account named after the service would take the project's name out of the summary, its
//! version line, metric names and paths. So a value is propagated only when it could be a
//! secret: long enough, not a plain word, number, boolean, host name or path, and none of
//! the words the spec itself uses (project and display name, item ids, argv, paths, fact
//! names), which [`Vocabulary`] holds.

use std::collections::BTreeSet;

use crate::spec::Spec;

/// Words that are the spec's own and so never secrets to replace bundle-wide.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Vocabulary {
    words: BTreeSet<String>,
}

/// Learned secrets shorter than this are too likely to occur by chance.
pub(crate) const MIN_SECRET: usize = 8;
/// Learned account names shorter than this are too likely to occur by chance.
const MIN_ACCOUNT: usize = 3;
/// A value of letters only up to this length reads as a word, not a secret.
const MAX_WORD: usize = 12;

impl Vocabulary {
    /// The vocabulary of `spec`: its project and display name, item ids, argv words, paths,
    /// URLs and fact names.
    pub fn of_spec(spec: &Spec) -> Vocabulary {
        let mut v = Vocabulary::default();
        v.add(&spec.project.name);
        v.add(&spec.project.display);
        for item in &spec.items {
            v.add(&item.id);
            for a in &item.argv {
                v.add(a);
            }
            for s in [&item.path, &item.url].into_iter().flatten() {
                v.add(s);
            }
            for f in &item.facts {
                v.add(&f.name);
            }
        }
        v
    }

    /// Add `text` and each of its words (split at anything but letters and digits).
    pub fn add(&mut self, text: &str) {
        let lower = text.to_ascii_lowercase();
        for w in lower.split(|c: char| !c.is_ascii_alphanumeric()) {
            if !w.is_empty() {
                self.words.insert(w.to_string());
            }
        }
        self.words.insert(lower);
    }

    /// Whether `value` is one of the spec's words, or made only of them (`kestrel-agent`).
    pub fn contains(&self, value: &[u8]) -> bool {
        let Ok(v) = std::str::from_utf8(value) else {
            return false;
        };
        let v = v.to_ascii_lowercase();
        if self.words.contains(&v) {
            return true;
        }
        let mut parts = v
            .split(|c: char| !c.is_ascii_alphanumeric())
            .filter(|w| !w.is_empty())
            .peekable();
        parts.peek().is_some() && parts.all(|w| self.words.contains(w))
    }

    /// Whether a secret value found by a key rule may be replaced bundle-wide.
    pub(crate) fn may_propagate_secret(&self, v: &[u8]) -> bool {
        v.len() >= MIN_SECRET
            && !is_word(v)
            && !is_number_or_boolean(v)
            && !is_host_or_path(v)
            && !self.contains(v)
    }

    /// Whether an account name found by a key rule may be pseudonymized bundle-wide.
    pub(crate) fn may_propagate_account(&self, v: &[u8]) -> bool {
        v.len() >= MIN_ACCOUNT
            && !super::pseudonym::is_generic_name(&String::from_utf8_lossy(v))
            && !is_number_or_boolean(v)
            && !is_host_or_path(v)
            && !self.contains(v)
    }
}

/// Letters only (with `-`, `_`, `.` between words), short: a word, not a secret.
fn is_word(v: &[u8]) -> bool {
    v.len() <= MAX_WORD
        && v.iter()
            .all(|&b| b.is_ascii_alphabetic() || matches!(b, b'-' | b'_' | b'.'))
}

fn is_number_or_boolean(v: &[u8]) -> bool {
    const BOOLS: &[&str] = &["true", "false", "yes", "no", "on", "off", "null", "none"];
    v.iter()
        .all(|&b| b.is_ascii_digit() || matches!(b, b'.' | b'-' | b'+' | b'_' | b':'))
        || BOOLS.contains(&String::from_utf8_lossy(v).to_ascii_lowercase().as_str())
}

/// A path (`/etc/x`, `./x`, `~/x`, `C:\x`) or a dotted host name (`siem.corp.example`).
fn is_host_or_path(v: &[u8]) -> bool {
    if v.starts_with(b"/") || v.starts_with(b"./") || v.starts_with(b"~/") || v.contains(&b'\\') {
        return true;
    }
    let labels: Vec<&[u8]> = v.split(|&b| b == b'.').collect();
    labels.len() >= 2
        && labels
            .iter()
            .all(|l| !l.is_empty() && l.iter().all(|&b| b.is_ascii_alphanumeric() || b == b'-'))
        && labels
            .last()
            .is_some_and(|l| l.iter().all(u8::is_ascii_alphabetic))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vocab() -> Vocabulary {
        let mut v = Vocabulary::default();
        for w in [
            "kestrel",
            "Kestrel",
            "/etc/kestrel/config.toml",
            "kestrel_version",
        ] {
            v.add(w);
        }
        v
    }

    #[test]
    fn spec_words_are_not_propagated() {
        let v = vocab();
        assert!(!v.may_propagate_account(b"kestrel"));
        assert!(!v.may_propagate_account(b"Kestrel"));
        assert!(!v.may_propagate_account(b"kestrel-config"));
        assert!(v.may_propagate_account(b"svc-kestrel-siem"));
        assert!(v.may_propagate_account(b"alice"));
        assert!(!v.may_propagate_account(b"admin"));
    }

    #[test]
    fn only_what_could_be_a_secret_is_propagated() {
        let v = vocab();
        for no in [
            &b"hunter2"[..],
            b"changeme",
            b"20261123",
            b"true",
            b"siem.corp.example",
            b"/var/lib/kestrel/keys",
            b"kestrel_version",
        ] {
            assert!(
                !v.may_propagate_secret(no),
                "{}",
                String::from_utf8_lossy(no)
            );
        }
        for yes in [
            &b"tnt-8e1f4c2a9b7d"[..],
            b"Wint3r-siem-pass-4471",
            b"correcthorsebatterystaple",
        ] {
            assert!(
                v.may_propagate_secret(yes),
                "{}",
                String::from_utf8_lossy(yes)
            );
        }
    }
}
