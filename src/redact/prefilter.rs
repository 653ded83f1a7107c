//! The keyword prefilter: which rules are worth running on which lines.
//!
//! Conventions:
//! - A rule with keywords runs on a line iff one of its keywords occurs in the line, compared
//!   ASCII-case-insensitively (exactly gitleaks' rule, no more and no less).
//! - Keywords are found through 3-byte *anchors*: each keyword of 3 bytes or more is assigned
//!   one of its 3-byte substrings (the rarest-looking, or one another keyword already uses),
//!   and the anchors are searched with packed SIMD (Teddy) searchers, word-like and token-like
//!   anchors apart; past 96 anchors, one table lookup per byte over all of them (see
//!   [`Trigrams`]), or a DFA when their bytes do not fit the table. All anchors have the same
//!   length, so no two can start at the same offset,
//!   and restarting the search one byte after each hit finds every occurrence. Each hit is
//!   then verified against the few keywords that own the anchor. Shorter keywords (`@`) are
//!   found with `memmem`. An aho-corasick automaton takes over if Teddy cannot be built.
//! - A rule without keywords gets a case-sensitive gate instead when every match of its regex
//!   must start with one of a small set of literals (`SK`, `SU`, ...); otherwise it runs on
//!   every line.
//! - The search runs over a whole block of complete lines at once; hits are positions in the
//!   block and the engine hands each line the hits inside it. Keywords and gate literals never
//!   contain `\n`, so a hit always lies inside one line.

use std::collections::HashMap;

use aho_corasick::packed;
use aho_corasick::{AhoCorasick, AhoCorasickBuilder, MatchKind};
use regex_syntax::hir::literal::{ExtractKind, Extractor};

/// Anchors are this long.
const ANCHOR: usize = 3;
/// Beyond this many anchors Teddy's verification cost grows; past it the packed searcher is
/// still tried with its limits lifted (it takes up to 128) before falling back to a DFA.
const MAX_PACKED: usize = 128;
/// Past this many anchors (as with the vendor rules) one DFA pass over all of them is
/// cheaper than Teddy, whose buckets fill with common letter trigrams and verify a false
/// candidate at most offsets.
const MAX_TEDDY: usize = 96;
/// Anchors searched with a DFA at most; more are searched with what the automaton picks.
const MAX_DFA: usize = 4096;
/// A gate with more literals than this is not worth it: the rule runs on every line.
const MAX_GATE: usize = 32;

/// A finder for a fixed set of equal-length anchors that reports every occurrence.
#[derive(Debug)]
enum Finder {
    Packed(packed::Searcher),
    Ac(AhoCorasick),
    /// All anchors in one table (when their bytes fit it).
    Trigrams(Trigrams),
    /// All anchors in one automaton, compiled to a DFA.
    Dfa(AhoCorasick),
}

impl Finder {
    fn new(pats: &[Vec<u8>]) -> Result<Finder, String> {
        if pats.len() <= MAX_PACKED {
            let mut b = packed::Config::new()
                .match_kind(packed::MatchKind::LeftmostFirst)
                .heuristic_pattern_limits(false)
                .builder();
            b.extend(pats);
            if let Some(s) = b.build() {
                return Ok(Finder::Packed(s));
            }
        }
        AhoCorasickBuilder::new()
            .match_kind(MatchKind::Standard)
            .build(pats)
            .map(Finder::Ac)
            .map_err(|e| format!("keyword prefilter: {e}"))
    }

    /// Call `f(start, pattern)` for every occurrence, in order of `start`.
    fn each(&self, hay: &[u8], mut f: impl FnMut(usize, usize)) {
        match self {
            Finder::Packed(s) => {
                let mut at = 0;
                while at < hay.len() {
                    let Some(m) = s.find_in(hay, aho_corasick::Span::from(at..hay.len())) else {
                        break;
                    };
                    f(m.start(), m.pattern().as_usize());
                    at = m.start() + 1;
                }
            }
            Finder::Trigrams(t) => t.each(hay, f),
            Finder::Ac(ac) | Finder::Dfa(ac) => {
                for m in ac.find_overlapping_iter(hay) {
                    f(m.start(), m.pattern().as_usize());
                }
            }
        }
    }
}

/// Every 3-byte anchor found by table lookup: each byte maps to a class (0 for bytes in no
/// anchor, else one of at most 63), three classes make an 18-bit index, and a 32 KiB bitmap
/// says which indexes are anchors. Exact, and about twice as fast as a DFA on log text: the
/// loop carries no state from byte to byte but the last two classes, where a DFA's next step
/// waits on its previous one.
struct Trigrams {
    class: [u8; 256],
    bits: Box<[u64; TRIGRAM_WORDS]>,
    /// Set bits in the bitmap's words before each word: an index's rank among the anchors'.
    rank: Box<[u16; TRIGRAM_WORDS]>,
    /// Anchor number by rank; read only on a hit. (A table by index would take 512 KiB of
    /// the cache the pseudonym table and the input need.)
    ids: Vec<u16>,
}

/// Indexes of three 6-bit classes, and the bitmap's words.
const TRIGRAM_INDEXES: usize = 1 << 18;
const TRIGRAM_WORDS: usize = TRIGRAM_INDEXES / 64;

impl std::fmt::Debug for Trigrams {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Trigrams(..)")
    }
}

impl Trigrams {
    /// `None` unless every pattern is [`ANCHOR`] bytes long, the patterns hold at most 63
    /// distinct bytes, and there are fewer than `u16::MAX` of them.
    fn new(pats: &[Vec<u8>]) -> Option<Trigrams> {
        if pats.len() >= usize::from(u16::MAX) || pats.iter().any(|p| p.len() != ANCHOR) {
            return None;
        }
        let mut class = [0u8; 256];
        let mut classes = 0u8;
        for &b in pats.iter().flatten() {
            if class[usize::from(b)] == 0 {
                if classes == 63 {
                    return None;
                }
                classes += 1;
                class[usize::from(b)] = classes;
            }
        }
        // Anchors are lower case; an upper-case letter reads as its lower case, so the table
        // can search text that was not lower-cased.
        for b in b'A'..=b'Z' {
            class[usize::from(b)] = class[usize::from(b.to_ascii_lowercase())];
        }
        let index = |p: &[u8]| {
            (usize::from(class[usize::from(p[0])]) << 12)
                | (usize::from(class[usize::from(p[1])]) << 6)
                | usize::from(class[usize::from(p[2])])
        };
        let mut bits = Box::new([0u64; TRIGRAM_WORDS]);
        for p in pats {
            let idx = index(p);
            bits[idx >> 6] |= 1 << (idx & 63);
        }
        let mut rank = Box::new([0u16; TRIGRAM_WORDS]);
        let mut before = 0u16;
        for (r, w) in rank.iter_mut().zip(bits.iter()) {
            *r = before;
            // At most `pats.len()` bits are set, fewer than `u16::MAX`.
            before += w.count_ones() as u16;
        }
        let mut t = Trigrams {
            class,
            bits,
            rank,
            ids: vec![u16::MAX; usize::from(before)],
        };
        for (i, p) in pats.iter().enumerate() {
            let r = t.rank_of(index(p));
            t.ids[r] = i as u16;
        }
        Some(t)
    }

    /// The rank of a set index among the set ones.
    fn rank_of(&self, idx: usize) -> usize {
        let (w, b) = ((idx >> 6) & (TRIGRAM_WORDS - 1), idx & 63);
        usize::from(self.rank[w]) + (self.bits[w] & ((1u64 << b) - 1)).count_ones() as usize
    }

    /// Call `f(start, pattern)` for every occurrence, in order of `start`.
    fn each(&self, hay: &[u8], mut f: impl FnMut(usize, usize)) {
        let mut found = Vec::with_capacity(hay.len() / 32);
        self.find_all(hay, &mut found);
        for (end, idx) in found {
            f(
                end as usize - 2,
                usize::from(self.ids[self.rank_of(idx as usize)]),
            );
        }
    }

    /// (offset of the last byte, index) of every occurrence. Kept out of line and free of
    /// callbacks so the loop's state stays in registers.
    #[inline(never)]
    fn find_all(&self, hay: &[u8], found: &mut Vec<(u32, u32)>) {
        // The last three classes, 6 bits each, in the low bits of `h`: the index. Class 0 is
        // in no anchor, so the first two indexes (which see it) never hit. Classes are below
        // 64 by construction, so `h & 63` is the current one: the bit to test.
        let mut h = 0usize;
        let mut step = |i: usize, b: u8| {
            h = (h << 6) | usize::from(self.class[usize::from(b)]);
            if (self.bits[(h >> 6) & (TRIGRAM_WORDS - 1)] >> (h & 63)) & 1 != 0 {
                found.push((i as u32, (h & (TRIGRAM_INDEXES - 1)) as u32));
            }
        };
        // Four bytes a round: the loop's own count and test, once for four.
        let mut chunks = hay.chunks_exact(4);
        let mut i = 0;
        for c in &mut chunks {
            step(i, c[0]);
            step(i + 1, c[1]);
            step(i + 2, c[2]);
            step(i + 3, c[3]);
            i += 4;
        }
        for &b in chunks.remainder() {
            step(i, b);
            i += 1;
        }
    }
}

/// Compiled keyword and gate search.
#[derive(Debug)]
pub(crate) struct Prefilter {
    /// Lower-cased keywords, then gate literals (case-sensitive); the index is a hit's id.
    words: Vec<Vec<u8>>,
    /// Triggers (rule numbers) per word.
    pub triggers: Vec<Vec<u32>>,
    /// Word-like anchors (letters only, frequent in text) and token-like ones (with digits or
    /// punctuation, rare) are searched separately: mixing them would give every Teddy bucket a
    /// common byte set and flood it with candidates. Each maps its patterns to anchor numbers.
    anchors: Vec<(Finder, Vec<usize>)>,
    /// Per anchor: (offset of the anchor in the word, word).
    owners: Vec<Vec<(usize, u32)>>,
    /// Keywords shorter than an anchor.
    short: Vec<(memchr::memmem::Finder<'static>, u32)>,
    /// Gate literals' first two bytes (or one), searched in the raw text; hits are verified
    /// against every gate word.
    gate: Option<AhoCorasick>,
    gate_words: std::ops::Range<usize>,
    /// Triggers with neither keywords nor a gate.
    pub always: Vec<u32>,
    /// Whether [`Prefilter::hits`] reads its `lower` argument.
    wants_lower: bool,
}

/// What a trigger is gated by.
pub(crate) enum Gate<'a> {
    /// Lower-case keywords.
    Keywords(&'a [String]),
    /// Every match of this regex (source) starts with one of the literals it implies.
    Regex(&'a str),
    /// Nothing: always run.
    None,
    /// Never run through the prefilter (built-in detectors, key rules without keywords).
    Never,
}

impl Prefilter {
    /// Build from each trigger's gate, in trigger order.
    pub(super) fn new(gates: &[Gate<'_>]) -> Result<Prefilter, String> {
        let mut words: Vec<Vec<u8>> = Vec::new();
        // Index of each word in `words`: a rule file may hold tens of thousands.
        let mut word_index: HashMap<Vec<u8>, usize> = HashMap::new();
        let mut triggers: Vec<Vec<u32>> = Vec::new();
        let mut always = Vec::new();
        let mut gates_lits: Vec<(Vec<Vec<u8>>, u32)> = Vec::new();
        for (t, g) in gates.iter().enumerate() {
            let t = t as u32;
            match g {
                Gate::Keywords(kw) if !kw.is_empty() => {
                    for k in kw.iter() {
                        let k = k.to_ascii_lowercase().into_bytes();
                        // A line never holds a newline: such a keyword can never match.
                        if k.contains(&b'\n') {
                            continue;
                        }
                        match word_index.get(&k) {
                            Some(&i) => triggers[i].push(t),
                            None => {
                                word_index.insert(k.clone(), words.len());
                                words.push(k);
                                triggers.push(vec![t]);
                            }
                        }
                    }
                }
                Gate::Regex(src) => match gate_literals(src) {
                    Some(lits) => gates_lits.push((lits, t)),
                    None => always.push(t),
                },
                Gate::Never => {}
                _ => always.push(t),
            }
        }
        // Anchors: each keyword takes its rarest-looking 3-gram, or an anchor already taken
        // when that is no more common. Short keywords first, since they have the least choice.
        let mut anchors: Vec<Vec<u8>> = Vec::new();
        let mut anchor_index: HashMap<Vec<u8>, usize> = HashMap::new();
        let mut owners: Vec<Vec<(usize, u32)>> = Vec::new();
        let mut short = Vec::new();
        let mut costs: Vec<u32> = Vec::new();
        let mut order: Vec<usize> = (0..words.len()).collect();
        order.sort_by_key(|&i| (words[i].len(), i));
        for i in order {
            let w = &words[i];
            if w.len() < ANCHOR {
                short.push((memchr::memmem::Finder::new(w).into_owned(), i as u32));
                continue;
            }
            // Each gram's cost once: a rule file may hold tens of thousands of keywords.
            costs.clear();
            costs.extend((0..=w.len() - ANCHOR).map(|o| gram_cost(&w[o..o + ANCHOR])));
            let grams = || (0..=w.len() - ANCHOR).map(|o| (o, &w[o..o + ANCHOR]));
            let (o, g) = grams()
                .min_by_key(|&(o, _)| (costs[o], o))
                .unwrap_or((0, &w[..ANCHOR]));
            let g_cost = costs[o];
            // Token-like anchors are rare in text whichever is taken: share any, to keep
            // their searcher small.
            let token_like = !g.iter().all(u8::is_ascii_alphabetic);
            let shared = grams()
                .filter(|&(ox, x)| {
                    costs[ox] <= g_cost || (token_like && !x.iter().all(u8::is_ascii_alphabetic))
                })
                .find_map(|(o, x)| anchor_index.get(x).map(|&a| (o, a)));
            let (o, a) = match shared {
                Some(x) => x,
                None => {
                    anchor_index.insert(g.to_vec(), anchors.len());
                    anchors.push(g.to_vec());
                    owners.push(Vec::new());
                    (o, anchors.len() - 1)
                }
            };
            owners[a].push((o, i as u32));
        }
        let mut groups: [(Vec<Vec<u8>>, Vec<usize>); 2] = Default::default();
        for (i, a) in anchors.into_iter().enumerate() {
            let g = &mut groups[usize::from(!a.iter().all(u8::is_ascii_alphabetic))];
            g.0.push(a);
            g.1.push(i);
        }
        let mut anchors = Vec::new();
        if groups.iter().map(|g| g.0.len()).sum::<usize>() > MAX_TEDDY {
            // Anchors are numbered in the order they were made: gather them back in order.
            let mut all: Vec<(usize, Vec<u8>)> = Vec::new();
            for (pats, map) in groups {
                all.extend(map.into_iter().zip(pats));
            }
            all.sort_by_key(|(i, _)| *i);
            let (map, pats): (Vec<usize>, Vec<Vec<u8>>) = all.into_iter().unzip();
            let finder = match Trigrams::new(&pats) {
                Some(t) => Finder::Trigrams(t),
                None => {
                    // Past some tens of thousands of anchors a DFA takes seconds to build;
                    // the automaton then picks its own kind.
                    let kind =
                        (pats.len() <= MAX_DFA).then_some(aho_corasick::AhoCorasickKind::DFA);
                    let dfa = AhoCorasickBuilder::new()
                        .match_kind(MatchKind::Standard)
                        .kind(kind)
                        .build(&pats)
                        .map_err(|e| format!("keyword prefilter: {e}"))?;
                    Finder::Dfa(dfa)
                }
            };
            anchors.push((finder, map));
        } else {
            for (pats, map) in groups {
                if !pats.is_empty() {
                    anchors.push((Finder::new(&pats)?, map));
                }
            }
        }
        let gate_start = words.len();
        let mut firsts: Vec<Vec<u8>> = Vec::new();
        for (lits, t) in gates_lits {
            for l in lits {
                let head = l[..l.len().min(2)].to_vec();
                if !firsts.contains(&head) {
                    firsts.push(head);
                }
                match words[gate_start..].iter().position(|w| *w == l) {
                    Some(i) => triggers[gate_start + i].push(t),
                    None => {
                        words.push(l);
                        triggers.push(vec![t]);
                    }
                }
            }
        }
        let gate = if firsts.is_empty() {
            None
        } else {
            Some(
                AhoCorasickBuilder::new()
                    .match_kind(MatchKind::LeftmostFirst)
                    .build(&firsts)
                    .map_err(|e| format!("rule gate: {e}"))?,
            )
        };
        // The table reads either case, the gate reads raw text, and a short keyword without
        // letters is the same in both: only the other finders need a lower-cased copy.
        let wants_lower = anchors
            .iter()
            .any(|(f, _)| !matches!(f, Finder::Trigrams(_)))
            || short
                .iter()
                .any(|&(_, w)| words[w as usize].iter().any(u8::is_ascii_alphabetic));
        Ok(Prefilter {
            wants_lower,
            gate_words: gate_start..words.len(),
            words,
            triggers,
            anchors,
            owners,
            short,
            gate,
            always,
        })
    }

    /// Whether [`Prefilter::hits`] needs the text lower-cased as well as raw.
    pub(super) fn wants_lower(&self) -> bool {
        self.wants_lower
    }

    /// The anchors, for tests and tuning.
    #[cfg(test)]
    pub(super) fn anchors(&self) -> (bool, Vec<String>) {
        let packed = self
            .anchors
            .iter()
            .all(|(f, _)| matches!(f, Finder::Packed(_) | Finder::Trigrams(_) | Finder::Dfa(_)));
        let mut v: Vec<String> = self
            .owners
            .iter()
            .map(|o| {
                let (off, w) = o[0];
                String::from_utf8_lossy(&self.words[w as usize][off..off + ANCHOR]).into_owned()
            })
            .collect();
        v.sort();
        (packed, v)
    }

    /// Every word occurrence in `raw` (`lower` is `raw` lower-cased), as `(offset, word)`
    /// pairs sorted by offset. Offsets are where a hit was seen, inside the word.
    ///
    /// `lower` is read only when [`Prefilter::wants_lower`] says so; otherwise any slice
    /// (an empty one) will do.
    pub(super) fn hits(&self, raw: &[u8], lower: &[u8], out: &mut Vec<(u32, u32)>) {
        out.clear();
        let mut sorted = true;
        let hay = if self.wants_lower { lower } else { raw };
        for (n, (f, map)) in self.anchors.iter().enumerate() {
            sorted &= n == 0;
            f.each(hay, |p, a| {
                let a = map[a];
                for &(o, w) in &self.owners[a] {
                    let word = &self.words[w as usize];
                    if p >= o
                        && hay
                            .get(p - o..p - o + word.len())
                            .is_some_and(|x| x.eq_ignore_ascii_case(word))
                    {
                        out.push((p as u32, w));
                    }
                }
            });
        }
        for (f, w) in &self.short {
            for p in f.find_iter(hay) {
                out.push((p as u32, *w));
                sorted = false;
            }
        }
        if let Some(g) = &self.gate {
            // Restart one byte after each hit: heads of different lengths may share a start.
            let mut at = 0;
            while let Some(m) = g.find(aho_corasick::Input::new(raw).range(at..)) {
                let p = m.start();
                for w in self.gate_words.clone() {
                    if raw[p..].starts_with(&self.words[w]) {
                        out.push((p as u32, w as u32));
                        sorted = false;
                    }
                }
                at = p + 1;
            }
        }
        if !sorted {
            // A few sorted runs back to back: the stable sort merges them in linear time.
            out.sort();
        }
    }
}

/// How common a 3-gram looks in logs: letters-only grams (and above all common English and
/// log-word ones) are frequent, grams with digits or punctuation are token-like and rare.
fn gram_cost(g: &[u8]) -> u32 {
    const COMMON: &[&[u8]] = &[
        b"the", b"and", b"ing", b"ion", b"tio", b"ent", b"ati", b"for", b"her", b"ter", b"con",
        b"res", b"ver", b"ers", b"ser", b"err", b"use", b"age", b"pat", b"eed", b"ook", b"acc",
        b"ess", b"ect", b"com", b"per", b"int", b"est", b"sta", b"ate", b"ons", b"nce", b"ted",
        b"pro", b"tor", b"log", b"ort", b"ame", b"sto", b"ore", b"out", b"req", b"ues", b"que",
    ];
    let base: u32 = g
        .iter()
        .map(|&b| match b {
            b'a'..=b'z' => commonness(b),
            b'0'..=b'9' => 4,
            b'-' | b'_' | b'.' | b':' | b'/' | b'=' | b' ' | b'"' | b',' => 3,
            _ => 1,
        })
        .sum();
    if COMMON.contains(&g) { base + 30 } else { base }
}

/// A rough rank of how often a byte occurs in logs (lower is rarer), to pick anchors.
fn commonness(b: u8) -> u32 {
    match b {
        b'e' | b't' | b'a' | b'o' | b'i' | b'n' | b's' | b'r' | b' ' => 10,
        b'h' | b'l' | b'd' | b'c' | b'u' | b'm' | b'0'..=b'9' => 8,
        b'f' | b'p' | b'g' | b'w' | b'y' | b'b' | b'.' | b':' | b'/' | b'-' | b'"' => 6,
        b'v' | b'k' | b'=' | b'_' | b',' => 4,
        b'x' | b'j' | b'q' | b'z' => 2,
        _ => 3,
    }
}

/// The literals every match of `src` starts with, when that set is small and none is empty.
/// The regex may have been compiled with Unicode on or off (see `rules::compile_regex`), so
/// both readings are taken and their literals united.
fn gate_literals(src: &str) -> Option<Vec<Vec<u8>>> {
    let mut out: Vec<Vec<u8>> = Vec::new();
    let mut parsed = false;
    for unicode in [false, true] {
        let Ok(hir) = regex_syntax::ParserBuilder::new()
            .unicode(unicode)
            .utf8(false)
            .build()
            .parse(src)
        else {
            continue;
        };
        parsed = true;
        let seq = Extractor::new().kind(ExtractKind::Prefix).extract(&hir);
        for l in seq.literals()? {
            let l = l.as_bytes();
            if l.is_empty() || l.contains(&b'\n') {
                return None;
            }
            if !out.iter().any(|x| x == l) {
                out.push(l.to_vec());
            }
        }
    }
    (parsed && !out.is_empty() && out.len() <= MAX_GATE).then_some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words_in(p: &Prefilter, line: &str) -> Vec<String> {
        let raw = line.as_bytes();
        let lower = raw.to_ascii_lowercase();
        let mut hits = Vec::new();
        p.hits(raw, &lower, &mut hits);
        let mut w: Vec<String> = hits
            .iter()
            .map(|&(_, w)| String::from_utf8_lossy(&p.words[w as usize]).into_owned())
            .collect();
        w.sort();
        w.dedup();
        w
    }

    #[test]
    fn finds_every_keyword_even_overlapping() {
        let kw: Vec<String> = ["key", "key-", "accountkey=", "sk-", "eyj", "@", "xkey"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        let p = Prefilter::new(&[Gate::Keywords(&kw)]).unwrap();
        assert_eq!(
            words_in(&p, "AccountKey=x xKEY-EYJ a@b sk-"),
            vec!["@", "accountkey=", "eyj", "key", "key-", "sk-", "xkey"]
        );
        assert!(words_in(&p, "nothing here").is_empty());
    }

    #[test]
    fn regex_gates_are_case_sensitive_prefixes() {
        let p = Prefilter::new(&[
            Gate::Regex(r"\b(SK[0-9a-f]{32})\b"),
            Gate::Regex(r"\b(S[UA][A-Z2-7]{56})\b"),
            Gate::Regex(r"[a-z]+"),
            Gate::None,
        ])
        .unwrap();
        assert_eq!(p.always, vec![2, 3]);
        assert_eq!(words_in(&p, "task SKab SU SAx"), vec!["SA", "SK", "SU"]);
        assert!(words_in(&p, "sk su sa").is_empty());
    }

    #[test]
    fn past_the_teddy_limit_one_table_finds_every_keyword() {
        // Three-letter keywords are their own anchors: 150 distinct ones.
        let kw: Vec<String> = (0..150u8)
            .map(|i| {
                let a = (b'a' + i % 26) as char;
                let b = (b'a' + i / 26) as char;
                format!("{a}{b}q")
            })
            .collect();
        let p = Prefilter::new(&[Gate::Keywords(&kw)]).unwrap();
        assert!(matches!(p.anchors.as_slice(), [(Finder::Trigrams(_), _)]));
        let (fast, anchors) = p.anchors();
        assert!(fast && anchors.len() == 150, "{}", anchors.len());
        assert_eq!(
            words_in(&p, "x AAQ baq-zeq qq ffqa"),
            vec!["aaq", "baq", "ffq", "zeq"]
        );
    }

    #[test]
    fn anchors_with_too_many_distinct_bytes_for_the_table_get_a_dfa() {
        // 64 distinct bytes: one more class than the table holds.
        let bytes: Vec<u8> = (b'!'..=b'~').filter(|b| !b.is_ascii_uppercase()).collect();
        assert!(bytes.len() > 63);
        let kw: Vec<String> = bytes
            .chunks(1)
            .zip(bytes.iter().cycle().skip(5).step_by(7))
            .map(|(a, &b)| format!("{}{}z", a[0] as char, b as char))
            .chain((0..100).map(|i| format!("q{i:02}")))
            .collect();
        let p = Prefilter::new(&[Gate::Keywords(&kw)]).unwrap();
        assert!(matches!(p.anchors.as_slice(), [(Finder::Dfa(_), _)]));
        let hay = format!("x {} Q07 {}", kw[3], kw[70]);
        let mut want = vec![kw[3].clone(), "q07".to_string(), kw[70].clone()];
        want.sort();
        want.dedup();
        assert_eq!(words_in(&p, &hay), want);
    }

    #[test]
    fn the_table_finds_what_an_automaton_finds() {
        let pats: Vec<Vec<u8>> = ["abc", "bca", "cab", "a-1", "-1-", "zzz", "$2a", "://"]
            .iter()
            .map(|p| p.as_bytes().to_vec())
            .collect();
        let t = Trigrams::new(&pats).unwrap();
        let ac = AhoCorasick::new(&pats).unwrap();
        let text = b"abcabca-1-1-zzzz $2a http://x ab c a-ABC";
        // Every length: the first two bytes and the last are where a table scan slips.
        for len in 0..=text.len() {
            let hay = &text[..len];
            let mut got = Vec::new();
            t.each(hay, |p, a| got.push((p, a)));
            let want: Vec<(usize, usize)> = ac
                .find_overlapping_iter(&hay.to_ascii_lowercase())
                .map(|m| (m.start(), m.pattern().as_usize()))
                .collect();
            assert_eq!(got, want, "{}", String::from_utf8_lossy(hay));
            if len == text.len() {
                assert!(got.len() >= 11, "{got:?}");
            }
        }
    }

    #[test]
    fn many_keywords_still_find_all() {
        let kw: Vec<String> = (0..200).map(|i| format!("kw{i:03}x")).collect();
        let p = Prefilter::new(&[Gate::Keywords(&kw)]).unwrap();
        assert_eq!(
            words_in(&p, "a KW007X b kw199xkw100x"),
            vec!["kw007x", "kw100x", "kw199x"]
        );
    }
}
