//! What one redactor remembers across everything it redacts: the number each masked value
//! got, so equal secrets read alike and different ones differently (`[REDACTED:token:1]`,
//! `[REDACTED:token:2]`), and which pseudonyms it minted for which values, for `reveal`.
//!
//! Numbers are handed out in the order values are first seen. The redaction pass goes
//! through items, and each item's name, source, detail and content, in a fixed order, so the
//! same input gives the same numbers, and the same bytes.

use std::collections::HashMap;
use std::sync::Mutex;

/// Hashing for tables keyed by values from the input: fast, and seeded per process.
type Hasher = foldhash::fast::RandomState;

/// The number of each value masked under one label.
type Numbers = HashMap<Vec<u8>, u32, Hasher>;

/// Numbers per label and minted pseudonyms. Shared by every engine a redactor runs.
#[derive(Debug, Default)]
pub(crate) struct Memo {
    numbers: Mutex<HashMap<String, Numbers, Hasher>>,
    /// Pseudonym to value, as bytes: turned into text once, when the map is saved.
    minted: Mutex<HashMap<Vec<u8>, Vec<u8>, Hasher>>,
}

impl Memo {
    /// The number of `value` under `label`: the one it already has, else the next one.
    pub(super) fn number(&self, label: &str, value: &[u8]) -> u32 {
        let mut numbers = self.numbers.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(per) = numbers.get_mut(label) {
            if let Some(&n) = per.get(value) {
                return n;
            }
            let next = per.len() as u32 + 1;
            per.insert(value.to_vec(), next);
            return next;
        }
        let mut per = HashMap::default();
        per.insert(value.to_vec(), 1);
        numbers.insert(label.to_string(), per);
        1
    }

    /// Record pseudonyms minted by one engine (pseudonym and the value it stands for); one
    /// already recorded keeps its first value.
    pub(super) fn absorb(&self, minted: Vec<(Vec<u8>, Vec<u8>)>) {
        if minted.is_empty() {
            return;
        }
        let mut all = self.minted.lock().unwrap_or_else(|e| e.into_inner());
        for (p, v) in minted {
            all.entry(p).or_insert(v);
        }
    }

    /// Call `f` with every pseudonym minted so far and its value.
    pub(super) fn with_minted<T>(
        &self,
        f: impl for<'m> FnOnce(&mut dyn Iterator<Item = (&'m [u8], &'m [u8])>) -> T,
    ) -> T {
        let all = self.minted.lock().unwrap_or_else(|e| e.into_inner());
        f(&mut all.iter().map(|(p, v)| (&p[..], &v[..])))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_follow_first_sight_per_label() {
        let m = Memo::default();
        assert_eq!(m.number("token", b"aaa"), 1);
        assert_eq!(m.number("token", b"bbb"), 2);
        assert_eq!(m.number("token", b"aaa"), 1);
        assert_eq!(m.number("password", b"bbb"), 1);
        assert_eq!(m.number("token", b"ccc"), 3);
    }
}
