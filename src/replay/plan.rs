//! From a spec's `[[replay]]` steps and a bundle's manifest to the list of runs: each step's
//! placeholders filled in, once per file of its `{entry:<id>}` item, or the reason it is
//! skipped.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

use crate::bundle::Manifest;
use crate::item::Status;
use crate::spec::{ReplayPlaceholder, ReplaySegment, ReplayStep, replay_segments};

/// One run of a step, placeholders filled in, or a step that will not run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Planned {
    /// The step's id.
    pub step: String,
    /// The bundle entry (zip path) this run is for, when the step names one.
    pub entry: Option<String>,
    /// Program and arguments.
    pub argv: Vec<String>,
    /// Working directory.
    pub cwd: String,
    /// Kill the process group after this long.
    pub timeout: Duration,
    /// Why the step does not run (`requires` not met, no files of its item).
    pub skip: Option<String>,
}

/// Expand every step against `manifest`, with `root` standing for `{dir}`.
///
/// `vars` must hold every variable the steps use (checked before, see
/// [`missing_vars`]); a value that still fails to expand is a bug in the loader's checks and
/// is kept as written.
pub fn plan(
    steps: &[ReplayStep],
    manifest: &Manifest,
    root: &Path,
    vars: &BTreeMap<String, String>,
    default_timeout: Duration,
) -> Vec<Planned> {
    let root = root.to_string_lossy();
    let mut out = Vec::new();
    for step in steps {
        let timeout = step.timeout.unwrap_or(default_timeout);
        let cwd_template = step.cwd.as_deref().unwrap_or("{dir}");
        let expand = |entry: Option<&str>| -> (Vec<String>, String) {
            let fill = |text: &str| fill(text, &root, entry, vars);
            (
                step.argv.iter().map(|a| fill(a)).collect(),
                fill(cwd_template),
            )
        };
        let skip = |reason: String| {
            let (argv, cwd) = expand(None);
            Planned {
                step: step.id.clone(),
                entry: None,
                argv,
                cwd,
                timeout,
                skip: Some(reason),
            }
        };
        if let Some(reason) = unmet(step, manifest) {
            out.push(skip(reason));
            continue;
        }
        let Some(item) = step.entry_item() else {
            let (argv, cwd) = expand(None);
            out.push(Planned {
                step: step.id.clone(),
                entry: None,
                argv,
                cwd,
                timeout,
                skip: None,
            });
            continue;
        };
        let entries: Vec<&str> = manifest
            .items
            .iter()
            .filter(|i| i.id == item)
            .filter_map(|i| i.path.as_deref())
            .collect();
        if entries.is_empty() {
            out.push(skip(format!("the bundle holds no files of `{item}`")));
            continue;
        }
        for entry in entries {
            let (argv, cwd) = expand(Some(entry));
            out.push(Planned {
                step: step.id.clone(),
                entry: Some(entry.to_string()),
                argv,
                cwd,
                timeout,
                skip: None,
            });
        }
    }
    out
}

/// Why `step`'s `requires` is not met by the bundle, if it is not.
fn unmet(step: &ReplayStep, manifest: &Manifest) -> Option<String> {
    for id in &step.requires {
        let records: Vec<_> = manifest.items.iter().filter(|i| &i.id == id).collect();
        if records.is_empty() {
            return Some(format!("requires `{id}`, which the bundle does not hold"));
        }
        if let Some(bad) = records.iter().find(|r| r.status != Status::Ok) {
            let why = bad
                .detail
                .as_deref()
                .map(|d| format!(": {d}"))
                .unwrap_or_default();
            return Some(format!("requires `{id}`, which is {}{why}", bad.status));
        }
    }
    None
}

/// `text` with its placeholders filled in: `{dir}` the root, `{entry:…}` the entry's path
/// under the root, `{entry_dir:…}` the directory holding it, `{name}` the variable.
fn fill(text: &str, root: &str, entry: Option<&str>, vars: &BTreeMap<String, String>) -> String {
    let Ok(segments) = replay_segments(text) else {
        return text.to_string();
    };
    let mut out = String::new();
    for segment in segments {
        match segment {
            ReplaySegment::Literal(s) => out.push_str(&s),
            ReplaySegment::Placeholder(ReplayPlaceholder::Dir) => out.push_str(root),
            ReplaySegment::Placeholder(ReplayPlaceholder::Entry(id)) => match entry {
                Some(path) => {
                    out.push_str(root);
                    out.push('/');
                    out.push_str(path);
                }
                None => {
                    out.push_str("{entry:");
                    out.push_str(id);
                    out.push('}');
                }
            },
            ReplaySegment::Placeholder(ReplayPlaceholder::EntryDir(id)) => match entry {
                Some(path) => {
                    out.push_str(root);
                    if let Some((dir, _)) = path.rsplit_once('/') {
                        out.push('/');
                        out.push_str(dir);
                    }
                }
                None => {
                    out.push_str("{entry_dir:");
                    out.push_str(id);
                    out.push('}');
                }
            },
            ReplaySegment::Placeholder(ReplayPlaceholder::Var(name)) => match vars.get(name) {
                Some(value) => out.push_str(value),
                None => {
                    out.push('{');
                    out.push_str(name);
                    out.push('}');
                }
            },
        }
    }
    out
}

/// The variables the steps use that `vars` lacks, each with the first step that uses it.
pub fn missing_vars(
    steps: &[ReplayStep],
    vars: &BTreeMap<String, String>,
) -> Vec<(String, String)> {
    let mut missing: Vec<(String, String)> = Vec::new();
    for step in steps {
        for name in step.variables() {
            if !vars.contains_key(name) && !missing.iter().any(|(n, _)| n == name) {
                missing.push((name.to_string(), step.id.clone()));
            }
        }
    }
    missing
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bundle::ItemRecord;
    use crate::item::Kind;

    fn record(id: &str, path: Option<&str>, status: Status) -> ItemRecord {
        ItemRecord {
            id: id.into(),
            kind: Kind::File,
            source: "src".into(),
            path: path.map(String::from),
            status,
            detail: (status != Status::Ok).then(|| "no such file".to_string()),
            size: 1,
            sha256: None,
            redactions: 0,
            binary: false,
        }
    }

    fn manifest(items: Vec<ItemRecord>) -> Manifest {
        Manifest {
            format: crate::bundle::FORMAT.into(),
            tool: crate::bundle::manifest::Tool::this(),
            project: crate::bundle::manifest::ProjectRecord {
                name: "p".into(),
                display: "P".into(),
                repository: None,
            },
            spec: crate::bundle::manifest::SpecRecord {
                origin: "p.toml".into(),
                sha256: String::new(),
                os: None,
            },
            created: "1980-01-01T00:00:00Z".into(),
            private: false,
            facts: BTreeMap::new(),
            items,
            checks: Vec::new(),
            files: BTreeMap::new(),
        }
    }

    fn step(argv: &[&str], cwd: Option<&str>, requires: &[&str]) -> ReplayStep {
        ReplayStep {
            id: "s".into(),
            argv: argv.iter().map(|a| a.to_string()).collect(),
            cwd: cwd.map(String::from),
            timeout: None,
            requires: requires.iter().map(|r| r.to_string()).collect(),
        }
    }

    #[test]
    fn one_run_per_file_with_placeholders_filled() {
        let m = manifest(vec![
            record("dumps", Some("files/dumps/a.json"), Status::Ok),
            record("dumps", Some("files/dumps/b.json"), Status::Ok),
        ]);
        let vars = BTreeMap::from([("rules".to_string(), "/r".to_string())]);
        let steps = [step(
            &["tool", "{entry:dumps}", "--rules={rules}", "{{x}}"],
            Some("{entry_dir:dumps}"),
            &[],
        )];
        let runs = plan(&steps, &m, Path::new("/x"), &vars, Duration::from_secs(5));
        assert_eq!(runs.len(), 2);
        assert_eq!(
            runs[1].argv,
            ["tool", "/x/files/dumps/b.json", "--rules=/r", "{x}"]
        );
        assert_eq!(runs[1].cwd, "/x/files/dumps");
        assert_eq!(runs[1].entry.as_deref(), Some("files/dumps/b.json"));
        assert_eq!(runs[0].skip, None);
    }

    #[test]
    fn unmet_requirements_and_absent_files_skip_with_a_reason() {
        let m = manifest(vec![
            record("dumps", None, Status::Missing),
            record("mods", Some("files/mods/m.wasm"), Status::Ok),
        ]);
        let vars = BTreeMap::new();
        let steps = [
            step(&["t", "{entry:mods}"], None, &["dumps"]),
            step(&["t", "{entry:dumps}"], None, &[]),
            step(&["t"], None, &["ghost"]),
        ];
        let runs = plan(&steps, &m, Path::new("/x"), &vars, Duration::from_secs(5));
        let reasons: Vec<_> = runs
            .iter()
            .map(|r| r.skip.clone().unwrap_or_default())
            .collect();
        assert_eq!(
            reasons,
            [
                "requires `dumps`, which is missing: no such file",
                "the bundle holds no files of `dumps`",
                "requires `ghost`, which the bundle does not hold",
            ]
        );
        assert_eq!(runs[0].cwd, "/x");
    }

    #[test]
    fn missing_vars_name_the_step() {
        let steps = [step(&["t", "{rules}", "{log}"], Some("{rules}"), &[])];
        let vars = BTreeMap::from([("log".to_string(), "l".to_string())]);
        assert_eq!(
            missing_vars(&steps, &vars),
            [("rules".to_string(), "s".to_string())]
        );
    }
}
