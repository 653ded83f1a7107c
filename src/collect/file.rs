//! `file` items: paths and globs, with caps for logs and detection of binary content.
//!
//! Conventions:
//! - Order of checks for each file: never-collect list (on the path names, nothing opened),
//!   then `lstat`, then the canonical target (symlinks followed; the target is checked against
//!   the list again and must stay inside the sysroot), then the file type (only regular files
//!   are opened, so a fifo or device is never read), then open and re-check the type and size
//!   on the handle. A file is read as it was when opened: growth after that is ignored.
//! - Binary means a NUL byte in the first [`SNIFF_BYTES`] (which includes the `\0asm` wasm
//!   magic). Binary content is stored whole and byte-exact when the item says `binary = true`
//!   and it fits the cap, and skipped otherwise: never stored in part.
//! - Text over `max_bytes` keeps its head and tail (half the cap each, cut to line boundaries)
//!   around `[... support-bundle: N bytes omitted ...]`; `tail_lines` keeps the last lines
//!   (still within `max_bytes`) after `[... support-bundle: first N bytes omitted ...]`. N
//!   counts bytes of the file. Both end as `truncated`.
//! - `format = "json"` content is cut at record boundaries (see `collect::tail`): a tail starts at
//!   a whole record, never mid-object, and the head of a head-and-tail cut ends after one.
//! - The entry name is the file's base name. When two matches of one glob share a base name,
//!   each of those is named by its path below the glob root with `/` replaced by `_`.
//! - `source` is [`paths::display`] of the path, so it reads the same under any sysroot.

use std::collections::HashMap;
use std::fmt;
use std::fs::{self, File, Metadata, OpenOptions};
use std::io;
use std::path::{Path, PathBuf};

use serde::Serialize;

use super::ansi::AnsiStripper;
use super::expand::{self, ExpandError, MAX_MATCHES};
use super::request::{self, Collector, Earlier, Vars, show_size};
use super::tail::{self, head_omitted_marker, middle_omitted_marker, read_up_to};
use super::{Context, paths};
use crate::item::{Format, Kind, RawEntry, RawItem, Status};
use crate::spec::{self, Item};

mod from;

/// Remove ANSI escape sequences from any text.
pub use super::ansi::strip_ansi;
pub use from::FromRequest;

/// How much of the start of a file is looked at to tell binary from text.
pub const SNIFF_BYTES: u64 = 8 * 1024;

const KIND: Kind = Kind::File;

/// A `file` step: the files a path or glob names, or those another item's content names.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "kind")]
pub enum Request {
    /// Read a path or glob the spec names.
    #[serde(rename = "file")]
    Path(PathRequest),
    /// Read the files another item's content names (`from`).
    #[serde(rename = "filefrom")]
    From(FromRequest),
}

/// A path or glob to read.
#[derive(Debug, Clone, Serialize)]
pub struct PathRequest {
    /// As the spec wrote it, placeholders filled in.
    pub path: String,
    /// Where it is read from (after `~`, relative and `--sysroot` resolution), as the plan
    /// shows it.
    pub resolved: String,
    /// How each file is read.
    #[serde(flatten)]
    pub read: Read,
}

/// How a `file` step reads each file, whether the spec names it or another item does.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct Read {
    /// Byte cap per file.
    pub max_bytes: u64,
    /// Keep only the last N lines.
    pub tail_lines: Option<u64>,
    /// Store binary content as-is.
    pub binary: bool,
    /// Strip ANSI escapes.
    pub strip_ansi: bool,
    /// Redaction format.
    pub format: Format,
}

impl Read {
    /// The request to read `path` for item `id`; `base` is the directory relative paths
    /// resolve against instead of the working directory (that of the file naming them).
    pub fn request<'a>(
        &self,
        id: &'a str,
        path: &'a str,
        base: Option<&'a Path>,
    ) -> FileRequest<'a> {
        FileRequest {
            id,
            path,
            base,
            binary: self.binary,
            max_bytes: self.max_bytes,
            tail_lines: self.tail_lines,
            strip_ansi: self.strip_ansi,
            format: self.format,
        }
    }

    fn binary_note(&self) -> &'static str {
        if self.binary {
            ", binary stored as-is"
        } else {
            ""
        }
    }
}

impl Collector for Request {
    const KIND: Kind = KIND;

    fn plan(item: &Item, vars: &Vars, ctx: &Context) -> Self {
        let read = Read {
            max_bytes: request::max_bytes(item),
            tail_lines: item.tail_lines,
            binary: item.binary,
            strip_ansi: item.strip_ansi,
            format: item.format,
        };
        match &item.from {
            Some(from) => Request::From(FromRequest {
                item: from.item.clone(),
                regex: from.regex.clone(),
                read,
            }),
            None => {
                let path = spec::substitute(item.path.as_deref().unwrap_or_default(), vars);
                Request::Path(PathRequest {
                    resolved: paths::planned(&path, ctx),
                    path,
                    read,
                })
            }
        }
    }

    fn collect(&self, id: &str, ctx: &Context, earlier: &Earlier<'_>) -> Vec<RawItem> {
        match self {
            Request::Path(p) => collect(&p.read.request(id, &p.path, None), ctx),
            Request::From(f) => f.collect(id, ctx, earlier),
        }
    }

    fn follows(&self) -> bool {
        matches!(self, Request::From(_))
    }
}

impl fmt::Display for Request {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Request::Path(p) => {
                write!(
                    f,
                    "read {} (cap {}",
                    p.resolved,
                    show_size(p.read.max_bytes)
                )?;
                if let Some(n) = p.read.tail_lines {
                    write!(f, ", last {n} lines")?;
                }
                write!(f, "{})", p.read.binary_note())
            }
            Request::From(r) => write!(
                f,
                "read files named in `{}` matching {} (cap {} each{})",
                r.item,
                r.regex,
                show_size(r.read.max_bytes),
                r.read.binary_note()
            ),
        }
    }
}

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
///
/// A glob that matches nothing yields one `missing` item; one that matches more than
/// 1000 files yields the first ones plus a `skipped` item saying so.
pub fn collect(req: &FileRequest<'_>, ctx: &Context) -> Vec<RawItem> {
    if expand::is_glob(req.path) {
        return collect_glob(req, ctx);
    }
    match paths::resolve(req.path, ctx, req.base) {
        Ok(path) => {
            let name = base_name(&path, req.id);
            vec![read_one(req, ctx, &path, name)]
        }
        Err(e) => vec![status_item(req, req.path, e.status(), e.to_string())],
    }
}

/// How an I/O error is recorded: not found is `missing`, permission denied is `denied`,
/// anything else `failed` with the system's message.
pub fn classify_io_error(error: &io::Error) -> (Status, String) {
    match error.kind() {
        io::ErrorKind::NotFound => (Status::Missing, "no such file".to_string()),
        io::ErrorKind::PermissionDenied => (Status::Denied, "permission denied".to_string()),
        _ => (Status::Failed, error.to_string()),
    }
}

fn collect_glob(req: &FileRequest<'_>, ctx: &Context) -> Vec<RawItem> {
    let expansion = match expand::expand(req.path, ctx, req.base) {
        Ok(expansion) => expansion,
        Err(ExpandError::Resolve(e)) => {
            return vec![status_item(req, req.path, e.status(), e.to_string())];
        }
        Err(ExpandError::Pattern(e)) => {
            return vec![status_item(
                req,
                req.path,
                Status::Failed,
                format!("invalid glob: {e}"),
            )];
        }
        Err(ExpandError::Root(e)) => {
            let (status, detail) = classify_io_error(&e);
            return vec![status_item(req, req.path, status, detail)];
        }
    };
    if expansion.matches.is_empty() {
        let detail = format!("no file matches `{}`", req.path);
        return vec![status_item(req, req.path, Status::Missing, detail)];
    }
    let names = match_names(&expansion.matches);
    let mut items: Vec<RawItem> = expansion
        .matches
        .iter()
        .zip(names)
        .map(|(rel, name)| read_one(req, ctx, &expansion.root.join(rel), name))
        .collect();
    if expansion.cut {
        let detail = format!(
            "`{}` matches more files than the {MAX_MATCHES} kept (or too many to search); \
             the rest were not collected",
            req.path
        );
        items.push(status_item(req, req.path, Status::Skipped, detail));
    }
    items
}

/// Entry names for sorted glob matches: base names, or the `_`-joined relative path for
/// base names that occur more than once.
fn match_names(matches: &[PathBuf]) -> Vec<String> {
    let base = |p: &PathBuf| p.file_name().map(|n| n.to_string_lossy().into_owned());
    let mut counts: HashMap<Option<String>, usize> = HashMap::new();
    for m in matches {
        *counts.entry(base(m)).or_default() += 1;
    }
    matches
        .iter()
        .map(|m| match base(m) {
            Some(name) if counts.get(&Some(name.clone())) == Some(&1) => name,
            _ => m.to_string_lossy().replace('/', "_"),
        })
        .collect()
}

fn base_name(path: &Path, id: &str) -> String {
    match path.file_name() {
        Some(name) => name.to_string_lossy().into_owned(),
        None => id.to_string(),
    }
}

fn status_item(req: &FileRequest<'_>, source: &str, status: Status, detail: String) -> RawItem {
    let mut item = RawItem::empty(req.id, KIND, source, status, detail);
    item.format = req.format;
    item
}

/// The first never-collect pattern matching the real path or the path as displayed.
fn denied<'c>(ctx: &'c Context, path: &Path, shown: &str) -> Option<&'c str> {
    ctx.deny
        .check(path)
        .or_else(|| ctx.deny.check(Path::new(shown)))
}

#[cfg(unix)]
fn kind_name(meta: &Metadata) -> &'static str {
    use std::os::unix::fs::FileTypeExt;
    let t = meta.file_type();
    if t.is_dir() {
        "directory"
    } else if t.is_fifo() {
        "fifo"
    } else if t.is_socket() {
        "socket"
    } else if t.is_block_device() {
        "block device"
    } else if t.is_char_device() {
        "character device"
    } else {
        "special file"
    }
}

/// Windows has no fifos, sockets or devices in the filesystem: what is not a regular file
/// is a directory or a reparse point such as a junction.
#[cfg(not(unix))]
fn kind_name(meta: &Metadata) -> &'static str {
    if meta.is_dir() {
        "directory"
    } else {
        "special file"
    }
}

/// Collect one resolved path (see the module doc for the order of checks).
fn read_one(req: &FileRequest<'_>, ctx: &Context, path: &Path, name: String) -> RawItem {
    let source = paths::display(path, ctx);
    let fail = |status: Status, detail: String| status_item(req, &source, status, detail);
    let io_fail = |e: &io::Error| {
        let (status, detail) = classify_io_error(e);
        status_item(req, &source, status, detail)
    };

    if let Some(pattern) = denied(ctx, path, &source) {
        return fail(
            Status::Skipped,
            format!("denied by never-collect pattern `{pattern}`"),
        );
    }
    let link_meta = match fs::symlink_metadata(path) {
        Ok(meta) => meta,
        Err(e) => return io_fail(&e),
    };
    let target = match fs::canonicalize(path) {
        Ok(target) => target,
        Err(e) if e.kind() == io::ErrorKind::NotFound && link_meta.is_symlink() => {
            return fail(Status::Missing, "symlink target does not exist".to_string());
        }
        Err(e) => return io_fail(&e),
    };
    if target != path {
        if paths::escapes_sysroot(path, &target, ctx) {
            return fail(
                Status::Skipped,
                "symlink target escapes sysroot".to_string(),
            );
        }
        if let Some(pattern) = denied(ctx, &target, &paths::display(&target, ctx)) {
            let detail = format!("symlink target denied by never-collect pattern `{pattern}`");
            return fail(Status::Skipped, detail);
        }
    }
    let meta = match fs::metadata(&target) {
        Ok(meta) => meta,
        Err(e) => return io_fail(&e),
    };
    if !meta.is_file() {
        return fail(
            Status::Skipped,
            format!("not a regular file ({})", kind_name(&meta)),
        );
    }
    let mut options = OpenOptions::new();
    options.read(true);
    // O_NONBLOCK: should the path be swapped for a fifo after the check above, opening it
    // must not wait for a writer. It has no effect on regular files.
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::custom_flags(
        &mut options,
        libc::O_NONBLOCK | libc::O_NOCTTY,
    );
    let file = match options.open(&target) {
        Ok(file) => file,
        Err(e) => return io_fail(&e),
    };
    let meta = match file.metadata() {
        Ok(meta) => meta,
        Err(e) => return io_fail(&e),
    };
    if !meta.is_file() {
        return fail(
            Status::Skipped,
            format!("not a regular file ({})", kind_name(&meta)),
        );
    }
    match read_content(req, &file, meta.len()) {
        Ok(Content::Skipped(detail)) => fail(Status::Skipped, detail),
        Ok(Content::Read {
            data,
            binary,
            truncated,
        }) => RawItem {
            id: req.id.to_string(),
            kind: KIND,
            source: source.clone(),
            status: if truncated.is_some() {
                Status::Truncated
            } else {
                Status::Ok
            },
            detail: truncated,
            entry: Some(RawEntry {
                source: source.clone(),
                name,
                data,
                binary,
            }),
            format: req.format,
        },
        Err(e) => io_fail(&e),
    }
}

enum Content {
    Read {
        data: Vec<u8>,
        binary: bool,
        /// Why content was cut, when it was.
        truncated: Option<String>,
    },
    Skipped(String),
}

/// Read an open regular file of `len` bytes according to the request.
fn read_content(req: &FileRequest<'_>, file: &File, len: u64) -> io::Result<Content> {
    let max = req.max_bytes;
    let sniff = read_up_to(file, 0, SNIFF_BYTES.min(len))?;
    if sniff.contains(&0) {
        if !req.binary {
            return Ok(Content::Skipped(
                "binary content; set binary = true to store it".into(),
            ));
        }
        if len > max {
            let detail = format!("binary file is {len} bytes, over the cap of {max}");
            return Ok(Content::Skipped(detail));
        }
        let data = read_up_to(file, 0, len)?;
        return Ok(Content::Read {
            data,
            binary: true,
            truncated: None,
        });
    }

    let json = req.format == Format::Json;
    let mut text = Text::new(req.strip_ansi);
    let truncated = if let Some(lines) = req.tail_lines {
        let mut start = tail::tail_start(file, len, lines, max)?;
        let mut body = read_up_to(file, start, len - start)?;
        let mut whole_records = false;
        if json && start > 0 {
            whole_records = true;
            let at = tail::json_record_start(&body, starts_line(file, start)?);
            let at = at.unwrap_or(body.len());
            body.drain(..at);
            start += at as u64;
        }
        if start == 0 {
            text.push(&body);
            None
        } else {
            let kept_lines = body.split_inclusive(|&b| b == b'\n').count() as u64;
            text.marker(&head_omitted_marker(start));
            text.push(&body);
            Some(if body.is_empty() {
                format!(
                    "no whole JSON record starts in the last {lines} lines within the cap of \
                     {max} bytes; all {start} bytes omitted"
                )
            } else if whole_records {
                format!(
                    "kept the last {kept_lines} lines, whole JSON records only; first {start} \
                     bytes omitted"
                )
            } else if kept_lines < lines {
                format!(
                    "the last {lines} lines are over the cap of {max} bytes; kept the last \
                     {} bytes, first {start} bytes omitted",
                    body.len()
                )
            } else {
                format!("kept the last {lines} lines; first {start} bytes omitted")
            })
        }
    } else if len <= max {
        text.push(&read_up_to(file, 0, len)?);
        None
    } else {
        let (mut head, mut tail) = tail::head_and_tail(file, len, max)?;
        if json {
            // The head keeps the records it holds whole (or the start of its one record);
            // the tail starts at a record or is dropped.
            if let Some(end) = tail::json_records_end(&head) {
                head.truncate(end);
            }
            let tail_from = len - tail.len() as u64;
            let at = tail::json_record_start(&tail, starts_line(file, tail_from)?);
            tail.drain(..at.unwrap_or(tail.len()));
        }
        let omitted = len - head.len() as u64 - tail.len() as u64;
        text.push(&head);
        text.marker(&middle_omitted_marker(omitted));
        text.push(&tail);
        Some(format!(
            "file is {len} bytes, over the cap of {max}; kept the first {} and last {} bytes",
            head.len(),
            tail.len()
        ))
    };
    Ok(Content::Read {
        data: text.out,
        binary: false,
        truncated,
    })
}

/// Whether offset `at` of the file begins a line.
fn starts_line(file: &File, at: u64) -> io::Result<bool> {
    Ok(at == 0 || read_up_to(file, at - 1, 1)? == b"\n")
}

/// Text output being assembled: pieces of the file (ANSI-stripped on request) and markers.
struct Text {
    out: Vec<u8>,
    stripper: Option<AnsiStripper>,
}

impl Text {
    fn new(strip: bool) -> Self {
        Text {
            out: Vec::new(),
            stripper: strip.then(AnsiStripper::default),
        }
    }

    fn push(&mut self, piece: &[u8]) {
        match &mut self.stripper {
            Some(stripper) => stripper.push(piece, &mut self.out),
            None => self.out.extend_from_slice(piece),
        }
    }

    /// A marker always sits on its own line, and an escape sequence cut by the omission
    /// does not carry over into the next piece.
    fn marker(&mut self, marker: &str) {
        if self.out.last().is_some_and(|&b| b != b'\n') {
            self.out.push(b'\n');
        }
        self.out.extend_from_slice(marker.as_bytes());
        if let Some(stripper) = &mut self.stripper {
            *stripper = AnsiStripper::default();
        }
    }
}

#[cfg(test)]
mod tests;
