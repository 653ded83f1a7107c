//! `triage BUNDLE...`: the comment a maintainer (or the adoption kit's workflow) posts on an
//! issue with bundles attached.

use std::path::PathBuf;

use support_bundle::issue::triage::{self, Triage};

use super::{Exit, output};

#[derive(Debug, clap::Args)]
pub(super) struct Args {
    /// The bundles attached to one issue, oldest first; each after the first is compared with
    /// the one before it
    #[arg(value_name = "BUNDLE", required = true)]
    bundles: Vec<PathBuf>,
    /// Print the comment as Markdown (the default)
    #[arg(long, conflicts_with = "json")]
    markdown: bool,
    /// Print the same as JSON
    #[arg(long)]
    json: bool,
}

pub(super) fn run(args: &Args) -> anyhow::Result<Exit> {
    for path in &args.bundles {
        // A FIFO would block the reader; every other problem becomes part of the comment.
        super::refuse_non_regular(path)?;
    }
    let paths: Vec<&std::path::Path> = args.bundles.iter().map(PathBuf::as_path).collect();
    let result = Triage::run(&paths);
    output::emit(&result, args.json, triage::render_markdown)?;
    Ok(if result.any_refused() {
        Exit::Error
    } else if result.any_negative() {
        Exit::Negative
    } else {
        Exit::Success
    })
}
