//! `redaction-report.json`: how many values each rule replaced in each item. Never the values.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::Counts;

/// The report's `format` value.
pub const REPORT_FORMAT: &str = "support-bundle-redaction/1";

/// One entry's (or item's) replacements per rule.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ItemCounts {
    /// Replacements per rule id.
    pub rules: BTreeMap<String, u64>,
    /// Their sum.
    pub total: u64,
}

/// Distinct values key rules found: replaced bundle-wide, or only where found (words of the
/// spec's own, plain words, numbers, hosts, paths, short values). Never the values.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Learned {
    /// Replaced wherever they occur.
    pub propagated: u64,
    /// Replaced only where a key rule found them.
    pub not_propagated: u64,
}

/// `redaction-report.json`: replacements per entry and rule, and the sums. Never values.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Report {
    /// Always [`REPORT_FORMAT`].
    pub format: String,
    /// Per entry path (or item id when nothing was stored).
    pub items: BTreeMap<String, ItemCounts>,
    /// Learned values, propagated or not (keys stay sorted: this field sits here).
    #[serde(default)]
    pub learned: Learned,
    /// Per rule, across items.
    pub rules: BTreeMap<String, u64>,
    /// Every replacement.
    pub total: u64,
}

impl Report {
    /// Add `counts` under `key` (merging with what is there); empty counts add nothing.
    pub fn add(&mut self, key: &str, counts: &Counts) {
        if counts.total() == 0 {
            return;
        }
        let item = self.items.entry(key.to_string()).or_default();
        for (rule, n) in counts.by_rule() {
            *item.rules.entry(rule.clone()).or_default() += n;
            *self.rules.entry(rule).or_default() += n;
            item.total += n;
            self.total += n;
        }
    }

    /// Move the counts recorded under `from` to `to` (an entry renamed by re-redaction).
    pub fn rename(&mut self, from: &str, to: &str) {
        if from == to {
            return;
        }
        if let Some(moved) = self.items.remove(from) {
            let item = self.items.entry(to.to_string()).or_default();
            for (rule, n) in moved.rules {
                *item.rules.entry(rule).or_default() += n;
            }
            item.total += moved.total;
        }
    }

    /// Read a report; `None` when the bytes are not one.
    pub fn parse(bytes: &[u8]) -> Option<Report> {
        serde_json::from_slice(bytes).ok()
    }

    /// Canonical JSON (sorted keys, two-space indent, trailing newline).
    pub fn to_json(&self) -> String {
        let report = Report {
            format: REPORT_FORMAT.to_string(),
            ..self.clone()
        };
        let mut s = serde_json::to_string_pretty(&report).unwrap_or_default();
        s.push('\n');
        s
    }

    /// Write [`Report::to_json`] to `path` atomically (temp file and rename), mode 0600.
    pub fn write_to(&self, path: &std::path::Path) -> std::io::Result<()> {
        crate::atomic::write(path, self.to_json().as_bytes(), crate::atomic::PRIVATE)
    }
}

/// Render `redaction-report.json` for per-item counts.
pub fn report_json(items: &BTreeMap<String, Counts>) -> String {
    let mut report = Report::default();
    for (key, counts) in items {
        report.add(key, counts);
    }
    report.to_json()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn report_is_sorted_and_sums() {
        let mut a = Counts::default();
        a.add("password", 2);
        a.add("aws-access-key-id", 1);
        let mut b = Counts::default();
        b.add("password", 3);
        let mut items = BTreeMap::new();
        items.insert("z-item".to_string(), a);
        items.insert("a-item".to_string(), b);
        let s = report_json(&items);
        let v: serde_json::Value = serde_json::from_str(&s).unwrap();
        assert_eq!(v["total"], 6);
        assert_eq!(v["rules"]["password"], 5);
        assert_eq!(v["items"]["z-item"]["total"], 3);
        assert!(s.find("a-item").unwrap() < s.find("z-item").unwrap());
        assert!(s.rfind("aws-access-key-id").unwrap() < s.rfind("\"password\"").unwrap());
        assert_eq!(s, report_json(&items));
    }
}
