//! Collectors: one module per spec item kind. Each turns a request into a [`RawItem`]
//! (unredacted, in memory); none of them writes anywhere. A failure is a status on the item,
//! never an error of the run.
//!
//! A kind is one vertical slice: `collect/<kind>.rs` holds its `Request` (what `--dry-run`
//! prints, as text through `Display` and as JSON through `Serialize`), the planning of that
//! request from a spec item, and the collecting; the planner, the scheduler and the CLI go
//! through [`Request`] and never name a kind. Adding a kind is that one new file plus one
//! line in the `kinds!` list of `request.rs` (and its variant in [`Kind`](crate::item::Kind)
//! and its keys in the spec loader, which say what a spec may write).
//!
//! Conventions: an item with content is built with [`RawItem::collected`], one without with
//! [`RawItem::empty`]; a command's or request's own timeout is cut to what is left of the run
//! with [`Context::time_left`].

mod capture;
pub mod command;
pub mod deny;
#[cfg(unix)]
mod descendants;
pub mod env;
pub mod file;
pub mod http;
pub mod listing;
pub mod paths;
// Starting, watching and killing a command: process groups and signals on Unix, the command
// alone elsewhere.
#[cfg_attr(unix, path = "process_unix.rs")]
#[cfg_attr(not(unix), path = "process_other.rs")]
mod process;
// The fallback is plain std, so its tests run on Unix too.
#[cfg(all(test, unix))]
mod process_other;
pub mod request;
pub mod running;
pub mod spec_fetch;
pub mod system;

mod ansi;
mod expand;
pub(crate) mod tail;
#[cfg(test)]
pub(crate) mod testing;

use std::ffi::OsString;
use std::path::PathBuf;
use std::time::{Duration, Instant};

pub use crate::item::RawItem;
pub use request::{Collector, Earlier, Request};

/// Default timeout for one command or request when the spec names none.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);

/// Default byte cap for one item's content when the spec names none.
pub const DEFAULT_MAX_BYTES: u64 = 8 * 1024 * 1024;

/// Byte cap for one binary item when the spec names none.
pub const DEFAULT_BINARY_MAX_BYTES: u64 = 16 * 1024 * 1024;

/// What every collector may consult about the run. Built once per run by the planner.
#[derive(Debug, Clone)]
pub struct Context {
    /// Every absolute path a spec names resolves under this directory (`--sysroot`).
    pub sysroot: Option<PathBuf>,
    /// The directory relative paths in a spec resolve against.
    pub cwd: PathBuf,
    /// The user's home directory, for `~/` paths.
    pub home: Option<PathBuf>,
    /// The `PATH` commands are resolved in and that children inherit.
    pub path_env: Option<OsString>,
    /// Stop everything still running at this instant (overall deadline).
    pub deadline: Instant,
    /// The never-collect denylist: built-in patterns plus the spec's `deny` globs.
    pub deny: deny::DenyList,
}

/// The detail of an item whose command or request never started: the deadline had passed.
pub(crate) const NOT_STARTED: &str = "not started: the run's deadline had passed";

impl Context {
    /// `timeout`, cut to what is left before the run's deadline; `None` once it has passed.
    pub fn time_left(&self, timeout: Duration) -> Option<Duration> {
        let left = timeout.min(self.deadline.saturating_duration_since(Instant::now()));
        (!left.is_zero()).then_some(left)
    }
}

/// A timeout as item details show it: `10s` for whole seconds, `1500ms` otherwise.
pub(crate) fn show_duration(d: Duration) -> String {
    if d.subsec_nanos() == 0 {
        format!("{}s", d.as_secs())
    } else {
        format!("{}ms", d.as_millis())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_render_compactly() {
        assert_eq!(show_duration(Duration::from_secs(10)), "10s");
        assert_eq!(show_duration(Duration::from_millis(1500)), "1500ms");
    }
}
