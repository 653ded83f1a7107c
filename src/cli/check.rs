//! `check BUNDLE`: run the spec's `[[check]]`s again against the bundle's facts.

use support_bundle::bundle::recheck;

use super::{BundleArg, Exit, output};

#[derive(Debug, clap::Args)]
pub(super) struct Args {
    #[command(flatten)]
    input: BundleArg,
    /// Use this spec's checks (built-in name or file) instead of the bundle's `spec.toml`
    #[arg(long, value_name = "NAME|PATH", value_parser = super::completions::SpecName,
          hide_possible_values = true)]
    spec: Option<String>,
    /// Print the outcomes as JSON
    #[arg(long)]
    json: bool,
}

pub(super) fn run(args: &Args) -> anyhow::Result<Exit> {
    let newer = args
        .spec
        .as_deref()
        .map(super::spec_source::load_local)
        .transpose()?;
    let mut bundle = args.input.open()?;
    let result = recheck::replay_checks(&mut bundle, newer)?;
    output::emit(&result, args.json, recheck::render)?;
    Ok(if result.failed() {
        Exit::Negative
    } else {
        Exit::Success
    })
}
