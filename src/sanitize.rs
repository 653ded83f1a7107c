//! Making text from collected data or bundles safe to print on a terminal.
//!
//! Control characters (C0 other than tab and newline, DEL, C1) are shown escaped, so an
//! ANSI or OSC sequence inside a bundle cannot recolour, retitle or rewrite the user's
//! terminal. Text with nothing to escape is borrowed, not copied.

use std::borrow::Cow;

/// `text` with control characters escaped as `\u{1b}`-style sequences.
pub fn for_terminal(text: &str) -> Cow<'_, str> {
    let unsafe_char = |c: char| (c.is_control() && c != '\n' && c != '\t') || is_bidi(c);
    if !text.chars().any(unsafe_char) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if unsafe_char(c) {
            out.extend(c.escape_unicode());
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// `text` on one line: whitespace runs (newlines included) become single spaces.
pub fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Bidirectional overrides can make printed text read differently from its bytes.
fn is_bidi(c: char) -> bool {
    matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_escape_sequences_and_keeps_plain_text() {
        assert!(matches!(for_terminal("plain text\n"), Cow::Borrowed(_)));
        assert_eq!(for_terminal("a\u{1b}[31mb"), "a\\u{1b}[31mb");
        assert_eq!(for_terminal("\u{1b}]0;title\u{7}"), "\\u{1b}]0;title\\u{7}");
        assert_eq!(for_terminal("x\u{9b}y"), "x\\u{9b}y");
        assert_eq!(for_terminal("a\u{202e}b"), "a\\u{202e}b");
    }
}
