//! `diff A B`: what changed between two bundles ("works on 1.2, broke on 1.3").
//!
//! Facts are compared by name; items by their zip path (or id when nothing was stored), so
//! each match of a glob is its own row; checks by id. A text item whose content changed gets
//! a unified diff computed on at most [`Options::max_input`] bytes of each side (streamed from
//! the entry, never the whole of a large one) and cut to [`Options::max_lines`] lines. Binary
//! items only say that their hash changed. Strings are escaped at render time.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io::Read;

use serde::Serialize;

use super::manifest::{ItemRecord, Manifest};
use super::reader::{Bundle, ReadError};
use super::sha256_hex;
use crate::sanitize::for_terminal;

/// Bounds on the text diffs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Options {
    /// Bytes read from each side of a changed text item.
    pub max_input: u64,
    /// Lines of unified diff kept per item.
    pub max_lines: usize,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            max_input: 1024 * 1024,
            max_lines: 200,
        }
    }
}

/// One side of the comparison.
#[derive(Debug, Clone, Serialize)]
pub struct Side {
    /// Bundle id.
    pub id: String,
    /// Project name.
    pub project: String,
    /// Version of the tool that wrote it.
    pub tool_version: String,
}

/// A fact that differs (absent on one side is `None`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FactChange {
    /// The fact.
    pub name: String,
    /// Its value in A.
    pub a: Option<String>,
    /// Its value in B.
    pub b: Option<String>,
}

/// An item added, removed or changed.
#[derive(Debug, Clone, Serialize)]
pub struct ItemChange {
    /// The item's id.
    pub id: String,
    /// Its zip path, when content was stored on either side.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    /// `added`, `removed` or `changed`.
    pub change: &'static str,
    /// Status in A and B.
    pub status: (Option<String>, Option<String>),
    /// Stored size in A and B.
    pub size: (Option<u64>, Option<u64>),
    /// Whether content is stored in A and in B.
    pub stored: (bool, bool),
    /// Whether the stored content differs.
    pub content_changed: bool,
    /// A bounded unified diff, for text content that changed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub text_diff: Option<String>,
    /// Lines left out of `text_diff`, or inputs cut to the read cap.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub truncated: Option<String>,
}

/// A check whose outcome differs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CheckChange {
    /// The check.
    pub id: String,
    /// Outcome in A.
    pub a: Option<String>,
    /// Outcome in B.
    pub b: Option<String>,
}

/// Everything that differs between A and B.
#[derive(Debug, Clone, Serialize)]
pub struct BundleDiff {
    /// Bundle A.
    pub a: Side,
    /// Bundle B.
    pub b: Side,
    /// Differing facts, by name.
    pub facts: Vec<FactChange>,
    /// Items added, removed or changed.
    pub items: Vec<ItemChange>,
    /// Checks whose outcome changed.
    pub checks: Vec<CheckChange>,
}

impl BundleDiff {
    /// Whether nothing differs.
    pub fn is_empty(&self) -> bool {
        self.facts.is_empty() && self.items.is_empty() && self.checks.is_empty()
    }
}

/// Compare bundle `a` with bundle `b`.
pub fn diff(a: &mut Bundle, b: &mut Bundle, opts: Options) -> Result<BundleDiff, ReadError> {
    let (ma, bytes_a) = a.manifest()?;
    let (mb, bytes_b) = b.manifest()?;
    let side = |m: &Manifest, bytes: &[u8]| Side {
        id: sha256_hex(bytes),
        project: m.project.name.clone(),
        tool_version: m.tool.version.clone(),
    };
    let mut facts = Vec::new();
    let names: std::collections::BTreeSet<&String> =
        ma.facts.keys().chain(mb.facts.keys()).collect();
    for name in names {
        let va = ma.facts.get(name).map(|f| f.value.clone());
        let vb = mb.facts.get(name).map(|f| f.value.clone());
        if va != vb {
            facts.push(FactChange {
                name: name.clone(),
                a: va,
                b: vb,
            });
        }
    }

    // An item id with one record per side is matched by id (its path may come and go with
    // its status); ids with several records (glob matches) are matched by path.
    let count = |m: &Manifest, id: &str| m.items.iter().filter(|i| i.id == id).count();
    let key = |i: &ItemRecord| {
        if count(&ma, &i.id) <= 1 && count(&mb, &i.id) <= 1 {
            format!("({})", i.id)
        } else {
            i.path.clone().unwrap_or_else(|| format!("({})", i.id))
        }
    };
    let items_a: BTreeMap<String, &ItemRecord> = ma.items.iter().map(|i| (key(i), i)).collect();
    let items_b: BTreeMap<String, &ItemRecord> = mb.items.iter().map(|i| (key(i), i)).collect();
    // Spec order of A, then B's new ones in its order.
    let mut order: Vec<String> = ma.items.iter().map(key).collect();
    order.extend(
        mb.items
            .iter()
            .map(key)
            .filter(|k| !items_a.contains_key(k)),
    );
    let mut items = Vec::new();
    for k in order {
        let (ia, ib) = (items_a.get(&k).copied(), items_b.get(&k).copied());
        let content_changed =
            ia.and_then(|i| i.sha256.as_ref()) != ib.and_then(|i| i.sha256.as_ref());
        let change = match (ia, ib) {
            (Some(_), None) => "removed",
            (None, Some(_)) => "added",
            (Some(x), Some(y))
                if x.status != y.status || content_changed || x.detail != y.detail =>
            {
                "changed"
            }
            _ => continue,
        };
        let any = ia.or(ib).map_or_else(String::new, |i| i.id.clone());
        let mut row = ItemChange {
            id: any,
            path: ia
                .and_then(|i| i.path.clone())
                .or_else(|| ib.and_then(|i| i.path.clone())),
            change,
            status: (
                ia.map(|i| i.status.as_str().to_string()),
                ib.map(|i| i.status.as_str().to_string()),
            ),
            size: (ia.map(|i| i.size), ib.map(|i| i.size)),
            stored: (
                ia.is_some_and(|i| i.sha256.is_some()),
                ib.is_some_and(|i| i.sha256.is_some()),
            ),
            content_changed,
            text_diff: None,
            truncated: None,
        };
        if let (Some(x), Some(y)) = (ia, ib)
            && content_changed
            && !x.binary
            && !y.binary
            && let (Some(pa), Some(pb)) = (&x.path, &y.path)
        {
            let (ta, cut_a) = read_prefix(a, pa, opts.max_input)?;
            let (tb, cut_b) = read_prefix(b, pb, opts.max_input)?;
            let (text, left_out) = unified(&ta, &tb, pa, pb, opts.max_lines);
            row.text_diff = Some(text);
            let mut notes = Vec::new();
            if cut_a || cut_b {
                notes.push(format!("compared the first {} bytes", opts.max_input));
            }
            if left_out > 0 {
                notes.push(format!("{left_out} more diff lines not shown"));
            }
            row.truncated = (!notes.is_empty()).then(|| notes.join("; "));
        }
        items.push(row);
    }

    let outcomes = |m: &Manifest| -> BTreeMap<String, String> {
        m.checks
            .iter()
            .map(|c| (c.id.clone(), c.outcome.to_string()))
            .collect()
    };
    let (ca, cb) = (outcomes(&ma), outcomes(&mb));
    let ids: std::collections::BTreeSet<&String> = ca.keys().chain(cb.keys()).collect();
    let checks = ids
        .into_iter()
        .filter(|id| ca.get(*id) != cb.get(*id))
        .map(|id| CheckChange {
            id: id.clone(),
            a: ca.get(id).cloned(),
            b: cb.get(id).cloned(),
        })
        .collect();
    Ok(BundleDiff {
        a: side(&ma, &bytes_a),
        b: side(&mb, &bytes_b),
        facts,
        items,
        checks,
    })
}

/// At most `max` bytes of an entry as text, and whether it was cut.
fn read_prefix(bundle: &mut Bundle, name: &str, max: u64) -> Result<(String, bool), ReadError> {
    let size = bundle.entry(name).map_or(0, |e| e.size);
    let reader = bundle.open_entry(name)?;
    let mut data = Vec::new();
    let mut limited = reader.take(max);
    if let Err(e) = limited.read_to_end(&mut data) {
        return Err(limited.into_inner().error(e));
    }
    Ok((String::from_utf8_lossy(&data).into_owned(), size > max))
}

/// A unified diff with 3 lines of context, cut to `max_lines`; returns the lines left out.
fn unified(a: &str, b: &str, name_a: &str, name_b: &str, max_lines: usize) -> (String, usize) {
    let diff = similar::TextDiff::from_lines(a, b);
    let text = diff
        .unified_diff()
        .context_radius(3)
        .header(&format!("a/{name_a}"), &format!("b/{name_b}"))
        .to_string();
    let total = text.lines().count();
    if total <= max_lines {
        return (text, 0);
    }
    let mut out = String::new();
    for line in text.lines().take(max_lines) {
        out.push_str(line);
        out.push('\n');
    }
    (out, total - max_lines)
}

/// The text report.
pub fn render(d: &BundleDiff) -> String {
    let s = |t: &str| for_terminal(t).into_owned();
    let opt = |v: &Option<String>| v.as_deref().map_or_else(|| "(absent)".to_string(), s);
    let mut out = String::new();
    let _ = writeln!(
        out,
        "a: {} bundle {} (support-bundle {})",
        s(&d.a.project),
        &d.a.id[..12],
        s(&d.a.tool_version)
    );
    let _ = writeln!(
        out,
        "b: {} bundle {} (support-bundle {})",
        s(&d.b.project),
        &d.b.id[..12],
        s(&d.b.tool_version)
    );
    if d.is_empty() {
        let _ = writeln!(out, "no differences in facts, items or checks");
        return out;
    }
    if !d.facts.is_empty() {
        let _ = writeln!(out, "facts");
        let width = d.facts.iter().map(|f| f.name.len()).max().unwrap_or(0);
        for f in &d.facts {
            let _ = writeln!(
                out,
                "  {:width$}  {} -> {}",
                s(&f.name),
                opt(&f.a),
                opt(&f.b)
            );
        }
    }
    if !d.items.is_empty() {
        let _ = writeln!(out, "items");
        for i in &d.items {
            let what = i
                .path
                .as_deref()
                .map_or_else(|| s(&i.id), |p| format!("{} {}", s(&i.id), s(p)));
            let status = match &i.status {
                (Some(x), Some(y)) if x != y => format!(" status {x} -> {y}"),
                (Some(x), Some(_)) => format!(" status {x}"),
                (Some(x), None) | (None, Some(x)) => format!(" status {x}"),
                (None, None) => String::new(),
            };
            let content = match (i.change, i.content_changed, i.stored, i.size) {
                ("changed", true, (true, true), (Some(x), Some(y))) => {
                    format!(", content changed ({x} -> {y} bytes)")
                }
                ("changed", true, (true, false), _) => ", content no longer stored".into(),
                ("changed", true, (false, true), _) => ", content now stored".into(),
                _ => String::new(),
            };
            let _ = writeln!(out, "  {:<8} {what}{status}{content}", i.change);
            if let Some(text) = &i.text_diff {
                for line in text.lines() {
                    let _ = writeln!(out, "    {}", s(line));
                }
            }
            if let Some(note) = &i.truncated {
                let _ = writeln!(out, "    ({})", s(note));
            }
        }
    }
    if !d.checks.is_empty() {
        let _ = writeln!(out, "checks");
        for c in &d.checks {
            let _ = writeln!(out, "  {}  {} -> {}", s(&c.id), opt(&c.a), opt(&c.b));
        }
    }
    out
}
