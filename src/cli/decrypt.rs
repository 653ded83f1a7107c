//! `decrypt FILE --identity KEYFILE`: turn a sealed bundle (`.zip.age`) back into the zip, for
//! a maintainer holding one of the keys it was encrypted to.

use std::path::PathBuf;

use anyhow::bail;
use support_bundle::sanitize::for_terminal;
use support_bundle::seal::{self, Identities};

use super::{Exit, output, refuse_non_regular};

#[derive(Debug, clap::Args)]
pub(super) struct Args {
    /// The encrypted bundle (`<project>-bundle-<id>.zip.age`)
    #[arg(value_name = "FILE")]
    file: PathBuf,
    /// Your age identity file (as `age-keygen` writes it)
    #[arg(long, value_name = "KEYFILE")]
    identity: PathBuf,
    /// Where to write the zip (default: FILE without `.age`); never overwritten
    #[arg(long, value_name = "FILE")]
    out: Option<PathBuf>,
}

pub(super) fn run(args: &Args) -> anyhow::Result<Exit> {
    refuse_non_regular(&args.file)?;
    let out = match &args.out {
        Some(out) => out.clone(),
        None => default_out(&args.file)?,
    };
    if out.symlink_metadata().is_ok() {
        bail!(
            "`{}` already exists; remove it or choose another --out",
            out.display()
        );
    }
    let identities = Identities::load(&args.identity)?;
    let size = identities.decrypt_file(&args.file, &out)?;
    output::print(&format!(
        "decrypted {} ({size} bytes)\n",
        for_terminal(&out.display().to_string())
    ))?;
    Ok(Exit::Success)
}

/// FILE without its `.age` extension.
fn default_out(file: &std::path::Path) -> anyhow::Result<PathBuf> {
    match file.extension() {
        Some(ext) if ext == seal::EXTENSION && file.file_stem().is_some() => {
            Ok(file.with_extension(""))
        }
        _ => bail!(
            "`{}` does not end in `.{}`; say where the zip goes with --out FILE",
            file.display(),
            seal::EXTENSION
        ),
    }
}
