//! Private reports: `collect --security` with `[project] security_recipient` writes the bundle
//! encrypted with age; `decrypt` and every reading command's `--identity` open it; the
//! Debian `age` tools read what we write and we read what they write.

use std::path::{Path, PathBuf};
use std::process::Command;

use age::secrecy::ExposeSecret as _;

use crate::harness::{Output, Test};

/// A spec that collects one file, with a security contact and `recipients` as its
/// `security_recipient` list.
fn spec(recipients: &[String]) -> String {
    let list: Vec<String> = recipients.iter().map(|r| format!("\"{r}\"")).collect();
    format!(
        "schema = 1\n[project]\nname = \"mini\"\nrepository = \"https://github.com/o/mini\"\n\
         security = \"Email sec@mini.example privately.\"\nsecurity_recipient = [{}]\n\
         [[collect]]\nid = \"note\"\nkind = \"file\"\npath = \"note.txt\"\nrequired = true\n",
        list.join(", ")
    )
}

/// A fresh key, written as `age-keygen` writes one, at `<tmp>/<name>`; its public key.
fn key_file(t: &Test, name: &str) -> (PathBuf, String) {
    let key = age::x25519::Identity::generate();
    let public = key.to_public().to_string();
    let path = t.join(name);
    std::fs::write(
        &path,
        format!(
            "# created: 2026-01-01T00:00:00Z\n# public key: {public}\n{}\n",
            key.to_string().expose_secret()
        ),
    )
    .unwrap();
    (path, public)
}

/// `collect --security` of [`spec`] into `<tmp>/<out>`.
fn collect_sealed(t: &Test, recipients: &[String], out: &str) -> Output {
    std::fs::write(t.join("work/mini.toml"), spec(recipients)).unwrap();
    t.run_with([
        "collect",
        "--spec",
        "mini.toml",
        "--out",
        &format!("[TMP]/{out}"),
        "--security",
    ])
}

/// The one file in `dir` whose name ends with `suffix`.
fn only(dir: &Path, suffix: &str) -> PathBuf {
    let found: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.to_string_lossy().ends_with(suffix))
        .collect();
    assert_eq!(found.len(), 1, "{found:?}");
    found.into_iter().next().unwrap()
}

fn names(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// An error exit: status 2, one `error:` line, no panic.
#[track_caller]
fn refused(out: &Output, needle: &str) {
    out.status(2).stderr_has(needle);
    expect!(out, !out.stderr.contains("panicked"), "panicked");
}

#[test]
fn security_report_is_written_encrypted_and_nothing_else_in_plain() {
    let t = Test::new().file("work/note.txt", "hello from the box\n");
    let (maint_a, public_a) = key_file(&t, "a.key");
    let (maint_b, public_b) = key_file(&t, "b.key");
    let out = collect_sealed(&t, &[public_a, public_b], "private");
    out.success();
    let dir = t.join("private");
    let sealed = only(&dir, ".zip.age");
    let name = sealed.file_name().unwrap().to_string_lossy().into_owned();
    expect!(
        out,
        name.starts_with("mini-bundle-") && name.len() == "mini-bundle-".len() + 12 + 8,
        "{name}"
    );
    // The sealed bundle, the issue file and its bookkeeping; no zip, no temp file.
    let mut expected = [".support-bundle-state.json", "mini-issue.md", name.as_str()];
    expected.sort_unstable();
    assert_eq!(names(&dir), expected);
    use std::os::unix::fs::PermissionsExt as _;
    let mode = std::fs::metadata(&sealed).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
    let bytes = std::fs::read(&sealed).unwrap();
    assert!(bytes.starts_with(b"age-encryption.org/v1\n"));
    assert!(!crate::harness::contains(&bytes, b"hello from the box"));
    assert!(!crate::harness::contains(&bytes, b"manifest.json"));

    // Where to send it, that only the maintainers can read it, and no public link.
    out.stdout_has("only they can read it")
        .stdout_has("maintainers' 2 keys")
        .stdout_has("SECURITY REPORT: do not file a public issue. Email sec@mini.example");
    expect!(out, !out.stdout.contains("https://"), "a public link");
    let issue = std::fs::read_to_string(dir.join("mini-issue.md")).unwrap();
    assert!(issue.contains(&format!("`{name}`")), "{issue}");
    assert!(issue.contains("only they can read it"), "{issue}");
    assert!(issue.contains("sec@mini.example"), "the contact: {issue}");
    // The body stays inside the sealed bundle, not beside it in plain text.
    assert!(!issue.contains("## "), "no body sections: {issue}");

    // Each maintainer's key opens it, in every reading command.
    for key in [&maint_a, &maint_b] {
        t.run_with(["verify", s(&sealed), "--identity", s(key)])
            .success();
    }
    let key = s(&maint_a);
    t.run_with(["inspect", s(&sealed), "--identity", key])
        .success()
        .stdout_has("note");
    t.run_with(["check", s(&sealed), "--identity", key])
        .success();
    t.run_with(["diff", s(&sealed), s(&sealed), "--identity", key])
        .success();
    let issue = t.run_with(["issue", s(&sealed), "--identity", key]);
    issue.success().stdout_has("Security report");
    let into = t.join("extracted");
    t.run_with(["extract", s(&sealed), "--identity", key, "--to", s(&into)])
        .success();
    assert_eq!(
        std::fs::read_to_string(into.join("manifest.json"))
            .map(|m| m.contains("\"private\": true"))
            .ok(),
        Some(true)
    );

    // `decrypt` writes the zip beside it, once; the zip is a bundle `verify` accepts.
    let out = t.run_with(["decrypt", s(&sealed), "--identity", key]);
    out.success();
    let zip = dir.join(name.trim_end_matches(".age"));
    t.run_with(["verify", s(&zip)]).success();
    let mode = std::fs::metadata(&zip).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
    let before = std::fs::read(&zip).unwrap();
    let again = t.run_with(["decrypt", s(&sealed), "--identity", key]);
    refused(&again, "already exists");
    assert_eq!(std::fs::read(&zip).unwrap(), before);
}

#[test]
fn an_encrypted_bundle_without_identity_says_to_pass_one() {
    let t = Test::new().file("work/note.txt", "hi\n");
    let (_, public) = key_file(&t, "m.key");
    collect_sealed(&t, &[public], "out").success();
    let sealed = only(&t.join("out"), ".zip.age");
    for cmd in ["verify", "inspect", "check", "extract", "issue"] {
        let mut args = vec![cmd, s(&sealed)];
        if cmd == "extract" {
            args.extend(["--to", "x"]);
        }
        refused(&t.run_with(&args), "pass --identity KEYFILE");
    }
    refused(
        &t.run_with(["diff", s(&sealed), s(&sealed)]),
        "pass --identity KEYFILE",
    );
}

#[test]
fn wrong_key_damage_truncation_and_missing_key_are_clear_errors() {
    let t = Test::new().file("work/note.txt", "hi\n");
    let (right, public) = key_file(&t, "right.key");
    let (wrong, _) = key_file(&t, "wrong.key");
    collect_sealed(&t, &[public], "out").success();
    let sealed = only(&t.join("out"), ".zip.age");
    let bytes = std::fs::read(&sealed).unwrap();
    let decrypt = |file: &Path, key: &Path| {
        t.run_with([
            "decrypt",
            s(file),
            "--identity",
            s(key),
            "--out",
            "[TMP]/plain.zip",
        ])
    };

    refused(
        &decrypt(&sealed, &wrong),
        "was not encrypted to any identity",
    );
    refused(
        &t.run_with(["inspect", s(&sealed), "--identity", s(&wrong)]),
        "was not encrypted to any identity",
    );
    refused(
        &decrypt(&sealed, &t.join("nowhere.key")),
        "cannot read identity file",
    );
    // A public key where the secret one belongs: named by line, never echoed.
    let public_only = t.join("public.key");
    std::fs::write(&public_only, "age1qqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqq\n").unwrap();
    let out = decrypt(&sealed, &public_only);
    refused(&out, "line 1 is not an AGE-SECRET-KEY-1");

    let damaged = t.join("damaged.zip.age");
    let mut flipped = bytes.clone();
    let at = flipped.len() - 5;
    flipped[at] ^= 0x40;
    std::fs::write(&damaged, &flipped).unwrap();
    refused(&decrypt(&damaged, &right), "is damaged or truncated");
    refused(
        &t.run_with(["verify", s(&damaged), "--identity", s(&right)]),
        "is damaged or truncated",
    );

    let truncated = t.join("truncated.zip.age");
    std::fs::write(&truncated, &bytes[..bytes.len() - 17]).unwrap();
    refused(&decrypt(&truncated, &right), "is damaged or truncated");
    std::fs::write(&truncated, &bytes[..40]).unwrap();
    refused(&decrypt(&truncated, &right), "is not an age-encrypted file");

    // No failed run left a plaintext behind.
    assert!(!t.join("plain.zip").exists());
    assert!(
        names(t.path())
            .iter()
            .all(|n| !n.starts_with(".support-bundle-")),
        "{:?}",
        names(t.path())
    );
}

#[test]
fn a_bad_security_recipient_is_a_spec_error_with_its_line() {
    let t = Test::new().file("work/note.txt", "hi\n");
    let out = collect_sealed(&t, &["age1notakey".to_string()], "out");
    refused(&out, "mini.toml:6:");
    out.stderr_has("`age1notakey` is not an age public key");
    assert!(!t.join("out").exists());
}

#[test]
fn without_security_the_recipient_changes_nothing() {
    let t = Test::new().file("work/note.txt", "hi\n");
    let (_, public) = key_file(&t, "m.key");
    std::fs::write(t.join("work/mini.toml"), spec(&[public])).unwrap();
    t.run_with(["collect", "--spec", "mini.toml", "--out", "[TMP]/out"])
        .success();
    let zip = only(&t.join("out"), ".zip");
    t.run_with(["verify", s(&zip)]).success();
    assert!(names(&t.join("out")).iter().all(|n| !n.ends_with(".age")));
}

/// `age` and `age-keygen` from the system, or `None` (a skip) outside CI.
fn age_tools() -> Option<(PathBuf, PathBuf)> {
    let find = |name: &str| {
        ["/usr/bin", "/bin", "/usr/local/bin"]
            .iter()
            .map(|d| Path::new(d).join(name))
            .find(|p| p.is_file())
    };
    match (find("age"), find("age-keygen")) {
        (Some(age), Some(keygen)) => Some((age, keygen)),
        _ => {
            assert!(
                std::env::var_os("CI").is_none(),
                "age is missing, and CI is expected to install it"
            );
            eprintln!("skipping: the age tools are not installed");
            None
        }
    }
}

fn run_tool(program: &Path, args: &[&str]) -> std::process::Output {
    let out = Command::new(program)
        .args(args)
        .env_clear()
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{} {args:?}: {}\n{}",
        program.display(),
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

#[test]
fn the_age_tool_decrypts_what_collect_encrypts() {
    let Some((age, keygen)) = age_tools() else {
        return;
    };
    let t = Test::new().file("work/note.txt", "hello age\n");
    let key = t.join("maint.key");
    run_tool(&keygen, &["-o", s(&key)]);
    let public = String::from_utf8(run_tool(&keygen, &["-y", s(&key)]).stdout).unwrap();
    collect_sealed(&t, &[public.trim().to_string()], "out").success();
    let sealed = only(&t.join("out"), ".zip.age");
    let plain = t.join("from-age.zip");
    run_tool(&age, &["-d", "-i", s(&key), "-o", s(&plain), s(&sealed)]);
    t.run_with(["verify", s(&plain)]).success();
    t.run_with(["inspect", s(&plain)])
        .success()
        .stdout_has("note");
    // Our own reader agrees with age on the same key file.
    t.run_with(["verify", s(&sealed), "--identity", s(&key)])
        .success();
}

#[test]
fn we_open_what_the_age_tool_encrypts() {
    let Some((age, _)) = age_tools() else {
        return;
    };
    let t = Test::new().file("work/note.txt", "hello age\n");
    std::fs::write(t.join("work/mini.toml"), spec(&[])).unwrap();
    // A spec without keys: an empty list is refused, so drop the line.
    let text = spec(&[]).replace("security_recipient = []\n", "");
    std::fs::write(t.join("work/mini.toml"), text).unwrap();
    t.run_with(["collect", "--spec", "mini.toml", "--out", "[TMP]/out"])
        .success();
    let zip = only(&t.join("out"), ".zip");
    let (key, public) = key_file(&t, "maint.key");
    let sealed = t.join("by-age.zip.age");
    run_tool(&age, &["-r", &public, "-o", s(&sealed), s(&zip)]);

    t.run_with(["inspect", s(&sealed), "--identity", s(&key)])
        .success()
        .stdout_has("note");
    t.run_with(["decrypt", s(&sealed), "--identity", s(&key)])
        .success();
    assert_eq!(
        std::fs::read(t.join("by-age.zip")).unwrap(),
        std::fs::read(&zip).unwrap()
    );
}
