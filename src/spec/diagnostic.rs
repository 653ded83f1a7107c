//! Errors in spec files, with the file, line and column they point at.
//!
//! Spans are byte ranges into the source text, stored 0-based and printed 1-based through
//! [`Location::of`] only, so the two conventions never mix.

use std::fmt;
use std::ops::Range;

/// A 1-based line and column in a source text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Location {
    /// 1-based line number.
    pub line: usize,
    /// 1-based column, in characters.
    pub column: usize,
}

impl Location {
    /// The location of byte `offset` in `text` (clamped to the text).
    pub fn of(text: &str, offset: usize) -> Location {
        let offset = floor_char_boundary(text, offset.min(text.len()));
        let before = &text[..offset];
        let line = before.matches('\n').count() + 1;
        let line_start = before.rfind('\n').map_or(0, |i| i + 1);
        let column = text[line_start..offset].chars().count() + 1;
        Location { line, column }
    }
}

fn floor_char_boundary(text: &str, mut offset: usize) -> usize {
    while offset > 0 && !text.is_char_boundary(offset) {
        offset -= 1;
    }
    offset
}

/// One problem in a spec file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    /// What is wrong, starting lowercase, names in backticks.
    pub message: String,
    /// Where, as a byte range into the source; `None` when it concerns the whole file.
    pub span: Option<Range<usize>>,
    /// An optional hint (`did you mean ...`).
    pub help: Option<String>,
}

impl Diagnostic {
    /// A problem at a span.
    pub fn at(span: Option<Range<usize>>, message: impl Into<String>) -> Self {
        Diagnostic {
            message: message.into(),
            span,
            help: None,
        }
    }

    /// Attach a hint.
    pub fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }
}

/// Every problem found in one spec file, with the text needed to point at them.
#[derive(Debug, Clone, thiserror::Error)]
pub struct SpecError {
    /// The file's name as the user gave it (or `built-in:<name>`).
    pub origin: String,
    /// The source text.
    pub text: String,
    /// The problems, in source order.
    pub diagnostics: Vec<Diagnostic>,
}

impl SpecError {
    /// A single problem that is not about the text (e.g. the file could not be read).
    pub fn whole_file(origin: impl Into<String>, message: impl Into<String>) -> Self {
        SpecError {
            origin: origin.into(),
            text: String::new(),
            diagnostics: vec![Diagnostic::at(None, message)],
        }
    }

    /// `origin:line:col` for a diagnostic (just `origin` without a span).
    pub fn position(&self, d: &Diagnostic) -> String {
        match &d.span {
            Some(span) => {
                let loc = Location::of(&self.text, span.start);
                format!("{}:{}:{}", self.origin, loc.line, loc.column)
            }
            None => self.origin.clone(),
        }
    }
}

impl fmt::Display for SpecError {
    /// One line per problem, `file:line:col: message`, then the source line with a caret
    /// underline and the hint, indented so the first line stays greppable.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (n, d) in self.diagnostics.iter().enumerate() {
            if n > 0 {
                writeln!(f)?;
                f.write_str("error: ")?;
            }
            write!(f, "{}: {}", self.position(d), d.message)?;
            if let Some(span) = &d.span {
                write_snippet(f, &self.text, span)?;
            }
            if let Some(help) = &d.help {
                write!(f, "\n  = help: {help}")?;
            }
        }
        Ok(())
    }
}

fn write_snippet(f: &mut fmt::Formatter<'_>, text: &str, span: &Range<usize>) -> fmt::Result {
    let loc = Location::of(text, span.start);
    let Some(line) = text.lines().nth(loc.line - 1) else {
        return Ok(());
    };
    let (line, column) = snippet_window(line.trim_end_matches('\r'), loc.column);
    let gutter = loc.line.to_string();
    let pad = " ".repeat(gutter.len());
    let width = text
        .get(span.clone())
        .map_or(1, |s| s.lines().next().unwrap_or("").chars().count().max(1));
    let width = width.min(line.chars().count().saturating_sub(column - 1).max(1));
    write!(
        f,
        "\n{pad} |\n{gutter} | {line}\n{pad} | {}{}",
        " ".repeat(column - 1),
        "^".repeat(width)
    )
}

/// Most characters of a source line shown under an error.
const MAX_SNIPPET: usize = 100;

/// The part of `line` shown for a span at 1-based `column`: the whole line when short, else
/// [`MAX_SNIPPET`] characters from a little before the column, cut ends marked with `…`.
/// Returns the shown text and the span's column in it.
fn snippet_window(line: &str, column: usize) -> (String, usize) {
    let chars: Vec<char> = line.chars().collect();
    if chars.len() <= MAX_SNIPPET {
        return (line.to_string(), column);
    }
    let from = (column - 1)
        .saturating_sub(MAX_SNIPPET / 4)
        .min(chars.len());
    let to = (from + MAX_SNIPPET).min(chars.len());
    let mut shown = String::new();
    if from > 0 {
        shown.push('…');
    }
    shown.extend(&chars[from..to]);
    if to < chars.len() {
        shown.push('…');
    }
    (shown, column - from + usize::from(from > 0))
}

/// The closest of `candidates` to `word`, if it is close enough to suggest.
pub fn suggest<'a>(word: &str, candidates: &[&'a str]) -> Option<&'a str> {
    candidates
        .iter()
        .map(|c| (edit_distance(word, c), *c))
        .filter(|(d, c)| *d <= 2.max(c.len() / 3))
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            let cost = usize::from(ca != *cb);
            cur.push((prev[j] + cost).min(prev[j + 1] + 1).min(cur[j] + 1));
        }
        prev = cur;
    }
    prev[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn location_is_one_based() {
        let text = "a = 1\nkind = \"fiel\"\n";
        assert_eq!(Location::of(text, 0), Location { line: 1, column: 1 });
        assert_eq!(Location::of(text, 13), Location { line: 2, column: 8 });
        assert_eq!(Location::of(text, 999), Location { line: 3, column: 1 });
    }

    #[test]
    fn display_points_at_the_span() {
        let text = "schema = 1\nkind = \"fiel\"\n".to_string();
        let err = SpecError {
            origin: "x.toml".into(),
            text,
            diagnostics: vec![
                Diagnostic::at(Some(18..24), "unknown kind `fiel`")
                    .with_help("did you mean `file`?"),
            ],
        };
        let shown = err.to_string();
        assert!(
            shown.starts_with("x.toml:2:8: unknown kind `fiel`\n"),
            "{shown}"
        );
        assert!(
            shown.contains("2 | kind = \"fiel\"\n  |        ^^^^^^"),
            "{shown}"
        );
        assert!(shown.ends_with("= help: did you mean `file`?"), "{shown}");
    }

    #[test]
    fn a_long_line_is_shown_cut_around_the_span() {
        let text = format!("name = \"{}\"\n", "a".repeat(5000));
        let err = SpecError {
            origin: "x.toml".into(),
            text,
            diagnostics: vec![Diagnostic::at(Some(7..5009), "too long")],
        };
        let shown = err.to_string();
        assert!(shown.len() < 400, "{shown}");
        assert!(
            shown.contains("1 | name = \"aaaa") && shown.contains("a…\n"),
            "{shown}"
        );
        assert!(shown.contains("  |        ^^^^"), "{shown}");
        let (cut, column) =
            snippet_window(&format!("{}X{}", "b".repeat(300), "c".repeat(300)), 301);
        assert!(cut.starts_with('…') && cut.ends_with('…'), "{cut}");
        assert_eq!(cut.chars().nth(column - 1), Some('X'));
    }

    #[test]
    fn suggests_close_names_only() {
        let kinds = ["system", "command", "file", "listing", "http", "env"];
        assert_eq!(suggest("fiel", &kinds), Some("file"));
        assert_eq!(suggest("comand", &kinds), Some("command"));
        assert_eq!(suggest("zzzzzz", &kinds), None);
    }
}
