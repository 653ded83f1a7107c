//! `diff A B`: what changed between two bundles ("works on 1.2, broke on 1.3").
//!
//! Facts are compared by name; items by their zip path (or id when nothing was stored), so
//! each match of a glob is its own row; checks by id. A text item whose content changed gets
//! a unified diff computed on at most [`Options::max_input`] bytes of each side (streamed from
//! the entry, never the whole of a large one) and cut to [`Options::max_lines`] lines. Binary
//! items only say that their hash changed. Strings are escaped at render time.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt::Write as _;
use std::io::Read;
use std::time::{Duration, Instant};

use serde::Serialize;

use super::manifest::{ItemRecord, Manifest};
use super::reader::{Bundle, ReadError};
use super::sha256_hex;
use crate::sanitize::for_terminal;

/// Bounds on the text diffs: [`Options::default`], then the `with_*` methods.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Options {
    /// Bytes read from each side of a changed text item.
    pub max_input: u64,
    /// Lines of unified diff kept per item.
    pub max_lines: usize,
    /// Time all text diffs of one comparison may take together; past it a diff is coarser,
    /// and items after it only say that their content changed.
    pub max_diff_time: Duration,
}

impl Options {
    builder_methods! {
        /// Bytes read from each side of a changed text item.
        with_max_input => max_input: u64;
        /// Lines of unified diff kept per item.
        with_max_lines => max_lines: usize;
        /// Time all text diffs of one comparison may take together.
        with_max_diff_time => max_diff_time: Duration;
    }
}

impl Default for Options {
    fn default() -> Self {
        Options {
            max_input: 1024 * 1024,
            max_lines: 200,
            max_diff_time: Duration::from_secs(5),
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
    // Time left for the text diffs of this comparison.
    let mut budget = opts.max_diff_time;
    let mut items = Vec::new();
    for (ia, ib) in matched_items(&ma, &mb) {
        let Some(mut row) = item_change(ia, ib) else {
            continue;
        };
        if let (Some(x), Some(y)) = (ia, ib)
            && row.content_changed
            && !x.binary
            && !y.binary
            && let (Some(pa), Some(pb)) = (&x.path, &y.path)
        {
            text_diff(&mut row, (a, pa), (b, pb), opts, &mut budget)?;
        }
        items.push(row);
    }
    Ok(BundleDiff {
        a: side(&ma, &bytes_a),
        b: side(&mb, &bytes_b),
        facts: fact_changes(&ma, &mb),
        items,
        checks: check_changes(&ma, &mb),
    })
}

fn side(m: &Manifest, bytes: &[u8]) -> Side {
    Side {
        id: sha256_hex(bytes),
        project: m.project.name.clone(),
        tool_version: m.tool.version.clone(),
    }
}

/// Facts whose values differ, by name.
fn fact_changes(ma: &Manifest, mb: &Manifest) -> Vec<FactChange> {
    let names: BTreeSet<&String> = ma.facts.keys().chain(mb.facts.keys()).collect();
    names
        .into_iter()
        .filter_map(|name| {
            let va = ma.facts.get(name).map(|f| f.value.clone());
            let vb = mb.facts.get(name).map(|f| f.value.clone());
            (va != vb).then(|| FactChange {
                name: name.clone(),
                a: va,
                b: vb,
            })
        })
        .collect()
}

/// Checks whose outcomes differ, by id.
fn check_changes(ma: &Manifest, mb: &Manifest) -> Vec<CheckChange> {
    let outcomes = |m: &Manifest| -> BTreeMap<String, String> {
        m.checks
            .iter()
            .map(|c| (c.id.clone(), c.outcome.to_string()))
            .collect()
    };
    let (ca, cb) = (outcomes(ma), outcomes(mb));
    let ids: BTreeSet<&String> = ca.keys().chain(cb.keys()).collect();
    ids.into_iter()
        .filter(|id| ca.get(*id) != cb.get(*id))
        .map(|id| CheckChange {
            id: id.clone(),
            a: ca.get(id).cloned(),
            b: cb.get(id).cloned(),
        })
        .collect()
}

/// Item records of A and B paired up: in A's order, then B's new ones in its order.
///
/// An item id with one record per side is matched by id (its path may come and go with its
/// status); ids with several records (glob matches) are matched by path. Counting and lookup
/// go through maps, so a manifest with very many items costs n log n, not n².
fn matched_items<'m>(
    ma: &'m Manifest,
    mb: &'m Manifest,
) -> Vec<(Option<&'m ItemRecord>, Option<&'m ItemRecord>)> {
    let id_counts = |m: &'m Manifest| {
        let mut counts: HashMap<&'m str, usize> = HashMap::new();
        for i in &m.items {
            *counts.entry(i.id.as_str()).or_default() += 1;
        }
        counts
    };
    let (count_a, count_b) = (id_counts(ma), id_counts(mb));
    let single = |counts: &HashMap<&str, usize>, id: &str| counts.get(id).is_none_or(|&n| n <= 1);
    let key = |i: &ItemRecord| {
        if single(&count_a, &i.id) && single(&count_b, &i.id) {
            format!("({})", i.id)
        } else {
            i.path.clone().unwrap_or_else(|| format!("({})", i.id))
        }
    };
    let keys_a: Vec<String> = ma.items.iter().map(key).collect();
    let keys_b: Vec<String> = mb.items.iter().map(key).collect();
    // Like any map built from a list, a key seen twice keeps its last record.
    let items_a: HashMap<&str, &ItemRecord> =
        keys_a.iter().map(String::as_str).zip(&ma.items).collect();
    let items_b: HashMap<&str, &ItemRecord> =
        keys_b.iter().map(String::as_str).zip(&mb.items).collect();
    keys_a
        .iter()
        .chain(keys_b.iter().filter(|k| !items_a.contains_key(k.as_str())))
        .map(|k| {
            (
                items_a.get(k.as_str()).copied(),
                items_b.get(k.as_str()).copied(),
            )
        })
        .collect()
}

/// The row for a matched pair, or `None` when nothing about it changed.
fn item_change(ia: Option<&ItemRecord>, ib: Option<&ItemRecord>) -> Option<ItemChange> {
    let content_changed = ia.and_then(|i| i.sha256.as_ref()) != ib.and_then(|i| i.sha256.as_ref());
    let change = match (ia, ib) {
        (Some(_), None) => "removed",
        (None, Some(_)) => "added",
        (Some(x), Some(y)) if x.status != y.status || content_changed || x.detail != y.detail => {
            "changed"
        }
        _ => return None,
    };
    Some(ItemChange {
        id: ia.or(ib).map_or_else(String::new, |i| i.id.clone()),
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
    })
}

/// Fill in the bounded unified diff of a changed text item, and say what was left out.
fn text_diff(
    row: &mut ItemChange,
    (a, pa): (&mut Bundle, &str),
    (b, pb): (&mut Bundle, &str),
    opts: Options,
    budget: &mut Duration,
) -> Result<(), ReadError> {
    if budget.is_zero() {
        row.truncated = Some("not diffed: the time for text diffs ran out".into());
        return Ok(());
    }
    let (ta, cut_a) = read_prefix(a, pa, opts.max_input)?;
    let (tb, cut_b) = read_prefix(b, pb, opts.max_input)?;
    let started = Instant::now();
    let (text, left_out) = unified(&ta, &tb, pa, pb, opts.max_lines, *budget);
    let spent = started.elapsed();
    *budget = budget.saturating_sub(spent);
    row.text_diff = Some(text);
    let mut notes = Vec::new();
    if cut_a || cut_b {
        notes.push(format!("compared the first {} bytes", opts.max_input));
    }
    if budget.is_zero() {
        // Past the deadline the diff falls back to coarser hunks: still correct, less minimal.
        notes.push("diff is approximate: the time for text diffs ran out".into());
    }
    if left_out > 0 {
        notes.push(format!("{left_out} more diff lines not shown"));
    }
    row.truncated = (!notes.is_empty()).then(|| notes.join("; "));
    Ok(())
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
/// Past `timeout` the line matching stops refining and the hunks come out coarser.
fn unified(
    a: &str,
    b: &str,
    name_a: &str,
    name_b: &str,
    max_lines: usize,
    timeout: Duration,
) -> (String, usize) {
    let diff = similar::TextDiff::configure()
        .timeout(timeout)
        .diff_lines(a, b);
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
