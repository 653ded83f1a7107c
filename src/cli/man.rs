//! `man`: the manual pages, one per command (`support-bundle(1)`, `support-bundle-collect(1)`,
//! ...), with the EXIT STATUS, ENVIRONMENT and FILES sections clap does not know about.

use std::path::PathBuf;

use anyhow::Context as _;
use clap::CommandFactory as _;
use clap_mangen::Man;
use clap_mangen::roff::{Roff, bold, italic, roman};
use support_bundle::sanitize::for_terminal;

use super::{Cli, Exit, output};

/// `man [--dir DIR]`.
#[derive(Debug, clap::Args)]
pub(super) struct Args {
    /// Write every page (support-bundle.1, support-bundle-collect.1, ...) into DIR instead of
    /// printing the top-level page
    #[arg(long, value_name = "DIR")]
    dir: Option<PathBuf>,
}

/// Print the top-level page, or write every page into `--dir` and list the paths written.
pub(super) fn run(args: &Args) -> anyhow::Result<Exit> {
    let pages = pages().context("cannot render the man pages")?;
    let Some(dir) = &args.dir else {
        // `pages` puts the top-level page first.
        let top = pages.first().context("no man page rendered")?;
        output::print(&top.text)?;
        return Ok(Exit::Success);
    };
    std::fs::create_dir_all(dir)
        .with_context(|| format!("cannot create directory `{}`", dir.display()))?;
    let mut written = String::new();
    for page in &pages {
        let path = dir.join(&page.file_name);
        support_bundle::atomic::write(&path, page.text.as_bytes(), support_bundle::atomic::PUBLIC)
            .with_context(|| format!("cannot write `{}`", path.display()))?;
        written.push_str(&for_terminal(&path.display().to_string()));
        written.push('\n');
    }
    output::print(&written)?;
    Ok(Exit::Success)
}

/// One rendered manual page.
pub(super) struct Page {
    /// `support-bundle-collect.1`.
    pub file_name: String,
    /// The roff source.
    pub text: String,
}

/// Every page: the top-level command first, then each visible subcommand, depth first.
pub(super) fn pages() -> std::io::Result<Vec<Page>> {
    // `help` is clap's own subcommand; the pages themselves replace it.
    let mut root = Cli::command().disable_help_subcommand(true);
    // Building fills in each subcommand's display name (`support-bundle-collect`) and bin
    // name (`support-bundle collect`), which the titles and synopses use.
    root.build();
    let mut commands = vec![(root.clone(), true)];
    let mut stack: Vec<clap::Command> = visible_subcommands(&root).rev().collect();
    while let Some(cmd) = stack.pop() {
        stack.extend(visible_subcommands(&cmd).rev());
        commands.push((cmd, false));
    }
    commands
        .into_iter()
        .map(|(cmd, is_root)| page(cmd, is_root))
        .collect()
}

fn visible_subcommands(cmd: &clap::Command) -> impl DoubleEndedIterator<Item = clap::Command> {
    cmd.get_subcommands()
        .filter(|s| !s.is_hide_set())
        .cloned()
        .collect::<Vec<_>>()
        .into_iter()
}

fn page(cmd: clap::Command, is_root: bool) -> std::io::Result<Page> {
    let name = cmd.get_name().to_string();
    let has_options = cmd.get_arguments().any(|a| !a.is_hide_set());
    let has_subcommands = cmd.get_subcommands().any(|s| !s.is_hide_set());
    let man = Man::new(cmd).source(format!(
        "{} {}",
        env!("CARGO_PKG_NAME"),
        env!("CARGO_PKG_VERSION")
    ));
    let file_name = man.get_filename();
    let mut out = Vec::new();
    man.render_title(&mut out)?;
    man.render_name_section(&mut out)?;
    man.render_synopsis_section(&mut out)?;
    man.render_description_section(&mut out)?;
    if has_options {
        man.render_options_section(&mut out)?;
    }
    if has_subcommands {
        man.render_subcommands_section(&mut out)?;
    }
    let subcommand = (!is_root).then_some(name.as_str());
    extra_sections(subcommand).to_writer(&mut out)?;
    if is_root {
        man.render_version_section(&mut out)?;
    }
    Ok(Page {
        file_name,
        text: String::from_utf8_lossy(&out).into_owned(),
    })
}

/// An exit status: its code, what it means, and which pages list it.
struct Status {
    code: &'static str,
    meaning: &'static str,
    scope: Scope,
}

/// The pages an exit status appears on.
enum Scope {
    /// Every page.
    All,
    /// These commands' pages and the top-level page.
    Only(&'static [&'static str]),
    /// Every subcommand page but these (a general meaning the listed ones refine).
    Except(&'static [&'static str]),
}

impl Scope {
    /// Whether the page of `subcommand` (`None`: the top-level page) lists the status.
    fn includes(&self, subcommand: Option<&str>) -> bool {
        match (self, subcommand) {
            (Scope::All, _) | (Scope::Only(_), None) => true,
            (Scope::Except(_), None) => false,
            (Scope::Only(names), Some(name)) => names.contains(&name),
            (Scope::Except(names), Some(name)) => !names.contains(&name),
        }
    }
}

const EXIT_STATUS: &[Status] = &[
    Status {
        code: "0",
        meaning: "Success.",
        scope: Scope::Except(&["collect"]),
    },
    Status {
        code: "0",
        meaning: "Success. collect exits 0 whenever it wrote the bundle, even with missing \
                  items or failing checks; its summary says so.",
        scope: Scope::Only(&["collect"]),
    },
    Status {
        code: "1",
        meaning: "A negative verdict: verify found an entry that differs from the manifest, \
                  check a failing check, extract an entry that does not match the manifest, \
                  replay a step that failed, timed out or whose program is not on PATH.",
        scope: Scope::Only(&["verify", "check", "extract", "replay"]),
    },
    Status {
        code: "2",
        meaning: "A usage or input error (bad arguments, spec or rule file, a refused or \
                  unreadable bundle, malformed SOURCE_DATE_EPOCH, unwritable output), with a \
                  one-line cause on standard error.",
        scope: Scope::All,
    },
    Status {
        code: "128+N",
        meaning: "collect was stopped by signal N (130 for Ctrl-C, 143 for SIGTERM, 129 for \
                  SIGHUP): the commands still running were killed with their process groups \
                  and no bundle was written.",
        scope: Scope::Only(&["collect"]),
    },
];

const ENVIRONMENT: &[(&str, &str)] = &[
    (
        "SOURCE_DATE_EPOCH",
        "Seconds since the Unix epoch: the one timestamp of every bundle entry, so that two \
         runs over the same state give identical bytes. Without it, 1980-01-01.",
    ),
    (
        "NO_COLOR",
        "When set, help and error messages are not coloured. Commands a spec runs always get \
         NO_COLOR=1, TERM=dumb and LC_ALL=C, so their output is plain.",
    ),
    (
        "SUPPORT_BUNDLE_PSEUDONYM_KEY",
        "The pseudonym key file, when --pseudonym-key is not given.",
    ),
    (
        "XDG_CONFIG_HOME",
        "Where the default pseudonym key lives (see FILES); if unset or empty, $HOME/.config.",
    ),
    (
        "HOME",
        "Locates the default pseudonym key when XDG_CONFIG_HOME is unset, and is passed to \
         the commands a spec runs.",
    ),
    (
        "PATH",
        "Where the commands a spec runs are looked up; it is passed to them together with \
         HOME and nothing else from the environment.",
    ),
];

const FILES: &[(&str, &str)] = &[
    (
        "$XDG_CONFIG_HOME/support-bundle/pseudonym.key",
        "The per-installation key that turns host names, addresses, e-mail addresses and user \
         names into stable pseudonyms (~/.config/support-bundle/pseudonym.key when \
         XDG_CONFIG_HOME is unset). Created with mode 0600 on first use; it never enters a \
         bundle.",
    ),
    (
        "<project>-bundle-<id>.zip",
        "The bundle collect writes into the --out directory, through a temporary file and a \
         rename.",
    ),
    (
        "<project>-issue.md",
        "The issue body collect writes next to the bundle, for you to edit and file.",
    ),
];

/// EXIT STATUS, ENVIRONMENT, FILES and SEE ALSO for the page of `subcommand` (`None`: the
/// top-level page).
fn extra_sections(subcommand: Option<&str>) -> Roff {
    let mut roff = Roff::new();
    roff.control("SH", ["EXIT STATUS"]);
    for status in EXIT_STATUS {
        if status.scope.includes(subcommand) {
            roff.control("TP", []);
            roff.text([bold(status.code)]);
            roff.text([roman(status.meaning)]);
        }
    }
    roff.control("SH", ["ENVIRONMENT"]);
    for (name, meaning) in ENVIRONMENT {
        roff.control("TP", []);
        roff.text([bold(*name)]);
        roff.text([roman(*meaning)]);
    }
    roff.control("SH", ["FILES"]);
    for (path, meaning) in FILES {
        roff.control("TP", []);
        roff.text([italic(*path)]);
        roff.text([roman(*meaning)]);
    }
    if subcommand.is_some() {
        roff.control("SH", ["SEE ALSO"]);
        roff.text([bold(env!("CARGO_PKG_NAME")), roman("(1)")]);
    }
    roff
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_page_per_visible_command_top_level_first() {
        let pages = pages().expect("render");
        let names: Vec<&str> = pages.iter().map(|p| p.file_name.as_str()).collect();
        assert_eq!(names[0], "support-bundle.1");
        let root = Cli::command();
        for sub in root.get_subcommands().filter(|s| !s.is_hide_set()) {
            let want = format!("support-bundle-{}.1", sub.get_name());
            assert!(names.contains(&want.as_str()), "{want} missing: {names:?}");
        }
        assert!(!names.contains(&"support-bundle-help.1"), "{names:?}");
    }

    fn sections_of(name: &str) -> String {
        extra_sections(Some(name)).to_roff()
    }

    #[test]
    fn exit_statuses_are_scoped_to_their_commands() {
        let verify = extra_sections(Some("verify")).to_roff();
        let inspect = extra_sections(Some("inspect")).to_roff();
        let top = extra_sections(None).to_roff();
        assert!(verify.contains("\\fB1\\fR"), "{verify}");
        assert!(!inspect.contains("\\fB1\\fR"), "{inspect}");
        assert!(top.contains("\\fB1\\fR") && top.contains("128+N"), "{top}");
        // One meaning per code on every page.
        for page in [&verify, &inspect, &top, &sections_of("collect")] {
            assert_eq!(page.matches("\\fB0\\fR").count(), 1, "{page}");
        }
    }
}
