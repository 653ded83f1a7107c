//! Process control for commands on Unix: each command leads a process group of its own, its
//! exit is observed without reaping it, and a kill reaches its whole tree.
//!
//! See [`capture`](super::capture) for the conventions these functions keep.

use std::process::{Child, Command, ExitStatus};

use nix::errno::Errno;
use nix::sys::signal::{Signal, killpg};
pub(super) use nix::unistd::Pid;

/// What a kill reached, as item details say it.
pub(crate) const KILLED: &str = "process group killed";

/// Make the command the leader of a new process group: the terminal's Ctrl-C (sent to our
/// foreground group) never reaches it, and the whole group can be killed at once.
pub(super) fn isolate(cmd: &mut Command) {
    use std::os::unix::process::CommandExt;
    cmd.process_group(0);
}

/// The spawned leader's pid, which is also its group id.
pub(super) fn leader(child: &Child) -> Option<Pid> {
    i32::try_from(child.id()).ok().map(Pid::from_raw)
}

/// Whether the leader has exited: `None` while it runs; `Some(None)` when it is left
/// unreaped, `Some(Some(status))` when it had to be reaped to learn it. An error is the
/// detail to report.
pub(super) fn leader_exited(
    child: &mut Child,
    pid: Pid,
) -> Result<Option<Option<ExitStatus>>, String> {
    loop {
        match poll_leader(child, pid) {
            Err(Errno::EINTR) => {}
            other => return other.map_err(|e| format!("waiting for the process: {e}")),
        }
    }
}

/// On Linux the leader is left a zombie (`waitid(WNOWAIT)`, see the conventions in
/// `capture`), so `Some(None)`.
#[cfg(any(target_os = "linux", target_os = "android"))]
fn poll_leader(_child: &mut Child, pid: Pid) -> nix::Result<Option<Option<ExitStatus>>> {
    use nix::sys::wait::{Id, WaitPidFlag, WaitStatus, waitid};
    let flags = WaitPidFlag::WEXITED | WaitPidFlag::WNOHANG | WaitPidFlag::WNOWAIT;
    match waitid(Id::Pid(pid), flags)? {
        WaitStatus::StillAlive => Ok(None),
        _ => Ok(Some(None)),
    }
}

/// Without `waitid` (macOS and the BSDs) the leader is reaped to learn it, so
/// `Some(Some(status))`. The group id stays reserved while any member of the group lives, so
/// `killpg` afterwards still reaches only the group; what is lost is only the leader's own pid.
#[cfg(not(any(target_os = "linux", target_os = "android")))]
fn poll_leader(child: &mut Child, _pid: Pid) -> nix::Result<Option<Option<ExitStatus>>> {
    match child.try_wait() {
        Ok(status) => Ok(status.map(Some)),
        Err(e) => Err(e
            .raw_os_error()
            .map_or(Errno::UnknownErrno, Errno::from_raw)),
    }
}

/// SIGKILL the leader's whole tree (with what left the group, e.g. by `setsid`), the whole
/// group, and the leader directly in case it left the group. The leader must not have been
/// reaped yet (see the conventions in `capture`).
pub(super) fn kill_group(child: &mut Child, pid: Option<Pid>) {
    if let Some(pid) = pid {
        super::descendants::kill_tree(pid);
        // ESRCH only means every member is already gone.
        let _ = killpg(pid, Signal::SIGKILL);
    }
    let _ = child.kill();
}

/// `killed by signal N (NAME)` for a process that a signal ended; `None` otherwise.
pub(super) fn killed_by(status: ExitStatus) -> Option<String> {
    use std::os::unix::process::ExitStatusExt;
    let sig = status.signal()?;
    Some(match Signal::try_from(sig) {
        Ok(name) => format!("killed by signal {sig} ({name})"),
        Err(_) => format!("killed by signal {sig}"),
    })
}
