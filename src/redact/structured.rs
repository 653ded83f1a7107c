//! Key/value extraction for key-based rules, one line at a time, per [`Format`].
//!
//! No format is parsed in full: the engine streams, and config files in the wild are often
//! invalid anyway. Each format reads its own syntax (pairs the key alone can be trusted on):
//!
//! | format     | the format's own syntax                                           |
//! |------------|-------------------------------------------------------------------|
//! | text       | none: every pair is free text                                     |
//! | json       | `"k":"v"`, `"k":["v1","v2"]`, also `\"`-escaped JSON in strings   |
//! | toml       | `k = v` outside strings (inline tables hold several), `[section]`  |
//! | ini        | `k = v` (the first `=`), `[section]`                              |
//! | yaml       | `k: v`, `- k: v`, flow-style JSON, `k: |` block scalars           |
//! | env        | `[export ]K=v`, systemd `Environment="K=v" K2=v2`                 |
//! | caddyfile  | `directive value...`, `env NAME value`, `header_up Name value`    |
//!
//! Free-text syntax is read over the whole line in text, and inside every value the format's
//! own syntax found, so a command line in a JSON string or `respond "k=v"` in a Caddyfile is
//! read like a log line. Its pairs are *loose*: weaker evidence, judged by `keyed`.
//! `k=v`, `k = v`, `k := v` (Go), `k => v` (Ruby, PHP), `$o->K = v`, `?k=v&k2=v2` (a URL
//! query), `"k": v`, `K: v` (headers), `--flag value`, `-Flag value`, `<k>v</k>`,
//! `<add key="K" value="v"/>`, `password 'v'` (Gradle, netrc), and the tool forms
//! `sshpass -p v`, `psexec -p v`, `mysql -pv`, `curl -u id:v`, `NetworkCredential("id", "v")`,
//! which say "password" without naming it.
//!
//! Ranges are byte offsets into the line; values exclude their quotes.

use crate::item::Format;

/// How a pair was written; decides how far a bare value reaches, and which key rules apply
/// (`forms` in a rule file).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Form {
    /// `"key": "value"`.
    Json,
    /// `key=value`, `key: value` in TOML/INI/env, `k := v`, `k => v`.
    Assign,
    /// A parameter of a URL query: `?key=value`, `&key=value`.
    Query,
    /// `key: value` (YAML, HTTP headers).
    Colon,
    /// `--flag value`, `-Flag value`.
    Flag,
    /// Caddyfile `directive value`.
    Directive,
    /// YAML `key: |` or `key: >`: the value is the following, more indented lines.
    Block,
    /// `<key>value</key>`, `<add key="K" value="v"/>`.
    Xml,
    /// `password value`, separated by spaces only (netrc, Gradle).
    Spaced,
    /// A tool's argument that is a password by position (`sshpass -p`, `curl -u id:pw`).
    Tool,
}

impl Form {
    /// Every form's name, for messages.
    pub(super) const NAMES: &'static str =
        "json, assign, query, colon, flag, directive, block, xml, spaced, tool";

    /// The form a rule file names.
    pub(super) fn from_name(name: &str) -> Option<Form> {
        Some(match name {
            "json" => Form::Json,
            "assign" => Form::Assign,
            "query" => Form::Query,
            "colon" => Form::Colon,
            "flag" => Form::Flag,
            "directive" => Form::Directive,
            "block" => Form::Block,
            "xml" => Form::Xml,
            "spaced" => Form::Spaced,
            "tool" => Form::Tool,
            _ => return None,
        })
    }
}

/// One key and one of its values.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Pair {
    pub key: (usize, usize),
    /// The key name the syntax implies (`sshpass -p` takes a password), matched instead of
    /// the text at `key`.
    pub implied: Option<&'static [u8]>,
    pub value: (usize, usize),
    pub form: Form,
    /// Found in free text rather than by the format's own syntax.
    pub loose: bool,
    /// The value was delimited (quotes, tags): it may hold spaces.
    pub quoted: bool,
}

impl Pair {
    fn new(key: (usize, usize), value: (usize, usize), form: Form) -> Pair {
        Pair {
            key,
            implied: None,
            value,
            form,
            loose: false,
            quoted: false,
        }
    }

    fn quoted(mut self, quoted: bool) -> Pair {
        self.quoted = quoted;
        self
    }

    /// The key name to match rules against.
    pub(super) fn key_name<'l>(&self, line: &'l [u8]) -> &'l [u8] {
        self.implied.unwrap_or(&line[self.key.0..self.key.1])
    }
}

/// The key name a tool's password argument implies.
const PASSWORD: &[u8] = b"password";

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

/// Call `f` for every key/value pair in `line`: the format's own syntax, then free text
/// inside each value it found (text: free text over the whole line).
pub(crate) fn pairs(line: &[u8], format: Format, mut f: impl FnMut(Pair)) {
    if format == Format::Text {
        let mut loose = |mut p: Pair| {
            p.loose = true;
            f(p)
        };
        json(line, &mut loose);
        free_text(line, &mut loose);
        return;
    }
    let mut seen: Vec<(usize, usize)> = Vec::new();
    // The widest value read so far: a value inside it (a bare TOML value runs to the end of a
    // line of many `k=v`) was read with it, and reading it again would make the line cost
    // the square of its length.
    let mut read: Option<(usize, usize)> = None;
    let mut own = |p: Pair| {
        seen.push(p.value);
        f(p);
        let (vs, ve) = p.value;
        if !read.is_some_and(|(s, e)| s <= vs && ve <= e) {
            inside(line, &p, &mut f);
            read = Some(p.value);
        }
    };
    match format {
        Format::Json => json(line, &mut own),
        Format::Toml => {
            assign(line, format, &mut own);
            toml_strings(line, &seen, &mut f);
        }
        Format::Ini => assign(line, format, &mut own),
        Format::Env => env(line, &mut own),
        Format::Yaml => {
            colon(line, format, &mut own);
            json(line, &mut own);
        }
        Format::Caddyfile | Format::Text => directive(line, &mut own),
    }
}

/// Free text inside the TOML strings no pair owns: the elements of an array (`argv = ["sh",
/// "-c", "echo token=x"]`, one element per line of a multi-line array). `seen` holds the values
/// the format's own syntax already found; those were read by [`inside`].
fn toml_strings(line: &[u8], seen: &[(usize, usize)], f: &mut impl FnMut(Pair)) {
    // What a caller does with each pair may look at the whole line, so a long line of many
    // strings would cost their product. An argv or a list of flags in a config is a short
    // line of a few strings; a line past these bounds is data, and its strings are left to the
    // secret rules (which read every line as text) rather than the key readers.
    const MAX_LINE: usize = 8192;
    const MAX_STRINGS: usize = 256;
    if line.len() > MAX_LINE {
        return;
    }
    let (mut i, strings) = (0, 0);
    while i < line.len() && strings < MAX_STRINGS {
        match line[i] {
            b'#' => return,
            q @ (b'"' | b'\'') => {
                let start = i + 1;
                let end = close_quote(line, start, q, false);
                if !seen.contains(&(start, end)) {
                    inside(
                        line,
                        &Pair::new((start, start), (start, end), Form::Assign),
                        f,
                    );
                }
                i = end + 1;
            }
            _ => i += 1,
        }
    }
}

/// Free text inside a value: a command line in a JSON string, `respond "k=v"`.
fn inside(line: &[u8], p: &Pair, f: &mut impl FnMut(Pair)) {
    let (vs, ve) = p.value;
    // The shortest free-text pair is `k=v`.
    if p.form == Form::Block || ve < vs + 3 {
        return;
    }
    free_text(&line[vs..ve], &mut |mut q: Pair| {
        q.key = (q.key.0 + vs, q.key.1 + vs);
        q.value = (q.value.0 + vs, q.value.1 + vs);
        f(q);
    });
}

/// The free-text extractors; every pair they find is loose.
fn free_text(line: &[u8], f: &mut impl FnMut(Pair)) {
    let mut loose = |mut p: Pair| {
        p.loose = true;
        f(p)
    };
    assign(line, Format::Text, &mut loose);
    colon(line, Format::Text, &mut loose);
    flags(line, &mut loose);
    xml(line, &mut loose);
    spaced(line, &mut loose);
    calls(line, &mut loose);
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
            f(Pair::new(key, (vs, ve), Form::Json).quoted(true));
        } else if line.get(i) == Some(&b'[') {
            i += 1;
            loop {
                i = skip_spaces(line, i);
                let Some(vs) = quote_at(i) else { break };
                let ve = close_quote(line, vs, b'"', escaped);
                f(Pair::new(key, (vs, ve), Form::Json).quoted(true));
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
    // `>` for `$o->Key`, `$`/`@` for variables, `:` for Ruby symbols; a closing bracket or
    // `<` for a key glued to what precedes it (`[db]password=`, `f(x)password=`, `<password=`).
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
                | b')'
                | b']'
                | b'<'
                | b'\''
                | b'|'
                | b'>'
                | b'$'
                | b'@'
                | b':'
        )
    {
        return None;
    }
    Some(s)
}

/// A quoted key ending at `end` (the closing quote's index + 1): its inner range.
fn quoted_key_before(line: &[u8], end: usize) -> Option<(usize, usize)> {
    let q = *line.get(end.checked_sub(1)?)?;
    if !matches!(q, b'"' | b'\'') {
        return None;
    }
    let open = memchr::memrchr(q, &line[..end - 1])?;
    let key = (open + 1, end - 1);
    let ok =
        key.1 > key.0 && key.1 - key.0 <= 80 && line[key.0..key.1].iter().all(|&b| is_key_byte(b));
    ok.then_some(key)
}

fn strip_dashes(line: &[u8], mut s: usize, e: usize) -> usize {
    while s < e && line[s] == b'-' {
        s += 1;
    }
    s
}

/// The `=` signs of a TOML line outside its strings (`a = "x=y"` has one).
fn toml_equals(line: &[u8]) -> impl Iterator<Item = usize> + '_ {
    let mut quote: Option<u8> = None;
    let mut escaped = false;
    line.iter().enumerate().filter_map(move |(i, &b)| {
        match quote {
            Some(q) => {
                if escaped {
                    escaped = false;
                } else if b == b'\\' && q == b'"' {
                    escaped = true;
                } else if b == q {
                    quote = None;
                }
            }
            None if matches!(b, b'"' | b'\'') => quote = Some(b),
            None if b == b'=' => return Some(i),
            None => {}
        }
        None
    })
}

/// `key=value`, `key = value`, `key := value`, `key => value`, `"key" = value`. TOML reads
/// only the `=` outside strings (inline tables hold several), INI only the first.
fn assign(line: &[u8], format: Format, f: &mut impl FnMut(Pair)) {
    match format {
        Format::Toml => assign_at(line, format, toml_equals(line), f),
        Format::Ini => assign_at(line, format, memchr::memchr(b'=', line).into_iter(), f),
        _ => assign_at(line, format, memchr::memchr_iter(b'=', line), f),
    }
}

fn assign_at(
    line: &[u8],
    format: Format,
    equals: impl Iterator<Item = usize>,
    f: &mut impl FnMut(Pair),
) {
    let mut ends = EndMemo::default();
    for eq in equals {
        let arrow = line.get(eq + 1) == Some(&b'>');
        if line.get(eq + 1) == Some(&b'=')
            || (eq > 0 && matches!(line[eq - 1], b'=' | b'!' | b'<' | b'>'))
        {
            continue;
        }
        let mut ke = eq;
        while ke > 0 && matches!(line[ke - 1], b' ' | b'\t') {
            ke -= 1;
        }
        if format == Format::Text && !arrow && ke > 0 && line[ke - 1] == b':' {
            // Go `key := value`.
            ke -= 1;
            while ke > 0 && matches!(line[ke - 1], b' ' | b'\t') {
                ke -= 1;
            }
        }
        let value_at = if arrow { eq + 2 } else { eq + 1 };
        if let Some(key) = quoted_key_before(line, ke) {
            if let Some(p) = assign_value(line, format, key, value_at, Form::Assign, &mut ends) {
                f(p);
            }
            continue;
        }
        let Some(ks) = key_before(line, ke) else {
            continue;
        };
        let form = if ks > 0 && matches!(line[ks - 1], b'?' | b'&') {
            Form::Query
        } else {
            Form::Assign
        };
        let ks = strip_dashes(line, ks, ke);
        if ks == ke {
            continue;
        }
        if let Some(p) = assign_value(line, format, (ks, ke), value_at, form, &mut ends) {
            f(p);
        }
    }
}

/// Where the last scan for the end of a bare value stopped. A later scan of the same kind
/// that starts inside that run stops at the same place (there is no stop byte in between), so
/// a line of many `k=v` with no stop byte (`HOME=HOME=…`, every value running to the end of
/// the line) is scanned once, not once per `=`, which would cost the square of its length.
#[derive(Debug, Default)]
struct EndMemo {
    /// (kind of scan, start, absolute end) of the last scan.
    last: Option<(EndScan, usize, usize)>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum EndScan {
    TomlBare,
    Comment,
    TextBare,
}

impl EndMemo {
    /// The end of the value starting at `at`, by `scan` (which returns it relative to `at`)
    /// or from the last scan. A comment starts only after a space, so a scan that starts on
    /// the end it found would go on past it: that start is scanned again.
    fn end(&mut self, kind: EndScan, at: usize, scan: impl FnOnce() -> usize) -> usize {
        if let Some((k, from, end)) = self.last
            && k == kind
            && from <= at
            && (at < end || (at == end && kind != EndScan::Comment))
        {
            return end - at;
        }
        let len = scan();
        self.last = Some((kind, at, at + len));
        len
    }
}

fn assign_value(
    line: &[u8],
    format: Format,
    key: (usize, usize),
    value_at: usize,
    form: Form,
    ends: &mut EndMemo,
) -> Option<Pair> {
    let vs = skip_spaces(line, value_at);
    let pair = |value, quoted| Some(Pair::new(key, value, form).quoted(quoted));
    match line.get(vs) {
        None => None,
        Some(&q @ (b'"' | b'\'')) => {
            if line[vs..].starts_with(b"\"\"\"") || line[vs..].starts_with(b"'''") {
                let s = vs + 3;
                let e = memchr::memmem::find(&line[s..], &line[vs..vs + 3])
                    .map_or(line.len(), |i| s + i);
                return pair((s, e), true);
            }
            pair((vs + 1, close_quote(line, vs + 1, q, false)), true)
        }
        Some(b'\\') if line.get(vs + 1) == Some(&b'"') => {
            pair((vs + 2, close_quote(line, vs + 2, b'"', true)), true)
        }
        Some(b'[' | b'{') if matches!(format, Format::Toml) => None,
        Some(_) => {
            let rest = &line[vs..];
            if let Some(end) = placeholder_end(rest) {
                return pair((vs, vs + end), false);
            }
            let end = match format {
                Format::Toml => ends.end(EndScan::TomlBare, vs, || bare_end(rest, b" \t,}]#\"'")),
                Format::Ini | Format::Env => ends.end(EndScan::Comment, vs, || comment_start(rest)),
                _ => {
                    let env_style = line[key.0..key.1]
                        .iter()
                        .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || *b == b'_');
                    let at_start = key.0 == 0 || line[..key.0].ends_with(b": ");
                    if env_style && at_start {
                        env_value_end(rest)
                    } else {
                        ends.end(EndScan::TextBare, vs, || bare_end(rest, b" \t\"',;&)]}\\"))
                    }
                }
            };
            let mut e = vs + end;
            while e > vs && matches!(line[e - 1], b' ' | b'\t' | b'\r') {
                e -= 1;
            }
            pair((vs, e), false)
        }
    }
}

/// An environment dump's value (`NAME=value` at the start of a line) runs to the end of the
/// line, or to the next ` NAME=` when several share one.
fn env_value_end(rest: &[u8]) -> usize {
    let end = comment_start(rest);
    let mut i = 0;
    while let Some(sp) = memchr::memchr(b' ', &rest[i..end]) {
        let w = i + sp + 1;
        let n = rest[w..end]
            .iter()
            .take_while(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || **b == b'_')
            .count();
        if n > 0 && rest[w].is_ascii_uppercase() && rest.get(w + n) == Some(&b'=') {
            return i + sp;
        }
        i = w;
    }
    end
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

/// Env files: `[export ]KEY=value` (one pair: a value may itself hold `=`), and systemd's
/// `Environment="K=v" K2=v2 'K3=v 3'`, each item an assignment.
fn env(line: &[u8], f: &mut impl FnMut(Pair)) {
    let mut at = skip_spaces(line, 0);
    if line[at..].starts_with(b"export ") {
        at = skip_spaces(line, at + 7);
    }
    if line[at..].starts_with(b"Environment=") {
        return systemd_environment(line, at + 12, f);
    }
    let Some(eq) = memchr::memchr(b'=', &line[at..]).map(|i| at + i) else {
        return;
    };
    let mut ke = eq;
    while ke > at && matches!(line[ke - 1], b' ' | b'\t') {
        ke -= 1;
    }
    let key = match quoted_key_before(line, ke) {
        Some(k) => k,
        None => match key_before(line, ke) {
            Some(ks) => (ks, ke),
            None => return,
        },
    };
    if let Some(p) = assign_value(
        line,
        Format::Env,
        key,
        eq + 1,
        Form::Assign,
        &mut EndMemo::default(),
    ) {
        f(p);
    }
}

fn systemd_environment(line: &[u8], mut i: usize, f: &mut impl FnMut(Pair)) {
    while i < line.len() {
        i = skip_spaces(line, i);
        let (s, e, next, quoted) = match line.get(i) {
            None => break,
            Some(&q @ (b'"' | b'\'')) => {
                let e = close_quote(line, i + 1, q, false);
                (i + 1, e, e + 1, true)
            }
            Some(_) => {
                let e = i + bare_end(&line[i..], b" \t");
                (i, e, e, false)
            }
        };
        if let Some(eq) = memchr::memchr(b'=', &line[s..e]).map(|j| s + j)
            && eq > s
        {
            f(Pair::new((s, eq), (eq + 1, e), Form::Assign).quoted(quoted));
        }
        i = next;
    }
}

/// `key: value` (YAML, HTTP headers), `'key': value` in code.
fn colon(line: &[u8], format: Format, f: &mut impl FnMut(Pair)) {
    let yaml = format == Format::Yaml;
    for c in memchr::memchr_iter(b':', line) {
        let after = line.get(c + 1).copied();
        if !(after.is_none() && yaml || matches!(after, Some(b' ' | b'\t'))) {
            continue;
        }
        let (key, ks) = match quoted_key_before(line, c) {
            Some(k) if !yaml => (k, k.0 - 1),
            _ => {
                let Some(ks) = key_before(line, c) else {
                    continue;
                };
                ((ks, c), ks)
            }
        };
        if yaml && !line[..ks].iter().all(|b| matches!(b, b' ' | b'\t' | b'-')) {
            continue;
        }
        let vs = skip_spaces(line, c + 1);
        if vs >= line.len() {
            continue;
        }
        let rest = &line[vs..];
        let (value, quoted) = match rest[0] {
            q @ (b'"' | b'\'') => ((vs + 1, close_quote(line, vs + 1, q, false)), true),
            b'|' | b'>' if yaml => {
                f(Pair::new(key, (vs, vs), Form::Block));
                continue;
            }
            _ if yaml => {
                let mut e = vs + comment_start(rest);
                while e > vs && matches!(line[e - 1], b' ' | b'\t' | b'\r') {
                    e -= 1;
                }
                ((vs, e), false)
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
                ((vs, e), false)
            }
        };
        f(Pair::new(key, value, Form::Colon).quoted(quoted));
    }
}

/// A quoted or bare (to the next space) argument starting at `vs`, and whether it was quoted.
fn argument(line: &[u8], vs: usize) -> ((usize, usize), bool) {
    if matches!(line[vs], b'"' | b'\'') {
        ((vs + 1, close_quote(line, vs + 1, line[vs], false)), true)
    } else {
        ((vs, vs + bare_end(&line[vs..], b" \t\"'")), false)
    }
}

/// `--flag value` and `-Flag value` on a command line (`--flag=value` is an assignment), and
/// the short password options of tools that have one.
fn flags(line: &[u8], f: &mut impl FnMut(Pair)) {
    // memchr rather than memmem: this runs on every text line, and a memmem searcher is
    // built per call.
    let mut next = 0;
    for d in memchr::memchr_iter(b'-', line) {
        if d < next || (d > 0 && !matches!(line[d - 1], b' ' | b'\t' | b'"' | b'\'')) {
            continue;
        }
        let double = line.get(d + 1) == Some(&b'-');
        let ks = d + if double { 2 } else { 1 };
        if !line.get(ks).is_some_and(u8::is_ascii_alphabetic) {
            continue;
        }
        let mut ke = ks;
        while ke < line.len()
            && (line[ke].is_ascii_alphanumeric() || matches!(line[ke], b'-' | b'_'))
        {
            ke += 1;
        }
        next = ke;
        if !double && (tool_flag(line, d, ks, f) || ke - ks < 2) {
            continue;
        }
        if line.get(ke) != Some(&b' ') {
            continue;
        }
        let vs = skip_spaces(line, ke);
        if vs >= line.len() || line[vs] == b'-' {
            continue;
        }
        let (value, quoted) = argument(line, vs);
        if double && &line[ks..ke] == b"user" && has_command(&line[..d], &[b"curl"]) {
            curl_user(line, value, f);
            continue;
        }
        f(Pair::new((ks, ke), value, Form::Flag).quoted(quoted));
    }
}

/// Whether `before` runs one of `commands` (a word, possibly a path's last part).
fn has_command(before: &[u8], commands: &[&[u8]]) -> bool {
    commands.iter().any(|c| {
        memchr::memmem::find_iter(before, c).any(|i| {
            let e = i + c.len();
            (i == 0 || matches!(before[i - 1], b' ' | b'\t' | b'/' | b'"' | b'\'' | b'='))
                && matches!(before.get(e), Some(b' ' | b'\t' | b'.' | b'"' | b'\''))
        })
    })
}

/// `-p PASS`/`-pPASS` of sshpass and psexec, `-pPASS` of the MySQL tools, `-u ID:PASS` of
/// curl; `d` is the dash, `ks` the option letter. True when it was one of these.
fn tool_flag(line: &[u8], d: usize, ks: usize, f: &mut impl FnMut(Pair)) -> bool {
    let before = &line[..d];
    let attached = ks + 1 < line.len() && !matches!(line[ks + 1], b' ' | b'\t');
    match line[ks] {
        b'p' => {
            let value = if has_command(before, &[b"sshpass", b"psexec", b"PsExec", b"psexec64"]) {
                let vs = if attached {
                    ks + 1
                } else {
                    skip_spaces(line, ks + 1)
                };
                if vs >= line.len() {
                    return false;
                }
                argument(line, vs)
            } else if attached
                && has_command(
                    before,
                    &[
                        b"mysql",
                        b"mysqldump",
                        b"mysqladmin",
                        b"mysqlimport",
                        b"mysqlcheck",
                        b"mariadb",
                        b"mariadb-dump",
                    ],
                )
            {
                argument(line, ks + 1)
            } else {
                return false;
            };
            let (v, quoted) = value;
            f(Pair {
                implied: Some(PASSWORD),
                ..Pair::new((ks, ks + 1), v, Form::Tool).quoted(quoted)
            });
            true
        }
        b'u' if has_command(before, &[b"curl"]) => {
            let vs = if attached {
                ks + 1
            } else {
                skip_spaces(line, ks + 1)
            };
            if vs >= line.len() {
                return false;
            }
            curl_user(line, argument(line, vs).0, f);
            true
        }
        _ => false,
    }
}

/// curl's `ID:PASS`: the part after the first colon is a password.
fn curl_user(line: &[u8], (s, e): (usize, usize), f: &mut impl FnMut(Pair)) {
    if let Some(c) = memchr::memchr(b':', &line[s..e]) {
        f(Pair {
            implied: Some(PASSWORD),
            ..Pair::new((s, s + c), (s + c + 1, e), Form::Tool).quoted(true)
        });
    }
}

/// `<key>value</key>`, and `key`/`name` plus `value` attributes in one tag
/// (`<add key="DbPassword" value="..."/>`, `<property name="password" value="..."/>`).
fn xml(line: &[u8], f: &mut impl FnMut(Pair)) {
    for lt in memchr::memchr_iter(b'<', line) {
        let ns = lt + 1;
        let mut ne = ns;
        while ne < line.len() && (is_key_byte(line[ne]) || line[ne] == b':') {
            ne += 1;
        }
        if ne == ns || !line[ns].is_ascii_alphabetic() {
            continue;
        }
        if line.get(ne) == Some(&b'>') {
            let vs = ne + 1;
            let Some(close) = memchr::memchr(b'<', &line[vs..]).map(|i| vs + i) else {
                continue;
            };
            let name = &line[ns..ne];
            let closes = line[close..].starts_with(b"</")
                && line[close + 2..].starts_with(name)
                && line.get(close + 2 + name.len()) == Some(&b'>');
            if closes && close > vs {
                f(Pair::new((ns, ne), (vs, close), Form::Xml).quoted(true));
            }
        } else {
            attributes(line, ne, f);
        }
    }
}

/// The attributes of a tag from `i` to its `>`: a `key`/`name` attribute names the key of a
/// `value` attribute.
fn attributes(line: &[u8], mut i: usize, f: &mut impl FnMut(Pair)) {
    let mut key = None;
    while i < line.len() {
        i = skip_spaces(line, i);
        let ns = i;
        while i < line.len() && is_key_byte(line[i]) {
            i += 1;
        }
        if i == ns || line.get(i) != Some(&b'=') {
            return;
        }
        let q = match line.get(i + 1) {
            Some(&q @ (b'"' | b'\'')) => q,
            _ => return,
        };
        let vs = i + 2;
        let ve = close_quote(line, vs, q, false);
        match &line[ns..i] {
            b"key" | b"name" => key = Some((vs, ve)),
            b"value" => {
                if let Some(k) = key {
                    f(Pair::new(k, (vs, ve), Form::Xml).quoted(true));
                }
            }
            _ => {}
        }
        i = ve + 1;
    }
}

/// `password value` with only spaces between (netrc `machine h login u password p`, Gradle
/// `password 'p'`): when quoted, in a netrc line, or at the start of the line.
fn spaced(line: &[u8], f: &mut impl FnMut(Pair)) {
    for i in memchr::memchr2_iter(b'p', b'P', line) {
        let rest = &line[i..];
        let w = if rest.len() > 8 && rest[..8].eq_ignore_ascii_case(b"password") {
            8
        } else if rest.len() > 6 && rest[..6].eq_ignore_ascii_case(b"passwd") {
            6
        } else {
            continue;
        };
        if (i > 0 && !matches!(line[i - 1], b' ' | b'\t')) || !matches!(rest[w], b' ' | b'\t') {
            continue;
        }
        let vs = skip_spaces(line, i + w);
        if vs >= line.len() || matches!(line[vs], b'=' | b':' | b'-') {
            continue;
        }
        let (value, quoted) = argument(line, vs);
        let before = &line[..i];
        let netrc = has_command(before, &[b"login", b"machine"]);
        if quoted || netrc || before.iter().all(|b| matches!(b, b' ' | b'\t')) {
            f(Pair::new((i, i + w), value, Form::Spaced).quoted(quoted));
        }
    }
}

/// `NetworkCredential("id", "password")`.
fn calls(line: &[u8], f: &mut impl FnMut(Pair)) {
    for p in memchr::memchr_iter(b'(', line) {
        if !line[..p].ends_with(b"NetworkCredential") {
            continue;
        }
        let i = skip_spaces(line, p + 1);
        let Some(&q @ (b'"' | b'\'')) = line.get(i) else {
            continue;
        };
        let j = skip_spaces(line, close_quote(line, i + 1, q, false) + 1);
        if line.get(j) != Some(&b',') {
            continue;
        }
        let k = skip_spaces(line, j + 1);
        if let Some(&q @ (b'"' | b'\'')) = line.get(k) {
            let ve = close_quote(line, k + 1, q, false);
            f(Pair {
                implied: Some(PASSWORD),
                ..Pair::new((p - 17, p), (k + 1, ve), Form::Tool).quoted(true)
            });
        }
    }
}

/// Caddyfile directives whose first argument is a header name and the rest its value.
const HEADER_DIRECTIVES: &[&[u8]] = &[b"header", b"header_up", b"header_down", b"request_header"];

/// Strip a header operation's prefix (`+Name`, `-Name`, `?Name`, `>Name`).
fn strip_header_op(line: &[u8], (mut s, e): (usize, usize)) -> (usize, usize) {
    while s < e && matches!(line[s], b'+' | b'-' | b'?' | b'>') {
        s += 1;
    }
    (s, e)
}

/// Caddyfile: `directive arg...`; `env NAME value` keys the value by NAME, and
/// `header_up Name value` (also `header`, `header_down`, `request_header`) by the header.
fn directive(line: &[u8], f: &mut impl FnMut(Pair)) {
    let mut toks: [(usize, usize, bool); 8] = [(0, 0, false); 8];
    let mut n = 0;
    let mut i = skip_spaces(line, 0);
    while i < line.len() && n < toks.len() {
        if line[i] == b'#' && (i == 0 || matches!(line[i - 1], b' ' | b'\t')) {
            break;
        }
        let (s, e, next, quoted) = match line[i] {
            q @ (b'"' | b'`') => {
                let e = close_quote(line, i + 1, q, false);
                (i + 1, e, e + 1, true)
            }
            _ => {
                let e = i + bare_end(&line[i..], b" \t");
                (i, e, e, false)
            }
        };
        toks[n] = (s, e, quoted);
        n += 1;
        i = skip_spaces(line, next.min(line.len()));
    }
    if n < 2 {
        return;
    }
    let tok = |k: usize| &line[toks[k].0..toks[k].1];
    let (key, first) = if tok(0) == b"env" && n >= 3 {
        ((toks[1].0, toks[1].1), 2)
    } else if HEADER_DIRECTIVES.contains(&tok(0)) {
        // Skip matchers: `header @api X-Api-Key v`, `header /path ...`, `header * ...`.
        let mut k = 1;
        while k < n && (tok(k).starts_with(b"@") || tok(k).starts_with(b"/") || tok(k) == b"*") {
            k += 1;
        }
        if k + 1 >= n || tok(k) == b"{" {
            return;
        }
        (strip_header_op(line, (toks[k].0, toks[k].1)), k + 1)
    } else {
        (strip_header_op(line, (toks[0].0, toks[0].1)), 1)
    };
    for &(s, e, quoted) in &toks[first..n] {
        if &line[s..e] == b"{" {
            break;
        }
        f(Pair::new(key, (s, e), Form::Directive).quoted(quoted));
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
/// A `[REDACTED]` or `[REDACTED:label]` marker: a value masked already. The whole value must
/// be the marker (a bare value ends at `]`, so its closing bracket may be cut off): a value
/// that merely holds `[REDACTED` later on (a line cut short, a marker further along the line)
/// may still hold a secret before it.
fn is_mask(v: &[u8]) -> bool {
    let Some(rest) = v.strip_prefix(b"[REDACTED") else {
        return false;
    };
    let rest = rest.strip_suffix(b"]").unwrap_or(rest);
    match rest {
        [] => true,
        [b':', label @ ..] => {
            !label.is_empty()
                && label
                    .iter()
                    .all(|&b| !matches!(b, b'[' | b']') && !b.is_ascii_whitespace())
        }
        _ => false,
    }
}

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
    // Caddy placeholders: `{http.request.header.X-Api-Key}`, `{vars.token}`.
    if v.len() > 2
        && v[0] == b'{'
        && v[v.len() - 1] == b'}'
        && v[1].is_ascii_alphabetic()
        && v[1..v.len() - 1]
            .iter()
            .all(|&b| is_key_byte(b) || b == b':')
        && v.contains(&b'.')
    {
        return true;
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
    // printf verbs: `password=%s`.
    if matches!(v, b"%s" | b"%v" | b"%q" | b"%d" | b"{}" | b"?") {
        return true;
    }
    if v[0] == b'<' && v[v.len() - 1] == b'>' {
        return true;
    }
    if v.len() > 5 && v[..4].eq_ignore_ascii_case(b"your") && matches!(v[4], b'_' | b'-') {
        return true;
    }
    if is_mask(v) {
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

/// Values that refer to a secret rather than hold one: `env.X`, `process.env.X`, `$(cmd)`,
/// `#{x}`, a function call (`getPassword()`), a CSS selector (`"#add-password"`).
/// `quoted`: the value was delimited, so it is a literal string unless it interpolates.
pub(crate) fn is_reference(line: &[u8], (s, e): (usize, usize), quoted: bool) -> bool {
    let v = &line[s..e];
    if v.starts_with(b"$(") || v.starts_with(b"#{") || v.starts_with(b"`") {
        return true;
    }
    if quoted {
        // `"#add-password"`, `".password-field"`: a selector, lower case with dashes.
        return v.len() > 2
            && matches!(v[0], b'#' | b'.')
            && v[1].is_ascii_lowercase()
            && v.contains(&b'-')
            && v[1..]
                .iter()
                .all(|&b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_');
    }
    const PREFIXES: &[&[u8]] = &[
        b"env.",
        b"process.env",
        b"os.environ",
        b"os.getenv",
        b"System.getenv",
        b"ENV[",
        b"ENV.fetch",
        b"secrets.",
        b"vars.",
        b"config.",
        b"settings.",
        b"this.",
        b"self.",
        b"params[",
        b"params.",
    ];
    if PREFIXES.iter().any(|p| v.starts_with(p)) {
        return true;
    }
    // A call: an identifier followed by `(`, with no arguments or named like code
    // (`get_secret("db")`, `vault.read(p)`, `loadApiKey(cfg)`); `Pa(ss)1` is a password.
    let ident = v
        .iter()
        .take_while(|&&b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.'))
        .count();
    let open = s + ident;
    if ident == 0 || !v[0].is_ascii_alphabetic() || line.get(open) != Some(&b'(') {
        return false;
    }
    let name = &v[..ident];
    // Code names are words: a digit inside one (`kVap3dI3gE0`) is a random password that
    // happens to sit before a `(`.
    if name
        .windows(2)
        .any(|w| w[0].is_ascii_digit() && w[1].is_ascii_alphabetic())
    {
        return false;
    }
    let code_like = name.iter().any(|&b| matches!(b, b'_' | b'.'))
        || (name.len() >= 6
            && name[0].is_ascii_lowercase()
            && name
                .windows(2)
                .any(|w| w[0].is_ascii_lowercase() && w[1].is_ascii_uppercase()));
    line.get(open + 1) == Some(&b')') || code_like && closed_arguments(&line[open + 1..])
}

/// Arguments closed by `)` on the line, spaced only after commas (`cfg)`, `ctx, "db")`):
/// `(Nov 25 10:19:30 ...` after a value is the next thing in a log, not a call.
fn closed_arguments(rest: &[u8]) -> bool {
    let Some(close) = memchr::memchr(b')', rest) else {
        return false;
    };
    let args = &rest[..close];
    args.iter()
        .enumerate()
        .all(|(i, &b)| !b.is_ascii_whitespace() || (i > 0 && matches!(args[i - 1], b',' | b' ')))
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
    fn keys_glued_to_a_bracket() {
        for (line, k, v) in [
            ("[db]password=hunter2", "password", "hunter2"),
            ("f(x)password=hunter2", "password", "hunter2"),
            // A password may hold `>`: the value runs on rather than leave a tail.
            ("<password=hunter2>", "password", "hunter2>"),
            ("a>password=hunter2", "password", "hunter2"),
            (
                "[INFO]Authorization: Bearer abc",
                "Authorization",
                "Bearer abc",
            ),
            ("a[b]c=d", "c", "d"),
        ] {
            assert!(
                has(line, Format::Text, k, v),
                "{line}: {:?}",
                all(line, Format::Text)
            );
        }
        // A bracket is not a key, and comparisons are not assignments.
        assert!(all("list[0]=x", Format::Text).is_empty());
        assert!(all("if (a)<=b", Format::Text).is_empty());
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

    /// (key name, value, loose) for every pair.
    fn found(line: &str, format: Format) -> Vec<(String, String, bool)> {
        let mut out = Vec::new();
        pairs(line.as_bytes(), format, |p| {
            out.push((
                String::from_utf8_lossy(p.key_name(line.as_bytes())).into_owned(),
                line[p.value.0..p.value.1].to_string(),
                p.loose,
            ))
        });
        out
    }

    #[test]
    fn own_syntax_then_free_text_inside_values() {
        let got = found(r#"cmd = "run --token=abc x=1" # k = v"#, Format::Toml);
        assert_eq!(got[0], ("cmd".into(), "run --token=abc x=1".into(), false));
        assert!(
            got.contains(&("token".into(), "abc".into(), true)),
            "{got:?}"
        );
        assert!(!got.iter().any(|(k, _, l)| k == "x" && !l), "{got:?}");
        let got = found("pass = a=b ; c", Format::Ini);
        assert_eq!(got[0], ("pass".into(), "a=b".into(), false));
        let got = found(r#"Environment="SOAR_TOKEN=t1 t2" B=2"#, Format::Env);
        assert_eq!(got[0], ("SOAR_TOKEN".into(), "t1 t2".into(), false));
        assert_eq!(got[1], ("B".into(), "2".into(), false));
        let got = found(r#"{"c":"a --password p1","n":"x"}"#, Format::Json);
        assert!(
            got.contains(&("password".into(), "p1".into(), true)),
            "{got:?}"
        );
        let got = found("\theader @api +X-Api-Key \"k 1\"", Format::Caddyfile);
        assert_eq!(got, vec![("X-Api-Key".into(), "k 1".into(), false)]);
        assert!(found("\theader_up {", Format::Caddyfile).is_empty());
    }

    #[test]
    fn code_and_tool_forms() {
        let has_pw = |line: &str, v: &str| {
            let got = found(line, Format::Text);
            assert!(
                got.iter()
                    .any(|(k, val, _)| k.to_lowercase().contains("pass") && val == v),
                "{line}: {got:?}"
            );
        };
        has_pw("db := Open(password := \"p1\")", "p1");
        has_pw(":password => 'p2'", "p2");
        has_pw("$m->Password = 'p3';", "p3");
        has_pw("<Password>p4</Password>", "p4");
        has_pw("<property name=\"db.password\" value=\"p5\"/>", "p5");
        has_pw("new NetworkCredential(\"u\", \"p6\")", "p6");
        has_pw("sshpass -pp7 ssh h", "p7");
        has_pw("/usr/bin/mysql -uroot -pp8 db", "p8");
        has_pw("curl --user id:p9 https://h", "p9");
        has_pw("machine h login u password p10", "p10");
        // `-p` is a port elsewhere, and `mysql -p NAME` prompts (NAME is a database).
        for line in [
            "ssh -p 2222 h",
            "docker run -p 8080:80 img",
            "mysql -p appdb",
        ] {
            let got = found(line, Format::Text);
            assert!(
                got.iter().all(|(k, _, _)| k != "password"),
                "{line}: {got:?}"
            );
        }
    }

    #[test]
    fn references() {
        let r = |line: &str, quoted: bool| {
            let at = line.find('=').unwrap() + 1;
            is_reference(line.as_bytes(), (at, line.len()), quoted)
        };
        assert!(r("p=getMasterUserPassword()", false));
        assert!(r("p=get_secret(\"db\")", false));
        assert!(r("p=$(cat /run/x)", false));
        assert!(r("p=process.env.X", false));
        assert!(r("p=#add-password", true));
        assert!(r("p=loadApiKey(cfg)", false));
        assert!(r("p=vault.read(ctx, \"db\")", false));
        assert!(!r("p=Pa(ss)w0rd", false));
        assert!(!r(
            "p=kVapydI3gE0ITK337z6q7RRmzN(Nov 25 10:19:30 host)",
            false
        ));
        assert!(!r("p=kVapydIgEITKzqRRmzN(Nov 25 10:19:30 host)", false));
        assert!(!r("p=kVapydIgEITKzqRRmzN(", false));
        assert!(!r("p=#Secr3t!", true));
        assert!(!r("p=hunter22", false));
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
            "[REDACTED:token:12]",
            "[REDACTED]",
            " [REDACTED:aws-access-key-id] ",
            "[REDACTED:token",
            "%APPDATA%",
            "{{ .Token }}",
        ] {
            assert!(is_placeholder(p.as_bytes()), "{p}");
        }
        for s in [
            "hunter2",
            "a1b2c3",
            "12345678",
            "session=57QYhfwoRq; theme=dark api_key=[REDACTED",
            "s3cr3t [REDACTED:password]",
            "[REDACTED:password] s3cr3t",
            "[REDACTED:password]]passwd=XXfcdM3W50q",
            "[REDACTED:]",
        ] {
            assert!(!is_placeholder(s.as_bytes()), "{s}");
        }
        assert!(entropy(b"aaaa") < 0.1 && entropy(b"abcd") > 1.9);
        assert_eq!(
            section_header(b"[[integration.siem]] # x"),
            Some(&b"integration.siem"[..])
        );
        assert_eq!(skip_auth_scheme(b"Bearer  xyz"), 8);
    }
}
