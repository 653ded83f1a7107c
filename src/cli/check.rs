//! `check BUNDLE`: run the spec's `[[check]]`s again against the bundle's facts.

use std::fmt::Write as _;

use support_bundle::bundle::replay;
use support_bundle::sanitize::for_terminal;
use support_bundle::spec;

use super::{BundleArg, Exit, output};

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    input: BundleArg,
    /// Use this spec's checks (built-in name or file) instead of the bundle's `spec.toml`
    #[arg(long, value_name = "NAME|PATH")]
    spec: Option<String>,
    /// Print the outcomes as JSON
    #[arg(long)]
    json: bool,
}

pub fn run(args: &Args) -> anyhow::Result<Exit> {
    let newer = args.spec.as_deref().map(spec::load).transpose()?;
    let mut bundle = args.input.open()?;
    let result = replay::replay_checks(&mut bundle, newer)?;
    let text = if args.json {
        output::json(&result)?
    } else {
        let s = |t: &str| for_terminal(t).into_owned();
        let mut out = String::new();
        let _ = writeln!(out, "checks from {}", s(&result.spec));
        if result.checks.is_empty() {
            let _ = writeln!(out, "  (the spec has no checks)");
        }
        let width = result.checks.iter().map(|c| c.id.len()).max().unwrap_or(0);
        for c in &result.checks {
            let _ = writeln!(
                out,
                "  {:<7} {:width$}  {}",
                c.outcome.as_str().to_uppercase(),
                s(&c.id),
                s(&c.when)
            );
            if c.outcome.is_flagged() {
                let _ = writeln!(out, "          {:width$}  {}", "", s(&c.message));
            }
        }
        let count = |o: &str| {
            result
                .checks
                .iter()
                .filter(|c| c.outcome.as_str() == o)
                .count()
        };
        let _ = writeln!(
            out,
            "{} failed, {} warned, {} passed, {} unknown",
            count("fail"),
            count("warn"),
            count("pass"),
            count("unknown")
        );
        out
    };
    output::print(&text)?;
    Ok(if result.failed() {
        Exit::Negative
    } else {
        Exit::Success
    })
}
