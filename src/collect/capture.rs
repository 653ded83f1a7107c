//! Wait for a spawned process group while draining its stdout and stderr under a byte cap.
//!
//! Conventions (on Unix; see `process_other` for what differs elsewhere):
//! - The child must have been spawned as the leader of its own process group
//!   (`process::isolate`), so the group id equals its pid.
//! - The leader is never reaped before the group is signalled: its exit is observed with
//!   `waitid(WNOWAIT)`, so the zombie keeps the pid (and with it the group id) reserved and
//!   `killpg` can never hit an unrelated process that later took the number. (On Linux; where
//!   `waitid` is missing the leader is reaped to learn its exit, see `process::leader_exited`.)
//! - Each pipe is read on its own thread so a child writing a lot to one stream never blocks
//!   on the other. Readers keep only the head of each stream (up to the cap) and count the
//!   rest, but keep reading so the child never stalls on a full pipe.
//! - Waiting on pipes is always bounded: a grandchild holding a pipe open after the leader
//!   exited gets a short grace, then the group is killed. Killing also reaches descendants
//!   that left the group (e.g. with `setsid`) while their parents live; one orphaned before
//!   that is abandoned to its reader thread, which ends when the pipe closes (at the latest
//!   when [`running::reap_adopted`](super::running::reap_adopted) stops it).

use std::io::{ErrorKind, Read};
use std::process::{Child, ExitStatus};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, Receiver, Sender};
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread;
use std::time::{Duration, Instant};

use super::process::{self, Pid, kill_group};

/// How long pipes may stay open after the leader exited before the group is killed.
const EXIT_GRACE: Duration = Duration::from_millis(300);

/// How long to wait for pipes to close once the group has been killed.
const KILL_GRACE: Duration = Duration::from_millis(500);

/// Longest sleep between checks on the leader.
const MAX_POLL: Duration = Duration::from_millis(20);

/// How far past its cap a stream may run before the group is killed: enough for a command
/// that prints somewhat too much and exits to be kept whole up to the cap, with its exit
/// status, and small enough that an endless stream (`yes`) ends in well under a second.
const FLOOD_MARGIN: u64 = 32 << 20;

/// Size of one read from a pipe.
const CHUNK: usize = 64 * 1024;

/// What was read from one stream.
#[derive(Debug, Default)]
pub(super) struct Stream {
    /// The head of the stream, at most the cap.
    pub data: Vec<u8>,
    /// Every byte read, kept or not.
    pub total: u64,
    /// A read error that ended the stream early.
    pub error: Option<String>,
}

/// How the leader ended.
#[derive(Debug)]
pub enum Ending {
    /// The leader exited (normally or by a signal) before the timeout.
    Exited(ExitStatus),
    /// The timeout passed; the group was killed.
    TimedOut,
    /// Waiting on the leader failed; the group was killed.
    WaitFailed(String),
    /// A stream ran far past the cap (by the module's flood margin); the group was killed.
    Flooded,
}

/// The result of [`run`].
#[derive(Debug)]
pub(super) struct Finished {
    /// How the leader ended.
    pub ending: Ending,
    /// Captured stdout.
    pub stdout: Stream,
    /// Captured stderr.
    pub stderr: Stream,
}

/// Shared between a reader thread and [`run`]; `closed` tells the reader its result was
/// already taken, so it only drains from then on.
#[derive(Debug, Default)]
struct Slot {
    stream: Stream,
    closed: bool,
}

type Shared = Arc<Mutex<Slot>>;

fn lock(slot: &Shared) -> MutexGuard<'_, Slot> {
    // A reader that panicked leaves consistent data behind: every update is a single append.
    slot.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Wait for `child` (a process-group leader with piped stdout and stderr) for at most
/// `timeout`, keeping at most `cap` bytes of each stream.
pub(super) fn run(mut child: Child, timeout: Duration, cap: usize) -> Finished {
    let limit = Instant::now() + timeout;
    let (done_tx, done_rx) = mpsc::channel();
    let flood = Arc::new(AtomicBool::new(false));
    let stdout = spawn_reader(child.stdout.take(), cap, done_tx.clone(), &flood);
    let stderr = spawn_reader(child.stderr.take(), cap, done_tx, &flood);
    let mut open_pipes = 2usize;

    let pid = process::leader(&child);
    if let Some(pid) = pid {
        super::running::register(pid);
    }
    // Unregistered before every reap: see `running` for why the order matters.
    let forget = || {
        if let Some(pid) = pid {
            super::running::unregister(pid);
        }
    };
    let ending = match pid {
        Some(pid) => wait_leader(&mut child, pid, limit, &flood),
        None => Err(LeaderWait::Failed("process id out of range".to_string())),
    };

    let ending = match ending {
        Ok(reaped) => {
            // The leader is a zombie now. Give the pipes a moment to reach end of file; if a
            // grandchild still holds them, kill the group rather than wait on it.
            let grace = Instant::now() + EXIT_GRACE;
            open_pipes = wait_pipes(&done_rx, open_pipes, grace.min(limit));
            if open_pipes > 0 {
                kill_group(&mut child, pid);
            }
            forget();
            match reaped.map_or_else(|| child.wait(), Ok) {
                Ok(status) => Ending::Exited(status),
                Err(e) => Ending::WaitFailed(e.to_string()),
            }
        }
        Err(LeaderWait::TimedOut) => {
            kill_group(&mut child, pid);
            forget();
            // Reaping cannot block long: the leader was just sent SIGKILL.
            let _ = child.wait();
            Ending::TimedOut
        }
        Err(LeaderWait::Flooded) => {
            kill_group(&mut child, pid);
            forget();
            let _ = child.wait();
            Ending::Flooded
        }
        Err(LeaderWait::Failed(msg)) => {
            kill_group(&mut child, pid);
            forget();
            let _ = child.wait();
            Ending::WaitFailed(msg)
        }
    };

    wait_pipes(&done_rx, open_pipes, Instant::now() + KILL_GRACE);
    Finished {
        ending,
        stdout: take(&stdout),
        stderr: take(&stderr),
    }
}

enum LeaderWait {
    TimedOut,
    Flooded,
    Failed(String),
}

/// Poll until the leader has exited, `limit` passes, or a reader raised `flood`. Returns the
/// exit status when the leader had to be reaped to learn it (see `process::leader_exited`).
fn wait_leader(
    child: &mut Child,
    pid: Pid,
    limit: Instant,
    flood: &AtomicBool,
) -> Result<Option<ExitStatus>, LeaderWait> {
    let mut pause = Duration::from_millis(1);
    loop {
        if flood.load(Ordering::Relaxed) {
            return Err(LeaderWait::Flooded);
        }
        match process::leader_exited(child, pid) {
            Ok(None) => {}
            Ok(Some(reaped)) => return Ok(reaped),
            Err(detail) => return Err(LeaderWait::Failed(detail)),
        }
        let now = Instant::now();
        if now >= limit {
            return Err(LeaderWait::TimedOut);
        }
        thread::sleep(pause.min(limit - now));
        pause = (pause * 2).min(MAX_POLL);
    }
}

/// Wait until `open` readers have reported end of stream or `until` passes; returns how many
/// are still open.
fn wait_pipes(done: &Receiver<()>, mut open: usize, until: Instant) -> usize {
    while open > 0 {
        let left = until.saturating_duration_since(Instant::now());
        match done.recv_timeout(left) {
            Ok(()) => open -= 1,
            // Timeout, or every sender gone (a reader that could not start counts as done).
            Err(mpsc::RecvTimeoutError::Timeout) => break,
            Err(mpsc::RecvTimeoutError::Disconnected) => return 0,
        }
    }
    open
}

fn take(slot: &Shared) -> Stream {
    let mut slot = lock(slot);
    slot.closed = true;
    std::mem::take(&mut slot.stream)
}

fn spawn_reader<R>(pipe: Option<R>, cap: usize, done: Sender<()>, flood: &Arc<AtomicBool>) -> Shared
where
    R: Read + Send + 'static,
{
    let slot = Shared::default();
    let Some(pipe) = pipe else {
        let _ = done.send(());
        return slot;
    };
    let shared = Arc::clone(&slot);
    let flood = Arc::clone(flood);
    let spawned = thread::Builder::new()
        .name("capture".to_string())
        .spawn(move || {
            read_into(pipe, cap, &shared, &flood);
            let _ = done.send(());
        });
    if let Err(e) = spawned {
        // The closure (and with it the pipe and the sender) was dropped: the stream reads as
        // ended, and the child sees a closed pipe.
        lock(&slot).stream.error = Some(format!("cannot start a reader: {e}"));
    }
    slot
}

fn read_into<R: Read>(mut pipe: R, cap: usize, slot: &Shared, flood: &AtomicBool) {
    let flood_at = u64::try_from(cap)
        .unwrap_or(u64::MAX)
        .saturating_add(FLOOD_MARGIN);
    let mut buf = vec![0u8; CHUNK];
    loop {
        match pipe.read(&mut buf) {
            Ok(0) => return,
            Ok(n) => {
                let mut slot = lock(slot);
                if slot.closed {
                    continue;
                }
                let stream = &mut slot.stream;
                stream.total += n as u64;
                let room = cap.saturating_sub(stream.data.len()).min(n);
                stream.data.extend_from_slice(&buf[..room]);
                if stream.total > flood_at {
                    flood.store(true, Ordering::Relaxed);
                }
            }
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(e) => {
                lock(slot).stream.error = Some(e.to_string());
                return;
            }
        }
    }
}
