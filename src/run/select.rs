//! Narrowing a spec for one run: which items (`--only`, `--skip`) and how much of each log
//! (`--since`, `--lines`).
//!
//! Log items are the spec's `log = true` items. A file log keeps its last `--lines` lines. A
//! journal log (a command whose program is `journalctl`) gets `-n N` and `--since WHEN` in
//! its argv, replacing the spec's own. `--since` applies to journal logs only: a file's lines
//! carry no timestamp format this tool could rely on.

use crate::item::Kind;
use crate::spec::{Item, Spec};

/// Why a selection or log window does not apply to a spec.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SelectError {
    /// `--only`/`--skip` names an id the spec does not have.
    #[error("spec `{spec}` has no item `{id}` (its items: {})", .known.join(", "))]
    UnknownItem {
        /// The spec's project name.
        spec: String,
        /// The id given.
        id: String,
        /// The spec's item ids, in spec order.
        known: Vec<String>,
    },
    /// A kept item reads paths from an item left out.
    #[error(
        "item `{item}` reads its paths from `{source_item}`, which is not selected; select `{source_item}` too"
    )]
    NeedsSource {
        /// The kept item.
        item: String,
        /// The item it follows.
        source_item: String,
    },
    /// Nothing is left to collect.
    #[error("the selection leaves no item to collect")]
    Empty,
    /// `--since` is neither a duration nor a date.
    #[error(
        "`{0}` is not a duration (30m, 2h, 1d, 1w) or a date (2026-01-31, 2026-01-31 14:00[:00])"
    )]
    BadSince(String),
}

/// Which items to collect: all of them, only some, or all but some. [`Selection::default`]
/// (all), then the `with_*` methods.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Selection {
    /// When non-empty, only these ids.
    pub only: Vec<String>,
    /// These ids are left out.
    pub skip: Vec<String>,
}

impl Selection {
    builder_methods! {
        /// When non-empty, only these ids.
        with_only => only: Vec<String>;
        /// These ids are left out.
        with_skip => skip: Vec<String>;
    }

    /// Keep the selected items of `spec`, in spec order.
    pub fn apply(&self, spec: &mut Spec) -> Result<(), SelectError> {
        for id in self.only.iter().chain(&self.skip) {
            if spec.item(id).is_none() {
                return Err(SelectError::UnknownItem {
                    spec: spec.project.name.clone(),
                    id: id.clone(),
                    known: spec.items.iter().map(|i| i.id.clone()).collect(),
                });
            }
        }
        let keep = |i: &Item| {
            (self.only.is_empty() || self.only.contains(&i.id)) && !self.skip.contains(&i.id)
        };
        spec.items.retain(keep);
        for item in &spec.items {
            if let Some(from) = &item.from
                && spec.item(&from.item).is_none()
            {
                return Err(SelectError::NeedsSource {
                    item: item.id.clone(),
                    source_item: from.item.clone(),
                });
            }
        }
        if spec.items.is_empty() {
            return Err(SelectError::Empty);
        }
        Ok(())
    }
}

/// How much of each log item to collect.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct LogWindow {
    /// Journal entries since this time, as `journalctl --since` takes it.
    pub since: Option<String>,
    /// The last N lines (file logs) or entries (journal logs).
    pub lines: Option<u64>,
}

impl LogWindow {
    /// A window from `--since` (a duration such as `2h`, or a date) and `--lines`.
    pub fn new(since: Option<&str>, lines: Option<u64>) -> Result<LogWindow, SelectError> {
        let since = since.map(journal_since).transpose()?;
        Ok(LogWindow { since, lines })
    }

    /// Apply the window to `spec`'s log items; returns how many journal logs `--since`
    /// applied to (none means it had nothing to narrow).
    pub fn apply(&self, spec: &mut Spec) -> usize {
        let mut journals = 0;
        for item in spec.items.iter_mut().filter(|i| i.log) {
            match item.kind {
                Kind::File => {
                    if let Some(n) = self.lines {
                        item.tail_lines = Some(n);
                    }
                }
                Kind::Command if is_journalctl(item) => {
                    if let Some(n) = self.lines {
                        set_option(&mut item.argv, &["-n", "--lines"], &n.to_string());
                    }
                    if let Some(since) = &self.since {
                        set_option(&mut item.argv, &["--since", "-S"], since);
                        journals += 1;
                    }
                }
                _ => {}
            }
        }
        journals
    }
}

fn is_journalctl(item: &Item) -> bool {
    item.argv
        .first()
        .and_then(|p| std::path::Path::new(p).file_name())
        .is_some_and(|n| n == "journalctl")
}

/// Set option `names[0]` to `value` in `argv`: replace the value of any spelling of it
/// (`-n 10`, `--lines=10`), else append it.
fn set_option(argv: &mut Vec<String>, names: &[&str], value: &str) {
    let mut found = false;
    let mut i = 1;
    while i < argv.len() {
        let arg = &argv[i];
        if names.contains(&arg.as_str()) && i + 1 < argv.len() {
            argv[i + 1] = value.to_string();
            found = true;
            i += 2;
            continue;
        }
        if let Some(name) = names
            .iter()
            .find(|n| n.starts_with("--") && arg.starts_with(&format!("{n}=")))
        {
            argv[i] = format!("{name}={value}");
            found = true;
        }
        i += 1;
    }
    if !found {
        argv.push(names[0].to_string());
        argv.push(value.to_string());
    }
}

/// `--since` as journalctl reads it: a duration becomes a relative time (`2h` → `-2h`), a
/// date stays a date (`T` becomes a space, which every journalctl reads).
fn journal_since(value: &str) -> Result<String, SelectError> {
    let bad = || SelectError::BadSince(value.to_string());
    let v = value.trim();
    if let Some(unit_at) = v.find(|c: char| !c.is_ascii_digit())
        && unit_at > 0
        && v[..unit_at].parse::<u32>().is_ok()
    {
        let unit = match &v[unit_at..] {
            "s" => "s",
            "m" | "min" => "min",
            "h" => "h",
            "d" => "d",
            "w" => "w",
            _ => return date(v).ok_or_else(bad),
        };
        return Ok(format!("-{}{unit}", &v[..unit_at]));
    }
    date(v).ok_or_else(bad)
}

/// `YYYY-MM-DD`, optionally followed by ` ` or `T` and `HH:MM` or `HH:MM:SS`.
fn date(v: &str) -> Option<String> {
    let (day, time) = match v.split_once(['T', ' ']) {
        Some((d, t)) => (d, Some(t)),
        None => (v, None),
    };
    let fields = |s: &str, sep: char, widths: &[usize]| {
        let parts: Vec<&str> = s.split(sep).collect();
        parts.len() == widths.len()
            && parts
                .iter()
                .zip(widths)
                .all(|(p, w)| p.len() == *w && p.bytes().all(|b| b.is_ascii_digit()))
    };
    if !fields(day, '-', &[4, 2, 2]) {
        return None;
    }
    match time {
        None => Some(day.to_string()),
        Some(t) if fields(t, ':', &[2, 2]) || fields(t, ':', &[2, 2, 2]) => {
            Some(format!("{day} {t}"))
        }
        Some(_) => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SPEC: &str = r#"
schema = 1
[project]
name = "demo"
[[collect]]
id = "journal"
kind = "command"
argv = ["journalctl", "-u", "demo", "-n", "1000", "--no-pager"]
log = true
[[collect]]
id = "errors"
kind = "command"
argv = ["journalctl", "-u", "demo", "-p", "err", "-n", "10"]
[[collect]]
id = "conf"
kind = "file"
path = "demo.conf"
[[collect]]
id = "included"
kind = "file"
from = { item = "conf", regex = 'include (\S+)' }
[[collect]]
id = "app-log"
kind = "file"
path = "app.log"
tail_lines = 1000
log = true
"#;

    fn spec() -> Spec {
        crate::spec::parse("demo.toml", SPEC).unwrap()
    }

    fn ids(spec: &Spec) -> Vec<&str> {
        spec.items.iter().map(|i| i.id.as_str()).collect()
    }

    #[test]
    fn only_and_skip_keep_spec_order_and_refuse_unknown_ids() {
        let mut s = spec();
        let sel = Selection {
            only: vec!["app-log".into(), "journal".into()],
            skip: vec![],
        };
        sel.apply(&mut s).unwrap();
        assert_eq!(ids(&s), ["journal", "app-log"]);

        let mut s = spec();
        let sel = Selection {
            only: vec![],
            skip: vec!["errors".into()],
        };
        sel.apply(&mut s).unwrap();
        assert_eq!(ids(&s), ["journal", "conf", "included", "app-log"]);

        let err = Selection {
            only: vec!["jurnal".into()],
            skip: vec![],
        }
        .apply(&mut spec())
        .unwrap_err();
        assert_eq!(
            err.to_string(),
            "spec `demo` has no item `jurnal` (its items: journal, errors, conf, included, app-log)"
        );
    }

    #[test]
    fn an_item_cannot_lose_the_item_it_reads_paths_from() {
        let err = Selection {
            only: vec![],
            skip: vec!["conf".into()],
        }
        .apply(&mut spec())
        .unwrap_err();
        assert!(matches!(err, SelectError::NeedsSource { .. }), "{err}");
        let all = Selection {
            only: vec![],
            skip: ids(&spec()).iter().map(|s| s.to_string()).collect(),
        };
        assert_eq!(all.apply(&mut spec()), Err(SelectError::Empty));
    }

    #[test]
    fn the_window_rewrites_journal_logs_and_file_tails_only() {
        let mut s = spec();
        assert_eq!(
            LogWindow::new(Some("2h"), Some(50)).unwrap().apply(&mut s),
            1
        );
        assert_eq!(
            s.item("journal").unwrap().argv,
            [
                "journalctl",
                "-u",
                "demo",
                "-n",
                "50",
                "--no-pager",
                "--since",
                "-2h"
            ]
        );
        // Not a log item: the spec's own window stays.
        assert_eq!(
            s.item("errors").unwrap().argv,
            spec().item("errors").unwrap().argv
        );
        assert_eq!(s.item("app-log").unwrap().tail_lines, Some(50));
        assert_eq!(s.item("conf").unwrap().tail_lines, None);
    }

    #[test]
    fn since_takes_durations_and_dates_and_refuses_the_rest() {
        for (given, journal) in [
            ("30m", "-30min"),
            ("2h", "-2h"),
            ("1d", "-1d"),
            ("2026-01-31", "2026-01-31"),
            ("2026-01-31T14:00", "2026-01-31 14:00"),
            ("2026-01-31 14:00:05", "2026-01-31 14:00:05"),
        ] {
            assert_eq!(journal_since(given).unwrap(), journal, "{given}");
        }
        for bad in [
            "",
            "h",
            "2x",
            "yesterday",
            "2026-1-31",
            "2026-01-31T1400",
            "-2h",
        ] {
            assert!(journal_since(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn an_option_given_with_equals_is_replaced_in_place() {
        let mut argv: Vec<String> = ["journalctl", "--lines=5", "--since=today"]
            .map(String::from)
            .to_vec();
        set_option(&mut argv, &["-n", "--lines"], "7");
        set_option(&mut argv, &["--since", "-S"], "-1h");
        assert_eq!(argv, ["journalctl", "--lines=7", "--since=-1h"]);
    }
}
