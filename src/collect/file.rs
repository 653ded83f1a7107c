//! `file` items: paths and globs, with caps for logs and detection of binary content.

use std::path::Path;

use super::Context;
use crate::item::{Format, RawItem, Status};

/// One file (or glob) to read.
#[derive(Debug, Clone)]
pub struct FileRequest<'a> {
    /// The spec item's id.
    pub id: &'a str,
    /// Path or glob as the spec wrote it (absolute, `~/`, or relative).
    pub path: &'a str,
    /// Relative paths resolve against this directory instead of the context's cwd
    /// (used by `from` references: relative to the referring file's directory).
    pub base: Option<&'a Path>,
    /// Store binary content as-is (hashed, capped) instead of skipping it.
    pub binary: bool,
    /// Keep at most this many bytes (head and tail with a truncation marker).
    pub max_bytes: u64,
    /// Keep only the last N lines.
    pub tail_lines: Option<u64>,
    /// Strip ANSI escape sequences from text content.
    pub strip_ansi: bool,
    /// Redaction format of the content.
    pub format: Format,
}

/// Read the file(s); a glob yields one item per match, in sorted order.
pub fn collect(req: &FileRequest<'_>, _ctx: &Context) -> Vec<RawItem> {
    vec![RawItem::empty(req.id, "file", req.path, Status::Failed, "not built yet")]
}
