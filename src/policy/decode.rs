//! Forgiving decoding of a policy file: a byte-order mark is dropped, Windows line endings
//! become `\n`, and text that was UTF-8 mis-decoded as Windows-1252 or -1254 and saved again
//! (mojibake such as `â€œ` or `ğŸ†˜`) is turned back into what it was.

use encoding_rs::{Encoding, WINDOWS_1252, WINDOWS_1254};

/// Decode a policy file: BOM, mojibake, line endings.
pub fn decode(bytes: &[u8]) -> String {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let text = String::from_utf8_lossy(bytes);
    let text = text.replace("\r\n", "\n").replace('\r', "\n");
    repair_mojibake(&text)
}

/// Bytes that Windows-1252/1254 leave undefined: a mis-decoder may have dropped them.
const UNDEFINED: [u8; 5] = [0x81, 0x8D, 0x8F, 0x90, 0x9D];

/// Undo UTF-8 read as Windows-1252 or Windows-1254, run by run of non-ASCII characters, so
/// text that was fine is left alone. A byte the mis-decoding dropped is restored when only
/// one candidate makes a valid character, else that character becomes U+FFFD.
pub fn repair_mojibake(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut run = String::new();
    for c in text.chars() {
        if c.is_ascii() {
            if !run.is_empty() {
                out.push_str(&fix_run(&run).unwrap_or_else(|| run.clone()));
                run.clear();
            }
            out.push(c);
        } else {
            run.push(c);
        }
    }
    if !run.is_empty() {
        out.push_str(&fix_run(&run).unwrap_or(run));
    }
    out
}

fn fix_run(run: &str) -> Option<String> {
    let mut best: Option<(usize, String)> = None;
    for enc in [WINDOWS_1252, WINDOWS_1254] as [&'static Encoding; 2] {
        let (bytes, _, unmappable) = enc.encode(run);
        if unmappable {
            continue;
        }
        let (fixed, good, bad) = decode_repairing(&bytes);
        if good == 0 || bad > good {
            continue;
        }
        if best.as_ref().is_none_or(|(b, _)| bad < *b) {
            best = Some((bad, fixed));
        }
    }
    best.map(|(_, s)| s)
}

/// UTF-8-decode `bytes`, restoring one dropped byte where that is unambiguous; returns the
/// text, the count of good non-ASCII characters and of replacement characters.
fn decode_repairing(mut bytes: &[u8]) -> (String, usize, usize) {
    let (mut out, mut good, mut bad) = (String::new(), 0, 0);
    loop {
        match std::str::from_utf8(bytes) {
            Ok(s) => {
                good += s.chars().filter(|c| !c.is_ascii()).count();
                out.push_str(s);
                return (out, good, bad);
            }
            Err(e) => {
                let (valid, rest) = bytes.split_at(e.valid_up_to());
                let valid = String::from_utf8_lossy(valid);
                good += valid.chars().filter(|c| !c.is_ascii()).count();
                out.push_str(&valid);
                let width = match rest[0] {
                    0xC2..=0xDF => 2,
                    0xE0..=0xEF => 3,
                    0xF0..=0xF4 => 4,
                    _ => 0,
                };
                let mut found: Vec<(char, usize)> = Vec::new();
                for pos in 1..width {
                    for b in UNDEFINED {
                        let mut cand: Vec<u8> = rest[..pos.min(rest.len())].to_vec();
                        cand.push(b);
                        cand.extend(rest.iter().skip(pos).take(width - 1 - pos));
                        if let Ok(s) = std::str::from_utf8(&cand)
                            && cand.len() == width
                            && let Some(c) = s.chars().next()
                            && !found.iter().any(|(x, _)| *x == c)
                        {
                            found.push((c, width - 1));
                        }
                    }
                }
                if let [(c, used)] = found.as_slice() {
                    out.push(*c);
                    good += 1;
                    bytes = &rest[*used..];
                } else if found.len() > 1 && width >= 3 {
                    // All but one byte of a long sequence is there: this was UTF-8, but
                    // which character cannot be told.
                    out.push('\u{FFFD}');
                    good += 1;
                    bytes = &rest[width - 1..];
                } else {
                    out.push('\u{FFFD}');
                    bad += 1;
                    let skip = e.error_len().unwrap_or(rest.len()).max(1);
                    bytes = &rest[skip..];
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mojibake_is_reversed_and_good_text_kept() {
        // UTF-8 of “ (E2 80 9C) read as Windows-1252.
        assert_eq!(
            repair_mojibake("say \u{e2}\u{20ac}\u{153}hi"),
            "say \u{201c}hi"
        );
        // 🆘 (F0 9F 86 98) read as Windows-1254.
        assert_eq!(
            repair_mojibake("## \u{11f}\u{178}\u{2020}\u{2dc} Help"),
            "## 🆘 Help"
        );
        for fine in ["café naïve", "“quoted” — dash", "日本語", "🦀 crab"] {
            assert_eq!(repair_mojibake(fine), fine);
        }
    }

    #[test]
    fn a_dropped_byte_is_restored_only_when_unambiguous() {
        // ❌ is E2 9D 8C; 0x9D is undefined in Windows-1254, so a mis-decoder dropped it.
        // Every undefined byte makes a valid character there: ambiguous, so U+FFFD.
        let fixed = repair_mojibake("\u{e2}\u{152} What");
        assert_eq!(fixed, "\u{FFFD} What");
    }

    #[test]
    fn decode_drops_bom_and_crlf() {
        assert_eq!(decode(b"\xEF\xBB\xBF# T\r\n- a\r\n"), "# T\n- a\n");
    }
}
