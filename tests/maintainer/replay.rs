//! `replay`: bundles collected with the built-in gojinn and kestrel specs, replayed with
//! stand-in `gojinn` and `kestrel` executables written here. Each stand-in records its
//! arguments, its working directory and the sha256 of every file it was handed (and, like
//! `gojinn replay`, of the module it found by the crash dump's `wasm_file`), so the tests
//! can tell that the right bundle entries reached the right tool in the right place.

use std::collections::BTreeMap;

use super::*;
use crate::fixtures::{self, WASM};
use crate::harness::{free_port, process_alive, sha256_hex};

/// The part every stand-in starts with: one `tool`, `cwd` and `arg` line per call, into
/// `calls.log` next to the stand-in's `bin` directory.
fn recorder(t: &Test, name: &str) -> String {
    let log = t.join("calls.log");
    format!(
        "log='{}'\n{{ printf 'tool %s\\n' '{name}'; printf 'cwd %s\\n' \"$(/bin/pwd -P)\"; \
         for a in \"$@\"; do printf 'arg %s\\n' \"$a\"; done; }} >> \"$log\"\n\
         sha() {{ /usr/bin/sha256sum \"$2\" | {{ read -r h _; printf 'sha %s %s\\n' \"$1\" \"$h\" >> \"$log\"; }}; }}\n",
        log.display()
    )
}

/// `gojinn replay <crash.json>` as the real one looks for the module: the dump's
/// `wasm_file`, then its base name in the working directory, then `functions/<base>`.
const GOJINN: &str = r#"[ "$1" = replay ] || { echo "unknown command $1" >&2; exit 64; }
dump=$2
[ -f "$dump" ] || { echo "no crash dump at $dump" >&2; exit 2; }
sha dump "$dump"
wasm=$(/bin/sed -n 's/.*"wasm_file": *"\([^"]*\)".*/\1/p' "$dump")
base=${wasm##*/}
if [ -f "$wasm" ]; then module=$wasm
elif [ -f "$base" ]; then module=$base
elif [ -f "functions/$base" ]; then module=functions/$base
else echo "module $wasm not found" >&2; exit 3; fi
sha module "$module"
echo "replaying $base with the recorded request"
echo "guest trapped: unreachable" >&2
"#;

/// `kestrel replay --rules DIR --log FILE`.
const KESTREL: &str = r#"[ "$1" = replay ] || exit 64
shift
while [ $# -gt 0 ]; do
  case "$1" in
    --rules) rules=$2; shift ;;
    --log) log_file=$2; shift ;;
  esac
  shift
done
[ -d "$rules" ] || { echo "Error: rules directory $rules not found" >&2; exit 1; }
sha log "$log_file"
echo "replayed $(/usr/bin/wc -l < "$log_file") lines"
"#;

/// A machine to replay on: stand-in `gojinn` and `kestrel` on its `PATH`, and `hang`, which
/// starts a grandchild, writes its pid to `hang.pid` and waits forever.
fn maintainer() -> Test {
    let t = Test::new();
    let gojinn = recorder(&t, "gojinn") + GOJINN;
    let kestrel = recorder(&t, "kestrel") + KESTREL;
    let pid = t.join("hang.pid");
    let hang = format!(
        "/bin/sleep 300 &\nprintf '%s' $! > '{}'\nwait\n",
        pid.display()
    );
    t.fake_command("gojinn", &gojinn)
        .fake_command("kestrel", &kestrel)
        .fake_command("hang", &hang)
        .file("rules/rule-001.yaml", "id: rule-001\n")
}

/// A bundle from the gojinn fixture (crash dump and modules in its working directory).
fn gojinn_bundle() -> (Test, PathBuf) {
    let t = fixtures::gojinn(Test::new());
    let out = t.run_with([
        "collect",
        "--no-progress",
        "--spec",
        "gojinn",
        "--out",
        "[TMP]/out",
        "--var",
        "caddyfile=[TMP]/work/Caddyfile",
        "--var",
        &format!("admin=http://127.0.0.1:{}", free_port()),
    ]);
    out.success();
    let path = out.bundle().path;
    (t, path)
}

/// A bundle from the kestrel fixture (its replay log in the working directory).
fn kestrel_bundle() -> (Test, PathBuf) {
    let t = fixtures::kestrel(Test::new());
    let out = t.run_with([
        "collect",
        "--no-progress",
        "--spec",
        "kestrel",
        "--sysroot",
        "[TMP]/root",
        "--out",
        "[TMP]/out",
        "--var",
        &format!("metrics_url=http://127.0.0.1:{}/metrics", free_port()),
    ]);
    out.success();
    let path = out.bundle().path;
    (t, path)
}

/// One call of a stand-in, as `calls.log` recorded it.
#[derive(Debug, Default)]
struct Call {
    tool: String,
    cwd: String,
    args: Vec<String>,
    sha: BTreeMap<String, String>,
}

fn calls(t: &Test) -> Vec<Call> {
    let Ok(text) = std::fs::read_to_string(t.join("calls.log")) else {
        return Vec::new();
    };
    let mut out: Vec<Call> = Vec::new();
    for line in text.lines() {
        let (key, value) = line.split_once(' ').expect("key value");
        if key == "tool" {
            out.push(Call {
                tool: value.to_string(),
                ..Call::default()
            });
            continue;
        }
        let call = out.last_mut().expect("a call");
        match key {
            "cwd" => call.cwd = value.to_string(),
            "arg" => call.args.push(value.to_string()),
            "sha" => {
                let (what, hash) = value.split_once(' ').expect("what hash");
                call.sha.insert(what.to_string(), hash.to_string());
            }
            other => panic!("unexpected line {other}"),
        }
    }
    out
}

/// The sha256 a manifest records for the entry `path`.
fn manifest_sha(bundle: &Path, path: &str) -> String {
    let entries = read_entries(bundle);
    let (_, manifest) = entries
        .iter()
        .find(|(n, _)| n == "manifest.json")
        .expect("manifest");
    let manifest: serde_json::Value = serde_json::from_slice(manifest).expect("json");
    manifest["files"][path]["sha256"]
        .as_str()
        .unwrap_or_else(|| panic!("no {path} in the manifest"))
        .to_string()
}

/// The zip paths of an item's entries.
fn item_paths(bundle: &Path, id: &str) -> Vec<String> {
    let entries = read_entries(bundle);
    let (_, manifest) = entries
        .iter()
        .find(|(n, _)| n == "manifest.json")
        .expect("manifest");
    let manifest: serde_json::Value = serde_json::from_slice(manifest).expect("json");
    manifest["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter(|i| i["id"] == id)
        .filter_map(|i| i["path"].as_str().map(String::from))
        .collect()
}

fn canonical(path: &Path) -> String {
    std::fs::canonicalize(path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .display()
        .to_string()
}

#[test]
fn gojinn_replays_each_crash_dump_with_its_module_found_by_base_name() {
    let (_collected, bundle) = gojinn_bundle();
    let dumps = item_paths(&bundle, "crash-dumps");
    assert_eq!(dumps.len(), 1, "{dumps:?}");
    let m = maintainer();
    let out = m.run_with([
        "replay",
        bundle.to_str().expect("utf-8"),
        "--to",
        "[TMP]/replayed",
    ]);
    out.success();
    let root = m.join("replayed");
    let calls = calls(&m);
    assert_eq!(calls.len(), 1, "{calls:?}\n{out}");
    let call = &calls[0];
    assert_eq!(call.tool, "gojinn");
    let dump = root.join(&dumps[0]);
    assert_eq!(call.args, ["replay", dump.to_str().expect("utf-8")]);
    assert_eq!(call.cwd, canonical(&root.join("files/wasm-modules")));
    assert_eq!(call.sha["dump"], manifest_sha(&bundle, &dumps[0]));
    assert_eq!(
        call.sha["module"],
        manifest_sha(&bundle, "files/wasm-modules/hello.wasm")
    );
    assert_eq!(call.sha["module"], sha256_hex(WASM));
    out.stdout_has("replay steps from built-in:gojinn")
        // The dump's name holds `[`, so the plan quotes it as a shell would need.
        .stdout_has(&format!("crash-replay: gojinn replay '{}'", dump.display()))
        .stdout_has("[1/1] crash-replay  OK")
        .stdout_has("  | replaying hello.wasm with the recorded request")
        .stdout_has("  | guest trapped: unreachable")
        .stdout_has("1 run(s): 1 ok, 0 failed")
        .stdout_has("files kept in");
    assert!(dump.is_file(), "--to keeps the files");
}

#[test]
fn kestrel_replays_the_event_log_against_the_maintainer_s_rules() {
    let (_collected, bundle) = kestrel_bundle();
    let m = maintainer();
    let out = m.run_with([
        "replay",
        bundle.to_str().expect("utf-8"),
        "--var",
        "rules=[TMP]/rules",
    ]);
    out.success();
    let calls = calls(&m);
    assert_eq!(calls.len(), 1, "{calls:?}\n{out}");
    let call = &calls[0];
    assert_eq!(call.tool, "kestrel");
    let rules = m.join("rules");
    assert_eq!(
        call.args[..3],
        ["replay", "--rules", rules.to_str().expect("utf-8")]
    );
    assert_eq!(call.args[3], "--log");
    let log = Path::new(&call.args[4]);
    assert!(
        log.ends_with("files/replay-log/kestrel_events.log"),
        "{log:?}"
    );
    assert_eq!(
        call.sha["log"],
        manifest_sha(&bundle, "files/replay-log/kestrel_events.log")
    );
    // No `cwd` in the step: it runs in the extraction root, a private temporary directory
    // that is gone once the replay ends.
    let root = log
        .ancestors()
        .nth(3)
        .expect("root above files/replay-log/");
    assert_eq!(call.cwd, root.display().to_string());
    assert!(!root.exists(), "{} was not removed", root.display());
    out.stdout_has("(removed at the end; keep the files with --to DIR)")
        .stdout_has("  | replayed 2 lines");
}

#[test]
fn a_missing_or_unknown_variable_is_an_error_before_anything_runs() {
    let (_collected, bundle) = kestrel_bundle();
    let b = bundle.to_str().expect("utf-8");
    let m = maintainer();
    let out = m.run_with(["replay", b, "--to", "[TMP]/replayed"]);
    out.status(2).stderr_has(
        "error: the replay steps need `{rules}` (step `events-replay`); pass --var rules=VALUE",
    );
    let out = m.run_with(["replay", b, "--var", "rules=x", "--var", "rulez=y"]);
    out.status(2)
        .stderr_has("no replay step uses `{rulez}` (variables the steps use: rules)");
    assert!(calls(&m).is_empty());
    assert!(
        !m.join("replayed").exists(),
        "extracted before checking the variables"
    );
}

/// The built-in gojinn spec plus steps that hang, fail, need a tool that is not there, and
/// need an item the fixture could not collect (the admin API was down).
fn troubled_spec() -> String {
    crate::harness::builtin_spec_text("gojinn")
        + r#"
[[replay]]
id = "hangs"
argv = ["hang"]
timeout = "1s"

[[replay]]
id = "fails"
argv = ["gojinn", "replay", "{dir}/no-such-dump.json"]

[[replay]]
id = "no-tool"
argv = ["gojinn-inspect", "{entry:crash-dumps}"]

[[replay]]
id = "module-dir"
argv = ["gojinn", "replay", "{entry:wasm-modules}"]
cwd = "{entry_dir:wasm-modules}"

[[replay]]
id = "needs-admin"
argv = ["gojinn", "replay", "{dir}/files/admin-config/config.json"]
requires = ["admin-config"]
"#
}

#[test]
fn each_step_reports_timeout_failure_missing_tool_or_skip_and_the_exit_is_1() {
    let (_collected, bundle) = gojinn_bundle();
    let m = maintainer().spec(&troubled_spec());
    let out = m.run_with([
        "replay",
        bundle.to_str().expect("utf-8"),
        "--spec",
        "[TMP]/spec.toml",
        "--json",
    ]);
    out.status(1);
    out.finished_within(std::time::Duration::from_secs(30));
    let report: serde_json::Value = serde_json::from_str(&out.stdout).expect("json");
    let runs = report["runs"].as_array().expect("runs");
    let by_step = |id: &str| -> &serde_json::Value {
        runs.iter()
            .find(|r| r["step"] == id)
            .unwrap_or_else(|| panic!("no run of {id}: {report:#}"))
    };
    assert_eq!(by_step("crash-replay")["result"], "ok", "{report:#}");

    let hung = by_step("hangs");
    assert_eq!(hung["result"], "timeout", "{hung:#}");
    assert_eq!(
        hung["reason"], "timed out after 1s; process group killed",
        "{hung:#}"
    );
    let pid: i32 = std::fs::read_to_string(m.join("hang.pid"))
        .expect("hang started")
        .trim()
        .parse()
        .expect("pid");
    let until = std::time::Instant::now() + std::time::Duration::from_secs(5);
    while process_alive(pid) && std::time::Instant::now() < until {
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    assert!(
        !process_alive(pid),
        "the step's grandchild {pid} outlived it"
    );

    let failed = by_step("fails");
    assert_eq!(failed["result"], "failed", "{failed:#}");
    assert_eq!(failed["exit_code"], 2, "{failed:#}");
    assert_eq!(failed["reason"], "exit status 2");
    assert!(
        failed["output"]
            .as_str()
            .is_some_and(|o| o.contains("no crash dump at")),
        "{failed:#}"
    );

    let missing = by_step("no-tool");
    assert_eq!(missing["result"], "tool_missing", "{missing:#}");
    assert_eq!(
        missing["reason"],
        "command `gojinn-inspect` not found on PATH"
    );

    let skipped = by_step("needs-admin");
    assert_eq!(skipped["result"], "skipped", "{skipped:#}");
    let reason = skipped["reason"].as_str().expect("reason");
    assert!(
        reason.starts_with("requires `admin-config`, which is ") && !reason.contains("is ok"),
        "{reason}"
    );
    assert!(skipped.get("output").is_none(), "{skipped:#}");
    // `{entry_dir:…}`: one run per module, each in the directory holding it.
    let module_runs: Vec<_> = runs.iter().filter(|r| r["step"] == "module-dir").collect();
    assert_eq!(module_runs.len(), 2, "{report:#}");
    let calls = calls(&m);
    for (run, module) in module_runs.iter().zip(["hello.wasm", "worker.wasm"]) {
        let entry = format!("files/wasm-modules/{module}");
        assert_eq!(run["entry"], entry.as_str(), "{run:#}");
        let call = calls
            .iter()
            .find(|c| c.args.get(1).is_some_and(|a| a.ends_with(&entry)))
            .unwrap_or_else(|| panic!("no call for {entry}: {calls:?}"));
        let path = Path::new(&call.args[1]);
        assert_eq!(Path::new(&call.cwd), path.parent().expect("parent"));
        assert_eq!(call.sha["dump"], manifest_sha(&bundle, &entry));
    }
    // The skipped step never started: crash-replay, fails and the two module runs did.
    let gojinn_calls = calls.iter().filter(|c| c.tool == "gojinn").count();
    assert_eq!(gojinn_calls, 4, "{calls:?}");
}

#[test]
fn json_report_shape() {
    let (_collected, bundle) = gojinn_bundle();
    let m = maintainer();
    let out = m.run_with([
        "replay",
        bundle.to_str().expect("utf-8"),
        "--json",
        "--to",
        "[TMP]/replayed",
    ]);
    out.success();
    let report: serde_json::Value = serde_json::from_str(&out.stdout).expect("json");
    assert_eq!(report["format_version"], 1);
    assert_eq!(report["bundle_id"], bundle_id(&bundle));
    assert_eq!(report["spec"], "built-in:gojinn");
    assert_eq!(report["dir"], m.join("replayed").display().to_string());
    assert_eq!(report["kept"], true);
    assert_eq!(report["dry_run"], false);
    let run = &report["runs"][0];
    let mut keys: Vec<&str> = run
        .as_object()
        .expect("object")
        .keys()
        .map(String::as_str)
        .collect();
    keys.sort_unstable();
    assert_eq!(
        keys,
        [
            "argv",
            "cwd",
            "duration_ms",
            "entry",
            "output",
            "result",
            "step",
            "timeout_secs"
        ]
    );
    assert_eq!(run["timeout_secs"], 120.0);
    assert!(
        run["entry"]
            .as_str()
            .is_some_and(|e| e.starts_with("files/crash-dumps/")),
        "{run:#}"
    );
    assert!(
        run["output"]
            .as_str()
            .is_some_and(|o| o.contains("\n--- stderr ---\nguest trapped")),
        "{run:#}"
    );
}

#[test]
fn dry_run_shows_the_plan_and_runs_nothing() {
    let (_collected, bundle) = gojinn_bundle();
    let m = maintainer();
    let out = m.run_with([
        "replay",
        bundle.to_str().expect("utf-8"),
        "--dry-run",
        "--to",
        "[TMP]/replayed",
    ]);
    out.success();
    let root = m.join("replayed");
    out.stdout_has(&format!(
        "dry run: would extract to {}; nothing is run",
        root.display()
    ))
    .stdout_has(&format!(
        "[1/1] crash-replay: gojinn replay '{}/files/crash-dumps/crash_tenant_",
        root.display()
    ))
    .stdout_has(&format!(
        "in {}/files/wasm-modules (timeout 120s)",
        root.display()
    ));
    assert!(calls(&m).is_empty(), "{:?}", calls(&m));
    assert!(!root.exists(), "a dry run extracted");

    let json = m.run_with([
        "replay",
        bundle.to_str().expect("utf-8"),
        "--dry-run",
        "--json",
    ]);
    json.success();
    let report: serde_json::Value = serde_json::from_str(&json.stdout).expect("json");
    assert_eq!(report["dry_run"], true);
    assert_eq!(report["runs"][0]["result"], "planned");
    assert!(report["runs"][0].get("output").is_none());
    assert!(calls(&m).is_empty());
}

#[test]
fn a_tampered_bundle_is_refused_before_anything_is_extracted_or_run() {
    let (collected, bundle) = gojinn_bundle();
    let dump = item_paths(&bundle, "crash-dumps").remove(0);
    let entries: Vec<(String, Vec<u8>)> = read_entries(&bundle)
        .into_iter()
        .map(|(name, data)| {
            if name == dump {
                (name, b"{\"wasm_file\": \"/tmp/evil.wasm\"}\n".to_vec())
            } else {
                (name, data)
            }
        })
        .collect();
    let tampered = collected.join("tampered.zip");
    write_zip(&tampered, &entries);
    let m = maintainer();
    let out = m.run_with([
        "replay",
        tampered.to_str().expect("utf-8"),
        "--to",
        "[TMP]/replayed",
    ]);
    out.status(2)
        .stderr_has("the bundle does not match its manifest, so nothing from it is run")
        .stderr_has(&format!("{dump}: content changed"));
    assert!(calls(&m).is_empty());
    assert!(!m.join("replayed").exists());
}

#[test]
fn a_bundle_of_a_spec_file_needs_the_maintainer_s_spec() {
    let demo = demo_machine("1.3.0", "6.1.0", "started\n");
    let bundle = demo.collect();
    let m = maintainer().spec(&demo_spec());
    let out = m.run_with(["replay", bundle.to_str().expect("utf-8")]);
    out.status(2)
        .stderr_has("not a built-in one; its replay steps would run programs the bundle chose, so pass your own spec with --spec PATH");
    // The maintainer's own spec, without replay steps, says so.
    let out = m.run_with([
        "replay",
        bundle.to_str().expect("utf-8"),
        "--spec",
        "[TMP]/spec.toml",
    ]);
    out.status(2).stderr_has("has no [[replay]] steps");
    assert!(calls(&m).is_empty());
}

#[test]
fn the_extraction_directory_must_be_empty() {
    let (_collected, bundle) = gojinn_bundle();
    let m = maintainer().file("replayed/notes.txt", "mine");
    let out = m.run_with([
        "replay",
        bundle.to_str().expect("utf-8"),
        "--to",
        "[TMP]/replayed",
    ]);
    out.status(2).stderr_has("is not empty");
    assert!(calls(&m).is_empty());
}

#[test]
fn a_bad_replay_step_is_a_spec_error_with_its_line() {
    let demo = demo_machine("1.3.0", "6.1.0", "started\n");
    let bundle = demo.collect();
    let spec = demo_spec() + "\n[[replay]]\nid = \"r\"\nargv = [\"demo\", \"{entry:modul}\"]\n";
    let line = spec.lines().count();
    let m = maintainer().spec(&spec);
    let out = m.run_with([
        "replay",
        bundle.to_str().expect("utf-8"),
        "--spec",
        "[TMP]/spec.toml",
        "--to",
        "[TMP]/replayed",
    ]);
    out.status(2).stderr_has(&format!(
        "spec.toml:{line}:17: replay step `r`: `{{entry:modul}}` names unknown collector `modul`"
    ));
    assert!(!m.join("replayed").exists());
}

/// Wait up to 30 s (generous: the machine may be busy) for `done`; false if it never held.
fn wait_until(mut done: impl FnMut() -> bool) -> bool {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while std::time::Instant::now() < deadline {
        if done() {
            return true;
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    done()
}

#[test]
fn a_signal_during_a_step_removes_the_temporary_directory() {
    use nix::sys::signal::{Signal, kill};
    use std::process::Stdio;

    let (_collected, bundle) = gojinn_bundle();
    for (signal, code) in [
        (Signal::SIGINT, 130),
        (Signal::SIGTERM, 143),
        (Signal::SIGHUP, 129),
    ] {
        // `stall` says where it runs (the extraction root) and then sleeps past the test.
        let m = maintainer();
        let marker = m.join("stalled");
        let stall = format!(
            "printf '%s\\n%s\\n' \"$$\" \"$(/bin/pwd -P)\" > '{m}.part'\n\
             /bin/mv '{m}.part' '{m}'\nexec /bin/sleep 30\n",
            m = marker.display()
        );
        let spec = crate::harness::builtin_spec_text("gojinn")
            + "\n[[replay]]\nid = \"stalls\"\nargv = [\"stall\"]\n";
        let m = m
            .fake_command("stall", &stall)
            .spec(&spec)
            .env("TMPDIR", "[TMP]/tmp");
        std::fs::create_dir_all(m.join("tmp")).expect("mkdir tmp");
        let mut child = m
            .command([
                "replay",
                bundle.to_str().expect("utf-8"),
                "--spec",
                "[TMP]/spec.toml",
            ])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn support-bundle");
        let stalled = wait_until(|| marker.exists() || matches!(child.try_wait(), Ok(Some(_))));
        if marker.exists() {
            let pid = nix::unistd::Pid::from_raw(i32::try_from(child.id()).expect("pid"));
            kill(pid, signal).expect("send the signal");
        }
        if !wait_until(|| matches!(child.try_wait(), Ok(Some(_)))) {
            let _ = child.kill();
        }
        let out = child.wait_with_output().expect("wait");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            stalled && marker.exists(),
            "{signal}: the step never started\n{stderr}"
        );
        assert_eq!(out.status.code(), Some(code), "{signal}\n{stderr}");
        let text = std::fs::read_to_string(&marker).expect("marker");
        let (step_pid, root) = text.trim_end().split_once('\n').expect("pid and cwd");
        let root = Path::new(root);
        assert!(
            root.starts_with(canonical(&m.join("tmp"))),
            "the step ran in {}, not under TMPDIR",
            root.display()
        );
        assert!(
            !root.exists(),
            "{signal}: {} was left behind",
            root.display()
        );
        let left: Vec<_> = std::fs::read_dir(m.join("tmp"))
            .expect("read TMPDIR")
            .map(|e| e.expect("entry").file_name())
            .collect();
        assert!(left.is_empty(), "{signal}: left in TMPDIR: {left:?}");
        assert!(
            stderr.contains(
                "interrupted: stopped 1 running command(s); removed the temporary directory"
            ),
            "{signal}\n{stderr}"
        );
        let step_pid: i32 = step_pid.parse().expect("pid");
        assert!(
            wait_until(|| !process_alive(step_pid)),
            "{signal}: the step {step_pid} outlived the run"
        );
    }
}
