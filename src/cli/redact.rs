//! `redact`: stream a file or stdin through the redactor to stdout; or, when the input is a
//! bundle (zip magic), re-redact it into a new bundle at `--out`.

use std::fs::File;
use std::io::{self, BufWriter, Read, Write};
use std::path::PathBuf;

use anyhow::Context as _;
use support_bundle::bundle::reredact::reredact;
use support_bundle::item::Format;
use support_bundle::redact::{Counts, Redactor};
use support_bundle::sanitize::for_terminal;

use super::{Exit, RedactionArgs, open_bundle, output, signals};

#[derive(Debug, clap::Args)]
pub(super) struct Args {
    /// The file to redact; `-` or nothing reads stdin
    #[arg(value_name = "FILE")]
    input: Option<PathBuf>,
    #[command(flatten)]
    redaction: RedactionArgs,
    /// Read the input as this format, turning on key-based rules for it
    #[arg(long, value_name = "FORMAT", default_value = "text", value_parser = format_parser())]
    format: Format,
    /// Write per-rule replacement counts (never values) as JSON to FILE
    #[arg(long, value_name = "FILE")]
    report: Option<PathBuf>,
    /// Worker threads for inputs of several MiB (default: one per CPU; 1 streams on one thread)
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..))]
    threads: Option<u16>,
    /// Where to write the re-redacted bundle (required when FILE is a bundle)
    #[arg(long, value_name = "NEW.zip")]
    out: Option<PathBuf>,
}

/// The first bytes of every zip with a local file header first (every bundle).
const ZIP_MAGIC: &[u8; 4] = b"PK\x03\x04";

/// Up to the first four bytes of `input`: what tells a bundle from text. Read from the one
/// handle the rest is streamed from, so a pipe (`<(…)`, `/dev/stdin`, a FIFO) loses nothing.
fn read_head(input: &mut impl Read) -> io::Result<Vec<u8>> {
    let mut head = Vec::with_capacity(ZIP_MAGIC.len());
    input.take(ZIP_MAGIC.len() as u64).read_to_end(&mut head)?;
    Ok(head)
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
        eprintln!("warning: {}", for_terminal(w));
    }
    // An interrupted write removes its temp file and says whether the new bundle exists.
    signals::install();
    let mut bundle = open_bundle(input)?;
    let written = reredact(&mut bundle, &mut redactor, out)?;
    save_reveal_map(&redactor);
    let total: u64 = written.manifest.items.iter().map(|i| i.redactions).sum();
    output::print(&format!(
        "bundle {} (id {}; {total} values redacted in items)\n",
        for_terminal(&written.path.display().to_string()),
        written.id
    ))?;
    Ok(Exit::Success)
}

/// Keep the pseudonyms minted for `reveal`; failing that is worth a warning, not the run.
fn save_reveal_map(redactor: &Redactor) {
    if let Err(e) = redactor.save_reveal_map() {
        eprintln!(
            "warning: `reveal` will not know these pseudonyms: {}",
            for_terminal(&e.to_string())
        );
    }
}

/// `--format`: one of the format names, which help and completion scripts list.
fn format_parser() -> impl clap::builder::TypedValueParser<Value = Format> {
    use clap::builder::TypedValueParser as _;
    clap::builder::PossibleValuesParser::new(Format::ALL.map(Format::as_str))
        .try_map(|name: String| parse_format(&name))
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

pub(super) fn run(args: &Args) -> anyhow::Result<Exit> {
    // `Send`: a large input is read on its own thread while workers redact blocks of it.
    let input: Box<dyn Read + Send> = match args.input.as_deref().filter(|p| p.as_os_str() != "-") {
        None => Box::new(io::stdin()),
        Some(path) => {
            let cannot = || format!("cannot read `{}`", path.display());
            let mut file = File::open(path).with_context(cannot)?;
            let head = read_head(&mut file).with_context(cannot)?;
            if head == ZIP_MAGIC {
                if !file.metadata().with_context(cannot)?.is_file() {
                    anyhow::bail!(
                        "`{}` is a bundle but not a regular file; save it to a file first",
                        path.display()
                    );
                }
                return run_bundle(args, path);
            }
            Box::new(io::Cursor::new(head).chain(file))
        }
    };
    if args.out.is_some() {
        anyhow::bail!("--out applies only when FILE is a bundle");
    }
    let redactor = Redactor::new(&args.redaction.options())?;
    for w in redactor.warnings() {
        eprintln!("warning: {}", for_terminal(w));
    }
    let mut counts = Counts::default();
    let stdout = io::stdout().lock();
    let mut out = BufWriter::with_capacity(256 * 1024, stdout);
    let workers = args
        .threads
        .map_or_else(support_bundle::redact::available_workers, usize::from);
    let result = redactor
        .redact_stream_parallel(input, &mut out, args.format, &mut counts, workers)
        .and_then(|()| out.flush());
    save_reveal_map(&redactor);
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
