//! `collect --spec gojinn` in a fixture working directory with a fake Caddy.

use crate::fixtures::{
    self, CADDY_VERSION, GO_VERSION, GOJINN_SECRETS, GOJINN_VERSION, PRIV_KEY_HEX, TENANT_KEY,
    WASM, WASM_WORKER,
};
use crate::harness::{Bundle, Output, Server, Test, contains, free_port, sha256_hex};

/// Run the gojinn spec in `<tmp>/work` with `--var caddyfile=` and `--var admin=`.
fn run_gojinn(t: Test, admin: &str) -> Output {
    t.args(["collect", "--spec", "gojinn", "--out", "[TMP]/out"])
        .args(["--var", "caddyfile=[TMP]/work/Caddyfile"])
        .args(["--var", &format!("admin={admin}")])
        .run()
}

/// Run the gojinn spec with `--sysroot <tmp>/root` (its default Caddyfile path) and no admin
/// API listening.
fn run_gojinn_sysroot(t: Test) -> Output {
    t.args(["collect", "--spec", "gojinn", "--sysroot", "[TMP]/root"])
        .args(["--out", "[TMP]/out"])
        .args(["--var", &format!("admin={}", admin_down())])
        .run()
}

fn admin_down() -> String {
    format!("http://127.0.0.1:{}", free_port())
}

/// The manifest item of `id` whose entry path ends with `name`.
fn item_for<'a>(b: &'a Bundle, id: &str, name: &str) -> &'a serde_json::Value {
    b.items(id)
        .into_iter()
        .find(|i| i["path"].as_str().is_some_and(|p| p.ends_with(name)))
        .unwrap_or_else(|| panic!("no `{id}` item for {name}: {}", b.manifest_text()))
}

#[test]
fn versions_come_from_caddy() {
    let out = run_gojinn(fixtures::gojinn(Test::new()), &admin_down());
    out.success();
    let b = out.bundle();
    assert_eq!(
        b.fact("caddy_version"),
        Some(CADDY_VERSION),
        "{}",
        b.manifest_text()
    );
    assert_eq!(b.fact("gojinn_version"), Some(GOJINN_VERSION));
    assert_eq!(b.fact("go_version"), Some(GO_VERSION));
    assert_eq!(b.fact("gojinn_module"), Some("http.handlers.gojinn"));
    assert_eq!(b.check("gojinn-module"), Some("pass"));
    assert_eq!(b.check("stock-caddy"), Some("pass"));
    let build_info = b.text("commands/caddy-build-info.txt");
    assert!(build_info.contains(&format!("github.com/gojinn-io/gojinn\t{GOJINN_VERSION}")));
    let issue = out.issue();
    assert!(
        issue.contains(GOJINN_VERSION) && issue.contains(CADDY_VERSION),
        "{issue}"
    );
}

#[test]
fn caddyfile_and_its_modules_are_collected() {
    let out = run_gojinn(fixtures::gojinn(Test::new()), &admin_down());
    out.success();
    let b = out.bundle();
    assert_eq!(b.status("caddyfile"), "ok", "{}", b.manifest_text());
    let caddyfile = b.text("files/caddyfile/Caddyfile");
    assert!(
        caddyfile.contains("gojinn ./functions/hello.wasm"),
        "{caddyfile}"
    );

    // Both modules the Caddyfile names, byte for byte, hashed in the manifest.
    for (name, bytes) in [("hello.wasm", WASM), ("worker.wasm", WASM_WORKER)] {
        let item = item_for(&b, "wasm-modules", name);
        assert_eq!(item["status"], "ok", "{item}");
        assert_eq!(item["binary"], true, "{item}");
        assert_eq!(item["sha256"], sha256_hex(bytes), "{item}");
        assert_eq!(item["size"], bytes.len() as u64, "{item}");
        assert_eq!(item["redactions"], 0, "{item}");
        let path = item["path"].as_str().expect("path");
        assert_eq!(b.entries[path], bytes, "{path}");
        assert_eq!(b.manifest["files"][path]["sha256"], sha256_hex(bytes));
    }
}

#[test]
fn signing_key_is_never_collected() {
    let out = run_gojinn(fixtures::gojinn(Test::new()), &admin_down());
    out.success();
    let b = out.bundle();
    assert_no_private_key(&b, &out);
}

/// A spec that asks for everything in `functions/` and `data/` still gets no key and no
/// payloads: the never-collect list wins over the spec.
#[test]
fn signing_key_is_denied_even_when_a_spec_globs_it() {
    let spec = r#"schema = 1

[project]
name = "greedy"

[[collect]]
id = "functions"
kind = "file"
path = "functions/*"
binary = true

[[collect]]
id = "key"
kind = "file"
path = "functions/hello.priv"

[[collect]]
id = "payloads"
kind = "file"
path = "data/nats_store/jetstream/payload.json"
"#;
    let out = fixtures::gojinn(Test::new())
        .spec_file("greedy.toml", spec)
        .args([
            "collect",
            "--spec",
            "[TMP]/greedy.toml",
            "--out",
            "[TMP]/out",
        ])
        .run();
    out.success();
    let b = out.bundle();
    assert_no_private_key(&b, &out);
    // The module in the same directory is still collected.
    let wasm = item_for(&b, "functions", "hello.wasm");
    assert_eq!(wasm["sha256"], sha256_hex(WASM));
    // Naming the key or a payload directly is refused with a status, not an error:
    // `skipped` (deliberately not collected), with the pattern that refused it.
    for id in ["key", "payloads"] {
        assert_eq!(b.status(id), "skipped", "{}", b.manifest_text());
        let detail = b.item(id)["detail"].as_str().unwrap_or_default();
        assert!(detail.contains("never-collect"), "{detail}");
    }
    for entry in b.entries.values() {
        assert!(!contains(entry, b"customer payload"), "payload collected");
    }
}

fn assert_no_private_key(b: &Bundle, out: &Output) {
    for (name, data) in &b.entries {
        assert!(!name.contains(".priv"), "entry {name}\n{out}");
        assert!(
            !contains(data, PRIV_KEY_HEX.as_bytes()),
            "key bytes in {name}"
        );
        assert!(
            !contains(data, &PRIV_KEY_HEX.as_bytes()[..32]),
            "key bytes in {name}"
        );
    }
    for item in b.manifest["items"].as_array().expect("items") {
        if item["source"].as_str().is_some_and(|s| s.contains(".priv")) {
            assert_eq!(
                item["status"],
                "skipped",
                "key item {item}\n{}",
                b.manifest_text()
            );
            assert_eq!(
                item["detail"], "denied by never-collect pattern `*.priv`",
                "{item}"
            );
            assert!(item["path"].is_null(), "{item}");
        }
    }
    assert!(!out.issue().contains(&PRIV_KEY_HEX[..32]));
}

#[test]
fn crash_dumps_are_collected_from_the_working_directory() {
    let out = run_gojinn(fixtures::gojinn(Test::new()), &admin_down());
    out.success();
    let b = out.bundle();
    let crashes = b.items("crash-dumps");
    assert_eq!(crashes.len(), 1, "{}", b.manifest_text());
    assert_eq!(crashes[0]["status"], "ok");
    let path = crashes[0]["path"].as_str().expect("crash dump path");
    assert!(
        path.starts_with("files/crash-dumps/") && path.ends_with("_seq1.json"),
        "{path}"
    );
    let dump: serde_json::Value =
        serde_json::from_slice(&b.entries[path]).expect("crash dump stays JSON");
    assert_eq!(dump["wasm_file"], "./functions/hello.wasm");
    assert_eq!(dump["input"]["method"], "POST");
}

#[test]
fn admin_api_config_is_fetched_as_json() {
    let server = Server::start(fixtures::admin_config().as_bytes(), "application/json");
    let out = run_gojinn(fixtures::gojinn(Test::new()), &server.url(""));
    out.success();
    let b = out.bundle();
    assert_eq!(b.status("admin-config"), "ok", "{}", b.manifest_text());
    // The admin endpoint is asked for the running config and the metrics, nothing else.
    let mut requests = server.requests();
    requests.sort();
    assert_eq!(requests, ["GET /config/ HTTP/1.1", "GET /metrics HTTP/1.1"]);
    let config: serde_json::Value =
        serde_json::from_slice(&b.entries["http/admin-config.txt"]).expect("JSON");
    assert_eq!(config["admin"]["listen"], "localhost:2019");
}

#[test]
fn stock_caddy_rejecting_the_directive_fails_the_check() {
    let t = fixtures::gojinn(Test::new())
        .fake_command(
            "journalctl",
            "printf 'Error: adapting config using caddyfile: Caddyfile:7: unrecognized directive: gojinn\\n'\n",
        )
        .fake_command(
            "caddy",
            "case \"$1\" in\n  version) printf '2.6.2\\n' ;;\n  list-modules) printf 'http.handlers.file_server\\n\\n  Standard modules: 1\\n' ;;\n  *) exit 1 ;;\nesac\n",
        );
    let out = run_gojinn(t, &admin_down());
    out.success();
    let b = out.bundle();
    assert_eq!(b.fact("caddy_version"), Some("2.6.2"));
    assert_eq!(b.fact("gojinn_version"), None);
    assert_eq!(
        b.check("stock-caddy"),
        Some("fail"),
        "{}",
        b.manifest_text()
    );
    assert_eq!(b.check("gojinn-module"), Some("warn"));
}

#[test]
fn caddyfile_under_sysroot_default_path() {
    let t = fixtures::gojinn(Test::new())
        .file("root/etc/caddy/Caddyfile", &fixtures::caddyfile())
        .binary_file("root/etc/caddy/functions/hello.wasm", WASM);
    let out = run_gojinn_sysroot(t);
    out.success();
    let b = out.bundle();
    assert_eq!(b.status("caddyfile"), "ok", "{}", b.manifest_text());
    assert_eq!(b.item("caddyfile")["source"], "/etc/caddy/Caddyfile");
    let hello = item_for(&b, "wasm-modules", "hello.wasm");
    assert_eq!(hello["sha256"], sha256_hex(WASM));
    // worker.wasm is not in the sysroot's functions dir: missing, with the rest intact.
    let statuses: Vec<&str> = b
        .items("wasm-modules")
        .iter()
        .filter_map(|i| i["status"].as_str())
        .collect();
    assert!(statuses.contains(&"missing"), "{}", b.manifest_text());
}

#[test]
fn gojinn_secrets_never_reach_the_bundle_or_issue() {
    let server = Server::start(fixtures::admin_config().as_bytes(), "application/json");
    let out = run_gojinn(fixtures::gojinn(Test::new()), &server.url(""));
    out.success();
    out.assert_no_secrets(GOJINN_SECRETS);
    let b = out.bundle();
    // The tenant key is part of the crash dump's file name: the entry name is redacted too,
    // and the dump is still there.
    let crashes = b.items("crash-dumps");
    assert_eq!(crashes.len(), 1);
    let path = crashes[0]["path"].as_str().expect("path");
    assert!(!path.contains(TENANT_KEY), "{path}");
    // Redacted JSON is still JSON; the Caddyfile keeps its shape.
    serde_json::from_slice::<serde_json::Value>(&b.entries[path]).expect("crash dump JSON");
    serde_json::from_slice::<serde_json::Value>(&b.entries["http/admin-config.txt"])
        .expect("admin config JSON");
    let caddyfile = b.text("files/caddyfile/Caddyfile");
    assert!(caddyfile.contains("db_dsn"), "{caddyfile}");
    assert!(
        caddyfile.contains("gojinn ./functions/hello.wasm"),
        "{caddyfile}"
    );
    // Modules are stored as-is even under redaction.
    assert_eq!(
        item_for(&b, "wasm-modules", "hello.wasm")["sha256"],
        sha256_hex(WASM)
    );
}

/// A Caddyfile under `--sysroot` cannot pull in modules from outside it, by `..` or by an
/// absolute path (which is re-rooted).
#[test]
fn module_references_cannot_leave_the_sysroot() {
    let t = fixtures::gojinn(Test::new()).binary_file("outside.wasm", WASM_WORKER);
    let outside = t.join("outside.wasm");
    let caddyfile = format!(
        ":8080 {{\n\tgojinn ../../../outside.wasm\n\tgojinn {}\n}}\n",
        outside.display()
    );
    let out = run_gojinn_sysroot(t.file("root/etc/caddy/Caddyfile", &caddyfile));
    out.success();
    let b = out.bundle();
    let modules = b.items("wasm-modules");
    assert_eq!(modules.len(), 2, "{}", b.manifest_text());
    for item in &modules {
        assert!(item["path"].is_null(), "{item}");
    }
    // A relative reference climbing out is refused; an absolute one is read inside the
    // sysroot, where it does not exist.
    let climbing = modules
        .iter()
        .find(|i| i["source"] == "../../../outside.wasm")
        .unwrap_or_else(|| panic!("{}", b.manifest_text()));
    assert_eq!(climbing["status"], "skipped", "{climbing}");
    assert_eq!(climbing["detail"], "path escapes sysroot", "{climbing}");
    let absolute = modules
        .iter()
        .find(|i| i["source"] == outside.to_str().unwrap())
        .unwrap_or_else(|| panic!("{}", b.manifest_text()));
    assert_eq!(absolute["status"], "missing", "{absolute}");
    for (name, data) in &b.entries {
        assert!(
            !contains(data, WASM_WORKER) || name == "manifest.json",
            "{name}"
        );
    }
}
