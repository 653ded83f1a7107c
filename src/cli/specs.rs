//! `specs`: the project's own spec when one is found from here, and one line per built-in
//! spec; or with a name, one line per item of that spec (like `sos report -l`), so
//! `--only`/`--skip` can be chosen.

use serde::Serialize;
use support_bundle::sanitize::for_terminal;
use support_bundle::spec::{self, BUILTINS, DEFAULT_SPEC, Item, Kind};

use super::{Exit, output, spec_source};

#[derive(Debug, clap::Args)]
pub(super) struct Args {
    /// List this spec's items (a built-in name, a spec file or a URL)
    #[arg(value_name = "NAME|PATH|URL", value_parser = super::completions::SpecName,
          hide_possible_values = true)]
    name: Option<String>,
    /// Print the list as JSON
    #[arg(long)]
    json: bool,
}

/// What `specs NAME --json` prints.
#[derive(Serialize)]
struct Items {
    spec: String,
    project: String,
    items: Vec<ItemEntry>,
}

#[derive(Serialize)]
struct ItemEntry {
    id: String,
    kind: &'static str,
    reads: String,
    required: bool,
    log: bool,
    /// The systems it is collected on; empty for every system.
    os: Vec<String>,
}

/// What `specs --json` prints.
#[derive(Serialize)]
struct Specs {
    /// The project's own spec found from the current directory, used by `collect` without
    /// `--spec`; `null` when there is none.
    project: Option<ProjectEntry>,
    specs: Vec<Entry>,
}

/// The project spec `specs` lists.
#[derive(Serialize)]
struct ProjectEntry {
    /// The file, as found.
    path: String,
    /// Its name relative to the directory it was found in.
    name: &'static str,
    /// That directory.
    dir: String,
    /// The spec's project name, when it loads.
    project: Option<String>,
    /// Its `[project] description`, when it loads.
    description: Option<String>,
    /// Why it does not load (first problem, `FILE:LINE:COL: message`), when it does not.
    error: Option<String>,
}

#[derive(Serialize)]
struct Entry {
    name: &'static str,
    description: String,
    default: bool,
}

pub(super) fn run(args: &Args) -> anyhow::Result<Exit> {
    if let Some(name) = &args.name {
        return items(name, args.json);
    }
    let cwd = std::env::current_dir()?;
    let project = spec::discover(&cwd).map(|found| {
        let (project, description, error) = match spec::load_file(&found.path) {
            Ok(s) => (Some(s.project.name), s.project.description, None),
            Err(e) => (None, None, e.to_string().lines().next().map(str::to_string)),
        };
        ProjectEntry {
            path: found.path.display().to_string(),
            name: found.name,
            dir: found.dir.display().to_string(),
            project,
            description,
            error,
        }
    });
    let has_project = project.is_some();
    let specs = Specs {
        project,
        specs: BUILTINS
            .iter()
            .map(|b| Entry {
                name: b.name,
                description: spec::parse(&format!("built-in:{}", b.name), b.text)
                    .ok()
                    .and_then(|s| s.project.description)
                    .unwrap_or_default(),
                default: !has_project && b.name == DEFAULT_SPEC,
            })
            .collect(),
    };
    output::emit(&specs, args.json, render)?;
    Ok(Exit::Success)
}

fn render(specs: &Specs) -> String {
    let width = specs.specs.iter().map(|s| s.name.len()).max().unwrap_or(0);
    let mut text = String::new();
    if let Some(p) = &specs.project {
        let what = match (&p.error, &p.description) {
            (Some(error), _) => format!("does not load: {error}"),
            (None, Some(description)) => description.clone(),
            (None, None) => String::new(),
        };
        text.push_str(&format!(
            "{}  {what} (default: the project's own, found in {})\n",
            p.name, p.dir
        ));
    }
    for s in &specs.specs {
        let default = if s.default { " (default)" } else { "" };
        text.push_str(&format!("{:width$}  {}{default}\n", s.name, s.description));
    }
    for_terminal(&text).into_owned()
}

fn items(name: &str, json: bool) -> anyhow::Result<Exit> {
    // Listing runs nothing, so a URL needs no confirmation; a pin is still checked.
    let spec = if spec::is_url(name) {
        spec_source::fetch(name)?.spec
    } else {
        if let Some(note) = spec::shadowed_file_note(name) {
            eprintln!("note: {}", for_terminal(&note));
        }
        spec::load(name)?
    };
    let items = Items {
        spec: spec.origin.clone(),
        project: spec.project.name.clone(),
        items: spec
            .items
            .iter()
            .map(|i| ItemEntry {
                id: i.id.clone(),
                kind: i.kind.as_str(),
                reads: reads(i),
                required: i.required,
                log: i.log,
                os: i.os.clone(),
            })
            .collect(),
    };
    output::emit(&items, json, render_items)?;
    Ok(Exit::Success)
}

/// What an item reads, as the spec says it (placeholders unresolved).
fn reads(item: &Item) -> String {
    match item.kind {
        Kind::System => "OS, kernel, CPU, memory".to_string(),
        Kind::Command => item.argv.join(" "),
        Kind::File | Kind::Listing => match (&item.path, &item.from) {
            (Some(path), _) => path.clone(),
            (None, Some(from)) => format!("paths named in `{}`", from.item),
            (None, None) => String::new(),
        },
        Kind::Http => item.url.clone().unwrap_or_default(),
        Kind::Env => format!("${}", item.vars.join(" $")),
        // A collector kind newer than this front end: the spec's own text says what it reads.
        _ => String::new(),
    }
}

fn render_items(items: &Items) -> String {
    let id_width = items.items.iter().map(|i| i.id.len()).max().unwrap_or(0);
    let mut text = format!(
        "{} ({} items; * required, ~ log)\n",
        items.spec,
        items.items.len()
    );
    for i in &items.items {
        let marks = format!(
            "{}{}",
            if i.required { "*" } else { " " },
            if i.log { "~" } else { " " }
        );
        let os = if i.os.is_empty() {
            String::new()
        } else {
            format!("  (on {} only)", i.os.join(", "))
        };
        text.push_str(&format!(
            "{marks} {:id_width$}  {:<7}  {}{os}\n",
            i.id, i.kind, i.reads
        ));
    }
    for_terminal(&text).into_owned()
}
