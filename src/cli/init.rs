//! `init --from SUPPORT.md`: draft a collector spec from a project's support policy.

use std::io::Read;
use std::path::{Path, PathBuf};

use anyhow::{Context as _, bail};
use support_bundle::policy::{self, DraftOptions};
use support_bundle::sanitize::for_terminal;

use super::{Exit, output};

/// Largest policy file read.
const MAX_POLICY_BYTES: u64 = 1024 * 1024;

#[derive(Debug, clap::Args)]
pub(super) struct Args {
    /// The project's support policy (SUPPORT.md), or `-` for stdin
    #[arg(long, value_name = "FILE|-")]
    from: PathBuf,
    /// The project's short name (default: from the policy's title)
    #[arg(long, value_name = "NAME")]
    name: Option<String>,
    /// Write the draft to FILE instead of stdout (refuses to overwrite)
    #[arg(long, short, value_name = "FILE")]
    out: Option<PathBuf>,
    /// Print the draft, what was mapped and what needs a person as JSON (the TOML is still
    /// written to --out when given)
    #[arg(long)]
    json: bool,
}

/// What `init --json` prints.
#[derive(serde::Serialize)]
struct Report<'a> {
    toml: &'a str,
    mapped: &'a [String],
    todos: &'a [String],
    out: Option<&'a Path>,
}

pub(super) fn run(args: &Args) -> anyhow::Result<Exit> {
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
    if !args.json {
        for m in &draft.mapped {
            eprintln!("mapped: {}", for_terminal(m));
        }
        for t in &draft.todos {
            eprintln!("todo:   {}", for_terminal(t));
        }
    }
    if let Some(path) = &args.out {
        if path.exists() {
            bail!("`{}` exists; not overwriting it", path.display());
        }
        std::fs::write(path, &draft.toml)
            .with_context(|| format!("cannot write `{}`", path.display()))?;
        if !args.json {
            eprintln!("wrote {}", path.display());
        }
    }
    let report = Report {
        toml: &draft.toml,
        mapped: &draft.mapped,
        todos: &draft.todos,
        out: args.out.as_deref(),
    };
    // With --out and without --json, the file is the output.
    if args.json || args.out.is_none() {
        output::emit(&report, args.json, |r| r.toml.to_string())?;
    }
    Ok(Exit::Success)
}
