//! `redact`: stream a file or stdin through the redactor to stdout; or, when the input is a
//! bundle (zip magic), re-redact it into a new bundle at `--out`.

use std::fs::File;
use std::io::{self, BufWriter, Read, Write};
use std::path::PathBuf;

use anyhow::Context as _;
use support_bundle::bundle::Bundle;
use support_bundle::bundle::reredact::reredact;
use support_bundle::item::Format;
use support_bundle::redact::{Counts, Redactor};
use support_bundle::sanitize::for_terminal;

use super::{Exit, RedactionArgs, output};

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
    /// Where to write the re-redacted bundle (required when FILE is a bundle)
    #[arg(long, value_name = "NEW.zip")]
    out: Option<PathBuf>,
}

/// The first bytes of every zip with a local file header first (every bundle).
const ZIP_MAGIC: &[u8; 4] = b"PK\x03\x04";

fn is_bundle(path: &std::path::Path) -> io::Result<bool> {
    let mut magic = [0u8; 4];
    let mut file = File::open(path)?;
    let mut filled = 0;
    while filled < magic.len() {
        match file.read(&mut magic[filled..])? {
            0 => return Ok(false),
            n => filled += n,
        }
    }
    Ok(&magic == ZIP_MAGIC)
}

fn run_bundle(args: &Args, input: &std::path::Path) -> anyhow::Result<Exit> {
    let Some(out) = &args.out else {
        anyhow::bail!(
            "`{}` is a bundle: pass --out NEW.zip to write the re-redacted bundle",
            input.display()
        );
    };
    if std::fs::canonicalize(out).ok() == std::fs::canonicalize(input).ok() && out.exists() {
        anyhow::bail!("--out must not be the input bundle");
    }
    let mut redactor = Redactor::new(&args.redaction.options())?;
    for w in redactor.warnings() {
        eprintln!("warning: {w}");
    }
    let mut bundle = Bundle::open(input)?;
    let written = reredact(&mut bundle, &mut redactor, out)?;
    let total: u64 = written.manifest.items.iter().map(|i| i.redactions).sum();
    output::print(&format!(
        "bundle {} (id {}; {total} values redacted in items)\n",
        for_terminal(&written.path.display().to_string()),
        written.id
    ))?;
    Ok(Exit::Success)
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
    if let Some(p) = args.input.as_deref().filter(|p| p.as_os_str() != "-")
        && is_bundle(p).with_context(|| format!("cannot open `{}`", p.display()))?
    {
        return run_bundle(args, p);
    }
    if args.out.is_some() {
        anyhow::bail!("--out applies only when FILE is a bundle");
    }
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
        let mut report = support_bundle::redact::Report::default();
        let name = args
            .input
            .as_deref()
            .map_or("-".into(), |p| p.display().to_string());
        report.add(&name, &counts);
        report
            .write_to(path)
            .with_context(|| format!("cannot write report `{}`", path.display()))?;
    }
    Ok(Exit::Success)
}
