//! Bounded reads of large text files: the last N lines, or the head and tail around a cap.
//!
//! Conventions: every function works on the first `len` bytes of an open file (its size when
//! it was opened, so a log that grows meanwhile is read as it was) with positional reads, and
//! never holds more than the byte cap plus one [`BLOCK`]. Omitted content is replaced by one
//! marker line, `[... support-bundle: first K bytes omitted ...]` before a tail or
//! `[... support-bundle: K bytes omitted ...]` between head and tail, where K counts bytes of
//! the original file; the markers are fixed text so the same input gives the same output.
//! - A cut that lands inside a line also drops the rest of the token-like run it cuts (see
//!   [`token_byte`]): a token cut in two no longer matches its rule, so a fragment of it would
//!   pass redaction.

use std::fs::File;
use std::io;

/// Read size when scanning backwards for line starts.
pub(crate) const BLOCK: usize = 64 * 1024;

/// The marker line put in front of a tail that does not start at the top of the file.
pub(crate) fn head_omitted_marker(omitted: u64) -> String {
    format!("[... support-bundle: first {omitted} bytes omitted ...]\n")
}

/// The marker line put between the kept head and tail.
pub(crate) fn middle_omitted_marker(omitted: u64) -> String {
    format!("[... support-bundle: {omitted} bytes omitted ...]\n")
}

/// Bytes that make up tokens, keys and encoded secrets (base64, base64url, JWT, hex, escaped
/// PEM bodies). A cut inside a run of them drops the partial run.
pub(crate) fn token_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric()
        || matches!(
            b,
            b'_' | b'-' | b'+' | b'/' | b'=' | b'.' | b'~' | b'%' | b'\\'
        )
}

/// How many bytes at the start of `piece` belong to a token run that began before it.
fn partial_run_at_start(piece: &[u8], before: Option<u8>) -> usize {
    if !before.is_some_and(token_byte) {
        return 0;
    }
    piece
        .iter()
        .position(|&b| !token_byte(b))
        .unwrap_or(piece.len())
}

/// One positional read.
#[cfg(unix)]
fn read_at(file: &File, buf: &mut [u8], offset: u64) -> io::Result<usize> {
    std::os::unix::fs::FileExt::read_at(file, buf, offset)
}

/// One positional read. It moves the file's cursor too, which nothing here relies on: every
/// read of a collected file is positional.
#[cfg(windows)]
fn read_at(file: &File, buf: &mut [u8], offset: u64) -> io::Result<usize> {
    std::os::windows::fs::FileExt::seek_read(file, buf, offset)
}

/// Fill `buf` from `offset`; end of file first is `UnexpectedEof`.
#[cfg(unix)]
fn read_exact_at(file: &File, buf: &mut [u8], offset: u64) -> io::Result<()> {
    std::os::unix::fs::FileExt::read_exact_at(file, buf, offset)
}

/// Fill `buf` from `offset`; end of file first is `UnexpectedEof`.
#[cfg(windows)]
fn read_exact_at(file: &File, mut buf: &mut [u8], mut offset: u64) -> io::Result<()> {
    while !buf.is_empty() {
        match read_at(file, buf, offset) {
            Ok(0) => return Err(io::ErrorKind::UnexpectedEof.into()),
            Ok(k) => {
                buf = &mut buf[k..];
                offset += k as u64;
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

/// Read up to `n` bytes at `offset`, fewer only at end of file.
pub(crate) fn read_up_to(file: &File, offset: u64, n: u64) -> io::Result<Vec<u8>> {
    let mut buf = vec![0; usize::try_from(n).unwrap_or(usize::MAX)];
    let mut filled = 0;
    while filled < buf.len() {
        match read_at(file, &mut buf[filled..], offset + filled as u64) {
            Ok(0) => break,
            Ok(k) => filled += k,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    buf.truncate(filled);
    Ok(buf)
}

/// The offset where the last `lines` lines of the first `len` bytes start, but never more than
/// `max_bytes` before `len`. When the cap cuts a line, the start moves forward to the next line
/// start if there is one, so the tail begins with a whole line.
///
/// A final newline ends the last line rather than starting an empty one; `\r\n` endings count
/// like `\n` (the `\r` stays with its line).
pub(crate) fn tail_start(file: &File, len: u64, lines: u64, max_bytes: u64) -> io::Result<u64> {
    if lines == 0 || len == 0 {
        return Ok(len);
    }
    let floor = len.saturating_sub(max_bytes);
    // One byte below the floor too: a newline there means the floor starts a whole line.
    let scan_floor = floor.saturating_sub(1);
    let mut buf = vec![0u8; BLOCK];
    let mut pos = len;
    let mut found = 0u64;
    let mut lowest_line_start = None;
    while pos > scan_floor {
        let start = pos.saturating_sub(BLOCK as u64).max(scan_floor);
        let n = (pos - start) as usize;
        let chunk = &mut buf[..n];
        read_exact_at(file, chunk, start).map_err(shrank)?;
        for (i, &b) in chunk.iter().enumerate().rev() {
            let at = start + i as u64;
            if b == b'\n' && at + 1 != len {
                found += 1;
                if found == lines {
                    return Ok(at + 1);
                }
                lowest_line_start = Some(at + 1);
            }
        }
        pos = start;
    }
    if floor == 0 {
        return Ok(0);
    }
    if let Some(at) = lowest_line_start {
        return Ok(at);
    }
    // Mid-line: skip the rest of a token the cut went through.
    let mut at = floor;
    let mut before = read_up_to(file, floor - 1, 1)?.first().copied();
    while at < len && before.is_some_and(token_byte) {
        let piece = read_up_to(file, at, (BLOCK as u64).min(len - at))?;
        if piece.is_empty() {
            break;
        }
        let skip = partial_run_at_start(&piece, before);
        at += skip as u64;
        if skip < piece.len() {
            break;
        }
        before = piece.last().copied();
    }
    Ok(at)
}

/// The first and last bytes of a file of `len` bytes, each at most half of `max_bytes`. The
/// head is cut back to its last line end and the tail starts after its first line end, when
/// such a boundary exists inside them, so no half lines are kept.
pub(crate) fn head_and_tail(
    file: &File,
    len: u64,
    max_bytes: u64,
) -> io::Result<(Vec<u8>, Vec<u8>)> {
    let head_cap = max_bytes / 2;
    let tail_cap = (max_bytes - head_cap).min(len.saturating_sub(head_cap));
    // One byte past the head and one before the tail say whether a cut splits a token.
    let mut head = read_up_to(file, 0, head_cap + 1)?;
    let after_head = if head.len() as u64 > head_cap {
        head.pop()
    } else {
        None
    };
    if let Some(last) = head.iter().rposition(|&b| b == b'\n') {
        head.truncate(last + 1);
    } else if after_head.is_some_and(token_byte) {
        let keep = head
            .iter()
            .rposition(|&b| !token_byte(b))
            .map_or(0, |p| p + 1);
        head.truncate(keep);
    }
    let tail_from = len - tail_cap;
    let before_tail = if tail_from > 0 {
        read_up_to(file, tail_from - 1, 1)?.first().copied()
    } else {
        None
    };
    let mut tail = read_up_to(file, tail_from, tail_cap)?;
    if (tail.len() as u64) < tail_cap {
        return Err(shrank(io::ErrorKind::UnexpectedEof.into()));
    }
    if let Some(first) = tail.iter().position(|&b| b == b'\n')
        && first + 1 < tail.len()
    {
        tail.drain(..=first);
    } else {
        let skip = partial_run_at_start(&tail, before_tail);
        tail.drain(..skip);
    }
    Ok((head, tail))
}

/// The offset in `text` of the first line that starts a JSON record; `at_line_start` says
/// whether `text` itself begins a line (else its first line is a fragment and never counts).
pub(crate) fn json_record_start(text: &[u8], at_line_start: bool) -> Option<usize> {
    let mut line_start = if at_line_start {
        Some(0)
    } else {
        text.iter().position(|&b| b == b'\n').map(|at| at + 1)
    };
    while let Some(at) = line_start.filter(|&at| at < text.len()) {
        if matches!(text[at], b'{' | b'[') {
            return Some(at);
        }
        line_start = text[at..]
            .iter()
            .position(|&b| b == b'\n')
            .map(|n| at + n + 1);
    }
    None
}

/// The length of the whole JSON records at the start of `text`: the end of its last line
/// that ends a record. `None` when no record ends in it.
pub(crate) fn json_records_end(text: &[u8]) -> Option<usize> {
    let mut end = None;
    let mut at = 0;
    for line in text.split_inclusive(|&b| b == b'\n') {
        let next = at + line.len();
        let body = line.trim_ascii_end();
        let whole_line = line.ends_with(b"\n");
        let closes = matches!(body.first(), Some(b'}' | b']'))
            || (matches!(body.first(), Some(b'{' | b'['))
                && matches!(body.last(), Some(b'}' | b']'))
                && body.len() > 1);
        if closes && whole_line {
            end = Some(next);
        }
        at = next;
    }
    end
}

fn shrank(e: io::Error) -> io::Error {
    if e.kind() == io::ErrorKind::UnexpectedEof {
        io::Error::other("file shrank while it was read")
    } else {
        e
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn file_with(data: &[u8]) -> File {
        let mut f = tempfile::tempfile().unwrap();
        f.write_all(data).unwrap();
        f
    }

    fn tail(data: &[u8], lines: u64, max: u64) -> String {
        let f = file_with(data);
        let start = tail_start(&f, data.len() as u64, lines, max).unwrap();
        String::from_utf8(data[start as usize..].to_vec()).unwrap()
    }

    #[test]
    fn tail_lines_with_and_without_final_newline() {
        assert_eq!(tail(b"a\nb\nc\n", 2, 100), "b\nc\n");
        assert_eq!(tail(b"a\nb\nc", 2, 100), "b\nc");
        assert_eq!(tail(b"a\nb\nc", 1, 100), "c");
        assert_eq!(tail(b"a\nb\nc\n", 3, 100), "a\nb\nc\n");
        assert_eq!(tail(b"a\nb\nc\n", 9, 100), "a\nb\nc\n");
        assert_eq!(tail(b"a\nb\nc\n", 0, 100), "");
        assert_eq!(tail(b"\n\n\n", 2, 100), "\n\n");
        assert_eq!(tail(b"", 2, 100), "");
    }

    #[test]
    fn tail_lines_with_crlf() {
        assert_eq!(tail(b"a\r\nb\r\nc\r\n", 2, 100), "b\r\nc\r\n");
        assert_eq!(tail(b"a\r\nb\r\nc", 1, 100), "c");
    }

    #[test]
    fn tail_is_capped_and_aligned() {
        // The last 3 lines are 12 bytes; a cap of 10 keeps only whole lines that fit.
        assert_eq!(tail(b"aaa\nbbb\nccc\nddd\n", 3, 10), "ccc\nddd\n");
        // The cap falls exactly on a line start.
        assert_eq!(tail(b"aaa\nbbb\nccc\nddd\n", 3, 8), "ccc\nddd\n");
        assert_eq!(tail(b"aaa\nbbb\nccc\nddd\n", 3, 12), "bbb\nccc\nddd\n");
        // One line longer than the cap: keep its last bytes, from the first whole token.
        assert_eq!(tail(b"01 345 789", 5, 5), " 789");
        assert_eq!(tail(b"0123456 89", 5, 4), " 89");
        assert_eq!(tail(b"0123456789", 5, 4), "");
        // The cut falls right after a separator: nothing is dropped.
        assert_eq!(tail(b"0123 56789", 5, 5), "56789");
    }

    #[test]
    fn tail_across_blocks() {
        let mut data = Vec::new();
        for i in 0..40_000 {
            data.extend_from_slice(format!("line {i}\n").as_bytes());
        }
        let got = tail(&data, 30_000, u64::MAX);
        assert!(got.starts_with("line 10000\n"));
        assert!(got.ends_with("line 39999\n"));
        assert_eq!(got.lines().count(), 30_000);
    }

    #[test]
    fn head_and_tail_align_to_lines() {
        let data = b"one\ntwo\nthree\nfour\nfive\nsix\n";
        let f = file_with(data);
        let (head, tail) = head_and_tail(&f, data.len() as u64, 12).unwrap();
        assert_eq!(head, b"one\n");
        assert_eq!(tail, b"six\n");
        // No newline at all: raw bytes, cut back to whole words.
        let data = b"abc defghij klmnopqrs tuvw xyz";
        let f = file_with(data);
        let (head, tail) = head_and_tail(&f, data.len() as u64, 12).unwrap();
        assert_eq!(head, b"abc ");
        assert_eq!(tail, b" xyz");
        // A cut between two runs keeps both.
        let data = b"abcdef ghijkl";
        let f = file_with(data);
        let (head, tail) = head_and_tail(&f, data.len() as u64, 12).unwrap();
        assert_eq!(head, b"abcdef");
        assert_eq!(tail, b"ghijkl");
    }

    #[test]
    fn shrinking_file_is_an_error_not_a_panic() {
        let f = file_with(b"abc\n");
        assert!(tail_start(&f, 100, 2, 50).is_err());
        assert!(head_and_tail(&f, 100, 20).is_err());
    }

    const PRETTY: &[u8] = b"{\n  \"id\": 1,\n  \"events\": [\n    1\n  ]\n}\n{\n  \"id\": 2\n}\n";

    #[test]
    fn json_records_start_in_column_zero() {
        // Mid-object: skip to the next record.
        let from_events = &PRETTY[PRETTY.windows(4).position(|w| w == b"    ").unwrap()..];
        let at = json_record_start(from_events, true).unwrap();
        assert!(from_events[at..].starts_with(b"{\n  \"id\": 2"));
        // Already at a record.
        assert_eq!(json_record_start(PRETTY, true), Some(0));
        // A fragment of a line never counts, even if it starts with a brace.
        assert_eq!(json_record_start(b"{\"a\":1}\n{\"b\":2}\n", false), Some(8));
        assert_eq!(json_record_start(b"  \"a\": 1\n  }\n", true), None);
        // JSON Lines: every line is a record.
        assert_eq!(json_record_start(b"{\"a\":1}\n", true), Some(0));
    }

    #[test]
    fn json_records_end_after_the_last_closing_line() {
        let cut = &PRETTY[..PRETTY.len() - 3];
        assert_eq!(
            &cut[..json_records_end(cut).unwrap()],
            b"{\n  \"id\": 1,\n  \"events\": [\n    1\n  ]\n}\n"
        );
        assert_eq!(json_records_end(PRETTY), Some(PRETTY.len()));
        assert_eq!(json_records_end(b"{\"a\":1}\n{\"b\":"), Some(8));
        assert_eq!(json_records_end(b"{\n  \"a\": 1\n"), None);
        // An unterminated last line is not known to be whole.
        assert_eq!(json_records_end(b"{\"a\":1}"), None);
    }

    #[test]
    fn markers_are_fixed_text() {
        assert_eq!(
            head_omitted_marker(7),
            "[... support-bundle: first 7 bytes omitted ...]\n"
        );
        assert_eq!(
            middle_omitted_marker(7),
            "[... support-bundle: 7 bytes omitted ...]\n"
        );
    }
}
