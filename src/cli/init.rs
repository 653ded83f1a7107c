//! `init --from SUPPORT.md`: draft a collector spec from a project's support policy.

use std::io::Read;
use std::path::PathBuf;

use anyhow::{Context as _, bail};
use support_bundle::policy::{self, DraftOptions};
use support_bundle::sanitize::for_terminal;

use super::{Exit, output};

/// Largest policy file read.
const MAX_POLICY_BYTES: u64 = 1024 * 1024;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The project's support policy (SUPPORT.md), or `-` for stdin
    #[arg(long, value_name = "FILE|-")]
    from: PathBuf,
    /// The project's short name (default: from the policy's title)
    #[arg(long, value_name = "NAME")]
    name: Option<String>,
    /// Write the draft to FILE instead of stdout (refuses to overwrite)
    #[arg(long, short, value_name = "FILE")]
    out: Option<PathBuf>,
}

pub fn run(args: &Args) -> anyhow::Result<Exit> {
    let mut bytes = Vec::new();
    if args.from.as_os_str() == "-" {
        std::io::stdin()
            .lock()
            .take(MAX_POLICY_BYTES)
            .read_to_end(&mut bytes)
            .context("cannot read the policy from stdin")?;
    } else {
        std::fs::File::open(&args.from)
            .and_then(|f| f.take(MAX_POLICY_BYTES).read_to_end(&mut bytes))
            .with_context(|| format!("cannot read policy `{}`", args.from.display()))?;
    }
    let text = policy::decode(&bytes);
    let draft = policy::draft(
        &text,
        &DraftOptions {
            name: args.name.clone(),
        },
    );
    for m in &draft.mapped {
        eprintln!("mapped: {}", for_terminal(m));
    }
    for t in &draft.todos {
        eprintln!("todo:   {}", for_terminal(t));
    }
    match &args.out {
        Some(path) => {
            if path.exists() {
                bail!("`{}` exists; not overwriting it", path.display());
            }
            std::fs::write(path, &draft.toml)
                .with_context(|| format!("cannot write `{}`", path.display()))?;
            eprintln!("wrote {}", path.display());
        }
        None => output::print(&draft.toml)?,
    }
    Ok(Exit::Success)
}
