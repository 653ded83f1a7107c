//! `system` items: facts about the machine from os_info and sysinfo.
//!
//! Only stable values: no uptime, free memory, load or pids, which would make two bundles of
//! the same machine differ. The content is a canonical JSON object of strings; the facts the
//! issue shows are read back from its redacted form like any other item's.

use std::collections::BTreeMap;
use std::fmt;

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

    fn collect(&self, id: &str, _ctx: &Context, _earlier: &Earlier<'_>) -> Vec<RawItem> {
        vec![collect(id)]
    }
}

impl fmt::Display for Request {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("os_info + sysinfo facts")
    }
}

/// The facts a `system` item records, by name.
pub fn facts() -> BTreeMap<String, String> {
    let mut facts = BTreeMap::new();
    let info = os_info::get();
    facts.insert("os".to_string(), info.os_type().to_string());
    facts.insert("os_version".to_string(), info.version().to_string());
    if let Ok(name) = sysinfo::System::long_os_version() {
        facts.insert("os_name".to_string(), name);
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

/// Collect the system facts as `system.json`.
pub fn collect(id: &str) -> RawItem {
    let facts = facts();
    let mut data = serde_json::to_vec_pretty(&facts).unwrap_or_default();
    data.push(b'\n');
    RawItem {
        format: Format::Json,
        ..RawItem::collected(id, Kind::System, "os_info + sysinfo", "system.json", data)
    }
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

    #[test]
    fn gib_has_one_decimal() {
        assert_eq!(format_gib(24 * 1024 * 1024 * 1024), "24.0 GiB");
        assert_eq!(format_gib(1536 * 1024 * 1024), "1.5 GiB");
    }
}
