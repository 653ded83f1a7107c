//! `command` items: run an argv (never a shell string) with a timeout and byte caps.
//!
//! Conventions:
//! - `argv[0]` is looked up on the context's `PATH` (or, if it contains a `/`, taken as a path
//!   relative to the context's working directory); it is never handed to a shell.
//! - The child runs in its own process group (on Unix) with stdin from `/dev/null` and a
//!   scrubbed environment: `PATH`, `HOME`, the toolchain locations listed in `PASSED_THROUGH`
//!   (on Windows also the system ones in `PASSED_THROUGH_HERE`) when this process has them,
//!   and `LC_ALL=C`, `NO_COLOR=1`, `TERM=dumb` so output is plain and stable. Nothing about
//!   the environment is recorded.
//! - Timeout is the smaller of the item's timeout and the time left in the run; on timeout
//!   the whole group is killed so forked grandchildren do not outlive the run. (Elsewhere only
//!   the command itself is killed: see `process_other`.)
//! - Content is stdout, then (when stderr is not empty) a `--- stderr ---` separator line and
//!   stderr, so patterns matching the output see stdout first. The byte cap applies to the
//!   two streams together, stdout first; output is kept even on failure or timeout.

use std::fmt::{self, Write as _};
use std::io::ErrorKind;
use std::path::PathBuf;
use std::process::{Command, ExitStatus, Stdio};
use std::time::Duration;

use regex::Regex;
use serde::Serialize;

use super::ansi::strip_ansi;
pub use super::capture::Ending;
use super::capture::{self, Stream};
pub(crate) use super::process::KILLED;
use super::request::{self, Collector, Earlier, Vars, show_size};
use super::{Context, DEFAULT_TIMEOUT, show_duration};
use crate::item::{Format, Kind, RawItem, Status};
use crate::spec::{self, Item};

/// Variables copied from this process into the child when set: without them `cargo`,
/// `rustc`, `go` and friends may not find their toolchains.
const PASSED_THROUGH: [&str; 7] = [
    "RUSTUP_HOME",
    "CARGO_HOME",
    "RUSTUP_TOOLCHAIN",
    "GOPATH",
    "GOROOT",
    "XDG_CONFIG_HOME",
    "XDG_DATA_HOME",
];

/// Also copied on Windows, where a program started without them may not start at all
/// (`SystemRoot` locates the system libraries and Winsock's configuration) or find another
/// program by its bare name (`PATHEXT`).
#[cfg(windows)]
const PASSED_THROUGH_HERE: [&str; 3] = ["SystemRoot", "windir", "PATHEXT"];
#[cfg(not(windows))]
const PASSED_THROUGH_HERE: [&str; 0] = [];

/// Separates stdout from stderr in the stored content.
const STDERR_SEPARATOR: &[u8] = b"\n--- stderr ---\n";

/// A `command` step.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "kind", rename = "command")]
pub struct Request {
    /// Program and arguments, placeholders filled in.
    pub argv: Vec<String>,
    /// Where the program was found on PATH when the plan was made, if it was.
    pub resolved: Option<String>,
    /// Kill the process group after this long.
    #[serde(rename = "timeout_secs", serialize_with = "request::serialize_secs")]
    pub timeout: Duration,
    /// Cap on captured stdout + stderr bytes.
    pub max_bytes: u64,
    /// Strip ANSI escapes from the output.
    pub strip_ansi: bool,
    /// Output with a line matching this means the thing is absent.
    #[serde(serialize_with = "request::serialize_optional_pattern")]
    pub missing_when: Option<Regex>,
    /// Exit codes besides 0 that are answers, recorded as `ok`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub ok_exit: Vec<u8>,
    /// Redaction format of the output.
    pub format: Format,
}

impl Collector for Request {
    const KIND: Kind = Kind::Command;

    fn plan(item: &Item, vars: &Vars, ctx: &Context) -> Self {
        let argv: Vec<String> = item
            .argv
            .iter()
            .map(|a| spec::substitute(a, vars))
            .collect();
        let resolved = argv.first().and_then(|program| {
            which::which_in(program, ctx.path_env.as_ref(), &ctx.cwd)
                .ok()
                .map(|p| p.to_string_lossy().into_owned())
        });
        Request {
            argv,
            resolved,
            timeout: item.timeout.unwrap_or(DEFAULT_TIMEOUT),
            max_bytes: request::max_bytes(item),
            strip_ansi: item.strip_ansi,
            missing_when: item.missing_when.clone(),
            ok_exit: item.ok_exit.clone(),
            format: item.format,
        }
    }

    fn collect(&self, id: &str, ctx: &Context, _earlier: &Earlier<'_>) -> Vec<RawItem> {
        let run = CommandRequest {
            id,
            argv: &self.argv,
            timeout: self.timeout,
            max_bytes: self.max_bytes,
            ok_exit: &self.ok_exit,
            format: self.format,
        };
        let mut item = collect(&run, ctx);
        if self.strip_ansi
            && let Some(entry) = item.entry.as_mut()
        {
            entry.data = strip_ansi(&entry.data);
        }
        if let Some(regex) = &self.missing_when {
            mark_missing(&mut item, regex);
        }
        vec![item]
    }
}

impl fmt::Display for Request {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "run {:?} (", self.argv)?;
        match &self.resolved {
            Some(path) => write!(f, "found at {path}")?,
            None => f.write_str("not found on PATH")?,
        }
        write!(
            f,
            "; timeout {}s, cap {}",
            self.timeout.as_secs_f64(),
            show_size(self.max_bytes)
        )?;
        if !self.ok_exit.is_empty() {
            let codes: Vec<String> = self.ok_exit.iter().map(u8::to_string).collect();
            write!(f, "; exit status {} is an answer", codes.join(" or "))?;
        }
        f.write_str(")")
    }
}

/// Record a command whose output says the thing is absent (no journal, no systemd) as
/// `missing`, with the line that says so as the reason.
///
/// A matching line on stderr wins over one on stdout: tools print their empty result on
/// stdout and why it is empty on stderr (`journalctl` without journal files prints
/// `-- No entries --` and `No journal files were found.`), and the why is the reason.
fn mark_missing(item: &mut RawItem, regex: &Regex) {
    if !matches!(item.status, Status::Ok | Status::Failed) {
        return;
    }
    let Some(entry) = item.entry.as_ref() else {
        return;
    };
    let text = String::from_utf8_lossy(&entry.data);
    let separator = String::from_utf8_lossy(STDERR_SEPARATOR);
    let (stdout, stderr) = match text.rfind(separator.as_ref()) {
        Some(at) => (&text[..at], &text[at + separator.len()..]),
        None => (text.as_ref(), ""),
    };
    let first_match = |part: &str| part.lines().find(|l| regex.is_match(l)).map(str::to_owned);
    if let Some(line) = first_match(stderr).or_else(|| first_match(stdout)) {
        item.status = Status::Missing;
        item.detail = Some(line.trim().chars().take(200).collect());
    }
}

/// One command to run.
#[derive(Debug, Clone)]
pub struct CommandRequest<'a> {
    /// The spec item's id.
    pub id: &'a str,
    /// Program and arguments; placeholders such as `{sysroot}` already substituted.
    pub argv: &'a [String],
    /// Kill the process group after this long.
    pub timeout: Duration,
    /// Cap on captured stdout + stderr bytes.
    pub max_bytes: u64,
    /// Exit codes besides 0 that are answers: recorded as `ok`, the detail saying so.
    pub ok_exit: &'a [u8],
    /// Redaction format of the output.
    pub format: Format,
}

/// Run the command and capture its output.
pub fn collect(req: &CommandRequest<'_>, ctx: &Context) -> RawItem {
    let source = req.argv.join(" ");
    let fail = |status: Status, detail: String| {
        let mut item = RawItem::empty(req.id, Kind::Command, source.clone(), status, detail);
        item.format = req.format;
        item
    };

    let Some(program) = req.argv.first() else {
        return fail(Status::Failed, "empty argv".to_string());
    };
    let resolved = match resolve(program, ctx) {
        Ok(path) => path,
        Err(detail) => return fail(Status::Missing, detail),
    };

    let Some(timeout) = ctx.time_left(req.timeout) else {
        return fail(Status::Timeout, super::NOT_STARTED.to_string());
    };
    let finished = match spawn_and_capture(&resolved, req.argv, timeout, req.max_bytes, ctx) {
        Ok(finished) => finished,
        Err(NotRun::Denied(detail)) => return fail(Status::Denied, detail),
        Err(NotRun::Failed(detail) | NotRun::NotFound(detail)) => {
            return fail(Status::Failed, detail);
        }
    };
    let cap = usize::try_from(req.max_bytes).unwrap_or(usize::MAX);
    let (data, dropped) = assemble(&finished.stdout, &finished.stderr, cap);

    let (status, mut detail) = match &finished.ending {
        Ending::TimedOut => (
            Status::Timeout,
            Some(format!(
                "timed out after {}; {KILLED}",
                show_duration(timeout)
            )),
        ),
        Ending::WaitFailed(msg) => (Status::Failed, Some(msg.clone())),
        Ending::Flooded => (
            Status::Truncated,
            Some(format!("output kept coming far past the cap; {KILLED}")),
        ),
        Ending::Exited(st) if st.success() || answer(*st, req.ok_exit) => {
            // A declared answer says so: the summary and the issue show the exit status.
            let answer =
                (!st.success()).then(|| format!("{} (declared an answer)", show_exit(*st)));
            match read_error(&finished) {
                Some(msg) => (Status::Failed, Some(msg)),
                None if dropped > 0 => (Status::Truncated, answer),
                None => (Status::Ok, answer),
            }
        }
        Ending::Exited(st) => (Status::Failed, Some(show_exit(*st))),
    };
    if dropped > 0 {
        let note = format!(
            "output cut to {} bytes, {dropped} bytes dropped",
            req.max_bytes
        );
        detail = Some(match detail {
            Some(mut d) => {
                let _ = write!(d, "; {note}");
                d
            }
            None => note,
        });
    }

    RawItem {
        status,
        detail,
        format: req.format,
        ..RawItem::collected(
            req.id,
            Kind::Command,
            source,
            format!("{}.txt", req.id),
            data,
        )
    }
}

/// Why [`run`] did not start the program.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NotRun {
    /// It is not on `PATH` (or, for a path, does not exist).
    NotFound(String),
    /// It exists but may not be executed.
    Denied(String),
    /// Spawning it failed otherwise.
    Failed(String),
}

/// A program [`run`] started, once it ended or was killed.
#[derive(Debug)]
pub struct Ran {
    /// How it ended.
    pub ending: Ending,
    /// The head of stdout, then (when stderr is not empty) a `--- stderr ---` line and
    /// stderr, together at most the cap.
    pub output: Vec<u8>,
    /// Output bytes beyond the cap, read and dropped.
    pub dropped: u64,
    /// A read error on one of the pipes.
    pub read_error: Option<String>,
}

/// Run `argv` as a `command` item runs: found on the context's `PATH`, in its working
/// directory, in its own process group with a scrubbed environment, killed with its group
/// after `timeout`, at most `max_bytes` of output kept. The context's deadline is not
/// consulted; `timeout` alone bounds the run.
pub fn run(
    argv: &[String],
    timeout: Duration,
    max_bytes: u64,
    ctx: &Context,
) -> Result<Ran, NotRun> {
    let Some(program) = argv.first() else {
        return Err(NotRun::Failed("empty argv".to_string()));
    };
    let resolved = resolve(program, ctx).map_err(NotRun::NotFound)?;
    let finished = spawn_and_capture(&resolved, argv, timeout, max_bytes, ctx)?;
    let cap = usize::try_from(max_bytes).unwrap_or(usize::MAX);
    let (output, dropped) = assemble(&finished.stdout, &finished.stderr, cap);
    let read_error = read_error(&finished);
    Ok(Ran {
        ending: finished.ending,
        output,
        dropped,
        read_error,
    })
}

/// Spawn the resolved program with `argv[1..]` and wait for it under `timeout`.
fn spawn_and_capture(
    resolved: &std::path::Path,
    argv: &[String],
    timeout: Duration,
    max_bytes: u64,
    ctx: &Context,
) -> Result<capture::Finished, NotRun> {
    let program = argv.first().map_or("", String::as_str);
    let mut cmd = Command::new(resolved);
    cmd.args(argv.get(1..).unwrap_or_default())
        .current_dir(&ctx.cwd)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .env_clear();
    super::process::isolate(&mut cmd);
    if let Some(path) = &ctx.path_env {
        cmd.env("PATH", path);
    }
    if let Some(home) = &ctx.home {
        cmd.env("HOME", home);
    }
    for name in PASSED_THROUGH.into_iter().chain(PASSED_THROUGH_HERE) {
        if let Some(value) = std::env::var_os(name) {
            cmd.env(name, value);
        }
    }
    cmd.env("LC_ALL", "C")
        .env("NO_COLOR", "1")
        .env("TERM", "dumb");

    let child = match cmd.spawn() {
        Ok(child) => child,
        Err(e) if e.kind() == ErrorKind::PermissionDenied => {
            return Err(NotRun::Denied(format!(
                "cannot run `{program}`: permission denied"
            )));
        }
        Err(e) => return Err(NotRun::Failed(format!("cannot run `{program}`: {e}"))),
    };
    let cap = usize::try_from(max_bytes).unwrap_or(usize::MAX);
    Ok(capture::run(child, timeout, cap))
}

/// Find the program: a name with a `/` is a path (relative to the context's working
/// directory), anything else is looked up on the context's `PATH`.
fn resolve(program: &str, ctx: &Context) -> Result<PathBuf, String> {
    if program.contains('/') {
        let path = ctx.cwd.join(program);
        // Existence only: an existing file that cannot be executed is reported as denied by
        // the spawn itself.
        return if path.exists() {
            Ok(path)
        } else {
            Err(format!("command `{program}` not found"))
        };
    }
    if program.is_empty() {
        return Err("command `` not found on PATH".to_string());
    }
    which::which_in(program, ctx.path_env.as_ref(), &ctx.cwd)
        .map_err(|_| not_on_path(program, std::env::var_os("SUDO_USER").is_some()))
}

/// Why a program is missing. Under sudo the `PATH` is root's (sudo's `secure_path`), so a
/// toolchain installed for the user (rustup's `~/.cargo/bin`) is not on it: say so, or the
/// reader is told to install what they have.
fn not_on_path(program: &str, under_sudo: bool) -> String {
    if under_sudo {
        format!("command `{program}` not found on PATH under sudo (root's PATH, not your user's)")
    } else {
        format!("command `{program}` not found on PATH")
    }
}

/// Concatenate the kept heads of both streams under one cap, stdout first. Returns the
/// content and how many bytes were dropped.
fn assemble(stdout: &Stream, stderr: &Stream, cap: usize) -> (Vec<u8>, u64) {
    let out = &stdout.data[..stdout.data.len().min(cap)];
    let room = cap - out.len();
    let err = &stderr.data[..stderr.data.len().min(room)];
    let kept = (out.len() + err.len()) as u64;
    let dropped = (stdout.total + stderr.total).saturating_sub(kept);

    let mut data = Vec::with_capacity(out.len() + err.len() + STDERR_SEPARATOR.len());
    data.extend_from_slice(out);
    if !err.is_empty() {
        data.extend_from_slice(STDERR_SEPARATOR);
        data.extend_from_slice(err);
    }
    (data, dropped)
}

/// Whether the process exited with one of the codes the spec declares an answer.
fn answer(status: ExitStatus, ok_exit: &[u8]) -> bool {
    status
        .code()
        .is_some_and(|code| u8::try_from(code).is_ok_and(|c| ok_exit.contains(&c)))
}

fn read_error(finished: &capture::Finished) -> Option<String> {
    if let Some(e) = &finished.stdout.error {
        return Some(format!("reading stdout: {e}"));
    }
    finished
        .stderr
        .error
        .as_ref()
        .map(|e| format!("reading stderr: {e}"))
}

fn show_exit(status: ExitStatus) -> String {
    if let Some(code) = status.code() {
        format!("exit status {code}")
    } else if let Some(killed) = super::process::killed_by(status) {
        killed
    } else {
        status.to_string()
    }
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use crate::collect::testing::context;
    use std::time::Instant;

    fn argv(words: &[&str]) -> Vec<String> {
        words.iter().map(|w| w.to_string()).collect()
    }

    fn run(words: &[&str], timeout: Duration, max_bytes: u64) -> RawItem {
        let dir = tempfile::tempdir().expect("tempdir");
        let argv = argv(words);
        let req = CommandRequest {
            id: "probe",
            argv: &argv,
            timeout,
            max_bytes,
            ok_exit: &[],
            format: Format::Text,
        };
        collect(&req, &context(dir.path()))
    }

    fn content(item: &RawItem) -> String {
        let entry = item.entry.as_ref().expect("entry");
        String::from_utf8_lossy(&entry.data).into_owned()
    }

    /// Whether a process with this pid still exists (zombies of other parents included).
    fn alive(pid: i32) -> bool {
        nix::sys::signal::kill(nix::unistd::Pid::from_raw(pid), None).is_ok()
    }

    /// Poll for a pid to disappear; reaping by init can take a moment.
    fn gone_within(pid: i32, within: Duration) -> bool {
        let until = Instant::now() + within;
        while Instant::now() < until {
            if !alive(pid) {
                return true;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        !alive(pid)
    }

    #[test]
    fn captures_stdout_and_names_entry() {
        let item = run(&["printf", "%s-%s", "alpha", "beta"], DEFAULT, CAP);
        assert_eq!(item.status, Status::Ok, "{:?}", item.detail);
        assert_eq!(content(&item), "alpha-beta");
        assert_eq!(item.source, "printf %s-%s alpha beta");
        let entry = item.entry.as_ref().expect("entry");
        assert_eq!(entry.name, "probe.txt");
        assert_eq!(entry.source, item.source);
        assert!(item.detail.is_none());
    }

    const DEFAULT: Duration = Duration::from_secs(20);
    const CAP: u64 = 1 << 20;

    #[test]
    fn nonzero_exit_is_failed_with_output_kept() {
        let item = run(&["sh", "-c", "echo partial; exit 3"], DEFAULT, CAP);
        assert_eq!(item.status, Status::Failed);
        assert_eq!(item.detail.as_deref(), Some("exit status 3"));
        assert_eq!(content(&item), "partial\n");
    }

    #[test]
    fn death_by_signal_is_reported() {
        let item = run(&["sh", "-c", "kill -TERM $$"], DEFAULT, CAP);
        assert_eq!(item.status, Status::Failed);
        let detail = item.detail.unwrap_or_default();
        assert!(detail.starts_with("killed by signal 15"), "{detail}");
    }

    #[test]
    fn missing_binary_is_missing() {
        let item = run(&["sb-no-such-program-x7", "--version"], DEFAULT, CAP);
        assert_eq!(item.status, Status::Missing);
        assert_eq!(
            item.detail.as_deref(),
            Some("command `sb-no-such-program-x7` not found on PATH")
        );
        assert!(item.entry.is_none());
    }

    #[test]
    fn missing_under_sudo_names_roots_path() {
        assert_eq!(
            not_on_path("rustc", false),
            "command `rustc` not found on PATH"
        );
        assert_eq!(
            not_on_path("rustc", true),
            "command `rustc` not found on PATH under sudo (root's PATH, not your user's)"
        );
    }

    #[test]
    fn declared_exit_codes_are_answers() {
        let dir = tempfile::tempdir().expect("tempdir");
        let inactive = argv(&["sh", "-c", "echo inactive; exit 3"]);
        let mut req = CommandRequest {
            id: "state",
            argv: &inactive,
            timeout: DEFAULT,
            max_bytes: CAP,
            ok_exit: &[3],
            format: Format::Text,
        };
        let item = collect(&req, &context(dir.path()));
        assert_eq!(item.status, Status::Ok);
        assert_eq!(
            item.detail.as_deref(),
            Some("exit status 3 (declared an answer)")
        );
        assert_eq!(content(&item), "inactive\n");

        // Other codes still fail; so does a signal.
        req.ok_exit = &[1, 2];
        let item = collect(&req, &context(dir.path()));
        assert_eq!(item.status, Status::Failed);
        assert_eq!(item.detail.as_deref(), Some("exit status 3"));
        let killed = argv(&["sh", "-c", "kill -TERM $$"]);
        req.argv = &killed;
        req.ok_exit = &[0, 1, 143];
        assert_eq!(collect(&req, &context(dir.path())).status, Status::Failed);

        // A declared answer that overflows the cap is truncated, and says both.
        let long = argv(&["sh", "-c", "printf 0123456789; exit 1"]);
        req.argv = &long;
        req.max_bytes = 4;
        let item = collect(&req, &context(dir.path()));
        assert_eq!(item.status, Status::Truncated);
        assert_eq!(
            item.detail.as_deref(),
            Some("exit status 1 (declared an answer); output cut to 4 bytes, 6 bytes dropped")
        );
    }

    #[test]
    fn missing_reason_prefers_what_stderr_says() {
        let dir = tempfile::tempdir().expect("tempdir");
        let regex = Regex::new("^-- No entries --$|No journal files were found").unwrap();
        let script = "echo '-- No entries --'; echo 'No journal files were found.' >&2";
        let both = argv(&["sh", "-c", script]);
        let req = CommandRequest {
            id: "journal",
            argv: &both,
            timeout: DEFAULT,
            max_bytes: CAP,
            ok_exit: &[],
            format: Format::Text,
        };
        let mut item = collect(&req, &context(dir.path()));
        mark_missing(&mut item, &regex);
        assert_eq!(item.status, Status::Missing);
        assert_eq!(item.detail.as_deref(), Some("No journal files were found."));

        // Only stdout says it: that line is the reason.
        let stdout_only = argv(&["sh", "-c", "echo '-- No entries --'; echo 'unrelated' >&2"]);
        let req = CommandRequest {
            argv: &stdout_only,
            ..req
        };
        let mut item = collect(&req, &context(dir.path()));
        mark_missing(&mut item, &regex);
        assert_eq!(item.detail.as_deref(), Some("-- No entries --"));
    }

    #[test]
    fn missing_path_is_missing() {
        let item = run(&["./not-here.sh"], DEFAULT, CAP);
        assert_eq!(item.status, Status::Missing);
        assert_eq!(
            item.detail.as_deref(),
            Some("command `./not-here.sh` not found")
        );
    }

    #[test]
    fn empty_argv_is_failed() {
        let item = run(&[], DEFAULT, CAP);
        assert_eq!(item.status, Status::Failed);
        assert_eq!(item.detail.as_deref(), Some("empty argv"));
    }

    #[test]
    fn non_executable_file_is_denied() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().expect("tempdir");
        let script = dir.path().join("plain.sh");
        std::fs::write(&script, "#!/bin/sh\necho hi\n").expect("write script");
        std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o644)).expect("chmod");
        let argv = argv(&["./plain.sh"]);
        let req = CommandRequest {
            id: "plain",
            argv: &argv,
            timeout: DEFAULT,
            max_bytes: CAP,
            ok_exit: &[],
            format: Format::Text,
        };
        let item = collect(&req, &context(dir.path()));
        assert_eq!(item.status, Status::Denied, "{:?}", item.detail);
        assert_eq!(
            item.detail.as_deref(),
            Some("cannot run `./plain.sh`: permission denied")
        );
    }

    #[test]
    fn relative_path_runs_in_cwd() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().expect("tempdir");
        let script = dir.path().join("where.sh");
        std::fs::write(&script, "#!/bin/sh\npwd\n").expect("write script");
        std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).expect("chmod");
        let argv = argv(&["./where.sh"]);
        let req = CommandRequest {
            id: "where",
            argv: &argv,
            timeout: DEFAULT,
            max_bytes: CAP,
            ok_exit: &[],
            format: Format::Text,
        };
        let item = collect(&req, &context(dir.path()));
        assert_eq!(item.status, Status::Ok, "{:?}", item.detail);
        let expected = dir.path().canonicalize().expect("canonicalize");
        assert_eq!(content(&item).trim_end(), expected.to_string_lossy());
    }

    #[test]
    fn stderr_follows_stdout_after_separator() {
        // stderr is written first, yet stored after stdout.
        let item = run(&["sh", "-c", "echo oops >&2; echo fine"], DEFAULT, CAP);
        assert_eq!(item.status, Status::Ok);
        assert_eq!(content(&item), "fine\n\n--- stderr ---\noops\n");
    }

    #[test]
    fn no_separator_without_stderr() {
        let item = run(&["sh", "-c", "echo only"], DEFAULT, CAP);
        assert!(!content(&item).contains("--- stderr ---"));
    }

    #[test]
    fn large_output_is_truncated_without_deadlock() {
        // Under the flood margin, so the command runs to its end and its exit status counts.
        let total: u64 = 30_000_000;
        let cap: u64 = 64 * 1024;
        let started = Instant::now();
        // Both streams flooded at once: a reader that drained them one after the other
        // would deadlock here.
        let script = format!("head -c {total} /dev/zero >&2 & head -c {total} /dev/zero; wait");
        let item = run(&["sh", "-c", &script], DEFAULT, cap);
        assert_eq!(item.status, Status::Truncated, "{:?}", item.detail);
        let entry = item.entry.as_ref().expect("entry");
        // All of the cap goes to stdout, which comes first: no room is left for stderr.
        assert_eq!(entry.data.len() as u64, cap);
        assert!(entry.data.iter().all(|&b| b == 0));
        let dropped = 2 * total - cap;
        assert_eq!(
            item.detail.as_deref(),
            Some(format!("output cut to {cap} bytes, {dropped} bytes dropped").as_str())
        );
        assert!(started.elapsed() < Duration::from_secs(15));
    }

    #[test]
    fn cap_shared_between_streams_stdout_first() {
        let item = run(
            &["sh", "-c", "printf 0123456789; printf abcdef >&2"],
            DEFAULT,
            13,
        );
        assert_eq!(item.status, Status::Truncated);
        assert_eq!(content(&item), "0123456789\n--- stderr ---\nabc");
        assert_eq!(
            item.detail.as_deref(),
            Some("output cut to 13 bytes, 3 bytes dropped")
        );
    }

    #[test]
    fn timeout_kills_the_whole_group() {
        let started = Instant::now();
        let item = run(
            &["sh", "-c", "sleep 1000 & echo $!; sleep 1000"],
            Duration::from_secs(1),
            CAP,
        );
        let elapsed = started.elapsed();
        assert_eq!(item.status, Status::Timeout);
        assert_eq!(
            item.detail.as_deref(),
            Some("timed out after 1s; process group killed")
        );
        assert!(elapsed < Duration::from_millis(2500), "took {elapsed:?}");
        let text = content(&item);
        let pid: i32 = text
            .trim()
            .parse()
            .expect("script printed the background pid");
        assert!(
            gone_within(pid, Duration::from_secs(2)),
            "grandchild {pid} survived"
        );
    }

    #[test]
    fn grandchild_holding_pipes_does_not_hang() {
        let started = Instant::now();
        let item = run(&["sh", "-c", "sleep 1000 & echo $!"], DEFAULT, CAP);
        let elapsed = started.elapsed();
        assert_eq!(item.status, Status::Ok, "{:?}", item.detail);
        assert!(elapsed < Duration::from_secs(2), "took {elapsed:?}");
        let pid: i32 = content(&item).trim().parse().expect("pid");
        assert!(
            gone_within(pid, Duration::from_secs(2)),
            "grandchild {pid} survived"
        );
    }

    #[test]
    fn deadline_bounds_the_timeout() {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut context = context(dir.path());
        context.deadline = Instant::now() + Duration::from_millis(500);
        let argv = argv(&["sleep", "30"]);
        let req = CommandRequest {
            id: "slow",
            argv: &argv,
            timeout: Duration::from_secs(30),
            max_bytes: CAP,
            ok_exit: &[],
            format: Format::Text,
        };
        let started = Instant::now();
        let item = collect(&req, &context);
        assert_eq!(item.status, Status::Timeout);
        assert!(started.elapsed() < Duration::from_secs(3));

        context.deadline = Instant::now();
        let item = collect(&req, &context);
        assert_eq!(item.status, Status::Timeout);
        assert!(item.entry.is_none());
    }

    #[test]
    fn stdin_is_null() {
        let item = run(&["cat"], Duration::from_secs(5), CAP);
        assert_eq!(item.status, Status::Ok);
        assert_eq!(content(&item), "");
    }

    /// A variable only the child copy of this test binary has, so the scrub check never rests
    /// on what the test runner happens to set.
    const PLANTED: &str = "SB_TEST_PLANTED_VARIABLE_3F9A";

    #[test]
    fn environment_is_scrubbed() {
        // Setting a variable in this process would race with other test threads, so the
        // check runs in a copy of this binary started with one planted.
        let module = module_path!().split_once("::").map_or("", |(_, m)| m);
        let out = std::process::Command::new(std::env::current_exe().expect("test binary"))
            .args(["--exact", "--include-ignored", "--test-threads=1"])
            .arg(format!("{module}::environment_is_scrubbed_in_child"))
            .env(PLANTED, "must-not-leak")
            .output()
            .expect("run the test binary");
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success() && stdout.contains("1 passed"),
            "{stdout}{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    #[test]
    #[ignore = "run by environment_is_scrubbed with a planted variable"]
    fn environment_is_scrubbed_in_child() {
        assert!(std::env::var_os(PLANTED).is_some(), "{PLANTED} not planted");
        let item = run(&["env"], DEFAULT, CAP);
        assert_eq!(item.status, Status::Ok, "{:?}", item.detail);
        let text = content(&item);
        let names: Vec<&str> = text
            .lines()
            .filter_map(|line| line.split_once('=').map(|(name, _)| name))
            .collect();
        assert!(text.lines().any(|l| l == "LC_ALL=C"), "{text}");
        assert!(text.lines().any(|l| l == "NO_COLOR=1"));
        assert!(text.lines().any(|l| l == "TERM=dumb"));
        // Every variable of this process outside the allowlist must be gone; the planted one
        // makes sure there is at least one.
        let allowed = ["PATH", "HOME", "LC_ALL", "NO_COLOR", "TERM"];
        let leaked: Vec<String> = std::env::vars_os()
            .filter_map(|(k, _)| k.into_string().ok())
            .filter(|k| !allowed.contains(&k.as_str()) && !PASSED_THROUGH.contains(&k.as_str()))
            .filter(|k| names.contains(&k.as_str()))
            .collect();
        assert!(leaked.is_empty(), "leaked: {leaked:?}");
        assert!(!names.contains(&PLANTED), "{text}");
        // home is None in this context, so HOME is not set either.
        assert!(!names.contains(&"HOME"));
    }

    #[test]
    fn home_comes_from_context() {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut context = context(dir.path());
        context.home = Some(dir.path().join("home-of-test"));
        let argv = argv(&["sh", "-c", "printf %s \"$HOME\""]);
        let req = CommandRequest {
            id: "home",
            argv: &argv,
            timeout: DEFAULT,
            max_bytes: CAP,
            ok_exit: &[],
            format: Format::Text,
        };
        let item = collect(&req, &context);
        assert_eq!(
            content(&item),
            dir.path().join("home-of-test").to_string_lossy()
        );
    }

    #[test]
    fn path_comes_from_context() {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut context = context(dir.path());
        context.path_env = Some(dir.path().as_os_str().to_owned());
        let argv = argv(&["sh", "-c", "true"]);
        let req = CommandRequest {
            id: "nopath",
            argv: &argv,
            timeout: DEFAULT,
            max_bytes: CAP,
            ok_exit: &[],
            format: Format::Text,
        };
        // `sh` is not in the temporary directory, the only PATH entry.
        assert_eq!(collect(&req, &context).status, Status::Missing);
    }
}
