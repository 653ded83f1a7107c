//! `inspect BUNDLE`: project, versions, facts, items, completeness, checks and redaction
//! counts on one screen.

use support_bundle::bundle::inspect;

use super::{BundleArg, Exit, output};

#[derive(Debug, clap::Args)]
pub(super) struct Args {
    #[command(flatten)]
    input: BundleArg,
    /// Print the same as JSON
    #[arg(long)]
    json: bool,
}

pub(super) fn run(args: &Args) -> anyhow::Result<Exit> {
    let mut bundle = args.input.open()?;
    let result = inspect::inspect(&mut bundle)?;
    output::emit(&result, args.json, inspect::render)?;
    Ok(Exit::Success)
}
