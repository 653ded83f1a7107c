//! Write N megabytes of generated logs to stdout:
//! `cargo run --release --example gen_logs -- 100 [--profile mixed|journald]`.
//!
//! Profiles: `mixed` (default) is web-facing logs from a busy host: access logs with many
//! distinct client addresses, JSON access and application logs, journald request dumps with
//! headers, sshd and firewall lines. `journald` is journald and JSON application lines with
//! secrets planted among decoys.

use std::io;

/// Generated logs and secrets, shared with the benches and the tests.
#[allow(dead_code, unreachable_pub)]
#[path = "../tests/support/testdata.rs"]
mod testdata;

use testdata::Profile;

fn main() -> io::Result<()> {
    let mut mb: u64 = 100;
    let mut profile = Profile::Mixed;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        if a == "--profile" {
            let name = args.next().unwrap_or_default();
            profile = Profile::from_name(&name).ok_or_else(|| {
                let names: Vec<&str> = Profile::ALL.iter().map(|p| p.as_str()).collect();
                io::Error::other(format!(
                    "unknown profile `{name}`; expected one of {}",
                    names.join(", ")
                ))
            })?;
        } else {
            mb = a
                .parse()
                .map_err(|_| io::Error::other(format!("expected a size in MiB, got `{a}`")))?;
        }
    }
    let out = io::BufWriter::with_capacity(1 << 20, io::stdout().lock());
    match testdata::write_profile(profile, 42, mb << 20, out) {
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => Ok(()),
        other => other,
    }
}
