//! `command` items: run an argv (never a shell string) with a timeout and byte caps.

use std::time::Duration;

use super::Context;
use crate::item::{Format, RawItem, Status};

/// One command to run.
#[derive(Debug, Clone)]
pub struct CommandRequest<'a> {
    /// The spec item's id.
    pub id: &'a str,
    /// Program and arguments; placeholders such as `{sysroot}` already substituted.
    pub argv: &'a [String],
    /// Kill the process group after this long.
    pub timeout: Duration,
    /// Cap on captured stdout + stderr bytes.
    pub max_bytes: u64,
    /// Redaction format of the output.
    pub format: Format,
}

/// Run the command and capture its output.
pub fn collect(req: &CommandRequest<'_>, _ctx: &Context) -> RawItem {
    RawItem::empty(req.id, "command", req.argv.join(" "), Status::Failed, "not built yet")
}
