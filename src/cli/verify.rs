//! `verify BUNDLE`: re-hash every entry against the manifest; exit 1 when anything differs.

use std::fmt::Write as _;

use support_bundle::bundle::verify;

use super::{BundleArg, Exit, output};

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    input: BundleArg,
    /// Print the result as JSON
    #[arg(long)]
    json: bool,
}

pub fn run(args: &Args) -> anyhow::Result<Exit> {
    let mut bundle = args.input.open()?;
    let result = verify::verify(&mut bundle)?;
    let text = if args.json {
        output::json(&result)?
    } else {
        let mut out = String::new();
        if result.intact() {
            let _ = writeln!(
                out,
                "intact: bundle {} ({} entries match the manifest)",
                result.id, result.entries
            );
        } else {
            let _ = writeln!(
                out,
                "TAMPERED: {} problem{} in {}",
                result.problems.len(),
                if result.problems.len() == 1 { "" } else { "s" },
                support_bundle::sanitize::for_terminal(&args.input.bundle.display().to_string())
            );
            for p in &result.problems {
                let _ = writeln!(out, "  {p}");
            }
        }
        out
    };
    output::print(&text)?;
    Ok(if result.intact() {
        Exit::Success
    } else {
        Exit::Negative
    })
}
