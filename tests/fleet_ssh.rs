//! `fleet` against a real OpenSSH server on loopback: three "hosts" (one sshd on three
//! ports, each host with its own sysroot and stand-in engine), a port with nothing
//! listening, a server whose host key is not the one known, and a login the server refuses.
//!
//! Keys are generated for the test (`ssh-keygen`); the client reads only the test's own
//! config and known_hosts. The sessions get the test's TMPDIR (`SetEnv`), so the test sees
//! that every temp dir a host was given is gone afterwards.

use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::fleet::{
    SHARED_PEER, bundle_of, fleet_json, host_fixture, leftovers, peer_pseudonym, row,
};
use crate::harness::Test;

const SSHD: &str = "/usr/sbin/sshd";

/// A running sshd, stopped when dropped.
struct Sshd(Child);

impl Drop for Sshd {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn tools_present() -> bool {
    let present =
        Path::new(SSHD).is_file() && ["ssh", "ssh-keygen"].iter().all(|t| which(t).is_some());
    if present {
        return true;
    }
    assert!(
        std::env::var_os("CI").is_none(),
        "{SSHD}, ssh or ssh-keygen is missing, and CI is expected to install them"
    );
    eprintln!("skipping: OpenSSH (sshd, ssh, ssh-keygen) is not installed");
    false
}

fn which(tool: &str) -> Option<PathBuf> {
    ["/usr/bin", "/bin", "/usr/sbin"]
        .iter()
        .map(|d| Path::new(d).join(tool))
        .find(|p| p.is_file())
}

/// A port nothing listens on right now.
fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn keygen(path: &Path) {
    let status = Command::new("ssh-keygen")
        .args(["-q", "-t", "ed25519", "-N", "", "-C", "fleet-test", "-f"])
        .arg(path)
        .stdin(Stdio::null())
        .status()
        .unwrap();
    assert!(status.success(), "ssh-keygen failed");
}

/// Start sshd on `ports` with `host_key`, logging to `log`; wait until every port accepts.
fn start_sshd(dir: &Path, name: &str, ports: &[u16], host_key: &Path, tmpdir: &Path) -> Sshd {
    // Privilege separation needs this directory; it is not there until sshd first ran.
    let _ = std::fs::create_dir_all("/run/sshd");
    let mut config = String::from("ListenAddress 127.0.0.1\n");
    for p in ports {
        config.push_str(&format!("Port {p}\n"));
    }
    config.push_str(&format!(
        "HostKey {key}\nAuthorizedKeysFile {dir}/authorized_keys\nPermitRootLogin prohibit-password\n\
         StrictModes no\nPidFile {dir}/{name}.pid\nUsePAM no\nPasswordAuthentication no\n\
         KbdInteractiveAuthentication no\nLogLevel ERROR\nSetEnv TMPDIR={tmp}\n",
        key = host_key.display(),
        dir = dir.display(),
        tmp = tmpdir.display(),
    ));
    let cfg = dir.join(format!("{name}_config"));
    std::fs::write(&cfg, config).unwrap();
    let log = std::fs::File::create(dir.join(format!("{name}.log"))).unwrap();
    let child = Command::new(SSHD)
        .args(["-D", "-e", "-f"])
        .arg(&cfg)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(log)
        .spawn()
        .unwrap();
    let sshd = Sshd(child);
    let start = Instant::now();
    for p in ports {
        while TcpStream::connect(("127.0.0.1", *p)).is_err() {
            assert!(
                start.elapsed() < Duration::from_secs(15),
                "sshd did not start: {}",
                std::fs::read_to_string(dir.join(format!("{name}.log"))).unwrap_or_default()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }
    sshd
}

fn login_name() -> String {
    let out = Command::new("id").arg("-un").output().unwrap();
    String::from_utf8(out.stdout).unwrap().trim().to_string()
}

#[test]
fn a_fleet_over_real_openssh_collects_reports_failures_and_cleans_up() {
    if !tools_present() {
        return;
    }
    let t = Test::new()
        .system_path()
        .spec_file("spec.toml", crate::fleet::SPEC);
    let ssh = t.join("ssh");
    let remote_tmp = t.join("remote-tmp");
    std::fs::create_dir_all(&ssh).unwrap();
    std::fs::create_dir_all(&remote_tmp).unwrap();
    keygen(&ssh.join("host_key"));
    keygen(&ssh.join("other_host_key"));
    keygen(&ssh.join("user_key"));
    std::fs::copy(ssh.join("user_key.pub"), ssh.join("authorized_keys")).unwrap();

    let good: Vec<u16> = (0..3).map(|_| free_port()).collect();
    let impostor = free_port();
    let closed = free_port();
    let _sshd = start_sshd(&ssh, "sshd", &good, &ssh.join("host_key"), &remote_tmp);
    let _other = start_sshd(
        &ssh,
        "impostor",
        &[impostor],
        &ssh.join("other_host_key"),
        &remote_tmp,
    );

    // The client trusts host_key on every port, the impostor's included.
    let host_pub = std::fs::read_to_string(ssh.join("host_key.pub")).unwrap();
    let host_pub: Vec<&str> = host_pub.split_whitespace().take(2).collect();
    let known: String = good
        .iter()
        .chain([&impostor, &closed])
        .map(|p| format!("[127.0.0.1]:{p} {}\n", host_pub.join(" ")))
        .collect();
    std::fs::write(ssh.join("known_hosts"), known).unwrap();
    std::fs::write(
        ssh.join("client_config"),
        format!(
            "Host *\n  BatchMode yes\n  IdentityFile {dir}/user_key\n  IdentitiesOnly yes\n  \
             UserKnownHostsFile {dir}/known_hosts\n  GlobalKnownHostsFile /dev/null\n  \
             StrictHostKeyChecking yes\n  ConnectTimeout 10\n  LogLevel ERROR\n",
            dir = ssh.display()
        ),
    )
    .unwrap();

    let user = login_name();
    let via = format!(
        "ssh -F {}/client_config -p {{port}} -l {{user}} {{host}} --",
        ssh.display()
    );
    let kernels = [
        ("a", "5.4.0-150-generic", "2.1.0"),
        ("b", "6.1.0-18-amd64", "2.1.0"),
        ("c", "5.4.0-150-generic", "2.0.3"),
    ];
    let mut inventory = String::new();
    for ((name, kernel, engine), port) in kernels.iter().zip(&good) {
        host_fixture(&t, name, kernel, engine, true);
        inventory.push_str(&format!(
            "[[hosts]]\nname = \"{name}\"\nhost = \"127.0.0.1\"\nport = {port}\nuser = \"{user}\"\n\
             via = \"{via}\"\nsysroot = \"{root}\"\nvars = {{ engine = \"{engine}\" }}\n\n",
            root = t.join(&format!("hosts/{name}/root")).display(),
            engine = t.join(&format!("hosts/{name}/bin/engine")).display(),
        ));
    }
    for (name, port, login) in [
        ("closed", closed, user.as_str()),
        ("impostor", impostor, user.as_str()),
        ("stranger", good[0], "no-such-login"),
    ] {
        inventory.push_str(&format!(
            "[[hosts]]\nname = \"{name}\"\nhost = \"127.0.0.1\"\nport = {port}\nuser = \"{login}\"\n\
             via = \"{via}\"\n\n"
        ));
    }
    std::fs::write(t.join("work/hosts.toml"), &inventory).unwrap();

    let start = Instant::now();
    let out = t.run_with([
        "fleet",
        "--hosts",
        "hosts.toml",
        "--spec",
        "[TMP]/spec.toml",
        "--out",
        "[TMP]/out",
        "--timeout",
        "240",
    ]);
    eprintln!("fleet over ssh: {:.1} s", start.elapsed().as_secs_f64());
    out.status(1);
    let fleet = fleet_json(&t);
    for name in ["a", "b", "c"] {
        assert_eq!(row(&fleet, name)["status"], "ok", "{name}: {fleet:#}");
        assert_eq!(row(&fleet, name)["binary"], "streamed", "{fleet:#}");
        assert_eq!(row(&fleet, name)["cleaned_up"], true, "{fleet:#}");
    }
    assert_eq!(row(&fleet, "closed")["status"], "unreachable", "{fleet:#}");
    assert_eq!(
        row(&fleet, "impostor")["status"],
        "host_key_mismatch",
        "{fleet:#}"
    );
    assert_eq!(
        row(&fleet, "stranger")["status"],
        "auth_refused",
        "{fleet:#}"
    );
    out.stderr_has("closed: unreachable")
        .stderr_has("impostor: host_key_mismatch")
        .stderr_has("stranger: auth_refused");
    // The failing hosts never got a temp dir; the others' are gone.
    assert!(row(&fleet, "closed").get("cleaned_up").is_none());
    assert!(
        leftovers(&remote_tmp).is_empty(),
        "temp dirs left on the hosts: {:?}",
        leftovers(&remote_tmp)
    );
    // The known_hosts file was not changed: nothing was accepted.
    let known = std::fs::read_to_string(ssh.join("known_hosts")).unwrap();
    assert_eq!(known.lines().count(), 5, "{known}");

    let pseudonym = peer_pseudonym(&t);
    for (name, kernel, engine) in kernels {
        let rel = row(&fleet, name)["bundle"].as_str().unwrap().to_string();
        t.run_with(["verify", &format!("[TMP]/out/{rel}")])
            .success();
        let b = bundle_of(&t, &fleet, name);
        assert_eq!(b.fact("kernel"), Some(kernel), "{name}");
        assert_eq!(b.fact("engine_version"), Some(engine), "{name}");
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
        "- **kernel**: `5.4.0-150-generic` on 2 hosts (a, c); `6.1.0-18-amd64` on 1 host (b)",
        "- a: warn `old-kernel`",
        "- closed: unreachable",
        "- impostor: host_key_mismatch",
        "- stranger: auth_refused",
    ] {
        assert!(md.contains(needle), "missing `{needle}` in:\n{md}");
    }
}

#[test]
fn ctrl_c_during_a_remote_collect_over_ssh_leaves_no_temp_dir() {
    if !tools_present() {
        return;
    }
    let t = Test::new()
        .system_path()
        .spec_file("spec.toml", crate::fleet::SPEC)
        .interrupt_when_exists("engine-started", nix::sys::signal::Signal::SIGINT);
    let ssh = t.join("ssh");
    let remote_tmp = t.join("remote-tmp");
    std::fs::create_dir_all(&ssh).unwrap();
    std::fs::create_dir_all(&remote_tmp).unwrap();
    keygen(&ssh.join("host_key"));
    keygen(&ssh.join("user_key"));
    std::fs::copy(ssh.join("user_key.pub"), ssh.join("authorized_keys")).unwrap();
    let port = free_port();
    let _sshd = start_sshd(&ssh, "sshd", &[port], &ssh.join("host_key"), &remote_tmp);
    let host_pub = std::fs::read_to_string(ssh.join("host_key.pub")).unwrap();
    let host_pub: Vec<&str> = host_pub.split_whitespace().take(2).collect();
    std::fs::write(
        ssh.join("known_hosts"),
        format!("[127.0.0.1]:{port} {}\n", host_pub.join(" ")),
    )
    .unwrap();
    let via = format!(
        "ssh -o BatchMode=yes -o IdentitiesOnly=yes -i {dir}/user_key \
         -o UserKnownHostsFile={dir}/known_hosts -o GlobalKnownHostsFile=/dev/null \
         -p {{port}} -l {{user}} {{host}} --",
        dir = ssh.display()
    );
    // The engine on this host hangs once it has started: Ctrl-C comes mid-collect.
    host_fixture(&t, "busy", "6.1.0", "2.1.0", true);
    let engine = t.join("hosts/busy/bin/engine");
    std::fs::write(
        &engine,
        format!(
            "#!/bin/sh\ntouch {}/engine-started\nexec sleep 60\n",
            t.path().display()
        ),
    )
    .unwrap();
    crate::fleet::make_executable(&engine);
    std::fs::write(
        t.join("work/hosts.toml"),
        format!(
            "[[hosts]]\nname = \"busy\"\nhost = \"127.0.0.1\"\nport = {port}\nuser = \"{user}\"\n\
             via = \"{via}\"\nsysroot = \"{root}\"\nvars = {{ engine = \"{engine}\" }}\n",
            user = login_name(),
            root = t.join("hosts/busy/root").display(),
            engine = engine.display(),
        ),
    )
    .unwrap();
    let out = t.run_with([
        "fleet",
        "--hosts",
        "hosts.toml",
        "--spec",
        "[TMP]/spec.toml",
        "--out",
        "[TMP]/out",
    ]);
    out.status(130).stderr_has("busy: interrupted");
    out.finished_within(Duration::from_secs(40));
    let fleet = fleet_json(&t);
    assert_eq!(row(&fleet, "busy")["status"], "interrupted", "{fleet:#}");
    assert_eq!(row(&fleet, "busy")["cleaned_up"], true, "{fleet:#}");
    // The host's `collect` was stopped, not left running in a removed dir.
    let marker = format!("{}/remote-tmp/", t.path().display());
    let stragglers: Vec<String> = std::fs::read_dir("/proc")
        .unwrap()
        .filter_map(Result::ok)
        .filter_map(|e| std::fs::read(e.path().join("cmdline")).ok())
        .map(|c| String::from_utf8_lossy(&c).replace('\0', " "))
        .filter(|c| c.contains(&marker))
        .collect();
    assert!(
        stragglers.is_empty(),
        "still running on the host: {stragglers:?}"
    );
    assert!(
        leftovers(&remote_tmp).is_empty(),
        "temp dirs left on the host: {:?}",
        leftovers(&remote_tmp)
    );
}
