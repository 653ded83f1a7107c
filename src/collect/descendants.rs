//! A command's whole process tree, including what left its process group.
//!
//! Killing a command's process group misses a descendant that moved to a session or group of
//! its own (`setsid`, daemons). Such a process is still a child of its parent, though, so the
//! tree below the leader finds it as long as the parents in between live; see
//! [`running::adopt_orphans`](super::running::adopt_orphans) for those whose parents are gone.

use std::fs;

use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;

/// The children of `pid`, from `/proc/<pid>/task/*/children`, or from every process's parent
/// in `/proc/*/stat` on a kernel without those files.
pub(super) fn children(pid: Pid) -> Vec<Pid> {
    let parse = |text: &str| -> Vec<Pid> {
        text.split_whitespace()
            .filter_map(|s| s.parse().ok())
            .map(Pid::from_raw)
            .collect()
    };
    let Ok(tasks) = fs::read_dir(format!("/proc/{pid}/task")) else {
        return Vec::new();
    };
    let mut found = Vec::new();
    let mut readable = false;
    for task in tasks.flatten() {
        if let Ok(text) = fs::read_to_string(task.path().join("children")) {
            readable = true;
            found.extend(parse(&text));
        }
    }
    if readable {
        found
    } else {
        children_by_scan(pid)
    }
}

fn children_by_scan(parent: Pid) -> Vec<Pid> {
    let Ok(procs) = fs::read_dir("/proc") else {
        return Vec::new();
    };
    procs
        .flatten()
        .filter_map(|entry| {
            let pid: i32 = entry.file_name().to_str()?.parse().ok()?;
            let stat = fs::read_to_string(entry.path().join("stat")).ok()?;
            // After the parenthesised command name (which may hold anything): state, ppid.
            let ppid: i32 = stat
                .rsplit(')')
                .next()?
                .split_whitespace()
                .nth(1)?
                .parse()
                .ok()?;
            (ppid == parent.as_raw()).then_some(Pid::from_raw(pid))
        })
        .collect()
}

/// SIGKILL `leader` and every process below it, whatever group or session each is in. The
/// leader must not have been reaped, so its pid cannot belong to anyone else.
pub(super) fn kill_tree(leader: Pid) {
    // Each process is stopped before its children are listed: a stopped process neither forks
    // nor reaps, so the pids listed stay its children (an exited one lingers as a zombie)
    // until they are killed. A second pass catches a child forked while a stop was on its way.
    let mut found = vec![leader];
    for _ in 0..2 {
        let mut i = 0;
        while let Some(&pid) = found.get(i) {
            let _ = kill(pid, Signal::SIGSTOP);
            for child in children(pid) {
                if !found.contains(&child) {
                    found.push(child);
                }
            }
            i += 1;
        }
    }
    // Children before their parents: a killed parent's children go to a reaper, which could
    // free their pids for reuse before they were signalled.
    for &pid in found.iter().rev() {
        let _ = kill(pid, Signal::SIGKILL);
    }
}

#[cfg(test)]
mod tests {
    use std::io::{BufRead, BufReader};
    use std::os::unix::process::CommandExt;
    use std::process::{Command, Stdio};
    use std::time::{Duration, Instant};

    use super::*;

    fn alive(pid: Pid) -> bool {
        // A zombie is gone for our purposes: it runs nothing and holds nothing open.
        fs::read_to_string(format!("/proc/{pid}/stat")).is_ok_and(|stat| {
            let state = stat
                .rsplit(')')
                .next()
                .and_then(|s| s.split_whitespace().next());
            !matches!(state, Some("Z" | "X"))
        })
    }

    #[test]
    fn kills_a_descendant_in_a_session_of_its_own() {
        let mut leader = Command::new("sh")
            .args(["-c", "setsid sleep 1000 & echo $!; sleep 1000"])
            .process_group(0)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .spawn()
            .expect("sh runs");
        let mut line = String::new();
        BufReader::new(leader.stdout.take().expect("stdout"))
            .read_line(&mut line)
            .expect("pid line");
        let daemon = Pid::from_raw(line.trim().parse().expect("pid"));
        let leader_pid = Pid::from_raw(i32::try_from(leader.id()).expect("pid"));
        // `setsid` runs after the fork; wait until the daemon has left the group.
        let started = Instant::now();
        while nix::unistd::getsid(Some(daemon)).ok() != Some(daemon) {
            assert!(
                started.elapsed() < Duration::from_secs(5),
                "setsid did not run"
            );
            std::thread::sleep(Duration::from_millis(10));
        }
        assert!(children(leader_pid).contains(&daemon));

        kill_tree(leader_pid);
        leader.wait().expect("reap the leader");
        let started = Instant::now();
        while alive(daemon) {
            assert!(
                started.elapsed() < Duration::from_secs(5),
                "{daemon} survived kill_tree"
            );
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    #[test]
    fn scanning_proc_finds_the_same_children() {
        let mut child = Command::new("sleep")
            .arg("1000")
            .spawn()
            .expect("sleep runs");
        let pid = Pid::from_raw(i32::try_from(child.id()).expect("pid"));
        let me = nix::unistd::getpid();
        assert!(children(me).contains(&pid));
        assert!(children_by_scan(me).contains(&pid));
        child.kill().expect("kill");
        child.wait().expect("reap");
    }
}
