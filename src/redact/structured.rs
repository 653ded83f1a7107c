//! Key/value extraction for key-based rules, one line at a time, per [`Format`].
//!
//! No format is parsed in full: the engine streams, and config files in the wild are often
//! invalid anyway. Each format turns on the extractors that make sense for it:
//!
//! | format     | extractors                                                    |
//! |------------|---------------------------------------------------------------|
//! | text       | JSON `"k":"v"`, `k=v`, header `k: v`, CLI `--flag value`       |
//! | json       | JSON (also escaped JSON inside JSON strings)                  |
//! | toml, ini  | `k = v` anywhere on the line (inline tables), `[section]`      |
//! | yaml       | `k: v`, `- k: v`, flow-style JSON, `k: |` block scalars       |
//! | env        | `[export ]K=v`                                                |
//! | caddyfile  | `directive value...`, `env NAME value`                        |
//!
//! Ranges are byte offsets into the line; values exclude their quotes.

use crate::item::Format;

/// How a pair was written; decides how far a bare value reaches.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Form {
    Json,
    Assign,
    Colon,
    Flag,
    Directive,
    /// YAML `key: |` or `key: >`: the value is the following, more indented lines.
    Block,
}

/// One key and one of its values.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Pair {
    pub key: (usize, usize),
    pub value: (usize, usize),
    pub form: Form,
}

fn is_key_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-')
}

fn skip_spaces(line: &[u8], mut i: usize) -> usize {
    while i < line.len() && matches!(line[i], b' ' | b'\t') {
        i += 1;
    }
    i
}

/// End of a quoted string starting after the opening quote at `i`; returns the closing
/// quote's index. `escaped` means quotes are written `\"` (JSON inside a JSON string).
fn close_quote(line: &[u8], mut i: usize, q: u8, escaped: bool) -> usize {
    while i < line.len() {
        let b = line[i];
        if escaped {
            if b == b'\\' && line.get(i + 1) == Some(&q) {
                return i;
            }
            if b == b'\\' {
                i += 2;
                continue;
            }
        } else if b == b'\\' && q == b'"' {
            i += 2;
            continue;
        } else if b == q {
            return i;
        }
        i += 1;
    }
    line.len()
}

/// Call `f` for every key/value pair the format's extractors find in `line`.
pub(crate) fn pairs(line: &[u8], format: Format, mut f: impl FnMut(Pair)) {
    match format {
        Format::Json => json(line, &mut f),
        Format::Text => {
            json(line, &mut f);
            assign(line, format, &mut f);
            colon(line, format, &mut f);
            flags(line, &mut f);
        }
        Format::Toml | Format::Ini | Format::Env => assign(line, format, &mut f),
        Format::Yaml => {
            colon(line, format, &mut f);
            json(line, &mut f);
        }
        Format::Caddyfile => directive(line, &mut f),
    }
}

/// `"key": "value"`, `"key": ["v1", "v2"]`, and the same with `\"` quotes.
fn json(line: &[u8], f: &mut impl FnMut(Pair)) {
    for c in memchr::memchr_iter(b':', line) {
        let mut j = c;
        while j > 0 && matches!(line[j - 1], b' ' | b'\t') {
            j -= 1;
        }
        if j == 0 || line[j - 1] != b'"' {
            continue;
        }
        let close = j - 1;
        let escaped = close > 0 && line[close - 1] == b'\\';
        let key_end = if escaped { close - 1 } else { close };
        let Some(open) = memchr::memrchr(b'"', &line[..key_end]) else {
            continue;
        };
        if escaped && (open == 0 || line[open - 1] != b'\\') {
            continue;
        }
        let key = (open + 1, key_end);
        if key.1 <= key.0 || key.1 - key.0 > 80 {
            continue;
        }
        let mut i = skip_spaces(line, c + 1);
        let quote_at = |i: usize| -> Option<usize> {
            if escaped {
                (line.get(i) == Some(&b'\\') && line.get(i + 1) == Some(&b'"')).then_some(i + 2)
            } else {
                (line.get(i) == Some(&b'"')).then_some(i + 1)
            }
        };
        if let Some(vs) = quote_at(i) {
            let ve = close_quote(line, vs, b'"', escaped);
            f(Pair {
                key,
                value: (vs, ve),
                form: Form::Json,
            });
        } else if line.get(i) == Some(&b'[') {
            i += 1;
            loop {
                i = skip_spaces(line, i);
                let Some(vs) = quote_at(i) else { break };
                let ve = close_quote(line, vs, b'"', escaped);
                f(Pair {
                    key,
                    value: (vs, ve),
                    form: Form::Json,
                });
                i = skip_spaces(line, ve + if escaped { 2 } else { 1 });
                if line.get(i) != Some(&b',') {
                    break;
                }
                i += 1;
            }
        }
    }
}

/// Where a key ending just before `end` starts, or `None` when it is not a standalone key.
fn key_before(line: &[u8], end: usize) -> Option<usize> {
    let mut s = end;
    while s > 0 && is_key_byte(line[s - 1]) {
        s -= 1;
    }
    if s == end || end - s > 80 {
        return None;
    }
    if s > 0
        && !matches!(
            line[s - 1],
            b' ' | b'\t'
                | b'='
                | b'{'
                | b','
                | b';'
                | b'?'
                | b'&'
                | b'"'
                | b'('
                | b'['
                | b'\''
                | b'|'
        )
    {
        return None;
    }
    Some(s)
}

fn strip_dashes(line: &[u8], mut s: usize, e: usize) -> usize {
    while s < e && line[s] == b'-' {
        s += 1;
    }
    s
}

/// `key=value` / `key = value`.
fn assign(line: &[u8], format: Format, f: &mut impl FnMut(Pair)) {
    let structured = matches!(format, Format::Toml | Format::Ini | Format::Env);
    for eq in memchr::memchr_iter(b'=', line) {
        if line.get(eq + 1) == Some(&b'=')
            || (eq > 0 && matches!(line[eq - 1], b'=' | b'!' | b'<' | b'>'))
        {
            continue;
        }
        let mut ke = eq;
        while ke > 0 && matches!(line[ke - 1], b' ' | b'\t') {
            ke -= 1;
        }
        let mut quoted_key = false;
        if ke > 0 && matches!(line[ke - 1], b'"' | b'\'') && structured {
            // TOML quoted key: "api_key" = "..."
            let q = line[ke - 1];
            if let Some(open) = memchr::memrchr(q, &line[..ke - 1]) {
                quoted_key = true;
                let key = (open + 1, ke - 1);
                if let Some(p) = assign_value(line, format, key, eq) {
                    f(p);
                }
            }
        }
        if quoted_key {
            continue;
        }
        let Some(ks) = key_before(line, ke) else {
            continue;
        };
        let ks = strip_dashes(line, ks, ke);
        if ks == ke {
            continue;
        }
        if let Some(p) = assign_value(line, format, (ks, ke), eq) {
            f(p);
        }
    }
}

fn assign_value(line: &[u8], format: Format, key: (usize, usize), eq: usize) -> Option<Pair> {
    let vs = skip_spaces(line, eq + 1);
    let pair = |value| {
        Some(Pair {
            key,
            value,
            form: Form::Assign,
        })
    };
    match line.get(vs) {
        None => None,
        Some(&q @ (b'"' | b'\'')) => {
            if line[vs..].starts_with(b"\"\"\"") || line[vs..].starts_with(b"'''") {
                let s = vs + 3;
                let e = memchr::memmem::find(&line[s..], &line[vs..vs + 3])
                    .map_or(line.len(), |i| s + i);
                return pair((s, e));
            }
            pair((vs + 1, close_quote(line, vs + 1, q, false)))
        }
        Some(b'\\') if line.get(vs + 1) == Some(&b'"') => {
            pair((vs + 2, close_quote(line, vs + 2, b'"', true)))
        }
        Some(b'[' | b'{') if matches!(format, Format::Toml) => None,
        Some(_) => {
            let rest = &line[vs..];
            if let Some(end) = placeholder_end(rest) {
                return pair((vs, vs + end));
            }
            let end = match format {
                Format::Toml => bare_end(rest, b" \t,}]#"),
                Format::Ini => comment_start(rest),
                Format::Env => comment_start(rest),
                _ => {
                    let env_style = line[key.0..key.1]
                        .iter()
                        .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || *b == b'_');
                    let at_start = key.0 == 0 || line[..key.0].ends_with(b": ");
                    if env_style && at_start {
                        comment_start(rest)
                    } else {
                        bare_end(rest, b" \t\"',;&)]}\\")
                    }
                }
            };
            let mut e = vs + end;
            while e > vs && matches!(line[e - 1], b' ' | b'\t' | b'\r') {
                e -= 1;
            }
            pair((vs, e))
        }
    }
}

/// A bare value that is a whole `${X}`, `{$X}`, `{env.X}` or `{{ x }}` placeholder: its end.
fn placeholder_end(rest: &[u8]) -> Option<usize> {
    let close: &[u8] = if rest.starts_with(b"{{") || rest.starts_with(b"${{") {
        b"}}"
    } else if rest.starts_with(b"${") || rest.starts_with(b"{$") || rest.starts_with(b"{env.") {
        b"}"
    } else {
        return None;
    };
    memchr::memmem::find(rest, close).map(|i| i + close.len())
}

fn bare_end(rest: &[u8], stops: &[u8]) -> usize {
    rest.iter()
        .position(|b| stops.contains(b))
        .unwrap_or(rest.len())
}

/// Up to a ` #` or ` ;` comment, or the end.
fn comment_start(rest: &[u8]) -> usize {
    let mut i = 0;
    while i < rest.len() {
        if matches!(rest[i], b'#' | b';') && i > 0 && matches!(rest[i - 1], b' ' | b'\t') {
            return i;
        }
        i += 1;
    }
    rest.len()
}

/// `key: value` (YAML, HTTP headers in text).
fn colon(line: &[u8], format: Format, f: &mut impl FnMut(Pair)) {
    let yaml = format == Format::Yaml;
    for c in memchr::memchr_iter(b':', line) {
        let after = line.get(c + 1).copied();
        if !(after.is_none() && yaml || matches!(after, Some(b' ' | b'\t'))) {
            continue;
        }
        let Some(ks) = key_before(line, c) else {
            continue;
        };
        if yaml && !line[..ks].iter().all(|b| matches!(b, b' ' | b'\t' | b'-')) {
            continue;
        }
        let key = (ks, c);
        let vs = skip_spaces(line, c + 1);
        if vs >= line.len() {
            continue;
        }
        let rest = &line[vs..];
        let value = match rest[0] {
            q @ (b'"' | b'\'') => (vs + 1, close_quote(line, vs + 1, q, false)),
            b'|' | b'>' if yaml => {
                f(Pair {
                    key,
                    value: (vs, vs),
                    form: Form::Block,
                });
                continue;
            }
            _ if yaml => {
                let mut e = vs + comment_start(rest);
                while e > vs && matches!(line[e - 1], b' ' | b'\t' | b'\r') {
                    e -= 1;
                }
                (vs, e)
            }
            _ => {
                let k = &line[key.0..key.1];
                let to_end = k.eq_ignore_ascii_case(b"cookie")
                    || k.eq_ignore_ascii_case(b"set-cookie")
                    || k.eq_ignore_ascii_case(b"authorization")
                    || k.eq_ignore_ascii_case(b"proxy-authorization");
                let end = if to_end {
                    bare_end(rest, b"\"\\")
                } else {
                    bare_end(rest, b" \t\"',;&)]}\\")
                };
                let mut e = vs + end;
                while e > vs && matches!(line[e - 1], b' ' | b'\t' | b'\r') {
                    e -= 1;
                }
                (vs, e)
            }
        };
        f(Pair {
            key,
            value,
            form: Form::Colon,
        });
    }
}

/// `--flag value` on a command line (the `--flag=value` form is an assignment).
fn flags(line: &[u8], f: &mut impl FnMut(Pair)) {
    // memchr rather than memmem: this runs on every text line, and a memmem searcher is
    // built per call. Inside a run of dashes only the first position can pass the check below.
    for d in memchr::memchr_iter(b'-', line) {
        if line.get(d + 1) != Some(&b'-')
            || (d > 0 && !matches!(line[d - 1], b' ' | b'\t' | b'"' | b'\''))
        {
            continue;
        }
        let ks = d + 2;
        let mut ke = ks;
        while ke < line.len()
            && (line[ke].is_ascii_alphanumeric() || matches!(line[ke], b'-' | b'_'))
        {
            ke += 1;
        }
        if ke == ks || line.get(ke) != Some(&b' ') {
            continue;
        }
        let vs = skip_spaces(line, ke);
        if vs >= line.len() || line[vs] == b'-' {
            continue;
        }
        let value = if matches!(line[vs], b'"' | b'\'') {
            (vs + 1, close_quote(line, vs + 1, line[vs], false))
        } else {
            (vs, vs + bare_end(&line[vs..], b" \t\"'"))
        };
        f(Pair {
            key: (ks, ke),
            value,
            form: Form::Flag,
        });
    }
}

/// Caddyfile: `directive arg...`; `env NAME value` keys the value by NAME.
fn directive(line: &[u8], f: &mut impl FnMut(Pair)) {
    let mut toks: [(usize, usize); 8] = [(0, 0); 8];
    let mut n = 0;
    let mut i = skip_spaces(line, 0);
    while i < line.len() && n < toks.len() {
        if line[i] == b'#' && (i == 0 || matches!(line[i - 1], b' ' | b'\t')) {
            break;
        }
        let (s, e, next) = match line[i] {
            q @ (b'"' | b'`') => {
                let e = close_quote(line, i + 1, q, false);
                (i + 1, e, e + 1)
            }
            _ => {
                let e = i + bare_end(&line[i..], b" \t");
                (i, e, e)
            }
        };
        toks[n] = (s, e);
        n += 1;
        i = skip_spaces(line, next.min(line.len()));
    }
    if n < 2 {
        return;
    }
    let (key, first) = if &line[toks[0].0..toks[0].1] == b"env" && n >= 3 {
        (toks[1], 2)
    } else {
        (toks[0], 1)
    };
    for &value in &toks[first..n] {
        if &line[value.0..value.1] == b"{" {
            break;
        }
        f(Pair {
            key,
            value,
            form: Form::Directive,
        });
    }
}

/// A TOML or INI section header on this line: `[a.b]`, `[[a.b]]` -> `a.b`.
pub(crate) fn section_header(line: &[u8]) -> Option<&[u8]> {
    let t = line.trim_ascii();
    if !t.starts_with(b"[") {
        return None;
    }
    let end = memchr::memchr(b']', t)?;
    let inner = &t[..end];
    let inner = inner
        .strip_prefix(b"[[")
        .or_else(|| inner.strip_prefix(b"["))?;
    Some(inner.trim_ascii())
}

/// Skip an HTTP auth scheme so `Bearer` stays readable and only the credential is masked.
pub(crate) fn skip_auth_scheme(v: &[u8]) -> usize {
    const SCHEMES: &[&[u8]] = &[
        b"bearer",
        b"basic",
        b"token",
        b"digest",
        b"negotiate",
        b"bot",
        b"apikey",
        b"sso-key",
        b"ssws",
        b"hmac",
        b"aws4-hmac-sha256",
    ];
    for s in SCHEMES {
        if v.len() > s.len() + 1
            && v[..s.len()].eq_ignore_ascii_case(s)
            && matches!(v[s.len()], b' ' | b'\t')
        {
            return skip_spaces(v, s.len());
        }
    }
    0
}

/// Values that are not secrets: empty, placeholders, already masked, booleans.
pub(crate) fn is_placeholder(v: &[u8]) -> bool {
    let v = v.trim_ascii();
    if v.is_empty() {
        return true;
    }
    if v.starts_with(b"${")
        || v.starts_with(b"{env.")
        || v.starts_with(b"{$")
        || v.starts_with(b"{{")
    {
        return v.ends_with(b"}");
    }
    if v[0] == b'$'
        && v[1..]
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || *b == b'_')
    {
        return true;
    }
    if v.len() > 2 && v[0] == b'%' && v[v.len() - 1] == b'%' {
        return true;
    }
    if v[0] == b'<' && v[v.len() - 1] == b'>' {
        return true;
    }
    if memchr::memmem::find(v, b"[REDACTED").is_some() {
        return true;
    }
    if v.iter().all(|b| {
        matches!(
            b,
            b'*' | b'x' | b'X' | b'#' | b'.' | b'-' | b'_' | b' ' | b'0'
        )
    }) && v.len() >= 3
        && !v.iter().all(u8::is_ascii_digit)
    {
        return true;
    }
    if v.starts_with("•".as_bytes()) || v.starts_with(b"***") {
        return true;
    }
    const WORDS: &[&[u8]] = &[
        b"redacted",
        b"hidden",
        b"masked",
        b"null",
        b"none",
        b"nil",
        b"true",
        b"false",
        b"yes",
        b"no",
        b"on",
        b"off",
        b"undefined",
        b"empty",
        b"required",
        b"optional",
    ];
    WORDS.iter().any(|w| v.eq_ignore_ascii_case(w))
}

/// Hex digests, UUIDs and ids: not secrets when only a generic key name points at them.
pub(crate) fn is_hex_id(v: &[u8]) -> bool {
    let hex = v.iter().filter(|b| b.is_ascii_hexdigit()).count();
    let dashes = v.iter().filter(|&&b| b == b'-').count();
    hex + dashes == v.len() && hex >= 7 && (dashes == 0 || dashes == 4)
}

/// Shannon entropy in bits per byte.
pub(crate) fn entropy(v: &[u8]) -> f64 {
    if v.is_empty() {
        return 0.0;
    }
    let mut freq = [0u32; 256];
    for &b in v {
        freq[b as usize] += 1;
    }
    let n = v.len() as f64;
    freq.iter()
        .filter(|&&c| c > 0)
        .map(|&c| {
            let p = f64::from(c) / n;
            -p * p.log2()
        })
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all(line: &str, format: Format) -> Vec<(String, String)> {
        let mut out = Vec::new();
        pairs(line.as_bytes(), format, |p| {
            out.push((
                line[p.key.0..p.key.1].to_string(),
                line[p.value.0..p.value.1].to_string(),
            ))
        });
        out
    }

    fn has(line: &str, format: Format, k: &str, v: &str) -> bool {
        all(line, format).iter().any(|(a, b)| a == k && b == v)
    }

    #[test]
    fn json_forms() {
        let l = r#"{"a":{"password":"p1","list":["x","y"]},"X-Api-Key":["k1"], "n": 3}"#;
        assert!(has(l, Format::Json, "password", "p1"));
        assert!(has(l, Format::Json, "list", "y"));
        assert!(has(l, Format::Json, "X-Api-Key", "k1"));
        let esc = r#"{"msg":"body {\"token\":\"t0k\"}"}"#;
        assert!(
            has(esc, Format::Json, "token", "t0k"),
            "{:?}",
            all(esc, Format::Json)
        );
    }

    #[test]
    fn assignments() {
        assert!(has(
            "a=1 password=hunter2 b",
            Format::Text,
            "password",
            "hunter2"
        ));
        assert!(has("run --token=abc def", Format::Text, "token", "abc"));
        assert!(has("Server=x;Password=p w;", Format::Text, "Password", "p"));
        assert!(has(
            "Jan 1 h caddy[1]: DB_PASSWORD=two words",
            Format::Text,
            "DB_PASSWORD",
            "two words"
        ));
        assert!(has(r#"token = "t" # c"#, Format::Toml, "token", "t"));
        assert!(has(
            r#"s = [{ name = "x", api_key = "k" }]"#,
            Format::Toml,
            "api_key",
            "k"
        ));
        assert!(has("export KEY=v1 v2", Format::Env, "KEY", "v1 v2"));
        assert!(has("pass = a b ; c", Format::Ini, "pass", "a b"));
        assert!(all("if a == b", Format::Text).is_empty());
    }

    #[test]
    fn colons_flags_directives() {
        assert!(has(
            "Authorization: Bearer abc def",
            Format::Text,
            "Authorization",
            "Bearer abc def"
        ));
        assert!(has("  - password: 'p'", Format::Yaml, "password", "p"));
        assert!(has("key: v # c", Format::Yaml, "key", "v"));
        assert!(!has("at 10:00:00 x", Format::Text, "10", "00"));
        assert!(has(
            "mysql --password secret -h",
            Format::Text,
            "password",
            "secret"
        ));
        assert!(has(
            "  env DB_PASS s3cr3t",
            Format::Caddyfile,
            "DB_PASS",
            "s3cr3t"
        ));
        assert!(has(
            "\tapi_key \"k k\"",
            Format::Caddyfile,
            "api_key",
            "k k"
        ));
    }

    #[test]
    fn guards() {
        for p in [
            "",
            "${X}",
            "{env.X}",
            "{$X}",
            "$X",
            "********",
            "<redacted>",
            "REDACTED",
            "[REDACTED:x]",
            "%APPDATA%",
            "{{ .Token }}",
        ] {
            assert!(is_placeholder(p.as_bytes()), "{p}");
        }
        for s in ["hunter2", "a1b2c3", "12345678"] {
            assert!(!is_placeholder(s.as_bytes()), "{s}");
        }
        assert!(is_hex_id(b"0123456789abcdef0123456789abcdef01234567"));
        assert!(is_hex_id(b"123e4567-e89b-12d3-a456-426614174000"));
        assert!(!is_hex_id(b"tok-abc"));
        assert!(entropy(b"aaaa") < 0.1 && entropy(b"abcd") > 1.9);
        assert_eq!(
            section_header(b"[[integration.siem]] # x"),
            Some(&b"integration.siem"[..])
        );
        assert_eq!(skip_auth_scheme(b"Bearer  xyz"), 8);
    }
}
