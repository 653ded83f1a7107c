//! An unprivileged user (`nobody`, through `setpriv`): what it cannot read is `denied` with a
//! hint, and a home it cannot write is explained, never a panic.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::{Command, Output, Stdio};

use crate::harness::{Bundle, EPOCH, Test};

const NOBODY: u32 = 65534;

const SPEC: &str = r#"schema = 1

[project]
name = "priv"

[[collect]]
id = "config"
kind = "file"
path = "/etc/app/app.conf"
required = true

[[collect]]
id = "journal"
kind = "file"
path = "/var/log/journal/system.journal"
required = true

[[collect]]
id = "host"
kind = "command"
argv = ["hostname"]
"#;

/// A machine whose config and journal only root may read, a spec collecting them, and an
/// output directory `nobody` owns.
fn machine() -> Test {
    let t = Test::new()
        .spec(SPEC)
        .system_path()
        .file("root/etc/app/app.conf", "token = hunter2-secret\n")
        .binary_file(
            "root/var/log/journal/system.journal",
            b"LPKSHHRH\0\0journal",
        );
    for private in [
        "root/etc/app/app.conf",
        "root/var/log/journal/system.journal",
    ] {
        chmod(&t.join(private), 0o600);
    }
    // The tempdir starts 0700: `nobody` must reach the spec, the sysroot and its cwd.
    chmod(t.path(), 0o755);
    for dir in ["out", "work"] {
        std::fs::create_dir_all(t.join(dir)).unwrap();
        std::os::unix::fs::chown(t.join(dir), Some(NOBODY), Some(NOBODY)).unwrap();
    }
    t
}

fn chmod(path: &Path, mode: u32) {
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
}

/// `collect` as `nobody` with `HOME=home` and the key at its default place under it, or
/// `None` (with a message) where `setpriv` cannot switch users.
fn collect_as_nobody(t: &Test, home: &Path) -> Option<Output> {
    let out = Command::new("setpriv")
        .args([
            &format!("--reuid={NOBODY}"),
            &format!("--regid={NOBODY}"),
            "--clear-groups",
            "--",
        ])
        .arg(env!("CARGO_BIN_EXE_support-bundle"))
        .args(["collect", "--spec"])
        .arg(t.join("spec.toml"))
        .arg("--sysroot")
        .arg(t.join("root"))
        .arg("--out")
        .arg(t.join("out"))
        .env_clear()
        .env("PATH", t.path_env())
        .env("HOME", home)
        .env("SOURCE_DATE_EPOCH", EPOCH)
        .env("NO_COLOR", "1")
        .current_dir(t.join("work"))
        .stdin(Stdio::null())
        .output();
    match out {
        Ok(out) if out.status.code() != Some(127) && !setpriv_refused(&out) => Some(out),
        other => {
            let why = match other {
                Ok(o) => String::from_utf8_lossy(&o.stderr).into_owned(),
                Err(e) => e.to_string(),
            };
            if std::env::var_os("CI").is_some() {
                panic!("cannot run as nobody through setpriv in CI: {why}");
            }
            eprintln!("skipped: cannot run as nobody (needs root and setpriv): {why}");
            None
        }
    }
}

fn setpriv_refused(out: &Output) -> bool {
    String::from_utf8_lossy(&out.stderr).starts_with("setpriv:")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn bundle(t: &Test) -> Bundle {
    let zip = std::fs::read_dir(t.join("out"))
        .unwrap()
        .filter_map(Result::ok)
        .map(|e| e.path())
        .find(|p| p.extension().is_some_and(|x| x == "zip"))
        .expect("a bundle");
    Bundle::open(&zip).expect("open bundle")
}

#[test]
fn unreadable_config_and_journal_are_denied_with_a_hint() {
    let t = machine();
    let home = t.join("nobody-home");
    std::fs::create_dir_all(&home).unwrap();
    std::os::unix::fs::chown(&home, Some(NOBODY), Some(NOBODY)).unwrap();
    let Some(out) = collect_as_nobody(&t, &home) else {
        return;
    };
    let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
    assert!(
        out.status.success(),
        "exit {:?}\n{stdout}\n{stderr}",
        out.status
    );
    assert!(!stderr.contains("panicked"), "{stderr}");
    let b = bundle(&t);
    for id in ["config", "journal"] {
        assert_eq!(b.status(id), "denied", "{}", b.manifest_text());
    }
    let issue = b.text("issue.md");
    assert!(issue.contains("as a user who can read it"), "{issue}");
    assert!(!b.manifest_text().contains("hunter2"));
    // The key was made where nobody may write: its own home.
    assert!(home.join(".config/support-bundle/pseudonym.key").exists());
}

#[test]
fn an_unwritable_home_for_the_pseudonym_key_is_explained_not_a_panic() {
    let t = machine();
    // Root's 0755 directory: `nobody` can read it but cannot create the key there.
    let home = t.join("root-owned-home");
    std::fs::create_dir_all(&home).unwrap();
    chmod(&home, 0o755);
    let Some(out) = collect_as_nobody(&t, &home) else {
        return;
    };
    let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(
        out.status.success(),
        "exit {:?}\n{stdout}\n{stderr}",
        out.status
    );
    assert!(
        stderr.contains("pseudonym key")
            && stderr.contains(&home.display().to_string())
            && stderr.contains("will not match other runs"),
        "{stderr}"
    );
    assert_eq!(bundle(&t).status("host"), "ok");
}
