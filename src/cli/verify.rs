//! `verify BUNDLE`: re-hash every entry against the manifest; exit 1 when anything differs.

use support_bundle::bundle::verify;

use super::{BundleArg, Exit, output};

#[derive(Debug, clap::Args)]
pub(super) struct Args {
    #[command(flatten)]
    input: BundleArg,
    /// Print the result as JSON
    #[arg(long)]
    json: bool,
}

pub(super) fn run(args: &Args) -> anyhow::Result<Exit> {
    let mut bundle = args.input.open()?;
    let result = verify::verify(&mut bundle)?;
    let shown = args.input.bundle.display().to_string();
    output::emit(&result, args.json, |r| verify::render(r, &shown))?;
    Ok(if result.intact() {
        Exit::Success
    } else {
        Exit::Negative
    })
}
