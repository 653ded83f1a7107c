//! `init --from SUPPORT.md`: draft a collector spec from a project's support policy; with
//! `--kit DIR`, write the adoption kit (spec, issue form, Markdown snippet, workflow) into a
//! repository.

use std::io::Read;
use std::path::{Path, PathBuf};

use anyhow::{Context as _, bail};
use support_bundle::atomic;
use support_bundle::policy::kit::{self, Kit};
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
    #[arg(long, short, value_name = "FILE", conflicts_with = "kit")]
    out: Option<PathBuf>,
    /// Write the adoption kit into DIR (a repository's root): .github/support-bundle.toml,
    /// the issue form, a Markdown snippet and the triage workflow
    #[arg(long, value_name = "DIR")]
    kit: Option<PathBuf>,
    /// With --kit, replace kit files that exist
    #[arg(long, requires = "kit")]
    force: bool,
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
    /// The kit files written, with --kit.
    #[serde(skip_serializing_if = "Option::is_none")]
    kit: Option<Vec<PathBuf>>,
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
    let mut opts = DraftOptions::default();
    opts.name.clone_from(&args.name);
    let built = match &args.kit {
        Some(_) => Some(kit::kit(&text, &opts).context("cannot build the adoption kit")?),
        None => None,
    };
    let draft = match &built {
        Some(k) => k.draft.clone(),
        None => policy::draft(&text, &opts),
    };
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
    let written = match (&built, &args.kit) {
        (Some(k), Some(dir)) => Some(write_kit(k, dir, args.force, !args.json)?),
        _ => None,
    };
    let report = Report {
        toml: &draft.toml,
        mapped: &draft.mapped,
        todos: &draft.todos,
        out: args.out.as_deref(),
        kit: written,
    };
    // With --out or --kit and without --json, the files are the output.
    if args.json || (args.out.is_none() && args.kit.is_none()) {
        output::emit(&report, args.json, |r| r.toml.to_string())?;
    }
    Ok(Exit::Success)
}

/// Write the kit's files under `dir`: none when one exists and `force` is off, each one
/// atomically. Returns the paths written.
fn write_kit(k: &Kit, dir: &Path, force: bool, say: bool) -> anyhow::Result<Vec<PathBuf>> {
    if !dir.is_dir() {
        bail!("--kit `{}` is not a directory", dir.display());
    }
    let targets: Vec<(PathBuf, &str)> = k
        .files
        .iter()
        .map(|f| (dir.join(f.path), f.text.as_str()))
        .collect();
    let existing: Vec<String> = targets
        .iter()
        .filter(|(p, _)| p.symlink_metadata().is_ok())
        .map(|(p, _)| format!("`{}`", p.display()))
        .collect();
    if !existing.is_empty() && !force {
        bail!(
            "{} exist{}; not overwriting (nothing was written; --force replaces them)",
            existing.join(", "),
            if existing.len() == 1 { "s" } else { "" }
        );
    }
    let mut written = Vec::new();
    for (path, text) in targets {
        let replaced = path.symlink_metadata().is_ok();
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)
                .with_context(|| format!("cannot create `{}`", parent.display()))?;
        }
        atomic::write(&path, text.as_bytes(), atomic::PUBLIC)
            .with_context(|| format!("cannot write `{}`", path.display()))?;
        if say {
            let how = if replaced { "replaced" } else { "wrote" };
            eprintln!("{how} {}", path.display());
        }
        written.push(path);
    }
    if say {
        eprintln!(
            "next: review every `# TODO` in {}, try it with `support-bundle collect --spec {} \
             --dry-run`, and commit the files",
            kit::SPEC_PATH,
            dir.join(kit::SPEC_PATH).display()
        );
    }
    Ok(written)
}
