//! `diff A B`: differing facts, items and check outcomes, with bounded text diffs; as text,
//! JSON or a self-contained HTML page (`--html FILE`).

use std::path::PathBuf;

use support_bundle::bundle::{diff, html};

use super::{Exit, IdentityArg, output};

#[derive(Debug, clap::Args)]
pub(super) struct Args {
    /// The older bundle
    #[arg(value_name = "A")]
    a: PathBuf,
    /// The newer bundle
    #[arg(value_name = "B")]
    b: PathBuf,
    /// Print the same as JSON
    #[arg(long, conflicts_with = "html")]
    json: bool,
    /// Write a self-contained HTML report to FILE instead (one file, loads nothing)
    #[arg(long, value_name = "FILE")]
    html: Option<PathBuf>,
    /// Most lines of unified diff shown per changed text item
    #[arg(long, value_name = "N", default_value_t = 200)]
    max_lines: usize,
    #[command(flatten)]
    identity: IdentityArg,
}

pub(super) fn run(args: &Args) -> anyhow::Result<Exit> {
    let mut a = args.identity.open(&args.a)?;
    let mut b = args.identity.open(&args.b)?;
    let opts = diff::Options::default().with_max_lines(args.max_lines);
    if let Some(path) = &args.html {
        let page = html::diff_page(&mut a, &mut b, opts, html::Limits::default())?;
        super::inspect::write_page(path, &page)?;
        return Ok(Exit::Success);
    }
    let result = diff::diff(&mut a, &mut b, opts)?;
    output::emit(&result, args.json, diff::render)?;
    Ok(Exit::Success)
}
