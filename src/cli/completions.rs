//! `completions`: print a shell completion script, and the `--spec` value parser that offers
//! the built-in spec names to it.

use std::ffi::OsStr;

use clap::CommandFactory as _;
use clap::builder::{PossibleValue, StringValueParser, TypedValueParser};
use clap_complete::Shell;
use support_bundle::spec::{self, BUILTINS};

use super::{Cli, Exit, output};

/// The name the scripts complete; the one `cargo install` puts on `PATH`.
const BIN_NAME: &str = "support-bundle";

/// What clap_complete's bash generator puts between the parts of a subcommand's state name.
const BASH_CMD_SEP: &str = "__subcmd__";

/// `completions SHELL`.
#[derive(Debug, clap::Args)]
pub(super) struct Args {
    /// The shell
    shell: Shell,
}

/// Print the script for the shell.
pub(super) fn run(args: &Args) -> anyhow::Result<Exit> {
    output::print(&script(args.shell))?;
    Ok(Exit::Success)
}

/// The completion script for `shell`.
pub(super) fn script(shell: Shell) -> String {
    let mut buf = Vec::new();
    clap_complete::generate(shell, &mut Cli::command(), BIN_NAME, &mut buf);
    let script = String::from_utf8_lossy(&buf).into_owned();
    match shell {
        Shell::Bash => fix_bash_state_names(&script, BIN_NAME),
        Shell::Fish => fish_spec_paths(&script),
        _ => script,
    }
}

/// Let fish complete file names after `--spec` as well as the built-in names.
///
/// For an option with possible values clap_complete writes `-r -f -a "<values>"`, and `-f`
/// turns file completion off; `-F` keeps it on. (Bash needs nothing: when no built-in name
/// matches, its `-o default` falls back to file names.)
fn fish_spec_paths(script: &str) -> String {
    let mut out = String::with_capacity(script.len());
    for line in script.split_inclusive('\n') {
        if line.starts_with("complete ") && line.contains(" -l spec ") {
            out.push_str(&line.replacen(" -r -f -a \"", " -r -F -a \"", 1));
        } else {
            out.push_str(line);
        }
    }
    out
}

/// Make the bash script's `case "${cmd}"` arms use the state names its word loop assigns.
///
/// clap_complete's bash generator escapes a hyphen in the binary name as `__` when it walks
/// the words (`support__bundle__subcmd__collect`) but as `__subcmd__` when it writes the arms
/// (`support__subcmd__bundle__subcmd__collect`), so for a hyphenated binary no subcommand arm
/// ever matches and completion past the subcommand name offers nothing. Both spellings start
/// with the escaped binary name followed by the separator, so rewriting that prefix is exact;
/// once the generator agrees with itself the prefix no longer occurs and this is a no-op.
fn fix_bash_state_names(script: &str, bin: &str) -> String {
    if !bin.contains('-') {
        return script.to_string();
    }
    let arm_prefix = format!("{}{BASH_CMD_SEP}", bin.replace('-', BASH_CMD_SEP));
    let loop_prefix = format!("{}{BASH_CMD_SEP}", bin.replace('-', "__"));
    script.replace(&arm_prefix, &loop_prefix)
}

/// The `--spec NAME|PATH` value: any string (a path is fine), offering the built-in spec
/// names, each with its description, to completion scripts.
#[derive(Debug, Clone, Copy)]
pub(super) struct SpecName;

impl TypedValueParser for SpecName {
    type Value = String;

    fn parse_ref(
        &self,
        cmd: &clap::Command,
        arg: Option<&clap::Arg>,
        value: &OsStr,
    ) -> Result<String, clap::Error> {
        StringValueParser::new().parse_ref(cmd, arg, value)
    }

    // Only asked for by completion generators and help, so the specs are parsed for their
    // descriptions then and not on every run.
    fn possible_values(&self) -> Option<Box<dyn Iterator<Item = PossibleValue> + '_>> {
        Some(Box::new(BUILTINS.iter().map(|b| {
            let description = spec::parse(&format!("built-in:{}", b.name), b.text)
                .ok()
                .and_then(|s| s.project.description);
            PossibleValue::new(b.name).help(description.unwrap_or_default())
        })))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The state names the bash word loop assigns (`cmd="..."`) and the arms it matches.
    fn bash_states(script: &str) -> (Vec<String>, Vec<String>) {
        let assigned = script
            .lines()
            .filter_map(|l| l.trim().strip_prefix("cmd=\""))
            .filter_map(|l| l.strip_suffix('"'))
            .filter(|s| !s.is_empty())
            .map(String::from)
            .collect();
        let arms = script
            .lines()
            .skip_while(|l| l.trim() != "case \"${cmd}\" in")
            .filter(|l| l.starts_with("        ") && !l.starts_with("         "))
            .filter_map(|l| l.trim().strip_suffix(')'))
            .map(String::from)
            .collect();
        (assigned, arms)
    }

    #[test]
    fn every_bash_state_the_loop_assigns_has_an_arm() {
        let (assigned, arms) = bash_states(&script(Shell::Bash));
        assert!(assigned.len() > 10, "{assigned:?}");
        let missing: Vec<&String> = assigned.iter().filter(|s| !arms.contains(s)).collect();
        assert!(missing.is_empty(), "no arm for {missing:?}; arms: {arms:?}");
    }

    #[test]
    fn names_without_a_hyphen_are_left_alone() {
        let text = "mytool__subcmd__x)";
        assert_eq!(fix_bash_state_names(text, "mytool"), text);
    }

    #[test]
    fn spec_names_accept_any_path_and_offer_every_builtin() {
        let cmd = clap::Command::new("t");
        let parsed = SpecName.parse_ref(&cmd, None, OsStr::new("./my spec.toml"));
        assert_eq!(parsed.ok().as_deref(), Some("./my spec.toml"));
        let offered: Vec<String> = SpecName
            .possible_values()
            .into_iter()
            .flatten()
            .map(|v| v.get_name().to_string())
            .collect();
        let builtins: Vec<&str> = BUILTINS.iter().map(|b| b.name).collect();
        assert_eq!(offered, builtins);
    }
}
