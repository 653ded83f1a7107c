//! The streaming engine: bytes in, redacted bytes out, one line at a time, bounded memory.
//!
//! Conventions:
//! - Input is split on `\n`; each line is scanned without its newline, and the output is the
//!   input with only the matched ranges replaced (invalid UTF-8 passes through untouched).
//! - A line longer than `max_line` is scanned in windows of `max_line` bytes. Findings in the
//!   first `max_line - overlap` bytes are committed; the window then advances to that commit
//!   point, so a secret shorter than `overlap` is always seen whole. A commit point inside a
//!   run of token bytes (a JWT, a key, an escaped PEM body) moves back to the run's start, so
//!   the next window sees the run whole too: any token up to `max_line - overlap` bytes is
//!   found whatever the alignment. Windows depend only on the line's bytes, never on read
//!   sizes, so any chunking of the input gives the same output.
//! - A rule's regex runs only on lines holding one of its keywords (or, for rules without
//!   keywords, one of the literals its matches start with); see `prefilter`. The prefilter
//!   searches each block of complete lines read at once, and a line without hits costs nothing
//!   more; a line scanned in windows, or the last line without a newline, is searched alone.
//! - Nothing allocates per line: scratch buffers live in [`Scratch`] and are reused, and
//!   counts go into a `Vec` indexed by rule number.

use std::collections::HashMap;
use std::io::{self, Read, Write};

use aho_corasick::AhoCorasick;
use regex::bytes::CaptureLocations;

use super::compiled::Compiled;
use super::keyed::{self, Claim};
use super::memo::{Memo, Minted};
use super::orphan_keys::OrphanKeys;
use super::pseudonym;
use super::rules::{Action, Detector};
use super::scan::{self, ColonKind};
use super::structured;
use crate::item::Format;

/// Line-length cap and window overlap.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Limits {
    pub max_line: usize,
    pub overlap: usize,
}

impl Default for Limits {
    fn default() -> Self {
        // 64 KiB holds any sane log line whole; 4 KiB of overlap covers every token format we
        // know (the longest, PEM bodies, are handled line by line).
        Limits {
            max_line: 64 << 10,
            overlap: 4 << 10,
        }
    }
}

const READ_SIZE: usize = 64 << 10;
const FLUSH_AT: usize = 64 << 10;

/// A range to replace.
#[derive(Debug, Clone, Copy)]
struct Span {
    start: usize,
    end: usize,
    counter: u32,
    pseudo: bool,
    counted: bool,
    /// Write the mask as a quoted string: it replaces a bare TOML or YAML value, where
    /// `[REDACTED:x]` would read as an array (or not parse).
    quote: bool,
    /// Part of the secret the previous mask began (a PEM body line, a YAML block line, the
    /// tail of a value cut by a window): it takes that mask's number.
    follow: bool,
    /// The IPv4 address the span is, as the scanner parsed it.
    v4: Option<u32>,
}

/// State carried from one line to the next. A run over whole lines that ends quiet can be
/// followed by a run started fresh: that is what lets blocks of lines be redacted in parallel
/// (see `parallel`).
#[derive(Debug, Default, Clone)]
pub(crate) struct LineState {
    /// Inside a PEM private key block: (counter, lines seen).
    pem: Option<(u32, u32)>,
    /// Inside a YAML block scalar whose key is secret: (key indent, counter).
    block: Option<(usize, u32)>,
    /// A mask ran to the end of the previous window: keep masking the value's tail.
    cont: Option<u32>,
    /// Current TOML/INI section.
    section: Vec<u8>,
    /// The number of the secret that `follow` spans continue.
    chain: Option<u32>,
}

impl LineState {
    /// Nothing carries over to the next line: the next line reads the same after this state
    /// as at the start of an input. (`chain` only matters while a key body, YAML block or cut
    /// value goes on, so it does not count.)
    pub(super) fn quiet(&self) -> bool {
        self.pem.is_none() && self.block.is_none() && self.cont.is_none() && self.section.is_empty()
    }

    /// Map the number of the secret being continued (see [`LocalNumbers`]).
    pub(super) fn map_chain(&mut self, f: impl FnOnce(u32) -> u32) {
        self.chain = self.chain.map(f);
    }
}

/// Mask numbers given within one block of lines redacted apart from the rest (`parallel`):
/// each distinct value gets a local number in the order first seen, and each mask records
/// where its number goes in the block's output, so that the blocks, written in input order,
/// get the numbers one engine would have given.
#[derive(Debug, Default)]
pub(crate) struct LocalNumbers {
    /// (label index, value) per local number, from 1, in the order first seen.
    pub values: Vec<(u32, Vec<u8>)>,
    seen: HashMap<u32, HashMap<Vec<u8>, u32>>,
    /// (offset in the block's output where `:<number>` goes, local number), in output order.
    pub marks: Vec<(usize, u32)>,
}

impl LocalNumbers {
    fn number(&mut self, label: u32, value: &[u8]) -> u32 {
        let per = self.seen.entry(label).or_default();
        if let Some(&n) = per.get(value) {
            return n;
        }
        self.values.push((label, value.to_vec()));
        let n = self.values.len() as u32;
        per.insert(value.to_vec(), n);
        n
    }
}

/// Reused buffers.
struct Scratch {
    lower: Vec<u8>,
    /// The same for a line searched alone.
    line_lower: Vec<u8>,
    line_hits: Vec<(u32, u32)>,
    /// Prefilter hits `(offset, word)` in the current block, and the first not yet consumed.
    hits: Vec<(u32, u32)>,
    next_hit: usize,
    /// Offset in the current block of the line being scanned, when it was searched with it.
    line_at: Option<usize>,
    spans: Vec<Span>,
    resolved: Vec<Span>,
    stamp: Vec<u64>,
    triggered: Vec<u32>,
    /// Key-rule findings: (value start, value end, key rule, is a YAML block, quote the mask).
    pairs: Vec<(usize, usize, usize, bool, bool)>,
    line_no: u64,
    locs: Vec<Option<CaptureLocations>>,
    /// Which key rule takes which key.
    rule_memo: keyed::RuleMemo,
}

/// One redaction pass over one input.
pub(crate) struct Engine<'a> {
    c: &'a Compiled,
    secret_ac: Option<&'a AhoCorasick>,
    format: Format,
    lim: Limits,
    st: LineState,
    sc: Scratch,
    pub counts: Vec<u64>,
    /// Where masks get their numbers; without it masks are not numbered.
    pub memo: Option<&'a Memo>,
    /// Number masks within this run only, for a writer to renumber (see [`LocalNumbers`]);
    /// used when `memo` is `None`.
    pub local: Option<LocalNumbers>,
    /// Pseudonyms written, with the values they stand for (for `reveal`), when wanted: each
    /// one the cache had not written before (so rarely one twice).
    pub minted: Option<Minted>,
    /// Pseudonyms already written; one seen again costs a probe, not a MAC. Only pseudonyms
    /// this cache computed after `minted` was set are in `minted`, so a hit needs no record.
    pub cache: Option<pseudonym::Cache>,
    /// The number of the last mask written.
    last_no: Option<u32>,
    /// Bytes written to the output so far by `stream`.
    written: usize,
}

fn b64(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'=')
}

fn is_word(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

impl<'a> Engine<'a> {
    pub(super) fn new(
        c: &'a Compiled,
        secret_ac: Option<&'a AhoCorasick>,
        format: Format,
        lim: Limits,
    ) -> Self {
        // Made when a rule first runs: its regex may not be compiled yet.
        let locs = c.rules.iter().map(|_| None).collect();
        Engine {
            c,
            secret_ac,
            format,
            lim,
            st: LineState::default(),
            sc: Scratch {
                lower: Vec::with_capacity(READ_SIZE),
                hits: Vec::with_capacity(256),
                line_lower: Vec::with_capacity(1024),
                line_hits: Vec::with_capacity(16),
                next_hit: 0,
                line_at: None,
                spans: Vec::with_capacity(16),
                resolved: Vec::with_capacity(16),
                stamp: vec![u64::MAX; c.triggers],
                triggered: Vec::with_capacity(16),
                pairs: Vec::with_capacity(16),
                line_no: 0,
                locs,
                rule_memo: keyed::RuleMemo::default(),
            },
            counts: vec![0; c.labels.len()],
            memo: None,
            local: None,
            minted: None,
            cache: None,
            last_no: None,
            written: 0,
        }
    }

    /// Start the next run in `st` (what a run over the lines before this input ended in).
    pub(super) fn set_state(&mut self, st: LineState) {
        self.st = st;
    }

    /// The state the last run ended in, leaving the default.
    pub(super) fn take_state(&mut self) -> LineState {
        std::mem::take(&mut self.st)
    }

    /// Counts since the last call, leaving zeros.
    pub(super) fn take_counts(&mut self) -> Vec<u64> {
        let zeros = vec![0; self.counts.len()];
        std::mem::replace(&mut self.counts, zeros)
    }

    /// Stream `input` to `output`; key bodies cut from their BEGIN line are masked on the way
    /// out (`orphan_keys`).
    pub(super) fn run<R: Read, W: Write>(&mut self, input: R, output: W) -> io::Result<()> {
        let c = self.c;
        let Some(rule) = c.rules.iter().position(|r| r.detector == Detector::Pem) else {
            return self.stream(input, output);
        };
        let mut keys = OrphanKeys::new(output, &c.labels[rule]);
        self.stream(input, &mut keys)?;
        keys.finish()?;
        self.counts[rule] += keys.masked;
        Ok(())
    }

    /// Stream `input` to `output` without the orphan-key filter: for a caller that puts the
    /// filter on the output of several runs (`parallel`).
    pub(super) fn stream<R: Read, W: Write>(
        &mut self,
        mut input: R,
        mut output: W,
    ) -> io::Result<()> {
        self.written = 0;
        let max_line = self.lim.max_line;
        let lb_max = self.lim.overlap;
        // Fixed size: the uncommitted part of a line stays under `max_line` and the
        // look-behind under `lb_max`, so a read always has `READ_SIZE` bytes of room.
        let mut buf: Vec<u8> = vec![0; READ_SIZE + max_line + lb_max];
        let mut filled = 0usize;
        let mut out: Vec<u8> = Vec::with_capacity(FLUSH_AT * 2);
        // buf[ctx..start] is already-emitted context of the current line (look-behind for the
        // next window); buf[start..filled] is not emitted yet.
        let mut start = 0usize;
        let mut ctx = 0usize;
        loop {
            if ctx > 0 && buf.len() - filled < READ_SIZE {
                buf.copy_within(ctx..filled, 0);
                filled -= ctx;
                start -= ctx;
                ctx = 0;
            }
            let old = filled;
            let n = loop {
                match input.read(&mut buf[old..]) {
                    Ok(n) => break n,
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                    Err(e) => return Err(e),
                }
            };
            filled += n;
            let buf = &buf[..];
            // One prefilter pass over the complete lines that start at `start`.
            // A line with look-behind (scanned in windows so far) is searched alone.
            let block = if ctx == start {
                start
            } else {
                memchr::memchr(b'\n', &buf[old..filled]).map_or(filled, |i| old + i + 1)
            };
            let block_end = memchr::memrchr(b'\n', &buf[old..filled])
                .map(|i| old + i)
                .filter(|&e| e >= block)
                .unwrap_or(block);
            self.block(&buf[block..block_end]);
            // Only the new bytes can hold the next newline.
            let mut scan_from = old;
            while let Some(i) = memchr::memchr(b'\n', &buf[scan_from..filled]) {
                let nl = scan_from + i;
                if ctx == start && ctx >= block && nl <= block_end && nl - ctx < max_line {
                    self.sc.line_at = Some(ctx - block);
                }
                self.line(&buf[ctx..nl], start - ctx, &mut out);
                self.sc.line_at = None;
                out.push(b'\n');
                start = nl + 1;
                ctx = start;
                scan_from = start;
                if out.len() >= FLUSH_AT {
                    output.write_all(&out)?;
                    self.written += out.len();
                    out.clear();
                }
            }
            while filled - start >= max_line {
                start += self.window(&buf[ctx..start + max_line], start - ctx, &mut out);
                ctx = ctx.max(start.saturating_sub(lb_max));
                if out.len() >= FLUSH_AT {
                    output.write_all(&out)?;
                    self.written += out.len();
                    out.clear();
                }
            }
            if n == 0 {
                if start < filled {
                    self.line(&buf[ctx..filled], start - ctx, &mut out);
                }
                output.write_all(&out)?;
                return output.flush();
            }
        }
    }

    /// Run the prefilter over a block of complete lines.
    fn block(&mut self, data: &[u8]) {
        self.sc.lower.clear();
        if self.c.prefilter.wants_lower() {
            self.sc.lower.extend_from_slice(data);
            self.sc.lower.make_ascii_lowercase();
        }
        self.c
            .prefilter
            .hits(data, &self.sc.lower, &mut self.sc.hits);
        self.sc.next_hit = 0;
    }

    /// The rest of a line, without its newline: `data[lb..]` is not emitted yet, `data[..lb]`
    /// is look-behind context.
    fn line(&mut self, data: &[u8], lb: usize, out: &mut Vec<u8>) {
        let (mut ctx, mut s) = (0, lb);
        while data.len() - s >= self.lim.max_line {
            s += self.window(&data[ctx..s + self.lim.max_line], s - ctx, out);
            ctx = ctx.max(s.saturating_sub(self.lim.overlap));
        }
        let piece = &data[ctx..];
        let lb = s - ctx;
        self.find_spans(piece, lb);
        let n = self.sc.resolved.len();
        self.emit(piece, lb, n, piece.len(), out);
        self.st.cont = None;
    }

    /// One window of a long line after `lb` bytes of look-behind; returns how many bytes past
    /// the look-behind were committed to `out`.
    fn window(&mut self, data: &[u8], lb: usize, out: &mut Vec<u8>) -> usize {
        self.find_spans(data, lb);
        let mut commit = commit_point(data, lb, data.len() - self.lim.overlap);
        let mut n = 0;
        for s in &self.sc.resolved {
            if s.start >= commit {
                break;
            }
            n += 1;
            if s.end > commit {
                commit = s.end;
                if s.end == data.len() && !s.pseudo {
                    self.st.cont = Some(s.counter);
                }
            }
        }
        self.emit(data, lb, n, commit, out);
        if self.st.cont.is_some() {
            self.st.chain = self.last_no;
        }
        commit - lb
    }

    fn emit(&mut self, line: &[u8], from: usize, n: usize, upto: usize, out: &mut Vec<u8>) {
        let mut pos = from;
        for s in &self.sc.resolved[..n] {
            out.extend_from_slice(&line[pos..s.start]);
            if s.pseudo {
                if let Some(p) = &self.c.pseudonymizer {
                    let at = out.len();
                    let value = &line[s.start..s.end];
                    let counter = s.counter as usize;
                    let prefix = &self.c.prefixes[counter];
                    let fresh = match &mut self.cache {
                        Some(cache) => match s.v4 {
                            Some(addr) => cache.write_v4(p, counter, prefix, addr, value, out),
                            None => cache.write(p, counter, prefix, value, out),
                        },
                        None => {
                            p.write(prefix, value, out);
                            true
                        }
                    };
                    if fresh && let Some(minted) = &mut self.minted {
                        minted.push(&out[at..], value);
                    }
                }
            } else {
                if s.quote {
                    out.push(b'"');
                }
                let label = &self.c.labels[s.counter as usize];
                out.extend_from_slice(b"[REDACTED:");
                out.extend_from_slice(label.as_bytes());
                if let Some(memo) = self.memo {
                    let no = match (s.follow, self.st.chain) {
                        (true, Some(no)) => no,
                        _ => memo.number(label, &line[s.start..s.end]),
                    };
                    if s.follow {
                        self.st.chain = Some(no);
                    }
                    self.last_no = Some(no);
                    // Writing to a Vec cannot fail.
                    let _ = write!(out, ":{no}");
                } else if let Some(local) = &mut self.local {
                    let no = match (s.follow, self.st.chain) {
                        (true, Some(no)) => no,
                        _ => local.number(s.counter, &line[s.start..s.end]),
                    };
                    if s.follow {
                        self.st.chain = Some(no);
                    }
                    self.last_no = Some(no);
                    local.marks.push((self.written + out.len(), no));
                }
                out.push(b']');
                if s.quote {
                    out.push(b'"');
                }
            }
            if s.counted {
                self.counts[s.counter as usize] += 1;
            }
            pos = s.end;
        }
        out.extend_from_slice(&line[pos..upto]);
    }

    fn push(&mut self, start: usize, end: usize, counter: usize, pseudo: bool, counted: bool) {
        if end > start {
            self.sc.spans.push(Span {
                start,
                end,
                counter: counter as u32,
                pseudo,
                counted,
                quote: false,
                follow: false,
                v4: None,
            });
        }
    }

    /// A mask that continues the secret the previous one began.
    fn push_follow(&mut self, start: usize, end: usize, counter: usize) {
        self.push(start, end, counter, false, false);
        if let Some(last) = self.sc.spans.last_mut().filter(|s| s.start == start) {
            last.follow = true;
        }
    }

    /// Fill `sc.resolved` with the non-overlapping replacements for `line` that lie past its
    /// first `lb` bytes (already emitted), in order.
    fn find_spans(&mut self, line: &[u8], lb: usize) {
        self.sc.spans.clear();
        self.sc.resolved.clear();
        self.sc.line_no += 1;
        let c = self.c;
        if let Some(counter) = self.st.cont.take() {
            let end = line[lb..]
                .iter()
                .position(|b| b.is_ascii_whitespace() || matches!(b, b'"' | b'\'' | b';' | b','))
                .unwrap_or(line.len() - lb);
            self.push_follow(lb, lb + end, counter as usize);
        }
        if matches!(self.format, Format::Toml | Format::Ini)
            && let Some(sec) = structured::section_header(line)
        {
            self.st.section.clear();
            self.st.section.extend_from_slice(sec);
        }
        if self.format == Format::Yaml {
            self.yaml_block(line);
        }
        if self.st.pem.is_some() {
            self.pem_body(line);
        }
        self.prefilter(line);
        for t in 0..self.sc.triggered.len() {
            let t = self.sc.triggered[t] as usize;
            if t < c.rules.len() {
                self.pattern_rule(t, line);
            }
        }
        let ident_trigger = (c.triggers - 1) as u32;
        let keys_wanted = self.format != Format::Text
            || c.keys_always
            || self
                .sc
                .triggered
                .iter()
                .any(|&t| t as usize >= c.rules.len() && t != ident_trigger);
        let names_wanted = self.sc.triggered.contains(&ident_trigger);
        if keys_wanted && !c.keys.is_empty() {
            self.key_rules(line);
        }
        if let Some(ac) = self.secret_ac {
            for m in ac.find_iter(line) {
                let i = m.pattern().as_usize();
                let (s, e) = (m.start(), m.end());
                // A learned account name is a name: only whole words are it.
                let pseudo = c.literal_pseudo.get(i).copied().unwrap_or(false);
                if pseudo
                    && ((s > 0 && is_word(line[s - 1])) || (e < line.len() && is_word(line[e])))
                {
                    continue;
                }
                self.push(s, e, c.literal_counter[i], pseudo, true);
            }
        }
        self.identifiers(line, names_wanted);
        self.resolve(lb);
    }

    fn prefilter(&mut self, line: &[u8]) {
        self.sc.triggered.clear();
        let pf = &self.c.prefilter;
        self.sc.triggered.extend_from_slice(&pf.always);
        let (from, to, mut i) = match self.sc.line_at {
            Some(at) => (at, at + line.len(), self.sc.next_hit),
            None => {
                self.sc.line_lower.clear();
                if pf.wants_lower() {
                    self.sc.line_lower.extend_from_slice(line);
                    self.sc.line_lower.make_ascii_lowercase();
                }
                pf.hits(line, &self.sc.line_lower, &mut self.sc.line_hits);
                (0, line.len(), 0)
            }
        };
        let no = self.sc.line_no;
        let hits = if self.sc.line_at.is_some() {
            &self.sc.hits
        } else {
            &self.sc.line_hits
        };
        while i < hits.len() && (hits[i].0 as usize) < from {
            i += 1;
        }
        while i < hits.len() && (hits[i].0 as usize) < to {
            for &t in &pf.triggers[hits[i].1 as usize] {
                let slot = &mut self.sc.stamp[t as usize];
                if *slot != no {
                    *slot = no;
                    self.sc.triggered.push(t);
                }
            }
            i += 1;
        }
        if self.sc.line_at.is_some() {
            self.sc.next_hit = i;
        }
    }

    fn pattern_rule(&mut self, i: usize, line: &[u8]) {
        let c = self.c;
        let rule = &c.rules[i];
        match rule.detector {
            Detector::Pem => return self.pem_begin(i, line),
            Detector::Regex => {}
            _ => return,
        }
        let Some(re) = &rule.regex else { return };
        let re = re.get();
        let mut locs = self.sc.locs[i]
            .take()
            .unwrap_or_else(|| re.capture_locations());
        let mut at = 0;
        while at <= line.len() {
            let Some(m) = re.captures_read_at(&mut locs, line, at) else {
                break;
            };
            at = if m.end() == m.start() {
                m.end() + 1
            } else {
                m.end()
            };
            let group = match rule.secret_group {
                Some(g) => locs.get(g),
                None => (1..locs.len())
                    .filter_map(|g| locs.get(g))
                    .find(|(s, e)| e > s)
                    .or(Some((m.start(), m.end()))),
            };
            let Some((s, e)) = group else { continue };
            let secret = &line[s..e];
            if rule
                .entropy
                .is_some_and(|min| structured::entropy(secret) < min)
            {
                continue;
            }
            if rule.action == Action::Mask && structured::is_placeholder(secret) {
                continue;
            }
            let whole = &line[m.start()..m.end()];
            if rule
                .allowlists
                .iter()
                .chain(&c.global_allow)
                .any(|a| a.allows(secret, whole, line))
            {
                continue;
            }
            self.push(s, e, i, rule.action == Action::Pseudonymize, true);
        }
        self.sc.locs[i] = Some(locs);
    }

    fn pem_begin(&mut self, rule: usize, line: &[u8]) {
        let Some(m) = self.c.pem_begin.find(line) else {
            return;
        };
        let after = m.end();
        if let Some(e) = memchr::memmem::find(&line[after..], b"-----END") {
            self.push(after, after + e, rule, false, true);
            return;
        }
        let rest = &line[after..];
        // Nothing but what wraps a line in source code or a shell script (`\n" +`, `",`,
        // ` \`): the body follows on the next lines, wrapped the same way.
        if scan::trim_wrapping_end(rest) == 0 {
            self.st.pem = Some((rule as u32, 0));
            self.st.chain = None;
            self.counts[rule] += 1;
        } else {
            // A key cut short (a truncated JSON string, a capped log): mask the rest.
            let end = rest.iter().rposition(|&b| b64(b)).map_or(0, |p| p + 1);
            self.push(after, after + end, rule, false, true);
        }
    }

    fn pem_body(&mut self, line: &[u8]) {
        let Some((counter, seen)) = self.st.pem else {
            return;
        };
        let end_marker = memchr::memmem::find(line, b"-----END");
        let limit = end_marker.unwrap_or(line.len());
        // Only the body part of a wrapped or prefixed line: `host app[1]: MIIE...` and
        // `"MIIE...\n" +` keep what is around it.
        if let Some((s, e)) = scan::pem_body_span(&line[..limit]) {
            self.push_follow(s, e, counter as usize);
        }
        self.st.pem = if end_marker.is_some() || seen > 2000 {
            None
        } else {
            Some((counter, seen + 1))
        };
    }

    fn yaml_block(&mut self, line: &[u8]) {
        let Some((indent, counter)) = self.st.block else {
            return;
        };
        let first = line.iter().position(|b| !b.is_ascii_whitespace());
        match first {
            None => {}
            Some(i) if i > indent => {
                let mut e = line.len();
                while e > i && line[e - 1].is_ascii_whitespace() {
                    e -= 1;
                }
                self.push_follow(i, e, counter as usize);
            }
            Some(_) => self.st.block = None,
        }
    }

    fn key_rules(&mut self, line: &[u8]) {
        let c = self.c;
        let bare_typed = matches!(self.format, Format::Toml | Format::Yaml);
        let section = std::mem::take(&mut self.st.section);
        let mut found = std::mem::take(&mut self.sc.pairs);
        let mut memo = std::mem::take(&mut self.sc.rule_memo);
        found.clear();
        structured::pairs(line, self.format, |p| {
            match keyed::claim(c, line, &p, &section, &mut memo) {
                Some(Claim::Value { start, end, rule }) => {
                    let quote = bare_typed && !p.quoted && !p.loose;
                    found.push((start, end, rule, false, quote));
                }
                Some(Claim::Block { rule }) => found.push((p.key.0, 0, rule, true, false)),
                None => {}
            }
        });
        self.st.section = section;
        self.sc.rule_memo = memo;
        for &(s, e, k, block, quote) in &found {
            let counter = c.rules.len() + k;
            if block {
                let indent = line
                    .iter()
                    .position(|b| !b.is_ascii_whitespace())
                    .unwrap_or(0);
                self.st.block = Some((indent.min(s), counter as u32));
                self.st.chain = None;
                self.counts[counter] += 1;
            } else {
                let pseudo = c.keys[k].action == Action::Pseudonymize;
                self.push(s, e, counter, pseudo, true);
                if quote && let Some(last) = self.sc.spans.last_mut() {
                    last.quote = true;
                }
            }
        }
        self.sc.pairs = found;
    }

    fn identifiers(&mut self, line: &[u8], names: bool) {
        let c = self.c;
        if let Some(r) = c.ipv4 {
            let spans = &mut self.sc.spans;
            scan::ipv4(line, |s, e, addr| {
                spans.push(Span {
                    v4: Some(addr),
                    ..pseudo_span(s, e, r)
                });
            });
        }
        if c.ipv6.is_some() || c.mac.is_some() {
            let spans = &mut self.sc.spans;
            scan::colon_runs(line, c.ipv6.is_some(), c.mac.is_some(), |s, e, k| {
                let r = match k {
                    ColonKind::Ipv6 => c.ipv6,
                    ColonKind::Mac => c.mac,
                };
                if let Some(r) = r {
                    spans.push(pseudo_span(s, e, r));
                }
            });
        }
        if let Some(ac) = c.ident_ac.as_ref().filter(|_| names) {
            for m in ac.find_iter(line) {
                let (s, e) = (m.start(), m.end());
                if (s > 0 && is_word(line[s - 1])) || (e < line.len() && is_word(line[e])) {
                    continue;
                }
                self.push(s, e, c.ident_counter[m.pattern().as_usize()], true, true);
            }
        }
    }

    /// Masks win over pseudonyms; overlapping masks merge into one.
    fn resolve(&mut self, lb: usize) {
        let spans = &mut self.sc.spans;
        if spans.is_empty() {
            return;
        }
        if lb > 0 {
            // Spans in the look-behind were handled by the previous window; one reaching
            // past it is finished quietly (the previous window counted it).
            spans.retain_mut(|s| {
                if s.start < lb && s.end > lb && !s.pseudo {
                    s.start = lb;
                    s.counted = false;
                }
                s.start >= lb
            });
        }
        spans.sort_unstable_by_key(|s| (s.pseudo, s.start, std::cmp::Reverse(s.end)));
        let out = &mut self.sc.resolved;
        for s in spans.iter() {
            if !s.pseudo {
                match out.last_mut() {
                    Some(last) if s.start < last.end => {
                        last.end = last.end.max(s.end);
                        last.counted |= s.counted;
                        last.quote |= s.quote;
                    }
                    _ => out.push(*s),
                }
            } else if !out.iter().any(|m| s.start < m.end && m.start < s.end) {
                out.push(*s);
            }
        }
        out.sort_unstable_by_key(|s| s.start);
    }
}

/// Run `f` writing to `output` behind the orphan-key filter (when a PEM rule is loaded), as
/// [`Engine::run`] does for one stream; the bodies the filter masks are added to the counts
/// `f` returns.
pub(super) fn with_orphan_filter<W: Write>(
    c: &Compiled,
    mut output: W,
    f: impl FnOnce(&mut dyn Write) -> io::Result<Vec<u64>>,
) -> io::Result<Vec<u64>> {
    let Some(rule) = c.rules.iter().position(|r| r.detector == Detector::Pem) else {
        return f(&mut output);
    };
    let mut keys = OrphanKeys::new(output, &c.labels[rule]);
    let mut counts = f(&mut keys)?;
    keys.finish()?;
    if counts.len() <= rule {
        counts.resize(c.labels.len(), 0);
    }
    counts[rule] += keys.masked;
    Ok(counts)
}

/// Bytes of tokens and encoded secrets, including the `\` of escaped line ends in a JSON
/// string holding a PEM key.
fn token_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric()
        || matches!(
            b,
            b'_' | b'-' | b'+' | b'/' | b'=' | b'.' | b'~' | b'%' | b'\\'
        )
}

/// Where a window may commit, at `at` or before it: never inside a run of token bytes that
/// starts past the look-behind (`lb`), so the next window begins at the run's start. A run
/// reaching back into the look-behind is longer than a window can hold whole, and is cut at
/// `at` as before.
fn commit_point(data: &[u8], lb: usize, at: usize) -> usize {
    if at <= lb || at >= data.len() || !token_byte(data[at - 1]) || !token_byte(data[at]) {
        return at;
    }
    let mut s = at - 1;
    while s > lb && token_byte(data[s - 1]) {
        s -= 1;
    }
    if s > lb { s } else { at }
}

fn pseudo_span(start: usize, end: usize, counter: usize) -> Span {
    Span {
        start,
        end,
        counter: counter as u32,
        pseudo: true,
        counted: true,
        quote: false,
        follow: false,
        v4: None,
    }
}
