//! `collect` end to end: plan → collect → redact → facts and checks → bundle and issue.
//!
//! This is the library entry point a host tool calls to offer `mytool support-bundle`.

pub mod checks;
pub mod execute;
pub mod plan;
pub mod stage;
pub mod summary;

use std::collections::BTreeMap;
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

pub use crate::collect::Request;
pub use execute::Event;
pub use plan::Step;
pub use stage::Redacted;

use crate::bundle::manifest::{ProjectRecord, SpecRecord, Tool};
use crate::bundle::timestamp::Timestamp;
use crate::bundle::{self, Manifest, WriteError};
use crate::collect::{Context, deny::DenyList};
use crate::issue;
use crate::item::Format;
use crate::redact::{self, Counts, Redactor, RuleError};
use crate::spec::Spec;

/// Default overall deadline for a whole run.
pub const DEFAULT_OVERALL_TIMEOUT: Duration = Duration::from_secs(120);

/// Everything `collect` needs, resolved from the command line or by a host tool.
#[derive(Debug, Clone)]
pub struct Options {
    /// The spec to run.
    pub spec: Spec,
    /// Where the bundle and issue file go.
    pub out_dir: PathBuf,
    /// Resolve absolute spec paths under this directory.
    pub sysroot: Option<PathBuf>,
    /// `--var NAME=VALUE` overrides of the spec's `[vars]`.
    pub vars: BTreeMap<String, String>,
    /// How to build the redactor.
    pub redaction: redact::Options,
    /// Overall deadline for collection.
    pub timeout: Duration,
    /// The issue title the user gave.
    pub title: Option<String>,
    /// The user's own description of the problem.
    pub description: Option<String>,
    /// The bundle's timestamp (`SOURCE_DATE_EPOCH`, else 1980-01-01).
    pub created: Timestamp,
    /// Relative spec paths resolve here.
    pub cwd: PathBuf,
    /// The user's home, for `~/`.
    pub home: Option<PathBuf>,
    /// The PATH commands run with.
    pub path_env: Option<OsString>,
    /// The user reports a vulnerability: the bundle is marked private, and no public URL or
    /// `gh` line is produced; the spec's security contact is shown instead.
    pub security: bool,
    /// A local checkout of the project, to read the spec's `issue_form` from.
    pub repo_dir: Option<PathBuf>,
}

impl Options {
    /// Options for `spec` with everything else taken from this process: current directory,
    /// `HOME`, `PATH`, `SOURCE_DATE_EPOCH`.
    pub fn from_env(spec: Spec) -> Result<Options, Error> {
        let created =
            Timestamp::from_source_date_epoch(std::env::var("SOURCE_DATE_EPOCH").ok().as_deref())?;
        let cwd = std::env::current_dir().map_err(|e| Error::Io {
            what: "the current directory".into(),
            source: e,
        })?;
        Ok(Options {
            spec,
            out_dir: cwd.clone(),
            sysroot: None,
            vars: BTreeMap::new(),
            redaction: redact::Options::default(),
            timeout: DEFAULT_OVERALL_TIMEOUT,
            title: None,
            description: None,
            created,
            cwd,
            home: std::env::var_os("HOME").map(PathBuf::from),
            path_env: std::env::var_os("PATH"),
            security: false,
            repo_dir: None,
        })
    }

    /// The collector context these options describe; the deadline starts now.
    pub fn context(&self) -> Result<Context, Error> {
        let deny = DenyList::new(&self.spec.deny).map_err(|e| Error::Deny(e.to_string()))?;
        Ok(Context {
            sysroot: self.sysroot.clone(),
            cwd: self.cwd.clone(),
            home: self.home.clone(),
            path_env: self.path_env.clone(),
            deadline: Instant::now() + self.timeout,
            deny,
        })
    }

    /// The resolved steps, without running anything (`--dry-run`).
    pub fn plan(&self) -> Result<Vec<Step>, Error> {
        let ctx = self.context()?;
        let vars = plan::variables(&self.spec, &self.vars, &ctx);
        Ok(plan::plan(&self.spec, &vars, &ctx))
    }
}

/// Why `collect` could not write a bundle.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A redaction rule file is bad.
    #[error(transparent)]
    Rules(#[from] RuleError),
    /// `SOURCE_DATE_EPOCH` is malformed.
    #[error(transparent)]
    Epoch(#[from] bundle::timestamp::EpochError),
    /// A deny glob is bad.
    #[error("invalid deny pattern: {0}")]
    Deny(String),
    /// The bundle could not be written.
    #[error(transparent)]
    Write(#[from] WriteError),
    /// Other I/O.
    #[error("cannot access {what}: {source}")]
    Io {
        /// What was being accessed.
        what: String,
        /// The cause.
        source: std::io::Error,
    },
}

/// What a finished run produced.
#[derive(Debug, Clone)]
pub struct Outcome {
    /// The bundle's path.
    pub bundle: PathBuf,
    /// The issue body's path.
    pub issue: PathBuf,
    /// The bundle id (sha256 of manifest.json).
    pub id: String,
    /// The manifest as written.
    pub manifest: Manifest,
    /// How to file the issue: URL, `gh` line, or the security contact.
    pub filing: issue::Filing,
    /// Warnings from loading rules and the issue form.
    pub warnings: Vec<String>,
    /// Replacements outside items: title, description, spec text and origin.
    pub other_redactions: Counts,
}

/// Collect, redact and write the bundle and issue file.
pub fn collect(opts: &Options, progress: &(dyn Fn(Event<'_>) + Sync)) -> Result<Outcome, Error> {
    let mut redactor = Redactor::new(&opts.redaction)?;
    let ctx = opts.context()?;
    let vars = plan::variables(&opts.spec, &opts.vars, &ctx);
    let steps = plan::plan(&opts.spec, &vars, &ctx);
    let raws = execute::execute(&steps, &ctx, progress);
    let items = stage::redact_items(raws, &mut redactor);

    let mut other_counts = Counts::default();
    let spec_text = if opts.spec.origin.starts_with("built-in:") {
        // Our own published text: nothing of the user's is in it.
        opts.spec.text.clone().into_bytes()
    } else {
        redactor.redact_bytes(opts.spec.text.as_bytes(), Format::Toml, &mut other_counts)
    };
    let title = opts
        .title
        .as_deref()
        .map(|t| redactor.redact_str(t, &mut other_counts));
    let description = opts.description.as_deref().map(|d| {
        String::from_utf8_lossy(&redactor.redact_bytes(
            d.as_bytes(),
            Format::Text,
            &mut other_counts,
        ))
        .into_owned()
    });
    let origin = spec_origin(&opts.spec.origin);
    let origin = redactor.redact_str(&origin, &mut other_counts);

    let sources: Vec<crate::facts::Source<'_>> = items
        .iter()
        .filter(|i| !i.record.binary)
        .filter_map(|i| {
            Some(crate::facts::Source {
                id: &i.record.id,
                data: i.data()?,
            })
        })
        .collect();
    let facts = crate::facts::extract(&opts.spec, &sources);
    let checks = checks::evaluate(&opts.spec, &facts);
    let spec = with_repository_from_facts(&opts.spec, &facts);

    let mut manifest = Manifest {
        format: bundle::FORMAT.to_string(),
        tool: Tool::this(),
        project: ProjectRecord {
            name: spec.project.name.clone(),
            display: spec.project.display.clone(),
            repository: spec.project.repository.clone(),
        },
        spec: SpecRecord {
            origin,
            sha256: bundle::sha256_hex(&spec_text),
        },
        created: opts.created.rfc3339(),
        private: opts.security,
        facts,
        items: items.iter().map(|i| i.record.clone()).collect(),
        checks,
        files: BTreeMap::new(),
    };
    manifest.items.sort_by(|a, b| {
        let order = |id: &str| spec.items.iter().position(|i| i.id == id);
        order(&a.id).cmp(&order(&b.id))
    });
    let contents = issue::Contents::from_redacted(&items);
    let input = issue::Input {
        spec: &spec,
        manifest: &manifest,
        contents: &contents,
        title: title.as_deref(),
        description: description.as_deref(),
    };
    let body = issue::render(&input);
    let full_title = title.is_some().then(|| input.full_title());
    let request = issue_request(title.as_deref(), description.as_deref());
    let report = redaction_report(&items, &other_counts);

    let mut entries: BTreeMap<String, Vec<u8>> = BTreeMap::new();
    for item in &items {
        if let (Some(path), Some(data)) = (&item.record.path, item.data()) {
            entries.insert(path.clone(), data.to_vec());
        }
    }
    entries.insert("issue.md".into(), body.clone().into_bytes());
    entries.insert(issue::bundle_read::REQUEST_ENTRY.into(), request);
    entries.insert("redaction-report.json".into(), report);
    entries.insert("spec.toml".into(), spec_text);

    std::fs::create_dir_all(&opts.out_dir).map_err(|e| Error::Io {
        what: format!("output directory `{}`", opts.out_dir.display()),
        source: e,
    })?;
    let written = bundle::write_bundle(&opts.out_dir, manifest, entries, opts.created)?;
    let issue_path = opts.out_dir.join(format!("{}-issue.md", spec.project.name));
    let file_name = written
        .path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let attach = if opts.security {
        "Send it only through the private channel above."
    } else {
        "Attach it to the issue."
    };
    // The title travels in the URL and the `gh` line; the file keeps it (as a comment, so a
    // body pasted whole stays clean) for a user who files by hand.
    let title_line = full_title
        .map(|t| format!("<!-- Title: {} -->\n", t.replace("--", "- -")))
        .unwrap_or_default();
    let body = format!(
        "{title_line}{body}\n---\nSupport bundle: `{file_name}` (id `{}`). {attach}\n",
        written.id
    );
    write_atomic(&issue_path, body.as_bytes()).map_err(|e| Error::Io {
        what: format!("`{}`", issue_path.display()),
        source: e,
    })?;
    let mut warnings = redactor.warnings().to_vec();
    let form = match (&spec.project.issue_form, &opts.repo_dir) {
        (Some(rel), Some(dir)) => match issue::Form::load(dir, rel) {
            Ok(f) => Some(f),
            Err(e) => {
                warnings.push(format!("{e}; the link carries the body instead"));
                None
            }
        },
        _ => None,
    };
    let input = issue::Input {
        spec: &spec,
        manifest: &written.manifest,
        contents: &contents,
        title: title.as_deref(),
        description: description.as_deref(),
    };
    let filing = issue::file(
        &input,
        &issue::FilingOptions {
            security: opts.security,
            form: form.as_ref(),
            body_file: Some(&issue_path),
        },
    );
    Ok(Outcome {
        bundle: written.path,
        issue: issue_path,
        id: written.id,
        manifest: written.manifest,
        filing,
        warnings,
        other_redactions: other_counts,
    })
}

/// `issue.json`: the redacted title and description, so `issue BUNDLE` can render the same
/// body again.
fn issue_request(title: Option<&str>, description: Option<&str>) -> Vec<u8> {
    let value = serde_json::json!({ "title": title, "description": description });
    let mut out = serde_json::to_vec_pretty(&value).unwrap_or_default();
    out.push(b'\n');
    out
}

/// The spec, with `[project] repository` filled from the fact `repository_fact` names when
/// the spec has no repository of its own and the fact is an http(s) URL.
fn with_repository_from_facts<'a>(
    spec: &'a Spec,
    facts: &BTreeMap<String, bundle::FactRecord>,
) -> std::borrow::Cow<'a, Spec> {
    let found = match (&spec.project.repository, &spec.project.repository_fact) {
        (None, Some(name)) => facts.get(name).map(|f| f.value.trim()),
        _ => None,
    };
    match found {
        Some(url) if url.starts_with("https://") || url.starts_with("http://") => {
            let mut spec = spec.clone();
            spec.project.repository = Some(url.trim_end_matches('/').to_string());
            std::borrow::Cow::Owned(spec)
        }
        _ => std::borrow::Cow::Borrowed(spec),
    }
}

/// The spec's origin as recorded: built-in name, or a file's base name only (a full path
/// can carry a user name).
fn spec_origin(origin: &str) -> String {
    if origin.starts_with("built-in:") {
        return origin.to_string();
    }
    Path::new(origin)
        .file_name()
        .map_or_else(|| origin.to_string(), |n| n.to_string_lossy().into_owned())
}

fn redaction_report(items: &[Redacted], other: &Counts) -> Vec<u8> {
    let mut report = redact::Report::default();
    for item in items {
        let key = item.record.path.as_deref().unwrap_or(&item.record.id);
        report.add(key, &item.counts);
    }
    report.add(OTHER_REPORT_KEY, other);
    report.to_json().into_bytes()
}

/// The report key for replacements outside items.
pub const OTHER_REPORT_KEY: &str = "(title, description, spec)";

/// Write `data` to `path` through a temp file in the same directory and a rename.
pub fn write_atomic(path: &Path, data: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::PermissionsExt;
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let mut temp = tempfile::Builder::new()
        .prefix(".support-bundle-")
        .tempfile_in(dir)?;
    temp.write_all(data)?;
    // Temp files start 0600; the issue body is meant to be read and pasted.
    temp.as_file()
        .set_permissions(std::fs::Permissions::from_mode(0o644))?;
    temp.as_file().sync_all()?;
    temp.persist(path).map_err(|e| e.error)?;
    Ok(())
}
