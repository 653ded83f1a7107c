//! `man` and `man --dir`: one page per command with the conventional sections, rendered by
//! the system's `man` where it is installed.

use std::path::Path;

use crate::harness::Test;

/// The sections every page carries, as `.SH` lines.
const SECTIONS: &[&str] = &[
    ".SH NAME",
    ".SH SYNOPSIS",
    ".SH DESCRIPTION",
    ".SH \"EXIT STATUS\"",
    ".SH ENVIRONMENT",
    ".SH FILES",
];

/// The variables the ENVIRONMENT section documents.
const VARIABLES: &[&str] = &[
    "SOURCE_DATE_EPOCH",
    "NO_COLOR",
    "HOME",
    "XDG_CONFIG_HOME",
    "SUPPORT_BUNDLE_PSEUDONYM_KEY",
    "PATH",
];

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

/// Assert the page `name` (`support-bundle-collect`) is well-formed roff with every section.
#[track_caller]
fn assert_page(name: &str, text: &str) {
    let th = text
        .lines()
        .find(|l| l.starts_with(".TH "))
        .unwrap_or_else(|| panic!("{name}: no .TH line\n{text}"));
    assert!(
        th.starts_with(&format!(".TH {name} 1 ")),
        "{name}: title line `{th}`"
    );
    for section in SECTIONS {
        assert!(
            text.lines().any(|l| l == *section),
            "{name}: no `{section}`\n{text}"
        );
    }
    for var in VARIABLES {
        assert!(
            text.contains(&format!("\\fB{var}\\fR")),
            "{name}: ENVIRONMENT misses {var}"
        );
    }
    assert!(
        text.contains("pseudonym.key"),
        "{name}: FILES misses the key"
    );
}

#[test]
fn man_prints_the_top_level_page() {
    let out = Test::new().args(["man"]).run();
    out.success();
    assert_page("support-bundle", &out.stdout);
    // The top-level page lists every subcommand's page.
    for name in subcommands() {
        expect!(
            out,
            out.stdout
                .contains(&format!("support\\-bundle\\-{name}(1)")),
            "no reference to support-bundle-{name}(1)"
        );
    }
}

#[test]
fn man_dir_writes_one_page_per_command() {
    let t = Test::new().args(["man", "--dir", "[TMP]/out/man"]);
    let out = t.run();
    out.success();
    let dir = t.join("out/man");
    let mut want: Vec<String> = subcommands()
        .iter()
        .map(|n| format!("support-bundle-{n}.1"))
        .collect();
    want.push("support-bundle.1".into());
    want.sort();
    let mut found: Vec<String> = std::fs::read_dir(&dir)
        .expect("read man dir")
        .map(|e| {
            e.expect("dir entry")
                .file_name()
                .to_string_lossy()
                .into_owned()
        })
        .collect();
    found.sort();
    // Exactly the pages: no temporary files left behind.
    assert_eq!(found, want, "{out}");
    for file in &found {
        let text = std::fs::read_to_string(dir.join(file)).expect("read page");
        assert_page(file.trim_end_matches(".1"), &text);
        expect!(
            out,
            out.stdout.lines().any(|l| l.ends_with(&format!("/{file}"))),
            "{file} not reported"
        );
    }
    let collect = std::fs::read_to_string(dir.join("support-bundle-collect.1")).expect("read");
    assert!(collect.contains("\\fB128+N\\fR"), "{collect}");
    assert!(
        collect.contains("\\fBsupport\\-bundle collect\\fR"),
        "{collect}"
    );
    let inspect = std::fs::read_to_string(dir.join("support-bundle-inspect.1")).expect("read");
    assert!(
        !inspect.contains("\\fB1\\fR\n"),
        "inspect has no verdict\n{inspect}"
    );

    // A second run replaces the pages in place.
    let again = t.run();
    again.success();
    let mut after: Vec<String> = std::fs::read_dir(&dir)
        .expect("read man dir")
        .map(|e| {
            e.expect("dir entry")
                .file_name()
                .to_string_lossy()
                .into_owned()
        })
        .collect();
    after.sort();
    assert_eq!(after, want);
}

#[test]
fn man_dir_onto_a_file_is_a_clear_error() {
    let t =
        Test::new()
            .file("out/taken", "not a directory")
            .args(["man", "--dir", "[TMP]/out/taken"]);
    let out = t.run();
    out.status(2);
    expect!(
        out,
        out.stderr.starts_with("error: ") && out.stderr.contains("taken"),
        "unclear error"
    );
    expect!(out, out.stdout.is_empty(), "nothing is reported written");
}

#[test]
fn pages_render_with_the_system_man() {
    let man = Path::new("/usr/bin/man");
    if !man.is_file() {
        eprintln!("skipping: man is not installed");
        return;
    }
    let t = Test::new().args(["man", "--dir", "[TMP]/out/man"]);
    t.run().success();
    let page = t.join("out/man/support-bundle-collect.1");
    let out = std::process::Command::new(man)
        .arg("-l")
        .arg(&page)
        .env_clear()
        .env("PATH", "/usr/bin:/bin")
        .env("MANWIDTH", "100")
        .env("MANPAGER", "cat")
        .env("PAGER", "cat")
        .output()
        .expect("run man");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "man failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    for heading in [
        "NAME",
        "SYNOPSIS",
        "EXIT STATUS",
        "ENVIRONMENT",
        "FILES",
        "SEE ALSO",
    ] {
        assert!(
            text.lines().any(|l| l == heading),
            "no {heading} heading\n{text}"
        );
    }
    // Justified text: compare with the spaces collapsed.
    let words = text.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(words.contains("support-bundle-collect - Collect"), "{text}");
}
