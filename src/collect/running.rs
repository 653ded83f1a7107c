//! The process groups of the commands running right now.
//!
//! Every command runs as the leader of its own process group, so the terminal's Ctrl-C (sent
//! to *our* foreground group) never reaches it. An interrupted run therefore has to stop them
//! itself: the front end calls [`kill_all`] from its signal handler. A group is registered
//! from spawn until just before its leader is reaped; while the leader is unreaped its pid,
//! and so the group id, cannot be reused, so [`kill_all`] can never hit an unrelated process.

use std::collections::BTreeSet;
use std::sync::{Mutex, MutexGuard};

use nix::sys::signal::{Signal, killpg};
use nix::unistd::Pid;

static GROUPS: Mutex<BTreeSet<i32>> = Mutex::new(BTreeSet::new());

fn groups() -> MutexGuard<'static, BTreeSet<i32>> {
    // A panic elsewhere while holding the lock leaves the set itself intact.
    GROUPS
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Record a group whose leader was just spawned.
pub(super) fn register(leader: Pid) {
    groups().insert(leader.as_raw());
}

/// Forget a group; call before reaping its leader.
pub(super) fn unregister(leader: Pid) {
    groups().remove(&leader.as_raw());
}

/// SIGKILL every running command's process group. Safe to call at any time, from any thread.
pub fn kill_all() {
    for &pgid in groups().iter() {
        let _ = killpg(Pid::from_raw(pgid), Signal::SIGKILL);
    }
}

/// How many command groups are running.
pub fn count() -> usize {
    groups().len()
}

#[cfg(test)]
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
        assert!(!groups().contains(&pid.as_raw()));
    }
}
