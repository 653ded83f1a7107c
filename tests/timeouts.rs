//! Commands that run past their timeout are stopped with their whole process group.

use std::time::Duration;

use crate::harness::{Test, process_alive};

#[test]
fn a_hung_command_is_stopped_with_its_grandchild() {
    let t = Test::new();
    let pid_file = t.join("grandchild.pid");
    let spec = format!(
        r#"schema = 1

[project]
name = "slow"

[[collect]]
id = "system"
kind = "system"

[[collect]]
id = "stuck"
kind = "command"
argv = ["sh", "-c", "sleep 1000 & echo $! > '{}'; echo $!; sleep 1000"]
timeout = "1s"
"#,
        pid_file.display()
    );
    let out = t
        .spec_file("slow.toml", &spec)
        .system_path()
        .args(["collect", "--spec", "[TMP]/slow.toml", "--out", "[TMP]/out"])
        .run();
    out.success();
    expect!(
        out,
        out.elapsed < Duration::from_secs(10),
        "took {:?}",
        out.elapsed
    );
    let b = out.bundle();
    assert_eq!(b.status("stuck"), "timeout", "{}", b.manifest_text());
    assert_eq!(b.status("system"), "ok");

    let pid: i32 = std::fs::read_to_string(&pid_file)
        .expect("the command started and wrote its grandchild's pid")
        .trim()
        .parse()
        .expect("pid");
    // Output captured before the timeout is kept.
    if let Some(data) = b.entries.get("commands/stuck.txt") {
        let text = String::from_utf8_lossy(data);
        assert!(text.contains(&pid.to_string()), "{text}");
    }
    // The kill is immediate, but allow the kernel a moment to tear the process down.
    let mut gone = false;
    for _ in 0..40 {
        if !process_alive(pid) {
            gone = true;
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    if !gone {
        // Do not leave it behind for the rest of the suite.
        let _ = nix::sys::signal::kill(
            nix::unistd::Pid::from_raw(pid),
            nix::sys::signal::Signal::SIGKILL,
        );
    }
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
    expect!(
        out,
        out.elapsed < Duration::from_secs(15),
        "took {:?}",
        out.elapsed
    );
    let b = out.bundle();
    assert_eq!(b.status("stuck"), "timeout", "{}", b.manifest_text());
}

/// Commands run in their own process groups, out of reach of the terminal's Ctrl-C: an
/// interrupted `collect` stops them itself, ends with 130, and leaves no bundle.
#[test]
fn an_interrupted_run_stops_its_commands() {
    let t = Test::new();
    let pid_file = t.join("grandchild.pid");
    let spec = format!(
        r#"schema = 1

[project]
name = "slow"

[[collect]]
id = "stuck"
kind = "command"
argv = ["sh", "-c", "sleep 1000 & echo $! > '{}'; sleep 1000"]
timeout = "10m"
"#,
        pid_file.display()
    );
    let out = t
        .spec_file("slow.toml", &spec)
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
    expect!(
        out,
        out.elapsed < Duration::from_secs(15),
        "took {:?}",
        out.elapsed
    );
    let pid: i32 = std::fs::read_to_string(&pid_file)
        .expect("grandchild pid")
        .trim()
        .parse()
        .expect("pid");
    let gone = (0..40).any(|_| {
        std::thread::sleep(Duration::from_millis(50));
        !process_alive(pid)
    });
    assert!(gone, "grandchild {pid} survived the interrupted run");
    let left = out.out_files();
    assert!(left.is_empty(), "files left behind: {left:?}");
}
