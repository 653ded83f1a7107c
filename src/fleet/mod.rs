//! Collection from many hosts at once, over OpenSSH or any other exec transport
//! (`docker exec -i`, `kubectl exec -i`, a local `sh -c`).
//!
//! Each host runs `collect` itself ([`host`]), with one pseudonym key for all, so a value
//! gets the same pseudonym in every host's bundle. A host that fails is a row of the report
//! with its status, never the end of the run ([`report`]). Hosts run on a bounded number of
//! threads, each with its own deadline inside the run's.

pub mod host;
pub mod html;
pub mod inventory;
pub mod report;
pub mod transport;

use std::collections::VecDeque;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::AtomicBool;
use std::time::{Duration, Instant};

pub use host::{HostReport, SpecSource, Status};
pub use inventory::Host;
pub use report::Fleet;
pub use transport::Transport;

use crate::redact::pseudonym::PseudonymKey;
use crate::redact::{Counts, Redactor};

/// Largest spec file sent to hosts.
const MAX_SPEC: u64 = 1024 * 1024;

/// How to run a fleet collection.
#[derive(Debug)]
pub struct Options {
    /// The hosts, in inventory order.
    pub hosts: Vec<Host>,
    /// The spec each host runs.
    pub spec: SpecSource,
    /// How the report names the spec.
    pub spec_shown: String,
    /// Transport template for hosts without their own (`--via`); default: OpenSSH.
    pub via: Option<String>,
    /// Hosts collected at once at most.
    pub parallel: usize,
    /// Per-host deadline.
    pub host_timeout: Duration,
    /// The run's deadline: hosts not finished by then are stopped, those not started are
    /// reported as timed out.
    pub total_timeout: Duration,
    /// Where bundles and the report go.
    pub out_dir: PathBuf,
    /// The pseudonym key every host uses.
    pub key: PseudonymKey,
    /// The binary streamed to hosts without a matching one.
    pub exe: PathBuf,
}

/// Why a fleet run could not start or its report could not be written.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A transport template is bad.
    #[error(transparent)]
    Template(#[from] transport::TemplateError),
    /// The spec file cannot be read.
    #[error("cannot read spec `{path}`: {why}")]
    Spec {
        /// The file.
        path: String,
        /// Why.
        why: String,
    },
    /// The output directory or the report cannot be written.
    #[error("cannot write to `{path}`: {source}")]
    Write {
        /// The file or directory.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The redaction rules for messages cannot be built.
    #[error(transparent)]
    Rules(#[from] crate::redact::RuleError),
}

/// How a spec named by `--spec` reaches the hosts: a built-in by name, a file by its text.
pub fn spec_source(name_or_path: &str) -> Result<SpecSource, Error> {
    use std::io::Read as _;
    if !crate::spec::looks_like_path(name_or_path) && crate::spec::builtin(name_or_path).is_some() {
        return Ok(SpecSource::Builtin(name_or_path.to_string()));
    }
    let path = Path::new(name_or_path);
    let err = |why: String| Error::Spec {
        path: name_or_path.to_string(),
        why,
    };
    let mut text = Vec::new();
    std::fs::File::open(path)
        .and_then(|f| f.take(MAX_SPEC + 1).read_to_end(&mut text))
        .map_err(|e| err(e.to_string()))?;
    if text.len() as u64 > MAX_SPEC {
        return Err(err("larger than 1 MiB".into()));
    }
    let file_name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let plain = !file_name.starts_with('.')
        && file_name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b));
    let name = if plain && file_name.ends_with(".toml") {
        file_name
    } else {
        "spec.toml".to_string()
    };
    Ok(SpecSource::File { name, text })
}

/// Each host with its transport: its own `via`, else `via`, else OpenSSH.
pub fn transports(hosts: &[Host], via: Option<&str>) -> Result<Vec<Transport>, Error> {
    hosts
        .iter()
        .map(|h| match h.via.as_deref().or(via) {
            Some(template) => Ok(Transport::from_template(
                template,
                &h.host,
                h.port,
                h.user.as_deref(),
            )?),
            None => Ok(Transport::ssh(&h.host, h.port, h.user.as_deref())),
        })
        .collect()
}

/// Collect from every host, at most `opts.parallel` at once; `on_done` hears of each host as
/// it ends (from the worker threads). Writes `fleet.json` and `fleet.md` into the output
/// directory and returns the run.
pub fn run(
    opts: &Options,
    cancel: &AtomicBool,
    on_done: &(dyn Fn(&HostReport) + Sync),
) -> Result<Fleet, Error> {
    let transports = transports(&opts.hosts, opts.via.as_deref())?;
    std::fs::create_dir_all(&opts.out_dir).map_err(|e| Error::Write {
        path: opts.out_dir.clone(),
        source: e,
    })?;
    // Messages quote what hosts and transports said (addresses, user names): they pass the
    // same redaction, with the same key, as the bundles.
    let redactor = Redactor::new(
        &crate::redact::Options::default()
            .with_pseudonym_key_source(crate::redact::KeySource::Bytes(opts.key.clone())),
    )?;
    let start = Instant::now();
    let job = host::Job {
        spec: &opts.spec,
        key: &opts.key,
        out_dir: &opts.out_dir,
        exe: &opts.exe,
        host_timeout: opts.host_timeout,
        deadline: start + opts.total_timeout,
        cancel,
        redactor: &redactor,
    };
    let queue: Mutex<VecDeque<usize>> = Mutex::new((0..opts.hosts.len()).collect());
    let results: Mutex<Vec<Option<HostReport>>> = Mutex::new(vec![None; opts.hosts.len()]);
    let workers = opts.parallel.clamp(1, opts.hosts.len().max(1));
    std::thread::scope(|s| {
        for _ in 0..workers {
            s.spawn(|| {
                loop {
                    let next = queue.lock().map(|mut q| q.pop_front()).ok().flatten();
                    let Some(i) = next else { break };
                    let h = &opts.hosts[i];
                    // A host's own messages are redacted (then cut) as it ends; these are
                    // the run's own words.
                    let report = if cancel.load(std::sync::atomic::Ordering::Relaxed) {
                        HostReport::not_run(
                            h.label(),
                            Status::Interrupted,
                            "interrupted before it started",
                        )
                    } else if Instant::now() >= job.deadline {
                        HostReport::not_run(
                            h.label(),
                            Status::Timeout,
                            "the run's deadline passed before it started",
                        )
                    } else {
                        host::collect(h, &transports[i], &job)
                    };
                    on_done(&report);
                    if let Ok(mut r) = results.lock() {
                        r[i] = Some(report);
                    }
                }
            });
        }
    });
    let hosts: Vec<HostReport> = results
        .into_inner()
        .unwrap_or_default()
        .into_iter()
        .zip(&opts.hosts)
        .map(|(r, h)| {
            r.unwrap_or_else(|| HostReport::not_run(h.label(), Status::Interrupted, "not run"))
        })
        .collect();
    let fleet = Fleet {
        spec: redactor.redact_str(&opts.spec_shown, &mut Counts::default()),
        seconds: (start.elapsed().as_secs_f64() * 10.0).round() / 10.0,
        parallel: workers,
        hosts,
    };
    fleet.write(&opts.out_dir).map_err(|e| Error::Write {
        path: opts.out_dir.join("fleet.json"),
        source: e,
    })?;
    Ok(fleet)
}
