//! `issue BUNDLE`: re-render the issue body, link and `gh` line from an existing bundle.
//!
//! The body is built from a bundle that may come from anyone: everything printed passes the
//! sanitizer, as text and as JSON.

use std::path::PathBuf;

use anyhow::bail;
use support_bundle::issue::{self, Filing, FilingOptions, Form, StoredBundle};
use support_bundle::item::Format;
use support_bundle::redact::{Counts, Redactor};
use support_bundle::run::summary::filing_text;
use support_bundle::sanitize::for_terminal;

use super::{Exit, IdentityArg, IssueArgs, RedactionArgs, output, refuse_non_regular};

#[derive(Debug, clap::Args)]
pub(super) struct Args {
    /// The bundle (`<project>-bundle-<id>.zip`)
    #[arg(value_name = "BUNDLE")]
    bundle: PathBuf,
    /// Print the prefilled new-issue link instead of the body
    #[arg(long)]
    url: bool,
    /// Print body, link and `gh` line as JSON
    #[arg(long, conflicts_with = "url")]
    json: bool,
    #[command(flatten)]
    issue: IssueArgs,
    /// The issue body file the `gh` line names (default: `<project>-issue.md` beside the bundle)
    #[arg(long, value_name = "FILE")]
    body_file: Option<PathBuf>,
    #[command(flatten)]
    redaction: RedactionArgs,
    #[command(flatten)]
    identity: IdentityArg,
}

/// What `issue --json` prints.
#[derive(serde::Serialize)]
struct Rendered<'a> {
    body: &'a str,
    filing: &'a Filing,
}

pub(super) fn run(args: &Args) -> anyhow::Result<Exit> {
    refuse_non_regular(&args.bundle)?;
    let bundle = if support_bundle::seal::is_sealed(&args.bundle) {
        StoredBundle::from_bundle(args.identity.open(&args.bundle)?)?
    } else {
        StoredBundle::read(&args.bundle)?
    };
    let redactor = Redactor::new(&args.redaction.options())?;
    let mut counts = Counts::default();
    let title = args
        .issue
        .title
        .as_deref()
        .map(|t| redactor.redact_str(t, &mut counts));
    let description = args.issue.description()?.map(|text| {
        let bytes = redactor.redact_bytes(text.as_bytes(), Format::Text, &mut counts);
        String::from_utf8_lossy(&bytes).into_owned()
    });
    let mut warnings = Vec::new();
    // A host or address in the title or description got a pseudonym: `reveal` must know it.
    if let Err(e) = redactor.save_reveal_map() {
        warnings.push(format!("`reveal` will not know these pseudonyms: {e}"));
    }
    let form = match (&bundle.spec.project.issue_form, args.issue.repo_dir()?) {
        (Some(rel), Some(dir)) => match Form::load(dir, rel) {
            Ok(f) => Some(f),
            Err(e) => {
                warnings.push(format!("{e}; the link carries the body instead"));
                None
            }
        },
        (None, Some(_)) => {
            warnings.push("the bundle's spec names no `issue_form`; --repo-dir is unused".into());
            None
        }
        _ => None,
    };
    let body_file = args.body_file.clone().unwrap_or_else(|| {
        args.bundle
            .parent()
            .unwrap_or(std::path::Path::new("."))
            .join(format!("{}-issue.md", bundle.manifest.project.name))
    });
    let mut filing_options = FilingOptions::default()
        .with_security(args.issue.security)
        .with_body_file(body_file.as_path());
    filing_options.form = form.as_ref();
    let out = issue::rerender(
        &bundle,
        title.as_deref(),
        description.as_deref(),
        &filing_options,
    );
    for w in &warnings {
        eprintln!("warning: {}", for_terminal(w));
    }
    if !args.url {
        let rendered = Rendered {
            body: &out.body,
            filing: &out.filing,
        };
        output::emit(&rendered, args.json, |r| for_terminal(r.body).into_owned())?;
        return Ok(Exit::Success);
    }
    match &out.filing.url {
        Some(url) => {
            output::print(&format!("{}\n", for_terminal(url)))?;
            if out.filing.trimmed {
                eprintln!("note: the body in the link is trimmed; attach the bundle");
            }
            Ok(Exit::Success)
        }
        None => {
            let why = filing_text(&out.filing);
            bail!("no public link: {}", why.trim())
        }
    }
}
