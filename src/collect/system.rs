//! `system` items: facts about the machine from os_info and sysinfo, and the OS release from
//! `/etc/os-release` (under `--sysroot` when one is given).
//!
//! `os_version` is the release as precise as the system records it: os-release's
//! `VERSION_ID`, refined by a point release where the distribution keeps one
//! (`/etc/debian_version` `12.11` for `VERSION_ID="12"`, `/etc/alpine-release`, or the first
//! word of `VERSION`, `24.04.1` for `24.04`); os_info's reading is the fallback. `os_name` is
//! os-release's `PRETTY_NAME`, and under a sysroot `os` is its `NAME`: the tree's identity, not
//! the host's. A sysroot without an os-release leaves every OS fact this machine's.
//!
//! Only stable values: no uptime, free memory, load or pids, which would make two bundles of
//! the same machine differ. The content is a canonical JSON object of strings; the facts the
//! issue shows are read back from its redacted form like any other item's.

use std::collections::BTreeMap;
use std::fmt;
use std::path::Path;

use serde::Serialize;

use super::Context;
use super::request::{Collector, Earlier, Vars};
use crate::item::{Format, Kind, RawItem};
use crate::spec::Item;

/// A `system` step: nothing to resolve.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "kind", rename = "system")]
pub struct Request {}

impl Collector for Request {
    const KIND: Kind = Kind::System;

    fn plan(_item: &Item, _vars: &Vars, _ctx: &Context) -> Self {
        Request {}
    }

    fn collect(&self, id: &str, ctx: &Context, _earlier: &Earlier<'_>) -> Vec<RawItem> {
        vec![collect_in(id, ctx.sysroot.as_deref())]
    }
}

impl fmt::Display for Request {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("os_info + sysinfo facts, os-release")
    }
}

/// The facts a `system` item records on this machine, by name.
pub fn facts() -> BTreeMap<String, String> {
    facts_in(None)
}

/// The facts a `system` item records, the OS release read under `sysroot` when given.
pub fn facts_in(sysroot: Option<&Path>) -> BTreeMap<String, String> {
    let mut facts = BTreeMap::new();
    let info = os_info::get();
    facts.insert("os".to_string(), info.os_type().to_string());
    facts.insert("os_version".to_string(), info.version().to_string());
    if let Ok(name) = sysinfo::System::long_os_version() {
        facts.insert("os_name".to_string(), name);
    }
    // A tree without an os-release says nothing of its own: the OS facts stay this machine's.
    let tree = sysroot
        .map(OsRelease::read)
        .filter(|r| !r.fields.is_empty());
    let from_tree = tree.is_some();
    let release = tree.unwrap_or_else(|| OsRelease::read(Path::new("/")));
    if let Some(version) = release.version() {
        facts.insert("os_version".to_string(), version);
    }
    if let Some(pretty) = release.get("PRETTY_NAME") {
        facts.insert("os_name".to_string(), pretty.to_string());
    }
    if from_tree && let Some(name) = release.get("NAME") {
        facts.insert("os".to_string(), name.to_string());
    }
    if let Ok(kernel) = sysinfo::System::kernel_version() {
        facts.insert("kernel".to_string(), kernel);
    }
    facts.insert("arch".to_string(), sysinfo::System::cpu_arch());
    if let Ok(mut sys) = sysinfo::System::new() {
        sys.refresh_cpu_list(sysinfo::CpuRefreshKind::nothing());
        sys.refresh_memory();
        let cpus = sys.cpus();
        if let Some(cpu) = cpus.first() {
            let brand = cpu.brand().trim();
            if !brand.is_empty() {
                facts.insert("cpu".to_string(), brand.to_string());
            }
        }
        if !cpus.is_empty() {
            facts.insert("cpu_count".to_string(), cpus.len().to_string());
        }
        let total = sys.total_memory();
        if total > 0 {
            facts.insert("memory_total".to_string(), format_gib(total));
        }
    }
    facts.retain(|_, v| !v.trim().is_empty() && v != "Unknown");
    facts
}

fn format_gib(bytes: u64) -> String {
    // One decimal: stable across runs, readable in an issue.
    let tenths = (bytes as f64 / (1024.0 * 1024.0 * 1024.0) * 10.0).round() / 10.0;
    format!("{tenths:.1} GiB")
}

/// Collect this machine's system facts as `system.json`.
pub fn collect(id: &str) -> RawItem {
    collect_in(id, None)
}

/// Collect the system facts as `system.json`, the OS release read under `sysroot`.
pub fn collect_in(id: &str, sysroot: Option<&Path>) -> RawItem {
    let facts = facts_in(sysroot);
    let mut data = serde_json::to_vec_pretty(&facts).unwrap_or_default();
    data.push(b'\n');
    RawItem {
        format: Format::Json,
        ..RawItem::collected(id, Kind::System, "os_info + sysinfo", "system.json", data)
    }
}

/// What a system tree says about its release: os-release's fields and the point-release
/// files some distributions keep beside it. Unreadable files count as absent.
#[derive(Debug)]
struct OsRelease {
    fields: BTreeMap<String, String>,
    /// First lines of `/etc/debian_version` and `/etc/alpine-release`, where present.
    point_releases: Vec<String>,
}

impl OsRelease {
    /// Read `etc/os-release` (else `usr/lib/os-release`) and the point-release files under
    /// `root`.
    fn read(root: &Path) -> OsRelease {
        let read = |rel: &str| std::fs::read_to_string(root.join(rel)).ok();
        let fields = read("etc/os-release")
            .or_else(|| read("usr/lib/os-release"))
            .map(|text| parse_os_release(&text))
            .unwrap_or_default();
        let point_releases = ["etc/debian_version", "etc/alpine-release"]
            .into_iter()
            .filter_map(read)
            .filter_map(|text| text.lines().next().map(|l| l.trim().to_string()))
            .collect();
        OsRelease {
            fields,
            point_releases,
        }
    }

    fn get(&self, key: &str) -> Option<&str> {
        self.fields
            .get(key)
            .map(String::as_str)
            .filter(|v| !v.is_empty())
    }

    /// `VERSION_ID`, or the first point release that refines it (`12` to `12.11`).
    fn version(&self) -> Option<String> {
        let id = self.get("VERSION_ID")?;
        let from_version = self
            .get("VERSION")
            .and_then(|v| v.split_whitespace().next())
            .map(str::to_string);
        let refined = self
            .point_releases
            .iter()
            .cloned()
            .chain(from_version)
            .find(|candidate| refines(candidate, id));
        Some(refined.unwrap_or_else(|| id.to_string()))
    }
}

/// Whether `candidate` is `id` with more release components (`12.11` for `12`): dotted
/// numbers only, so `trixie/sid` or `12 (bookworm)` never count.
fn refines(candidate: &str, id: &str) -> bool {
    candidate
        .strip_prefix(id)
        .and_then(|rest| rest.strip_prefix('.'))
        .is_some_and(|rest| {
            !rest.is_empty()
                && rest
                    .split('.')
                    .all(|part| !part.is_empty() && part.bytes().all(|b| b.is_ascii_digit()))
        })
}

/// `KEY=value` lines, values unquoted (`"..."` or `'...'`, with `\"`-style escapes); comments
/// and malformed lines are skipped, as os-release(5) asks of readers.
fn parse_os_release(text: &str) -> BTreeMap<String, String> {
    let mut fields = BTreeMap::new();
    for line in text.lines() {
        let line = line.trim();
        if line.starts_with('#') {
            continue;
        }
        let Some((key, value)) = line.split_once('=') else {
            continue;
        };
        let value = match value.as_bytes().first() {
            Some(&q @ (b'"' | b'\''))
                if value.len() >= 2 && value.as_bytes()[value.len() - 1] == q =>
            {
                let inner = &value[1..value.len() - 1];
                let mut out = String::with_capacity(inner.len());
                let mut chars = inner.chars();
                while let Some(c) = chars.next() {
                    if c == '\\' && q == b'"' {
                        if let Some(next) = chars.next() {
                            out.push(next);
                        }
                    } else {
                        out.push(c);
                    }
                }
                out
            }
            _ => value.to_string(),
        };
        fields.insert(key.trim().to_string(), value);
    }
    fields
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_this_machine() {
        let f = facts();
        for key in ["os", "kernel", "arch", "cpu_count", "memory_total"] {
            assert!(f.contains_key(key), "missing {key}: {f:?}");
        }
        assert_eq!(f["arch"], std::env::consts::ARCH);
        let cpus: usize = f["cpu_count"].parse().unwrap();
        assert_eq!(
            cpus,
            std::thread::available_parallelism().map_or(cpus, |n| n.get().max(cpus))
        );
    }

    #[test]
    fn is_stable_between_calls() {
        assert_eq!(
            collect("system").entry.unwrap().data,
            collect("system").entry.unwrap().data
        );
    }

    fn tree(files: &[(&str, &str)]) -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        for (rel, text) in files {
            let path = dir.path().join(rel);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, text).unwrap();
        }
        dir
    }

    const DEBIAN: &str = "PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\nNAME=\"Debian GNU/Linux\"\n\
                          VERSION_ID=\"12\"\nVERSION=\"12 (bookworm)\"\nID=debian\n";

    #[test]
    fn point_release_refines_version_id() {
        let root = tree(&[
            ("etc/os-release", DEBIAN),
            ("etc/debian_version", "12.11\n"),
        ]);
        let f = facts_in(Some(root.path()));
        assert_eq!(f["os_version"], "12.11");
        assert_eq!(f["os_name"], "Debian GNU/Linux 12 (bookworm)");
        assert_eq!(f["os"], "Debian GNU/Linux");

        // Without the point release, VERSION_ID as written.
        let root = tree(&[("etc/os-release", DEBIAN)]);
        assert_eq!(facts_in(Some(root.path()))["os_version"], "12");

        // Ubuntu's debian_version names a Debian codename; VERSION carries the point release.
        let ubuntu =
            "NAME=\"Ubuntu\"\nVERSION_ID=\"24.04\"\nVERSION=\"24.04.1 LTS (Noble Numbat)\"\n";
        let root = tree(&[
            ("usr/lib/os-release", ubuntu),
            ("etc/debian_version", "trixie/sid\n"),
        ]);
        assert_eq!(facts_in(Some(root.path()))["os_version"], "24.04.1");

        let alpine = "NAME='Alpine Linux'\nVERSION_ID=3.20\n";
        let root = tree(&[
            ("etc/os-release", alpine),
            ("etc/alpine-release", "3.20.3\n"),
        ]);
        let f = facts_in(Some(root.path()));
        assert_eq!(f["os_version"], "3.20.3");
        assert_eq!(f["os"], "Alpine Linux");
    }

    #[test]
    fn a_tree_without_os_release_gives_this_machines_facts() {
        let root = tree(&[("etc/debian_version", "99.1\n")]);
        let f = facts_in(Some(root.path()));
        assert_eq!(f, facts_in(None));
        assert_ne!(f.get("os_version").map(String::as_str), Some("99.1"));
        assert_eq!(f["os"], os_info::get().os_type().to_string());
    }

    #[test]
    fn refinement_is_dotted_numbers_only() {
        assert!(refines("12.11", "12"));
        assert!(refines("24.04.1", "24.04"));
        assert!(!refines("12", "12"));
        assert!(!refines("120.1", "12"));
        assert!(!refines("12.x", "12"));
        assert!(!refines("12.", "12"));
        assert!(!refines("trixie/sid", "12"));
    }

    #[test]
    fn os_release_values_are_unquoted() {
        let f = parse_os_release("# c\nA=\"x \\\"y\\\"\"\nB='z'\nC=plain\nbroken\n");
        assert_eq!(f["A"], "x \"y\"");
        assert_eq!(f["B"], "z");
        assert_eq!(f["C"], "plain");
        assert_eq!(f.len(), 3);
    }

    #[test]
    fn gib_has_one_decimal() {
        assert_eq!(format_gib(24 * 1024 * 1024 * 1024), "24.0 GiB");
        assert_eq!(format_gib(1536 * 1024 * 1024), "1.5 GiB");
    }
}
