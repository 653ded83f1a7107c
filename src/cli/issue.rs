//! `issue BUNDLE`: re-render the issue body, link and `gh` line from an existing bundle.

use std::path::PathBuf;

use anyhow::bail;
use support_bundle::issue::{self, FilingOptions, Form, StoredBundle};
use support_bundle::item::Format;
use support_bundle::redact::{Counts, Redactor};
use support_bundle::sanitize::for_terminal;

use super::collect::{filing_text, read_description};
use super::{Exit, RedactionArgs, output};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The bundle (`<project>-bundle-<id>.zip`)
    #[arg(value_name = "BUNDLE")]
    bundle: PathBuf,
    /// Print the prefilled new-issue link instead of the body
    #[arg(long)]
    url: bool,
    /// Print body, link and `gh` line as JSON
    #[arg(long, conflicts_with = "url")]
    json: bool,
    /// A new title (redacted), instead of the one stored in the bundle
    #[arg(long, value_name = "TEXT")]
    title: Option<String>,
    /// A new description from FILE or `-` for stdin (redacted)
    #[arg(long, value_name = "FILE|-")]
    describe: Option<PathBuf>,
    /// Treat it as a vulnerability: no public link or `gh` line, the security contact instead
    #[arg(long)]
    security: bool,
    /// A local checkout of the project, to read the spec's issue form from
    #[arg(long, value_name = "DIR")]
    repo_dir: Option<PathBuf>,
    /// The issue body file the `gh` line names (default: `<project>-issue.md` beside the bundle)
    #[arg(long, value_name = "FILE")]
    body_file: Option<PathBuf>,
    #[command(flatten)]
    redaction: RedactionArgs,
}

pub fn run(args: &Args) -> anyhow::Result<Exit> {
    let bundle = StoredBundle::read(&args.bundle)?;
    let redactor = Redactor::new(&args.redaction.options())?;
    let mut counts = Counts::default();
    let title = args
        .title
        .as_deref()
        .map(|t| redactor.redact_str(t, &mut counts));
    let description = match &args.describe {
        Some(p) => {
            let text = read_description(p)?;
            let bytes = redactor.redact_bytes(text.as_bytes(), Format::Text, &mut counts);
            Some(String::from_utf8_lossy(&bytes).into_owned())
        }
        None => None,
    };
    let mut warnings = Vec::new();
    let form = match (&bundle.spec.project.issue_form, &args.repo_dir) {
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
    let out = issue::rerender(
        &bundle,
        title.as_deref(),
        description.as_deref(),
        &FilingOptions {
            security: args.security,
            form: form.as_ref(),
            body_file: Some(&body_file),
        },
    );
    for w in &warnings {
        eprintln!("warning: {w}");
    }
    if args.json {
        let value = serde_json::json!({ "body": out.body, "filing": out.filing });
        output::print(&output::json(&value)?)?;
        return Ok(Exit::Success);
    }
    if !args.url {
        output::print(&out.body)?;
        return Ok(Exit::Success);
    }
    match &out.filing.url {
        Some(url) => {
            output::print(&format!("{url}\n"))?;
            if out.filing.trimmed {
                eprintln!("note: the body in the link is trimmed; attach the bundle");
            }
            Ok(Exit::Success)
        }
        None => {
            let why = filing_text(&out.filing);
            bail!("no public link: {}", for_terminal(why.trim()))
        }
    }
}
