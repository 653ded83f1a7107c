//! `redaction-report.json`: how many values each rule replaced in each item. Never the values.

use std::collections::BTreeMap;

use serde::Serialize;

use super::Counts;

/// Report format name, for readers to check.
pub const REPORT_FORMAT: &str = "support-bundle-redaction/1";

#[derive(Serialize)]
struct Item {
    rules: BTreeMap<String, u64>,
    total: u64,
}

#[derive(Serialize)]
struct Report {
    format: &'static str,
    items: BTreeMap<String, Item>,
    rules: BTreeMap<String, u64>,
    total: u64,
}

/// Render `redaction-report.json` for counts keyed by item id: canonical JSON (sorted keys,
/// two-space indent, trailing newline), so the same counts give the same bytes.
///
/// Shape: `{"format": ..., "items": {id: {"rules": {rule: n}, "total": n}}, "rules": {rule:
/// n}, "total": n}` where the top-level `rules` sums over items.
pub fn report_json(items: &BTreeMap<String, Counts>) -> String {
    let mut all = Counts::default();
    let items = items
        .iter()
        .map(|(id, c)| {
            all.merge(c);
            let item = Item {
                rules: c.by_rule(),
                total: c.total(),
            };
            (id.clone(), item)
        })
        .collect();
    let report = Report {
        format: REPORT_FORMAT,
        items,
        rules: all.by_rule(),
        total: all.total(),
    };
    // Serializing maps of strings and integers cannot fail.
    let mut s = serde_json::to_string_pretty(&report).unwrap_or_default();
    s.push('\n');
    s
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
