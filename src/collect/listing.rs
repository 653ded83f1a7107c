//! `listing` items: directory entries (name, size, mode, sha256 of small files), no contents.
//!
//! The content is text, one line per entry below the directory (the directory itself is not
//! listed), sorted by relative path component by component (so `a`, `a/b`, `a.txt`):
//!
//! ```text
//! <mode> <type> <size> <hash> <relative path>[ -> <link target>]
//! 0644 f 1532 9f86d08...0f00a08 rules/ssh.yaml
//! 0755 d - - rules
//! 0777 l 11 - current -> rules/v2.yaml
//! ```
//!
//! - mode: permission bits as four octal digits.
//! - type: `d` directory, `f` regular file, `l` symlink (never followed), `o` anything else.
//! - size: bytes for files and symlinks (the target's length); `-` for directories and others,
//!   whose sizes depend on the filesystem rather than on what is in them.
//! - hash: sha256 hex of a regular file up to `hash_max_bytes`; `denied` for an entry on the
//!   never-collect list (a denied directory is not entered); `unreadable` for a file that could
//!   not be read or a directory that could not be listed; `-` otherwise.
//!
//! No times, owners or inode numbers: the same tree lists the same on every machine. Descent is
//! capped at [`MAX_DEPTH`] levels; `max_entries` and the run deadline stop the listing early.
//! Either cut ends the item as `truncated` with a last line
//! `[... support-bundle: listing stopped: <reason> ...]`.

use std::ffi::OsString;
use std::fmt;
use std::fs::{self, Metadata, OpenOptions};
use std::io::{self, Read};
use std::path::{Path, PathBuf};
use std::time::Instant;

use serde::Serialize;
use sha2::{Digest, Sha256};

use super::file::classify_io_error;
use super::request::{Collector, Earlier, Vars};
use super::{Context, paths};
use crate::item::{Kind, RawItem, Status};
use crate::spec::{self, Item};

/// How many directory levels below the listed directory are entered.
pub const MAX_DEPTH: usize = 8;

/// Hash files in listings up to this size.
pub const HASH_MAX_BYTES: u64 = 1024 * 1024;

/// Stop a listing after this many entries.
pub const MAX_ENTRIES: usize = 5000;

/// A `listing` step.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "kind", rename = "listing")]
pub struct Request {
    /// As the spec wrote it, placeholders filled in.
    pub path: String,
    /// Where it is listed from, as the plan shows it.
    pub resolved: String,
    /// Descend into subdirectories.
    pub recursive: bool,
    /// Files up to this size are hashed.
    pub hash_max_bytes: u64,
    /// Entry cap.
    pub max_entries: usize,
}

impl Collector for Request {
    const KIND: Kind = Kind::Listing;

    fn plan(item: &Item, vars: &Vars, ctx: &Context) -> Self {
        let path = spec::substitute(item.path.as_deref().unwrap_or_default(), vars);
        Request {
            resolved: paths::planned(&path, ctx),
            path,
            recursive: item.recursive,
            hash_max_bytes: HASH_MAX_BYTES,
            max_entries: MAX_ENTRIES,
        }
    }

    fn collect(&self, id: &str, ctx: &Context, _earlier: &Earlier<'_>) -> Vec<RawItem> {
        vec![collect(
            &ListingRequest {
                id,
                path: &self.path,
                hash_max_bytes: self.hash_max_bytes,
                recursive: self.recursive,
                max_entries: self.max_entries,
            },
            ctx,
        )]
    }
}

impl fmt::Display for Request {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "list {}", self.resolved)?;
        if self.recursive {
            f.write_str(" recursively")?;
        }
        Ok(())
    }
}

const KIND: Kind = Kind::Listing;

/// One directory to list.
#[derive(Debug, Clone)]
pub struct ListingRequest<'a> {
    /// The spec item's id.
    pub id: &'a str,
    /// Directory as the spec wrote it.
    pub path: &'a str,
    /// Hash files up to this size.
    pub hash_max_bytes: u64,
    /// Descend into subdirectories.
    pub recursive: bool,
    /// Stop after this many entries.
    pub max_entries: usize,
}

/// List the directory.
pub fn collect(req: &ListingRequest<'_>, ctx: &Context) -> RawItem {
    let root = match paths::resolve(req.path, ctx, None) {
        Ok(root) => root,
        Err(e) => return RawItem::empty(req.id, KIND, req.path, e.status(), e.to_string()),
    };
    let source = paths::display(&root, ctx);
    let fail = |status: Status, detail: &str| RawItem::empty(req.id, KIND, &source, status, detail);

    if let Some(pattern) = denied(ctx, &root, true) {
        return fail(
            Status::Skipped,
            &format!("denied by never-collect pattern `{pattern}`"),
        );
    }
    if let Ok(canonical) = fs::canonicalize(&root)
        && paths::escapes_sysroot(&root, &canonical, ctx)
    {
        return fail(Status::Skipped, "symlink target escapes sysroot");
    }
    match fs::metadata(&root) {
        Ok(meta) if meta.is_dir() => {}
        Ok(_) => return fail(Status::Failed, "not a directory"),
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            return fail(Status::Missing, "no such directory");
        }
        Err(e) => return fail(classify_io_error(&e).0, &classify_io_error(&e).1),
    }
    let mut walk = Walk {
        req,
        ctx,
        root: &root,
        lines: Vec::new(),
        stop: None,
        deep: false,
    };
    if let Err(e) = walk.dir(Path::new(""), 1) {
        let (status, detail) = classify_io_error(&e);
        return fail(status, &detail);
    }

    let mut data = Vec::new();
    for line in &walk.lines {
        line.render(&mut data);
    }
    let mut reasons = Vec::new();
    if let Some(stop) = &walk.stop {
        data.extend_from_slice(
            format!("[... support-bundle: listing stopped: {stop} ...]\n").as_bytes(),
        );
        reasons.push(stop.clone());
    }
    if walk.deep {
        reasons.push(format!(
            "directories more than {MAX_DEPTH} levels down were not entered"
        ));
    }
    RawItem {
        status: if reasons.is_empty() {
            Status::Ok
        } else {
            Status::Truncated
        },
        detail: (!reasons.is_empty()).then(|| reasons.join("; ")),
        ..RawItem::collected(req.id, KIND, source, format!("{}.txt", req.id), data)
    }
}

/// The never-collect pattern matching `path` (real or as displayed), checked as a directory
/// when it is one.
fn denied<'c>(ctx: &'c Context, path: &Path, is_dir: bool) -> Option<&'c str> {
    let shown = paths::display(path, ctx);
    if is_dir {
        ctx.deny
            .check_dir(path)
            .or_else(|| ctx.deny.check_dir(Path::new(&shown)))
    } else {
        ctx.deny
            .check(path)
            .or_else(|| ctx.deny.check(Path::new(&shown)))
    }
}

struct Line {
    mode: u32,
    kind: char,
    size: Option<u64>,
    hash: String,
    rel: PathBuf,
    target: Option<PathBuf>,
}

impl Line {
    fn render(&self, out: &mut Vec<u8>) {
        let size = self.size.map_or_else(|| "-".to_string(), |s| s.to_string());
        let mut line = format!(
            "{:04o} {} {} {} {}",
            self.mode & 0o7777,
            self.kind,
            size,
            self.hash,
            self.rel.to_string_lossy()
        );
        if let Some(target) = &self.target {
            line.push_str(" -> ");
            line.push_str(&target.to_string_lossy());
        }
        // A newline in a file name would forge a line; show it escaped instead.
        let line = line.replace('\n', "\\n");
        out.extend_from_slice(line.as_bytes());
        out.push(b'\n');
    }
}

struct Walk<'a> {
    req: &'a ListingRequest<'a>,
    ctx: &'a Context,
    root: &'a Path,
    lines: Vec<Line>,
    /// Why the listing stopped early, if it did.
    stop: Option<String>,
    /// Some directory was not entered because of [`MAX_DEPTH`].
    deep: bool,
}

impl Walk<'_> {
    /// List `rel` (relative to the root), which is `depth` levels down. Only an error reading
    /// the root itself is returned; deeper ones mark their directory `unreadable`.
    fn dir(&mut self, rel: &Path, depth: usize) -> io::Result<()> {
        let mut names: Vec<OsString> = fs::read_dir(self.root.join(rel))?
            .filter_map(|entry| entry.ok().map(|e| e.file_name()))
            .collect();
        names.sort();
        for name in names {
            if self.stop.is_some() {
                return Ok(());
            }
            if self.lines.len() >= self.req.max_entries {
                self.stop = Some(format!("more than {} entries", self.req.max_entries));
                return Ok(());
            }
            if Instant::now() >= self.ctx.deadline {
                self.stop = Some("run deadline reached".to_string());
                return Ok(());
            }
            let child = rel.join(&name);
            let full = self.root.join(&child);
            let Ok(meta) = fs::symlink_metadata(&full) else {
                continue;
            };
            let is_denied = denied(self.ctx, &full, meta.is_dir()).is_some();
            let mut line = self.line(&full, &child, &meta, is_denied);
            let descend = meta.is_dir() && !is_denied && self.req.recursive;
            if descend && depth >= MAX_DEPTH {
                self.deep = true;
            }
            if descend && depth < MAX_DEPTH {
                let index = self.lines.len();
                self.lines.push(line);
                if self.dir(&child, depth + 1).is_err() {
                    self.lines[index].hash = "unreadable".to_string();
                }
                continue;
            }
            if meta.is_dir() && !is_denied && !self.req.recursive && fs::read_dir(&full).is_err() {
                line.hash = "unreadable".to_string();
            }
            self.lines.push(line);
        }
        Ok(())
    }

    fn line(&self, full: &Path, rel: &Path, meta: &Metadata, is_denied: bool) -> Line {
        let t = meta.file_type();
        let (kind, size) = if t.is_symlink() {
            ('l', Some(meta.len()))
        } else if t.is_dir() {
            ('d', None)
        } else if t.is_file() {
            ('f', Some(meta.len()))
        } else {
            ('o', None)
        };
        let hash = if is_denied {
            "denied".to_string()
        } else if kind == 'f' && meta.len() <= self.req.hash_max_bytes {
            sha256_file(full, self.req.hash_max_bytes).unwrap_or_else(|_| "unreadable".to_string())
        } else {
            "-".to_string()
        };
        Line {
            mode: mode(meta),
            kind,
            size,
            hash,
            rel: rel.to_path_buf(),
            target: if t.is_symlink() {
                fs::read_link(full).ok()
            } else {
                None
            },
        }
    }
}

/// Permission bits.
#[cfg(unix)]
fn mode(meta: &fs::Metadata) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    meta.permissions().mode()
}

/// Windows files have ACLs, not permission bits: the mode column reads `0000`.
#[cfg(not(unix))]
fn mode(_meta: &fs::Metadata) -> u32 {
    0
}

/// sha256 of a regular file, read in blocks; refuses anything that is no longer a regular
/// file or has grown past `cap` since it was listed.
fn sha256_file(path: &Path, cap: u64) -> io::Result<String> {
    let mut options = OpenOptions::new();
    options.read(true);
    // O_NOFOLLOW and O_NONBLOCK: the entry was a regular file when listed; if it has been
    // swapped for a symlink or a fifo since, fail instead of following or waiting.
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::custom_flags(
        &mut options,
        libc::O_NONBLOCK | libc::O_NOFOLLOW | libc::O_NOCTTY,
    );
    let file = options.open(path)?;
    let meta = file.metadata()?;
    if !meta.is_file() || meta.len() > cap {
        return Err(io::Error::other("changed while listed"));
    }
    let mut hasher = Sha256::new();
    let mut reader = file.take(meta.len());
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        match reader.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => hasher.update(&buf[..n]),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(hex::encode(hasher.finalize()))
}

#[cfg(test)]
mod tests {
    use std::os::unix::fs::PermissionsExt;

    use super::*;
    use crate::collect::testing::SysrootTree;

    fn req(path: &str) -> ListingRequest<'_> {
        ListingRequest {
            id: "rules",
            path,
            hash_max_bytes: 1024,
            recursive: true,
            max_entries: 1000,
        }
    }

    fn sha(data: &[u8]) -> String {
        hex::encode(Sha256::digest(data))
    }

    fn content(item: &RawItem) -> String {
        String::from_utf8(item.entry.as_ref().unwrap().data.clone()).unwrap()
    }

    fn tree(fx: &SysrootTree) {
        fx.mkdir("etc/kestrel/rules", 0o755);
        fx.write_mode("etc/kestrel/rules/ssh.yaml", b"name: ssh\n", 0o644);
        fx.write_mode("etc/kestrel/rules/web/http.yaml", b"name: http\n", 0o600);
        fx.write_mode("etc/kestrel/rules/web.txt", b"notes\n", 0o640);
        fx.write_mode("etc/kestrel/rules/big.yaml", &[b'x'; 2000], 0o644);
        fx.write_mode("etc/kestrel/rules/signer.priv", b"secret\n", 0o600);
        fx.write_mode(
            "etc/kestrel/rules/nats_store/jetstream/msg",
            b"payload\n",
            0o644,
        );
        fx.mkdir("etc/kestrel/rules/web", 0o755);
        std::os::unix::fs::symlink(
            "ssh.yaml",
            fx.tmp.path().join("sys/etc/kestrel/rules/current"),
        )
        .unwrap();
    }

    #[test]
    fn lists_with_documented_format() {
        let fx = SysrootTree::new();
        tree(&fx);
        let item = collect(&req("/etc/kestrel/rules"), &fx.ctx);
        assert_eq!(item.status, Status::Ok, "{item:?}");
        assert_eq!(item.kind, "listing");
        assert_eq!(item.source, "/etc/kestrel/rules");
        let entry = item.entry.as_ref().unwrap();
        assert_eq!(entry.name, "rules.txt");
        assert_eq!(entry.source, "/etc/kestrel/rules");
        let expected = [
            "0644 f 2000 - big.yaml".to_string(),
            "0777 l 8 - current -> ssh.yaml".to_string(),
            "0755 d - denied nats_store".to_string(),
            "0600 f 7 denied signer.priv".to_string(),
            format!("0644 f 10 {} ssh.yaml", sha(b"name: ssh\n")),
            "0755 d - - web".to_string(),
            format!("0600 f 11 {} web/http.yaml", sha(b"name: http\n")),
            format!("0640 f 6 {} web.txt", sha(b"notes\n")),
        ];
        assert_eq!(content(&item), expected.map(|l| l + "\n").concat());
    }

    #[test]
    fn same_tree_lists_identically_in_another_place() {
        let (a, b) = (SysrootTree::new(), SysrootTree::new());
        tree(&a);
        tree(&b);
        let (ia, ib) = (
            collect(&req("/etc/kestrel/rules"), &a.ctx),
            collect(&req("/etc/kestrel/rules"), &b.ctx),
        );
        assert_eq!(content(&ia), content(&ib));
        assert_eq!(ia.source, ib.source);
    }

    #[test]
    fn non_recursive_and_entry_cap() {
        let fx = SysrootTree::new();
        tree(&fx);
        let mut r = req("/etc/kestrel/rules");
        r.recursive = false;
        let item = collect(&r, &fx.ctx);
        assert!(!content(&item).contains("web/http.yaml"));
        assert!(content(&item).contains(" web\n"));
        r.recursive = true;
        r.max_entries = 3;
        let item = collect(&r, &fx.ctx);
        assert_eq!(item.status, Status::Truncated);
        assert_eq!(item.detail.as_deref(), Some("more than 3 entries"));
        let text = content(&item);
        let lines: Vec<_> = text.lines().collect();
        assert_eq!(lines.len(), 4);
        assert!(lines[2].ends_with(" nats_store"));
        assert_eq!(
            lines[3],
            "[... support-bundle: listing stopped: more than 3 entries ...]"
        );
    }

    #[test]
    fn depth_is_capped() {
        let fx = SysrootTree::new();
        let mut rel = String::from("deep");
        for i in 0..10 {
            rel.push_str(&format!("/d{i}"));
        }
        fx.write_mode(&format!("{rel}/f"), b"x", 0o644);
        let item = collect(&req("/deep"), &fx.ctx);
        assert_eq!(item.status, Status::Truncated);
        assert_eq!(content(&item).lines().count(), MAX_DEPTH);
        assert!(item.detail.unwrap().contains("levels down"));
    }

    #[test]
    fn missing_not_a_dir_and_denied_root() {
        let fx = SysrootTree::new();
        let item = collect(&req("/nope"), &fx.ctx);
        assert_eq!(
            (item.status, item.detail.as_deref()),
            (Status::Missing, Some("no such directory"))
        );
        fx.write_mode("etc/file", b"x", 0o644);
        let item = collect(&req("/etc/file"), &fx.ctx);
        assert_eq!(
            (item.status, item.detail.as_deref()),
            (Status::Failed, Some("not a directory"))
        );
        fx.mkdir("data/nats_store", 0o755);
        let item = collect(&req("/data/nats_store"), &fx.ctx);
        assert_eq!(item.status, Status::Skipped);
        let item = collect(&req("/../x"), &fx.ctx);
        assert_eq!(item.status, Status::Skipped);
    }

    #[test]
    fn fifo_is_listed_not_opened() {
        let fx = SysrootTree::new();
        fx.mkdir("run", 0o755);
        let fifo = fx.tmp.path().join("sys/run/pipe");
        assert!(
            std::process::Command::new("mkfifo")
                .arg(&fifo)
                .status()
                .unwrap()
                .success()
        );
        fs::set_permissions(&fifo, fs::Permissions::from_mode(0o600)).unwrap();
        let item = collect(&req("/run"), &fx.ctx);
        assert_eq!(content(&item), "0600 o - - pipe\n");
    }

    #[test]
    fn unreadable_subdirectory_is_marked_when_not_root() {
        if nix::unistd::geteuid().is_root() {
            eprintln!("skipping: root can list a mode 000 directory");
            return;
        }
        let fx = SysrootTree::new();
        fx.write_mode("d/locked/x", b"x", 0o644);
        fx.mkdir("d/locked", 0o000);
        let item = collect(&req("/d"), &fx.ctx);
        fx.mkdir("d/locked", 0o755);
        assert_eq!(content(&item), "0000 d - unreadable locked\n");
    }
}
