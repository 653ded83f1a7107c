//! `inspect BUNDLE`: project, versions, facts, items, completeness, checks and redaction
//! counts on one screen, or as a self-contained HTML page (`--html FILE`).

use std::path::PathBuf;

use anyhow::Context as _;
use support_bundle::atomic;
use support_bundle::bundle::{html, inspect};
use support_bundle::sanitize::for_terminal;

use super::{BundleArg, Exit, output};

#[derive(Debug, clap::Args)]
pub(super) struct Args {
    #[command(flatten)]
    input: BundleArg,
    /// Print the same as JSON
    #[arg(long, conflicts_with = "html")]
    json: bool,
    /// Write a self-contained HTML report to FILE instead (one file, loads nothing)
    #[arg(long, value_name = "FILE")]
    html: Option<PathBuf>,
}

pub(super) fn run(args: &Args) -> anyhow::Result<Exit> {
    let mut bundle = args.input.open()?;
    if let Some(path) = &args.html {
        let page = html::inspect_page(&mut bundle, html::Limits::default())?;
        write_page(path, &page)?;
        return Ok(Exit::Success);
    }
    let result = inspect::inspect(&mut bundle)?;
    output::emit(&result, args.json, inspect::render)?;
    Ok(Exit::Success)
}

/// Write a report atomically, private like the bundle it shows, and say where it went.
pub(super) fn write_page(path: &std::path::Path, page: &str) -> anyhow::Result<()> {
    save_page(path, page)?;
    output::print(&format!(
        "wrote {}\n",
        for_terminal(&path.display().to_string())
    ))?;
    Ok(())
}

/// Write a report atomically and private, saying nothing (for commands whose stdout is taken).
pub(super) fn save_page(path: &std::path::Path, page: &str) -> anyhow::Result<()> {
    atomic::write(path, page.as_bytes(), atomic::PRIVATE)
        .with_context(|| format!("cannot write {}", path.display()))
}
