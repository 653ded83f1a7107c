//! Running a plan: every step on a small pool of threads, under one overall deadline.
//!
//! Steps that follow another item's references (`from`) run in a second wave, once the items
//! they read are in. A step that has not started when the deadline passes is recorded as
//! `timeout`; a step never aborts the run.

use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use regex::Regex;

use super::plan::{Action, Step};
use crate::collect::{self, Context};
use crate::item::{RawItem, Status};

/// Threads collecting at once: most steps wait on processes or sockets, not on the CPU.
const WORKERS: usize = 8;

/// Progress of a run, for a progress line.
#[derive(Debug, Clone, Copy)]
pub enum Event<'a> {
    /// A step finished.
    Finished {
        /// The step's id.
        id: &'a str,
        /// How many steps have finished.
        done: usize,
        /// How many there are.
        total: usize,
    },
}

/// Run every step; the result holds the items of each step in plan order.
pub fn execute(
    steps: &[Step],
    ctx: &Context,
    progress: &(dyn Fn(Event<'_>) + Sync),
) -> Vec<RawItem> {
    let total = steps.len();
    let done = AtomicUsize::new(0);
    let results: Vec<Mutex<Vec<RawItem>>> = steps.iter().map(|_| Mutex::new(Vec::new())).collect();
    let is_follow = |s: &Step| matches!(s.action, Action::FileFrom { .. });
    for wave in [false, true] {
        let indices: Vec<usize> = (0..total)
            .filter(|&i| is_follow(&steps[i]) == wave)
            .collect();
        let next = AtomicUsize::new(0);
        std::thread::scope(|scope| {
            for _ in 0..WORKERS.min(indices.len()) {
                scope.spawn(|| {
                    loop {
                        let n = next.fetch_add(1, Ordering::Relaxed);
                        let Some(&i) = indices.get(n) else { break };
                        let items = if Instant::now() >= ctx.deadline {
                            vec![RawItem::empty(
                                &steps[i].id,
                                steps[i].action.kind(),
                                "",
                                Status::Timeout,
                                "the overall deadline passed before it started",
                            )]
                        } else {
                            run_step(&steps[i], steps, &results, ctx)
                        };
                        if let Ok(mut slot) = results[i].lock() {
                            *slot = items;
                        }
                        let done = done.fetch_add(1, Ordering::Relaxed) + 1;
                        progress(Event::Finished {
                            id: &steps[i].id,
                            done,
                            total,
                        });
                    }
                });
            }
        });
    }
    results
        .into_iter()
        .flat_map(|m| m.into_inner().unwrap_or_default())
        .collect()
}

fn run_step(
    step: &Step,
    steps: &[Step],
    results: &[Mutex<Vec<RawItem>>],
    ctx: &Context,
) -> Vec<RawItem> {
    let id = step.id.as_str();
    match &step.action {
        Action::System => vec![collect::system::collect(id)],
        Action::Command {
            argv,
            timeout_secs,
            max_bytes,
            strip_ansi,
            missing_when,
            format,
            ..
        } => {
            let req = collect::command::CommandRequest {
                id,
                argv,
                timeout: Duration::from_secs_f64(*timeout_secs),
                max_bytes: *max_bytes,
                format: *format,
            };
            let mut item = collect::command::collect(&req, ctx);
            if *strip_ansi && let Some(entry) = item.entry.as_mut() {
                entry.data = collect::file::strip_ansi(&entry.data);
            }
            if let Some(pattern) = missing_when {
                mark_missing(&mut item, pattern);
            }
            vec![item]
        }
        Action::File { path, read, .. } => {
            collect::file::collect(&read.request(id, path, None), ctx)
        }
        Action::FileFrom { item, regex, read } => {
            let Some(source) = referenced(item, steps, results, ctx) else {
                return vec![RawItem::empty(
                    id,
                    "file",
                    format!("files named in `{item}`"),
                    Status::Missing,
                    format!("`{item}` was not collected, so nothing it names could be"),
                )];
            };
            let Ok(regex) = Regex::new(regex) else {
                return vec![RawItem::empty(
                    id,
                    "file",
                    "",
                    Status::Failed,
                    "invalid regex",
                )];
            };
            let (data, base) = source;
            let text = String::from_utf8_lossy(&data);
            let mut names: Vec<&str> = Vec::new();
            for caps in regex.captures_iter(&text) {
                if let Some(m) = caps.get(1).or_else(|| caps.get(0))
                    && !names.contains(&m.as_str())
                {
                    names.push(m.as_str());
                }
            }
            if names.is_empty() {
                return vec![RawItem::empty(
                    id,
                    "file",
                    format!("files named in `{item}`"),
                    Status::Missing,
                    format!("`{item}` names no files matching the pattern"),
                )];
            }
            names
                .into_iter()
                .flat_map(|name| collect::file::collect(&read.request(id, name, Some(&base)), ctx))
                .collect()
        }
        Action::Listing {
            path,
            recursive,
            hash_max_bytes,
            max_entries,
            ..
        } => vec![collect::listing::collect(
            &collect::listing::ListingRequest {
                id,
                path,
                hash_max_bytes: *hash_max_bytes,
                recursive: *recursive,
                max_entries: *max_entries,
            },
            ctx,
        )],
        Action::Http {
            url,
            timeout_secs,
            max_bytes,
            allow_remote,
            format,
        } => vec![collect::http::collect(
            &collect::http::HttpRequest {
                id,
                url,
                timeout: Duration::from_secs_f64(*timeout_secs),
                max_bytes: *max_bytes,
                allow_remote: *allow_remote,
                format: *format,
            },
            ctx,
        )],
        Action::Env { vars } => vec![collect::env::collect(
            &collect::env::EnvRequest { id, vars },
            ctx,
        )],
    }
}

/// Record a command whose output says the thing is absent (no journal, no systemd) as
/// `missing`, with the line that says so as the reason.
fn mark_missing(item: &mut RawItem, pattern: &str) {
    if !matches!(item.status, Status::Ok | Status::Failed) {
        return;
    }
    let (Ok(regex), Some(entry)) = (Regex::new(pattern), item.entry.as_ref()) else {
        return;
    };
    let text = String::from_utf8_lossy(&entry.data);
    if let Some(line) = text.lines().find(|l| regex.is_match(l)) {
        item.status = Status::Missing;
        item.detail = Some(line.trim().chars().take(200).collect());
    }
}

/// The raw content of the file item `item` refers to, and the directory relative
/// references in it resolve against (the referring file's own directory).
fn referenced(
    item: &str,
    steps: &[Step],
    results: &[Mutex<Vec<RawItem>>],
    ctx: &Context,
) -> Option<(Vec<u8>, PathBuf)> {
    let index = steps.iter().position(|s| s.id == item)?;
    let Action::File { path, .. } = &steps[index].action else {
        return None;
    };
    let raw = results[index].lock().ok()?;
    let first = raw.iter().find(|r| r.status.is_present())?;
    let data = first.entry.as_ref()?.data.clone();
    let resolved = collect::paths::resolve(path, ctx, None).ok()?;
    let base = resolved
        .parent()
        .map_or_else(|| ctx.cwd.clone(), Path::to_path_buf);
    Some((data, base))
}
