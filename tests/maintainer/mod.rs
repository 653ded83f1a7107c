//! Maintainer commands (`verify`, `inspect`, `diff`, `extract`, `check`, `redact BUNDLE`)
//! against real bundles written by `collect`, and against hostile zips built here (which
//! `issue BUNDLE` must refuse too).
//!
//! A [`Machine`] is a tempdir holding a fake-bin dir (the whole `PATH`), a sysroot tree and a
//! spec file; [`Machine::collect`] runs the real binary on it with a fixed `SOURCE_DATE_EPOCH`
//! and returns the bundle's path. Output that carries the tool version or bundle ids is
//! filtered through [`filter`] before snapshotting.

mod check;
mod diff_inspect;
mod extract;
mod hostile;
mod redact;
mod verify;

use std::io::{Read, Write};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The `SOURCE_DATE_EPOCH` every collect run gets.
pub const EPOCH: &str = "1795393164";

/// The binary under test.
pub fn bin() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_support-bundle"));
    cmd.env_clear()
        .env("SOURCE_DATE_EPOCH", EPOCH)
        .env("NO_COLOR", "1")
        .env("PATH", "/nonexistent");
    cmd
}

/// Run the binary with `args`.
pub fn run(args: &[&str]) -> Output {
    bin().args(args).output().expect("run support-bundle")
}

/// Run and return (exit code, stdout, stderr), failing on a signal (a panic aborts with 101).
pub fn run_code(args: &[&str]) -> (i32, String, String) {
    let out = run(args);
    let code = out.status.code().expect("exited by signal");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_ne!(code, 101, "panicked:\n{stderr}");
    (code, stdout, stderr)
}

/// A fake machine: fake commands, a sysroot tree and a spec.
pub struct Machine {
    /// Owns the tempdir.
    pub dir: tempfile::TempDir,
}

impl Machine {
    /// An empty machine.
    pub fn new() -> Machine {
        let dir = tempfile::tempdir().expect("tempdir");
        for sub in ["bin", "root", "out", "work"] {
            std::fs::create_dir_all(dir.path().join(sub)).expect("mkdir");
        }
        Machine { dir }
    }

    /// The tempdir.
    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// A fake command printing `stdout` (single-quoted for `printf '%s'`-free output).
    pub fn command(self, name: &str, stdout: &str) -> Machine {
        let path = self.path().join("bin").join(name);
        let escaped = stdout.replace('\'', "'\\''");
        std::fs::write(&path, format!("#!/bin/sh\nprintf '%s' '{escaped}'\n")).expect("write");
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).expect("chmod");
        self
    }

    /// A file under the sysroot (`rel` without a leading `/`).
    pub fn file(self, rel: &str, data: &[u8]) -> Machine {
        let path = self.path().join("root").join(rel);
        std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        std::fs::write(path, data).expect("write");
        self
    }

    /// The spec file.
    pub fn spec(self, text: &str) -> Machine {
        std::fs::write(self.path().join("spec.toml"), text).expect("write spec");
        self
    }

    /// Run `collect` into `<tmp>/out`, whatever its outcome.
    pub fn collect_output(&self) -> Output {
        let tmp = self.path();
        bin()
            .current_dir(tmp.join("work"))
            .env("PATH", tmp.join("bin"))
            .env("HOME", tmp.join("work"))
            .args(["collect", "--no-progress", "--spec"])
            .arg(tmp.join("spec.toml"))
            .arg("--sysroot")
            .arg(tmp.join("root"))
            .arg("--out")
            .arg(tmp.join("out"))
            .output()
            .expect("run collect")
    }

    /// Run `collect` and return the bundle's path (in `<tmp>/out`).
    pub fn collect(&self) -> PathBuf {
        let tmp = self.path();
        let out = self.collect_output();
        assert!(
            out.status.success(),
            "collect failed:\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        std::fs::read_dir(tmp.join("out"))
            .expect("out dir")
            .filter_map(Result::ok)
            .map(|e| e.path())
            .find(|p| p.extension().is_some_and(|e| e == "zip"))
            .expect("a bundle in out")
    }
}

/// A demo project's spec: one version command, a TOML config, a log and a binary module,
/// with checks on the version and the kernel (from `uname -r`).
pub fn demo_spec() -> String {
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
pub const WASM: &[u8] = b"\0asm\x01\0\0\0\x01\x85\x80\x80\x80\0\x01\x60\0\x01\x7f\xff\xfe";

/// A demo machine at `version` on `kernel`, with `log` as its log.
pub fn demo_machine(version: &str, kernel: &str, log: &str) -> Machine {
    Machine::new()
        .spec(&demo_spec())
        .command("demo", &format!("demo {version}\n"))
        .command("uname", &format!("{kernel}\n"))
        .file(
            "etc/demo/config.toml",
            b"[server]\nlisten = \"127.0.0.1:8080\"\nworkers = 4\n",
        )
        .file("var/log/demo.log", log.as_bytes())
        .file("srv/demo/fn.wasm", WASM)
}

/// Replace what changes with the tool's version (the version itself and bundle ids).
pub fn filter(text: &str, ids: &[(&str, &str)]) -> String {
    let mut out = text.replace(env!("CARGO_PKG_VERSION"), "[VERSION]");
    for (id, label) in ids {
        out = out.replace(id, label).replace(&id[..12], label);
    }
    out
}

/// The bundle id (sha256 of manifest.json) of a bundle, read directly with the zip crate.
pub fn bundle_id(path: &Path) -> String {
    let entries = read_entries(path);
    let manifest = entries
        .iter()
        .find(|(n, _)| n == "manifest.json")
        .expect("manifest");
    support_bundle::bundle::sha256_hex(&manifest.1)
}

/// Every entry of a zip, in order (for tests that rebuild a bundle with a change).
pub fn read_entries(path: &Path) -> Vec<(String, Vec<u8>)> {
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
pub fn write_zip(path: &Path, entries: &[(String, Vec<u8>)]) {
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
pub fn tree(dir: &Path) -> Vec<String> {
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
