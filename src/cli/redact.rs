//! `redact`: stream a file or stdin through the redactor to stdout.

use std::fs::File;
use std::io::{self, BufWriter, Read, Write};
use std::path::PathBuf;

use anyhow::Context as _;
use support_bundle::item::Format;
use support_bundle::redact::{Counts, Redactor};

use super::{Exit, RedactionArgs};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The file to redact; `-` or nothing reads stdin
    #[arg(value_name = "FILE")]
    input: Option<PathBuf>,
    #[command(flatten)]
    redaction: RedactionArgs,
    /// Read the input as this format, turning on key-based rules for it
    #[arg(long, value_name = "FORMAT", default_value = "text", value_parser = parse_format)]
    format: Format,
    /// Write per-rule replacement counts (never values) as JSON to FILE
    #[arg(long, value_name = "FILE")]
    report: Option<PathBuf>,
}

fn parse_format(s: &str) -> Result<Format, String> {
    Format::ALL
        .into_iter()
        .find(|f| f.as_str() == s)
        .ok_or_else(|| {
            let names: Vec<&str> = Format::ALL.iter().map(|f| f.as_str()).collect();
            format!("expected one of {}", names.join(", "))
        })
}

pub fn run(args: &Args) -> anyhow::Result<Exit> {
    let redactor = Redactor::new(&args.redaction.options())?;
    for w in redactor.warnings() {
        eprintln!("warning: {w}");
    }
    let input: Box<dyn Read> = match &args.input {
        None => Box::new(io::stdin().lock()),
        Some(p) if p.as_os_str() == "-" => Box::new(io::stdin().lock()),
        Some(p) => {
            Box::new(File::open(p).with_context(|| format!("cannot open `{}`", p.display()))?)
        }
    };
    let mut counts = Counts::default();
    let stdout = io::stdout().lock();
    let mut out = BufWriter::with_capacity(256 * 1024, stdout);
    let result = redactor
        .redact_stream(input, &mut out, args.format, &mut counts)
        .and_then(|()| out.flush());
    match result {
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => {}
        other => other.context("redaction failed")?,
    }
    if let Some(path) = &args.report {
        let value = serde_json::json!({ "totals": counts.by_rule() });
        let mut text = serde_json::to_string_pretty(&value)?;
        text.push('\n');
        support_bundle::run::write_atomic(path, text.as_bytes())
            .with_context(|| format!("cannot write report `{}`", path.display()))?;
    }
    Ok(Exit::Success)
}
