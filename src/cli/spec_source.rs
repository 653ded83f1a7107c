//! Which spec a run uses, and why: `--spec` (a built-in name, a file, or a URL), else the
//! project's own spec found from the current directory, else the embedded default.

use std::io::{BufRead as _, IsTerminal as _, Write as _};

use anyhow::{Context as _, bail};
use support_bundle::collect::spec_fetch::{self, Fetched, MAX_SPEC_BYTES, SPEC_FETCH_TIMEOUT};
use support_bundle::sanitize::for_terminal;
use support_bundle::spec::{self, DEFAULT_REASON, DEFAULT_SPEC, RemoteSpec, Spec};

/// The spec chosen for a run.
pub(super) struct Chosen {
    /// The loaded spec.
    pub(super) spec: Spec,
    /// One line saying which spec and why, when `--spec` did not name it outright.
    pub(super) reason: Option<String>,
    /// A spec fetched from a URL without a pin: it runs only once confirmed.
    pub(super) unpinned: Option<Unpinned>,
}

/// Where an unpinned spec came from, for the confirmation.
pub(super) struct Unpinned {
    /// The URL fetched.
    url: String,
    /// The URL pinned to what was fetched: what to pass to skip the question next time.
    pinned: String,
}

/// The spec `--spec VALUE` names, or without it the project's or the built-in default.
///
/// A project spec that does not load is an error: falling back to the default would collect
/// something other than what the project asks for, and hide the mistake.
pub(super) fn choose(value: Option<&str>) -> anyhow::Result<Chosen> {
    let Some(value) = value else {
        let cwd = std::env::current_dir().context("reading the current directory")?;
        return Ok(match spec::discover(&cwd) {
            Some(found) => Chosen {
                spec: spec::load_file(&found.path)?,
                reason: Some(found.reason()),
                unpinned: None,
            },
            None => Chosen {
                spec: spec::load(DEFAULT_SPEC)?,
                reason: Some(DEFAULT_REASON.to_string()),
                unpinned: None,
            },
        });
    };
    if spec::is_url(value) {
        let fetched = fetch(value)?;
        let reason = format!(
            "spec fetched from {} (sha256 {}, {})",
            fetched.remote.url,
            fetched.sha256,
            if fetched.remote.pin.is_some() {
                "matches its pin"
            } else {
                "not pinned"
            }
        );
        let unpinned = fetched.remote.pin.is_none().then(|| Unpinned {
            url: fetched.remote.url.clone(),
            pinned: fetched.remote.pinned(&fetched.sha256),
        });
        return Ok(Chosen {
            spec: fetched.spec,
            reason: Some(reason),
            unpinned,
        });
    }
    Ok(Chosen {
        spec: load_local(value)?,
        reason: None,
        unpinned: None,
    })
}

/// Fetch the spec at `value` (`URL` or `URL#sha256=<hex>`), checked against its pin.
pub(super) fn fetch(value: &str) -> anyhow::Result<Fetched> {
    let remote = RemoteSpec::parse(value)?;
    Ok(spec_fetch::fetch(
        &remote,
        SPEC_FETCH_TIMEOUT,
        MAX_SPEC_BYTES,
    )?)
}

/// Show an unpinned remote spec's plan (`plan`, as `--dry-run` prints it) on stderr and go on
/// only with `--yes` or a "y" typed at a terminal.
pub(super) fn confirm(unpinned: &Unpinned, plan: &str, yes: bool) -> anyhow::Result<()> {
    let Unpinned { url, pinned } = unpinned;
    eprintln!(
        "spec {} is not pinned; it will run, read and request:\n{}",
        for_terminal(url),
        for_terminal(plan.trim_end())
    );
    if yes {
        return Ok(());
    }
    let stdin = std::io::stdin();
    if !stdin.is_terminal() {
        bail!(
            "refusing to run an unpinned remote spec without confirmation: pass --yes, or pin \
             it with --spec '{}'",
            for_terminal(pinned)
        );
    }
    eprint!("Run it? [y/N] ");
    let _ = std::io::stderr().flush();
    let mut answer = String::new();
    let read = stdin
        .lock()
        .read_line(&mut answer)
        .context("reading the answer")?;
    if read == 0 {
        // `--describe -` read the terminal to its end: there is no answer left to read.
        bail!(
            "no answer (stdin is closed); pass --yes, or pin the spec with --spec '{}'",
            for_terminal(pinned)
        );
    }
    if matches!(answer.trim().to_ascii_lowercase().as_str(), "y" | "yes") {
        return Ok(());
    }
    bail!(
        "not confirmed; nothing was run (to skip the question, pin the spec with --spec '{}')",
        for_terminal(pinned)
    )
}

/// Load a built-in name or a spec file as `--spec` names it, saying on stderr when a file of
/// that name here is not the one read (a bare name is the built-in).
pub(super) fn load_local(value: &str) -> anyhow::Result<Spec> {
    if let Some(note) = spec::shadowed_file_note(value) {
        eprintln!("note: {}", for_terminal(&note));
    }
    Ok(spec::load(value)?)
}
