//! Command-line types (clap derive) and the one `match` over subcommands. No clap type
//! leaves this module tree: each subcommand builds the library's own options.

mod browser;
mod check;
mod collect;
mod completions;
mod decrypt;
mod diff;
mod exit;
mod extract;
#[cfg(unix)]
mod fleet;
#[cfg(feature = "index")]
mod index;
mod init;
mod inspect;
mod issue;
mod man;
mod output;
mod redact;
mod replay;
mod reveal;
mod signals;
mod spec_source;
mod specs;
mod triage;
mod verify;

use std::io::Read as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context as _;
use clap::{Parser, Subcommand};
use support_bundle::bundle::Bundle;
use support_bundle::sanitize::for_terminal;
use support_bundle::seal;

pub(crate) use exit::Exit;

/// Gather what a project's support policy asks for, redact secrets and personal identifiers,
/// and write a reproducible bundle plus a prefilled issue.
#[derive(Debug, Parser)]
#[command(name = "support-bundle", version, about, max_term_width = 100)]
pub(crate) struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Collect a bundle and an issue body (default spec: any Rust project and machine)
    Collect(collect::Args),
    /// List the project's own spec (when found) and the built-in specs
    Specs(specs::Args),
    /// Redact a file or stdin to stdout, or re-redact a bundle into --out NEW.zip
    Redact(redact::Args),
    /// Check a bundle against its manifest (exit 1 when anything differs)
    Verify(verify::Args),
    /// Show a bundle's project, facts, items, completeness, checks and redaction counts
    Inspect(inspect::Args),
    /// Show what differs between two bundles
    Diff(diff::Args),
    /// Decrypt an encrypted bundle (.zip.age) with your age identity file
    Decrypt(decrypt::Args),
    /// Extract a bundle safely into a directory
    Extract(extract::Args),
    /// Run the spec's checks against a bundle's facts (exit 1 when one fails)
    Check(check::Args),
    /// Run the project's own replay tools on a bundle's files (exit 1 when a step fails)
    Replay(replay::Args),
    /// Re-render the issue body (or, with --url, the new-issue link) from a bundle
    Issue(issue::Args),
    /// Draft a collector spec from a project's SUPPORT.md
    Init(init::Args),
    /// Print a shell completion script
    Completions(completions::Args),
    /// Print the man page (roff), or write every command's page with --dir
    Man(man::Args),
    /// Show what a pseudonym (host-…, ip-…, user-…) made on this machine stands for
    Reveal(reveal::Args),
    /// Summarize attached bundles as an issue comment: verdict, checks, completeness, facts
    Triage(triage::Args),
    /// Upsert bundles into a SQLite database to query with SQL
    #[cfg(feature = "index")]
    Index(index::Args),
    /// Collect from many hosts over ssh (or another exec transport), with one pseudonym key
    #[cfg(unix)]
    Fleet(fleet::Args),
}

/// The bundle argument of the commands that read one bundle (`verify`, `inspect`, `extract`,
/// `check`).
#[derive(Debug, Clone, clap::Args)]
pub(crate) struct BundleArg {
    /// The bundle (.zip, or .zip.age with --identity)
    #[arg(value_name = "BUNDLE")]
    bundle: PathBuf,
    #[command(flatten)]
    identity: IdentityArg,
}

impl BundleArg {
    /// Open it through the hostile-input-safe reader (decrypted first when sealed).
    fn open(&self) -> anyhow::Result<Bundle> {
        self.identity.open(&self.bundle)
    }
}

/// `--identity`, for the commands that read bundles: how to open an encrypted one.
#[derive(Debug, Clone, Default, clap::Args)]
pub(crate) struct IdentityArg {
    /// Age identity file (as `age-keygen` writes it) to open an encrypted bundle (.zip.age)
    #[arg(long, value_name = "KEYFILE")]
    identity: Option<PathBuf>,
}

impl IdentityArg {
    /// Open `path` through the hostile-input-safe reader. A sealed bundle is decrypted into
    /// memory (capped) with the identity file first; a plain one opens as it is.
    fn open(&self, path: &Path) -> anyhow::Result<Bundle> {
        refuse_non_regular(path)?;
        if !seal::is_sealed(path) {
            return Ok(Bundle::open(path)?);
        }
        let Some(key) = &self.identity else {
            anyhow::bail!(
                "`{}` is an encrypted bundle: pass --identity KEYFILE (the age identity file \
                 whose public key it was encrypted to) to open it",
                path.display()
            );
        };
        let plain = seal::Identities::load(key)?.open(path, seal::MAX_OPENED_SIZE)?;
        Ok(Bundle::from_bytes(path, plain)?)
    }
}

/// Open a bundle through the hostile-input-safe reader, refusing what is not a regular file
/// (and an encrypted bundle, with how to open it).
fn open_bundle(path: &Path) -> anyhow::Result<Bundle> {
    IdentityArg::default().open(path)
}

/// A bundle is read with seeks, and opening a FIFO blocks until a writer comes: refuse a
/// FIFO, device, socket or directory up front rather than hang or fail obscurely. A path
/// that cannot be examined is left to the open that follows, for its usual error.
fn refuse_non_regular(path: &Path) -> anyhow::Result<()> {
    match std::fs::metadata(path) {
        Ok(meta) if !meta.is_file() => anyhow::bail!(
            "`{}` is not a regular file (a bundle must be a .zip file; save it to a file first)",
            path.display()
        ),
        _ => Ok(()),
    }
}

/// Issue flags shared by `collect` and `issue`.
#[derive(Debug, Clone, clap::Args)]
pub(crate) struct IssueArgs {
    /// Issue title (redacted like everything else); with `issue`, replaces the stored one
    #[arg(long, value_name = "TEXT")]
    title: Option<String>,
    /// Your description of the problem, from FILE or `-` for stdin (redacted); with `issue`,
    /// replaces the stored one
    #[arg(long, value_name = "FILE|-")]
    describe: Option<PathBuf>,
    /// This is a vulnerability: print the project's security contact and produce no public
    /// link or `gh` line (`collect` also marks the bundle private)
    #[arg(long)]
    security: bool,
    /// A local checkout of the project, to read the spec's issue form from
    #[arg(long, value_name = "DIR")]
    repo_dir: Option<PathBuf>,
}

/// Largest description read.
const MAX_DESCRIPTION_BYTES: u64 = 1024 * 1024;

impl IssueArgs {
    /// The `--describe` text, read from its file or stdin (unredacted: the caller redacts).
    fn description(&self) -> anyhow::Result<Option<String>> {
        let Some(path) = &self.describe else {
            return Ok(None);
        };
        let mut bytes = Vec::new();
        if path.as_os_str() == "-" {
            std::io::stdin()
                .lock()
                .take(MAX_DESCRIPTION_BYTES)
                .read_to_end(&mut bytes)
                .context("cannot read the description from stdin")?;
        } else {
            std::fs::File::open(path)
                .and_then(|f| f.take(MAX_DESCRIPTION_BYTES).read_to_end(&mut bytes))
                .with_context(|| format!("cannot read description `{}`", path.display()))?;
        }
        Ok(Some(String::from_utf8_lossy(&bytes).into_owned()))
    }

    /// Whether `--describe -` reads the description from stdin.
    fn describes_from_stdin(&self) -> bool {
        self.describe
            .as_deref()
            .is_some_and(|p| p.as_os_str() == "-")
    }

    /// `--repo-dir`, checked to be a directory.
    fn repo_dir(&self) -> anyhow::Result<Option<&Path>> {
        match &self.repo_dir {
            Some(dir) if !dir.is_dir() => {
                anyhow::bail!("--repo-dir `{}` is not a directory", dir.display())
            }
            dir => Ok(dir.as_deref()),
        }
    }
}

/// Redaction flags shared by `collect` and `redact`.
#[derive(Debug, Clone, clap::Args)]
pub(crate) struct RedactionArgs {
    /// Add a redaction rule file (gitleaks-compatible TOML); repeatable
    #[arg(long = "rules", value_name = "FILE")]
    rules: Vec<PathBuf>,
    /// Turn off the built-in secret and identifier rules
    #[arg(long)]
    no_default_rules: bool,
    /// Redact this literal value wherever it occurs; repeatable
    #[arg(long = "redact", value_name = "VALUE")]
    redact: Vec<String>,
    /// Keep identifiers (hostnames, IPs, emails, user names) instead of pseudonymizing them
    #[arg(long)]
    keep_identifiers: bool,
    /// Pseudonym key file (default: a per-installation key in your config directory)
    #[arg(long, value_name = "FILE")]
    pseudonym_key: Option<PathBuf>,
    /// Pseudonymize host names under DOMAIN too (this machine's own domain always is);
    /// repeatable
    #[arg(long = "domain", value_name = "DOMAIN")]
    domains: Vec<String>,
}

impl RedactionArgs {
    fn options(&self) -> support_bundle::redact::Options {
        let mut opts = support_bundle::redact::Options::default()
            .with_rule_files(self.rules.clone())
            .with_no_default_rules(self.no_default_rules)
            .with_keep_identifiers(self.keep_identifiers)
            .with_literals(self.redact.clone())
            .with_domains(self.domains.clone());
        opts.pseudonym_key.clone_from(&self.pseudonym_key);
        opts
    }
}

/// Parse arguments, run, and turn the outcome into an exit code.
pub(crate) fn run() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let code = if e.use_stderr() {
                Exit::Error
            } else {
                Exit::Success
            };
            let _ = e.print();
            return code.into();
        }
    };
    let result = match cli.command {
        Command::Collect(args) => collect::run(&args),
        Command::Specs(args) => specs::run(&args),
        Command::Redact(args) => redact::run(&args),
        Command::Verify(args) => verify::run(&args),
        Command::Inspect(args) => inspect::run(&args),
        Command::Diff(args) => diff::run(&args),
        Command::Decrypt(args) => decrypt::run(&args),
        Command::Extract(args) => extract::run(&args),
        Command::Check(args) => check::run(&args),
        Command::Replay(args) => replay::run(&args),
        Command::Issue(args) => issue::run(&args),
        Command::Init(args) => init::run(&args),
        Command::Completions(args) => completions::run(&args),
        Command::Man(args) => man::run(&args),
        Command::Reveal(args) => reveal::run(&args),
        Command::Triage(args) => triage::run(&args),
        #[cfg(feature = "index")]
        Command::Index(args) => index::run(&args),
        #[cfg(unix)]
        Command::Fleet(args) => fleet::run(&args),
    };
    match result {
        Ok(code) => code.into(),
        Err(e) => {
            // Causes can quote a bundle's or spec's own text.
            eprintln!("error: {}", for_terminal(&one_line_cause(&e)));
            Exit::Error.into()
        }
    }
}

/// The error and its causes, each cause added only when the message does not already
/// include it (library errors often name their cause in their own message).
fn one_line_cause(e: &anyhow::Error) -> String {
    let mut message = e.to_string();
    for cause in e.chain().skip(1) {
        let cause = cause.to_string();
        if !message.contains(&cause) {
            message.push_str(": ");
            message.push_str(&cause);
        }
    }
    message
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory as _;

    #[test]
    fn clap_definition_is_valid() {
        Cli::command().debug_assert();
    }
}
