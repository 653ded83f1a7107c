//! Maintainer commands (`verify`, `inspect`, `diff`, `extract`, `check`, `redact BUNDLE`,
//! `replay`, `triage`, `index`) against real bundles written by `collect`, and against hostile
//! zips built here (which `issue BUNDLE` must refuse too).
//!
//! A demo machine is a [`Test`] whose fake-bin dir holds the project's commands, whose
//! `<tmp>/root` is the sysroot and whose `<tmp>/spec.toml` is the spec; [`Collect::collect`]
//! runs the real binary on it and returns the bundle's path. Output that carries the tool
//! version or bundle ids is filtered through [`filter`] before snapshotting.

mod check;
mod diff_inspect;
mod extract;
mod hostile;
#[cfg(feature = "index")]
mod index;
mod redact;
mod replay;
mod triage;
mod verify;

use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use crate::harness::Output;
pub(crate) use crate::harness::Test;

/// Run the binary with `args` in a fresh [`Test`].
pub(crate) fn run(args: &[&str]) -> Output {
    Test::new().args(args).run()
}

/// Run and return (exit code, stdout, stderr), failing on a signal or a panic (exit 101).
#[track_caller]
pub(crate) fn run_code(args: &[&str]) -> (i32, String, String) {
    let out = run(args);
    (out.code(), out.stdout.clone(), out.stderr.clone())
}

/// `collect` on a demo machine: `<tmp>/spec.toml` against the sysroot `<tmp>/root`, into
/// `<tmp>/out`.
pub(crate) trait Collect {
    /// Run `collect`, whatever its outcome.
    fn collect_output(&self) -> Output;
    /// Run `collect`, assert it succeeded, and return the bundle's path.
    fn collect(&self) -> PathBuf;
}

impl Collect for Test {
    fn collect_output(&self) -> Output {
        self.run_with([
            "collect",
            "--no-progress",
            "--spec",
            "[TMP]/spec.toml",
            "--sysroot",
            "[TMP]/root",
            "--out",
            "[TMP]/out",
        ])
    }

    #[track_caller]
    fn collect(&self) -> PathBuf {
        let out = self.collect_output();
        out.success();
        out.bundle().path
    }
}

/// A demo project's spec: one version command, a TOML config, a log and a binary module,
/// with checks on the version and the kernel (from `uname -r`).
pub(crate) fn demo_spec() -> String {
    r#"schema = 1

[project]
name = "demo"
display = "Demo"
repository = "https://example.invalid/demo"

[[collect]]
id = "version"
kind = "command"
argv = ["demo", "--version"]
required = true
label = "Demo version"
fact = { name = "demo_version", regex = 'demo\s+(\S+)' }

[[collect]]
id = "kernel"
kind = "command"
argv = ["uname", "-r"]
required = true
fact = { name = "kernel", regex = '^(\S+)' }

[[collect]]
id = "config"
kind = "file"
path = "/etc/demo/config.toml"
format = "toml"
required = true

[[collect]]
id = "log"
kind = "file"
path = "/var/log/demo.log"
log = true

[[collect]]
id = "module"
kind = "file"
path = "/srv/demo/fn.wasm"
binary = true

[[check]]
id = "kernel-floor"
when = "kernel < 5.10"
level = "fail"
message = "Demo needs Linux 5.10 or newer"

[[check]]
id = "old-demo"
when = "demo_version < 1.3"
level = "warn"
message = "Demo before 1.3 is unsupported"
"#
    .to_string()
}

/// The WASM bytes the demo machine holds (not valid UTF-8, so stored as binary).
pub(crate) const WASM: &[u8] = b"\0asm\x01\0\0\0\x01\x85\x80\x80\x80\0\x01\x60\0\x01\x7f\xff\xfe";

/// A demo machine at `version` on `kernel`, with `log` as its log.
pub(crate) fn demo_machine(version: &str, kernel: &str, log: &str) -> Test {
    Test::new()
        .spec(&demo_spec())
        .fake_output("demo", &format!("demo {version}\n"))
        .fake_output("uname", &format!("{kernel}\n"))
        .file(
            "root/etc/demo/config.toml",
            "[server]\nlisten = \"127.0.0.1:8080\"\nworkers = 4\n",
        )
        .file("root/var/log/demo.log", log)
        .binary_file("root/srv/demo/fn.wasm", WASM)
}

/// Replace what changes with the tool's version (the version itself and bundle ids).
pub(crate) fn filter(text: &str, ids: &[(&str, &str)]) -> String {
    let mut out = text.replace(env!("CARGO_PKG_VERSION"), "[VERSION]");
    for (id, label) in ids {
        out = out.replace(id, label).replace(&id[..12], label);
    }
    out
}

/// The bundle id (sha256 of manifest.json) of a bundle, read directly with the zip crate.
pub(crate) fn bundle_id(path: &Path) -> String {
    let entries = read_entries(path);
    let manifest = entries
        .iter()
        .find(|(n, _)| n == "manifest.json")
        .expect("manifest");
    crate::harness::sha256_hex(&manifest.1)
}

/// Every entry of a zip, in order (for tests that rebuild a bundle with a change).
pub(crate) fn read_entries(path: &Path) -> Vec<(String, Vec<u8>)> {
    let mut zip = zip::ZipArchive::new(std::fs::File::open(path).expect("open")).expect("zip");
    (0..zip.len())
        .map(|i| {
            let mut f = zip.by_index(i).expect("entry");
            let name = f.name().expect("name").to_string();
            let mut data = Vec::new();
            f.read_to_end(&mut data).expect("read");
            (name, data)
        })
        .collect()
}

/// Write `entries` as a plain zip (Deflate) at `path`.
pub(crate) fn write_zip(path: &Path, entries: &[(String, Vec<u8>)]) {
    let mut zip = zip::ZipWriter::new(std::fs::File::create(path).expect("create"));
    let opts = zip::write::SimpleFileOptions::DEFAULT
        .compression_method(zip::CompressionMethod::Deflated)
        .unix_permissions(0o644);
    for (name, data) in entries {
        zip.start_file(name.as_str(), opts).expect("start");
        zip.write_all(data).expect("write");
    }
    zip.finish().expect("finish");
}

/// Every file and directory under `dir`, relative, sorted.
pub(crate) fn tree(dir: &Path) -> Vec<String> {
    fn walk(base: &Path, dir: &Path, out: &mut Vec<String>) {
        let Ok(rd) = std::fs::read_dir(dir) else {
            return;
        };
        for e in rd.filter_map(Result::ok) {
            let p = e.path();
            out.push(p.strip_prefix(base).expect("prefix").display().to_string());
            if e.file_type().is_ok_and(|t| t.is_dir()) {
                walk(base, &p, out);
            }
        }
    }
    let mut out = Vec::new();
    walk(dir, dir, &mut out);
    out.sort();
    out
}
