//! Command-line types (clap derive) and the one `match` over subcommands. No clap type
//! leaves this module tree: each subcommand builds the library's own options.

mod check;
mod collect;
mod completions;
mod diff;
mod exit;
mod extract;
mod init;
mod inspect;
mod issue;
mod man;
mod output;
mod redact;
mod specs;
mod verify;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use support_bundle::bundle::{Bundle, ReadError};

pub use exit::Exit;

/// Gather what a project's support policy asks for, redact secrets and personal identifiers,
/// and write a reproducible bundle plus a prefilled issue.
#[derive(Debug, Parser)]
#[command(name = "support-bundle", version, about, max_term_width = 100)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Collect a bundle and an issue body (default spec: any Rust project and machine)
    Collect(collect::Args),
    /// List the built-in specs
    Specs,
    /// Redact a file or stdin to stdout, or re-redact a bundle into --out NEW.zip
    Redact(redact::Args),
    /// Check a bundle against its manifest (exit 1 when anything differs)
    Verify(verify::Args),
    /// Show a bundle's project, facts, items, completeness, checks and redaction counts
    Inspect(inspect::Args),
    /// Show what differs between two bundles
    Diff(diff::Args),
    /// Extract a bundle safely into a directory
    Extract(extract::Args),
    /// Run the spec's checks against a bundle's facts (exit 1 when one fails)
    Check(check::Args),
    /// Re-render the issue body (or, with --url, the new-issue link) from a bundle
    Issue(issue::Args),
    /// Draft a collector spec from a project's SUPPORT.md
    Init(init::Args),
    /// Print a shell completion script
    Completions(completions::Args),
    /// Print the man page (roff), or write every command's page with --dir
    Man(man::Args),
}

/// The bundle argument of the commands that read one bundle (`verify`, `inspect`, `extract`,
/// `check`).
#[derive(Debug, Clone, clap::Args)]
pub struct BundleArg {
    /// The bundle (.zip)
    #[arg(value_name = "BUNDLE")]
    bundle: PathBuf,
}

impl BundleArg {
    /// Open it through the hostile-input-safe reader.
    fn open(&self) -> Result<Bundle, ReadError> {
        Bundle::open(&self.bundle)
    }
}

/// Redaction flags shared by `collect` and `redact`.
#[derive(Debug, Clone, clap::Args)]
pub struct RedactionArgs {
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
}

impl RedactionArgs {
    fn options(&self) -> support_bundle::redact::Options {
        support_bundle::redact::Options {
            rule_files: self.rules.clone(),
            no_default_rules: self.no_default_rules,
            keep_identifiers: self.keep_identifiers,
            literals: self.redact.clone(),
            pseudonym_key: self.pseudonym_key.clone(),
            ..Default::default()
        }
    }
}

/// Parse arguments, run, and turn the outcome into an exit code.
pub fn run() -> ExitCode {
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
        Command::Specs => specs::run(),
        Command::Redact(args) => redact::run(&args),
        Command::Verify(args) => verify::run(&args),
        Command::Inspect(args) => inspect::run(&args),
        Command::Diff(args) => diff::run(&args),
        Command::Extract(args) => extract::run(&args),
        Command::Check(args) => check::run(&args),
        Command::Issue(args) => issue::run(&args),
        Command::Init(args) => init::run(&args),
        Command::Completions(args) => completions::run(&args),
        Command::Man(args) => man::run(&args),
    };
    match result {
        Ok(code) => code.into(),
        Err(e) => {
            eprintln!("error: {}", one_line_cause(&e));
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
