//! Redact stdin to stdout with the default rules, as `support-bundle redact` does, through the
//! library alone. With `--baseline` it only reads and splits lines: the floor
//! `scripts/bench-redact.sh` measures `support-bundle redact` against.

use std::io::{self, BufRead, Write};

use support_bundle::item::Format;
use support_bundle::redact::{Counts, Options, Redactor};

fn main() -> io::Result<()> {
    let baseline = std::env::args().any(|a| a == "--baseline");
    let stdin = io::stdin().lock();
    let stdout = io::stdout().lock();
    if baseline {
        let mut input = io::BufReader::with_capacity(64 << 10, stdin);
        let mut out = io::BufWriter::with_capacity(64 << 10, stdout);
        let mut line = Vec::with_capacity(1024);
        while input.read_until(b'\n', &mut line)? > 0 {
            out.write_all(&line)?;
            line.clear();
        }
        return out.flush();
    }
    let r = Redactor::new(&Options::default()).map_err(io::Error::other)?;
    let mut counts = Counts::default();
    r.redact_stream(stdin, stdout, Format::Text, &mut counts)?;
    eprintln!("redacted {} values", counts.total());
    Ok(())
}
