//! `fleet`: many hosts through a local `sh -c` transport (the exec-transport path, and the
//! scale check), and through a real OpenSSH server on loopback ports (`fleet_ssh`).
//!
//! Each simulated host is a directory `<tmp>/hosts/NAME` with a sysroot (`root/`, its kernel
//! release and config differ per host) and stand-in tools (`bin/`). Hosts share the test's
//! tempdir as their `TMPDIR` (`<tmp>/remote-tmp`), so the test can see that every temp dir a
//! host was given is gone afterwards.

use std::path::Path;
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::harness::{Bundle, Test};

/// The spec every host runs: a kernel release and a config from the sysroot, a stand-in
/// engine named by a variable, and a check that warns on old kernels.
pub(crate) const SPEC: &str = r#"schema = 1

[project]
name = "fleetdemo"
display = "Fleet demo"

[vars]
engine = "engine"

[[collect]]
id = "kernel"
kind = "file"
path = "/etc/kernel-release"
required = true
label = "Kernel release"
fact = { name = "kernel", regex = '^(\S+)' }

[[collect]]
id = "config"
kind = "file"
path = "/etc/app.conf"
required = true
label = "Configuration"

[[collect]]
id = "engine"
kind = "command"
argv = ["{engine}", "--version"]
timeout = "10s"
label = "Engine"
fact = { name = "engine_version", regex = 'engine (\S+)' }

[[check]]
id = "old-kernel"
when = "kernel < 5.10"
level = "warn"
message = "kernels before 5.10 lack the probes"
"#;

/// The address every host's config names: its pseudonym must be the same in every bundle.
pub(crate) const SHARED_PEER: &str = "10.20.30.40";

/// Lay out host `name` under `<tmp>/hosts/`: a kernel release, a config naming the shared
/// peer and an address of its own (none when `config` is false), and an `engine` stand-in.
pub(crate) fn host_fixture(t: &Test, name: &str, kernel: &str, engine: &str, config: bool) {
    let base = t.join(&format!("hosts/{name}"));
    std::fs::create_dir_all(base.join("root/etc")).unwrap();
    std::fs::create_dir_all(base.join("bin")).unwrap();
    std::fs::write(base.join("root/etc/kernel-release"), format!("{kernel}\n")).unwrap();
    if config {
        let own = 10 + name.bytes().map(u32::from).sum::<u32>() % 200;
        std::fs::write(
            base.join("root/etc/app.conf"),
            format!("peer = {SHARED_PEER}\nlisten = 10.0.0.{own}\n"),
        )
        .unwrap();
    }
    let engine_path = base.join("bin/engine");
    std::fs::write(
        &engine_path,
        format!("#!/bin/sh\necho \"engine {engine}\"\n"),
    )
    .unwrap();
    make_executable(&engine_path);
}

pub(crate) fn make_executable(path: &Path) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).unwrap();
}

/// Run `fleet` on `work/hosts.toml` with the spec and output directory every test here
/// uses, plus `extra` arguments.
fn run_fleet(t: &Test, extra: &[&str]) -> crate::harness::Output {
    let mut args = vec![
        "fleet",
        "--hosts",
        "hosts.toml",
        "--spec",
        "[TMP]/spec.toml",
        "--out",
        "[TMP]/out",
    ];
    args.extend_from_slice(extra);
    t.run_with(args)
}

/// `fleet.json` of a run.
pub(crate) fn fleet_json(t: &Test) -> Value {
    let text = std::fs::read_to_string(t.join("out/fleet.json")).expect("fleet.json");
    serde_json::from_str(&text).expect("fleet.json is JSON")
}

/// The row of host `name`.
pub(crate) fn row<'a>(fleet: &'a Value, name: &str) -> &'a Value {
    fleet["hosts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|h| h["name"] == name)
        .unwrap_or_else(|| panic!("no row for {name}: {fleet:#}"))
}

/// Host `name`'s bundle, as the row names it.
pub(crate) fn bundle_of(t: &Test, fleet: &Value, name: &str) -> Bundle {
    let rel = row(fleet, name)["bundle"]
        .as_str()
        .unwrap_or_else(|| panic!("{name} has no bundle: {fleet:#}"));
    Bundle::open(&t.join(&format!("out/{rel}"))).unwrap()
}

/// What the peer's address becomes with the test's key: `redact` on this machine.
pub(crate) fn peer_pseudonym(t: &Test) -> String {
    std::fs::write(t.join("peer.txt"), format!("peer = {SHARED_PEER}\n")).unwrap();
    let out = t.run_with(["redact", "[TMP]/peer.txt"]);
    out.success();
    let text = out.stdout_filtered();
    let pseudonym = text.trim().trim_start_matches("peer = ").to_string();
    assert!(pseudonym.starts_with("ip-"), "{text}");
    pseudonym
}

/// Entries left in the hosts' shared TMPDIR.
pub(crate) fn leftovers(dir: &Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .map(|d| {
            d.filter_map(Result::ok)
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default()
}

/// The transport of a simulated host: a local shell with the host's stand-in tools first on
/// PATH and the shared TMPDIR.
fn local_via(t: &Test, name: &str, extra_path: &str) -> String {
    format!(
        "env PATH={tmp}/hosts/{name}/bin{extra_path}:/usr/bin:/bin TMPDIR={tmp}/remote-tmp sh -c",
        tmp = t.path().display()
    )
}

#[test]
fn a_fleet_through_a_local_shell_reports_every_host_and_cleans_up() {
    let t = Test::new().system_path().spec_file("spec.toml", SPEC);
    std::fs::create_dir_all(t.join("remote-tmp")).unwrap();
    host_fixture(&t, "a", "5.4.0-150-generic", "2.1.0", true);
    host_fixture(&t, "b", "6.1.0-18-amd64", "2.1.0", true);
    host_fixture(&t, "c", "5.4.0-150-generic", "2.0.3", false);
    host_fixture(&t, "arm", "6.1.0", "2.1.0", true);
    host_fixture(&t, "bad-var", "6.1.0", "2.1.0", true);
    // Host a has this very version on its PATH: it is used, nothing is streamed.
    std::os::unix::fs::symlink(
        env!("CARGO_BIN_EXE_support-bundle"),
        t.join("hosts/a/bin/support-bundle"),
    )
    .unwrap();
    // Host arm says it is another architecture, and has no support-bundle of its own.
    let uname = t.join("hosts/arm/bin/uname");
    std::fs::write(&uname, "#!/bin/sh\necho 'Linux riscv64'\n").unwrap();
    make_executable(&uname);

    let mut inventory = String::new();
    for name in ["a", "b", "c", "arm", "bad-var"] {
        let engine = t.join(&format!("hosts/{name}/bin/engine"));
        inventory.push_str(&format!(
            "[[hosts]]\nhost = \"{name}\"\nvia = \"{via}\"\nsysroot = \"{root}\"\n\
             vars = {{ engine = \"{engine}\" }}\n\n",
            via = local_via(&t, name, ""),
            root = t.join(&format!("hosts/{name}/root")).display(),
            engine = engine.display(),
        ));
    }
    // A variable the spec does not declare: collect refuses it on the host.
    inventory.push_str(&format!(
        "[[hosts]]\nhost = \"bad-var\"\nname = \"undeclared\"\nvia = \"{}\"\n\
         vars = {{ nosuch = \"1\" }}\n\n",
        local_via(&t, "bad-var", "")
    ));
    // A transport that cannot even start.
    inventory.push_str(&format!(
        "[[hosts]]\nhost = \"gone\"\nvia = \"{}/no-such-transport {{host}}\"\n",
        t.path().display()
    ));
    std::fs::write(t.join("work/hosts.toml"), &inventory).unwrap();

    let out = run_fleet(&t, &["--timeout", "120"]);
    out.status(1);
    for line in [
        "a: ok",
        "b: ok",
        "c: ok",
        "arm: wrong_arch",
        "undeclared: collect_failed",
        "gone: unreachable",
    ] {
        out.stderr_has(line);
    }
    out.stdout_has("7 host(s): 4 collected, 3 failed");

    let fleet = fleet_json(&t);
    assert_eq!(fleet["format_version"], 1, "{fleet:#}");
    assert_eq!(row(&fleet, "a")["binary"], "host_path", "{fleet:#}");
    assert_eq!(row(&fleet, "b")["binary"], "streamed", "{fleet:#}");
    assert_eq!(row(&fleet, "arm")["status"], "wrong_arch", "{fleet:#}");
    assert!(
        row(&fleet, "arm")["message"]
            .as_str()
            .unwrap()
            .contains("riscv64"),
        "{fleet:#}"
    );
    assert_eq!(row(&fleet, "undeclared")["status"], "collect_failed");
    assert!(
        row(&fleet, "undeclared")["message"]
            .as_str()
            .unwrap()
            .contains("nosuch"),
        "{fleet:#}"
    );
    assert_eq!(row(&fleet, "gone")["status"], "unreachable", "{fleet:#}");
    for name in ["a", "b", "c", "arm", "bad-var", "undeclared"] {
        assert_eq!(row(&fleet, name)["cleaned_up"], true, "{name}: {fleet:#}");
    }
    assert!(
        leftovers(&t.join("remote-tmp")).is_empty(),
        "temp dirs left on the hosts: {:?}",
        leftovers(&t.join("remote-tmp"))
    );

    // Every bundle verifies here too, and holds its own host's facts.
    for name in ["a", "b", "c", "bad-var"] {
        let rel = row(&fleet, name)["bundle"].as_str().unwrap().to_string();
        t.run_with(["verify", &format!("[TMP]/out/{rel}")])
            .success();
    }
    assert_eq!(
        bundle_of(&t, &fleet, "a").fact("kernel"),
        Some("5.4.0-150-generic")
    );
    assert_eq!(
        bundle_of(&t, &fleet, "b").fact("kernel"),
        Some("6.1.0-18-amd64")
    );
    assert_eq!(
        bundle_of(&t, &fleet, "c").fact("engine_version"),
        Some("2.0.3")
    );

    // Any two hosts' bundles compare with `diff`.
    let a = row(&fleet, "a")["bundle"].as_str().unwrap().to_string();
    let b = row(&fleet, "b")["bundle"].as_str().unwrap().to_string();
    t.run_with(["diff", &format!("[TMP]/out/{a}"), &format!("[TMP]/out/{b}")])
        .success()
        .stdout_has("6.1.0-18-amd64");

    // One key for all: the shared peer has one pseudonym, the one this machine gives it.
    let pseudonym = peer_pseudonym(&t);
    for name in ["a", "b", "bad-var"] {
        let b = bundle_of(&t, &fleet, name);
        let config = b.item("config")["path"].as_str().unwrap().to_string();
        let text = b.text(&config);
        assert!(
            text.contains(&format!("peer = {pseudonym}")),
            "{name}: {text}"
        );
        assert!(!text.contains(SHARED_PEER), "{name}: {text}");
    }

    let md = std::fs::read_to_string(t.join("out/fleet.md")).unwrap();
    for needle in [
        "`5.4.0-150-generic` on 2 hosts (a, c)",
        "`6.1.0-18-amd64` on 1 host (b)",
        "- **engine\\_version**: `2.1.0` on 3 hosts (a, b, bad-var); `2.0.3` on 1 host (c)",
        "- a: warn `old-kernel`: kernels before 5.10 lack the probes",
        "- c: `config`",
        "- arm: wrong_arch: the host is \\`Linux riscv64\\`",
        "- gone: unreachable",
    ] {
        assert!(md.contains(needle), "missing `{needle}` in:\n{md}");
    }
    assert!(!md.contains("- b: warn"), "{md}");
}

#[test]
fn html_writes_the_fleet_report_as_one_private_page() {
    use std::os::unix::fs::PermissionsExt;
    let t = Test::new().system_path().spec_file("spec.toml", SPEC);
    std::fs::create_dir_all(t.join("remote-tmp")).unwrap();
    let mut inventory = String::new();
    for (name, kernel) in [("web-1", "5.4.0-150-generic"), ("web-2", "6.1.0-18-amd64")] {
        host_fixture(&t, name, kernel, "2.1.0", true);
        // This very binary on the host's PATH: nothing is streamed.
        std::os::unix::fs::symlink(
            env!("CARGO_BIN_EXE_support-bundle"),
            t.join(&format!("hosts/{name}/bin/support-bundle")),
        )
        .unwrap();
        inventory.push_str(&format!(
            "[[hosts]]\nhost = \"{name}\"\nvia = \"{via}\"\nsysroot = \"{root}\"\n\
             vars = {{ engine = \"{engine}\" }}\n\n",
            via = local_via(&t, name, ""),
            root = t.join(&format!("hosts/{name}/root")).display(),
            engine = t.join(&format!("hosts/{name}/bin/engine")).display(),
        ));
    }
    inventory.push_str(&format!(
        "[[hosts]]\nhost = \"gone\"\nvia = \"{}/no-such-transport {{host}}\"\n",
        t.path().display()
    ));
    std::fs::write(t.join("work/hosts.toml"), &inventory).unwrap();
    let args = [
        "fleet",
        "--hosts",
        "hosts.toml",
        "--spec",
        "[TMP]/spec.toml",
        "--out",
        "[TMP]/out",
        "--html",
        "[TMP]/fleet.html",
    ];

    // A dry run writes nothing, so there is no page to ask for.
    t.run_with(args.iter().copied().chain(["--dry-run"]))
        .status(2)
        .stderr_has("--dry-run");
    assert!(!t.join("fleet.html").exists());

    let out = t.run_with(args);
    out.status(1).stdout_has("3 host(s): 2 collected, 1 failed");
    out.stdout_has("html: ");
    let page = std::fs::read_to_string(t.join("fleet.html")).expect("the page");
    for f in ["fleet.html", "out/fleet.md", "out/fleet.json"] {
        let mode = std::fs::metadata(t.join(f)).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600, "{f}: {mode:o}");
    }
    assert!(
        page.contains("<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none';"),
        "{page}"
    );
    for needle in [
        ">web-1</td>",
        ">web-2</td>",
        ">gone</td>",
        "<span class=\"b failed\">unreachable</span>",
        "<code>5.4.0-150-generic</code>",
        "<code>old-kernel</code></td><td>kernels before 5.10 lack the probes</td>",
    ] {
        assert!(page.contains(needle), "missing `{needle}` in:\n{page}");
    }
    for external in ["src=\"http", "href=\"http", "<script"] {
        assert!(!page.contains(external), "`{external}` in:\n{page}");
    }
    assert!(leftovers(&t.join("remote-tmp")).is_empty());
}

#[test]
fn fifty_hosts_run_within_the_parallel_bound() {
    let t = Test::new().system_path().spec_file(
        "spec.toml",
        r#"schema = 1

[project]
name = "scale"

[vars]
probe = "probe"

[[collect]]
id = "probe"
kind = "command"
argv = ["{probe}"]
timeout = "20s"
label = "Concurrency probe"
"#,
    );
    // The probe counts the hosts collecting at this moment: a directory per running probe.
    std::fs::create_dir_all(t.join("running")).unwrap();
    std::fs::create_dir_all(t.join("hostbin")).unwrap();
    let probe = t.join("hostbin/probe");
    std::fs::write(
        &probe,
        format!(
            "#!/bin/sh\nmkdir {run}/$$\nls {run} | wc -l >> {tmp}/concurrency.log\nsleep 0.3\n\
             rmdir {run}/$$\necho probed\n",
            run = t.join("running").display(),
            tmp = t.path().display()
        ),
    )
    .unwrap();
    make_executable(&probe);
    std::os::unix::fs::symlink(
        env!("CARGO_BIN_EXE_support-bundle"),
        t.join("hostbin/support-bundle"),
    )
    .unwrap();
    let hosts: Vec<String> = (1..=50).map(|i| format!("node{i:02}")).collect();
    let via = format!(
        "env PATH={tmp}/hostbin:/usr/bin:/bin sh -c",
        tmp = t.path().display()
    );
    let start = Instant::now();
    let out = t.run_with([
        "fleet",
        "--hosts",
        &hosts.join(","),
        "--via",
        &via,
        "--spec",
        "[TMP]/spec.toml",
        "--parallel",
        "8",
        "--out",
        "[TMP]/out",
        "--json",
    ]);
    let wall = start.elapsed();
    eprintln!(
        "fleet of 50 local hosts, --parallel 8: {:.1} s",
        wall.as_secs_f64()
    );
    out.success();
    out.finished_within(Duration::from_secs(180));
    let fleet: Value = serde_json::from_str(&out.stdout_filtered()).unwrap();
    assert_eq!(fleet["counts"]["ok"], 50, "{fleet:#}");
    assert_eq!(fleet["parallel"], 8);
    let log = std::fs::read_to_string(t.join("concurrency.log")).unwrap();
    let seen: Vec<usize> = log.lines().map(|l| l.trim().parse().unwrap()).collect();
    assert_eq!(seen.len(), 50, "{log}");
    let most = seen.iter().copied().max().unwrap();
    assert!(
        most <= 8,
        "{most} hosts collected at once with --parallel 8"
    );
    assert!(most >= 2, "hosts never ran side by side: {log}");
}

#[test]
fn a_dry_run_shows_each_hosts_transport_and_connects_nowhere() {
    let t = Test::new();
    let out = t.run_with([
        "fleet",
        "--hosts",
        "ops@web-1:2222,db",
        "--out",
        "[TMP]/out",
        "--dry-run",
        "--json",
    ]);
    out.success();
    let plan: Value = serde_json::from_str(&out.stdout_filtered()).unwrap();
    assert_eq!(
        plan["hosts"][0]["transport"],
        serde_json::json!([
            "ssh",
            "-o",
            "BatchMode=yes",
            "-p",
            "2222",
            "-l",
            "ops",
            "web-1",
            "--"
        ])
    );
    assert_eq!(plan["hosts"][1]["name"], "db");
    assert!(!t.join("out").exists());
}

#[test]
fn bad_fleet_input_is_a_usage_error() {
    let t = Test::new();
    t.run_with(["fleet", "--hosts", "web:notaport", "--out", "[TMP]/out"])
        .status(2)
        .stderr_has("is not a port");
    t.run_with(["fleet", "--hosts", "a,a", "--out", "[TMP]/out"])
        .status(2)
        .stderr_has("two hosts are named `a`");
    t.run_with([
        "fleet",
        "--hosts",
        "a",
        "--via",
        "ssh 'open",
        "--out",
        "[TMP]/out",
    ])
    .status(2)
    .stderr_has("does not close");
    t.run_with([
        "fleet",
        "--hosts",
        "a:22",
        "--via",
        "sh -c",
        "--out",
        "[TMP]/out",
    ])
    .status(2)
    .stderr_has("{port}");
}

#[test]
fn collect_reads_the_pseudonym_key_from_stdin() {
    let t = Test::new()
        .file("root/etc/app.conf", &format!("peer = {SHARED_PEER}\n"))
        .spec(
            r#"schema = 1
[project]
name = "keyed"
[[collect]]
id = "config"
kind = "file"
path = "/etc/app.conf"
"#,
        );
    let expected = peer_pseudonym(&t);
    // The test's key file holds 32 raw bytes; on stdin it goes as hex.
    let line = format!("{}\n", hex_of(&crate::harness::PSEUDONYM_KEY));
    let collect = |stdin: &str| {
        let mut cmd = t.command([
            "collect",
            "--spec",
            "[TMP]/spec.toml",
            "--sysroot",
            "[TMP]/root",
            "--out",
            "[TMP]/out",
            "--pseudonym-key-stdin",
        ]);
        // No key file to fall back on: the key can only come from stdin.
        cmd.env("SUPPORT_BUNDLE_PSEUDONYM_KEY", t.join("no-such-key"))
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped());
        let mut child = cmd.spawn().unwrap();
        {
            use std::io::Write as _;
            let mut pipe = child.stdin.take().unwrap();
            let _ = pipe.write_all(stdin.as_bytes());
        }
        child.wait_with_output().unwrap()
    };
    let done = collect(&line);
    assert!(
        done.status.success(),
        "{}",
        String::from_utf8_lossy(&done.stderr)
    );
    let zip = std::fs::read_dir(t.join("out"))
        .unwrap()
        .filter_map(Result::ok)
        .map(|e| e.path())
        .find(|p| p.extension().is_some_and(|e| e == "zip"))
        .expect("a bundle");
    let b = Bundle::open(&zip).unwrap();
    let config = b.item("config")["path"].as_str().unwrap().to_string();
    assert!(b.text(&config).contains(&expected), "{}", b.text(&config));
    assert!(!t.join("no-such-key").exists(), "the key went to a file");
    let refused = collect("short\n");
    assert_eq!(refused.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&refused.stderr).contains("pseudonym key"));
}

fn hex_of(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A host whose `cat` hangs: sending it the binary never ends.
fn hanging_host(t: &Test) -> String {
    host_fixture(t, "slow", "6.1.0", "2.1.0", true);
    let cat = t.join("hosts/slow/bin/cat");
    std::fs::write(
        &cat,
        format!(
            "#!/bin/sh\ntouch {}/sending\nexec sleep 60\n",
            t.path().display()
        ),
    )
    .unwrap();
    make_executable(&cat);
    std::fs::create_dir_all(t.join("remote-tmp")).unwrap();
    format!(
        "[[hosts]]\nhost = \"slow\"\nvia = \"{}\"\n",
        local_via(t, "slow", "")
    )
}

#[test]
fn a_host_past_its_deadline_is_a_timeout_row_and_its_temp_dir_is_removed() {
    let t = Test::new().system_path().spec_file("spec.toml", SPEC);
    let inventory = hanging_host(&t);
    std::fs::write(t.join("work/hosts.toml"), inventory).unwrap();
    let out = run_fleet(&t, &["--timeout", "3"]);
    out.status(1).stderr_has("slow: timeout");
    out.finished_within(Duration::from_secs(30));
    let fleet = fleet_json(&t);
    assert_eq!(row(&fleet, "slow")["status"], "timeout", "{fleet:#}");
    assert_eq!(row(&fleet, "slow")["cleaned_up"], true, "{fleet:#}");
    assert!(leftovers(&t.join("remote-tmp")).is_empty());
}

#[test]
fn ctrl_c_stops_the_hosts_removes_their_temp_dirs_and_writes_the_report() {
    let t = Test::new()
        .system_path()
        .spec_file("spec.toml", SPEC)
        .interrupt_when_exists("sending", nix::sys::signal::Signal::SIGINT);
    let inventory = hanging_host(&t);
    std::fs::write(t.join("work/hosts.toml"), inventory).unwrap();
    let out = run_fleet(&t, &[]);
    out.status(130).stderr_has("slow: interrupted");
    out.finished_within(Duration::from_secs(30));
    let fleet = fleet_json(&t);
    assert_eq!(row(&fleet, "slow")["status"], "interrupted", "{fleet:#}");
    assert_eq!(row(&fleet, "slow")["cleaned_up"], true, "{fleet:#}");
    assert!(leftovers(&t.join("remote-tmp")).is_empty());
}

#[test]
fn hosts_not_started_by_the_runs_deadline_are_timeout_rows() {
    let t = Test::new().system_path().spec_file("spec.toml", SPEC);
    let mut inventory = hanging_host(&t);
    for name in ["later-1", "later-2"] {
        host_fixture(&t, name, "6.1.0", "2.1.0", true);
        inventory.push_str(&format!(
            "[[hosts]]\nhost = \"{name}\"\nvia = \"{}\"\n",
            local_via(&t, name, "")
        ));
    }
    std::fs::write(t.join("work/hosts.toml"), inventory).unwrap();
    let out = run_fleet(&t, &["--parallel", "1", "--total-timeout", "3"]);
    out.status(1);
    out.finished_within(Duration::from_secs(30));
    let fleet = fleet_json(&t);
    assert_eq!(row(&fleet, "slow")["status"], "timeout", "{fleet:#}");
    for name in ["later-1", "later-2"] {
        assert_eq!(row(&fleet, name)["status"], "timeout", "{fleet:#}");
        assert!(
            row(&fleet, name)["message"]
                .as_str()
                .unwrap()
                .contains("before it started"),
            "{fleet:#}"
        );
    }
    assert!(leftovers(&t.join("remote-tmp")).is_empty());
}

/// Every `len`-character window of `secret` found in `text`.
fn fragments_in(text: &str, secret: &str, len: usize) -> Vec<String> {
    let chars: Vec<char> = secret.chars().collect();
    chars
        .windows(len)
        .map(|w| w.iter().collect::<String>())
        .filter(|w| text.contains(w.as_str()))
        .collect()
}

#[test]
fn a_secret_at_the_message_cut_is_redacted_before_the_cut() {
    let t = Test::new().system_path().spec_file("spec.toml", SPEC);
    let token = "ghp_R8kT2mQ9vXw4LpZ7nB3cD6fH1jK5sA0yE2uG";
    // The transport fails with a message whose token straddles the message's length bound.
    let padding = "x".repeat(250);
    let said =
        format!("fatal: {padding} https://x-access-token:{token}@github.com/org/repo.git/ denied");
    assert!((270..300).contains(&said.find("ghp_").unwrap()));
    let via = t.join("noisy");
    std::fs::write(
        &via,
        format!("#!/bin/sh\necho 'a banner' >&2\necho '{said}' >&2\nexit 128\n"),
    )
    .unwrap();
    make_executable(&via);
    std::fs::write(
        t.join("work/hosts.toml"),
        format!(
            "[[hosts]]\nhost = \"noisy\"\nvia = \"{} {{host}}\"\n",
            via.display()
        ),
    )
    .unwrap();
    let out = run_fleet(&t, &[]);
    out.status(1).stderr_has("noisy: unreachable");
    let fleet = fleet_json(&t);
    let message = row(&fleet, "noisy")["message"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(message.contains("fatal: xxx"), "{message}");
    let texts = [
        (
            "fleet.json",
            std::fs::read_to_string(t.join("out/fleet.json")).unwrap(),
        ),
        (
            "fleet.md",
            std::fs::read_to_string(t.join("out/fleet.md")).unwrap(),
        ),
        ("stdout", out.stdout_filtered()),
        ("stderr", out.stderr_filtered()),
    ];
    for (what, text) in texts {
        let found = fragments_in(&text, token, 10);
        assert!(found.is_empty(), "{what} keeps {found:?}:\n{text}");
    }
}

/// A transport that records every argv it is given in `<tmp>/argv.log`, then runs the
/// command like [`local_via`] does for host `name`.
fn recording_via(t: &Test, name: &str) -> String {
    let wrapper = t.join("record");
    std::fs::write(
        &wrapper,
        format!(
            "#!/bin/sh\nprintf '%s\\n' \"$0\" \"$@\" >> {tmp}/argv.log\n\
             exec env PATH={tmp}/hosts/{name}/bin:/usr/bin:/bin TMPDIR={tmp}/remote-tmp \
             sh -c \"$2\"\n",
            tmp = t.path().display()
        ),
    )
    .unwrap();
    make_executable(&wrapper);
    format!("{} -c", wrapper.display())
}

#[test]
fn inventory_variables_reach_collect_on_stdin_not_on_a_command_line() {
    let t = Test::new().system_path().spec_file("spec.toml", SPEC);
    std::fs::create_dir_all(t.join("remote-tmp")).unwrap();
    host_fixture(&t, "h", "6.1.0", "2.1.0", true);
    // The variable names an engine off the host's PATH: only the value finds it.
    let hidden = t.join("vault-Q7xK2p/engine-R4nd0m");
    std::fs::create_dir_all(hidden.parent().unwrap()).unwrap();
    std::fs::write(&hidden, "#!/bin/sh\necho 'engine 9.9.9-var'\n").unwrap();
    make_executable(&hidden);
    std::fs::write(
        t.join("work/hosts.toml"),
        format!(
            "[[hosts]]\nhost = \"h\"\nvia = \"{via}\"\nsysroot = \"{root}\"\n\
             vars = {{ engine = \"{engine}\" }}\n",
            via = recording_via(&t, "h"),
            root = t.join("hosts/h/root").display(),
            engine = hidden.display(),
        ),
    )
    .unwrap();
    let out = run_fleet(&t, &[]);
    out.success().stderr_has("h: ok");
    let fleet = fleet_json(&t);
    assert_eq!(
        bundle_of(&t, &fleet, "h").fact("engine_version"),
        Some("9.9.9-var"),
        "{fleet:#}"
    );
    // The host's dir and its bundle are private.
    {
        use std::os::unix::fs::PermissionsExt;
        let rel = row(&fleet, "h")["bundle"].as_str().unwrap().to_string();
        let mode = |p: &str| std::fs::metadata(t.join(p)).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode("out/h"), 0o700, "out/h");
        assert_eq!(mode(&format!("out/{rel}")), 0o600, "{rel}");
    }
    let argv = std::fs::read_to_string(t.join("argv.log")).unwrap();
    assert!(argv.contains("--vars-stdin"), "{argv}");
    for secret in ["vault-Q7xK2p", "engine-R4nd0m"] {
        assert!(
            !argv.contains(secret),
            "`{secret}` on a command line:\n{argv}"
        );
    }
    assert!(leftovers(&t.join("remote-tmp")).is_empty());
}

#[test]
fn collect_vars_stdin_rejects_malformed_lines_without_echoing_them() {
    let key = format!("{}\n", "ab".repeat(32));
    for (stdin, why) in [
        (
            format!("{key}engine=/bin/true\nno-equals-s3cr3t\n"),
            "--vars-stdin: line 2 is not NAME=VALUE",
        ),
        (
            format!("{key}=s3cr3t\n"),
            "--vars-stdin: line 1 has an empty name",
        ),
        (format!("{key}nosuch=s3cr3t\n"), "nosuch"),
    ] {
        let t = Test::new()
            .system_path()
            .spec_file("spec.toml", SPEC)
            .stdin(stdin);
        let out = t.run_with([
            "collect",
            "--spec",
            "[TMP]/spec.toml",
            "--out",
            "[TMP]/out",
            "--pseudonym-key-stdin",
            "--vars-stdin",
        ]);
        out.status(2).stderr_has(why);
        assert!(
            !out.stderr_filtered().contains("s3cr3t"),
            "{}",
            out.stderr_filtered()
        );
    }
    let t = Test::new().spec_file("spec.toml", SPEC);
    t.run_with([
        "collect",
        "--spec",
        "[TMP]/spec.toml",
        "--vars-stdin",
        "--describe",
        "-",
    ])
    .status(2)
    .stderr_has("--vars-stdin and --describe - both read stdin");
}

#[test]
fn a_temp_dir_at_an_unusual_path_is_not_used_and_not_left_behind() {
    let t = Test::new().system_path().spec_file("spec.toml", SPEC);
    host_fixture(&t, "spaced", "6.1.0", "2.1.0", true);
    let remote_tmp = t.join("remote tmp");
    std::fs::create_dir_all(&remote_tmp).unwrap();
    let via = format!(
        "env PATH={tmp}/hosts/spaced/bin:/usr/bin:/bin 'TMPDIR={tmp}/remote tmp' sh -c",
        tmp = t.path().display()
    );
    std::fs::write(
        t.join("work/hosts.toml"),
        format!("[[hosts]]\nhost = \"spaced\"\nvia = \"{via}\"\n"),
    )
    .unwrap();
    let out = run_fleet(&t, &[]);
    out.status(1).stderr_has("spaced: transfer_failed");
    let fleet = fleet_json(&t);
    let message = row(&fleet, "spaced")["message"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(message.contains("not a plain absolute path"), "{message}");
    assert!(message.contains("removed it"), "{message}");
    assert!(
        leftovers(&remote_tmp).is_empty(),
        "temp dirs left on the host: {:?}",
        leftovers(&remote_tmp)
    );
}
