//! `collect`: run a spec, write the bundle and issue file, print a one-screen summary.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io::Read;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::{Context as _, bail};
use support_bundle::item::Status;
use support_bundle::run::{self, Action, Event, Outcome, Step};
use support_bundle::sanitize::for_terminal;
use support_bundle::spec::{self, DEFAULT_SPEC};

use super::{Exit, RedactionArgs, output};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Built-in spec name (see `specs`) or path to a spec file
    #[arg(long, value_name = "NAME|PATH", default_value = DEFAULT_SPEC)]
    spec: String,
    /// Directory to write the bundle and issue file to
    #[arg(long, value_name = "DIR", default_value = ".")]
    out: PathBuf,
    /// Resolve every absolute path the spec names under DIR
    #[arg(long, value_name = "DIR")]
    sysroot: Option<PathBuf>,
    /// Set a spec variable, e.g. `--var caddyfile=./Caddyfile`; repeatable
    #[arg(long = "var", value_name = "NAME=VALUE", value_parser = parse_var)]
    vars: Vec<(String, String)>,
    #[command(flatten)]
    redaction: RedactionArgs,
    /// Issue title (redacted like everything else)
    #[arg(long, value_name = "TEXT")]
    title: Option<String>,
    /// Your description of the problem, from FILE or `-` for stdin (redacted)
    #[arg(long, value_name = "FILE|-")]
    describe: Option<PathBuf>,
    /// This is a vulnerability: mark the bundle private, print the project's security
    /// contact, and produce no public link or `gh` line
    #[arg(long)]
    security: bool,
    /// A local checkout of the project, to read the spec's issue form from
    #[arg(long, value_name = "DIR")]
    repo_dir: Option<PathBuf>,
    /// Print what would run and be read, and write nothing
    #[arg(long)]
    dry_run: bool,
    /// Print the summary (or the plan, with --dry-run) as JSON on stdout
    #[arg(long)]
    json: bool,
    /// Overall deadline for collection, in seconds
    #[arg(long, value_name = "SECS", default_value_t = 120)]
    timeout: u64,
    /// Never show the progress line
    #[arg(long)]
    no_progress: bool,
}

fn parse_var(s: &str) -> Result<(String, String), String> {
    let (name, value) = s
        .split_once('=')
        .ok_or_else(|| format!("`{s}` is not NAME=VALUE"))?;
    if name.is_empty() {
        return Err(format!("`{s}` has an empty name"));
    }
    Ok((name.to_string(), value.to_string()))
}

pub fn run(args: &Args) -> anyhow::Result<Exit> {
    stop_commands_on_signals();
    let spec = spec::load(&args.spec)?;
    let known: Vec<&str> = spec.vars.keys().map(String::as_str).collect();
    for (name, _) in &args.vars {
        if !spec.vars.contains_key(name) {
            let list = if known.is_empty() {
                "none".to_string()
            } else {
                known.join(", ")
            };
            bail!(
                "spec `{}` has no variable `{name}` (its variables: {list})",
                spec.project.name
            );
        }
    }
    let mut opts = run::Options::from_env(spec)?;
    opts.out_dir = args.out.clone();
    if let Some(root) = &args.sysroot {
        if !root.is_dir() {
            bail!("--sysroot `{}` is not a directory", root.display());
        }
        opts.sysroot = Some(std::path::absolute(root)?);
    }
    opts.vars = args.vars.iter().cloned().collect::<BTreeMap<_, _>>();
    opts.redaction = args.redaction.options();
    opts.timeout = Duration::from_secs(args.timeout.max(1));
    opts.title = args.title.clone();
    opts.description = args.describe.as_ref().map(read_description).transpose()?;
    opts.security = args.security;
    if let Some(dir) = &args.repo_dir {
        if !dir.is_dir() {
            bail!("--repo-dir `{}` is not a directory", dir.display());
        }
        opts.repo_dir = Some(dir.clone());
    }

    if args.dry_run {
        let steps = opts.plan()?;
        let text = if args.json {
            let value = serde_json::json!({
                "spec": opts.spec.origin,
                "project": opts.spec.project.name,
                "sysroot": opts.sysroot,
                "out": opts.out_dir,
                "steps": steps,
            });
            output::json(&value)?
        } else {
            dry_run_text(&opts, &steps)
        };
        output::print(&text)?;
        return Ok(Exit::Success);
    }

    let bar = progress_bar(args.no_progress || args.json, opts.spec.items.len());
    let on_event = |e: Event<'_>| {
        let Event::Finished { id, done, .. } = e;
        bar.set_position(done as u64);
        bar.set_message(id.to_string());
    };
    let outcome = run::collect(&opts, &on_event)?;
    bar.finish_and_clear();
    for w in &outcome.warnings {
        eprintln!("warning: {w}");
    }
    let text = if args.json {
        summary_json(&outcome)?
    } else {
        summary_text(&outcome)
    };
    output::print(&text)?;
    Ok(Exit::Success)
}

/// Commands run in process groups of their own, out of reach of the terminal's Ctrl-C: on
/// SIGINT, SIGTERM or SIGHUP, kill them, then end with the conventional 128 + signal status
/// (the one exit outside `Exit`: there is no result to report).
fn stop_commands_on_signals() {
    use signal_hook::consts::{SIGHUP, SIGINT, SIGTERM};
    let Ok(mut signals) = signal_hook::iterator::Signals::new([SIGINT, SIGTERM, SIGHUP]) else {
        return;
    };
    std::thread::spawn(move || {
        if let Some(signal) = signals.forever().next() {
            let running = support_bundle::collect::running::count();
            support_bundle::collect::running::kill_all();
            eprintln!("\ninterrupted: stopped {running} running command(s); no bundle was written");
            std::process::exit(128 + signal);
        }
    });
}

pub(super) fn read_description(path: &PathBuf) -> anyhow::Result<String> {
    let mut bytes = Vec::new();
    if path.as_os_str() == "-" {
        std::io::stdin()
            .lock()
            .take(1024 * 1024)
            .read_to_end(&mut bytes)
            .context("cannot read the description from stdin")?;
    } else {
        std::fs::File::open(path)
            .and_then(|f| f.take(1024 * 1024).read_to_end(&mut bytes))
            .with_context(|| format!("cannot read description `{}`", path.display()))?;
    }
    Ok(String::from_utf8_lossy(&bytes).into_owned())
}

fn progress_bar(hidden: bool, total: usize) -> indicatif::ProgressBar {
    if hidden || !output::stderr_is_tty() {
        return indicatif::ProgressBar::hidden();
    }
    let bar = indicatif::ProgressBar::new(total as u64);
    if let Ok(style) = indicatif::ProgressStyle::with_template("collecting {pos}/{len} {wide_msg}")
    {
        bar.set_style(style);
    }
    bar
}

fn dry_run_text(opts: &run::Options, steps: &[Step]) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "spec {} ({} steps); nothing will be written",
        opts.spec.origin,
        steps.len()
    );
    if let Some(root) = &opts.sysroot {
        let _ = writeln!(out, "sysroot {}", root.display());
    }
    let width = steps.iter().map(|s| s.id.len()).max().unwrap_or(0);
    for step in steps {
        let what = match &step.action {
            Action::System => "os_info + sysinfo facts".to_string(),
            Action::Command {
                argv,
                resolved,
                timeout_secs,
                max_bytes,
                ..
            } => format!(
                "run {:?} ({}; timeout {timeout_secs}s, cap {})",
                argv,
                resolved
                    .as_deref()
                    .map_or("not found on PATH".to_string(), |p| format!("found at {p}")),
                size(*max_bytes)
            ),
            Action::File { resolved, read, .. } => format!(
                "read {resolved} (cap {}{}{})",
                size(read.max_bytes),
                read.tail_lines
                    .map(|n| format!(", last {n} lines"))
                    .unwrap_or_default(),
                if read.binary {
                    ", binary stored as-is"
                } else {
                    ""
                }
            ),
            Action::FileFrom { item, regex, read } => format!(
                "read files named in `{item}` matching {regex} (cap {} each{})",
                size(read.max_bytes),
                if read.binary {
                    ", binary stored as-is"
                } else {
                    ""
                }
            ),
            Action::Listing {
                resolved,
                recursive,
                ..
            } => format!(
                "list {resolved}{}",
                if *recursive { " recursively" } else { "" }
            ),
            Action::Http {
                url,
                timeout_secs,
                max_bytes,
                allow_remote,
                ..
            } => format!(
                "GET {url} (timeout {timeout_secs}s, cap {}{})",
                size(*max_bytes),
                if *allow_remote {
                    ", remote allowed"
                } else {
                    ", loopback only"
                }
            ),
            Action::Env { vars } => format!("read environment variables {}", vars.join(", ")),
        };
        let _ = writeln!(
            out,
            "  {:<7} {:width$}  {}",
            step.action.kind(),
            step.id,
            for_terminal(&what)
        );
    }
    out
}

/// A byte count for people: `8 MiB`, `512 KiB`, `100 bytes`.
fn size(bytes: u64) -> String {
    const KIB: u64 = 1024;
    const MIB: u64 = 1024 * KIB;
    match bytes {
        b if b >= MIB && b % MIB == 0 => format!("{} MiB", b / MIB),
        b if b >= KIB && b % KIB == 0 => format!("{} KiB", b / KIB),
        b => format!("{b} bytes"),
    }
}

fn summary_text(o: &Outcome) -> String {
    let m = &o.manifest;
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{} bundle from spec {}",
        m.project.display, m.spec.origin
    );
    let width = m.items.iter().map(|i| i.id.len()).max().unwrap_or(0);
    for item in &m.items {
        let detail = item
            .detail
            .as_deref()
            .map(|d| format!(" ({})", for_terminal(d)))
            .unwrap_or_default();
        let redacted = if item.redactions > 0 {
            format!(", {} redacted", item.redactions)
        } else {
            String::new()
        };
        let _ = writeln!(
            out,
            "  {:<9} {:width$}  {}{detail}{redacted}",
            item.status.as_str(),
            item.id,
            for_terminal(&item.source)
        );
    }
    let count = |pred: fn(Status) -> bool| m.items.iter().filter(|i| pred(i.status)).count();
    let redacted: u64 = m.items.iter().map(|i| i.redactions).sum();
    let _ = writeln!(
        out,
        "collected {}, missing {}, skipped {}, failed or timed out {}; {redacted} values redacted",
        count(|s| matches!(s, Status::Ok | Status::Truncated)),
        count(|s| matches!(s, Status::Missing | Status::Denied)),
        count(|s| s == Status::Skipped),
        count(|s| matches!(s, Status::Failed | Status::Timeout)),
    );
    for c in m.checks.iter().filter(|c| c.outcome.is_flagged()) {
        let _ = writeln!(
            out,
            "check {} {}: {}",
            c.outcome.as_str().to_uppercase(),
            c.id,
            for_terminal(&c.message)
        );
    }
    let _ = writeln!(out, "bundle {}", o.bundle.display());
    let _ = writeln!(out, "issue  {}", o.issue.display());
    out.push_str(&filing_text(&o.filing));
    out
}

/// The filing lines of a summary: security contact, or link and `gh` line.
pub(super) fn filing_text(f: &support_bundle::issue::Filing) -> String {
    let mut out = String::new();
    if let Some(contact) = &f.security {
        let _ = writeln!(
            out,
            "SECURITY REPORT: do not file a public issue. {}",
            for_terminal(contact)
        );
        return out;
    }
    if let Some(url) = &f.url {
        let trimmed = if f.trimmed {
            " (body trimmed to fit; attach the bundle)"
        } else {
            ""
        };
        let _ = writeln!(out, "file   {}{trimmed}", for_terminal(url));
    }
    if let Some(gh) = &f.gh {
        let _ = writeln!(out, "or     {}", for_terminal(gh));
    }
    if let Some(note) = &f.note {
        let _ = writeln!(out, "note   {}", for_terminal(note));
    }
    out
}

fn summary_json(o: &Outcome) -> anyhow::Result<String> {
    let value = serde_json::json!({
        "bundle": o.bundle,
        "issue": o.issue,
        "id": o.id,
        "filing": o.filing,
        "manifest": o.manifest,
    });
    Ok(output::json(&value)?)
}
