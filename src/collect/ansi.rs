//! Removing ANSI terminal escape sequences from collected text (Kestrel colours its logs even
//! when piped).
//!
//! Handled: CSI (`ESC [` params intermediates final, e.g. colours and cursor moves), OSC
//! (`ESC ]` ... ended by BEL or `ESC \`, e.g. hyperlinks and titles), the other string
//! sequences (`ESC P`, `ESC X`, `ESC ^`, `ESC _`), and two- or three-byte escapes
//! (`ESC c`, `ESC ( B`). A sequence cut short by a byte that cannot belong to it is dropped up
//! to that byte, which is then kept; a newline always ends a sequence, so a stray `ESC ]` can
//! never swallow the rest of a log. Eight-bit C1 controls are left alone: in UTF-8 text those
//! bytes are continuation bytes.
//!
//! [`AnsiStripper`] keeps its state between calls, so a sequence split across two reads is
//! still removed.

const ESC: u8 = 0x1b;
const BEL: u8 = 0x07;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
enum State {
    #[default]
    Text,
    /// After `ESC`.
    Escape,
    /// After `ESC` and one or more intermediate bytes (`ESC ( B`).
    EscapeIntermediate,
    /// Inside `ESC [`.
    Csi,
    /// Inside an OSC or other string sequence.
    Str,
    /// Inside a string sequence, after an `ESC` that may start its `ESC \` terminator.
    StrEscape,
}

/// Streaming ANSI escape remover: feed it chunks in order.
#[derive(Debug, Clone, Default)]
pub(super) struct AnsiStripper {
    state: State,
}

impl AnsiStripper {
    /// Append `data` with escape sequences removed to `out`.
    pub(super) fn push(&mut self, data: &[u8], out: &mut Vec<u8>) {
        for &b in data {
            self.state = match self.state {
                State::Text => {
                    if b == ESC {
                        State::Escape
                    } else {
                        out.push(b);
                        State::Text
                    }
                }
                State::Escape => match b {
                    b'[' => State::Csi,
                    b']' | b'P' | b'X' | b'^' | b'_' => State::Str,
                    0x20..=0x2f => State::EscapeIntermediate,
                    0x30..=0x7e => State::Text,
                    ESC => State::Escape,
                    _ => self.keep(b, out),
                },
                State::EscapeIntermediate => match b {
                    0x20..=0x2f => State::EscapeIntermediate,
                    0x30..=0x7e => State::Text,
                    _ => self.keep(b, out),
                },
                State::Csi => match b {
                    0x20..=0x3f => State::Csi,
                    0x40..=0x7e => State::Text,
                    _ => self.keep(b, out),
                },
                State::Str => match b {
                    BEL => State::Text,
                    ESC => State::StrEscape,
                    b'\n' => self.keep(b, out),
                    _ => State::Str,
                },
                State::StrEscape => match b {
                    b'\\' => State::Text,
                    ESC => State::StrEscape,
                    b'\n' => self.keep(b, out),
                    _ => State::Str,
                },
            };
        }
    }

    /// A byte that ends a broken sequence: keep it as text (or start a new sequence).
    fn keep(&self, b: u8, out: &mut Vec<u8>) -> State {
        if b == ESC {
            State::Escape
        } else {
            out.push(b);
            State::Text
        }
    }
}

/// `data` with ANSI escape sequences removed. An unfinished sequence at the end is dropped.
pub fn strip_ansi(data: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(data.len());
    AnsiStripper::default().push(data, &mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(data: &[u8]) -> String {
        String::from_utf8(strip_ansi(data)).unwrap()
    }

    #[test]
    fn removes_colours_and_cursor_moves() {
        assert_eq!(
            s(b"\x1b[2m2026-01-01T00:00:00Z\x1b[0m \x1b[32m INFO\x1b[0m kestrel: started\n"),
            "2026-01-01T00:00:00Z  INFO kestrel: started\n"
        );
        assert_eq!(
            s(b"a\x1b[38;5;208mb\x1b[1;31;48;2;1;2;3mc\x1b[Kd\x1b[?25le"),
            "abcde"
        );
    }

    #[test]
    fn removes_osc_with_either_terminator() {
        assert_eq!(s(b"\x1b]0;title\x07x"), "x");
        assert_eq!(
            s(b"\x1b]8;;https://example.test/\x1b\\link\x1b]8;;\x1b\\ y"),
            "link y"
        );
        assert_eq!(s(b"\x1bPsome dcs\x1b\\z"), "z");
    }

    #[test]
    fn short_escapes() {
        assert_eq!(s(b"\x1bca\x1b(Bb\x1b=c"), "abc");
    }

    #[test]
    fn broken_sequences_do_not_eat_text() {
        // A CSI interrupted by a newline keeps the newline and what follows.
        assert_eq!(s(b"a\x1b[31\nb"), "a\nb");
        // An OSC never crosses a line.
        assert_eq!(s(b"a\x1b]unterminated\nnext line\n"), "a\nnext line\n");
        // An unfinished sequence at the end is dropped.
        assert_eq!(s(b"tail\x1b[3"), "tail");
        assert_eq!(s(b"\x1b\x1b[1mx"), "x");
    }

    #[test]
    fn leaves_plain_utf8_alone() {
        let text = "naïve – ünïcödé \u{9b} [not an escape] \t\r\n";
        assert_eq!(s(text.as_bytes()), text);
    }

    #[test]
    fn split_across_chunks_matches_whole() {
        let input = b"x\x1b[1;32mgreen\x1b[0m \x1b]8;;u\x1b\\l\x1b]8;;\x1b\\ \x1b(Bend\n".repeat(3);
        let whole = strip_ansi(&input);
        for size in [1, 2, 3, 7, 64] {
            let mut stripper = AnsiStripper::default();
            let mut out = Vec::new();
            for chunk in input.chunks(size) {
                stripper.push(chunk, &mut out);
            }
            assert_eq!(out, whole, "chunk size {size}");
        }
    }
}
