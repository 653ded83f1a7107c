//! `index BUNDLE... --db FILE [--jsonl FILE] [--json]`: upsert many bundles into a SQLite
//! database for triage with SQL; exit 1 when a file was refused or a bundle is tampered.

use std::fmt::Write as _;
use std::path::PathBuf;

use anyhow::Context as _;
use serde::Serialize;
use support_bundle::index::{Added, Index};
use support_bundle::sanitize::for_terminal;

use super::{Exit, output};

#[derive(Debug, clap::Args)]
pub(super) struct Args {
    /// Bundles (.zip) to index; each is read as hostile input, refused ones are recorded
    #[arg(value_name = "BUNDLE", required = true)]
    bundles: Vec<PathBuf>,
    /// The SQLite database (created when missing; re-indexing a bundle replaces its rows)
    #[arg(long, value_name = "FILE")]
    db: PathBuf,
    /// Also write this run's rows as JSON Lines (`{"table":"facts",...}`) to FILE
    #[arg(long, value_name = "FILE")]
    jsonl: Option<PathBuf>,
    /// Print the result as JSON
    #[arg(long)]
    json: bool,
}

/// What the run did, for `--json` and the text summary.
#[derive(Debug, Serialize)]
struct Report {
    db: String,
    /// One entry per indexed bundle, in argument order.
    indexed: Vec<IndexedBundle>,
    /// One entry per refused file.
    rejected: Vec<Refused>,
    /// Rows per table after the run.
    totals: std::collections::BTreeMap<&'static str, u64>,
}

#[derive(Debug, Serialize)]
struct IndexedBundle {
    path: String,
    id: String,
    project: String,
    verdict: String,
    /// Already in the database: its rows were replaced, none added.
    replaced: bool,
}

#[derive(Debug, Serialize)]
struct Refused {
    path: String,
    reason: String,
}

pub(super) fn run(args: &Args) -> anyhow::Result<Exit> {
    let mut index = Index::open(&args.db)?;
    let mut report = Report {
        db: args.db.display().to_string(),
        indexed: Vec::new(),
        rejected: Vec::new(),
        totals: Default::default(),
    };
    let mut jsonl = String::new();
    for path in &args.bundles {
        let added = index.add(path)?;
        if args.jsonl.is_some() {
            for row in added.rows() {
                jsonl.push_str(&row.to_json_line());
                jsonl.push('\n');
            }
        }
        match added {
            Added::Bundle { rows, replaced } => report.indexed.push(IndexedBundle {
                path: path.display().to_string(),
                id: rows.bundle.id,
                project: rows.bundle.project,
                verdict: rows.bundle.verdict,
                replaced,
            }),
            Added::Rejected(row) => report.rejected.push(Refused {
                path: path.display().to_string(),
                reason: row.reason,
            }),
        }
    }
    if let Some(file) = &args.jsonl {
        support_bundle::atomic::write(file, jsonl.as_bytes(), support_bundle::atomic::PRIVATE)
            .with_context(|| format!("cannot write `{}`", file.display()))?;
    }
    report.totals = index.counts()?.into_iter().collect();
    output::emit(&report, args.json, render)?;
    let negative =
        !report.rejected.is_empty() || report.indexed.iter().any(|b| b.verdict != "intact");
    Ok(if negative {
        Exit::Negative
    } else {
        Exit::Success
    })
}

/// One line per file (a refused one with its reason), then the summary. Everything read
/// from a bundle or a path is escaped.
fn render(r: &Report) -> String {
    let mut out = String::new();
    for b in &r.indexed {
        let state = match (b.verdict.as_str(), b.replaced) {
            ("intact", false) => "new     ",
            ("intact", true) => "replaced",
            _ => "TAMPERED",
        };
        let _ = writeln!(
            out,
            "{state}  {}  {}  {}",
            b.id.get(..12).unwrap_or(&b.id),
            for_terminal(&b.project),
            for_terminal(&b.path)
        );
    }
    for x in &r.rejected {
        let _ = writeln!(
            out,
            "REJECTED  {}: {}",
            for_terminal(&x.path),
            for_terminal(&x.reason)
        );
    }
    let new = r.indexed.iter().filter(|b| !b.replaced).count();
    let total = |t: &str| r.totals.get(t).copied().unwrap_or(0);
    let _ = writeln!(
        out,
        "{} indexed ({new} new, {} replaced), {} rejected; {} now holds {} bundles, {} facts, \
         {} items, {} checks, {} rejected files",
        r.indexed.len(),
        r.indexed.len() - new,
        r.rejected.len(),
        for_terminal(&r.db),
        total("bundles"),
        total("facts"),
        total("items"),
        total("checks"),
        total("rejected"),
    );
    out
}
