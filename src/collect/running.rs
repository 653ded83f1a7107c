//! The process groups of the commands running right now.
//!
//! Every command runs as the leader of its own process group, so the terminal's Ctrl-C (sent
//! to *our* foreground group) never reaches it. An interrupted run therefore has to stop them
//! itself: the front end calls [`kill_all`] from its signal handler. A group is registered
//! from spawn until just before its leader is reaped; while the leader is unreaped its pid,
//! and so the group id, cannot be reused, so [`kill_all`] can never hit an unrelated process.
//!
//! A process that left its command's group and outlived its parent (a daemon started with
//! `setsid` or a double fork) would be handed to init and outlive the run. A process whose
//! only children are the commands it collects (the CLI) calls [`adopt_orphans`] first: such
//! orphans then become its own children, and [`reap_adopted`] stops them when the run ends.
//!
//! Elsewhere (Windows) commands are only counted: the console's Ctrl-C reaches them as it
//! reaches us, and there are no orphans to adopt.

use std::collections::BTreeSet;
#[cfg(unix)]
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, MutexGuard};
#[cfg(unix)]
use std::time::{Duration, Instant};

#[cfg(unix)]
use nix::sys::signal::{Signal, kill, killpg};
#[cfg(unix)]
use nix::sys::wait::{WaitPidFlag, WaitStatus, waitpid};
#[cfg(unix)]
use nix::unistd::getpid;

#[cfg(unix)]
use super::descendants;
use super::process::Pid;

static GROUPS: Mutex<BTreeSet<Pid>> = Mutex::new(BTreeSet::new());

/// Set once [`adopt_orphans`] succeeded.
#[cfg(unix)]
static ADOPTING: AtomicBool = AtomicBool::new(false);

/// How long [`reap_adopted`] waits for each killed orphan to be reapable.
#[cfg(unix)]
const REAP_GRACE: Duration = Duration::from_secs(1);

fn groups() -> MutexGuard<'static, BTreeSet<Pid>> {
    // A panic elsewhere while holding the lock leaves the set itself intact.
    GROUPS
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Set by [`stop_all`]: the run is being stopped, and a command that starts now is killed as
/// it registers (a collector thread may be spawning one while the handler runs).
#[cfg(unix)]
static STOPPING: AtomicBool = AtomicBool::new(false);

/// Record a group whose leader was just spawned; once [`stop_all`] has run, kill it instead
/// of letting it outlive the run. Under the same lock as [`stop_all`], so every group is
/// killed by one or the other.
pub(super) fn register(leader: Pid) {
    let mut groups = groups();
    groups.insert(leader);
    #[cfg(unix)]
    if STOPPING.load(Ordering::SeqCst) {
        descendants::kill_tree(leader);
        let _ = killpg(leader, Signal::SIGKILL);
    }
}

/// Forget a group; call before reaping its leader.
pub(super) fn unregister(leader: Pid) {
    groups().remove(&leader);
}

/// SIGKILL every running command with every process below it (in its group or not), and
/// the orphans adopted so far. Safe to call at any time, from any thread.
#[cfg(unix)]
pub fn kill_all() {
    kill_groups(false);
    for pid in adopted() {
        let _ = kill(pid, Signal::SIGKILL);
    }
}

/// [`kill_all`] for a process about to exit (the signal handler): from now on a command that
/// starts is killed as it registers, so one a collector thread was spawning meanwhile does
/// not outlive the run. There is no way back: a library host that keeps running calls
/// [`kill_all`] instead.
#[cfg(unix)]
pub fn stop_all() {
    kill_groups(true);
    for pid in adopted() {
        let _ = kill(pid, Signal::SIGKILL);
    }
}

/// Does nothing outside Unix (see [`kill_all`]).
#[cfg(not(unix))]
pub fn stop_all() {}

/// Kill every registered group; with `stop`, also every group registered later.
#[cfg(unix)]
fn kill_groups(stop: bool) {
    let groups = groups();
    if stop {
        STOPPING.store(true, Ordering::SeqCst);
    }
    for &pgid in groups.iter() {
        descendants::kill_tree(pgid);
        let _ = killpg(pgid, Signal::SIGKILL);
    }
}

/// Does nothing outside Unix: the console's Ctrl-C reaches every command as it reaches this
/// process (see the module doc).
#[cfg(not(unix))]
pub fn kill_all() {}

/// Make this process the reaper of its orphaned descendants (`PR_SET_CHILD_SUBREAPER`), so
/// what a command leaves running becomes a child of ours for [`reap_adopted`] to stop.
///
/// Only for a process whose children are all commands run by the collectors: from then on
/// [`reap_adopted`] kills every other child it has. A library host that starts processes of
/// its own should not call it.
///
/// Linux only: elsewhere there is no subreaper, and this does nothing (an orphan is then
/// stopped only by the process-group kill at its command's timeout).
pub fn adopt_orphans() -> std::io::Result<()> {
    #[cfg(any(target_os = "linux", target_os = "android"))]
    {
        nix::sys::prctl::set_child_subreaper(true)?;
        ADOPTING.store(true, Ordering::SeqCst);
    }
    Ok(())
}

/// SIGKILL and reap every adopted orphan: each child of this process that is not a running
/// command's leader. Does nothing unless [`adopt_orphans`] was called.
#[cfg(unix)]
pub fn reap_adopted() {
    for pid in adopted() {
        if kill(pid, Signal::SIGKILL).is_err() {
            continue;
        }
        let until = Instant::now() + REAP_GRACE;
        while Instant::now() < until {
            match waitpid(pid, Some(WaitPidFlag::WNOHANG)) {
                Ok(WaitStatus::StillAlive) => std::thread::sleep(Duration::from_millis(5)),
                _ => break,
            }
        }
    }
}

/// Does nothing outside Unix, where [`adopt_orphans`] adopts nothing.
#[cfg(not(unix))]
pub fn reap_adopted() {}

/// The children of this process that are not running commands' leaders, once adopting.
#[cfg(unix)]
fn adopted() -> Vec<Pid> {
    if !ADOPTING.load(Ordering::SeqCst) {
        return Vec::new();
    }
    let leaders = groups().clone();
    descendants::children(getpid())
        .into_iter()
        .filter(|pid| !leaders.contains(pid))
        .collect()
}

/// How many command groups are running.
pub fn count() -> usize {
    groups().len()
}

#[cfg(all(test, unix))]
mod tests {
    use std::os::unix::process::CommandExt;
    use std::process::{Command, Stdio};
    use std::time::{Duration, Instant};

    use super::*;

    #[test]
    fn kill_all_stops_registered_groups_only() {
        let mut child = Command::new("sleep")
            .arg("1000")
            .process_group(0)
            .stdin(Stdio::null())
            .spawn()
            .expect("sleep runs");
        let pid = Pid::from_raw(i32::try_from(child.id()).expect("pid"));
        register(pid);
        kill_all();
        let started = Instant::now();
        let status = loop {
            if let Some(status) = child.try_wait().expect("wait") {
                break status;
            }
            assert!(
                started.elapsed() < Duration::from_secs(5),
                "sleep survived kill_all"
            );
            std::thread::sleep(Duration::from_millis(10));
        };
        assert!(!status.success());
        unregister(pid);
        assert!(!groups().contains(&pid));
    }
}
