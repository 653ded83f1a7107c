//! Ending on SIGINT, SIGTERM or SIGHUP without leaving a mess or a false report.
//!
//! Commands run in process groups of their own, out of reach of the terminal's Ctrl-C, and
//! `process::exit` runs no destructors: so the handler kills the running commands, removes
//! the temp file of a bundle still being written and the temporary directories the run owns
//! (`replay`'s extraction), says whether a bundle was written, and ends with the conventional
//! 128 + signal status (130 SIGINT, 143 SIGTERM, 129 SIGHUP), the one exit outside
//! [`super::Exit`].
//!
//! On Windows no handler is installed: Ctrl-C ends the process as it ends the commands (the
//! console sends it to every process attached to it), and the temp file of an unfinished
//! bundle is removed as stale by a later run (a `replay`'s temporary directory is left
//! behind).

use support_bundle::atomic::{in_flight, temp_dirs};
#[cfg(unix)]
use support_bundle::collect::running;
use support_bundle::sanitize::for_terminal;

/// Install the handler for the rest of the process.
#[cfg(unix)]
pub(super) fn install() {
    use signal_hook::consts::{SIGHUP, SIGINT, SIGTERM};
    let Ok(mut signals) = signal_hook::iterator::Signals::new([SIGINT, SIGTERM, SIGHUP]) else {
        return;
    };
    std::thread::spawn(move || {
        if let Some(signal) = signals.forever().next() {
            // First, so that no temporary directory is removed or released by its owner
            // while the commands working in it are stopped (nor does the owner, its step
            // killed, go on to end the process with its own status).
            let temp = temp_dirs::hold();
            let stopped = running::count();
            running::stop_all();
            let found = in_flight::abandon();
            let cleaned = temp.remove_all();
            // Not `eprintln!`: with stderr gone (a cut ssh session) it panics, the thread
            // dies, and the process lives on without exiting.
            use std::io::Write as _;
            let _ = writeln!(std::io::stderr(), "\n{}", report(stopped, &found, &cleaned));
            std::process::exit(128 + signal);
        }
    });
}

/// Nothing to install (see the module doc).
#[cfg(not(unix))]
pub(super) fn install() {}

/// The line the handler prints.
#[cfg_attr(not(unix), allow(dead_code))]
fn report(stopped: usize, found: &in_flight::Abandoned, cleaned: &temp_dirs::Removed) -> String {
    let mut line = "interrupted".to_string();
    if stopped > 0 {
        line.push_str(&format!(": stopped {stopped} running command(s)"));
    }
    if !found.removed.is_empty() {
        line.push_str("; removed the unfinished bundle");
    }
    match cleaned.removed.len() {
        0 => {}
        1 => line.push_str("; removed the temporary directory"),
        n => line.push_str(&format!("; removed {n} temporary directories")),
    }
    for dir in &cleaned.failed {
        let dir = for_terminal(&dir.display().to_string()).into_owned();
        line.push_str(&format!("; could not remove the temporary directory {dir}"));
    }
    match found.written.as_slice() {
        [] => line.push_str("; no bundle was written"),
        written => {
            let names: Vec<String> = written
                .iter()
                .map(|p| for_terminal(&p.display().to_string()).into_owned())
                .collect();
            line.push_str(&format!("; bundle written: {}", names.join(", ")));
        }
    }
    line
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use super::*;

    #[test]
    fn the_report_says_whether_a_bundle_exists() {
        let none = in_flight::Abandoned::default();
        let no_dirs = temp_dirs::Removed::default();
        assert_eq!(
            report(2, &none, &no_dirs),
            "interrupted: stopped 2 running command(s); no bundle was written"
        );
        let cut = in_flight::Abandoned {
            removed: vec![PathBuf::from("out/.support-bundle-x.zip.tmp")],
            written: Vec::new(),
        };
        assert_eq!(
            report(0, &cut, &no_dirs),
            "interrupted; removed the unfinished bundle; no bundle was written"
        );
        let done = in_flight::Abandoned {
            removed: Vec::new(),
            written: vec![PathBuf::from("out/demo-bundle-0123456789ab.zip")],
        };
        assert_eq!(
            report(0, &done, &no_dirs),
            "interrupted; bundle written: out/demo-bundle-0123456789ab.zip"
        );
    }

    #[test]
    fn the_report_says_which_temporary_directories_were_removed() {
        let none = in_flight::Abandoned::default();
        let one = temp_dirs::Removed {
            removed: vec![PathBuf::from("/tmp/support-bundle-replay-Xq3k")],
            failed: Vec::new(),
        };
        assert_eq!(
            report(1, &none, &one),
            "interrupted: stopped 1 running command(s); removed the temporary directory; \
             no bundle was written"
        );
        let stuck = temp_dirs::Removed {
            removed: Vec::new(),
            failed: vec![PathBuf::from("/tmp/support-bundle-replay-Xq3k")],
        };
        assert_eq!(
            report(0, &none, &stuck),
            "interrupted; could not remove the temporary directory \
             /tmp/support-bundle-replay-Xq3k; no bundle was written"
        );
    }
}
