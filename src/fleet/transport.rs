//! How a command reaches a host: an argv prefix that runs a command there with stdin and
//! stdout piped (`ssh … HOST --`, `docker exec -i NAME`, `sh -c`).
//!
//! Nothing here speaks a protocol of its own: the transport is a program the user already
//! trusts, and its own configuration (`~/.ssh/config`, agent, known_hosts) applies. Every
//! command runs in a process group of its own with a deadline, and is killed with its group
//! when the deadline passes or the run is cancelled.

use std::fs::File;
use std::io::{self, Read, Write};
use std::os::unix::process::CommandExt as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

/// Largest stderr kept from one command: enough for any error message.
const MAX_STDERR: u64 = 64 * 1024;

/// Largest stdout captured into memory (a probe's lines, `collect --json`'s summary).
const MAX_CAPTURE: u64 = 16 * 1024 * 1024;

/// How often a running command is polled for its end, the deadline and cancellation.
const POLL: Duration = Duration::from_millis(20);

/// A problem with a transport template or a host's address.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TemplateError {
    /// The template is empty or its quotes do not close.
    #[error("transport `{template}`: {why}")]
    Syntax {
        /// The template as given.
        template: String,
        /// What is wrong.
        why: String,
    },
    /// A host field the template has no place for.
    #[error("transport `{template}` has no `{{{field}}}`, but host `{host}` sets `{field}`")]
    Unused {
        /// The template as given.
        template: String,
        /// The host.
        host: String,
        /// `port` or `user`.
        field: &'static str,
    },
    /// A placeholder the host gives no value for.
    #[error("transport `{template}` needs `{{{field}}}`, but host `{host}` sets no `{field}`")]
    Missing {
        /// The template as given.
        template: String,
        /// The host.
        host: String,
        /// `port` or `user`.
        field: &'static str,
    },
}

/// Runs commands on one host.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transport {
    /// The argv prefix; the remote command follows it.
    prefix: Vec<String>,
    /// Whether the prefix hands its arguments to a shell as one command line (`ssh`, `sh
    /// -c`), so the remote command goes as one quoted string; otherwise (`docker exec`,
    /// `kubectl exec`) it goes as the words `sh -c SCRIPT`.
    joined: bool,
}

impl Transport {
    /// OpenSSH in batch mode: never a password or host-key prompt, so an unknown or changed
    /// host key and a refused login are errors, never accepted.
    pub fn ssh(host: &str, port: Option<u16>, user: Option<&str>) -> Transport {
        let mut prefix: Vec<String> = vec!["ssh".into(), "-o".into(), "BatchMode=yes".into()];
        if let Some(port) = port {
            prefix.extend(["-p".into(), port.to_string()]);
        }
        if let Some(user) = user {
            prefix.extend(["-l".into(), user.to_string()]);
        }
        prefix.extend([host.to_string(), "--".into()]);
        Transport {
            prefix,
            joined: true,
        }
    }

    /// The transport a template gives for a host: the template split into words like a shell
    /// would (quotes and backslashes, no expansion, no shell run), with `{host}`, `{port}`
    /// and `{user}` filled in. A host that sets a port or user the template has no place for
    /// is an error rather than silently ignored.
    pub fn from_template(
        template: &str,
        host: &str,
        port: Option<u16>,
        user: Option<&str>,
    ) -> Result<Transport, TemplateError> {
        let syntax = |why: &str| TemplateError::Syntax {
            template: template.to_string(),
            why: why.to_string(),
        };
        let words = split_words(template).map_err(|e| syntax(&e))?;
        if words.is_empty() {
            return Err(syntax("empty"));
        }
        for (field, set) in [("port", port.is_some()), ("user", user.is_some())] {
            let named = template.contains(&format!("{{{field}}}"));
            if set && !named {
                return Err(TemplateError::Unused {
                    template: template.to_string(),
                    host: host.to_string(),
                    field,
                });
            }
            if named && !set {
                return Err(TemplateError::Missing {
                    template: template.to_string(),
                    host: host.to_string(),
                    field,
                });
            }
        }
        let port = port.map(|p| p.to_string()).unwrap_or_default();
        let user = user.unwrap_or_default();
        let prefix: Vec<String> = words
            .iter()
            .map(|w| {
                w.replace("{host}", host)
                    .replace("{port}", &port)
                    .replace("{user}", user)
            })
            .collect();
        let program = Path::new(&prefix[0])
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let joined = program == "ssh" || prefix.last().is_some_and(|w| w == "-c");
        Ok(Transport { prefix, joined })
    }

    /// The argv prefix.
    pub fn prefix(&self) -> &[String] {
        &self.prefix
    }

    /// The full argv that runs `script` (POSIX sh) on the host.
    pub fn argv(&self, script: &str) -> Vec<String> {
        let mut argv = self.prefix.clone();
        if self.joined {
            argv.push(format!("sh -c {}", quote(script)));
        } else {
            argv.extend(["sh".into(), "-c".into(), script.to_string()]);
        }
        argv
    }

    /// Run `script` on the host with `input` on its stdin and its stdout going to `output`,
    /// until it ends, `deadline` passes or `cancel` is set.
    pub fn run(
        &self,
        script: &str,
        input: Input<'_>,
        output: Output<'_>,
        deadline: Instant,
        cancel: &AtomicBool,
    ) -> Result<Finished, RunError> {
        let argv = self.argv(script);
        let mut command = Command::new(&argv[0]);
        command
            .args(&argv[1..])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            // Out of reach of the terminal's Ctrl-C: the run decides when to stop it, and
            // first removes what it left on the host.
            .process_group(0);
        let mut child = command.spawn().map_err(|e| RunError::Spawn {
            program: argv[0].clone(),
            source: e,
        })?;
        let result = supervise(&mut child, input, output, deadline, cancel);
        if result.is_err() {
            kill_group(&child);
            let _ = child.wait();
        }
        result
    }
}

/// What a command reads on stdin.
#[derive(Debug, Clone, Copy)]
pub enum Input<'a> {
    /// Nothing: stdin is closed at once.
    Empty,
    /// These bytes.
    Bytes(&'a [u8]),
    /// This file's content.
    File(&'a Path),
}

/// Where a command's stdout goes.
#[derive(Debug, Clone, Copy)]
pub enum Output<'a> {
    /// Into [`Finished::stdout`] (at most 16 MiB).
    Capture,
    /// Into this file, created or truncated (0600), at most this many bytes: more is
    /// [`RunError::TooLarge`].
    File(&'a Path, u64),
}

/// A command that ended by itself.
#[derive(Debug)]
pub struct Finished {
    /// Its exit status.
    pub status: ExitStatus,
    /// Its stdout, with [`Output::Capture`].
    pub stdout: Vec<u8>,
    /// Its stderr (at most 64 KiB), lossily decoded.
    pub stderr: String,
}

impl Finished {
    /// Whether it exited 0.
    pub fn success(&self) -> bool {
        self.status.success()
    }
}

/// Why a command did not end by itself.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    /// The transport program could not be started.
    #[error("cannot run `{program}`: {source}")]
    Spawn {
        /// The program.
        program: String,
        /// Why.
        source: io::Error,
    },
    /// The deadline passed; it was killed.
    #[error("timed out")]
    TimedOut,
    /// The run was cancelled (Ctrl-C); it was killed.
    #[error("interrupted")]
    Cancelled,
    /// Its stdout passed the most [`Output::File`] allows; it was killed.
    #[error("its output is larger than {} MiB", .max / (1024 * 1024))]
    TooLarge {
        /// The most allowed, in bytes.
        max: u64,
    },
    /// Its stdout could not be saved.
    #[error("cannot write `{path}`: {source}")]
    Save {
        /// The file.
        path: PathBuf,
        /// Why.
        source: io::Error,
    },
}

fn supervise(
    child: &mut Child,
    input: Input<'_>,
    output: Output<'_>,
    deadline: Instant,
    cancel: &AtomicBool,
) -> Result<Finished, RunError> {
    let stdin = child.stdin.take();
    let stdout = child.stdout.take();
    let stderr = child.stderr.take();
    let sink = match output {
        Output::Capture => None,
        Output::File(path, max) => Some((
            path,
            max,
            create_private(path).map_err(|e| RunError::Save {
                path: path.to_path_buf(),
                source: e,
            })?,
        )),
    };
    let too_large = AtomicBool::new(false);
    let cap = match output {
        Output::File(_, max) => max,
        Output::Capture => MAX_CAPTURE,
    };
    let too_large = &too_large;
    std::thread::scope(|s| {
        // A host that stops reading is not an error of ours: its exit status tells.
        let feeder = s.spawn(move || {
            if let Some(mut pipe) = stdin {
                let _ = match input {
                    Input::Empty => Ok(0),
                    Input::Bytes(b) => pipe.write_all(b).map(|()| 0),
                    Input::File(p) => File::open(p).and_then(|mut f| io::copy(&mut f, &mut pipe)),
                };
            }
        });
        let errs = s.spawn(move || match stderr {
            Some(pipe) => read_stderr(pipe, MAX_STDERR),
            None => String::new(),
        });
        let outs = s.spawn(move || -> Result<Vec<u8>, RunError> {
            let Some(mut pipe) = stdout else {
                return Ok(Vec::new());
            };
            match sink {
                None => {
                    let mut buf = Vec::new();
                    let _ = (&mut pipe).take(MAX_CAPTURE).read_to_end(&mut buf);
                    let _ = io::copy(&mut pipe, &mut io::sink());
                    Ok(buf)
                }
                Some((path, max, mut file)) => {
                    let save = |e| RunError::Save {
                        path: path.to_path_buf(),
                        source: e,
                    };
                    let copied =
                        io::copy(&mut (&mut pipe).take(max + 1), &mut file).map_err(save)?;
                    if copied > max {
                        // The pipe closes as this returns; the command is killed too.
                        too_large.store(true, Ordering::Relaxed);
                        return Err(RunError::TooLarge { max });
                    }
                    file.sync_all().map_err(save)?;
                    Ok(Vec::new())
                }
            }
        });
        let status = loop {
            match child.try_wait() {
                Ok(Some(status)) => break Ok(status),
                Ok(None) => {}
                Err(e) => {
                    break Err(RunError::Spawn {
                        program: "transport".into(),
                        source: e,
                    });
                }
            }
            if cancel.load(Ordering::Relaxed) {
                break Err(RunError::Cancelled);
            }
            if too_large.load(Ordering::Relaxed) {
                break Err(RunError::TooLarge { max: cap });
            }
            if Instant::now() >= deadline {
                break Err(RunError::TimedOut);
            }
            std::thread::sleep(POLL);
        };
        if status.is_err() {
            // The readers end only when every holder of the pipes is gone.
            kill_group(child);
        }
        let _ = feeder.join();
        let stderr = errs.join().unwrap_or_default();
        let stdout = outs
            .join()
            .unwrap_or_else(|_| Ok(Vec::new()))
            .and_then(|out| status.map(|st| (st, out)));
        let (status, stdout) = stdout?;
        Ok(Finished {
            status,
            stdout,
            stderr,
        })
    })
}

/// `path` created or truncated, readable by its owner only from its first byte on (a
/// file already there is made so too).
fn create_private(path: &Path) -> io::Result<File> {
    use std::os::unix::fs::{OpenOptionsExt as _, PermissionsExt as _};
    let file = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(crate::atomic::PRIVATE)
        .open(path)?;
    file.set_permissions(std::fs::Permissions::from_mode(crate::atomic::PRIVATE))?;
    Ok(file)
}

/// At most `cap` bytes of a command's stderr, lossily decoded; the rest is drained, so a
/// chatty command never blocks on a full pipe. When the cap cuts the text, the fragment
/// after its last line end is dropped: a cut line is no longer what was said, and a secret
/// cut there loses the shape its redaction rule knows it by.
fn read_stderr(mut pipe: impl Read, cap: u64) -> String {
    let mut text = Vec::new();
    let _ = (&mut pipe).take(cap).read_to_end(&mut text);
    let more = io::copy(&mut pipe, &mut io::sink()).unwrap_or(1);
    if more > 0 {
        let keep = text.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
        text.truncate(keep);
    }
    String::from_utf8_lossy(&text).into_owned()
}

fn kill_group(child: &Child) {
    if let Ok(pid) = i32::try_from(child.id()) {
        let _ = nix::sys::signal::killpg(
            nix::unistd::Pid::from_raw(pid),
            nix::sys::signal::Signal::SIGKILL,
        );
    }
}

/// `s` as one POSIX shell word.
pub fn quote(s: &str) -> String {
    if !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_./=:,+@%".contains(&b))
    {
        return s.to_string();
    }
    format!("'{}'", s.replace('\'', r"'\''"))
}

/// Split `s` into words as a POSIX shell would, without expanding anything: whitespace
/// separates, single quotes keep everything, double quotes keep all but `\"` `\\` `\$` and
/// `` \` ``, a backslash outside quotes keeps the next character.
pub fn split_words(s: &str) -> Result<Vec<String>, String> {
    let mut words = Vec::new();
    let mut word = String::new();
    let mut in_word = false;
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        match c {
            c if c.is_whitespace() => {
                if in_word {
                    words.push(std::mem::take(&mut word));
                    in_word = false;
                }
            }
            '\'' => {
                in_word = true;
                loop {
                    match chars.next() {
                        Some('\'') => break,
                        Some(c) => word.push(c),
                        None => return Err("a single quote does not close".into()),
                    }
                }
            }
            '"' => {
                in_word = true;
                loop {
                    match chars.next() {
                        Some('"') => break,
                        Some('\\') => match chars.next() {
                            Some(c @ ('"' | '\\' | '$' | '`')) => word.push(c),
                            Some('\n') => {}
                            Some(c) => {
                                word.push('\\');
                                word.push(c);
                            }
                            None => return Err("a double quote does not close".into()),
                        },
                        Some(c) => word.push(c),
                        None => return Err("a double quote does not close".into()),
                    }
                }
            }
            '\\' => {
                in_word = true;
                match chars.next() {
                    Some('\n') => {}
                    Some(c) => word.push(c),
                    None => return Err("it ends in a backslash".into()),
                }
            }
            c => {
                in_word = true;
                word.push(c);
            }
        }
    }
    if in_word {
        words.push(word);
    }
    Ok(words)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn templates_split_like_a_shell_and_fill_placeholders() {
        let t = Transport::from_template(
            r#"ssh -F "my config" -o 'UserKnownHostsFile=/a b' -p {port} {user}@{host} --"#,
            "web-1",
            Some(2222),
            Some("ops"),
        )
        .unwrap();
        assert_eq!(
            t.prefix(),
            [
                "ssh",
                "-F",
                "my config",
                "-o",
                "UserKnownHostsFile=/a b",
                "-p",
                "2222",
                "ops@web-1",
                "--"
            ]
        );
        assert_eq!(
            t.argv("echo 'x'").last().unwrap(),
            r#"sh -c 'echo '\''x'\'''"#
        );
        let docker = Transport::from_template("docker exec -i {host}", "db", None, None).unwrap();
        assert_eq!(
            docker.argv("uname -sm"),
            ["docker", "exec", "-i", "db", "sh", "-c", "uname -sm"]
        );
    }

    #[test]
    fn bad_templates_are_errors() {
        assert!(Transport::from_template("ssh 'open", "h", None, None).is_err());
        assert!(Transport::from_template("  ", "h", None, None).is_err());
        let unused = Transport::from_template("sh -c", "h", Some(22), None).unwrap_err();
        assert!(unused.to_string().contains("{port}"), "{unused}");
        let missing =
            Transport::from_template("ssh -l {user} {host}", "h", None, None).unwrap_err();
        assert!(missing.to_string().contains("sets no `user`"), "{missing}");
    }

    #[test]
    fn the_default_is_batch_mode_ssh() {
        let t = Transport::ssh("h.example", Some(2200), Some("me"));
        assert_eq!(
            t.prefix(),
            [
                "ssh",
                "-o",
                "BatchMode=yes",
                "-p",
                "2200",
                "-l",
                "me",
                "h.example",
                "--"
            ]
        );
    }

    #[test]
    fn a_local_shell_transport_runs_the_script_with_its_input() {
        let t = Transport::from_template("sh -c", "local", None, None).unwrap();
        let never = AtomicBool::new(false);
        let deadline = Instant::now() + Duration::from_secs(20);
        let done = t
            .run(
                "read x; echo \"got $x\"; echo oops >&2; exit 3",
                Input::Bytes(b"it's here\n"),
                Output::Capture,
                deadline,
                &never,
            )
            .unwrap();
        assert_eq!(done.stdout, b"got it's here\n");
        assert_eq!(done.stderr, "oops\n");
        assert_eq!(done.status.code(), Some(3));
    }

    #[test]
    fn a_saved_stdout_is_private_while_it_is_written() {
        use std::os::unix::fs::PermissionsExt as _;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("out.part");
        let t = Transport::from_template("sh -c", "local", None, None).unwrap();
        let never = AtomicBool::new(false);
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        // The script looks at the file while its stdout goes there.
        let done = t
            .run(
                &format!("echo data; ls -l {} >&2", quote(&path.to_string_lossy())),
                Input::Empty,
                Output::File(&path, 1024),
                Instant::now() + Duration::from_secs(20),
                &never,
            )
            .unwrap();
        assert!(done.stderr.starts_with("-rw-------"), "{}", done.stderr);
        assert_eq!(mode(&path), 0o600);
        assert_eq!(std::fs::read(&path).unwrap(), b"data\n");
    }

    #[test]
    fn a_saved_stdout_past_its_cap_is_an_error_and_stops_the_command() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("out.part");
        let t = Transport::from_template("sh -c", "local", None, None).unwrap();
        let never = AtomicBool::new(false);
        let start = Instant::now();
        let run = |script: &str| {
            t.run(
                script,
                Input::Empty,
                Output::File(&path, 10),
                start + Duration::from_secs(20),
                &never,
            )
        };
        assert!(run("printf 0123456789").unwrap().success());
        // A command that would write for ever is stopped, not waited for.
        let err = run("printf 0123456789x; exec sleep 30").unwrap_err();
        assert!(matches!(err, RunError::TooLarge { max: 10 }), "{err}");
        let err = run("yes").unwrap_err();
        assert!(matches!(err, RunError::TooLarge { max: 10 }), "{err}");
        assert!(start.elapsed() < Duration::from_secs(10));
    }

    #[test]
    fn stderr_cut_at_its_cap_keeps_only_whole_lines() {
        let token = "ghp_0123456789abcdefghijABCDEFGHIJ012345";
        let text = format!("first line\nsecond {token}\n");
        // The cap falls inside the token: the fragment before it is dropped with its line.
        let cap = text.find("ghp_").unwrap() as u64 + 12;
        let kept = read_stderr(text.as_bytes(), cap);
        assert_eq!(kept, "first line\n");
        // Under the cap, everything is kept, an unfinished last line too.
        assert_eq!(read_stderr(&b"a\nb"[..], 64), "a\nb");
        assert_eq!(read_stderr(&b"no line end at all"[..], 4), "");
    }

    #[test]
    fn a_command_past_its_deadline_is_killed() {
        let t = Transport::from_template("sh -c", "local", None, None).unwrap();
        let never = AtomicBool::new(false);
        let start = Instant::now();
        let err = t
            .run(
                "sleep 30",
                Input::Empty,
                Output::Capture,
                start + Duration::from_millis(300),
                &never,
            )
            .unwrap_err();
        assert!(matches!(err, RunError::TimedOut), "{err}");
        assert!(start.elapsed() < Duration::from_secs(10));
    }
}
