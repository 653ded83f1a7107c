//! `diff A B`: differing facts, items and check outcomes, with bounded text diffs.

use std::path::PathBuf;

use support_bundle::bundle::diff;

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
    #[arg(long)]
    json: bool,
    /// Most lines of unified diff shown per changed text item
    #[arg(long, value_name = "N", default_value_t = 200)]
    max_lines: usize,
    #[command(flatten)]
    identity: IdentityArg,
}

pub(super) fn run(args: &Args) -> anyhow::Result<Exit> {
    let mut a = args.identity.open(&args.a)?;
    let mut b = args.identity.open(&args.b)?;
    let opts = diff::Options {
        max_lines: args.max_lines,
        ..diff::Options::default()
    };
    let result = diff::diff(&mut a, &mut b, opts)?;
    output::emit(&result, args.json, diff::render)?;
    Ok(Exit::Success)
}
