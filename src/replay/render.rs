//! `replay`'s text: the plan before anything runs, then each run's result with its output.
//! Every string from the bundle, the spec or a program's output is escaped for the terminal.

use std::fmt::Write as _;

use super::{Outcome, Plan, Report};
use crate::sanitize::for_terminal;

fn s(text: &str) -> String {
    for_terminal(text).into_owned()
}

/// The plan: where the bundle goes and each run's command line and working directory.
pub fn render_plan(plan: &Plan<'_>) -> String {
    let mut out = String::new();
    let dir = s(&plan.dir.to_string_lossy());
    let _ = writeln!(out, "replay steps from {}", s(plan.spec));
    let _ = match (plan.dry_run, plan.kept) {
        (true, _) => writeln!(out, "dry run: would extract to {dir}; nothing is run"),
        (false, true) => writeln!(out, "extracted to {dir}"),
        (false, false) => writeln!(
            out,
            "extracted to {dir} (removed at the end; keep the files with --to DIR)"
        ),
    };
    let total = plan.runs.len();
    for (i, run) in plan.runs.iter().enumerate() {
        let _ = writeln!(
            out,
            "  [{}/{total}] {}: {}",
            i + 1,
            s(&run.step),
            command_line(&run.argv)
        );
        match &run.skip {
            Some(reason) => {
                let _ = writeln!(out, "        skipped: {}", s(reason));
            }
            None => {
                let _ = writeln!(
                    out,
                    "        in {} (timeout {}s)",
                    s(&run.cwd),
                    run.timeout.as_secs_f64()
                );
            }
        }
    }
    out
}

/// Each run's result and output, then the counts. Empty for a dry run, whose plan says it all.
pub fn render(report: &Report) -> String {
    let mut out = String::new();
    if report.dry_run {
        return out;
    }
    let total = report.runs.len();
    for (i, run) in report.runs.iter().enumerate() {
        let mut verdict = run.result.as_str().to_uppercase();
        if let Some(reason) = &run.reason {
            let _ = write!(verdict, ": {}", s(reason));
        }
        if let Some(ms) = run.duration_ms {
            let _ = write!(verdict, " ({:.1}s)", ms as f64 / 1000.0);
        }
        let _ = writeln!(out, "[{}/{total}] {}  {verdict}", i + 1, s(&run.step));
        if let Some(output) = run.output.as_deref().filter(|o| !o.is_empty()) {
            // Stdout's own last newline and the separator's first would show as a blank line.
            let output = output.replace("\n\n--- stderr ---\n", "\n--- stderr ---\n");
            for line in output.lines() {
                let _ = writeln!(out, "  | {}", s(line));
            }
        }
        if run.output_dropped > 0 {
            let _ = writeln!(
                out,
                "  | … {} more bytes of output not kept",
                run.output_dropped
            );
        }
    }
    let _ = writeln!(
        out,
        "{total} run(s): {} ok, {} failed, {} timed out, {} tool missing, {} skipped",
        report.count(Outcome::Ok),
        report.count(Outcome::Failed),
        report.count(Outcome::Timeout),
        report.count(Outcome::ToolMissing),
        report.count(Outcome::Skipped),
    );
    if report.kept {
        let _ = writeln!(out, "files kept in {}", s(&report.dir));
    }
    out
}

/// An argv as one line a reader can copy: words with spaces or quotes single-quoted.
fn command_line(argv: &[String]) -> String {
    let words: Vec<String> = argv
        .iter()
        .map(|w| {
            let plain = !w.is_empty()
                && w.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"-_./=:,+@%".contains(&b));
            if plain {
                s(w)
            } else {
                format!("'{}'", s(&w.replace('\'', "'\\''")))
            }
        })
        .collect();
    words.join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::replay::Run;

    fn run(step: &str, result: Outcome, reason: Option<&str>, output: Option<&str>) -> Run {
        Run {
            step: step.into(),
            entry: None,
            argv: vec!["tool".into()],
            cwd: "/x".into(),
            timeout_secs: 1.0,
            result,
            exit_code: None,
            reason: reason.map(String::from),
            output: output.map(String::from),
            output_dropped: 0,
            duration_ms: output.map(|_| 1500),
        }
    }

    #[test]
    fn results_show_reason_output_and_counts() {
        let report = Report {
            bundle_id: "0".repeat(64),
            spec: "built-in:demo".into(),
            dir: "/x".into(),
            kept: false,
            dry_run: false,
            runs: vec![
                run(
                    "a",
                    Outcome::Ok,
                    None,
                    Some("out\n\n--- stderr ---\nerr\u{1b}[2J\n"),
                ),
                run("b", Outcome::Failed, Some("exit status 3"), Some("")),
                run(
                    "c",
                    Outcome::Skipped,
                    Some("requires `x`, which is missing"),
                    None,
                ),
            ],
        };
        let expected = [
            "[1/3] a  OK (1.5s)",
            "  | out",
            "  | --- stderr ---",
            "  | err\\u{1b}[2J",
            "[2/3] b  FAILED: exit status 3 (1.5s)",
            "[3/3] c  SKIPPED: requires `x`, which is missing",
            "3 run(s): 1 ok, 1 failed, 0 timed out, 0 tool missing, 1 skipped",
        ];
        assert_eq!(render(&report), expected.map(|l| format!("{l}\n")).concat());
        assert!(report.failed());
    }

    #[test]
    fn command_lines_quote_what_a_shell_would_split() {
        let argv = ["gojinn", "replay", "/t/a b.json", "it's", ""].map(String::from);
        assert_eq!(
            command_line(&argv),
            "gojinn replay '/t/a b.json' 'it'\\''s' ''"
        );
        assert_eq!(command_line(&["x\u{1b}[2J".to_string()]), "'x\\u{1b}[2J'");
    }
}
