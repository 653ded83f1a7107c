//! Write N megabytes of generated mixed logs (journald and JSON lines, secrets planted among
//! decoys) to stdout: `cargo run --release --example gen_logs -- 100`.

use std::io;

/// Generated logs and secrets, shared with the benches and the log generator.
#[allow(dead_code, unreachable_pub)]
#[path = "../tests/support/testdata.rs"]
mod testdata;

fn main() -> io::Result<()> {
    let mb: u64 = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(100);
    let out = io::BufWriter::with_capacity(1 << 20, io::stdout().lock());
    match testdata::write_logs(42, mb << 20, out) {
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => Ok(()),
        other => other,
    }
}
