//! Turning a spec into concrete steps: placeholders filled in, paths resolved under
//! `--sysroot`, commands looked up on PATH. `--dry-run` prints the plan and stops here.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

use serde::Serialize;

use crate::collect::{self, Context, DEFAULT_MAX_BYTES, DEFAULT_TIMEOUT};
use crate::item::Format;
use crate::spec::{self, Item, Kind, Spec};

/// Byte cap for one binary item when the spec names none.
pub const DEFAULT_BINARY_MAX_BYTES: u64 = 16 * 1024 * 1024;

/// Hash files in listings up to this size.
pub const LISTING_HASH_MAX_BYTES: u64 = 1024 * 1024;

/// Stop a listing after this many entries.
pub const LISTING_MAX_ENTRIES: usize = 5000;

/// One concrete thing to collect.
#[derive(Debug, Clone, Serialize)]
pub struct Step {
    /// The spec item's id.
    pub id: String,
    /// The policy asks for it.
    pub required: bool,
    /// What to do.
    #[serde(flatten)]
    pub action: Action,
}

/// What a step does, with every value resolved.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum Action {
    /// Read OS and hardware facts.
    System,
    /// Run a program.
    Command {
        /// Program and arguments.
        argv: Vec<String>,
        /// Where the program was found on PATH, if it was.
        resolved: Option<String>,
        /// Timeout in seconds.
        timeout_secs: f64,
        /// Output cap.
        max_bytes: u64,
        /// Strip ANSI escapes from the output.
        strip_ansi: bool,
        /// Output matching this means absent.
        missing_when: Option<String>,
        /// Redaction format.
        format: Format,
    },
    /// Read a file or glob.
    File {
        /// As the spec wrote it, placeholders filled in.
        path: String,
        /// Where it is read from (after `~`, relative and `--sysroot` resolution).
        resolved: String,
        /// How each file is read.
        #[serde(flatten)]
        read: FileRead,
    },
    /// Read the files another item's content names.
    FileFrom {
        /// The item whose content is searched.
        item: String,
        /// The pattern, first group is a path relative to that item's directory.
        regex: String,
        /// How each file is read.
        #[serde(flatten)]
        read: FileRead,
    },
    /// List a directory.
    Listing {
        /// As the spec wrote it.
        path: String,
        /// Where it is listed from.
        resolved: String,
        /// Descend into subdirectories.
        recursive: bool,
        /// Files up to this size are hashed.
        hash_max_bytes: u64,
        /// Entry cap.
        max_entries: usize,
    },
    /// GET a URL.
    Http {
        /// The URL.
        url: String,
        /// Timeout in seconds.
        timeout_secs: f64,
        /// Body cap.
        max_bytes: u64,
        /// Non-loopback hosts allowed.
        allow_remote: bool,
        /// Redaction format.
        format: Format,
    },
    /// Read environment variables.
    Env {
        /// Their names.
        vars: Vec<String>,
    },
}

/// How a `file` step reads each file, whether the spec names it or another item does.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct FileRead {
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

impl FileRead {
    /// The file collector's request for `path` of item `id`; `base` is the directory relative
    /// paths resolve against instead of the working directory (that of the file naming them).
    pub fn request<'a>(
        &self,
        id: &'a str,
        path: &'a str,
        base: Option<&'a Path>,
    ) -> collect::file::FileRequest<'a> {
        collect::file::FileRequest {
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
}

impl Action {
    /// The kind's name.
    pub fn kind(&self) -> &'static str {
        match self {
            Action::System => "system",
            Action::Command { .. } => "command",
            Action::File { .. } | Action::FileFrom { .. } => "file",
            Action::Listing { .. } => "listing",
            Action::Http { .. } => "http",
            Action::Env { .. } => "env",
        }
    }
}

/// The values `{name}` placeholders take: the spec's `[vars]`, then `--var` overrides, then
/// the built-ins (`sysroot`, `home`, `cwd`), which cannot be overridden.
pub fn variables(
    spec: &Spec,
    overrides: &BTreeMap<String, String>,
    ctx: &Context,
) -> BTreeMap<String, String> {
    let mut vars = spec.vars.clone();
    vars.extend(overrides.iter().map(|(k, v)| (k.clone(), v.clone())));
    let show = |p: &std::path::Path| p.to_string_lossy().into_owned();
    vars.insert(
        "sysroot".into(),
        ctx.sysroot.as_deref().map(show).unwrap_or_default(),
    );
    vars.insert(
        "home".into(),
        ctx.home.as_deref().map(show).unwrap_or_default(),
    );
    vars.insert("cwd".into(), show(&ctx.cwd));
    vars
}

/// Resolve every item of `spec` into a step.
pub fn plan(spec: &Spec, vars: &BTreeMap<String, String>, ctx: &Context) -> Vec<Step> {
    spec.items
        .iter()
        .map(|item| Step {
            id: item.id.clone(),
            required: item.required,
            action: action(item, vars, ctx),
        })
        .collect()
}

fn secs(d: Option<Duration>) -> f64 {
    d.unwrap_or(DEFAULT_TIMEOUT).as_secs_f64()
}

fn action(item: &Item, vars: &BTreeMap<String, String>, ctx: &Context) -> Action {
    let fill = |s: &str| spec::substitute(s, vars);
    let max_bytes = item.max_bytes.unwrap_or(if item.binary {
        DEFAULT_BINARY_MAX_BYTES
    } else {
        DEFAULT_MAX_BYTES
    });
    match item.kind {
        Kind::System => Action::System,
        Kind::Command => {
            let argv: Vec<String> = item.argv.iter().map(|a| fill(a)).collect();
            let resolved = argv.first().and_then(|program| {
                which::which_in(program, ctx.path_env.as_ref(), &ctx.cwd)
                    .ok()
                    .map(|p| p.to_string_lossy().into_owned())
            });
            Action::Command {
                argv,
                resolved,
                timeout_secs: secs(item.timeout),
                max_bytes,
                strip_ansi: item.strip_ansi,
                missing_when: item.missing_when.as_ref().map(|r| r.as_str().to_string()),
                format: item.format,
            }
        }
        Kind::File => {
            let read = FileRead {
                max_bytes,
                tail_lines: item.tail_lines,
                binary: item.binary,
                strip_ansi: item.strip_ansi,
                format: item.format,
            };
            match (&item.path, &item.from) {
                (_, Some(from)) => Action::FileFrom {
                    item: from.item.clone(),
                    regex: from.regex.as_str().to_string(),
                    read,
                },
                (path, None) => {
                    let path = fill(path.as_deref().unwrap_or_default());
                    Action::File {
                        resolved: resolved(&path, ctx),
                        path,
                        read,
                    }
                }
            }
        }
        Kind::Listing => {
            let path = fill(item.path.as_deref().unwrap_or_default());
            Action::Listing {
                resolved: resolved(&path, ctx),
                path,
                recursive: item.recursive,
                hash_max_bytes: LISTING_HASH_MAX_BYTES,
                max_entries: LISTING_MAX_ENTRIES,
            }
        }
        Kind::Http => Action::Http {
            url: fill(item.url.as_deref().unwrap_or_default()),
            timeout_secs: secs(item.timeout),
            max_bytes,
            allow_remote: item.allow_remote,
            format: item.format,
        },
        Kind::Env => Action::Env {
            vars: item.vars.clone(),
        },
    }
}

fn resolved(path: &str, ctx: &Context) -> String {
    match collect::paths::resolve(path, ctx, None) {
        Ok(p) => p.to_string_lossy().into_owned(),
        Err(why) => format!("(unresolvable: {why})"),
    }
}
