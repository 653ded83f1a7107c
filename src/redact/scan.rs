//! Hand-written scanners. Network identifiers: they run on every line, so they start from
//! `memchr` hits on `.` and `:` instead of a regex, and validate what they find with the
//! standard library's address parsers. PEM key bodies: the base64 part of a line, whatever
//! source-code or shell layout wraps it.
//!
//! Addresses that identify nobody are kept: loopback, unspecified, link-local, broadcast and
//! netmask-looking values, and the documentation ranges (RFC 5737, RFC 3849).

use std::net::{Ipv4Addr, Ipv6Addr};

fn is_word(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

/// A base64 byte, as in a PEM body.
pub(crate) fn b64(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'=')
}

/// The length of `text` without what wraps a key line at its end: whitespace, quotes, string
/// concatenation (`+`, `,`, `;`, `)`), shell `\` continuation and escaped line ends (`\n`,
/// `\r`, `\\n`).
pub(crate) fn trim_wrapping_end(text: &[u8]) -> usize {
    let mut e = text.len();
    loop {
        let before = e;
        while e > 0
            && matches!(
                text[e - 1],
                b' ' | b'\t' | b'\r' | b'"' | b'\'' | b'`' | b',' | b'+' | b';' | b')' | b'\\'
            )
        {
            e -= 1;
        }
        if e >= 2 && text[e - 2] == b'\\' && matches!(text[e - 1], b'n' | b'r') {
            e -= 2;
        }
        if e == before {
            return e;
        }
    }
}

/// The key-body part of a line in (or cut from) a PEM block: its last base64 run, once the
/// wrapping at its end is trimmed, when that run stands alone (`"MIIE…\n" +`, `MIIE…,`,
/// `app[1]: MIIE…`, not `word=MIIE…`).
pub(crate) fn pem_body_span(line: &[u8]) -> Option<(usize, usize)> {
    let e = trim_wrapping_end(line);
    let mut s = e;
    while s > 0 && b64(line[s - 1]) {
        s -= 1;
    }
    (e > s && (s == 0 || !is_word(line[s - 1]))).then_some((s, e))
}

/// Find IPv4 addresses in `line`; `found(start, end, address)` for each one worth
/// pseudonymizing.
pub(crate) fn ipv4(line: &[u8], mut found: impl FnMut(usize, usize, u32)) {
    let mut next = 0;
    // Searching on from `next` (not visiting every dot) skips the dots of an address found.
    while let Some(i) = memchr::memchr(b'.', &line[next.min(line.len())..]) {
        let dot = next + i;
        next = dot + 1;
        if dot == 0 || !line[dot - 1].is_ascii_digit() {
            continue;
        }
        let mut s = dot - 1;
        while s > 0 && line[s - 1].is_ascii_digit() && dot - s < 3 {
            s -= 1;
        }
        if s > 0 && (is_word(line[s - 1]) || line[s - 1] == b'.') {
            next = dot + 1;
            continue;
        }
        // The second octet ends in a dot 2 to 4 bytes on: most dots in logs (`HTTP/1.1`,
        // `0.739`, `Mozilla/5.0`) fail this before the full parse.
        let second_dot = (dot + 2..dot + 5).any(|i| line.get(i) == Some(&b'.'));
        let parsed = if second_dot { parse_v4(line, s) } else { None };
        let Some((end, octets)) = parsed else {
            next = dot + 1;
            continue;
        };
        next = end;
        if end < line.len() {
            let after = line[end];
            if is_word(after) {
                continue;
            }
            // `1.2.3.4.5` is a version, not an address.
            if after == b'.' && line.get(end + 1).is_some_and(u8::is_ascii_digit) {
                continue;
            }
        }
        if keep_v4(Ipv4Addr::from(octets)) || product_version(line, s, end, octets) {
            continue;
        }
        found(s, end, u32::from_be_bytes(octets));
    }
}

/// Whether the dotted quad at `s..e` is a version in a User-Agent product token
/// (`Chrome/131.0.0.0 `): right after `Name/`, where the name starts a token with a capital
/// letter, followed by what ends a token, and ending in `.0.0` as the reduced versions
/// browsers send do (an older `109.0.5414.120` is no address anyway). An address after a
/// path segment (`/hosts/10.1.2.3`), a scheme (`http://10.1.2.3`) or a name
/// (`Upstream/10.1.2.3`) is not one.
fn product_version(line: &[u8], s: usize, e: usize, octets: [u8; 4]) -> bool {
    if s < 2 || line[s - 1] != b'/' || octets[2] != 0 || octets[3] != 0 {
        return false;
    }
    if e < line.len() && !matches!(line[e], b' ' | b'\t' | b')' | b';' | b'"' | b',') {
        return false;
    }
    let mut p = s - 1;
    while p > 0 && (line[p - 1].is_ascii_alphanumeric() || matches!(line[p - 1], b'-' | b'_')) {
        p -= 1;
    }
    p < s - 1
        && line[p].is_ascii_uppercase()
        && (p == 0 || matches!(line[p - 1], b' ' | b'\t' | b'(' | b'"' | b'\'' | b','))
}

/// The dotted-quad address starting at `start`: (where it ends, its octets).
pub(crate) fn parse_v4(line: &[u8], start: usize) -> Option<(usize, [u8; 4])> {
    let mut octets = [0u8; 4];
    let mut i = start;
    for (n, o) in octets.iter_mut().enumerate() {
        if n > 0 {
            if line.get(i) != Some(&b'.') {
                return None;
            }
            i += 1;
        }
        let d0 = i;
        let mut v: u32 = 0;
        while i < line.len() && line[i].is_ascii_digit() && i - d0 < 3 {
            v = v * 10 + u32::from(line[i] - b'0');
            i += 1;
        }
        if i == d0 || v > 255 || (i - d0 > 1 && line[d0] == b'0') {
            return None;
        }
        if i < line.len() && line[i].is_ascii_digit() {
            return None;
        }
        *o = v as u8;
    }
    Some((i, octets))
}

fn keep_v4(a: Ipv4Addr) -> bool {
    let o = a.octets();
    a.is_loopback()
        || a.is_unspecified()
        || a.is_link_local()
        || a.is_broadcast()
        || o[0] == 255
        || (o[0] == 192 && o[1] == 0 && o[2] == 2)
        || (o[0] == 198 && o[1] == 51 && o[2] == 100)
        || (o[0] == 203 && o[1] == 0 && o[2] == 113)
}

fn keep_v6(a: Ipv6Addr) -> bool {
    let s = a.segments();
    a.is_loopback()
        || a.is_unspecified()
        || (s[0] & 0xffc0) == 0xfe80
        || (s[0] == 0x2001 && s[1] == 0x0db8)
        || a.to_ipv4_mapped().is_some_and(keep_v4)
}

/// What a colon-separated run turned out to be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ColonKind {
    Ipv6,
    Mac,
}

/// Find IPv6 and MAC addresses in `line`; `found(start, end, kind)` for each worth replacing.
pub(crate) fn colon_runs(
    line: &[u8],
    want_v6: bool,
    want_mac: bool,
    mut found: impl FnMut(usize, usize, ColonKind),
) {
    let run_byte = |b: u8| RUN_BYTE[usize::from(b)];
    let mut next = 0;
    // Searching on from the end of each run skips the colons inside it.
    while let Some(i) = memchr::memchr(b':', &line[next.min(line.len())..]) {
        let colon = next + i;
        // A colon with no address byte before it starts its run, and of the runs that start
        // with a colon only `::…` can be an address: most colons in logs (`"k":"v"`,
        // `"n":42`, `Date: `, `https://`) are passed over here. (Any later colon of the same
        // run finds the same run.)
        let before = colon > 0 && run_byte(line[colon - 1]);
        if !before && line.get(colon + 1) != Some(&b':') {
            next = colon + 1;
            continue;
        }
        let mut s = colon;
        while s > 0 && run_byte(line[s - 1]) {
            s -= 1;
        }
        let mut e = colon + 1;
        while e < line.len() && run_byte(line[e]) {
            e += 1;
        }
        next = e;
        // The run must stand alone: `abc:def` inside an identifier is not an address.
        if (s > 0 && is_word(line[s - 1])) || (e < line.len() && is_word(line[e])) {
            continue;
        }
        while e > s && matches!(line[e - 1], b'.' | b':') && !line[s..e].ends_with(b"::") {
            e -= 1;
        }
        let run = &line[s..e];
        if run.len() == 17 && want_mac && is_mac(run) {
            if run != b"00:00:00:00:00:00" && !run.eq_ignore_ascii_case(b"ff:ff:ff:ff:ff:ff") {
                found(s, e, ColonKind::Mac);
            }
            continue;
        }
        if !want_v6 || run.len() < 3 || !v6_shaped(run) {
            continue;
        }
        let Ok(text) = std::str::from_utf8(run) else {
            continue;
        };
        if let Ok(a) = text.parse::<Ipv6Addr>()
            && !keep_v6(a)
        {
            found(s, e, ColonKind::Ipv6);
        }
    }
}

/// Bytes of an IPv6 or MAC run: hex digits, `:` and `.`.
static RUN_BYTE: [bool; 256] = {
    let mut t = [false; 256];
    let mut b = 0;
    while b < 256 {
        t[b] = (b as u8).is_ascii_hexdigit() || b == b':' as usize || b == b'.' as usize;
        b += 1;
    }
    t
};

/// Whether `run` could parse as an IPv6 address, checked without parsing: every log
/// timestamp (`10:31:18`) reaches here, and most are rejected by the colon count alone. A
/// full address has 7 colons (6 before an embedded IPv4 tail); a `::` form has 2 to 8.
fn v6_shaped(run: &[u8]) -> bool {
    let colons = run.iter().filter(|&&b| b == b':').count();
    if colons > 8 {
        return false;
    }
    // Runs are short: a searcher would cost more to build than this scan.
    if run.windows(2).any(|w| w == b"::") {
        return colons >= 2;
    }
    let v4_tail = run.contains(&b'.');
    colons == 7 || (colons == 6 && v4_tail)
}

fn is_mac(run: &[u8]) -> bool {
    run.chunks(3).all(|c| {
        c[0].is_ascii_hexdigit() && c[1].is_ascii_hexdigit() && (c.len() == 2 || c[2] == b':')
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v4(s: &str) -> Vec<&str> {
        let mut out = Vec::new();
        ipv4(s.as_bytes(), |a, b, _| out.push(&s[a..b]));
        out
    }

    fn colons(s: &str) -> Vec<(&str, ColonKind)> {
        let mut out = Vec::new();
        colon_runs(s.as_bytes(), true, true, |a, b, k| out.push((&s[a..b], k)));
        out
    }

    #[test]
    fn pem_body_in_any_wrapping() {
        let body = "MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7";
        for line in [
            body.to_string(),
            format!("\t\"{body}\\n\" +"),
            format!("    \"{body}\\n\""),
            format!("  \"{body}\","),
            format!("{body} \\"),
            format!("\"{body}\\\\n\";"),
            format!("    b\"{body}\\r\\n\")"),
            format!("Dec 03 10:00:00 host app[42]: {body}"),
        ] {
            let (s, e) = pem_body_span(line.as_bytes()).expect(&line);
            assert_eq!(&line[s..e], body, "{line}");
        }
        assert_eq!(pem_body_span(b"[REDACTED:private-key]"), None);
        assert_eq!(trim_wrapping_end(b"\\n\" +"), 0);
    }

    #[test]
    fn ipv4_found_and_kept() {
        assert_eq!(
            v4("from 10.1.2.3:443 to 8.8.8.8."),
            vec!["10.1.2.3", "8.8.8.8"]
        );
        assert!(v4("127.0.0.1 0.0.0.0 169.254.1.1 192.0.2.7 198.51.100.1 203.0.113.9").is_empty());
        assert!(v4("255.255.255.0 v1.2.3.4 1.2.3.4.5 1.2.3 256.1.1.1 01.2.3.4").is_empty());
        assert_eq!(v4("ts=1795393164.35 ip=172.16.0.9"), vec!["172.16.0.9"]);
        // A browser version is no address; an address in a path or URL is one.
        let ua = "\"Mozilla/5.0 (X11) Chrome/131.0.0.0 Safari/537.36\" (Edg/120.0.0.0,x)";
        assert!(v4(ua).is_empty(), "{:?}", v4(ua));
        assert_eq!(
            v4(
                "GET /v1/hosts/10.1.2.3 http://10.1.2.4/x /10.1.2.5 Log/10.1.0.0.gz to/10.1.0.0 Upstream/10.1.2.8 ok"
            ),
            vec![
                "10.1.2.3", "10.1.2.4", "10.1.2.5", "10.1.0.0", "10.1.0.0", "10.1.2.8"
            ]
        );
    }

    #[test]
    fn v6_shape_check_never_rejects_an_address() {
        let groups = ["1", "ab", "0", "ffff", "1.2.3.4"];
        let mut n = 0;
        for len in 1..=9 {
            for mask in 0u32..(1 << len) {
                // Each slot: a group, or empty (which makes `::` runs).
                let parts: Vec<&str> = (0..len)
                    .map(|i| {
                        if mask & (1 << i) != 0 {
                            groups[i % 4]
                        } else {
                            ""
                        }
                    })
                    .collect();
                for tail in ["", groups[4]] {
                    let mut text = parts.join(":");
                    if !tail.is_empty() {
                        text.push(':');
                        text.push_str(tail);
                    }
                    if text.parse::<Ipv6Addr>().is_ok() {
                        n += 1;
                        assert!(v6_shaped(text.as_bytes()), "{text}");
                    }
                }
            }
        }
        assert!(n > 40, "only {n} addresses generated");
        assert!(!v6_shaped(b"10:31:18") && !v6_shaped(b"1:2:3:4"));
    }

    #[test]
    fn ipv6_and_mac() {
        let got = colons("peer [2a01:4f8::1]:443 lo ::1 ll fe80::1 doc 2001:db8::5 at 12:34:56");
        assert_eq!(got, vec![("2a01:4f8::1", ColonKind::Ipv6)]);
        let got = colons("ether 52:54:00:ab:cd:ef brd ff:ff:ff:ff:ff:ff");
        assert_eq!(got, vec![("52:54:00:ab:cd:ef", ColonKind::Mac)]);
        assert!(colons("sha256:abcdef0123 deadbeef:cafe").is_empty());
        // Lone colons around them, and `::` forms that start or end with the colons.
        let got = colons(r#"{"a":"::ffff:8.8.4.4","b": "2a01:4f8::", "c": "fe80::9", "n":42:1}"#);
        assert_eq!(
            got,
            vec![
                ("::ffff:8.8.4.4", ColonKind::Ipv6),
                ("2a01:4f8::", ColonKind::Ipv6)
            ]
        );
        assert_eq!(
            colons("addr=2600:1f18:abcd::42, next"),
            vec![("2600:1f18:abcd::42", ColonKind::Ipv6)]
        );
    }
}
