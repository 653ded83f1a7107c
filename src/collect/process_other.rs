//! Process control for commands where there are no process groups or signals (Windows).
//!
//! A command runs as a plain child. On a timeout only that child is killed: without process
//! groups (on Windows, a job object) a process it started may outlive it. Its pipes then stay
//! open, and the capture stops waiting on them after a short grace, as it does on Unix.
//!
//! Ctrl-C needs nothing here: the console sends it to every process attached to it, the
//! commands included.

use std::process::{Child, Command, ExitStatus};

/// A command's process id.
pub(super) type Pid = u32;

/// What a kill reached, as item details say it.
#[cfg_attr(unix, allow(dead_code))] // on Unix this module is compiled only for its tests
pub(crate) const KILLED: &str = "process killed";

/// Nothing to set up: the command stays in our console's process group (see the module doc).
pub(super) fn isolate(_cmd: &mut Command) {}

/// The spawned command's process id.
pub(super) fn leader(child: &Child) -> Option<Pid> {
    Some(child.id())
}

/// Whether the command has exited: `None` while it runs, `Some(Some(status))` once it has
/// (it is reaped to learn that). An error is the detail to report.
pub(super) fn leader_exited(
    child: &mut Child,
    _pid: Pid,
) -> Result<Option<Option<ExitStatus>>, String> {
    match child.try_wait() {
        Ok(status) => Ok(status.map(Some)),
        Err(e) => Err(format!("waiting for the process: {e}")),
    }
}

/// Kill the command itself; what it started is out of reach (see the module doc).
pub(super) fn kill_group(child: &mut Child, _pid: Option<Pid>) {
    let _ = child.kill();
}

/// No signals here: every exit has a code.
pub(super) fn killed_by(_status: ExitStatus) -> Option<String> {
    None
}

// Nothing here is Windows-specific, so the fallback is tested on Unix too (see `collect`).
#[cfg(test)]
mod tests {
    use std::process::Stdio;
    use std::time::{Duration, Instant};

    use super::*;

    #[test]
    fn a_killed_command_is_seen_to_exit_with_its_status() {
        let mut cmd = Command::new("sleep");
        cmd.arg("1000").stdin(Stdio::null());
        isolate(&mut cmd);
        let mut child = cmd.spawn().expect("sleep runs");
        let pid = leader(&child).expect("pid");
        assert_eq!(pid, child.id());
        assert_eq!(leader_exited(&mut child, pid), Ok(None));

        kill_group(&mut child, Some(pid));
        let started = Instant::now();
        let status = loop {
            if let Some(reaped) = leader_exited(&mut child, pid).expect("wait") {
                break reaped.expect("reaped with its status");
            }
            assert!(
                started.elapsed() < Duration::from_secs(5),
                "sleep survived the kill"
            );
            std::thread::sleep(Duration::from_millis(10));
        };
        assert!(!status.success());
        assert_eq!(killed_by(status), None);
        // Killing what was already reaped is harmless.
        kill_group(&mut child, Some(pid));
    }

    #[test]
    fn an_exit_is_seen_with_its_code() {
        let mut child = Command::new("sh")
            .args(["-c", "exit 7"])
            .spawn()
            .expect("sh runs");
        let pid = leader(&child).expect("pid");
        let started = Instant::now();
        let status = loop {
            if let Some(reaped) = leader_exited(&mut child, pid).expect("wait") {
                break reaped.expect("reaped with its status");
            }
            assert!(started.elapsed() < Duration::from_secs(5), "sh hung");
            std::thread::sleep(Duration::from_millis(10));
        };
        assert_eq!(status.code(), Some(7));
    }
}
