//! `specs`: one line per built-in spec.

use serde::Serialize;
use support_bundle::spec::{self, BUILTINS, DEFAULT_SPEC};

use super::{Exit, output};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Print the list as JSON
    #[arg(long)]
    json: bool,
}

/// What `specs --json` prints.
#[derive(Serialize)]
struct Specs {
    specs: Vec<Entry>,
}

#[derive(Serialize)]
struct Entry {
    name: &'static str,
    description: String,
    default: bool,
}

pub fn run(args: &Args) -> anyhow::Result<Exit> {
    let specs = Specs {
        specs: BUILTINS
            .iter()
            .map(|b| Entry {
                name: b.name,
                description: spec::parse(&format!("built-in:{}", b.name), b.text)
                    .ok()
                    .and_then(|s| s.project.description)
                    .unwrap_or_default(),
                default: b.name == DEFAULT_SPEC,
            })
            .collect(),
    };
    output::emit(&specs, args.json, render)?;
    Ok(Exit::Success)
}

fn render(specs: &Specs) -> String {
    let width = specs.specs.iter().map(|s| s.name.len()).max().unwrap_or(0);
    let mut text = String::new();
    for s in &specs.specs {
        let default = if s.default { " (default)" } else { "" };
        text.push_str(&format!("{:width$}  {}{default}\n", s.name, s.description));
    }
    text
}
