//! `extract BUNDLE --to DIR`: safe extraction, keeping the zip's relative layout.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use support_bundle::bundle::extract::{self, Extracted};
use support_bundle::sanitize::for_terminal;

use super::{BundleArg, Exit, output};

#[derive(Debug, clap::Args)]
pub(super) struct Args {
    #[command(flatten)]
    input: BundleArg,
    /// Directory to extract into (created when absent; must be empty unless --force)
    #[arg(long, value_name = "DIR")]
    to: PathBuf,
    /// Extract into a non-empty DIR, replacing files of the same name
    #[arg(long)]
    force: bool,
    /// Print the extracted, binary and mismatched entries as JSON
    #[arg(long)]
    json: bool,
}

/// What `extract --json` prints.
#[derive(serde::Serialize)]
struct Report<'a> {
    to: &'a Path,
    #[serde(flatten)]
    done: &'a Extracted,
}

pub(super) fn run(args: &Args) -> anyhow::Result<Exit> {
    let mut bundle = args.input.open()?;
    let done = extract::extract(&mut bundle, &args.to, args.force)?;
    let report = Report {
        to: &args.to,
        done: &done,
    };
    output::emit(&report, args.json, render)?;
    if !args.json {
        for path in &done.mismatched {
            eprintln!(
                "warning: `{}` does not match the manifest; run `support-bundle verify`",
                for_terminal(path)
            );
        }
    }
    Ok(if done.mismatched.is_empty() {
        Exit::Success
    } else {
        Exit::Negative
    })
}

fn render(report: &Report<'_>) -> String {
    let dir = for_terminal(&report.to.display().to_string()).into_owned();
    let mut out = String::new();
    let _ = writeln!(
        out,
        "extracted {} entries to {dir}",
        report.done.files.len()
    );
    for path in &report.done.binary {
        let _ = writeln!(out, "  binary, as collected: {dir}/{}", for_terminal(path));
    }
    out
}
