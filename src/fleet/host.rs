//! One host's collection: probe it, put a binary and the spec in a private temp dir there,
//! run `collect` with the pseudonym key on stdin, bring the bundle back, verify it here, and
//! remove the temp dir whatever happened.
//!
//! Every step is one transport command; the temp dir is made by the first and removed by a
//! last one that runs even after a timeout or Ctrl-C. The scripts that run while the dir
//! exists also trap hang-up and termination to remove it, for a transport that dies with us.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use super::inventory::Host;
use super::transport::{Finished, Input, Output, RunError, Transport, quote};
use crate::bundle::{Bundle, CheckResult, inspect, verify};
use crate::redact::pseudonym::PseudonymKey;
use crate::redact::{Counts, Redactor};

/// Longest message a host's row gets, in characters, cut after redaction.
const MAX_MESSAGE: usize = 400;

/// How long the removal of a host's temp dir may take, after whatever came before.
const CLEANUP_TIME: Duration = Duration::from_secs(20);

/// Largest bundle brought back from a host: the most content the bundle reader accepts in
/// all ([`crate::bundle::reader::Limits`]); a larger file is no bundle this side would read.
const MAX_BUNDLE: u64 = 1024 * 1024 * 1024;

/// Time kept back from `collect`'s own deadline for bringing the bundle back.
const FETCH_MARGIN: Duration = Duration::from_secs(10);

/// How a host ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// Its bundle is here and verified.
    Ok,
    /// It could not be reached (connection refused, unknown name, no route, …).
    Unreachable,
    /// It refused the login.
    AuthRefused,
    /// Its host key is unknown or differs from the one known.
    HostKeyMismatch,
    /// Its deadline (or the run's) passed.
    Timeout,
    /// It runs another OS or architecture than this binary, and has no matching
    /// `support-bundle` on its PATH.
    WrongArch,
    /// `collect` ran there and failed.
    CollectFailed,
    /// A transfer to or from it failed.
    TransferFailed,
    /// The bundle that came back does not match its manifest.
    VerifyFailed,
    /// The run was interrupted (Ctrl-C) before it finished.
    Interrupted,
}

impl Status {
    /// The name in `fleet.json` and the report.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Ok => "ok",
            Status::Unreachable => "unreachable",
            Status::AuthRefused => "auth_refused",
            Status::HostKeyMismatch => "host_key_mismatch",
            Status::Timeout => "timeout",
            Status::WrongArch => "wrong_arch",
            Status::CollectFailed => "collect_failed",
            Status::TransferFailed => "transfer_failed",
            Status::VerifyFailed => "verify_failed",
            Status::Interrupted => "interrupted",
        }
    }
}

/// Which `support-bundle` ran on the host.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Binary {
    /// One of this version already on the host's PATH.
    HostPath,
    /// This binary, streamed into the host's temp dir.
    Streamed,
}

/// A flagged check of a host's bundle.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FlaggedCheck {
    /// The check's id.
    pub id: String,
    /// `warn` or `fail`.
    pub outcome: CheckResult,
    /// Its message.
    pub message: String,
}

/// What became of one host.
#[derive(Debug, Clone)]
pub struct HostReport {
    /// Its name (directory under `--out`).
    pub name: String,
    /// How it ended.
    pub status: Status,
    /// Why it failed, or a note (a temp dir that could not be removed).
    pub message: Option<String>,
    /// `uname -sm` of the host.
    pub platform: Option<String>,
    /// Which binary collected.
    pub binary: Option<Binary>,
    /// Seconds the host took.
    pub seconds: f64,
    /// The bundle, relative to `--out`.
    pub bundle: Option<String>,
    /// The bundle id.
    pub bundle_id: Option<String>,
    /// Whether the host's temp dir was removed (absent when none was made).
    pub cleaned_up: Option<bool>,
    /// The bundle's facts.
    pub facts: BTreeMap<String, String>,
    /// Its failing and warning checks.
    pub checks: Vec<FlaggedCheck>,
    /// Its required items that do not count.
    pub missing: Vec<String>,
}

impl Binary {
    /// The name in `fleet.json`.
    pub fn as_str(self) -> &'static str {
        match self {
            Binary::HostPath => "host_path",
            Binary::Streamed => "streamed",
        }
    }
}

impl HostReport {
    /// The host's row of `fleet.json`; absent values are left out. (Built by hand rather
    /// than derived: one value type keeps the binary smaller.)
    pub fn to_value(&self) -> Value {
        let mut row = serde_json::Map::new();
        row.insert("name".into(), json!(self.name));
        row.insert("status".into(), json!(self.status.as_str()));
        let optional = [
            ("message", self.message.clone()),
            ("platform", self.platform.clone()),
            ("binary", self.binary.map(|b| b.as_str().to_string())),
        ];
        for (key, value) in optional {
            if let Some(v) = value {
                row.insert(key.into(), Value::String(v));
            }
        }
        row.insert("seconds".into(), json!(self.seconds));
        for (key, value) in [("bundle", &self.bundle), ("bundle_id", &self.bundle_id)] {
            if let Some(v) = value {
                row.insert(key.into(), Value::String(v.clone()));
            }
        }
        if let Some(done) = self.cleaned_up {
            row.insert("cleaned_up".into(), Value::Bool(done));
        }
        let facts: serde_json::Map<String, Value> = self
            .facts
            .iter()
            .map(|(k, v)| (k.clone(), Value::String(v.clone())))
            .collect();
        row.insert("facts".into(), Value::Object(facts));
        let checks: Vec<Value> = self
            .checks
            .iter()
            .map(|c| json!({"id": c.id, "outcome": c.outcome.as_str(), "message": c.message}))
            .collect();
        row.insert("checks".into(), Value::Array(checks));
        row.insert("missing".into(), json!(self.missing));
        Value::Object(row)
    }

    /// A host that never ran (the run's deadline passed, or it was interrupted first).
    pub fn not_run(name: String, status: Status, message: &str) -> HostReport {
        HostReport {
            name,
            status,
            message: Some(message.to_string()),
            platform: None,
            binary: None,
            seconds: 0.0,
            bundle: None,
            bundle_id: None,
            cleaned_up: None,
            facts: BTreeMap::new(),
            checks: Vec::new(),
            missing: Vec::new(),
        }
    }
}

/// The spec each host runs.
#[derive(Debug, Clone)]
pub enum SpecSource {
    /// A built-in spec, by name (the host's binary is this version, so it has it).
    Builtin(String),
    /// A spec file, sent to the host.
    File {
        /// The file name it gets there.
        name: String,
        /// Its text.
        text: Vec<u8>,
    },
}

/// What every host shares.
#[derive(Debug)]
pub struct Job<'a> {
    /// The spec.
    pub spec: &'a SpecSource,
    /// The pseudonym key every host uses.
    pub key: &'a PseudonymKey,
    /// Where bundles go (`DIR/<name>/`).
    pub out_dir: &'a Path,
    /// This binary, streamed to hosts that have no matching one.
    pub exe: &'a Path,
    /// Per-host deadline.
    pub host_timeout: Duration,
    /// The run's deadline.
    pub deadline: Instant,
    /// Set on Ctrl-C.
    pub cancel: &'a AtomicBool,
    /// Redacts the messages of a host's row (what hosts and transports said), with the key
    /// of the bundles.
    pub redactor: &'a Redactor,
}

/// A failed step.
struct Failure {
    status: Status,
    message: String,
}

impl Failure {
    fn new(status: Status, message: impl Into<String>) -> Failure {
        Failure {
            status,
            message: message.into(),
        }
    }
}

/// What the probe found.
#[derive(Debug, Default, PartialEq, Eq)]
struct Probe {
    platform: Option<String>,
    path: Option<String>,
    version: Option<String>,
    dir: Option<String>,
    /// A temp dir made and removed again, or that could not be removed (`true`): its path
    /// is not plain.
    unplain: Option<(String, bool)>,
}

/// The probe: platform, a `support-bundle` on PATH and its version, and a fresh private
/// temp dir (`mktemp -d` makes it 0700). A temp dir whose path is not plain (see
/// [`is_plain_path`]; a `TMPDIR` with a space, say) is removed at once and named as
/// `unplain` (`unremoved` should that fail): it is not used, and nothing is left behind.
const PROBE: &str = r#"printf 'uname %s\n' "$(uname -sm)"
if v=$(support-bundle --version 2>/dev/null); then
  printf 'path %s\nversion %s\n' "$(command -v support-bundle)" "$v"
fi
if d=$(mktemp -d "${TMPDIR:-/tmp}/support-bundle.XXXXXXXX"); then
  case "$d" in
    *[!abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789/._+-]*|*/../*|[!/]*)
      if rmdir "$d"; then printf 'unplain %s\n' "$d"; else printf 'unremoved %s\n' "$d"; fi ;;
    *) printf 'dir %s\n' "$d" ;;
  esac
fi"#;

/// Collect from `host` through `transport`.
pub fn collect(host: &Host, transport: &Transport, job: &Job<'_>) -> HostReport {
    let start = Instant::now();
    let deadline = (start + job.host_timeout).min(job.deadline);
    let mut report = HostReport::not_run(host.label(), Status::Ok, "");
    report.message = None;
    let mut remote = Remote::default();
    let result = steps(host, transport, job, deadline, &mut report, &mut remote);
    if let Some(dir) = &remote.dir {
        let removed = cleanup(transport, dir, remote.collect_cut);
        report.cleaned_up = Some(removed);
        if !removed {
            let note = format!("the temp dir {dir} on the host could not be removed");
            report.message = Some(job.redactor.redact_str(&note, &mut Counts::default()));
        }
    }
    if let Err(f) = result {
        report.status = f.status;
        // The whole message is redacted before it is cut, so a secret the cut would split
        // still has the shape its rule knows it by.
        let said = bound(&job.redactor.redact_str(&f.message, &mut Counts::default()));
        report.message = Some(match report.message.take() {
            Some(note) => format!("{said}; {note}"),
            None => said,
        });
    }

    report.seconds = (start.elapsed().as_secs_f64() * 10.0).round() / 10.0;
    report
}

/// What is left on the host for the cleanup to handle.
#[derive(Debug, Default)]
struct Remote {
    /// The temp dir, once made.
    dir: Option<String>,
    /// Whether the `collect` step was cut off (timeout, Ctrl-C) rather than ending itself:
    /// only then may it still run, and only then is its recorded pid still its own.
    collect_cut: bool,
}

fn steps(
    host: &Host,
    transport: &Transport,
    job: &Job<'_>,
    deadline: Instant,
    report: &mut HostReport,
    remote: &mut Remote,
) -> Result<(), Failure> {
    let run = |script: &str, input: Input<'_>, output: Output<'_>, step: &str| {
        transport
            .run(script, input, output, deadline, job.cancel)
            .map_err(|e| run_failure(step, e))
    };
    let probed = run(PROBE, Input::Empty, Output::Capture, "probe")?;
    let probe = parse_probe(&probed.stdout);
    if probe.platform.is_none() {
        return Err(exit_failure("probe", &probed, Status::Unreachable));
    }
    let unplain = |dir: &str, left: bool| {
        let done = if left {
            "it could not be removed"
        } else {
            "removed it"
        };
        Failure::new(
            Status::TransferFailed,
            format!(
                "the host's temp dir `{dir}` is not a plain absolute path; not using it, \
                 {done} (give the host a plain TMPDIR)"
            ),
        )
    };
    if let Some((dir, left)) = &probe.unplain {
        return Err(unplain(dir, *left));
    }
    let Some(dir) = probe.dir.clone() else {
        return Err(exit_failure(
            "making a temp dir",
            &probed,
            Status::TransferFailed,
        ));
    };
    if !is_plain_path(&dir) {
        // The probe keeps only plain paths; should its shell judge otherwise, the dir, just
        // made and empty, is still removed (`rmdir` removes nothing else).
        let never = AtomicBool::new(false);
        let removed = transport
            .run(
                &format!("rmdir {}", quote(&dir)),
                Input::Empty,
                Output::Capture,
                Instant::now() + CLEANUP_TIME,
                &never,
            )
            .is_ok_and(|f| f.success());
        return Err(unplain(&dir, !removed));
    }
    remote.dir = Some(dir.clone());
    report.platform = probe.platform.clone();
    let trap = format!(
        "trap 'rm -rf {d}; exit 129' HUP; trap 'rm -rf {d}; exit 130' INT; \
         trap 'rm -rf {d}; exit 143' TERM; trap 'rm -rf {d}; exit 141' PIPE\n",
        d = quote(&dir)
    );

    let ours = our_version();
    let bin = match (&probe.version, &probe.path) {
        (Some(v), Some(path)) if *v == ours && is_plain_path(path) => {
            report.binary = Some(Binary::HostPath);
            path.clone()
        }
        _ => {
            let platform = probe.platform.as_deref().unwrap_or_default();
            if !same_platform(platform) {
                return Err(Failure::new(
                    Status::WrongArch,
                    format!(
                        "the host is `{platform}` and this binary is for {} {}; install {ours} \
                         on the host's PATH",
                        std::env::consts::OS,
                        std::env::consts::ARCH
                    ),
                ));
            }
            let bin = format!("{dir}/support-bundle");
            let script = format!(
                "{trap}cat > {b} && chmod 700 {b} && {b} --version",
                b = quote(&bin)
            );
            let sent = run(&script, Input::File(job.exe), Output::Capture, "send")?;
            let said = String::from_utf8_lossy(&sent.stdout).trim().to_string();
            if !sent.success() || said != ours {
                return Err(exit_failure(
                    "sending the binary",
                    &sent,
                    Status::TransferFailed,
                ));
            }
            report.binary = Some(Binary::Streamed);
            bin
        }
    };

    let spec_arg = match job.spec {
        SpecSource::Builtin(name) => name.clone(),
        SpecSource::File { name, text } => {
            let remote = format!("{dir}/{name}");
            let script = format!("{trap}cat > {}", quote(&remote));
            let sent = run(&script, Input::Bytes(text), Output::Capture, "send")?;
            if !sent.success() {
                return Err(exit_failure(
                    "sending the spec",
                    &sent,
                    Status::TransferFailed,
                ));
            }
            // Relative to the dir `collect` runs in: the bundle names the spec by its file
            // name, not by the temp dir.
            format!("./{name}")
        }
    };

    let left = deadline
        .saturating_duration_since(Instant::now())
        .saturating_sub(FETCH_MARGIN);
    let mut command = vec![
        bin,
        "collect".to_string(),
        "--spec".into(),
        spec_arg,
        "--out".into(),
        format!("{dir}/out"),
        "--pseudonym-key-stdin".into(),
        "--json".into(),
        "--no-progress".into(),
        "--timeout".into(),
        left.as_secs().max(1).to_string(),
    ];
    if let Some(root) = &host.sysroot {
        command.extend(["--sysroot".into(), root.clone()]);
    }
    // The variables go on stdin after the key, never on a command line: `ps` shows those,
    // here (an `ssh` argument) and on the host.
    let mut input = job.key.to_line();
    if !host.vars.is_empty() {
        command.push("--vars-stdin".into());
        for (name, value) in &host.vars {
            input.push_str(&format!("{name}={value}\n"));
        }
    }
    let line: Vec<String> = command.iter().map(|w| quote(w)).collect();
    // `collect` records its pid (the shell's, which `exec` hands on), so a cleanup after a
    // lost session can stop it before it writes into the dir being removed.
    let script = format!(
        "{trap}cd {d} && echo $$ > {d}/collect.pid && exec {}",
        line.join(" "),
        d = quote(&dir)
    );
    let collected = transport
        .run(
            &script,
            Input::Bytes(input.as_bytes()),
            Output::Capture,
            deadline,
            job.cancel,
        )
        .map_err(|e| {
            remote.collect_cut = true;
            run_failure("collect", e)
        })?;
    if !collected.success() {
        return Err(exit_failure("collect", &collected, Status::CollectFailed));
    }
    let name = bundle_name(&collected.stdout).ok_or_else(|| {
        Failure::new(
            Status::CollectFailed,
            "collect did not name a bundle in its summary",
        )
    })?;

    let local_dir = job.out_dir.join(host.label());
    // Private like the bundle it will hold (0700).
    private_dir(&local_dir).map_err(|e| {
        Failure::new(
            Status::TransferFailed,
            format!("cannot create {}: {e}", local_dir.display()),
        )
    })?;
    let part = local_dir.join(format!(".{name}.part"));
    let script = format!("{trap}cat {}", quote(&format!("{dir}/out/{name}")));
    let fetched = run(
        &script,
        Input::Empty,
        Output::File(&part, MAX_BUNDLE),
        "fetch",
    );
    let fetched = match fetched {
        Ok(f) if f.success() => Ok(f),
        Ok(f) => Err(exit_failure(
            "bringing the bundle back",
            &f,
            Status::TransferFailed,
        )),
        Err(e) => Err(e),
    };
    if let Err(e) = fetched {
        let _ = std::fs::remove_file(&part);
        return Err(e);
    }
    let local = local_dir.join(&name);
    finish_local(&part, &local).map_err(|e| {
        let _ = std::fs::remove_file(&part);
        Failure::new(Status::TransferFailed, e)
    })?;
    report.bundle = Some(format!("{}/{name}", host.label()));
    read_back(&local, report)
}

/// `dir` and any parents it lacks, created 0700.
fn private_dir(dir: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::DirBuilderExt as _;
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
}

/// Set the fetched bundle private and rename it into place.
fn finish_local(part: &Path, local: &Path) -> Result<(), String> {
    use std::os::unix::fs::PermissionsExt as _;
    std::fs::set_permissions(
        part,
        std::fs::Permissions::from_mode(crate::atomic::PRIVATE),
    )
    .and_then(|()| std::fs::rename(part, local))
    .map_err(|e| format!("cannot save {}: {e}", local.display()))
}

/// Verify the bundle and read its facts, flagged checks and missing required items.
fn read_back(local: &Path, report: &mut HostReport) -> Result<(), Failure> {
    let bad = |e: &dyn std::fmt::Display| {
        Failure::new(
            Status::VerifyFailed,
            format!("the bundle that came back cannot be read: {e}"),
        )
    };
    let mut bundle = Bundle::open(local).map_err(|e| bad(&e))?;
    let checked = verify::verify(&mut bundle).map_err(|e| bad(&e))?;
    if !checked.intact() {
        return Err(Failure::new(
            Status::VerifyFailed,
            format!(
                "the bundle that came back does not match its manifest ({} problem(s))",
                checked.problems.len()
            ),
        ));
    }
    let seen = inspect::inspect(&mut bundle).map_err(|e| bad(&e))?;
    report.bundle_id = Some(seen.id);
    report.facts = seen.facts.into_iter().map(|(k, f)| (k, f.value)).collect();
    report.checks = seen
        .checks
        .into_iter()
        .filter(|c| c.outcome.is_flagged())
        .map(|c| FlaggedCheck {
            id: c.id,
            outcome: c.outcome,
            message: c.message,
        })
        .collect();
    report.missing = seen.completeness.missing;
    Ok(())
}

/// Remove the host's temp dir, with a deadline of its own and deaf to Ctrl-C: this is what
/// Ctrl-C waits for.
fn cleanup(transport: &Transport, dir: &str, stop_collect: bool) -> bool {
    let never = AtomicBool::new(false);
    let remove = format!("rm -rf {d} && ! test -e {d}", d = quote(dir));
    // A `collect` whose session was cut (a timeout, Ctrl-C) may still run there: it is asked
    // to stop (its own handler stops its commands and removes a half-written bundle), given
    // ten seconds, then killed, so it cannot write into the dir after it is removed.
    let script = if stop_collect {
        format!(
            "if test -f {d}/collect.pid; then p=$(cat {d}/collect.pid); \
             if kill -TERM \"$p\" 2>/dev/null; then i=0; \
             while kill -0 \"$p\" 2>/dev/null && test $i -lt 10; do sleep 1; i=$((i+1)); done; \
             kill -KILL \"$p\" 2>/dev/null; fi; fi; {remove}",
            d = quote(dir)
        )
    } else {
        remove
    };
    transport
        .run(
            &script,
            Input::Empty,
            Output::Capture,
            Instant::now() + CLEANUP_TIME,
            &never,
        )
        .is_ok_and(|f| f.success())
}

/// `support-bundle VERSION`, as `--version` prints it.
fn our_version() -> String {
    format!("support-bundle {}", env!("CARGO_PKG_VERSION"))
}

fn parse_probe(stdout: &[u8]) -> Probe {
    let mut probe = Probe::default();
    for line in String::from_utf8_lossy(stdout).lines() {
        let Some((key, value)) = line.split_once(' ') else {
            continue;
        };
        let value = Some(value.trim().to_string());
        match key {
            "uname" => probe.platform = value,
            "path" => probe.path = value,
            "version" => probe.version = value,
            "dir" => probe.dir = value,
            "unplain" => probe.unplain = value.map(|d| (d, false)),
            "unremoved" => probe.unplain = value.map(|d| (d, true)),
            _ => {}
        }
    }
    probe
}

/// Whether `uname -sm` output names the platform this binary runs on.
fn same_platform(uname: &str) -> bool {
    let mut words = uname.split_whitespace();
    let (Some(os), Some(machine)) = (words.next(), words.next()) else {
        return false;
    };
    let os = match os {
        "Darwin" => "macos".to_string(),
        other => other.to_ascii_lowercase(),
    };
    let arch = match machine {
        "amd64" => "x86_64",
        "arm64" => "aarch64",
        "i386" | "i486" | "i586" | "i686" => "x86",
        m if m.starts_with("armv") => "arm",
        m => m,
    };
    os == std::env::consts::OS && arch == std::env::consts::ARCH
}

/// An absolute path of plain characters: safe to quote into a script and to `rm -rf`.
fn is_plain_path(p: &str) -> bool {
    p.starts_with('/')
        && p.len() > 1
        && !p.split('/').any(|c| c == "..")
        && p.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"/._-+".contains(&b))
}

/// The bundle's file name from `collect --json`'s summary.
fn bundle_name(summary: &[u8]) -> Option<String> {
    let value: serde_json::Value = serde_json::from_slice(summary).ok()?;
    let path = PathBuf::from(value.get("bundle")?.as_str()?);
    let name = path.file_name()?.to_str()?.to_string();
    (name.ends_with(".zip")
        && !name.starts_with('.')
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b)))
    .then_some(name)
}

fn run_failure(step: &str, e: RunError) -> Failure {
    match e {
        RunError::TimedOut => Failure::new(Status::Timeout, format!("timed out during {step}")),
        RunError::Cancelled => {
            Failure::new(Status::Interrupted, format!("interrupted during {step}"))
        }
        RunError::Spawn { .. } => Failure::new(Status::Unreachable, e.to_string()),
        RunError::Save { .. } => Failure::new(Status::TransferFailed, e.to_string()),
        RunError::TooLarge { .. } => {
            Failure::new(Status::TransferFailed, format!("{step} stopped: {e}"))
        }
    }
}

/// A step that ended with a non-zero status (or said nothing): what the transport's
/// message says it was, else `otherwise`.
fn exit_failure(step: &str, done: &Finished, otherwise: Status) -> Failure {
    let said = last_words(&done.stderr);
    let status = classify(&done.stderr).unwrap_or(otherwise);
    let how = match done.status.code() {
        Some(code) => format!("exit status {code}"),
        None => "killed by a signal".to_string(),
    };
    let message = if said.is_empty() {
        format!("{step} failed ({how})")
    } else {
        format!("{step} failed ({how}): {said}")
    };
    Failure::new(status, message)
}

/// What a transport's error message says went wrong, for the messages OpenSSH (and
/// most other transports) print.
fn classify(stderr: &str) -> Option<Status> {
    const HOST_KEY: &[&str] = &[
        "Host key verification failed",
        "REMOTE HOST IDENTIFICATION HAS CHANGED",
        "No ED25519 host key is known",
        "No RSA host key is known",
        "No ECDSA host key is known",
        "host key is known for",
    ];
    const AUTH: &[&str] = &["Permission denied (", "Too many authentication failures"];
    const UNREACHABLE: &[&str] = &[
        "Connection refused",
        "Could not resolve hostname",
        "Name or service not known",
        "No route to host",
        "Network is unreachable",
        "Connection timed out",
        "Operation timed out",
        "kex_exchange_identification",
        "Connection closed by",
        "Connection reset by",
        "No such container",
    ];
    let has = |needles: &[&str]| needles.iter().any(|n| stderr.contains(n));
    if has(HOST_KEY) {
        Some(Status::HostKeyMismatch)
    } else if has(AUTH) {
        Some(Status::AuthRefused)
    } else if has(UNREACHABLE) {
        Some(Status::Unreachable)
    } else {
        None
    }
}

/// The last non-empty line of `stderr` (the error, after any banner or warning lines), as
/// one line. Whole: it is cut only after redaction ([`bound`]).
fn last_words(stderr: &str) -> String {
    let line = stderr
        .lines()
        .rev()
        .map(str::trim)
        .find(|l| !l.is_empty())
        .unwrap_or_default();
    crate::sanitize::one_line(line)
}

/// `message` cut to [`MAX_MESSAGE`] characters, with `…` when cut. Only for redacted text.
fn bound(message: &str) -> String {
    match message.char_indices().nth(MAX_MESSAGE) {
        Some((at, _)) => format!("{}…", &message[..at]),
        None => message.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_probe_is_parsed_line_by_line() {
        let p = parse_probe(
            b"uname Linux x86_64\npath /usr/bin/support-bundle\nversion support-bundle 1.0\n\
              dir /tmp/support-bundle.AbC123\n",
        );
        assert_eq!(p.platform.as_deref(), Some("Linux x86_64"));
        assert_eq!(p.path.as_deref(), Some("/usr/bin/support-bundle"));
        assert_eq!(p.version.as_deref(), Some("support-bundle 1.0"));
        assert_eq!(p.dir.as_deref(), Some("/tmp/support-bundle.AbC123"));
        assert_eq!(parse_probe(b"garbage"), Probe::default());
        let p = parse_probe(b"uname Linux x86_64\nunplain /tmp/a b/support-bundle.x\n");
        assert_eq!(p.unplain, Some(("/tmp/a b/support-bundle.x".into(), false)));
        assert_eq!(p.dir, None);
    }

    #[test]
    fn platforms_compare_by_os_and_machine() {
        let here = format!(
            "{} {}",
            if std::env::consts::OS == "linux" {
                "Linux"
            } else {
                std::env::consts::OS
            },
            std::env::consts::ARCH
        );
        assert!(same_platform(&here), "{here}");
        assert!(!same_platform("Linux riscv64"));
        assert!(!same_platform("SunOS i86pc"));
        assert!(!same_platform(""));
    }

    #[test]
    fn transport_messages_name_the_failure() {
        assert_eq!(
            classify("ssh: connect to host 127.0.0.1 port 1: Connection refused\r\n"),
            Some(Status::Unreachable)
        );
        assert_eq!(
            classify("user@h: Permission denied (publickey).\r\n"),
            Some(Status::AuthRefused)
        );
        assert_eq!(
            classify(
                "@@@\n@    WARNING: REMOTE HOST IDENTIFICATION HAS CHANGED!     @\n\
                 Host key verification failed.\n"
            ),
            Some(Status::HostKeyMismatch)
        );
        assert_eq!(classify("error: spec not found"), None);
    }

    #[test]
    fn a_bundle_past_the_cap_is_a_transfer_failure() {
        assert_eq!(
            MAX_BUNDLE,
            crate::bundle::reader::Limits::default().max_total_size
        );
        let f = run_failure("fetch", RunError::TooLarge { max: MAX_BUNDLE });
        assert_eq!(f.status, Status::TransferFailed);
        assert_eq!(
            f.message,
            "fetch stopped: its output is larger than 1024 MiB"
        );
    }

    #[test]
    fn only_plain_paths_and_bundle_names_are_used() {
        assert!(is_plain_path("/tmp/support-bundle.Ab12_x"));
        assert!(!is_plain_path("/tmp/x y"));
        assert!(!is_plain_path("/tmp/$(rm)"));
        assert!(!is_plain_path("/"));
        assert!(!is_plain_path("/tmp/../etc"));
        assert!(!is_plain_path("tmp/x"));
        assert_eq!(
            bundle_name(br#"{"bundle":"/tmp/d/out/demo-bundle-0123.zip"}"#).as_deref(),
            Some("demo-bundle-0123.zip")
        );
        assert_eq!(bundle_name(br#"{"bundle":"/tmp/d/out/x y.zip"}"#), None);
        assert_eq!(bundle_name(br#"{"bundle":"/tmp/d/out/.zip"}"#), None);
        assert_eq!(bundle_name(b"not json"), None);
    }
}
