//! Making text from collected data or bundles safe to print, on a terminal or as JSON.
//!
//! Control characters (C0 other than tab and newline, DEL, C1) and bidirectional overrides
//! are shown escaped, so an ANSI or OSC sequence inside a bundle cannot recolour, retitle,
//! clear or write the clipboard of the user's terminal, and text cannot read differently
//! from its bytes. [`for_terminal`] is for text output; [`json_text`] for JSON, where
//! serde_json escapes C0 only. Text with nothing to escape is borrowed, not copied.

use std::borrow::Cow;

/// Whether `c` must not reach a terminal raw: a control character other than tab and
/// newline (C0, DEL, C1), or a bidirectional override or isolate.
pub fn is_unsafe(c: char) -> bool {
    (c.is_control() && c != '\n' && c != '\t') || is_bidi(c)
}

/// `text` with unsafe characters escaped as `\u{1b}`-style sequences.
pub fn for_terminal(text: &str) -> Cow<'_, str> {
    escape_with(text, is_unsafe, |c, out| out.extend(c.escape_unicode()))
}

/// Serialized JSON `text` with DEL, C1 controls and bidirectional controls written as
/// `\uXXXX` escapes. serde_json already escapes C0 controls; these characters can only
/// occur inside JSON strings, so escaping them keeps the document valid and its values equal.
pub fn json_text(text: &str) -> Cow<'_, str> {
    let raw_in_json = |c: char| c == '\u{7f}' || ('\u{80}'..='\u{9f}').contains(&c) || is_bidi(c);
    escape_with(text, raw_in_json, |c, out| {
        // Every character escaped here is in the Basic Multilingual Plane: one \u escape.
        out.push_str(&format!("\\u{:04x}", u32::from(c)));
    })
}

/// `text` on one line: whitespace runs (newlines included) become single spaces.
pub fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// A zero-width joiner: it shows nothing, but splits a pattern GitHub would link. GitHub
/// finds URLs, `www.` hosts, e-mail addresses and `@mentions` in the text *after* parsing
/// Markdown, so a backslash escape cannot stop them; a character inside the pattern can.
pub const ZWJ: char = '\u{200d}';

/// Where a [`ZWJ`] goes around one character of text bound for Markdown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkBreak {
    /// Before it: the `.` of `www.`.
    Before,
    /// After it: `@` (mentions, e-mail autolinks) and the `:` of `scheme:/` (`http://`).
    After,
}

/// Whether `chars[i]` needs a [`ZWJ`] beside it so that GitHub links and mentions nothing in
/// `chars`, and on which side. Markdown writers escape around it as they need; this is the
/// one place that knows what GitHub autolinks.
pub fn link_break(chars: &[char], i: usize) -> Option<LinkBreak> {
    match chars.get(i)? {
        '@' => Some(LinkBreak::After),
        ':' if chars.get(i + 1) == Some(&'/') => Some(LinkBreak::After),
        '.' if i >= 3
            && chars[i - 3..i]
                .iter()
                .collect::<String>()
                .eq_ignore_ascii_case("www") =>
        {
            Some(LinkBreak::Before)
        }
        _ => None,
    }
}

fn escape_with(
    text: &str,
    unsafe_char: impl Fn(char) -> bool,
    escape: impl Fn(char, &mut String),
) -> Cow<'_, str> {
    if !text.chars().any(&unsafe_char) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if unsafe_char(c) {
            escape(c, &mut out);
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// Bidirectional overrides and isolates can make printed text read differently from its
/// bytes; the implicit marks (LRM, RLM, ALM) can reorder neighbouring text as well.
fn is_bidi(c: char) -> bool {
    matches!(
        c,
        '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{200e}' | '\u{200f}' | '\u{061c}'
    )
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
        assert_eq!(for_terminal("a\u{7f}b"), "a\\u{7f}b");
    }

    #[test]
    fn json_escapes_what_serde_json_leaves_raw_and_stays_equal() {
        let value = "csi\u{9b}31m del\u{7f} rlo\u{202e} isolate\u{2066} esc\u{1b} é 日本";
        let json = serde_json::to_string(value).unwrap();
        // serde_json escapes C0 (ESC) itself, but not C1, DEL or bidi controls.
        assert!(json.contains('\u{9b}') && json.contains('\u{7f}'));
        let safe = json_text(&json);
        assert!(!safe.chars().any(is_unsafe), "{safe}");
        assert!(safe.contains("\\u009b") && safe.contains("\\u007f"));
        assert!(safe.contains("\\u202e") && safe.contains("\\u2066"));
        assert!(safe.contains("é 日本"), "other text is kept: {safe}");
        let back: String = serde_json::from_str(&safe).unwrap();
        assert_eq!(back, value);
        assert!(matches!(json_text("{\"a\": \"plain\"}"), Cow::Borrowed(_)));
    }
}
