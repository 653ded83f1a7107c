//! The `Test` builder every integration test goes through.
//!
//! A `Test` owns a tempdir laid out as:
//!
//! | path              | what                                                        |
//! |-------------------|-------------------------------------------------------------|
//! | `<tmp>/bin`       | fake commands (`#!/bin/sh` scripts); the whole `PATH`        |
//! | `<tmp>/home`      | `HOME`                                                      |
//! | `<tmp>/work`      | the current directory of the run                            |
//! | `<tmp>/out`       | where tests point `--out` (the bundle and issue land there) |
//! | `<tmp>/pseudonym.key` | 32 fixed bytes, named by `SUPPORT_BUNDLE_PSEUDONYM_KEY` |
//!
//! The binary runs with a cleared environment holding only `PATH`, `HOME`,
//! `SOURCE_DATE_EPOCH`, `SUPPORT_BUNDLE_PSEUDONYM_KEY` and `NO_COLOR`, plus whatever a test
//! adds with [`Test::env`]. `PATH` is the fake-bin dir alone unless a test asks for the system
//! directories with [`Test::system_path`]. Stdin is empty unless given, so there is no TTY.
//!
//! The string `[TMP]` in arguments and environment values stands for the tempdir, and
//! [`Output::filtered`] writes the tempdir back as `[TMP]`, so expected output never depends on
//! where the tempdir happens to be.
//!
//! [`Test::run`] runs the builder's arguments; [`Test::run_with`] runs other arguments on the
//! same tempdir (collect, then inspect the bundle). Every assertion on an [`Output`] prints,
//! when it fails, the command line as a shell would run it, the exit status and both streams;
//! [`Output::stdout_is`] adds a line diff.

use std::collections::BTreeMap;
use std::ffi::OsString;
use std::fmt;
use std::io::{Read, Write};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;
use sha2::{Digest, Sha256};

/// The `SOURCE_DATE_EPOCH` every run gets unless a test overrides it.
pub(crate) const EPOCH: &str = "1795393164";

/// The fixed pseudonym key, so pseudonyms are the same in every run.
pub(crate) const PSEUDONYM_KEY: [u8; 32] = [
    0x5b, 0x17, 0xe2, 0x90, 0x3c, 0x41, 0xaa, 0x08, 0x66, 0xd1, 0x2f, 0x73, 0x9e, 0x04, 0xb8, 0x55,
    0x12, 0xc7, 0x3a, 0xef, 0x81, 0x29, 0x6d, 0xf0, 0x4b, 0x93, 0x0e, 0x7c, 0xd5, 0x38, 0xa6, 0x61,
];

/// The system directories `.system_path()` appends to `PATH`.
pub(crate) const SYSTEM_PATH: &str = "/usr/bin:/bin";

/// Panic with `msg` followed by the run's command line and both streams.
macro_rules! expect {
    ($out:expr, $cond:expr, $($fmt:tt)+) => {
        if !$cond {
            panic!("{}\n{}", format!($($fmt)+), $out);
        }
    };
}

/// A test: a tempdir with files, fake commands and arguments, run once or more.
pub(crate) struct Test {
    // Shared with every `Output`, so the files outlive a `Test` used as a temporary.
    tmp: std::sync::Arc<tempfile::TempDir>,
    args: Vec<String>,
    env: Vec<(String, String)>,
    stdin: Vec<u8>,
    system_path: bool,
    interrupt: Option<(PathBuf, nix::sys::signal::Signal)>,
}

impl Default for Test {
    fn default() -> Self {
        Test::new()
    }
}

impl Test {
    /// A fresh tempdir with `bin`, `home`, `work`, `out` and the pseudonym key.
    pub(crate) fn new() -> Test {
        let tmp = tempfile::Builder::new()
            .prefix("sb-test-")
            .tempdir()
            .expect("create tempdir");
        for dir in ["bin", "home", "work"] {
            std::fs::create_dir_all(tmp.path().join(dir)).expect("create test dir");
        }
        std::fs::write(tmp.path().join("pseudonym.key"), PSEUDONYM_KEY).expect("write key");
        Test {
            tmp: std::sync::Arc::new(tmp),
            args: Vec::new(),
            env: Vec::new(),
            stdin: Vec::new(),
            system_path: false,
            interrupt: None,
        }
    }

    /// Send `signal` to the running binary as soon as `rel` (under the tempdir) exists.
    pub(crate) fn interrupt_when_exists(
        mut self,
        rel: &str,
        signal: nix::sys::signal::Signal,
    ) -> Test {
        self.interrupt = Some((self.join(rel), signal));
        self
    }

    /// The tempdir.
    pub(crate) fn path(&self) -> &Path {
        self.tmp.path()
    }

    /// `<tmp>/rel`.
    pub(crate) fn join(&self, rel: &str) -> PathBuf {
        self.tmp.path().join(rel)
    }

    /// Write a text file at `<tmp>/rel`, creating parent directories.
    pub(crate) fn file(self, rel: &str, contents: &str) -> Test {
        self.binary_file(rel, contents.as_bytes())
    }

    /// Write a file at `<tmp>/rel` with exactly these bytes.
    pub(crate) fn binary_file(self, rel: &str, bytes: &[u8]) -> Test {
        write(&self.join(rel), bytes);
        self
    }

    /// Write an executable `<tmp>/bin/name`: `#!/bin/sh` followed by `script`. `PATH` holds
    /// only `<tmp>/bin`, so scripts use shell built-ins or absolute paths (`/bin/cat`).
    pub(crate) fn fake_command(self, name: &str, script: &str) -> Test {
        let path = self.join(&format!("bin/{name}"));
        write(&path, format!("#!/bin/sh\n{script}").as_bytes());
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755))
            .expect("chmod fake command");
        self
    }

    /// Write an executable `<tmp>/bin/name` that prints exactly `stdout` and exits 0.
    pub(crate) fn fake_output(self, name: &str, stdout: &str) -> Test {
        let quoted = stdout.replace('\'', "'\\''");
        self.fake_command(name, &format!("printf '%s' '{quoted}'\n"))
    }

    /// Write a spec file at `<tmp>/rel`.
    pub(crate) fn spec_file(self, rel: &str, toml: &str) -> Test {
        self.file(rel, toml)
    }

    /// Write the spec at `<tmp>/spec.toml`.
    pub(crate) fn spec(self, toml: &str) -> Test {
        self.file("spec.toml", toml)
    }

    /// Append arguments; `[TMP]` in them stands for the tempdir.
    pub(crate) fn args<I, S>(mut self, args: I) -> Test
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        self.args
            .extend(args.into_iter().map(|a| a.as_ref().to_string()));
        self
    }

    /// Replace the arguments.
    pub(crate) fn set_args<I, S>(&mut self, args: I)
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        self.args = args.into_iter().map(|a| a.as_ref().to_string()).collect();
    }

    /// Set an environment variable (overriding the defaults); `[TMP]` is expanded.
    pub(crate) fn env(mut self, key: &str, value: &str) -> Test {
        self.env.push((key.to_string(), value.to_string()));
        self
    }

    /// Bytes for the run's stdin.
    pub(crate) fn stdin(mut self, bytes: impl AsRef<[u8]>) -> Test {
        self.stdin = bytes.as_ref().to_vec();
        self
    }

    /// Append `/usr/bin:/bin` to `PATH` (for tests that need `sh`, `sleep` or real tools).
    pub(crate) fn system_path(mut self) -> Test {
        self.system_path = true;
        self
    }

    fn expand(&self, s: &str) -> String {
        s.replace("[TMP]", &self.tmp.path().to_string_lossy())
    }

    /// The `PATH` the run gets.
    pub(crate) fn path_env(&self) -> OsString {
        let mut path = self.join("bin").into_os_string();
        if self.system_path {
            path.push(":");
            path.push(SYSTEM_PATH);
        }
        path
    }

    /// The environment of a run, in order (later entries win).
    fn environment(&self) -> Vec<(String, OsString)> {
        let mut env: Vec<(String, OsString)> = vec![
            ("PATH".into(), self.path_env()),
            ("HOME".into(), self.join("home").into_os_string()),
            ("SOURCE_DATE_EPOCH".into(), EPOCH.into()),
            (
                "SUPPORT_BUNDLE_PSEUDONYM_KEY".into(),
                self.join("pseudonym.key").into_os_string(),
            ),
            ("NO_COLOR".into(), "1".into()),
        ];
        for (k, v) in &self.env {
            env.retain(|(old, _)| old != k);
            env.push((k.clone(), self.expand(v).into()));
        }
        env
    }

    /// The binary with `args` (`[TMP]` expanded), in the run's clean environment and working
    /// directory, not started: for a test that needs the running child (its pid, a signal, a
    /// stdout that blocks) rather than [`Test::run_with`]'s finished [`Output`].
    pub(crate) fn command<I, S>(&self, args: I) -> Command
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_support-bundle"));
        cmd.args(args.into_iter().map(|a| self.expand(a.as_ref())))
            .env_clear()
            .envs(self.environment())
            .current_dir(self.join("work"));
        cmd
    }

    /// Run the binary with the builder's arguments and wait for it.
    pub(crate) fn run(&self) -> Output {
        self.run_with(&self.args)
    }

    /// Run the binary with `args` instead of the builder's (for several commands on one
    /// tempdir), in the same environment; `[TMP]` in them stands for the tempdir.
    pub(crate) fn run_with<I, S>(&self, args: I) -> Output
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let args: Vec<String> = args.into_iter().map(|a| self.expand(a.as_ref())).collect();
        let cwd = self.join("work");
        let env = self.environment();
        let mut cmd = self.command(&args);
        cmd.stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let started = Instant::now();
        let mut child = cmd.spawn().expect("spawn support-bundle");
        let mut stdin = child.stdin.take().expect("stdin pipe");
        let input = self.stdin.clone();
        let writer = std::thread::spawn(move || {
            // A program that never reads stdin closes the pipe: not an error here.
            let _ = stdin.write_all(&input);
        });
        if let Some((path, signal)) = self.interrupt.clone() {
            let pid = nix::unistd::Pid::from_raw(i32::try_from(child.id()).expect("pid"));
            std::thread::spawn(move || {
                let deadline = Instant::now() + std::time::Duration::from_secs(20);
                while !path.exists() && Instant::now() < deadline {
                    std::thread::sleep(std::time::Duration::from_millis(20));
                }
                let _ = nix::sys::signal::kill(pid, signal);
            });
        }
        let out = child.wait_with_output().expect("wait for support-bundle");
        let _ = writer.join();
        let out_dir = out_dir(&args, &cwd);
        Output {
            command: command_line(&env, &args, &cwd),
            status: out.status,
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
            elapsed: started.elapsed(),
            tmp: self.tmp.path().to_path_buf(),
            _keep: self.tmp.clone(),
            out_dir,
        }
    }
}

fn write(path: &Path, bytes: &[u8]) {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).expect("create parent dir");
    }
    std::fs::write(path, bytes).unwrap_or_else(|e| panic!("write {}: {e}", path.display()));
}

/// Where `collect` writes: `--out DIR` (relative to the run's cwd), else the cwd itself.
fn out_dir(args: &[String], cwd: &Path) -> PathBuf {
    let mut dir = None;
    for (n, a) in args.iter().enumerate() {
        if a == "--out" {
            dir = args.get(n + 1).cloned();
        } else if let Some(v) = a.strip_prefix("--out=") {
            dir = Some(v.to_string());
        }
    }
    dir.map_or_else(|| cwd.to_path_buf(), |d| cwd.join(d))
}

fn command_line(env: &[(String, OsString)], args: &[String], cwd: &Path) -> String {
    let mut line = format!("cd {} && env -i", cwd.display());
    for (k, v) in env {
        line.push_str(&format!(" {k}={}", v.to_string_lossy()));
    }
    line.push_str(" support-bundle");
    for a in args {
        if a.is_empty() || a.contains(|c: char| c.is_whitespace() || c == '\'' || c == '"') {
            line.push_str(&format!(" '{}'", a.replace('\'', "'\\''")));
        } else {
            line.push(' ');
            line.push_str(a);
        }
    }
    line
}

/// One finished run.
pub(crate) struct Output {
    /// The command line, as a shell would run it.
    pub command: String,
    /// How it ended.
    pub status: ExitStatus,
    /// Standard output, lossily decoded.
    pub stdout: String,
    /// Standard error, lossily decoded.
    pub stderr: String,
    /// Wall time of the run.
    pub elapsed: Duration,
    tmp: PathBuf,
    _keep: std::sync::Arc<tempfile::TempDir>,
    out_dir: PathBuf,
}

impl fmt::Display for Output {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "--- command\n{}", self.command)?;
        writeln!(f, "--- status: {} ({:?})", self.status, self.elapsed)?;
        writeln!(f, "--- stdout\n{}", self.stdout)?;
        writeln!(f, "--- stderr\n{}", self.stderr)
    }
}

impl fmt::Debug for Output {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl Output {
    /// Assert the run ended within `limit`, printing the run when it did not.
    pub(crate) fn finished_within(&self, limit: Duration) {
        expect!(self, self.elapsed < limit, "took {:?}", self.elapsed);
    }

    /// Assert the exit code.
    #[track_caller]
    pub(crate) fn status(&self, code: i32) -> &Output {
        expect!(
            self,
            self.status.code() == Some(code),
            "expected exit code {code}, got {:?}",
            self.status.code()
        );
        self
    }

    /// Assert exit code 0.
    #[track_caller]
    pub(crate) fn success(&self) -> &Output {
        self.status(0)
    }

    /// The exit code, asserting the run neither died by a signal nor panicked (exit 101).
    #[track_caller]
    pub(crate) fn code(&self) -> i32 {
        let code = self.status.code();
        expect!(self, code.is_some(), "killed by a signal");
        expect!(self, code != Some(101), "panicked");
        code.unwrap_or_default()
    }

    /// Assert that stdout, with the tempdir as `[TMP]`, is exactly `expected`; a mismatch
    /// prints a line diff.
    #[track_caller]
    pub(crate) fn stdout_is(&self, expected: &str) -> &Output {
        let actual = self.stdout_filtered();
        expect!(
            self,
            actual == expected,
            "stdout differs (- expected, + actual):\n{}",
            line_diff(expected, &actual)
        );
        self
    }

    /// Assert that stdout contains `needle`.
    #[track_caller]
    pub(crate) fn stdout_has(&self, needle: &str) -> &Output {
        expect!(
            self,
            self.stdout.contains(needle),
            "stdout lacks {needle:?}"
        );
        self
    }

    /// Assert that stderr contains `needle`.
    #[track_caller]
    pub(crate) fn stderr_has(&self, needle: &str) -> &Output {
        expect!(
            self,
            self.stderr.contains(needle),
            "stderr lacks {needle:?}"
        );
        self
    }

    /// `text` with the tempdir written as `[TMP]`.
    pub(crate) fn filtered(&self, text: &str) -> String {
        let tmp = self.tmp.to_string_lossy();
        let mut out = text.replace(tmp.as_ref(), "[TMP]");
        // The tempdir may also be seen through a symlinked /tmp.
        if let Ok(canonical) = self.tmp.canonicalize() {
            out = out.replace(canonical.to_string_lossy().as_ref(), "[TMP]");
        }
        out
    }

    /// Stdout with `[TMP]` for the tempdir.
    pub(crate) fn stdout_filtered(&self) -> String {
        self.filtered(&self.stdout)
    }

    /// Stderr with `[TMP]` for the tempdir.
    pub(crate) fn stderr_filtered(&self) -> String {
        self.filtered(&self.stderr)
    }

    /// The output directory.
    pub(crate) fn out_dir(&self) -> &Path {
        &self.out_dir
    }

    /// Names of the files the run left in its output directory (hidden ones included).
    pub(crate) fn out_files(&self) -> Vec<String> {
        let mut names: Vec<String> = match std::fs::read_dir(&self.out_dir) {
            Ok(dir) => dir
                .filter_map(Result::ok)
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect(),
            Err(_) => Vec::new(),
        };
        names.sort();
        names
    }

    /// The single `*.zip` in the output directory, opened.
    #[track_caller]
    pub(crate) fn bundle(&self) -> Bundle {
        let zips: Vec<String> = self
            .out_files()
            .into_iter()
            .filter(|n| n.ends_with(".zip"))
            .collect();
        expect!(
            self,
            zips.len() == 1,
            "expected exactly one .zip in {}, found {:?}",
            self.out_dir.display(),
            self.out_files()
        );
        let path = self.out_dir.join(&zips[0]);
        Bundle::open(&path).unwrap_or_else(|e| panic!("{e}\n{self}"))
    }

    /// The text of the single `*-issue.md` in the output directory.
    #[track_caller]
    pub(crate) fn issue(&self) -> String {
        let issues: Vec<String> = self
            .out_files()
            .into_iter()
            .filter(|n| n.ends_with("-issue.md"))
            .collect();
        expect!(
            self,
            issues.len() == 1,
            "expected exactly one *-issue.md in {}, found {:?}",
            self.out_dir.display(),
            self.out_files()
        );
        std::fs::read_to_string(self.out_dir.join(&issues[0])).expect("read issue file")
    }

    /// Assert that none of `secrets` appears in the bundle (entries and their names), the
    /// issue file, or either output stream.
    #[track_caller]
    pub(crate) fn assert_no_secrets(&self, secrets: &[&str]) {
        let bundle = self.bundle();
        let issue = self.issue();
        let mut leaks = leaks(&bundle, &issue, secrets);
        for secret in secrets {
            for (name, text) in [("stdout", &self.stdout), ("stderr", &self.stderr)] {
                if text.contains(secret) {
                    leaks.push(format!("`{secret}` in {name}"));
                }
            }
        }
        expect!(
            self,
            leaks.is_empty(),
            "secrets leaked:\n  {}",
            leaks.join("\n  ")
        );
    }
}

/// A unified line diff of `expected` against `actual`, for failure messages.
pub(crate) fn line_diff(expected: &str, actual: &str) -> String {
    similar::TextDiff::from_lines(expected, actual)
        .unified_diff()
        .header("expected", "actual")
        .to_string()
}

/// Every place a secret occurs in a bundle or an issue body.
pub(crate) fn leaks(bundle: &Bundle, issue: &str, secrets: &[&str]) -> Vec<String> {
    let mut found = Vec::new();
    for secret in secrets {
        assert!(!secret.is_empty(), "an empty secret matches everything");
        let needle = secret.as_bytes();
        if bundle.file_name.contains(secret) {
            found.push(format!("`{secret}` in the bundle's file name"));
        }
        for (name, data) in &bundle.entries {
            if name.contains(secret) {
                found.push(format!("`{secret}` in entry name {name}"));
            }
            if contains(data, needle) {
                found.push(format!("`{secret}` in entry {name}"));
            }
        }
        if issue.contains(secret) {
            found.push(format!("`{secret}` in the issue file"));
        }
    }
    found
}

/// Assert that no secret appears in any zip entry, any entry name, or the issue file.
#[track_caller]
pub(crate) fn assert_no_secrets(bundle: &Bundle, issue: &str, secrets: &[&str]) {
    let found = leaks(bundle, issue, secrets);
    assert!(
        found.is_empty(),
        "secrets leaked:\n  {}",
        found.join("\n  ")
    );
}

/// Whether `haystack` contains `needle` (`memmem` is optimised even in debug builds).
pub(crate) fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    !needle.is_empty() && memchr::memmem::find(haystack, needle).is_some()
}

/// Lowercase hex sha256.
pub(crate) fn sha256_hex(data: &[u8]) -> String {
    hex::encode(Sha256::digest(data))
}

/// One zip entry's metadata as the zip crate reads it.
#[derive(Debug, Clone)]
pub(crate) struct EntryMeta {
    /// The entry name.
    pub name: String,
    /// DOS date and time: (year, month, day, hour, minute, second).
    pub modified: Option<(u16, u8, u8, u8, u8, u8)>,
    /// Unix mode bits, if recorded.
    pub unix_mode: Option<u32>,
}

/// An opened bundle.
pub(crate) struct Bundle {
    /// The zip's path.
    pub path: PathBuf,
    /// The zip's file name.
    pub file_name: String,
    /// The zip's bytes.
    pub bytes: Vec<u8>,
    /// Entry name → content.
    pub entries: BTreeMap<String, Vec<u8>>,
    /// Entry metadata, in the zip's own order.
    pub order: Vec<EntryMeta>,
    /// `manifest.json`, parsed.
    pub manifest: Value,
}

impl fmt::Debug for Bundle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names: Vec<&String> = self.entries.keys().collect();
        write!(f, "bundle {} with entries {names:?}", self.file_name)
    }
}

impl Bundle {
    /// Open and read a bundle completely.
    pub(crate) fn open(path: &Path) -> Result<Bundle, String> {
        let bytes = std::fs::read(path).map_err(|e| format!("read {}: {e}", path.display()))?;
        let mut archive = zip::ZipArchive::new(std::io::Cursor::new(bytes.clone()))
            .map_err(|e| format!("open zip {}: {e}", path.display()))?;
        let mut entries = BTreeMap::new();
        let mut order = Vec::new();
        for i in 0..archive.len() {
            let mut file = archive
                .by_index(i)
                .map_err(|e| format!("zip entry {i}: {e}"))?;
            let name = file
                .name()
                .map_err(|e| format!("zip entry {i} name: {e}"))?
                .into_owned();
            let modified = file.last_modified().map(|d| {
                (
                    d.year(),
                    d.month(),
                    d.day(),
                    d.hour(),
                    d.minute(),
                    d.second(),
                )
            });
            let unix_mode = file.unix_mode();
            let mut data = Vec::new();
            file.read_to_end(&mut data)
                .map_err(|e| format!("read zip entry {name}: {e}"))?;
            order.push(EntryMeta {
                name: name.clone(),
                modified,
                unix_mode,
            });
            if entries.insert(name.clone(), data).is_some() {
                return Err(format!("duplicate zip entry {name}"));
            }
        }
        let manifest_bytes = entries
            .get("manifest.json")
            .ok_or_else(|| format!("no manifest.json in {}", path.display()))?;
        let manifest: Value = serde_json::from_slice(manifest_bytes)
            .map_err(|e| format!("manifest.json is not JSON: {e}"))?;
        let file_name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        Ok(Bundle {
            path: path.to_path_buf(),
            file_name,
            bytes,
            entries,
            order,
            manifest,
        })
    }

    /// An entry's content as text (panics if absent).
    #[track_caller]
    pub(crate) fn text(&self, name: &str) -> String {
        let data = self
            .entries
            .get(name)
            .unwrap_or_else(|| panic!("no entry {name} in {self:?}"));
        String::from_utf8_lossy(data).into_owned()
    }

    /// Whether an entry exists.
    pub(crate) fn has(&self, name: &str) -> bool {
        self.entries.contains_key(name)
    }

    /// Entry names under `prefix`.
    pub(crate) fn names_under(&self, prefix: &str) -> Vec<&str> {
        self.entries
            .keys()
            .filter(|n| n.starts_with(prefix))
            .map(String::as_str)
            .collect()
    }

    /// Every manifest item record with this id (a glob item has one per file).
    pub(crate) fn items(&self, id: &str) -> Vec<&Value> {
        self.manifest["items"]
            .as_array()
            .map(|items| items.iter().filter(|i| i["id"] == id).collect())
            .unwrap_or_default()
    }

    /// The single manifest item with this id (panics if there is not exactly one).
    #[track_caller]
    pub(crate) fn item(&self, id: &str) -> &Value {
        let items = self.items(id);
        assert!(
            items.len() == 1,
            "expected one manifest item `{id}`, found {}: {}",
            items.len(),
            serde_json::to_string_pretty(&self.manifest["items"]).unwrap_or_default()
        );
        items[0]
    }

    /// An item's status.
    #[track_caller]
    pub(crate) fn status(&self, id: &str) -> String {
        self.item(id)["status"]
            .as_str()
            .unwrap_or_else(|| panic!("item `{id}` has no status"))
            .to_string()
    }

    /// A fact's value, if present.
    pub(crate) fn fact(&self, name: &str) -> Option<&str> {
        self.manifest["facts"][name]["value"].as_str()
    }

    /// A check's outcome, if the check exists.
    pub(crate) fn check(&self, id: &str) -> Option<&str> {
        self.manifest["checks"]
            .as_array()?
            .iter()
            .find(|c| c["id"] == id)?["outcome"]
            .as_str()
    }

    /// The manifest, pretty-printed, for failure messages.
    pub(crate) fn manifest_text(&self) -> String {
        serde_json::to_string_pretty(&self.manifest).unwrap_or_default()
    }
}

/// Whether a process with this pid exists (zombies count as gone).
pub(crate) fn process_alive(pid: i32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Ok(stat) => {
            // The state follows the parenthesised command name.
            let state = stat
                .rsplit(')')
                .next()
                .and_then(|s| s.split_whitespace().next());
            state != Some("Z") && state != Some("X")
        }
        Err(_) => false,
    }
}

/// A port on 127.0.0.1 that nothing listens on right now.
pub(crate) fn free_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
    listener.local_addr().expect("local addr").port()
}

/// The civil date and time (UTC) of a Unix timestamp: (year, month, day, hour, min, sec).
pub(crate) fn civil_from_unix(secs: u64) -> (u16, u8, u8, u8, u8, u8) {
    let days = (secs / 86_400) as i64;
    let rem = secs % 86_400;
    // Howard Hinnant's days-to-civil algorithm.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = if m <= 2 { y + 1 } else { y };
    (
        y as u16,
        m as u8,
        d as u8,
        (rem / 3600) as u8,
        (rem % 3600 / 60) as u8,
        (rem % 60) as u8,
    )
}

/// A loopback HTTP/1.1 server on its own thread, answering every GET with one fixed body.
/// It serves until the test process ends; the request lines it saw are kept.
pub(crate) struct Server {
    /// The port on 127.0.0.1.
    pub port: u16,
    requests: std::sync::Arc<std::sync::Mutex<Vec<String>>>,
}

impl Server {
    /// Start serving `body` as `content_type`.
    pub(crate) fn start(body: &[u8], content_type: &str) -> Server {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
        let port = listener.local_addr().expect("local addr").port();
        let requests = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let seen = requests.clone();
        let mut response = format!(
            "HTTP/1.1 200 OK\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
            body.len()
        )
        .into_bytes();
        response.extend_from_slice(body);
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(mut stream) = stream else { continue };
                let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
                let mut head = Vec::new();
                let mut byte = [0u8; 1];
                while !head.ends_with(b"\r\n\r\n") && head.len() < 64 * 1024 {
                    match stream.read(&mut byte) {
                        Ok(1) => head.push(byte[0]),
                        _ => break,
                    }
                }
                let line = String::from_utf8_lossy(&head)
                    .lines()
                    .next()
                    .unwrap_or("")
                    .to_string();
                if let Ok(mut seen) = seen.lock() {
                    seen.push(line);
                }
                let _ = stream.write_all(&response);
                let _ = stream.flush();
            }
        });
        Server { port, requests }
    }

    /// `http://127.0.0.1:<port><path>`.
    pub(crate) fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    /// The request lines seen so far (`GET /metrics HTTP/1.1`).
    pub(crate) fn requests(&self) -> Vec<String> {
        self.requests.lock().map(|r| r.clone()).unwrap_or_default()
    }
}

/// The text of a built-in spec, read from the source tree at run time.
pub(crate) fn builtin_spec_text(name: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("collectors/{name}.toml"));
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()))
}
/// A spec collecting `files` binary blobs, `<sysroot>/data/blob-N.bin`, of up to 16 MiB each:
/// large enough that writing the zip takes a while.
pub(crate) fn blob_spec(project: &str, files: usize) -> String {
    let mut spec = format!("schema = 1\n\n[project]\nname = \"{project}\"\n");
    for n in 0..files {
        spec.push_str(&format!(
            "\n[[collect]]\nid = \"blob-{n}\"\nkind = \"file\"\npath = \"/data/blob-{n}.bin\"\n\
             binary = true\nmax_bytes = 16777216\n"
        ));
    }
    spec
}

/// Incompressible bytes (xorshift), so deflate works on every one of them and a zip is as
/// large as its input.
pub(crate) fn noise(len: usize, seed: u64) -> Vec<u8> {
    let mut x = seed | 1;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x >> 24) as u8
        })
        .collect()
}

/// A real policy, read by path where the shared folder sits beside the repository. Under `CI`
/// the folder must be there: a silent skip would let the test pass without running.
pub(crate) fn seed(name: &str) -> Option<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let found = [
        root.join("../shared/seeds"),
        root.join("../../shared/seeds"),
        PathBuf::from("/work/shared/seeds"),
    ]
    .into_iter()
    .map(|d| d.join(name))
    .find(|p| p.is_file());
    assert!(
        found.is_some() || std::env::var_os("CI").is_none(),
        "{name} is not beside the repository, and CI is set"
    );
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn civil_dates_match_known_points() {
        assert_eq!(civil_from_unix(0), (1970, 1, 1, 0, 0, 0));
        assert_eq!(civil_from_unix(951_782_400), (2000, 2, 29, 0, 0, 0));
        assert_eq!(civil_from_unix(315_532_800), (1980, 1, 1, 0, 0, 0));
    }

    /// The message a failed expectation panics with.
    fn failure_message(check: impl FnOnce() + std::panic::UnwindSafe) -> String {
        let payload = std::panic::catch_unwind(check).expect_err("the expectation must fail");
        payload
            .downcast_ref::<String>()
            .cloned()
            .or_else(|| payload.downcast_ref::<&str>().map(|s| s.to_string()))
            .unwrap_or_default()
    }

    #[test]
    fn a_failed_expectation_shows_the_command_both_streams_and_a_diff() {
        let out = Test::new().args(["--version"]).run();
        let msg = failure_message(|| {
            out.stdout_is("support-bundle 0.0.0-not-this\n");
        });
        for part in [
            "stdout differs",
            "-support-bundle 0.0.0-not-this",
            &format!("+support-bundle {}", env!("CARGO_PKG_VERSION")),
            "--- command\n",
            " NO_COLOR=1 support-bundle --version",
            "--- status: exit status: 0",
            "--- stdout\n",
            "--- stderr\n",
        ] {
            assert!(msg.contains(part), "`{part}` missing from:\n{msg}");
        }
        let msg = failure_message(|| {
            Test::new().args(["no-such-subcommand"]).run().success();
        });
        assert!(msg.contains("expected exit code 0, got Some(2)"), "{msg}");
        assert!(msg.contains("no-such-subcommand"), "{msg}");
    }

    #[test]
    fn leaks_are_found_in_content_names_and_issue() {
        let mut entries = BTreeMap::new();
        entries.insert("files/a/x.txt".to_string(), b"token=abc123".to_vec());
        entries.insert("files/b/def456.json".to_string(), b"{}".to_vec());
        let bundle = Bundle {
            path: PathBuf::from("x.zip"),
            file_name: "x.zip".into(),
            bytes: Vec::new(),
            entries,
            order: Vec::new(),
            manifest: Value::Null,
        };
        let found = leaks(
            &bundle,
            "see ghi789",
            &["abc123", "def456", "ghi789", "none"],
        );
        assert_eq!(found.len(), 3, "{found:?}");
    }
}
