//! The README against the binary: every subcommand `--help` lists has a usage line, and every
//! spec in `collectors/` is a built-in that `specs` lists and that loads.

use std::path::Path;

use crate::harness::Test;

/// The sections of README.md whose code blocks hold the usage lines (`support-bundle NAME ...`).
const USAGE_SECTIONS: &[&str] = &["## Usage", "## Maintainer commands"];

fn readme() -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md");
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The lines inside fenced code blocks of the `##` section headed `heading`.
fn code_lines<'a>(readme: &'a str, heading: &str) -> Vec<&'a str> {
    let mut lines = readme.lines().skip_while(|l| l.trim_end() != heading);
    assert!(
        lines.next().is_some(),
        "README.md has no `{heading}` section"
    );
    let mut fenced = false;
    let mut out = Vec::new();
    for line in lines.take_while(|l| !l.starts_with("## ")) {
        if line.starts_with("```") {
            fenced = !fenced;
        } else if fenced {
            out.push(line);
        }
    }
    out
}

/// The subcommand names `--help` lists under `Commands:`, without `help` itself.
fn subcommands(help: &str) -> Vec<String> {
    help.lines()
        .skip_while(|l| l.trim() != "Commands:")
        .skip(1)
        .take_while(|l| !l.trim().is_empty())
        .filter_map(|l| l.split_whitespace().next())
        .filter(|name| *name != "help")
        .map(String::from)
        .collect()
}

#[test]
fn every_subcommand_has_a_usage_line_in_the_readme() {
    let out = Test::new().args(["--help"]).run();
    out.success();
    let names = subcommands(&out.stdout);
    expect!(out, names.len() >= 10, "subcommands parsed: {names:?}");
    let readme = readme();
    let usage: Vec<&str> = USAGE_SECTIONS
        .iter()
        .flat_map(|h| code_lines(&readme, h))
        .collect();
    let missing: Vec<&String> = names
        .iter()
        .filter(|name| {
            !usage.iter().any(|l| {
                l.strip_prefix("support-bundle ")
                    .and_then(|rest| rest.split_whitespace().next())
                    == Some(name.as_str())
            })
        })
        .collect();
    assert!(
        missing.is_empty(),
        "no `support-bundle NAME` line in the README's {USAGE_SECTIONS:?} blocks for {missing:?}"
    );
}

#[test]
fn every_collector_file_is_a_builtin_that_loads() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("collectors");
    let mut files: Vec<String> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.expect("dir entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .filter_map(|p| Some(p.file_stem()?.to_str()?.to_string()))
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no specs in {}", dir.display());

    let out = Test::new().args(["specs"]).run();
    out.success();
    let listed: Vec<&str> = out
        .stdout
        .lines()
        .filter_map(|l| l.split_whitespace().next())
        .collect();
    assert_eq!(
        listed, files,
        "`specs` lists exactly the files in collectors/"
    );
    for name in listed {
        let text = std::fs::read_to_string(dir.join(format!("{name}.toml"))).expect("read spec");
        let spec = support_bundle::spec::load(name).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(
            spec.text, text,
            "built-in `{name}` is the file in collectors/"
        );
    }
}
