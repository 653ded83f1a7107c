//! `replay BUNDLE`: verify, extract, and run the spec's `[[replay]]` steps on the files.

use std::collections::BTreeMap;
use std::path::PathBuf;

use support_bundle::replay::{self, Options};

use super::{BundleArg, Exit, output, signals};

#[derive(Debug, clap::Args)]
pub(super) struct Args {
    #[command(flatten)]
    input: BundleArg,
    /// Take the replay steps from this spec (built-in name or file); default: the built-in
    /// the bundle was collected with
    #[arg(long, value_name = "NAME|PATH", value_parser = super::completions::SpecName,
          hide_possible_values = true)]
    spec: Option<String>,
    /// Give a step's `{NAME}` placeholder its value, e.g. `--var rules=./rules`; repeatable
    #[arg(long = "var", value_name = "NAME=VALUE", value_parser = super::collect::parse_var)]
    vars: Vec<(String, String)>,
    /// Extract into DIR (created when absent, must be empty) and keep the files; default: a
    /// private temporary directory, removed at the end
    #[arg(long, value_name = "DIR")]
    to: Option<PathBuf>,
    /// Show the plan; extract and run nothing
    #[arg(long)]
    dry_run: bool,
    /// Print the plan and each run's result as JSON
    #[arg(long)]
    json: bool,
}

pub(super) fn run(args: &Args) -> anyhow::Result<Exit> {
    let spec = args
        .spec
        .as_deref()
        .map(super::spec_source::load_local)
        .transpose()?;
    let mut bundle = args.input.open()?;
    let mut options = Options::default()
        .with_vars(args.vars.iter().cloned().collect::<BTreeMap<_, _>>())
        .with_dry_run(args.dry_run);
    options.spec = spec;
    options.to.clone_from(&args.to);
    // A step's process group is out of reach of the terminal's Ctrl-C: the handler kills it.
    signals::install();
    let json = args.json;
    let report = replay::replay(&mut bundle, &options, |plan| {
        if !json {
            // A closed stdout is not a reason to stop the runs.
            let _ = output::print(&replay::render_plan(plan));
        }
    })?;
    output::emit(&report, json, replay::render)?;
    Ok(if report.failed() {
        Exit::Negative
    } else {
        Exit::Success
    })
}
