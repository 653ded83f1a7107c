//! Redacting a large input on every core: blocks of whole lines are redacted in parallel and
//! written in input order, with output identical to one engine streaming the whole input.
//!
//! Conventions:
//! - A reader thread cuts the input into blocks of about `block` bytes that end at a newline;
//!   workers redact each block with an engine started in the default line state; the calling
//!   thread writes the results in order.
//! - Mask numbers (`[REDACTED:token:2]`) follow the order values are first seen in the
//!   output. A worker numbers the masks of its block locally and records where each number
//!   goes; the writer, taking blocks in input order, asks the redactor's memo for the global
//!   number of each local one (in the order first seen, as one engine would) and puts those
//!   in. Workers never touch the memo.
//! - Lines are independent except for the state an engine carries from one line to the next
//!   (a PEM key body, a YAML block scalar, a TOML section). A block is only accepted as is
//!   when the block before it ended quiet; otherwise it is redacted again, on the calling
//!   thread, starting from the state the previous block ended in and numbering directly. So
//!   a block boundary inside a PEM key changes nothing but the time taken.
//! - The orphan-key filter runs once, on the output of all blocks in order.
//! - At most `workers + 2` blocks are in flight, which bounds memory. A line too long to
//!   end a block (no newline within `4 × block` bytes) ends the parallel part: the rest of the
//!   input streams through one engine, in bounded memory, as single-threaded redaction does.

use std::collections::BTreeMap;
use std::io::{self, Read, Write};
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};
use std::sync::{Arc, Mutex};

use super::compiled::Compiled;
use super::engine::{self, Engine, LineState, LocalNumbers};
use super::memo::Memo;

/// How to split the work.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Plan {
    /// Worker threads.
    pub workers: usize,
    /// Target block size in bytes.
    pub block: usize,
    /// Inputs shorter than this are redacted on the calling thread.
    pub min_input: usize,
}

impl Plan {
    /// `workers` threads, 512 KiB blocks, parallel from 4 MiB.
    pub(super) fn new(workers: usize) -> Plan {
        Plan {
            workers,
            block: 512 << 10,
            min_input: 4 << 20,
        }
    }
}

/// What a worker made of one block.
struct Done {
    /// The block's input, for a rerun from a carried state.
    input: Vec<u8>,
    out: Vec<u8>,
    local: LocalNumbers,
    counts: Vec<u64>,
    end: LineState,
}

/// What the reader and the workers tell the writer, keyed by block number.
enum Msg {
    Done(Box<Done>),
    /// From here on, stream these bytes and then the rest of the input through one engine.
    Tail(Vec<u8>),
    /// Reading failed.
    Failed(io::Error),
}

/// Engines as the redactor configures them (rules, pseudonym cache, minted map), and what
/// to do with one when it is done (keep what it minted).
pub(crate) struct Engines<'c, M, F>
where
    M: Fn() -> Engine<'c> + Sync,
    F: Fn(Engine<'c>) + Sync,
{
    pub c: &'c Compiled,
    pub memo: &'c Memo,
    pub make: M,
    pub retire: F,
}

/// Redact `input` to `output` as one engine would, `plan.workers` blocks at a time.
/// Returns the counts, summed over blocks.
pub(crate) fn run<'c, R, W, M, F>(
    e: &Engines<'c, M, F>,
    mut input: R,
    output: W,
    plan: Plan,
) -> io::Result<Vec<u64>>
where
    R: Read + Send,
    W: Write,
    M: Fn() -> Engine<'c> + Sync,
    F: Fn(Engine<'c>) + Sync,
{
    let one = |input: &mut dyn Read, output: W| {
        let mut eng = (e.make)();
        eng.memo = Some(e.memo);
        let r = eng.run(input, output);
        let counts = eng.take_counts();
        (e.retire)(eng);
        r.map(|()| counts)
    };
    if plan.workers < 2 {
        return one(&mut input, output);
    }
    // The first bytes decide: a short input is not worth the threads.
    // Grown as read: most inputs (names, short items) are a few bytes.
    let mut head = Vec::new();
    if fill(&mut input, &mut head, plan.min_input)? {
        return one(&mut io::Cursor::new(head).chain(input), output);
    }
    engine::with_orphan_filter(e.c, output, |output| blocks(e, input, head, output, plan))
}

fn blocks<'c, R, M, F>(
    e: &Engines<'c, M, F>,
    mut input: R,
    head: Vec<u8>,
    output: &mut dyn Write,
    plan: Plan,
) -> io::Result<Vec<u64>>
where
    R: Read + Send,
    M: Fn() -> Engine<'c> + Sync,
    F: Fn(Engine<'c>) + Sync,
{
    let workers = plan.workers;
    let in_flight = workers + 2;
    std::thread::scope(|s| {
        let (jobs_tx, jobs_rx) = sync_channel::<(u64, Vec<u8>)>(workers);
        let (msg_tx, msg_rx) = sync_channel::<(u64, Msg)>(in_flight);
        let (slot_tx, slot_rx) = sync_channel::<()>(in_flight);
        let jobs_rx = Arc::new(Mutex::new(jobs_rx));
        for _ in 0..workers {
            let jobs = Arc::clone(&jobs_rx);
            let msgs = msg_tx.clone();
            s.spawn(move || {
                let eng = work((e.make)(), e.memo, &jobs, &msgs);
                (e.retire)(eng);
            });
        }
        drop(jobs_rx);
        let reader_msgs = msg_tx;
        let reader = s.spawn(move || {
            read_blocks(
                &mut input,
                head,
                plan.block,
                &slot_tx,
                &jobs_tx,
                &reader_msgs,
            );
            input
        });
        let mut w = Writer {
            e,
            output,
            counts: Vec::new(),
            state: LineState::default(),
            direct: None,
            buf: Vec::new(),
        };
        let written = w.write_in_order(&msg_rx, &slot_rx);
        // Unblock the reader and the workers whatever happened.
        drop(msg_rx);
        drop(slot_rx);
        let input = reader
            .join()
            .map_err(|_| io::Error::other("redaction reader thread panicked"))?;
        let tail = written?;
        let mut eng = w.direct.take().unwrap_or_else(|| direct(e));
        let mut result = Ok(());
        if let Some(bytes) = tail {
            eng.set_state(std::mem::take(&mut w.state));
            result = eng.stream(io::Cursor::new(bytes).chain(input), &mut *w.output);
            add(&mut w.counts, &eng.take_counts());
        }
        (e.retire)(eng);
        result?;
        w.output.flush()?;
        Ok(w.counts)
    })
}

fn add(sum: &mut Vec<u64>, more: &[u64]) {
    if sum.len() < more.len() {
        sum.resize(more.len(), 0);
    }
    for (s, m) in sum.iter_mut().zip(more) {
        *s += m;
    }
}

/// Read until `buf` holds `want` bytes or the input ends; true at end of input.
fn fill(input: &mut impl Read, buf: &mut Vec<u8>, want: usize) -> io::Result<bool> {
    while buf.len() < want {
        let n = (&mut *input)
            .take((want - buf.len()) as u64)
            .read_to_end(buf)?;
        if n == 0 {
            return Ok(true);
        }
    }
    Ok(false)
}

/// Cut the input into blocks of whole lines and hand them out, numbered.
fn read_blocks(
    input: &mut impl Read,
    mut pending: Vec<u8>,
    block: usize,
    slots: &SyncSender<()>,
    jobs: &SyncSender<(u64, Vec<u8>)>,
    msgs: &SyncSender<(u64, Msg)>,
) {
    let mut seq = 0u64;
    let mut eof = false;
    loop {
        // Cut whole lines off what is pending, a block at a time.
        while pending.len() >= block || (eof && !pending.is_empty()) {
            let cut = if eof && pending.len() < block * 4 {
                pending.len()
            } else {
                match memchr::memrchr(b'\n', &pending[..pending.len().min(block * 4)]) {
                    Some(i) => i + 1,
                    None if pending.len() >= block * 4 => {
                        // A line too long to end a block: the rest goes through one engine.
                        let _ = msgs.send((seq, Msg::Tail(pending)));
                        return;
                    }
                    None => break,
                }
            };
            let rest = pending[cut..].to_vec();
            pending.truncate(cut);
            if slots.send(()).is_err() || jobs.send((seq, pending)).is_err() {
                return;
            }
            seq += 1;
            pending = rest;
        }
        if eof {
            return;
        }
        let want = pending.len() + block;
        match fill(input, &mut pending, want) {
            Ok(e) => eof = e,
            Err(e) => {
                let _ = msgs.send((seq, Msg::Failed(e)));
                return;
            }
        }
    }
}

/// Redact blocks from the default state, numbering masks locally, until the jobs run out.
/// Returns the engine, for what it minted.
fn work<'c>(
    mut eng: Engine<'c>,
    memo: &Memo,
    jobs: &Mutex<Receiver<(u64, Vec<u8>)>>,
    msgs: &SyncSender<(u64, Msg)>,
) -> Engine<'c> {
    eng.memo = None;
    loop {
        let job = match jobs.lock() {
            Ok(rx) => rx.recv(),
            Err(_) => return eng,
        };
        let Ok((seq, input)) = job else { return eng };
        let mut out = Vec::with_capacity(input.len() + input.len() / 8);
        eng.local = Some(LocalNumbers::default());
        // Reading from a slice into a Vec cannot fail.
        let _ = eng.stream(&input[..], &mut out);
        // Pseudonyms minted go to the memo block by block, so no worker holds a map of every
        // value it has seen; a union, so the order the workers finish in does not matter.
        if let Some(minted) = eng.minted.as_mut() {
            memo.absorb(std::mem::take(minted));
        }
        let done = Done {
            input,
            out,
            local: eng.local.take().unwrap_or_default(),
            counts: eng.take_counts(),
            end: eng.take_state(),
        };
        if msgs.send((seq, Msg::Done(Box::new(done)))).is_err() {
            return eng;
        }
    }
}

/// An engine that numbers masks directly: for the calling thread, which goes in order.
fn direct<'c, M, F>(e: &Engines<'c, M, F>) -> Engine<'c>
where
    M: Fn() -> Engine<'c> + Sync,
    F: Fn(Engine<'c>) + Sync,
{
    let mut eng = (e.make)();
    eng.memo = Some(e.memo);
    eng
}

/// The calling thread's side: blocks in order, numbered, to the output.
struct Writer<'a, 'c, M, F>
where
    M: Fn() -> Engine<'c> + Sync,
    F: Fn(Engine<'c>) + Sync,
{
    e: &'a Engines<'c, M, F>,
    output: &'a mut dyn Write,
    counts: Vec<u64>,
    /// The state the blocks written so far ended in; its `chain` is a global number.
    state: LineState,
    /// The engine for blocks redone from a carried state, and for the tail.
    direct: Option<Engine<'c>>,
    buf: Vec<u8>,
}

impl<'c, M, F> Writer<'_, 'c, M, F>
where
    M: Fn() -> Engine<'c> + Sync,
    F: Fn(Engine<'c>) + Sync,
{
    /// Write redacted blocks in input order. Returns the tail to stream, if any.
    fn write_in_order(
        &mut self,
        msgs: &Receiver<(u64, Msg)>,
        slots: &Receiver<()>,
    ) -> io::Result<Option<Vec<u8>>> {
        let mut ahead: BTreeMap<u64, Msg> = BTreeMap::new();
        let mut next = 0u64;
        while let Ok((seq, msg)) = msgs.recv() {
            ahead.insert(seq, msg);
            while let Some(msg) = ahead.remove(&next) {
                match msg {
                    Msg::Done(done) => self.block(*done)?,
                    Msg::Tail(bytes) => return Ok(Some(bytes)),
                    Msg::Failed(e) => return Err(e),
                }
                // A block is out: the reader may start another.
                let _ = slots.try_recv();
                next += 1;
            }
        }
        Ok(None)
    }

    fn block(&mut self, done: Done) -> io::Result<()> {
        if !self.state.quiet() {
            // The block began inside something the previous one opened: redo it from there.
            let state = std::mem::take(&mut self.state);
            let mut buf = std::mem::take(&mut self.buf);
            buf.clear();
            let e = self.e;
            let eng = self.direct.get_or_insert_with(|| direct(e));
            eng.set_state(state);
            eng.stream(&done.input[..], &mut buf)?;
            let counts = eng.take_counts();
            self.state = eng.take_state();
            self.output.write_all(&buf)?;
            self.buf = buf;
            add(&mut self.counts, &counts);
            return Ok(());
        }
        let labels = &self.e.c.labels;
        let global: Vec<u32> = done
            .local
            .values
            .iter()
            .map(|(label, value)| self.e.memo.number(&labels[*label as usize], value))
            .collect();
        let to_global = |n: u32| global[n as usize - 1];
        let mut pos = 0;
        for &(at, n) in &done.local.marks {
            self.output.write_all(&done.out[pos..at])?;
            write!(self.output, ":{}", to_global(n))?;
            pos = at;
        }
        self.output.write_all(&done.out[pos..])?;
        add(&mut self.counts, &done.counts);
        let mut end = done.end;
        end.map_chain(to_global);
        self.state = end;
        Ok(())
    }
}

/// Generated logs with planted secrets, shared with the integration tests and benches.
#[cfg(test)]
#[allow(dead_code, unreachable_pub)]
#[path = "../../tests/support/testdata.rs"]
mod testdata;

#[cfg(test)]
mod tests {
    use super::testdata::{self, Profile};
    use super::*;
    use crate::item::Format;
    use crate::redact::engine::Limits;
    use crate::redact::{Counts, Redactor};
    use proptest::prelude::*;

    /// A fresh redactor (numbering from 1) with the one pseudonym key of this test process.
    fn redactor() -> Redactor {
        static KEY: std::sync::OnceLock<tempfile::TempDir> = std::sync::OnceLock::new();
        let dir = KEY.get_or_init(|| tempfile::tempdir().unwrap());
        Redactor::new(&crate::redact::tests::opts(dir.path())).unwrap()
    }

    /// Small blocks, so a test input crosses many block boundaries.
    fn plan(workers: usize, block: usize) -> Plan {
        Plan {
            workers,
            block,
            min_input: 0,
        }
    }

    /// One engine over the whole input, with a redactor of its own so numbering starts
    /// afresh.
    fn one_thread(data: &[u8], format: Format, lim: Limits) -> (Vec<u8>, Counts) {
        let r = redactor();
        let mut out = Vec::new();
        let mut counts = Counts::default();
        r.stream_with(data, &mut out, format, &mut counts, lim)
            .unwrap();
        (out, counts)
    }

    fn blocks(data: &[u8], format: Format, p: Plan, lim: Limits) -> (Vec<u8>, Counts) {
        let r = redactor();
        let mut out = Vec::new();
        let mut counts = Counts::default();
        r.parallel_with(data, &mut out, format, &mut counts, p, lim)
            .unwrap();
        (out, counts)
    }

    fn same(got: &[u8], want: &[u8], what: &str) {
        if got != want {
            let at = got.iter().zip(want).take_while(|(a, b)| a == b).count();
            let from = at.saturating_sub(200);
            panic!(
                "{what}: output differs at byte {at}\n got: {}\nwant: {}",
                String::from_utf8_lossy(&got[from..(at + 200).min(got.len())]),
                String::from_utf8_lossy(&want[from..(at + 200).min(want.len())])
            );
        }
    }

    #[test]
    fn blocks_on_many_workers_give_the_single_thread_output_and_counts() {
        for profile in Profile::ALL {
            let mut data = Vec::new();
            testdata::write_profile(profile, 3, 200 << 10, &mut data).unwrap();
            let lim = Limits::default();
            let (want, want_counts) = one_thread(&data, Format::Text, lim);
            assert!(want_counts.total() > 50, "{profile:?}");
            for (workers, block) in [(2, 4096), (3, 1000), (4, 65536), (8, 333)] {
                let (got, counts) = blocks(&data, Format::Text, plan(workers, block), lim);
                same(
                    &got,
                    &want,
                    &format!("{profile:?}, {workers} workers, {block}"),
                );
                assert_eq!(counts.by_rule(), want_counts.by_rule(), "{profile:?}");
            }
        }
    }

    #[test]
    fn masks_are_numbered_in_output_order_across_blocks() {
        // The same secrets recur in every block, first seen in different orders: numbers
        // must follow the first sight in the whole output, not in a block.
        let tokens: Vec<String> = (0..6)
            .map(|i| format!("ghp_{}", format!("{i}aB3xY9kL2mN").repeat(3)))
            .collect();
        let mut text = String::new();
        for i in 0..400 {
            let t = &tokens[(i * 7 + i / 50) % tokens.len()];
            text.push_str(&format!(
                "req {i} from 10.1.{}.{} token={t} ok\n",
                i % 7,
                i % 200
            ));
            text.push_str(&format!("password=hunter{:02}secret done\n", (400 - i) % 9));
        }
        let lim = Limits::default();
        let (want, want_counts) = one_thread(text.as_bytes(), Format::Text, lim);
        let want_text = String::from_utf8_lossy(&want);
        assert!(want_text.contains(":6]"), "{want_text}");
        for (workers, block) in [(2, 100), (3, 777), (4, 5000)] {
            let (got, counts) = blocks(text.as_bytes(), Format::Text, plan(workers, block), lim);
            same(&got, &want, &format!("{workers} workers, {block}"));
            assert_eq!(counts.by_rule(), want_counts.by_rule());
        }
    }

    #[test]
    fn a_pem_key_across_a_block_boundary_is_redacted_as_on_one_thread() {
        let body: Vec<String> = (0..8)
            .map(|i| format!("MIIEowIBAAKCAQEA{i}q8x2Zk3vNw7YpLr5TgHc1JdUe9FbXa0SmQo4KiVn6Wt"))
            .collect();
        // Filler lines put the boundary (every 200 bytes) at every offset inside the key,
        // with an equal key before it, so the key's number depends on the one before.
        for shift in 0..40 {
            let mut text = "x".repeat(shift) + "\n";
            for round in 0..2 {
                for i in 0..6 {
                    text.push_str(&format!("line {i} from 10.9.8.{i} ok\n"));
                }
                text.push_str("-----BEGIN RSA PRIVATE KEY-----\n");
                for b in &body[round..] {
                    text.push_str(b);
                    text.push('\n');
                }
                text.push_str("-----END RSA PRIVATE KEY-----\nafter the key\n");
            }
            let lim = Limits::default();
            let (want, want_counts) = one_thread(text.as_bytes(), Format::Text, lim);
            let (got, counts) = blocks(text.as_bytes(), Format::Text, plan(2, 200), lim);
            same(&got, &want, &format!("shift {shift}"));
            assert_eq!(counts.by_rule(), want_counts.by_rule());
            let got = String::from_utf8(got).unwrap();
            for b in &body {
                assert!(!got.contains(b.as_str()), "shift {shift}: {got}");
            }
            assert!(got.contains("after the key\n"));
        }
    }

    #[test]
    fn a_line_too_long_for_a_block_streams_the_rest_on_one_thread() {
        let lim = Limits {
            max_line: 512,
            overlap: 128,
        };
        let mut text = String::new();
        for i in 0..50 {
            text.push_str(&format!("short {i} password=hunter2{i}x from 10.0.0.{i}\n"));
        }
        // Past 4 blocks without a newline, with secrets on both sides of the cut.
        for i in 0..200 {
            text.push_str(&format!(" token=ghp_{i:036} host 10.1.1.{} ", i % 250));
        }
        text.push('\n');
        for i in 0..50 {
            text.push_str(&format!("then {i} password=hunter2{i}x\n"));
        }
        text.push_str("no newline at the end 10.2.2.2");
        let (want, want_counts) = one_thread(text.as_bytes(), Format::Text, lim);
        for workers in [2, 4] {
            let (got, counts) = blocks(text.as_bytes(), Format::Text, plan(workers, 1024), lim);
            same(&got, &want, &format!("{workers} workers"));
            assert_eq!(counts.by_rule(), want_counts.by_rule());
        }
        assert!(!String::from_utf8_lossy(&want).contains("hunter2"));
    }

    #[test]
    fn stateful_formats_are_redone_from_the_carried_state() {
        // TOML sections change what a key means: a block after a section header must not be
        // accepted as redacted from the default state. (The public entry point streams TOML
        // on one thread; this drives the blocks directly.)
        let mut text = String::new();
        for i in 0..200 {
            text.push_str(&format!(
                "[integration.siem]\nurl = \"https://siem{i}.example.com\"\n"
            ));
            text.push_str(&format!("token = \"tok{i:08}abcdef\"\nname = \"n{i}\"\n\n"));
        }
        let lim = Limits::default();
        let (want, want_counts) = one_thread(text.as_bytes(), Format::Toml, lim);
        let (got, counts) = blocks(text.as_bytes(), Format::Toml, plan(3, 300), lim);
        same(&got, &want, "toml");
        assert_eq!(counts.by_rule(), want_counts.by_rule());
    }

    #[test]
    fn every_planted_secret_in_the_mixed_corpus_is_redacted_on_every_core() {
        let c = testdata::mixed_corpus(8, 20_000);
        assert!(c.secrets.len() > 100, "{}", c.secrets.len());
        let (got, _) = blocks(
            c.text.as_bytes(),
            Format::Text,
            plan(2, 8192),
            Limits::default(),
        );
        let got = String::from_utf8(got).unwrap();
        let leaked: Vec<&String> = c
            .secrets
            .iter()
            .filter(|s| got.contains(s.as_str()))
            .collect();
        assert!(leaked.is_empty(), "{} leaked: {leaked:?}", leaked.len());
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

        /// Generated corpora (both profiles, PEM keys, JSON-escaped keys, repeated secrets),
        /// cut into blocks of random sizes: every cut lands somewhere inside some secret or
        /// key body over the cases, and the output must be one engine's, byte for byte.
        #[test]
        fn parallel_is_byte_identical_to_one_thread(
            seed in 0u64..10_000,
            mixed in any::<bool>(),
            workers in 2usize..6,
            block in 64usize..6000,
            json in any::<bool>(),
        ) {
            let c = if mixed {
                testdata::mixed_corpus(seed, 600)
            } else {
                testdata::corpus(seed, 600, 7)
            };
            // Each planted secret once more, later, so numbers repeat across blocks.
            let mut text = c.text.clone();
            for s in c.secrets.iter().rev() {
                text.push_str(&format!("again token={s} from 10.3.2.1\n"));
            }
            let format = if json { Format::Json } else { Format::Text };
            let lim = Limits::default();
            let (want, want_counts) = one_thread(text.as_bytes(), format, lim);
            let (got, counts) = blocks(text.as_bytes(), format, plan(workers, block), lim);
            prop_assert!(got == want, "seed {} block {}: output differs", seed, block);
            prop_assert_eq!(counts.by_rule(), want_counts.by_rule());
        }
    }
}
