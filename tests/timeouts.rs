//! Commands that run past their timeout are stopped with their whole process group.

use std::time::Duration;

use crate::harness::{Test, process_alive};

/// A spec whose `stuck` command forks a sleeping grandchild, writes its pid to `pid_file`
/// (and stdout), and sleeps itself; `system = true` adds a `system` item.
fn stuck_spec(pid_file: &std::path::Path, timeout: &str, system: bool) -> String {
    let system = if system {
        "\n[[collect]]\nid = \"system\"\nkind = \"system\"\n"
    } else {
        ""
    };
    format!(
        r#"schema = 1

[project]
name = "slow"
{system}
[[collect]]
id = "stuck"
kind = "command"
argv = ["sh", "-c", "sleep 1000 & echo $! > '{}'; echo $!; sleep 1000"]
timeout = "{timeout}"
"#,
        pid_file.display()
    )
}

/// The pid in `pid_file`, once that process is gone (allowing the kernel a moment to tear
/// it down); a survivor is killed so it cannot disturb the rest of the suite.
fn gone_grandchild(pid_file: &std::path::Path) -> (i32, bool) {
    let pid: i32 = std::fs::read_to_string(pid_file)
        .expect("the command started and wrote its grandchild's pid")
        .trim()
        .parse()
        .expect("pid");
    let gone = (0..40).any(|_| {
        if process_alive(pid) {
            std::thread::sleep(Duration::from_millis(50));
            false
        } else {
            true
        }
    });
    if !gone {
        let _ = nix::sys::signal::kill(
            nix::unistd::Pid::from_raw(pid),
            nix::sys::signal::Signal::SIGKILL,
        );
    }
    (pid, gone)
}

#[test]
fn a_hung_command_is_stopped_with_its_grandchild() {
    let t = Test::new();
    let pid_file = t.join("grandchild.pid");
    let out = t
        .spec_file("slow.toml", &stuck_spec(&pid_file, "1s", true))
        .system_path()
        .args(["collect", "--spec", "[TMP]/slow.toml", "--out", "[TMP]/out"])
        .run();
    out.success();
    out.finished_within(Duration::from_secs(10));
    let b = out.bundle();
    assert_eq!(b.status("stuck"), "timeout", "{}", b.manifest_text());
    assert_eq!(b.status("system"), "ok");

    let (pid, gone) = gone_grandchild(&pid_file);
    // Output captured before the timeout is kept.
    let text = b.text("commands/stuck.txt");
    assert!(
        text.contains(&pid.to_string()),
        "{text}\n{}",
        b.manifest_text()
    );
    assert!(gone, "grandchild {pid} survived the timeout\n{out}");
}

#[test]
fn overall_deadline_bounds_the_run() {
    let t = Test::new();
    let spec = r#"schema = 1

[project]
name = "slow"

[[collect]]
id = "stuck"
kind = "command"
argv = ["sleep", "1000"]
timeout = "10m"
"#;
    let out = t
        .spec_file("slow.toml", spec)
        .system_path()
        .args(["collect", "--spec", "[TMP]/slow.toml", "--out", "[TMP]/out"])
        .args(["--timeout", "2"])
        .run();
    out.success();
    out.finished_within(Duration::from_secs(15));
    let b = out.bundle();
    assert_eq!(b.status("stuck"), "timeout", "{}", b.manifest_text());
}

/// Commands run in their own process groups, out of reach of the terminal's Ctrl-C: an
/// interrupted `collect` stops them itself, ends with 130, and leaves no bundle.
#[test]
fn an_interrupted_run_stops_its_commands() {
    let t = Test::new();
    let pid_file = t.join("grandchild.pid");
    let out = t
        .spec_file("slow.toml", &stuck_spec(&pid_file, "10m", false))
        .system_path()
        .interrupt_when_exists("grandchild.pid", nix::sys::signal::Signal::SIGINT)
        .args(["collect", "--spec", "[TMP]/slow.toml", "--out", "[TMP]/out"])
        .run();
    expect!(out, out.status.code() == Some(130), "expected exit 130");
    expect!(
        out,
        out.stderr.contains("interrupted"),
        "no interruption notice"
    );
    out.finished_within(Duration::from_secs(15));
    let (pid, gone) = gone_grandchild(&pid_file);
    assert!(gone, "grandchild {pid} survived the interrupted run\n{out}");
    let left = out.out_files();
    assert!(left.is_empty(), "files left behind: {left:?}");
}

/// A spec whose `daemon` command starts `setsid sleep 1000` (a session, and so a process
/// group, of its own) and writes its pid to `pid_file`; `then` is the rest of the shell line.
fn daemon_spec(pid_file: &std::path::Path, then: &str, timeout: &str) -> String {
    format!(
        r#"schema = 1

[project]
name = "daemon"

[[collect]]
id = "daemon"
kind = "command"
argv = ["sh", "-c", "setsid sleep 1000 </dev/null >/dev/null 2>&1 & echo $! > '{}'{then}"]
timeout = "{timeout}"
"#,
        pid_file.display()
    )
}

#[test]
fn a_daemon_that_left_the_group_is_stopped_at_the_timeout() {
    let t = Test::new();
    let pid_file = t.join("daemon.pid");
    let out = t
        .spec_file("daemon.toml", &daemon_spec(&pid_file, "; sleep 1000", "1s"))
        .system_path()
        .args([
            "collect",
            "--spec",
            "[TMP]/daemon.toml",
            "--out",
            "[TMP]/out",
        ])
        .run();
    out.success();
    let b = out.bundle();
    assert_eq!(b.status("daemon"), "timeout", "{}", b.manifest_text());
    let (pid, gone) = gone_grandchild(&pid_file);
    assert!(gone, "setsid daemon {pid} survived the timeout\n{out}");
}

#[test]
fn a_daemon_left_behind_does_not_outlive_the_run() {
    let t = Test::new();
    let pid_file = t.join("daemon.pid");
    let out = t
        .spec_file("daemon.toml", &daemon_spec(&pid_file, "", "10s"))
        .system_path()
        .args([
            "collect",
            "--spec",
            "[TMP]/daemon.toml",
            "--out",
            "[TMP]/out",
        ])
        .run();
    out.success();
    let b = out.bundle();
    assert_eq!(b.status("daemon"), "ok", "{}", b.manifest_text());
    let (pid, gone) = gone_grandchild(&pid_file);
    assert!(gone, "setsid daemon {pid} outlived the run\n{out}");
}
