//! Forgiving decoding of a policy file: a byte-order mark is dropped, Windows line endings
//! become `\n`, and text that was UTF-8 mis-decoded as Windows-1252 or -1254 and saved again
//! (mojibake such as `â€œ` or `ğŸ†˜`) is turned back into what it was.

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
    for page in [&WINDOWS_1252, &WINDOWS_1254] {
        let Some(bytes) = encode(page, run) else {
            continue;
        };
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

/// The upper half (bytes 0x80 to 0xFF) of a single-byte code page, as the WHATWG Encoding
/// Standard defines it: the bytes Windows leaves undefined map to the C1 control of the same
/// number, as browsers (and so the tools that produced the mojibake) decode them.
type UpperHalf = [char; 128];

/// The upper half of a code page that keeps Latin-1 from 0xA0 on: 0x80 to 0x9F as in
/// Windows-1252, except the listed bytes (which Windows-1254 leaves undefined) stay C1 controls.
const fn windows_upper_half(c1_controls: &[u8]) -> UpperHalf {
    const C1: [char; 32] = [
        '\u{20AC}', '\u{81}', '\u{201A}', '\u{192}', '\u{201E}', '\u{2026}', '\u{2020}',
        '\u{2021}', '\u{2C6}', '\u{2030}', '\u{160}', '\u{2039}', '\u{152}', '\u{8D}', '\u{17D}',
        '\u{8F}', '\u{90}', '\u{2018}', '\u{2019}', '\u{201C}', '\u{201D}', '\u{2022}', '\u{2013}',
        '\u{2014}', '\u{2DC}', '\u{2122}', '\u{161}', '\u{203A}', '\u{153}', '\u{9D}', '\u{17E}',
        '\u{178}',
    ];
    let mut table = ['\0'; 128];
    let mut i = 0;
    while i < 128 {
        table[i] = if i < 32 {
            C1[i]
        } else {
            // From 0xA0 on both pages are Latin-1, apart from the Turkish letters below.
            char::from_u32(0x80 + i as u32).unwrap()
        };
        i += 1;
    }
    let mut j = 0;
    while j < c1_controls.len() {
        let b = c1_controls[j];
        table[(b - 0x80) as usize] = char::from_u32(b as u32).unwrap();
        j += 1;
    }
    table
}

/// Windows-1252 (Western European), the code page most mojibake comes from.
const WINDOWS_1252: UpperHalf = windows_upper_half(&[]);

/// Windows-1254 (Turkish): Windows-1252 with six Turkish letters in place of Icelandic ones
/// and two fewer defined bytes.
const WINDOWS_1254: UpperHalf = {
    let mut table = windows_upper_half(&[0x8E, 0x9E]);
    table[0xD0 - 0x80] = '\u{11E}';
    table[0xDD - 0x80] = '\u{130}';
    table[0xDE - 0x80] = '\u{15E}';
    table[0xF0 - 0x80] = '\u{11F}';
    table[0xFD - 0x80] = '\u{131}';
    table[0xFE - 0x80] = '\u{15F}';
    table
};

/// Encode a run of non-ASCII characters in a code page; `None` when one has no byte there.
fn encode(page: &UpperHalf, run: &str) -> Option<Vec<u8>> {
    run.chars()
        .map(|c| {
            if c.is_ascii() {
                return Some(c as u8);
            }
            let i = page.iter().position(|&p| p == c)?;
            Some(0x80 + i as u8)
        })
        .collect()
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
    fn code_pages_match_the_encoding_standard() {
        for (page, reference) in [
            (&WINDOWS_1252, encoding_rs::WINDOWS_1252),
            (&WINDOWS_1254, encoding_rs::WINDOWS_1254),
        ] {
            for b in 0x80..=0xFFu8 {
                let byte = [b];
                let (expected, _) = reference.decode_without_bom_handling(&byte);
                let ours = page[usize::from(b - 0x80)].to_string();
                assert_eq!(ours, expected, "{} byte {b:#04x}", reference.name());
                let (bytes, _, unmappable) = reference.encode(&ours);
                assert!(!unmappable);
                assert_eq!(encode(page, &ours), Some(bytes.into_owned()));
            }
        }
        // A character outside the page has no encoding: the run is left alone.
        assert_eq!(encode(&WINDOWS_1252, "\u{11F}"), None);
        assert!(encode(&WINDOWS_1254, "\u{11F}").is_some());
    }

    #[test]
    fn decode_drops_bom_and_crlf() {
        assert_eq!(decode(b"\xEF\xBB\xBF# T\r\n- a\r\n"), "# T\n- a\n");
    }
}
