//! Spec files with mistakes: exit 2 and `error: FILE:LINE:COL: message` first, with a caret
//! under the offending text. Rows are spec text (after a fixed head), line, column, caret
//! width and a message fragment.

use crate::harness::Test;

/// Five lines: the items and checks of each row start on line 6.
const HEAD: &str = "schema = 1\n\n[project]\nname = \"t\"\n\n";

struct Row {
    name: &'static str,
    body: &'static str,
    line: usize,
    column: usize,
    width: usize,
    message: &'static str,
}

const ROWS: &[Row] = &[
    Row {
        name: "unknown key",
        body: "[[collect]]\nid = \"a\"\nkind = \"system\"\ncolour = \"red\"\n",
        line: 9,
        column: 1,
        width: 6,
        message: "unknown field `colour`",
    },
    Row {
        name: "unknown kind",
        body: "[[collect]]\nid = \"a\"\nkind = \"fiel\"\npath = \"x\"\n",
        line: 8,
        column: 8,
        width: 6,
        message: "unknown kind `fiel`",
    },
    Row {
        name: "duplicate id",
        body: "[[collect]]\nid = \"a\"\nkind = \"system\"\n\n[[collect]]\nid = \"a\"\nkind = \"system\"\n",
        line: 11,
        column: 6,
        width: 3,
        message: "duplicate collector id `a`",
    },
    Row {
        name: "bad regex in fact",
        body: "[[collect]]\nid = \"a\"\nkind = \"system\"\nfact = { name = \"v\", regex = '(unclosed' }\n",
        line: 9,
        column: 30,
        width: 11,
        message: "invalid regex",
    },
    Row {
        name: "bad duration",
        body: "[[collect]]\nid = \"a\"\nkind = \"command\"\nargv = [\"true\"]\ntimeout = \"10 parsecs\"\n",
        line: 10,
        column: 11,
        width: 12,
        message: "invalid duration `10 parsecs`",
    },
    Row {
        name: "argv on a file item",
        body: "[[collect]]\nid = \"a\"\nkind = \"file\"\npath = \"x\"\nargv = [\"cat\"]\n",
        line: 10,
        column: 8,
        width: 7,
        message: "key `argv` does not apply to `file` collector `a`",
    },
    Row {
        name: "missing argv",
        body: "[[collect]]\nid = \"a\"\nkind = \"command\"\n",
        line: 8,
        column: 8,
        width: 9,
        message: "`command` collector `a` needs `argv`",
    },
    Row {
        name: "unknown from item",
        body: "[[collect]]\nid = \"a\"\nkind = \"file\"\nfrom = { item = \"nosuch\", regex = 'x' }\n",
        line: 9,
        column: 10,
        width: 15,
        message: "follows unknown collector `nosuch`",
    },
    Row {
        name: "unknown placeholder",
        body: "[[collect]]\nid = \"a\"\nkind = \"file\"\npath = \"{nosuch}/x\"\n",
        line: 9,
        column: 8,
        width: 12,
        message: "unknown placeholder `{nosuch}`",
    },
    Row {
        name: "bad check expression",
        body: "[[check]]\nid = \"c\"\nwhen = \"kernel ~ 5\"\nlevel = \"warn\"\nmessage = \"m\"\n",
        line: 8,
        column: 8,
        width: 12,
        message: "invalid check condition",
    },
    Row {
        name: "bad check level",
        body: "[[check]]\nid = \"c\"\nwhen = \"present x\"\nlevel = \"error\"\nmessage = \"m\"\n",
        line: 9,
        column: 9,
        width: 7,
        message: "unknown check level `error`",
    },
];

/// Run `collect --spec bad.toml` on `text`; return (exit code, stderr).
fn run(text: &str) -> crate::harness::Output {
    Test::new()
        .spec_file("work/bad.toml", text)
        .args(["collect", "--spec", "bad.toml", "--out", "[TMP]/out"])
        .run()
}

/// The caret run under the snippet: (column, width).
fn carets(stderr: &str) -> Option<(usize, usize)> {
    let line = stderr.lines().find(|l| l.contains('^'))?;
    let (_, after_bar) = line.split_once(" | ")?;
    let column = after_bar.find('^')? + 1;
    let width = after_bar[column - 1..]
        .chars()
        .take_while(|c| *c == '^')
        .count();
    Some((column, width))
}

#[test]
fn each_mistake_is_reported_at_its_place() {
    let mut failures = Vec::new();
    for row in ROWS {
        let text = format!("{HEAD}{}", row.body);
        let out = run(&text);
        let first = out.stderr.lines().next().unwrap_or_default().to_string();
        let want = format!("error: bad.toml:{}:{}: ", row.line, row.column);
        let mut problems = Vec::new();
        if out.status.code() != Some(2) {
            problems.push(format!("exit {:?}", out.status.code()));
        }
        if !first.starts_with(&want) {
            problems.push(format!("first line does not start with `{want}`"));
        }
        if !first.contains(row.message) {
            problems.push(format!("first line lacks `{}`", row.message));
        }
        if carets(&out.stderr) != Some((row.column, row.width)) {
            problems.push(format!(
                "carets {:?}, want column {} width {}",
                carets(&out.stderr),
                row.column,
                row.width
            ));
        }
        if out.stderr.contains("panicked") || !out.out_files().is_empty() {
            problems.push("panicked or wrote files".to_string());
        }
        if !problems.is_empty() {
            failures.push(format!(
                "row `{}`: {}\n{out}",
                row.name,
                problems.join("; ")
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn unknown_kind_suggests_the_close_one() {
    let out = run(&format!("{HEAD}{}", ROWS[1].body));
    out.status(2);
    expect!(
        out,
        out.stderr.contains("did you mean `file`?"),
        "help line"
    );
}

#[test]
fn not_toml_at_all() {
    let out = run("this is not toml\n");
    out.status(2);
    let first = out.stderr.lines().next().unwrap_or_default();
    expect!(
        out,
        first.starts_with("error: bad.toml:1:"),
        "points at line 1"
    );
    expect!(out, out.stderr.lines().count() > 1, "a snippet follows");
}

#[test]
fn two_problems_are_both_reported_in_order() {
    let body = "[[collect]]\nid = \"a\"\nkind = \"fiel\"\npath = \"x\"\n\n\
                [[collect]]\nid = \"b\"\nkind = \"system\"\n\n\
                [[collect]]\nid = \"b\"\nkind = \"command\"\nargv = [\"true\"]\ntimeout = \"10 parsecs\"\n";
    let out = run(&format!("{HEAD}{body}"));
    out.status(2);
    let errors: Vec<&str> = out
        .stderr
        .lines()
        .filter(|l| l.starts_with("error: bad.toml:"))
        .collect();
    expect!(
        out,
        errors.len() == 3,
        "three problems, one line each: {errors:?}"
    );
    expect!(
        out,
        errors[0].starts_with("error: bad.toml:8:8: "),
        "kind first"
    );
    expect!(
        out,
        errors[1].starts_with("error: bad.toml:16:6: "),
        "then the duplicate"
    );
    expect!(
        out,
        errors[1].contains("duplicate collector id `b`"),
        "duplicate"
    );
    expect!(
        out,
        errors[2].starts_with("error: bad.toml:19:11: "),
        "then the duration"
    );
}

#[test]
fn unknown_builtin_lists_the_builtins() {
    let out = Test::new().args(["collect", "--spec", "nosuch"]).run();
    out.status(2);
    let first = out.stderr.lines().next().unwrap_or_default();
    for name in ["rust", "kestrel", "gojinn"] {
        expect!(out, first.contains(name), "names built-in `{name}`");
    }
    expect!(
        out,
        !out.stderr.contains("did you mean"),
        "nothing is close to `nosuch`"
    );
}

#[test]
fn misspelt_builtin_gets_a_suggestion() {
    let out = Test::new().args(["collect", "--spec", "kestrl"]).run();
    out.status(2);
    expect!(
        out,
        out.stderr.contains("did you mean `kestrel`?"),
        "suggestion"
    );
}

#[test]
fn missing_spec_file_is_a_usage_error() {
    let out = Test::new()
        .args(["collect", "--spec", "[TMP]/nowhere/spec.toml"])
        .run();
    out.status(2);
    let first = out.stderr_filtered();
    expect!(
        out,
        first.starts_with("error: [TMP]/nowhere/spec.toml"),
        "names the file"
    );
}

#[test]
fn unknown_var_is_a_usage_error() {
    let out = Test::new()
        .args([
            "collect",
            "--spec",
            "gojinn",
            "--var",
            "nosuch=1",
            "--out",
            "[TMP]/out",
        ])
        .run();
    out.status(2);
    let first = out.stderr.lines().next().unwrap_or_default();
    expect!(out, first.contains("nosuch"), "names the variable");
    expect!(
        out,
        first.contains("caddyfile"),
        "lists the spec's variables"
    );
    expect!(out, out.out_files().is_empty(), "nothing written");
}

#[test]
fn var_without_equals_is_a_usage_error() {
    let out = Test::new()
        .args(["collect", "--spec", "gojinn", "--var", "caddyfile"])
        .run();
    out.status(2);
    expect!(
        out,
        out.stderr.contains("NAME=VALUE"),
        "says what is expected"
    );
}

#[test]
fn a_spec_that_is_too_large_or_not_a_file_is_refused_before_it_is_read() {
    // Past the 1 MiB cap: refused, not parsed.
    let big = format!("{HEAD}# {}\n", "x".repeat(1 << 20));
    let out = run(&big);
    out.status(2);
    expect!(
        out,
        out.stderr.contains("larger than 1024 KiB"),
        "names the cap"
    );
    // A device that never ends, and a FIFO nobody writes to: refused at once, no hang.
    for path in ["/dev/zero".to_string(), "[TMP]/work/spec.fifo".to_string()] {
        let t = Test::new().file("work/keep", "");
        let made = std::process::Command::new("mkfifo")
            .arg(t.join("work/spec.fifo"))
            .status()
            .expect("run mkfifo");
        assert!(made.success());
        let out = t
            .args(["collect", "--spec", &path, "--out", "[TMP]/out"])
            .run();
        out.status(2);
        expect!(out, out.stderr.contains("not a regular file"), "says why");
    }
}
