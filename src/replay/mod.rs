//! `replay BUNDLE`: run the project's own replay tools (`gojinn replay <crash.json>`,
//! `kestrel replay --rules DIR --log FILE`) on what a bundle carries.
//!
//! The order is fixed so that nothing runs on a bundle that is not what `collect` wrote: the
//! bundle is verified, the spec's `[[replay]]` steps and the maintainer's `--var`s are checked,
//! the bundle is extracted through [`bundle::extract`](crate::bundle::extract) into a fresh
//! private directory (or an empty one the maintainer names), and only then does each step run,
//! as an argv (never a shell) through the `command` collector's machinery: its own process
//! group, a scrubbed environment, a timeout after which the group is killed, and a cap on the
//! output kept.
//!
//! A bundle is hostile input, and so is the `spec.toml` inside it: a bundle can be crafted
//! whole, with a manifest that verifies. Its steps would run programs of the sender's
//! choosing, so a bundle collected with a built-in spec replays with this build's built-in of
//! that name, and any other needs the maintainer's own spec (`--spec PATH`).

mod plan;
mod render;

use std::collections::BTreeMap;
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use serde::Serialize;

pub use plan::{Planned, missing_vars, plan};
pub use render::{render, render_plan};

use crate::atomic::temp_dirs;
use crate::bundle::extract::{self, ExtractError};
use crate::bundle::verify;
use crate::bundle::{Bundle, ReadError};
use crate::collect::command::{self, Ending, NotRun};
use crate::collect::{Context, show_duration};
use crate::spec::{self, Spec, SpecError};

/// A step's timeout when the spec names none.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(120);

/// How much of a run's output (stdout, then stderr) is kept and shown.
pub const DEFAULT_MAX_OUTPUT: u64 = 16 * 1024;

/// What the maintainer asked for: [`Options::default`], then the `with_*` methods.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Options {
    /// The spec to replay with; `None` for the one the bundle was collected with.
    pub spec: Option<Spec>,
    /// `--var NAME=VALUE`: the values of the steps' `{name}` placeholders.
    pub vars: BTreeMap<String, String>,
    /// Extract here (created when absent, must be empty) and keep the files; `None` for a
    /// private temporary directory removed at the end, registered in
    /// [`temp_dirs`] so that a signal handler can remove it too.
    pub to: Option<PathBuf>,
    /// Show the plan, extract nothing and run nothing.
    pub dry_run: bool,
    /// The `PATH` programs are looked up in and that they inherit.
    pub path_env: Option<OsString>,
    /// `HOME` for the programs.
    pub home: Option<PathBuf>,
    /// Output kept per run.
    pub max_output: u64,
}

impl Options {
    builder_methods! {
        /// `--var NAME=VALUE`: the values of the steps' `{name}` placeholders.
        with_vars => vars: BTreeMap<String, String>;
        /// Show the plan, extract nothing and run nothing.
        with_dry_run => dry_run: bool;
        /// Output kept per run.
        with_max_output => max_output: u64;
    }
    builder_methods! {
        some
        /// Replay with this spec instead of the bundle's.
        with_spec => spec: Spec;
        /// Extract here and keep the files.
        with_to => to: PathBuf;
        /// The `PATH` programs are looked up in and that they inherit.
        with_path_env => path_env: OsString;
        /// `HOME` for the programs.
        with_home => home: PathBuf;
    }
}

/// No spec (the bundle's built-in), no variables, a temporary directory, this process's
/// `PATH` and `HOME`, and the default output cap.
impl Default for Options {
    fn default() -> Self {
        Options {
            spec: None,
            vars: BTreeMap::new(),
            to: None,
            dry_run: false,
            path_env: std::env::var_os("PATH"),
            home: std::env::var_os("HOME").map(PathBuf::from),
            max_output: DEFAULT_MAX_OUTPUT,
        }
    }
}

/// Why nothing was run.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ReplayError {
    /// The bundle could not be read.
    #[error(transparent)]
    Read(#[from] ReadError),
    /// The bundle differs from its manifest.
    #[error(
        "the bundle does not match its manifest, so nothing from it is run ({}); see `support-bundle verify`",
        .0.join("; ")
    )]
    Tampered(Vec<String>),
    /// The bundle was collected with a spec this build does not ship.
    #[error(
        "the bundle was collected with spec `{origin}`, not a built-in one; its replay steps would run programs the bundle chose, so pass your own spec with --spec PATH (the bundle's copy is `spec.toml`, see `support-bundle extract`)"
    )]
    UntrustedSpec {
        /// The manifest's spec origin.
        origin: String,
    },
    /// The built-in the bundle names does not load (a bug in this build).
    #[error(transparent)]
    Builtin(#[from] SpecError),
    /// The spec has no `[[replay]]` steps.
    #[error("spec `{0}` has no [[replay]] steps")]
    NoSteps(String),
    /// A step uses a variable no `--var` gives.
    #[error("{}", missing_message(.0))]
    MissingVars(Vec<(String, String)>),
    /// A `--var` names a variable no step uses.
    #[error("no replay step uses `{{{name}}}` (variables the steps use: {})", if .used.is_empty() { "none".to_string() } else { .used.join(", ") })]
    UnknownVar {
        /// The variable given.
        name: String,
        /// The variables the steps use.
        used: Vec<String>,
    },
    /// Extraction failed.
    #[error(transparent)]
    Extract(#[from] ExtractError),
    /// The temporary directory could not be made.
    #[error("cannot create a temporary directory to extract into: {0}")]
    TempDir(#[source] std::io::Error),
    /// The current directory is needed to make `--to` absolute.
    #[error("cannot read the current directory: {0}")]
    CurrentDir(#[source] std::io::Error),
}

fn missing_message(missing: &[(String, String)]) -> String {
    let list: Vec<String> = missing
        .iter()
        .map(|(name, step)| format!("`{{{name}}}` (step `{step}`)"))
        .collect();
    let example: Vec<String> = missing
        .iter()
        .map(|(name, _)| format!("--var {name}=VALUE"))
        .collect();
    format!(
        "the replay steps need {}; pass {}",
        list.join(", "),
        example.join(" ")
    )
}

/// How one run ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Outcome {
    /// `--dry-run`: it would run.
    Planned,
    /// Exit status 0.
    Ok,
    /// A non-zero exit, a signal, or a program that could not be started.
    Failed,
    /// Killed with its process group after its timeout.
    Timeout,
    /// Not run: a `requires` item is not `ok`, or the bundle holds no file for it.
    Skipped,
    /// The program is not on `PATH`.
    ToolMissing,
}

impl Outcome {
    /// The name the reports use.
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Planned => "planned",
            Outcome::Ok => "ok",
            Outcome::Failed => "failed",
            Outcome::Timeout => "timeout",
            Outcome::Skipped => "skipped",
            Outcome::ToolMissing => "tool missing",
        }
    }
}

/// One run of one step.
#[derive(Debug, Clone, Serialize)]
pub struct Run {
    /// The step's id.
    pub step: String,
    /// The bundle entry this run is for (zip path), when the step takes one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub entry: Option<String>,
    /// Program and arguments as run.
    pub argv: Vec<String>,
    /// Working directory.
    pub cwd: String,
    /// The step's timeout, in seconds.
    pub timeout_secs: f64,
    /// How it ended.
    pub result: Outcome,
    /// The exit code of a program that exited non-zero.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub exit_code: Option<i32>,
    /// Why it was skipped, failed, timed out or not found.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// What it printed (stdout, then stderr after a `--- stderr ---` line), up to the cap;
    /// absent when it did not run.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub output: Option<String>,
    /// Output bytes beyond the cap, dropped.
    #[serde(skip_serializing_if = "is_zero")]
    pub output_dropped: u64,
    /// How long it ran, in milliseconds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub duration_ms: Option<u64>,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

/// What `replay` did.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// The bundle id (sha256 of its manifest).
    pub bundle_id: String,
    /// Where the steps came from (`built-in:gojinn`, a path).
    pub spec: String,
    /// Where the bundle was (or, with `--dry-run`, would be) extracted.
    pub dir: String,
    /// Whether the extracted files are still there (`--to`).
    pub kept: bool,
    /// Nothing was extracted or run.
    pub dry_run: bool,
    /// Every run, in step order.
    pub runs: Vec<Run>,
}

impl Report {
    /// How many runs ended so.
    pub fn count(&self, outcome: Outcome) -> usize {
        self.runs.iter().filter(|r| r.result == outcome).count()
    }

    /// Whether a run failed, timed out or found no program.
    pub fn failed(&self) -> bool {
        self.runs.iter().any(|r| {
            matches!(
                r.result,
                Outcome::Failed | Outcome::Timeout | Outcome::ToolMissing
            )
        })
    }
}

/// The plan, as [`replay`] shows it before running anything.
#[derive(Debug, Clone, Copy)]
pub struct Plan<'a> {
    /// Where the steps came from.
    pub spec: &'a str,
    /// The extraction root.
    pub dir: &'a Path,
    /// Whether the files stay (`--to`).
    pub kept: bool,
    /// Nothing will run.
    pub dry_run: bool,
    /// Every run, in order.
    pub runs: &'a [Planned],
}

/// Where `--dry-run` without `--to` says the bundle would go.
const TEMP_DIR_SHOWN: &str = "<temporary directory>";

/// Verify `bundle`, extract it and run the spec's replay steps on it. `on_plan` is given the
/// plan once it is made, before anything runs (the CLI prints it then).
pub fn replay(
    bundle: &mut Bundle,
    options: &Options,
    on_plan: impl FnOnce(&Plan<'_>),
) -> Result<Report, ReplayError> {
    let verification = verify::verify(bundle)?;
    if !verification.intact() {
        return Err(ReplayError::Tampered(
            verification
                .problems
                .iter()
                .map(ToString::to_string)
                .collect(),
        ));
    }
    let (manifest, _) = bundle.manifest()?;
    let spec = match &options.spec {
        Some(spec) => spec.clone(),
        None => trusted_stored_spec(&manifest.spec.origin)?,
    };
    if spec.replay.is_empty() {
        return Err(ReplayError::NoSteps(spec.origin));
    }
    check_vars(&spec, &options.vars)?;

    let mut temp = None;
    let root = match (&options.to, options.dry_run) {
        (Some(to), _) => absolute(to)?,
        (None, true) => PathBuf::from(TEMP_DIR_SHOWN),
        (None, false) => {
            // Registered, so a signal handler removes it too (`process::exit` would not).
            let dir = temp_dirs::create("support-bundle-replay-").map_err(ReplayError::TempDir)?;
            let path = dir.path().to_path_buf();
            temp = Some(dir);
            path
        }
    };
    if !options.dry_run {
        let done = extract::extract(bundle, &root, false)?;
        if !done.mismatched.is_empty() {
            return Err(ReplayError::Tampered(
                done.mismatched
                    .iter()
                    .map(|e| format!("{e}: content changed while extracting"))
                    .collect(),
            ));
        }
    }

    let planned = plan(
        &spec.replay,
        &manifest,
        &root,
        &options.vars,
        DEFAULT_TIMEOUT,
    );
    on_plan(&Plan {
        spec: &spec.origin,
        dir: &root,
        kept: options.to.is_some(),
        dry_run: options.dry_run,
        runs: &planned,
    });
    let runs = planned.iter().map(|p| execute(p, options)).collect();
    let kept = options.to.is_some() && !options.dry_run;
    drop(temp);
    Ok(Report {
        bundle_id: verification.id,
        spec: spec.origin,
        dir: root.to_string_lossy().into_owned(),
        kept,
        dry_run: options.dry_run,
        runs,
    })
}

/// The spec to take the steps from when the maintainer names none: this build's built-in of
/// the name the bundle records, never the bundle's own text (see the module docs).
fn trusted_stored_spec(origin: &str) -> Result<Spec, ReplayError> {
    let builtin = origin
        .strip_prefix("built-in:")
        .and_then(spec::builtin)
        .ok_or_else(|| ReplayError::UntrustedSpec {
            origin: origin.to_string(),
        })?;
    Ok(spec::parse(
        &format!("built-in:{}", builtin.name),
        builtin.text,
    )?)
}

/// Every variable the steps use has a value, and every value given is used.
fn check_vars(spec: &Spec, vars: &BTreeMap<String, String>) -> Result<(), ReplayError> {
    let mut used: Vec<String> = Vec::new();
    for step in &spec.replay {
        for name in step.variables() {
            if !used.iter().any(|u| u == name) {
                used.push(name.to_string());
            }
        }
    }
    if let Some(name) = vars.keys().find(|k| !used.contains(k)) {
        return Err(ReplayError::UnknownVar {
            name: name.clone(),
            used,
        });
    }
    let missing = missing_vars(&spec.replay, vars);
    if missing.is_empty() {
        Ok(())
    } else {
        Err(ReplayError::MissingVars(missing))
    }
}

/// Why a process with no exit code ended: a signal (there is no other way on Unix).
#[cfg(unix)]
fn killed_by(status: std::process::ExitStatus) -> String {
    use std::os::unix::process::ExitStatusExt;
    format!("killed by signal {}", status.signal().unwrap_or_default())
}

/// Every exit has a code outside Unix; kept for completeness.
#[cfg(not(unix))]
fn killed_by(status: std::process::ExitStatus) -> String {
    status.to_string()
}

fn absolute(path: &Path) -> Result<PathBuf, ReplayError> {
    if path.is_absolute() {
        return Ok(path.to_path_buf());
    }
    Ok(std::env::current_dir()
        .map_err(ReplayError::CurrentDir)?
        .join(path))
}

/// Run one planned step (or report why it does not run).
fn execute(planned: &Planned, options: &Options) -> Run {
    let mut run = Run {
        step: planned.step.clone(),
        entry: planned.entry.clone(),
        argv: planned.argv.clone(),
        cwd: planned.cwd.clone(),
        timeout_secs: planned.timeout.as_secs_f64(),
        result: Outcome::Planned,
        exit_code: None,
        reason: None,
        output: None,
        output_dropped: 0,
        duration_ms: None,
    };
    if let Some(reason) = &planned.skip {
        run.result = Outcome::Skipped;
        run.reason = Some(reason.clone());
        return run;
    }
    if options.dry_run {
        return run;
    }
    let cwd = PathBuf::from(&planned.cwd);
    if !cwd.is_dir() {
        run.result = Outcome::Failed;
        run.reason = Some(format!(
            "working directory `{}` is not a directory",
            planned.cwd
        ));
        return run;
    }
    let ctx = Context {
        sysroot: None,
        cwd,
        home: options.home.clone(),
        path_env: options.path_env.clone(),
        deadline: Instant::now() + planned.timeout,
        deny: Default::default(),
    };
    let started = Instant::now();
    let ran = command::run(&planned.argv, planned.timeout, options.max_output, &ctx);
    run.duration_ms = Some(u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX));
    let ran = match ran {
        Ok(ran) => ran,
        Err(NotRun::NotFound(why)) => {
            run.result = Outcome::ToolMissing;
            run.reason = Some(why);
            return run;
        }
        Err(NotRun::Denied(why) | NotRun::Failed(why)) => {
            run.result = Outcome::Failed;
            run.reason = Some(why);
            return run;
        }
    };
    run.output = Some(String::from_utf8_lossy(&ran.output).into_owned());
    run.output_dropped = ran.dropped;
    (run.result, run.reason) = match ran.ending {
        Ending::Exited(status) if status.success() => (Outcome::Ok, ran.read_error),
        Ending::Exited(status) => {
            run.exit_code = status.code();
            let why = match status.code() {
                Some(code) => format!("exit status {code}"),
                None => killed_by(status),
            };
            (Outcome::Failed, Some(why))
        }
        Ending::TimedOut => (
            Outcome::Timeout,
            Some(format!(
                "timed out after {}; {}",
                show_duration(planned.timeout),
                command::KILLED
            )),
        ),
        Ending::Flooded => (
            Outcome::Failed,
            Some(format!(
                "output kept coming far past the cap; {}",
                command::KILLED
            )),
        ),
        Ending::WaitFailed(why) => (Outcome::Failed, Some(why)),
    };
    run
}
