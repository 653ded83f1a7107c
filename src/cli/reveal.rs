//! `reveal`: which value a pseudonym stands for, read from the map kept beside the pseudonym
//! key on the machine that made it. Nothing here ever goes into a bundle.

use std::path::PathBuf;

use support_bundle::redact::{self, reveal};
use support_bundle::sanitize::for_terminal;

use super::{Exit, output};

#[derive(Debug, clap::Args)]
pub(super) struct Args {
    /// Pseudonyms to look up (`host-3fa2c1`, `ip-f9c89a`, `user-…`)
    #[arg(value_name = "PSEUDONYM", required_unless_present = "forget")]
    pseudonyms: Vec<String>,
    /// Delete the map of pseudonyms made on this machine (the key stays, so new bundles keep
    /// their pseudonyms)
    #[arg(long, conflicts_with = "pseudonyms")]
    forget: bool,
    /// Pseudonym key file whose map to read (default: the per-installation key)
    #[arg(long, value_name = "FILE")]
    pseudonym_key: Option<PathBuf>,
}

pub(super) fn run(args: &Args) -> anyhow::Result<Exit> {
    let mut opts = redact::Options::default();
    opts.pseudonym_key.clone_from(&args.pseudonym_key);
    let Some(key) = redact::key_path(&opts) else {
        anyhow::bail!(
            "no config directory to find the pseudonym map in (set HOME or XDG_CONFIG_HOME, or \
             pass --pseudonym-key)"
        );
    };
    let path = reveal::map_path(&key);
    let shown = for_terminal(&path.display().to_string()).into_owned();
    if args.forget {
        let text = if reveal::forget(&path)? {
            format!("forgot the pseudonyms in {shown}\n")
        } else {
            format!("no pseudonyms to forget ({shown} does not exist)\n")
        };
        output::print(&text)?;
        return Ok(Exit::Success);
    }
    let map = reveal::load(&path)?;
    let mut text = String::new();
    let mut unknown = Vec::new();
    for p in &args.pseudonyms {
        match map.get(p.trim()) {
            Some(v) => text.push_str(&format!("{}  {}\n", for_terminal(p), for_terminal(v))),
            None => unknown.push(p),
        }
    }
    output::print(&text)?;
    for p in &unknown {
        eprintln!(
            "error: unknown pseudonym `{}`: not made on this machine with this key (or \
             forgotten); the map is {shown}",
            for_terminal(p)
        );
    }
    Ok(if unknown.is_empty() {
        Exit::Success
    } else {
        Exit::Negative
    })
}
