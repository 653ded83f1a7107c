//! The file collector against real files under a tempdir sysroot.

use super::*;
use crate::collect::DEFAULT_MAX_BYTES;
use crate::collect::deny::DenyList;
use crate::collect::testing::SysrootTree;
use std::os::unix::fs::PermissionsExt;
use std::time::Duration;

fn req(path: &str) -> FileRequest<'_> {
    FileRequest {
        id: "item",
        path,
        base: None,
        binary: false,
        max_bytes: DEFAULT_MAX_BYTES,
        tail_lines: None,
        strip_ansi: false,
        format: Format::Text,
    }
}

fn one(req: &FileRequest<'_>, ctx: &Context) -> RawItem {
    let mut items = collect(req, ctx);
    assert_eq!(items.len(), 1, "{items:?}");
    items.remove(0)
}

fn text(item: &RawItem) -> String {
    String::from_utf8(item.entry.as_ref().expect("content").data.clone()).unwrap()
}

#[test]
fn reads_a_file_under_sysroot_with_display_source() {
    let fx = SysrootTree::new();
    fx.write(
        "etc/kestrel/config.toml",
        b"[general]\nlog_level = \"info\"\n",
    );
    let mut r = req("/etc/kestrel/config.toml");
    r.format = Format::Toml;
    let item = one(&r, &fx.ctx);
    assert_eq!(item.status, Status::Ok, "{item:?}");
    assert_eq!(item.detail, None);
    assert_eq!(item.kind, "file");
    assert_eq!(item.format, Format::Toml);
    assert_eq!(item.source, "/etc/kestrel/config.toml");
    let entry = item.entry.as_ref().unwrap();
    assert_eq!(entry.source, "/etc/kestrel/config.toml");
    assert_eq!(entry.name, "config.toml");
    assert!(!entry.binary);
    assert_eq!(text(&item), "[general]\nlog_level = \"info\"\n");
}

#[test]
fn relative_and_home_paths() {
    let fx = SysrootTree::new();
    fs::write(fx.tmp.path().join("cwd/kestrel_events.log"), b"{}\n").unwrap();
    let item = one(&req("kestrel_events.log"), &fx.ctx);
    assert_eq!(item.status, Status::Ok);
    // `~/` goes under the sysroot too.
    let home = fx.tmp.path().join("home");
    let under = fx.sys(
        home.strip_prefix("/")
            .unwrap()
            .join(".config/k.toml")
            .to_str()
            .unwrap(),
    );
    fs::create_dir_all(under.parent().unwrap()).unwrap();
    fs::write(&under, b"k = 1\n").unwrap();
    let item = one(&req("~/.config/k.toml"), &fx.ctx);
    assert_eq!(item.status, Status::Ok, "{item:?}");
    assert_eq!(text(&item), "k = 1\n");
}

#[test]
fn missing_file_and_resolve_errors() {
    let fx = SysrootTree::new();
    let item = one(&req("/etc/nothing.toml"), &fx.ctx);
    assert_eq!(item.status, Status::Missing);
    assert_eq!(item.detail.as_deref(), Some("no such file"));
    assert_eq!(item.source, "/etc/nothing.toml");
    assert!(item.entry.is_none());
    let item = one(&req("/../../etc/passwd"), &fx.ctx);
    assert_eq!(item.status, Status::Skipped);
    assert_eq!(item.detail.as_deref(), Some("path escapes sysroot"));
}

#[test]
fn deny_beats_an_existing_file_and_nothing_is_opened() {
    let fx = SysrootTree::new();
    fx.write("keys/signer.priv", b"secret-key-material\n");
    fx.write("keys/notes.txt", b"fine\n");
    // A fifo named like a key: were it checked or opened before the deny list, it would come
    // back as "not a regular file" (or hang).
    let status = std::process::Command::new("mkfifo")
        .arg(fx.sys("keys/id_rsa"))
        .status()
        .unwrap();
    assert!(status.success());
    let items = collect(&req("/keys/*"), &fx.ctx);
    let got: Vec<_> = items
        .iter()
        .map(|i| {
            (
                i.source.as_str(),
                i.status,
                i.detail.as_deref(),
                i.entry.is_some(),
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            (
                "/keys/id_rsa",
                Status::Skipped,
                Some("denied by never-collect pattern `id_rsa*`"),
                false
            ),
            ("/keys/notes.txt", Status::Ok, None, true),
            (
                "/keys/signer.priv",
                Status::Skipped,
                Some("denied by never-collect pattern `*.priv`"),
                false
            ),
        ]
    );
    assert!(items.iter().all(|i| i.id == "item"));
}

#[test]
fn spec_deny_globs_apply_to_the_display_path() {
    let mut fx = SysrootTree::new();
    fx.ctx.deny = DenyList::new(&["/etc/gojinn/*.pub".to_string()]).unwrap();
    fx.write("etc/gojinn/signer.pub", b"abcd\n");
    let item = one(&req("/etc/gojinn/signer.pub"), &fx.ctx);
    assert_eq!(item.status, Status::Skipped);
    assert_eq!(
        item.detail.as_deref(),
        Some("denied by never-collect pattern `/etc/gojinn/*.pub`")
    );
}

#[test]
fn symlink_to_denied_file_is_skipped() {
    let fx = SysrootTree::new();
    let key = fx.write("etc/gojinn/signer.priv", b"k\n");
    std::os::unix::fs::symlink(&key, fx.sys("etc/gojinn/innocent.txt")).unwrap();
    let item = one(&req("/etc/gojinn/innocent.txt"), &fx.ctx);
    assert_eq!(item.status, Status::Skipped);
    assert_eq!(
        item.detail.as_deref(),
        Some("symlink target denied by never-collect pattern `*.priv`")
    );
    assert!(item.entry.is_none());
}

#[test]
fn symlinks_are_followed_inside_sysroot_but_not_out_of_it() {
    let fx = SysrootTree::new();
    fx.write("etc/real.toml", b"a = 1\n");
    std::os::unix::fs::symlink("real.toml", fx.sys("etc/link.toml")).unwrap();
    let item = one(&req("/etc/link.toml"), &fx.ctx);
    assert_eq!(item.status, Status::Ok);
    assert_eq!(item.source, "/etc/link.toml");
    assert_eq!(text(&item), "a = 1\n");

    let outside = fx.tmp.path().join("cwd/outside.txt");
    fs::write(&outside, b"host file\n").unwrap();
    std::os::unix::fs::symlink(&outside, fx.sys("etc/escape.txt")).unwrap();
    let item = one(&req("/etc/escape.txt"), &fx.ctx);
    assert_eq!(item.status, Status::Skipped);
    assert_eq!(
        item.detail.as_deref(),
        Some("symlink target escapes sysroot")
    );

    std::os::unix::fs::symlink("gone.txt", fx.sys("etc/dangling.txt")).unwrap();
    let item = one(&req("/etc/dangling.txt"), &fx.ctx);
    assert_eq!(item.status, Status::Missing);
}

#[test]
fn glob_output_is_sorted_with_disambiguated_names() {
    let fx = SysrootTree::new();
    fx.write("var/log/k/b/app.log", b"b\n");
    fx.write("var/log/k/a/app.log", b"a\n");
    fx.write("var/log/k/c/other.log", b"c\n");
    fx.write("var/log/k/c/skip.txt", b"x\n");
    let run = || {
        collect(&req("/var/log/k/**/*.log"), &fx.ctx)
            .into_iter()
            .map(|i| {
                let e = i.entry.unwrap();
                (i.source, e.name, String::from_utf8(e.data).unwrap())
            })
            .collect::<Vec<_>>()
    };
    let got = run();
    assert_eq!(
        got,
        [
            (
                "/var/log/k/a/app.log".to_string(),
                "a_app.log".to_string(),
                "a\n".to_string()
            ),
            (
                "/var/log/k/b/app.log".to_string(),
                "b_app.log".to_string(),
                "b\n".to_string()
            ),
            (
                "/var/log/k/c/other.log".to_string(),
                "other.log".to_string(),
                "c\n".to_string()
            ),
        ]
    );
    assert_eq!(run(), got);
}

#[test]
fn glob_without_match_is_missing() {
    let fx = SysrootTree::new();
    let item = one(&req("/var/log/none/*.log"), &fx.ctx);
    assert_eq!(item.status, Status::Missing);
    assert_eq!(
        item.detail.as_deref(),
        Some("no file matches `/var/log/none/*.log`")
    );
    let item = one(&req("/var/log/[bad"), &fx.ctx);
    assert_eq!(item.status, Status::Failed);
}

#[test]
fn binary_is_skipped_unless_asked_for() {
    let fx = SysrootTree::new();
    fx.write("bin/blob", b"text then\0nul\n");
    let item = one(&req("/bin/blob"), &fx.ctx);
    assert_eq!(item.status, Status::Skipped);
    assert_eq!(
        item.detail.as_deref(),
        Some("binary content; set binary = true to store it")
    );
    assert!(item.entry.is_none());
    // A NUL past the sniffed prefix does not make a file binary.
    let mut late = vec![b'a'; SNIFF_BYTES as usize];
    late.push(0);
    fx.write("bin/late", &late);
    assert_eq!(one(&req("/bin/late"), &fx.ctx).status, Status::Ok);
}

#[test]
fn wasm_with_binary_true_is_stored_byte_exact() {
    let fx = SysrootTree::new();
    let mut wasm = b"\0asm\x01\0\0\0".to_vec();
    wasm.extend_from_slice(b"\x1b[31m\r\n\xff\xfe");
    wasm.extend((0..=255u8).cycle().take(5000));
    fx.write("etc/caddy/fn.wasm", &wasm);
    let mut r = req("/etc/caddy/fn.wasm");
    r.binary = true;
    r.strip_ansi = true;
    r.tail_lines = Some(1);
    let item = one(&r, &fx.ctx);
    assert_eq!(item.status, Status::Ok);
    let entry = item.entry.unwrap();
    assert!(entry.binary);
    assert_eq!(entry.data, wasm);
    assert_eq!(entry.name, "fn.wasm");
}

#[test]
fn binary_over_cap_is_skipped_not_cut() {
    let fx = SysrootTree::new();
    let wasm = [b"\0asm".as_slice(), &[7u8; 100]].concat();
    fx.write("m.wasm", &wasm);
    let mut r = req("/m.wasm");
    r.binary = true;
    r.max_bytes = 50;
    let item = one(&r, &fx.ctx);
    assert_eq!(item.status, Status::Skipped);
    assert_eq!(
        item.detail.as_deref(),
        Some(format!("binary file is {} bytes, over the cap of 50", wasm.len()).as_str())
    );
    assert!(item.entry.is_none());
}

#[test]
fn tail_lines_without_final_newline_and_with_crlf() {
    let fx = SysrootTree::new();
    let body = "first\nsecond\nthird\nfourth";
    fx.write("a.log", body.as_bytes());
    let mut r = req("/a.log");
    r.tail_lines = Some(2);
    let item = one(&r, &fx.ctx);
    assert_eq!(item.status, Status::Truncated);
    let omitted = body.find("third").unwrap();
    assert_eq!(
        text(&item),
        format!("[... support-bundle: first {omitted} bytes omitted ...]\nthird\nfourth")
    );
    assert_eq!(
        item.detail.as_deref(),
        Some(format!("kept the last 2 lines; first {omitted} bytes omitted").as_str())
    );

    let crlf = "one\r\ntwo\r\nthree\r\n";
    fx.write("b.log", crlf.as_bytes());
    let mut r = req("/b.log");
    r.tail_lines = Some(1);
    let item = one(&r, &fx.ctx);
    let omitted = crlf.find("three").unwrap();
    assert_eq!(
        text(&item),
        format!("[... support-bundle: first {omitted} bytes omitted ...]\nthree\r\n")
    );

    // Asking for more lines than there are keeps the file whole.
    r.tail_lines = Some(10);
    let item = one(&r, &fx.ctx);
    assert_eq!(item.status, Status::Ok);
    assert_eq!(text(&item), crlf);
}

#[test]
fn tail_lines_stay_within_max_bytes() {
    let fx = SysrootTree::new();
    let body: String = (0..100).map(|i| format!("line {i:03}\n")).collect();
    fx.write("c.log", body.as_bytes());
    let mut r = req("/c.log");
    r.tail_lines = Some(50);
    r.max_bytes = 45; // room for 5 lines of 9 bytes
    let item = one(&r, &fx.ctx);
    assert_eq!(item.status, Status::Truncated);
    let got = text(&item);
    let kept = &body[body.len() - 45..];
    assert_eq!(
        got,
        format!(
            "[... support-bundle: first {} bytes omitted ...]\n{kept}",
            body.len() - 45
        )
    );
    assert!(item.detail.unwrap().contains("over the cap of 45"));
}

#[test]
fn over_cap_keeps_head_and_tail_with_marker() {
    let fx = SysrootTree::new();
    let body: String = (0..1000).map(|i| format!("entry number {i}\n")).collect();
    fx.write("big.log", body.as_bytes());
    let mut r = req("/big.log");
    r.max_bytes = 1000;
    let item = one(&r, &fx.ctx);
    assert_eq!(item.status, Status::Truncated);
    let got = text(&item);
    let (head, rest) = got.split_once("[... support-bundle: ").unwrap();
    let (omitted, tail) = rest.split_once(" bytes omitted ...]\n").unwrap();
    let omitted: usize = omitted.parse().unwrap();
    assert!(body.starts_with(head) && head.ends_with('\n') && head.starts_with("entry number 0\n"));
    assert!(body.ends_with(tail) && tail.starts_with("entry number") && tail.ends_with("999\n"));
    assert!(head.len() <= 500 && tail.len() <= 500);
    assert_eq!(head.len() + omitted + tail.len(), body.len());
    let detail = item.detail.unwrap();
    assert!(detail.starts_with(&format!(
        "file is {} bytes, over the cap of 1000",
        body.len()
    )));
}

#[test]
fn strip_ansi_on_request_only() {
    let fx = SysrootTree::new();
    let colored = b"\x1b[2m2026-05-01T10:00:00Z\x1b[0m \x1b[32m INFO\x1b[0m engine started\n";
    fx.write("var/log/kestrel.log", colored);
    let mut r = req("/var/log/kestrel.log");
    assert_eq!(text(&one(&r, &fx.ctx)).as_bytes(), colored);
    r.strip_ansi = true;
    assert_eq!(
        text(&one(&r, &fx.ctx)),
        "2026-05-01T10:00:00Z  INFO engine started\n"
    );
}

#[test]
fn directories_are_skipped() {
    let fx = SysrootTree::new();
    fs::create_dir_all(fx.sys("etc/kestrel")).unwrap();
    let item = one(&req("/etc/kestrel"), &fx.ctx);
    assert_eq!(item.status, Status::Skipped);
    assert_eq!(
        item.detail.as_deref(),
        Some("not a regular file (directory)")
    );
}

#[test]
fn fifo_is_never_opened() {
    let fx = SysrootTree::new();
    fs::create_dir_all(fx.sys("run")).unwrap();
    let status = std::process::Command::new("mkfifo")
        .arg(fx.sys("run/pipe"))
        .status()
        .unwrap();
    assert!(status.success());
    let ctx = fx.ctx.clone();
    let (tx, rx) = std::sync::mpsc::channel();
    // In a thread, so a regression that opens the fifo fails the test instead of hanging it.
    std::thread::spawn(move || {
        let _ = tx.send(collect(&req("/run/pipe"), &ctx));
    });
    let items = rx
        .recv_timeout(Duration::from_secs(20))
        .expect("collect hung on a fifo");
    assert_eq!(items.len(), 1);
    assert_eq!(items[0].status, Status::Skipped);
    assert_eq!(
        items[0].detail.as_deref(),
        Some("not a regular file (fifo)")
    );
}

#[test]
fn io_errors_are_classified() {
    let denied = io::Error::from(io::ErrorKind::PermissionDenied);
    assert_eq!(
        classify_io_error(&denied),
        (Status::Denied, "permission denied".to_string())
    );
    let missing = io::Error::from(io::ErrorKind::NotFound);
    assert_eq!(
        classify_io_error(&missing),
        (Status::Missing, "no such file".to_string())
    );
    let other = io::Error::from_raw_os_error(libc::EIO);
    let (status, detail) = classify_io_error(&other);
    assert_eq!(status, Status::Failed);
    assert_eq!(detail, other.to_string());
}

const PROBE_ENV: &str = "SUPPORT_BUNDLE_TEST_UNREADABLE_FILE";

/// Runs only when [`permission_denied_is_denied`] re-executes this test binary as another
/// user; on its own it checks nothing.
#[test]
fn permission_denied_probe() {
    let Some(path) = std::env::var_os(PROBE_ENV) else {
        return;
    };
    let path = path.into_string().unwrap();
    let fx = SysrootTree::new();
    let mut ctx = fx.ctx.clone();
    ctx.sysroot = None;
    let item = one(&req(&path), &ctx);
    assert_eq!(item.status, Status::Denied, "{item:?}");
    assert_eq!(item.detail.as_deref(), Some("permission denied"));
    println!("probe: denied as expected");
}

#[test]
fn permission_denied_is_denied() {
    let tmp = tempfile::tempdir().unwrap();
    fs::set_permissions(tmp.path(), fs::Permissions::from_mode(0o755)).unwrap();
    let path = tmp.path().join("secret.conf");
    fs::write(&path, b"x = 1\n").unwrap();
    fs::set_permissions(&path, fs::Permissions::from_mode(0o000)).unwrap();
    if !nix::unistd::geteuid().is_root() {
        let fx = SysrootTree::new();
        let mut ctx = fx.ctx.clone();
        ctx.sysroot = None;
        let item = one(&req(path.to_str().unwrap()), &ctx);
        assert_eq!(item.status, Status::Denied);
        return;
    }
    // Root reads everything, so ask the same question as an unprivileged user.
    let exe = std::env::current_exe().unwrap();
    let output = std::process::Command::new("setpriv")
        .args(["--reuid=65534", "--regid=65534", "--clear-groups"])
        .arg(&exe)
        .args([
            "--exact",
            "collect::file::tests::permission_denied_probe",
            "--nocapture",
        ])
        .env(PROBE_ENV, &path)
        .output();
    let output = match output {
        Ok(output) => output,
        Err(e) => {
            eprintln!("skipping permission_denied_is_denied: cannot run setpriv: {e}");
            return;
        }
    };
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    if stderr.contains("Permission denied") && !stdout.contains("running 1 test") {
        eprintln!("skipping permission_denied_is_denied: test binary not executable as nobody");
        return;
    }
    assert!(output.status.success(), "probe failed:\n{stdout}\n{stderr}");
    assert!(
        stdout.contains("probe: denied as expected"),
        "{stdout}\n{stderr}"
    );
}

/// Pretty-printed JSON records appended one after another, as Kestrel writes alerts.
fn pretty_alerts(n: usize) -> String {
    (0..n)
        .map(|i| {
            format!(
                "{{\n  \"id\": \"a-{i:04}\",\n  \"severity\": \"High\",\n  \"events\": [\n    {{\n      \"pid\": {i}\n    }}\n  ],\n  \"rule_id\": \"rule-001\"\n}}\n"
            )
        })
        .collect()
}

#[test]
fn json_tails_start_at_a_whole_record() {
    let fx = SysrootTree::new();
    let body = pretty_alerts(20);
    fx.write("alerts.json", body.as_bytes());
    let mut r = req("/alerts.json");
    r.format = Format::Json;
    // 10 lines per record: 25 lines start mid-object, in the middle of record 17.
    r.tail_lines = Some(25);
    let item = one(&r, &fx.ctx);
    assert_eq!(item.status, Status::Truncated);
    let got = text(&item);
    let start = body.find("{\n  \"id\": \"a-0018\"").unwrap();
    assert_eq!(
        got,
        format!(
            "[... support-bundle: first {start} bytes omitted ...]\n{}",
            &body[start..]
        )
    );
    assert_eq!(
        item.detail.as_deref(),
        Some(
            format!("kept the last 20 lines, whole JSON records only; first {start} bytes omitted")
                .as_str()
        )
    );
    // Every kept record parses on its own.
    let records: Vec<serde_json::Value> = serde_json::Deserializer::from_str(&body[start..])
        .into_iter()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(records.len(), 2);

    // The same file as text keeps the plain line tail.
    r.format = Format::Text;
    let got = text(&one(&r, &fx.ctx));
    let kept = got.split_once("omitted ...]\n").unwrap().1;
    assert!(kept.starts_with("      \"pid\": 17\n"), "{got}");

    // A byte cap that splits a record drops the fragment too.
    r.format = Format::Json;
    r.tail_lines = Some(1000);
    r.max_bytes = 150;
    let got = text(&one(&r, &fx.ctx));
    let kept = got.split_once("omitted ...]\n").unwrap().1;
    assert!(kept.starts_with("{\n  \"id\": \"a-0019\""), "{got}");
    assert!(body.ends_with(kept));
}

#[test]
fn json_lines_tail_is_line_aligned_and_a_cut_line_is_dropped() {
    let fx = SysrootTree::new();
    let body: String = (0..50)
        .map(|i| format!("{{\"event_id\":{i},\"fields\":{{\"cmdline\":\"sh -c id\"}}}}\n"))
        .collect();
    fx.write("events.log", body.as_bytes());
    let mut r = req("/events.log");
    r.format = Format::Json;
    r.tail_lines = Some(3);
    let got = text(&one(&r, &fx.ctx));
    assert!(
        got.ends_with(&body[body.find("{\"event_id\":47").unwrap()..]),
        "{got}"
    );

    // One record longer than the cap: nothing of it is kept, and the detail says why.
    let long = format!("{{\"event_id\":1,\"blob\":\"{}\"}}\n", "x".repeat(400));
    fx.write("long.log", format!("{{\"header\":1}}\n{long}").as_bytes());
    let mut r = req("/long.log");
    r.format = Format::Json;
    r.tail_lines = Some(1);
    r.max_bytes = 100;
    let item = one(&r, &fx.ctx);
    let got = text(&item);
    assert!(!got.contains("xxx"), "{got}");
    assert!(
        item.detail
            .as_deref()
            .unwrap()
            .starts_with("no whole JSON record starts in the last 1 lines"),
        "{item:?}"
    );
}

#[test]
fn json_over_cap_keeps_whole_records_at_both_ends() {
    let fx = SysrootTree::new();
    let body = pretty_alerts(30);
    fx.write("alerts.json", body.as_bytes());
    let mut r = req("/alerts.json");
    r.format = Format::Json;
    r.max_bytes = 1000;
    let item = one(&r, &fx.ctx);
    assert_eq!(item.status, Status::Truncated);
    let got = text(&item);
    let (head, rest) = got.split_once("[... support-bundle: ").unwrap();
    let (omitted, tail) = rest.split_once(" bytes omitted ...]\n").unwrap();
    let omitted: usize = omitted.parse().unwrap();
    assert_eq!(head.len() + omitted + tail.len(), body.len());
    for part in [head, tail] {
        assert!(
            part.starts_with("{\n  \"id\"") && part.ends_with("}\n"),
            "{part:?}"
        );
        let n = serde_json::Deserializer::from_str(part)
            .into_iter::<serde_json::Value>()
            .collect::<Result<Vec<_>, _>>()
            .unwrap()
            .len();
        assert!(n >= 1, "{part:?}");
    }
}
