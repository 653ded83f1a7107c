//! `inspect BUNDLE`: project, versions, facts, items, completeness, checks and redaction
//! counts on one screen.

use std::path::PathBuf;

use support_bundle::bundle::{Bundle, inspect};

use super::{Exit, output};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The bundle (.zip)
    #[arg(value_name = "BUNDLE")]
    bundle: PathBuf,
    /// Print the same as JSON
    #[arg(long)]
    json: bool,
}

pub fn run(args: &Args) -> anyhow::Result<Exit> {
    let mut bundle = Bundle::open(&args.bundle)?;
    let result = inspect::inspect(&mut bundle)?;
    let text = if args.json {
        format!("{}\n", serde_json::to_string_pretty(&result)?)
    } else {
        inspect::render(&result)
    };
    output::print(&text)?;
    Ok(Exit::Success)
}
