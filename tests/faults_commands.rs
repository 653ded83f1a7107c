//! Commands that fight back: endless output, a closed stdout, a daemon, a stdin reader.
//! Each one must end within its bounds and still leave a bundle.

use std::time::Duration;

use crate::harness::Test;

/// A spec with one `command` item running `argv` (a TOML array) with `extra` settings.
fn spec(argv: &str, extra: &str) -> String {
    format!(
        "schema = 1\n\n[project]\nname = \"fight\"\n\n[[collect]]\nid = \"cmd\"\n\
         kind = \"command\"\nargv = {argv}\n{extra}\n"
    )
}

fn collect(argv: &str, extra: &str) -> crate::harness::Output {
    Test::new()
        .spec(&spec(argv, extra))
        .system_path()
        .args(["collect", "--spec", "[TMP]/spec.toml", "--out", "[TMP]/out"])
        .run()
}

#[test]
fn endless_output_is_capped_killed_and_truncated_long_before_the_timeout() {
    let out = collect(
        r#"["yes", "support-bundle"]"#,
        "timeout = \"60s\"\nmax_bytes = 65536",
    );
    out.success();
    expect!(
        out,
        out.elapsed < Duration::from_secs(15),
        "took {:?}: the flood ran until the timeout",
        out.elapsed
    );
    let b = out.bundle();
    assert_eq!(b.status("cmd"), "truncated", "{}", b.manifest_text());
    let text = b.text("commands/cmd.txt");
    assert!(text.len() <= 65536, "kept {} bytes", text.len());
    assert!(text.starts_with("support-bundle\nsupport-bundle\n"));
    let detail = b.item("cmd")["detail"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    assert!(detail.contains("killed"), "{detail}");
}

#[test]
fn a_command_that_closes_stdout_and_keeps_running_ends_at_its_timeout() {
    let out = collect(
        r#"["sh", "-c", "echo before; exec >&-; sleep 30"]"#,
        "timeout = \"1s\"",
    );
    out.success();
    out.finished_within(Duration::from_secs(10));
    let b = out.bundle();
    assert_eq!(b.status("cmd"), "timeout", "{}", b.manifest_text());
    assert!(b.text("commands/cmd.txt").contains("before"));
}

#[test]
fn a_command_that_reads_stdin_gets_end_of_file() {
    // `cat` with no arguments copies stdin: it must end at once, not wait for input.
    let out = Test::new()
        .spec(&spec(
            r#"["sh", "-c", "cat; echo stdin-closed"]"#,
            "timeout = \"20s\"",
        ))
        .system_path()
        .stdin("typed by the user\n")
        .args(["collect", "--spec", "[TMP]/spec.toml", "--out", "[TMP]/out"])
        .run();
    out.success();
    out.finished_within(Duration::from_secs(10));
    let b = out.bundle();
    assert_eq!(b.status("cmd"), "ok", "{}", b.manifest_text());
    // The user's terminal input is not the command's: it saw an empty stdin.
    assert_eq!(b.text("commands/cmd.txt"), "stdin-closed\n");
}

#[test]
fn a_daemon_that_outlives_its_command_does_not_hold_the_run() {
    let t = Test::new();
    let pid_file = t.join("daemon.pid");
    let argv = format!(
        r#"["sh", "-c", "sleep 1000 > /dev/null 2>&1 & echo $! > '{}'; sleep 1000 & echo started"]"#,
        pid_file.display()
    );
    let out = t
        .spec(&spec(&argv, "timeout = \"2s\""))
        .system_path()
        .args(["collect", "--spec", "[TMP]/spec.toml", "--out", "[TMP]/out"])
        .run();
    out.success();
    out.finished_within(Duration::from_secs(10));
    assert_eq!(out.bundle().text("commands/cmd.txt"), "started\n");
    let pid: i32 = std::fs::read_to_string(&pid_file)
        .expect("daemon pid")
        .trim()
        .parse()
        .expect("pid");
    let gone = (0..40).any(|_| {
        let alive = crate::harness::process_alive(pid);
        if alive {
            std::thread::sleep(Duration::from_millis(50));
        }
        !alive
    });
    if !gone {
        let _ = nix::sys::signal::kill(
            nix::unistd::Pid::from_raw(pid),
            nix::sys::signal::Signal::SIGKILL,
        );
    }
    assert!(gone, "the daemon {pid} outlived the run");
}
