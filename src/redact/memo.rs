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
    /// Pseudonyms and their values, as bytes: turned into text once, when the map is saved.
    minted: Mutex<Minted>,
}

/// Pseudonyms and the values they stand for, in one buffer: a run over a large log mints
/// tens of thousands, and two allocations each cost more to make, hash into a map and free
/// than everything else done with them.
#[derive(Debug, Default)]
pub(crate) struct Minted {
    bytes: Vec<u8>,
    /// Per entry: where its pseudonym starts, where its value starts, where it ends.
    spans: Vec<(usize, usize, usize)>,
    /// How many entries were sorted and unique when last tidied.
    tidy: usize,
}

impl Minted {
    /// Record that `pseudonym` stands for `value`.
    pub(crate) fn push(&mut self, pseudonym: &[u8], value: &[u8]) {
        let start = self.bytes.len();
        self.bytes.extend_from_slice(pseudonym);
        self.bytes.extend_from_slice(value);
        self.spans
            .push((start, start + pseudonym.len(), self.bytes.len()));
    }

    /// No entries.
    pub(crate) fn is_empty(&self) -> bool {
        self.spans.is_empty()
    }

    /// Entries as (pseudonym, value); sorted by pseudonym, each once, after [`Minted::tidy`].
    pub(crate) fn iter(&self) -> impl Iterator<Item = (&[u8], &[u8])> {
        self.spans
            .iter()
            .map(|&(s, m, e)| (&self.bytes[s..m], &self.bytes[m..e]))
    }

    /// Add `other`'s entries. Duplicates (the same value minted by two engines) are dropped
    /// whenever the entries double, so they never take more than twice the room.
    fn append(&mut self, other: Minted) {
        if self.spans.is_empty() {
            *self = Minted { tidy: 0, ..other };
        } else {
            let shift = self.bytes.len();
            self.bytes.extend_from_slice(&other.bytes);
            self.spans.extend(
                other
                    .spans
                    .iter()
                    .map(|&(s, m, e)| (s + shift, m + shift, e + shift)),
            );
        }
        if self.spans.len() >= 2 * self.tidy.max(1 << 12) {
            self.tidy();
        }
    }

    /// Sort by pseudonym and keep one value per pseudonym: the least, so which engine
    /// minted it first does not matter. (Two values share a pseudonym only when their MACs
    /// share 24 bits.)
    pub(crate) fn tidy(&mut self) {
        if self.tidy == self.spans.len() {
            return;
        }
        let bytes = &self.bytes;
        let key = |&(s, m, e): &(usize, usize, usize)| (&bytes[s..m], &bytes[m..e]);
        // The first eight bytes of each pseudonym as a number that sorts as they do
        // (zero-padded, big-endian): most comparisons end there, without reading the buffer.
        let head = |&(s, m, _): &(usize, usize, usize)| {
            let mut h = [0u8; 8];
            let p = &bytes[s..m.min(s + 8)];
            h[..p.len()].copy_from_slice(p);
            u64::from_be_bytes(h)
        };
        let mut order: Vec<(u64, (usize, usize, usize))> =
            self.spans.iter().map(|sp| (head(sp), *sp)).collect();
        order.sort_unstable_by(|a, b| a.0.cmp(&b.0).then_with(|| key(&a.1).cmp(&key(&b.1))));
        self.spans.clear();
        self.spans.extend(order.into_iter().map(|(_, sp)| sp));
        self.spans
            .dedup_by(|b, a| bytes[a.0..a.1] == bytes[b.0..b.1]);
        let mut packed = Vec::with_capacity(self.spans.iter().map(|&(s, _, e)| e - s).sum());
        for span in &mut self.spans {
            let (s, m, e) = *span;
            let start = packed.len();
            packed.extend_from_slice(&bytes[s..e]);
            *span = (start, start + m - s, start + e - s);
        }
        self.bytes = packed;
        self.tidy = self.spans.len();
    }
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

    /// Record pseudonyms minted by one engine (pseudonym and the value it stands for).
    pub(super) fn absorb(&self, minted: Minted) {
        if minted.is_empty() {
            return;
        }
        let mut all = self.minted.lock().unwrap_or_else(|e| e.into_inner());
        all.append(minted);
    }

    /// Call `f` with every pseudonym minted so far, sorted and each once (see
    /// [`Minted::tidy`]).
    pub(super) fn with_minted<T>(&self, f: impl FnOnce(&Minted) -> T) -> T {
        let mut all = self.minted.lock().unwrap_or_else(|e| e.into_inner());
        all.tidy();
        f(&all)
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

    #[test]
    fn minted_entries_end_sorted_once_each_whatever_the_order() {
        let entries: Vec<(String, String)> = (0..10_000)
            .map(|i| {
                (
                    format!("ip-{:06x}", (i * 7919) % 6000),
                    format!("10.0.{}.{}", i / 250, i % 250),
                )
            })
            .collect();
        let mut want: Vec<(String, String)> = entries.clone();
        want.sort();
        want.dedup_by(|b, a| a.0 == b.0);
        for order in [false, true] {
            let memo = Memo::default();
            let mut list = entries.clone();
            if order {
                list.reverse();
            }
            // In blocks, as engines hand them over.
            for block in list.chunks(700) {
                let mut m = Minted::default();
                for (p, v) in block {
                    m.push(p.as_bytes(), v.as_bytes());
                }
                memo.absorb(m);
            }
            let got: Vec<(String, String)> = memo.with_minted(|m| {
                m.iter()
                    .map(|(p, v)| {
                        (
                            String::from_utf8_lossy(p).into(),
                            String::from_utf8_lossy(v).into(),
                        )
                    })
                    .collect()
            });
            assert_eq!(got, want);
        }
    }
}
