//! Private key bodies whose BEGIN line never reached the engine: cut off by a tail
//! (`tail_lines`, a head-and-tail cap, `journalctl -n`), so nothing said a key was starting.
//!
//! A filter on the engine's output. Lines that could be key-body lines (see
//! [`scan::pem_body_span`]) are held back, at most [`MAX_HELD`] bytes of them. A body is
//! full-length key lines (long, mixed-case base64) and at most one short line after them,
//! so a short line after key lines closes the run. The line after the run decides:
//! - an END marker of a private key: the held lines from the first key line on were its body
//!   (or, with no key line, the short line just before the marker), and are masked;
//! - anything else: they go out as they are, unless the run started right after a cut (the
//!   start of the content, or an omission marker line) with a key line: a key cut from its
//!   END as well, masked too.
//!
//! Lines the engine already masked end in `]`, never in base64, so they are never held.

use std::io::{self, Write};
use std::sync::LazyLock;

use memchr::memmem;

use super::scan;

/// A key-body line is short; anything longer passes through without being held.
const MAX_LINE: usize = 1024;
/// The longest key body (RSA 16384 in base64 is about 12 KiB), with room for wrapping.
const MAX_HELD: usize = 64 << 10;
/// A line right after a cut counts as a key line from this many base64 characters.
const STRONG_LEN: usize = 40;

/// What one line is, for this filter.
enum Kind {
    /// `-----END ... PRIVATE KEY-----`.
    End,
    /// An omission marker written where content was cut.
    Cut,
    /// Could be a key-body line: the body's range, whether it looks like one by itself, and
    /// whether it is the whole line (nothing but space or a quote before it).
    Body(usize, usize, bool, bool),
    Plain,
}

/// Built once: a searcher made per line costs more than the search.
static END: LazyLock<memmem::Finder<'static>> = LazyLock::new(|| memmem::Finder::new("-----END"));

/// What `line` is. `may_end` false says it holds no `-----END` (the caller searched a whole
/// buffer of lines for it at once).
fn classify_known(line: &[u8], may_end: bool) -> Kind {
    let text = line.strip_suffix(b"\n").unwrap_or(line);
    // Whether a long line arrived in one write or several must not change what it is.
    if text.len() > MAX_LINE {
        return Kind::Plain;
    }
    static PRIVATE: LazyLock<memmem::Finder<'static>> =
        LazyLock::new(|| memmem::Finder::new("PRIVATE KEY"));
    let end_at = if may_end { END.find(text) } else { None };
    if let Some(at) = end_at {
        if PRIVATE.find(&text[at..]).is_some() {
            return Kind::End;
        }
        return Kind::Plain;
    }
    if text.starts_with(b"[... support-bundle: ") && text.ends_with(b" omitted ...]") {
        return Kind::Cut;
    }
    match scan::pem_body_span(text) {
        Some((s, e)) if e - s >= 4 && keyish(&text[s..e]) => {
            let whole = text[..s]
                .iter()
                .all(|&b| b.is_ascii_whitespace() || matches!(b, b'"' | b'\''));
            Kind::Body(s, e, strong(&text[s..e]), whole)
        }
        _ => Kind::Plain,
    }
}

/// Could end a key body: not a plain word (`done`, `Listening`), which a random base64 run
/// rarely is.
fn keyish(run: &[u8]) -> bool {
    let upper = run.iter().skip(1).any(u8::is_ascii_uppercase);
    let lower = run.iter().any(u8::is_ascii_lowercase);
    (upper && lower)
        || run
            .iter()
            .any(|b| b.is_ascii_digit() || matches!(b, b'+' | b'/' | b'='))
}

/// Long base64 with upper and lower case letters and a digit or `+`/`/`: a key line, not a
/// word or a hex digest.
fn strong(run: &[u8]) -> bool {
    run.len() >= STRONG_LEN
        && run.iter().any(u8::is_ascii_uppercase)
        && run.iter().any(u8::is_ascii_lowercase)
        && run
            .iter()
            .any(|b| b.is_ascii_digit() || matches!(b, b'+' | b'/'))
}

/// The filter; [`OrphanKeys::finish`] must be called at the end of the stream.
pub(crate) struct OrphanKeys<W: Write> {
    inner: W,
    /// `[REDACTED:<id>]` of the PEM rule.
    label: Vec<u8>,
    /// The start of the current line, when it is short enough to be a key line.
    line: Vec<u8>,
    /// The current line is too long to be a key line: passing through to its end.
    long: bool,
    /// Held lines, and the body range in each.
    held: Vec<u8>,
    spans: Vec<(usize, usize)>,
    /// The next line follows a cut.
    at_cut: bool,
    /// No line has been seen yet. The start of the content is a cut only for a line that is
    /// nothing but base64: a log line that ends in a base64 payload is no key.
    at_start: bool,
    /// The held run began right after a cut with a key-like line.
    cut_run: bool,
    /// Body lines are coming one after another (the run may outlast what is held).
    in_run: bool,
    /// The first held line that looks like a key line, by index in `spans`.
    first_strong: Option<usize>,
    /// A short line ended the run's key lines: the next body line starts a new run.
    closed: bool,
    /// Orphan key bodies masked.
    pub masked: u64,
}

impl<W: Write> OrphanKeys<W> {
    pub(super) fn new(inner: W, rule_id: &str) -> Self {
        OrphanKeys {
            inner,
            label: format!("[REDACTED:{rule_id}]").into_bytes(),
            line: Vec::new(),
            long: false,
            held: Vec::new(),
            spans: Vec::new(),
            at_cut: true,
            at_start: true,
            cut_run: false,
            in_run: false,
            first_strong: None,
            closed: false,
            masked: 0,
        }
    }

    /// End of the stream: decide on what is held and flush.
    pub(super) fn finish(&mut self) -> io::Result<()> {
        if !self.line.is_empty() {
            let line = std::mem::take(&mut self.line);
            self.on_line(&line, true)?;
        }
        self.release(self.cut_run)?;
        self.inner.flush()
    }

    /// Write out the held lines, masking their bodies if `mask`.
    fn release(&mut self, mask: bool) -> io::Result<()> {
        if self.held.is_empty() {
            return Ok(());
        }
        let from = self
            .first_strong
            .unwrap_or(self.spans.len().saturating_sub(1));
        if mask {
            let mut pos = 0;
            for &(s, e) in &self.spans[from..] {
                self.inner.write_all(&self.held[pos..s])?;
                self.inner.write_all(&self.label)?;
                pos = e;
            }
            self.inner.write_all(&self.held[pos..])?;
            self.masked += 1;
        } else {
            self.inner.write_all(&self.held)?;
        }
        self.held.clear();
        self.spans.clear();
        self.first_strong = None;
        Ok(())
    }

    /// One whole line (with its newline, except at the end of the stream).
    /// `may_end` false says the line holds no END marker (see [`classify_known`]).
    fn on_line(&mut self, line: &[u8], may_end: bool) -> io::Result<()> {
        let kind = classify_known(line, may_end);
        let after_cut = std::mem::replace(&mut self.at_cut, matches!(kind, Kind::Cut));
        let at_start = std::mem::replace(&mut self.at_start, false);
        match kind {
            Kind::Body(s, e, strong, whole) => {
                if self.closed {
                    self.release(self.cut_run)?;
                    self.in_run = false;
                    self.closed = false;
                }
                if !self.in_run {
                    self.in_run = true;
                    self.cut_run = after_cut && strong && (whole || !at_start);
                }
                if self.held.len() + line.len() > MAX_HELD {
                    self.release(self.cut_run)?;
                }
                let at = self.held.len();
                self.held.extend_from_slice(line);
                self.spans.push((at + s, at + e));
                if strong {
                    self.first_strong.get_or_insert(self.spans.len() - 1);
                } else if self.first_strong.is_some() {
                    self.closed = true;
                }
                return Ok(());
            }
            Kind::End => self.release(true)?,
            Kind::Cut | Kind::Plain => self.release(self.cut_run)?,
        }
        self.in_run = false;
        self.cut_run = false;
        self.closed = false;
        self.inner.write_all(line)
    }

    /// Finish a line held over from the previous write with the start of `buf`; returns how
    /// many bytes of `buf` it took.
    fn carry_over(&mut self, buf: &[u8]) -> io::Result<usize> {
        let nl = memchr::memchr(b'\n', buf);
        let end = nl.map_or(buf.len(), |i| i + 1);
        if self.long {
            self.inner.write_all(&buf[..end])?;
            if nl.is_some() {
                self.long = false;
                self.at_cut = false;
                self.at_start = false;
            }
            return Ok(end);
        }
        self.line.extend_from_slice(&buf[..end]);
        if nl.is_some() {
            let line = std::mem::take(&mut self.line);
            self.on_line(&line, true)?;
            self.line = line;
            self.line.clear();
        } else if self.line.len() > MAX_LINE {
            self.pass_long_start()?;
        }
        Ok(end)
    }

    /// The current line is too long for a key line: it ends any run and passes through.
    fn pass_long_start(&mut self) -> io::Result<()> {
        self.release(self.cut_run)?;
        self.in_run = false;
        self.cut_run = false;
        self.closed = false;
        self.at_cut = false;
        self.at_start = false;
        self.inner.write_all(&self.line)?;
        self.line.clear();
        self.long = true;
        Ok(())
    }
}

impl<W: Write> Write for OrphanKeys<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let mut at = 0;
        if self.long || !self.line.is_empty() {
            at = self.carry_over(buf)?;
        }
        // Plain lines while nothing is held go out in one piece from `pass`.
        let mut pass = at;
        // The next END marker: one search for the buffer instead of one per line.
        let mut next_end = None;
        while at < buf.len() {
            if next_end.is_none_or(|e| e < at) {
                next_end = Some(END.find(&buf[at..]).map_or(buf.len(), |i| at + i));
            }
            let Some(i) = memchr::memchr(b'\n', &buf[at..]) else {
                self.inner.write_all(&buf[pass..at])?;
                self.line.extend_from_slice(&buf[at..]);
                if self.line.len() > MAX_LINE {
                    self.pass_long_start()?;
                }
                return Ok(buf.len());
            };
            let end = at + i + 1;
            let line = &buf[at..end];
            let may_end = next_end.is_some_and(|e| e < end);
            if self.held.is_empty() && !self.at_cut {
                let plain_to = match classify_known(line, may_end) {
                    Kind::Plain => Some(end),
                    // A lone weak body line (a log line ending in an id) is masked only when
                    // an END line comes next, and starts no run that could outlive a plain
                    // line: with a plain line next, both pass as they are.
                    Kind::Body(_, _, false, _) => memchr::memchr(b'\n', &buf[end..])
                        .map(|i| end + i + 1)
                        .filter(|&next| {
                            let may_end = next_end.is_some_and(|e| e < next);
                            matches!(classify_known(&buf[end..next], may_end), Kind::Plain)
                        }),
                    _ => None,
                };
                if let Some(to) = plain_to {
                    self.in_run = false;
                    self.closed = false;
                    self.at_start = false;
                    at = to;
                    continue;
                }
            }
            self.inner.write_all(&buf[pass..at])?;
            self.on_line(line, may_end)?;
            at = end;
            pass = end;
        }
        self.inner.write_all(&buf[pass..])?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        // What is held cannot be decided before the next line: only the inner writer flushes.
        self.inner.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const L1: &str = "MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7VJTUt9Us8cKj";
    const L2: &str = "MzEfYyjiWA4R4/M2bS1GB4t7NXp98C3SC6dVMvDuictGeurT8jNbvJZHtCSuYEvu";

    fn filter(pieces: &[&str]) -> (String, u64) {
        let mut out = Vec::new();
        let mut f = OrphanKeys::new(&mut out, "private-key");
        for p in pieces {
            f.write_all(p.as_bytes()).unwrap();
        }
        f.finish().unwrap();
        let n = f.masked;
        (String::from_utf8(out).unwrap(), n)
    }

    #[test]
    fn body_before_an_end_line_is_masked() {
        let text = format!("log line\n{L1}\n{L2}\nAbCd==\n-----END PRIVATE KEY-----\nnext\n");
        let want = "log line\n[REDACTED:private-key]\n[REDACTED:private-key]\n\
                    [REDACTED:private-key]\n-----END PRIVATE KEY-----\nnext\n";
        // However the engine's writes split it.
        for cut in [1, 7, 30, 64, 65, 100, text.len()] {
            let (a, b) = text.split_at(cut.min(text.len()));
            assert_eq!(filter(&[a, b]), (want.to_string(), 1), "cut at {cut}");
        }
    }

    /// A log line that ends in an id looks like the short last line of a key body: it is
    /// masked before an END line only, however the writes split the text.
    #[test]
    fn a_line_ending_in_an_id_is_masked_only_before_an_end() {
        let end = "-----END PRIVATE KEY-----";
        let cases = [
            (
                format!("a\nreq 9f3Kx2\n{end}\nb\n"),
                format!("a\nreq [REDACTED:private-key]\n{end}\nb\n"),
                1,
            ),
            ("a\nreq 9f3Kx2\nplain\nb\n".to_string(), String::new(), 0),
            (
                "req 9f3Kx2\nid 77aB90\nplain\n".to_string(),
                String::new(),
                0,
            ),
            (
                format!("req 9f3Kx2\n{L1}\nAbCd==\n{end}\n"),
                format!("req 9f3Kx2\n[REDACTED:private-key]\n[REDACTED:private-key]\n{end}\n"),
                1,
            ),
        ];
        for (text, want, n) in cases {
            let want = if want.is_empty() { text.clone() } else { want };
            for cut in 0..=text.len() {
                let (a, b) = text.split_at(cut);
                assert_eq!(filter(&[a, b]), (want.clone(), n), "cut at {cut}: {text}");
            }
        }
    }

    #[test]
    fn body_after_a_cut_is_masked_without_an_end() {
        let text =
            format!("[... support-bundle: first 9 bytes omitted ...]\n{L1}\n{L2}\nplain words\n");
        let (out, n) = filter(&[&text]);
        assert_eq!(n, 1);
        assert!(!out.contains(L1) && !out.contains(L2), "{out}");
        assert!(out.ends_with("plain words\n"));
        // At the very start of the content too, when the line is nothing but the key line.
        let (out, _) = filter(&[&format!("{L2}\n")]);
        assert_eq!(out, "[REDACTED:private-key]\n");
        let payload = format!("body (base64): {L2}\n");
        assert_eq!(filter(&[&payload]), (payload.clone(), 0));
    }

    #[test]
    fn ordinary_lines_are_kept() {
        let text = format!(
            "word\nsha256 0123456789abcdef0123456789abcdef0123456789abcdef\n{L1}\nend\n\
             -----END CERTIFICATE-----\n"
        );
        // A base64 line in the middle of a log, not after a cut and before no private key END.
        let text = format!("first\n{text}");
        assert_eq!(filter(&[&text]), (text.clone(), 0));
        let long = format!("{}\n{L1}\n", "x".repeat(5000));
        assert_eq!(filter(&[&long[..100], &long[100..]]), (long.clone(), 0));
    }

    /// A long line that ends in base64 is no key line, whether the engine wrote it in one
    /// piece or several (found by the redaction fuzz target: the END line after it masked
    /// the long line's tail in one case and not the other).
    #[test]
    fn long_line_is_plain_however_it_is_written() {
        let text = format!(
            "{} id=a456-4266\n-----BEGIN KEY-----[x]-----END OPENSSH PRIVATE KEY-----\n",
            "w ".repeat(1500)
        );
        let whole = filter(&[&text]);
        assert_eq!(whole, (text.clone(), 0));
        for cut in [1, 600, 1024, 1025, 2000, 2999] {
            let (a, b) = text.split_at(cut);
            assert_eq!(filter(&[a, b]), whole, "cut at {cut}");
        }
    }
}
