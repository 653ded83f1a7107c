//! Completion scripts driven in the real shells: the bash script sourced into `bash --norc`
//! and its completion function called the way readline calls it, fish's `complete -C`, and
//! zsh loading the script through `compinit`.
//!
//! Without a shell installed the test prints why and passes, except under CI (`CI` set),
//! where a missing shell is a failure: CI installs them.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::harness::Test;

/// The shell at `/usr/bin/<name>` or `/bin/<name>`, if installed.
fn shell(name: &str) -> Option<PathBuf> {
    let found = ["/usr/bin", "/bin"]
        .iter()
        .map(|dir| Path::new(dir).join(name))
        .find(|p| p.is_file());
    if found.is_none() {
        assert!(
            std::env::var_os("CI").is_none(),
            "{name} is missing, and CI is expected to install it"
        );
        eprintln!("skipping: {name} is not installed");
    }
    found
}

/// The completion script for `shell`, written to `<tmp>/support-bundle.<shell>`.
fn script(t: &Test, shell: &str) -> PathBuf {
    let out = Test::new().args(["completions", shell]).run();
    out.success();
    expect!(out, !out.stdout.is_empty(), "empty {shell} script");
    let path = t.join(&format!("support-bundle.{shell}"));
    std::fs::write(&path, &out.stdout).expect("write completion script");
    path
}

/// Run `program args...` in `<tmp>/work` with only `HOME` (the test's) and a system `PATH`,
/// and no stdin; (exit success, stdout, stderr). Killed after 30 seconds.
fn run_shell(t: &Test, program: &Path, args: &[&str]) -> (bool, String, String) {
    let home = t.join("home");
    let mut child = Command::new(program)
        .args(args)
        .env_clear()
        .env("HOME", &home)
        .env("XDG_CONFIG_HOME", home.join(".config"))
        .env("XDG_DATA_HOME", home.join(".local/share"))
        .env("XDG_CACHE_HOME", home.join(".cache"))
        .env("PATH", "/usr/bin:/bin")
        .env("TERM", "dumb")
        .current_dir(t.join("work"))
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("spawn {}: {e}", program.display()));
    let deadline = Instant::now() + Duration::from_secs(30);
    while child.try_wait().expect("wait for shell").is_none() {
        if Instant::now() > deadline {
            let _ = child.kill();
            break;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let out = child.wait_with_output().expect("shell output");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Single-quote `s` for a POSIX shell.
fn quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', r"'\''"))
}

/// The built-in spec names, from `specs`.
fn builtin_specs() -> Vec<String> {
    let out = Test::new().args(["specs"]).run();
    out.success();
    out.stdout
        .lines()
        .filter_map(|l| l.split_whitespace().next())
        .map(String::from)
        .collect()
}

/// The subcommands `--help` lists, without `help`.
fn subcommands() -> Vec<String> {
    let out = Test::new().args(["--help"]).run();
    out.success();
    out.stdout
        .lines()
        .skip_while(|l| l.trim() != "Commands:")
        .skip(1)
        .take_while(|l| !l.trim().is_empty())
        .filter_map(|l| l.split_whitespace().next())
        .filter(|name| *name != "help")
        .map(String::from)
        .collect()
}

/// Bash completions for each command line in `lines` (the last word is the one being
/// completed; a trailing space means an empty word): what the registered completion
/// function puts in `COMPREPLY`, called as readline calls it.
fn bash_complete(t: &Test, bash: &Path, lines: &[&str]) -> Vec<Vec<String>> {
    let script = script(t, "bash");
    let mut driver = format!(
        "set -u\nsource {}\nfn=$(complete -p support-bundle | sed -n 's/.*-F \\([^ ]*\\) .*/\\1/p')\n",
        quote(&script.to_string_lossy())
    );
    for line in lines {
        driver.push_str(&format!(
            "COMP_LINE={}\nCOMP_POINT=${{#COMP_LINE}}\nread -ra COMP_WORDS <<< \"$COMP_LINE\"\n\
             [[ $COMP_LINE == *' ' ]] && COMP_WORDS+=('')\nCOMP_CWORD=$(( ${{#COMP_WORDS[@]}} - 1 ))\n\
             COMPREPLY=()\n\"$fn\" support-bundle \"${{COMP_WORDS[COMP_CWORD]}}\" \"${{COMP_WORDS[COMP_CWORD-1]}}\"\n\
             printf '%s\\n' \"${{COMPREPLY[*]-}}\"\n",
            quote(line)
        ));
    }
    let (ok, stdout, stderr) = run_shell(t, bash, &["--norc", "--noprofile", "-c", &driver]);
    assert!(ok, "bash failed\nstdout:\n{stdout}\nstderr:\n{stderr}");
    let replies: Vec<Vec<String>> = stdout
        .lines()
        .map(|l| l.split_whitespace().map(String::from).collect())
        .collect();
    assert_eq!(
        replies.len(),
        lines.len(),
        "one reply per line expected\nstdout:\n{stdout}\nstderr:\n{stderr}"
    );
    replies
}

#[test]
fn bash_completes_subcommands_their_options_and_values() {
    let Some(bash) = shell("bash") else { return };
    let t = Test::new();
    let replies = bash_complete(
        &t,
        &bash,
        &[
            "support-bundle col",
            "support-bundle collect --sp",
            "support-bundle collect --spec ",
            "support-bundle collect --spec k",
            "support-bundle check bundle.zip --spec ",
            "support-bundle redact --format ",
            "support-bundle redact --format ya",
            "support-bundle man --d",
        ],
    );
    let specs = builtin_specs();
    for name in ["kestrel", "gojinn", "rust"] {
        assert!(specs.iter().any(|s| s == name), "`specs` lists {specs:?}");
    }
    assert_eq!(replies[0], ["collect"]);
    assert_eq!(replies[1], ["--spec"]);
    assert_eq!(replies[2], specs);
    assert_eq!(replies[3], ["kestrel"]);
    assert_eq!(replies[4], specs);
    assert_eq!(
        replies[5],
        ["text", "toml", "json", "yaml", "ini", "env", "caddyfile"]
    );
    assert_eq!(replies[6], ["yaml"]);
    assert_eq!(replies[7], ["--dir"]);
}

#[test]
fn bash_completes_the_options_of_every_subcommand() {
    let Some(bash) = shell("bash") else { return };
    let t = Test::new();
    let names = subcommands();
    assert!(names.len() >= 10, "subcommands parsed: {names:?}");
    let lines: Vec<String> = names
        .iter()
        .map(|n| format!("support-bundle {n} --h"))
        .collect();
    let lines: Vec<&str> = lines.iter().map(String::as_str).collect();
    let replies = bash_complete(&t, &bash, &lines);
    for (name, reply) in names.iter().zip(&replies) {
        // Every long option `<name> --help` lists that starts with `--h`, `--help` included:
        // the names that open an option line (`-h, --help`), not mentions in descriptions.
        let help = Test::new().args([name.as_str(), "--help"]).run();
        help.success();
        let expected: Vec<&str> = help
            .stdout
            .lines()
            .flat_map(|line| {
                line.split_whitespace()
                    .take_while(|w| w.starts_with('-'))
                    .map(|w| w.trim_end_matches(','))
            })
            .filter(|w| w.starts_with("--h"))
            .collect();
        assert!(expected.contains(&"--help"), "{}", help.stdout);
        assert_eq!(reply, &expected, "support-bundle {name} --h<TAB>");
    }
}

#[test]
fn bash_leaves_spec_paths_to_filename_completion() {
    let Some(bash) = shell("bash") else { return };
    let t = Test::new().file("work/specs/mine.toml", "");
    // No built-in name starts with `./`, so the function offers nothing and bash's
    // `-o default` (filename completion) takes over.
    let replies = bash_complete(&t, &bash, &["support-bundle collect --spec ./sp"]);
    assert!(replies[0].is_empty(), "{replies:?}");
    let script = script(&t, "bash");
    let driver = format!(
        "source {}; complete -p support-bundle",
        quote(&script.to_string_lossy())
    );
    let (ok, stdout, stderr) = run_shell(&t, &bash, &["--norc", "--noprofile", "-c", &driver]);
    assert!(ok, "{stderr}");
    assert!(stdout.contains("-o default"), "{stdout}");
}

#[test]
fn fish_completes_subcommands_and_values() {
    let Some(fish) = shell("fish") else { return };
    let t = Test::new();
    let script = script(&t, "fish");
    let script = quote(&script.to_string_lossy());
    let complete = |line: &str| -> Vec<String> {
        let command = format!("source {script}; complete -C {}", quote(line));
        let (ok, stdout, stderr) = run_shell(&t, &fish, &["--no-config", "-c", &command]);
        assert!(ok, "fish failed for `{line}`\n{stdout}\n{stderr}");
        // Each candidate is `value<TAB>description`.
        stdout
            .lines()
            .filter_map(|l| l.split('\t').next())
            .map(String::from)
            .collect()
    };
    assert_eq!(complete("support-bundle col"), ["collect"]);
    assert_eq!(complete("support-bundle collect --sp"), ["--spec"]);
    let mut specs = complete("support-bundle collect --spec ");
    specs.sort();
    let mut want = builtin_specs();
    want.sort();
    assert_eq!(specs, want);
    assert_eq!(complete("support-bundle redact --format ya"), ["yaml"]);
    // Paths too, for `--spec` only.
    std::fs::create_dir_all(t.join("work/specs")).expect("mkdir");
    std::fs::write(t.join("work/specs/mine.toml"), "").expect("write spec");
    assert_eq!(
        complete("support-bundle collect --spec specs/m"),
        ["specs/mine.toml"]
    );
    assert_eq!(
        complete("support-bundle check b.zip --spec specs/m"),
        ["specs/mine.toml"]
    );
    assert!(complete("support-bundle redact --format specs/m").is_empty());
}

/// Drives an interactive zsh on a pseudo-terminal (zsh's own `zpty`): loads the script
/// through `compinit`, types `$3` and a Tab, and prints what the terminal showed once every
/// word from `$4` on has appeared, or after 10 seconds.
const ZSH_DRIVER: &str = r#"
zmodload zsh/zpty || exit 3
typeset -F SECONDS
zpty sb zsh -f -i
zpty -w sb "autoload -U compinit; compinit -u -d ${(q)2}; source ${(q)1}; PROMPT='%% '"
zpty -wn sb "$3"$'\t'
out=""
expected=("${@:4}")
deadline=$(( SECONDS + 10 ))
while (( SECONDS < deadline )); do
    if zpty -rt sb chunk; then out+=$chunk; else sleep 0.05; fi
    seen=1
    for word in $expected; do [[ $out == *$word* ]] || seen=0; done
    (( seen )) && break
done
zpty -d sb
print -r -- "$out"
"#;

/// What zsh shows after `line` and a Tab, waiting for `expected` to appear.
fn zsh_complete(t: &Test, zsh: &Path, script: &Path, line: &str, expected: &[&str]) -> String {
    let dump = t.join("zcompdump");
    let mut args = vec![
        "-f",
        "-c",
        ZSH_DRIVER,
        "zsh",
        script.to_str().expect("UTF-8 path"),
        dump.to_str().expect("UTF-8 path"),
        line,
    ];
    args.extend(expected);
    let (ok, stdout, stderr) = run_shell(t, zsh, &args);
    assert!(ok, "zsh failed\nstdout:\n{stdout}\nstderr:\n{stderr}");
    stdout
}

#[test]
fn zsh_loads_the_script_through_compinit() {
    let Some(zsh) = shell("zsh") else { return };
    let t = Test::new();
    let script = script(&t, "zsh");
    let dump = t.join("zcompdump");
    let command = format!(
        "autoload -U compinit && compinit -u -d {} && source {} && \
         print -r -- \"registered=${{_comps[support-bundle]}}\" && whence -w _support-bundle",
        quote(&dump.to_string_lossy()),
        quote(&script.to_string_lossy())
    );
    let (ok, stdout, stderr) = run_shell(&t, &zsh, &["-f", "-c", &command]);
    assert!(ok, "zsh failed\nstdout:\n{stdout}\nstderr:\n{stderr}");
    assert!(stderr.trim().is_empty(), "zsh complained:\n{stderr}");
    assert!(
        stdout.lines().any(|l| l == "registered=_support-bundle"),
        "{stdout}"
    );
    assert!(
        stdout.lines().any(|l| l == "_support-bundle: function"),
        "{stdout}"
    );
}

#[test]
fn zsh_completes_on_a_terminal() {
    let Some(zsh) = shell("zsh") else { return };
    let t = Test::new();
    let script = script(&t, "zsh");
    let specs = builtin_specs();
    let spec_words: Vec<&str> = specs.iter().map(String::as_str).collect();
    let shown = zsh_complete(
        &t,
        &zsh,
        &script,
        "support-bundle collect --spec ",
        &spec_words,
    );
    for name in &specs {
        assert!(
            shown.contains(name.as_str()),
            "no `{name}` offered:\n{shown}"
        );
    }
    let formats = ["caddyfile", "yaml"];
    let shown = zsh_complete(
        &t,
        &zsh,
        &script,
        "support-bundle redact --format ",
        &formats,
    );
    for name in formats {
        assert!(shown.contains(name), "no `{name}` offered:\n{shown}");
    }
    let shown = zsh_complete(&t, &zsh, &script, "support-bundle verify --j", &["--json"]);
    assert!(shown.contains("--json"), "`--j` not completed:\n{shown}");
}

#[test]
fn format_values_are_listed_in_help_and_in_the_error_for_a_wrong_one() {
    let out = Test::new().args(["redact", "--help"]).run();
    out.success();
    // Compared with the spaces collapsed: help wraps to the terminal's width.
    let help = out.stdout.split_whitespace().collect::<Vec<_>>().join(" ");
    expect!(
        out,
        help.contains("[possible values: text, toml, json, yaml, ini, env, caddyfile]"),
        "values listed in help"
    );
    let out = Test::new()
        .args(["redact", "--format", "xml"])
        .stdin("x")
        .run();
    out.status(2);
    expect!(
        out,
        out.stderr.contains("invalid value 'xml'") && out.stderr.contains("caddyfile"),
        "the error names the values"
    );
    expect!(out, out.stdout.is_empty(), "nothing redacted");
}
