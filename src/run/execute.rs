//! Running a plan: every step on a small pool of threads, under one overall deadline.
//!
//! Steps that follow another item's references (`from`) run in a second wave, once the items
//! they read are in. A step that has not started when the deadline passes is recorded as
//! `timeout`; a step never aborts the run.

use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use super::plan::Step;
use crate::collect::{Context, Earlier};
use crate::item::{RawItem, Status};

/// Threads collecting at once: most steps wait on processes or sockets, not on the CPU.
const WORKERS: usize = 8;

/// Progress of a run, for a progress line.
#[derive(Debug, Clone, Copy)]
#[non_exhaustive]
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
    let mut results: Vec<Vec<RawItem>> = vec![Vec::new(); total];
    for follows in [false, true] {
        let indices: Vec<usize> = (0..total)
            .filter(|&i| steps[i].request.follows() == follows)
            .collect();
        let earlier = Earlier::new(
            steps
                .iter()
                .zip(&results)
                .map(|(s, items)| (s.id.as_str(), &s.request, items.as_slice())),
        );
        let wave = run_wave(steps, &indices, &earlier, ctx, &done, progress);
        for (i, items) in indices.into_iter().zip(wave) {
            results[i] = items;
        }
    }
    // What a command left running outside its group, once its parent is gone, must not
    // outlive the run either.
    crate::collect::running::reap_adopted();
    results.into_iter().flatten().collect()
}

/// Run the steps at `indices` on the worker pool; their items, in the order of `indices`.
fn run_wave(
    steps: &[Step],
    indices: &[usize],
    earlier: &Earlier<'_>,
    ctx: &Context,
    done: &AtomicUsize,
    progress: &(dyn Fn(Event<'_>) + Sync),
) -> Vec<Vec<RawItem>> {
    let total = steps.len();
    let slots: Vec<Mutex<Vec<RawItem>>> = indices.iter().map(|_| Mutex::new(Vec::new())).collect();
    let next = AtomicUsize::new(0);
    std::thread::scope(|scope| {
        for _ in 0..WORKERS.min(indices.len()) {
            scope.spawn(|| {
                loop {
                    let n = next.fetch_add(1, Ordering::Relaxed);
                    let Some(&i) = indices.get(n) else { break };
                    let step = &steps[i];
                    let items = if Instant::now() >= ctx.deadline {
                        vec![RawItem::empty(
                            &step.id,
                            step.request.kind(),
                            "",
                            Status::Timeout,
                            "the overall deadline passed before it started",
                        )]
                    } else {
                        step.request.collect(&step.id, ctx, earlier)
                    };
                    if let Ok(mut slot) = slots[n].lock() {
                        *slot = items;
                    }
                    let done = done.fetch_add(1, Ordering::Relaxed) + 1;
                    progress(Event::Finished {
                        id: &step.id,
                        done,
                        total,
                    });
                }
            });
        }
    });
    slots
        .into_iter()
        .map(|m| m.into_inner().unwrap_or_default())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::collect::testing;
    use crate::run::plan;

    /// A step that follows another's references runs after it, whatever the spec order, and
    /// the items come back in plan order.
    #[test]
    fn followers_run_after_what_they_follow() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("list.txt"), "one.txt\n").unwrap();
        std::fs::write(dir.path().join("one.txt"), "hello\n").unwrap();
        let spec = crate::spec::parse(
            "t.toml",
            "schema = 1\n\n[project]\nname = \"t\"\n\n\
             [[collect]]\nid = \"named\"\nkind = \"file\"\n\
             from = { item = \"list\", regex = '(\\S+\\.txt)' }\n\n\
             [[collect]]\nid = \"list\"\nkind = \"file\"\npath = \"list.txt\"\n",
        )
        .unwrap();
        let ctx = testing::context(dir.path());
        let steps = plan::plan(&spec, &spec.vars, &ctx);
        let finished = Mutex::new(Vec::new());
        let items = execute(&steps, &ctx, &|e| {
            let Event::Finished { id, .. } = e;
            finished.lock().unwrap().push(id.to_string());
        });
        assert_eq!(finished.into_inner().unwrap(), ["list", "named"]);
        let got: Vec<(&str, Status)> = items.iter().map(|i| (i.id.as_str(), i.status)).collect();
        assert_eq!(got, [("named", Status::Ok), ("list", Status::Ok)]);
        assert_eq!(items[0].entry.as_ref().unwrap().data, b"hello\n");
    }

    #[test]
    fn steps_after_the_deadline_are_timeouts() {
        let spec = crate::spec::parse(
            "t.toml",
            "schema = 1\n\n[project]\nname = \"t\"\n\n[[collect]]\nid = \"e\"\nkind = \"env\"\nvars = [\"PATH\"]\n",
        )
        .unwrap();
        let mut ctx = testing::context(&std::env::temp_dir());
        ctx.deadline = Instant::now();
        let steps = plan::plan(&spec, &spec.vars, &ctx);
        let items = execute(&steps, &ctx, &|_| {});
        assert_eq!(items.len(), 1);
        assert_eq!(items[0].kind, crate::item::Kind::Env);
        assert_eq!(items[0].status, Status::Timeout);
    }
}
