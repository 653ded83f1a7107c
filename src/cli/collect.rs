//! `collect`: run a spec, write the bundle and issue file, print a one-screen summary.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::bail;
use support_bundle::redact::pseudonym::PseudonymKey;
use support_bundle::redact::{Counts, KeySource, Redactor};
use support_bundle::run::select::{LogWindow, Selection};
use support_bundle::run::summary::{Link, Summary, dry_run_text, plan_text, warnings_text};
use support_bundle::run::{self, Event, Step};
use support_bundle::sanitize::for_terminal;

use super::{Exit, IssueArgs, RedactionArgs, browser, output, signals, spec_source};

/// Longest `--timeout`: a day is far beyond any collection, and a bound keeps the deadline
/// arithmetic from overflowing.
const MAX_TIMEOUT_SECS: u64 = 24 * 60 * 60;

#[derive(Debug, clap::Args)]
pub(super) struct Args {
    /// Built-in spec name (see `specs`), path to a spec file, or https URL (pinned with
    /// `URL#sha256=HEX`); default: the project's .github/support-bundle.toml or
    /// support-bundle.toml, else the built-in `rust`
    #[arg(long, value_name = "NAME|PATH|URL",
          value_parser = super::completions::SpecName, hide_possible_values = true)]
    spec: Option<String>,
    /// Run a spec fetched from an unpinned URL without asking
    #[arg(long)]
    yes: bool,
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
    #[command(flatten)]
    issue: IssueArgs,
    /// Print what would run and be read, and write nothing
    #[arg(long)]
    dry_run: bool,
    /// Print the summary (or the plan, with --dry-run) as JSON on stdout
    #[arg(long)]
    json: bool,
    /// Overall deadline for collection, in seconds (at most 86400)
    #[arg(long, value_name = "SECS", default_value_t = 120,
          value_parser = clap::value_parser!(u64).range(0..=MAX_TIMEOUT_SECS))]
    timeout: u64,
    /// Never show the progress line
    #[arg(long)]
    no_progress: bool,
    /// Collect only these items (ids as `specs NAME` lists them)
    #[arg(
        long,
        value_name = "ID,...",
        value_delimiter = ',',
        conflicts_with = "skip"
    )]
    only: Vec<String>,
    /// Leave these items out
    #[arg(long, value_name = "ID,...", value_delimiter = ',')]
    skip: Vec<String>,
    /// Journal logs since then: a duration back from now (30m, 2h, 1d, 1w) or a date
    /// (2026-01-31, 2026-01-31 14:00)
    #[arg(long, value_name = "DURATION|DATE")]
    since: Option<String>,
    /// Keep the last N lines of each log item (journal entries, file tails)
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    lines: Option<u64>,
    /// Open the prefilled new-issue page in the browser ($BROWSER, else xdg-open or open)
    #[arg(long)]
    web: bool,
    /// Read the pseudonym key (64 hex digits and a newline) from stdin: how `fleet` gives
    /// every host its key without an argument, variable or file holding it
    #[arg(long, hide = true, conflicts_with = "pseudonym_key")]
    pseudonym_key_stdin: bool,
    /// Read spec variables from stdin, one `NAME=VALUE` a line, to its end (after the key,
    /// with --pseudonym-key-stdin): how `fleet` gives a host its variables without putting
    /// their values on a command line
    #[arg(long, hide = true)]
    vars_stdin: bool,
}

/// Most bytes `--vars-stdin` reads.
const MAX_STDIN_VARS: u64 = 1024 * 1024;

/// The `NAME=VALUE` lines of `input`, to its end; blank lines are skipped. Errors name the
/// line by number, never by its text: a value may be a secret.
fn read_vars(input: &mut impl std::io::Read) -> anyhow::Result<Vec<(String, String)>> {
    use std::io::Read as _;
    let mut bytes = Vec::new();
    input
        .take(MAX_STDIN_VARS + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| anyhow::anyhow!("cannot read --vars-stdin variables from stdin: {e}"))?;
    if bytes.len() as u64 > MAX_STDIN_VARS {
        bail!("--vars-stdin: the variables on stdin are larger than 1 MiB");
    }
    let text = String::from_utf8(bytes)
        .map_err(|_| anyhow::anyhow!("--vars-stdin: the variables on stdin are not UTF-8"))?;
    let mut vars = Vec::new();
    for (n, line) in text.lines().enumerate() {
        if line.is_empty() {
            continue;
        }
        let Some((name, value)) = line.split_once('=') else {
            bail!("--vars-stdin: line {} is not NAME=VALUE", n + 1);
        };
        if name.is_empty() {
            bail!("--vars-stdin: line {} has an empty name", n + 1);
        }
        vars.push((name.to_string(), value.to_string()));
    }
    Ok(vars)
}

pub(super) fn parse_var(s: &str) -> Result<(String, String), String> {
    let (name, value) = s
        .split_once('=')
        .ok_or_else(|| format!("`{s}` is not NAME=VALUE"))?;
    if name.is_empty() {
        return Err(format!("`{s}` has an empty name"));
    }
    Ok((name.to_string(), value.to_string()))
}

/// The plan `--dry-run --json` prints; each step redacted as a run would redact it.
#[derive(serde::Serialize)]
struct Plan<'a> {
    spec: &'a str,
    project: &'a str,
    sysroot: Option<&'a std::path::Path>,
    out: &'a std::path::Path,
    steps: Vec<serde_json::Value>,
}

/// `step` as JSON with every string redacted: the plan shows command lines, URLs and paths
/// with the spec's variables filled in, so it holds what a run would mask.
fn redacted_step(step: &Step, redactor: &Redactor) -> anyhow::Result<serde_json::Value> {
    let mut value = serde_json::to_value(step)?;
    redact_strings(&mut value, redactor);
    Ok(value)
}

fn redact_strings(value: &mut serde_json::Value, redactor: &Redactor) {
    use serde_json::Value;
    match value {
        Value::String(s) => *s = redactor.redact_str(s, &mut Counts::default()),
        Value::Array(items) => items.iter_mut().for_each(|v| redact_strings(v, redactor)),
        Value::Object(fields) => fields
            .values_mut()
            .for_each(|v| redact_strings(v, redactor)),
        Value::Null | Value::Bool(_) | Value::Number(_) => {}
    }
}

pub(super) fn run(args: &Args) -> anyhow::Result<Exit> {
    signals::install();
    // Daemons a command starts (`setsid`) become ours to stop when the run ends. Without it
    // (a kernel that refuses) they are still stopped at a timeout while their parents live.
    let _ = support_bundle::collect::running::adopt_orphans();
    let chosen = spec_source::choose(args.spec.as_deref())?;
    let mut spec = chosen.spec;
    let selection = Selection::default()
        .with_only(args.only.clone())
        .with_skip(args.skip.clone());
    selection.apply(&mut spec)?;
    let journals = LogWindow::new(args.since.as_deref(), args.lines)?.apply(&mut spec);
    if args.since.is_some() && journals == 0 {
        eprintln!(
            "note: --since applies to journal log items, and spec `{}` collects none here",
            for_terminal(&spec.project.name)
        );
    }
    // Stdin holds the key, then the variables: read before the variables are checked.
    let mut stdin_key = None;
    let mut vars = args.vars.clone();
    if args.pseudonym_key_stdin || args.vars_stdin {
        if args.issue.describes_from_stdin() {
            let flag = if args.pseudonym_key_stdin {
                "--pseudonym-key-stdin"
            } else {
                "--vars-stdin"
            };
            bail!("{flag} and --describe - both read stdin; give one of them");
        }
        let mut input = std::io::stdin().lock();
        if args.pseudonym_key_stdin {
            stdin_key = Some(PseudonymKey::read_from(&mut input).map_err(anyhow::Error::msg)?);
        }
        if args.vars_stdin {
            vars.extend(read_vars(&mut input)?);
        }
    }
    spec.check_var_overrides(vars.iter().map(|(name, _)| name.as_str()))?;
    let mut opts = run::Options::from_env(spec)?;
    opts.out_dir = args.out.clone();
    if let Some(root) = &args.sysroot {
        if !root.is_dir() {
            bail!("--sysroot `{}` is not a directory", root.display());
        }
        opts.sysroot = Some(std::path::absolute(root)?);
    }
    opts.vars = vars.into_iter().collect::<BTreeMap<_, _>>();
    opts.redaction = args.redaction.options();
    if let Some(key) = stdin_key {
        opts.redaction.pseudonym_key_source = KeySource::Bytes(key);
    }
    opts.timeout = Duration::from_secs(args.timeout.max(1));
    opts.title = args.issue.title.clone();
    opts.description = args.issue.description()?;
    opts.security = args.issue.security;
    opts.repo_dir = args.issue.repo_dir()?.map(PathBuf::from);

    if args.dry_run {
        let steps = opts.plan()?;
        let redactor = opts.redactor()?;
        let plan = Plan {
            spec: &opts.spec.origin,
            project: &opts.spec.project.name,
            sysroot: opts.sysroot.as_deref(),
            out: &opts.out_dir,
            steps: steps
                .iter()
                .map(|s| redacted_step(s, &redactor))
                .collect::<anyhow::Result<_>>()?,
        };
        output::emit(&plan, args.json, |_| {
            dry_run_text(&opts, &steps, &redactor, chosen.reason.as_deref())
        })?;
        return Ok(Exit::Success);
    }
    if let Some(unpinned) = &chosen.unpinned {
        let steps = opts.plan()?;
        let redactor = opts.redactor()?;
        spec_source::confirm(unpinned, &plan_text(&steps, &redactor), args.yes)?;
    }

    let bar = progress_bar(args.no_progress || args.json, opts.spec.items.len());
    let on_event = |e: Event<'_>| {
        if let Event::Finished { id, done, .. } = e {
            bar.set_position(done as u64);
            bar.set_message(id.to_string());
        }
    };
    let outcome = run::collect(&opts, &on_event)?;
    bar.finish_and_clear();
    eprint!("{}", warnings_text(&outcome.warnings));
    let link = if output::stdout_is_tty() {
        Link::Hyperlink
    } else {
        Link::Raw
    };
    let summary = Summary::new(&outcome).with_spec_source(chosen.reason);
    output::emit(&summary, args.json, |s| s.render_with(link))?;
    if args.web {
        match &outcome.filing.url {
            Some(url) => {
                if let Err(e) = browser::open(url) {
                    eprintln!("warning: {}", for_terminal(&format!("{e:#}")));
                }
            }
            None => eprintln!("warning: --web: there is no new-issue link to open"),
        }
    }
    Ok(Exit::Success)
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
