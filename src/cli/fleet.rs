//! `fleet`: collect from many hosts over OpenSSH (or another exec transport) with one
//! pseudonym key, and write a fleet report beside the bundles.

use std::fmt::Write as _;
use std::io::Write as _;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use anyhow::{Context as _, bail};
use support_bundle::fleet::{self, HostReport, Status, transport::quote};
use support_bundle::redact::pseudonym::PseudonymKey;
use support_bundle::sanitize::for_terminal;
use support_bundle::spec::DEFAULT_SPEC;

use super::{Exit, output};

/// Longest per-host or overall deadline: a day.
const MAX_TIMEOUT_SECS: u64 = 24 * 60 * 60;

#[derive(Debug, clap::Args)]
pub(super) struct Args {
    /// An inventory file (TOML, `[[hosts]]`), or hosts as `[USER@]HOST[:PORT]`, comma-separated
    #[arg(long, value_name = "FILE|HOST[,HOST...]")]
    hosts: String,
    /// Built-in spec name (see `specs`) or path to a spec file
    #[arg(long, value_name = "NAME|PATH", default_value = DEFAULT_SPEC,
          value_parser = super::completions::SpecName, hide_possible_values = true)]
    spec: String,
    /// Transport: a command prefix that runs a command on the host with stdin and stdout
    /// piped, `{host}`, `{port}` and `{user}` filled in (default: `ssh -o BatchMode=yes [-p
    /// PORT] [-l USER] HOST --`)
    #[arg(long, value_name = "TEMPLATE")]
    via: Option<String>,
    /// Hosts collected at once
    #[arg(long, value_name = "N", default_value_t = 8,
          value_parser = clap::value_parser!(u64).range(1..=256))]
    parallel: u64,
    /// Deadline for each host, in seconds
    #[arg(long, value_name = "SECS", default_value_t = 300,
          value_parser = clap::value_parser!(u64).range(1..=MAX_TIMEOUT_SECS))]
    timeout: u64,
    /// Deadline for the whole run, in seconds
    #[arg(long, value_name = "SECS", default_value_t = 3600,
          value_parser = clap::value_parser!(u64).range(1..=MAX_TIMEOUT_SECS))]
    total_timeout: u64,
    /// Directory for the bundles (one directory per host) and fleet.json / fleet.md
    #[arg(long, value_name = "DIR")]
    out: PathBuf,
    /// Pseudonym key file every host uses (default: your per-installation key)
    #[arg(long, value_name = "FILE")]
    pseudonym_key: Option<PathBuf>,
    /// Print each host's transport and write nothing, connect nowhere
    #[arg(long)]
    dry_run: bool,
    /// Print fleet.json on stdout (or, with --dry-run, the plan as JSON)
    #[arg(long)]
    json: bool,
    /// Also write the report as a self-contained HTML page to FILE (one file, loads nothing)
    #[arg(long, value_name = "FILE", conflicts_with = "dry_run")]
    html: Option<PathBuf>,
}

pub(super) fn run(args: &Args) -> anyhow::Result<Exit> {
    let hosts = fleet::inventory::resolve(&args.hosts)?;
    // Load it here first: a bad spec is one error now, not one per host.
    let loaded = super::spec_source::load_local(&args.spec)?;
    let source = fleet::spec_source(&args.spec)?;
    let transports = fleet::transports(&hosts, args.via.as_deref())?;

    if args.dry_run {
        let mut text = format!(
            "spec {}; {} host(s); nothing will be run or written\n",
            loaded.origin,
            hosts.len()
        );
        let mut planned = Vec::new();
        for (h, t) in hosts.iter().zip(&transports) {
            let words: Vec<String> = t.prefix().iter().map(|w| quote(w)).collect();
            let _ = writeln!(text, "  {}  {} …", h.label(), words.join(" "));
            planned.push(serde_json::json!({"name": h.label(), "transport": t.prefix()}));
        }
        let plan = serde_json::json!({
            "spec": loaded.origin,
            "out": args.out.display().to_string(),
            "hosts": planned,
        });
        output::emit(&plan, args.json, |_| for_terminal(&text).into_owned())?;
        return Ok(Exit::Success);
    }

    let mut key_opts = support_bundle::redact::Options::default();
    key_opts.pseudonym_key = args.pseudonym_key.clone();
    let key_path = support_bundle::redact::key_path(&key_opts).context(
        "no config directory for the pseudonym key (set HOME or XDG_CONFIG_HOME, or pass \
         --pseudonym-key)",
    )?;
    let key = PseudonymKey::load_or_create(&key_path).map_err(anyhow::Error::msg)?;
    let exe = std::env::current_exe().context("cannot find this binary to send to hosts")?;
    if args.out.exists() && !args.out.is_dir() {
        bail!("--out `{}` is not a directory", args.out.display());
    }
    if let Some(path) = &args.html {
        // Found out now, not after every host has run.
        let parent = path.parent().filter(|p| !p.as_os_str().is_empty());
        if path.is_dir() || parent.is_some_and(|p| !p.is_dir()) {
            bail!("--html `{}`: cannot write a file there", path.display());
        }
    }
    let opts = fleet::Options {
        hosts,
        spec: source,
        spec_shown: loaded.origin.clone(),
        via: args.via.clone(),
        parallel: usize::try_from(args.parallel).unwrap_or(8),
        host_timeout: Duration::from_secs(args.timeout),
        total_timeout: Duration::from_secs(args.total_timeout),
        out_dir: args.out.clone(),
        key,
        exe,
    };
    let cancel = Arc::new(AtomicBool::new(false));
    install_signals(Arc::clone(&cancel));
    let total = opts.hosts.len();
    let done = AtomicUsize::new(0);
    let on_done = |h: &HostReport| {
        let n = done.fetch_add(1, Ordering::Relaxed) + 1;
        // A closed stderr must not panic a worker thread mid-host.
        let _ = writeln!(
            std::io::stderr(),
            "{}",
            for_terminal(&host_line(h, n, total))
        );
    };
    let result = fleet::run(&opts, &cancel, &on_done)?;
    if let Some(path) = &args.html {
        super::inspect::save_page(path, &fleet::html::page(&result))?;
    }
    if args.json {
        output::print(&result.to_json()?)?;
    } else {
        let ok = result.ok().count();
        let mut text = format!(
            "{total} host(s): {ok} collected, {} failed in {:.1} s\nreport: {}\n",
            total - ok,
            result.seconds,
            for_terminal(&args.out.join("fleet.md").display().to_string()),
        );
        if let Some(path) = &args.html {
            let _ = writeln!(text, "html: {}", for_terminal(&path.display().to_string()));
        }
        output::print(&text)?;
    }
    if cancel.load(Ordering::Relaxed) {
        // The conventional status of an interrupted run, after the hosts were cleaned up.
        std::process::exit(130);
    }
    Ok(if result.all_ok() {
        Exit::Success
    } else {
        Exit::Negative
    })
}

/// `[3/12] web-1: ok (4.2 s)` or `[4/12] db: unreachable: …`.
fn host_line(h: &HostReport, n: usize, total: usize) -> String {
    let mut line = format!("[{n}/{total}] {}: {}", h.name, h.status.as_str());
    if h.status == Status::Ok {
        let _ = write!(line, " ({:.1} s)", h.seconds);
    }
    if let Some(m) = &h.message {
        let _ = write!(line, ": {m}");
    }
    line
}

/// The first SIGINT, SIGTERM or SIGHUP stops the hosts' commands and lets each host's temp
/// dir be removed and the report be written; a second one ends at once.
fn install_signals(cancel: Arc<AtomicBool>) {
    use signal_hook::consts::{SIGHUP, SIGINT, SIGTERM};
    let Ok(mut signals) = signal_hook::iterator::Signals::new([SIGINT, SIGTERM, SIGHUP]) else {
        return;
    };
    std::thread::spawn(move || {
        for signal in signals.forever() {
            if cancel.swap(true, Ordering::Relaxed) {
                std::process::exit(128 + signal);
            }
            let _ = writeln!(
                std::io::stderr(),
                "\ninterrupted: stopping, removing the temp dirs on the hosts"
            );
        }
    });
}
