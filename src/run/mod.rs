//! `collect` end to end, read top to bottom in [`collect`]: plan and run the collectors
//! ([`plan`], [`execute`]) → the redaction pass → the bundle layout → facts and checks → the
//! manifest → the issue body → the bundle → the issue file → how to file it.
//!
//! This is the library entry point a host tool calls to offer `mytool support-bundle`.

pub mod execute;
pub mod issue_file;
pub mod plan;
pub mod select;
mod stored_spec;
pub mod summary;

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

pub use crate::collect::Request;
pub use execute::Event;
pub use plan::Step;

use crate::bundle::layout::{self, Placed};
use crate::bundle::manifest::{ProjectRecord, SpecRecord, Tool};
use crate::bundle::timestamp::Timestamp;
use crate::bundle::{self, Extra, Manifest, WriteError, Written};
use crate::collect::{Context, deny::DenyList};
use crate::item::{Format, RawItem, Status};
use crate::redact::{self, Counts, RedactedText, Redactor, RuleError};
use crate::spec::Spec;
use crate::{checks, facts, issue};

/// Default overall deadline for a whole run.
pub const DEFAULT_OVERALL_TIMEOUT: Duration = Duration::from_secs(120);

/// Everything `collect` needs, resolved from the command line or by a host tool: start
/// from [`Options::from_env`], then the `with_*` methods.
#[derive(Debug, Clone)]
#[non_exhaustive]
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
    /// `HOME`, `PATH`, `SOURCE_DATE_EPOCH`; the spec keeps only the items for this system
    /// ([`Spec::keep_for_os`]).
    pub fn from_env(mut spec: Spec) -> Result<Options, Error> {
        // Items for other systems (`os = ["macos"]` on Linux) are not this machine's.
        spec.keep_for_os(std::env::consts::OS);
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

    builder_methods! {
        into
        /// Where the bundle and issue file go.
        with_out_dir => out_dir: PathBuf;
        /// Relative spec paths resolve here.
        with_cwd => cwd: PathBuf;
    }
    builder_methods! {
        /// `--var NAME=VALUE` overrides of the spec's `[vars]`.
        with_vars => vars: BTreeMap<String, String>;
        /// How to build the redactor: rules, literals, where the pseudonym key lives.
        with_redaction => redaction: redact::Options;
        /// Overall deadline for collection.
        with_timeout => timeout: Duration;
        /// The bundle's timestamp.
        with_created => created: Timestamp;
        /// Mark the bundle private and show the security contact instead of a public link.
        with_security => security: bool;
    }
    builder_methods! {
        some
        /// Resolve absolute spec paths under this directory.
        with_sysroot => sysroot: PathBuf;
        /// The issue title.
        with_title => title: String;
        /// The user's own description of the problem.
        with_description => description: String;
        /// The user's home, for `~/`.
        with_home => home: PathBuf;
        /// The PATH commands run with.
        with_path_env => path_env: OsString;
        /// A local checkout of the project, to read the spec's `issue_form` from.
        with_repo_dir => repo_dir: PathBuf;
    }

    /// Set one spec variable, as `--var NAME=VALUE` does.
    #[must_use]
    pub fn with_var(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.vars.insert(name.into(), value.into());
        self
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

    /// The run's redactor: the rules these options name, with the secret spec variables
    /// already learned ([`learn_secret_vars`]).
    pub fn redactor(&self) -> Result<Redactor, Error> {
        let mut redactor = Redactor::new(&redaction_options(self))?;
        learn_secret_vars(&mut redactor, &self.spec.vars, &self.vars);
        Ok(redactor)
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
#[non_exhaustive]
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
    /// The spec's `security_recipient` could not be used (a spec built in code, unchecked).
    #[error("cannot encrypt the bundle: {0}")]
    Seal(String),
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
    /// The usual issue file, kept because the user edited it (`issue` is then
    /// `<project>-issue-N.md`).
    pub kept_issue: Option<PathBuf>,
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
    /// The age public keys the bundle is encrypted to (empty: a plain zip).
    pub encrypted_to: Vec<String>,
}

/// Collect, redact and write the bundle and issue file.
pub fn collect(opts: &Options, progress: &(dyn Fn(Event<'_>) + Sync)) -> Result<Outcome, Error> {
    assemble(opts, progress, |mut run| {
        let written = write_bundle(opts, &run)?;
        run.warnings.extend(written.removed_stale.iter().map(|p| {
            format!(
                "removed `{}`, left behind by an earlier run that was killed while writing",
                p.display()
            )
        }));
        run.save_reveal_map();
        let file_name = written
            .path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let text = issue_file_text(
            opts,
            &run.input,
            run.body,
            &file_name,
            &written.id,
            run.sealed.is_some(),
        );
        let target = write_issue_file(opts, run.spec, &text, &mut run.warnings)?;
        let issue_path = target.path;
        let filing = filing(
            opts,
            run.spec,
            &run.input,
            Some(&issue_path),
            &mut run.warnings,
        );
        Ok(Outcome {
            bundle: written.path,
            issue: issue_path,
            kept_issue: target.kept,
            id: written.id,
            manifest: written.manifest,
            filing,
            warnings: run.warnings,
            other_redactions: run.texts.counts.clone(),
            encrypted_to: if run.sealed.is_some() {
                opts.spec.project.security_recipients.clone()
            } else {
                Vec::new()
            },
        })
    })
}

/// What [`collect_into`] produced: the bundle went to the caller's writer, and nothing was
/// written to [`Options::out_dir`].
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Collected {
    /// The name `collect` gives the bundle file: `<project>-bundle-<id12>.zip`, or
    /// `.zip.age` when it is sealed (`--security` with the spec's `security_recipient` keys).
    pub file_name: String,
    /// The bundle id (sha256 of manifest.json).
    pub id: String,
    /// The manifest as written.
    pub manifest: Manifest,
    /// What `collect` writes to `<project>-issue.md`: the body, the title as a comment, and
    /// which bundle to attach (for a sealed report only the bundle and where to send it).
    pub issue_text: String,
    /// How to file the issue: URL or the security contact (no `gh` line: there is no body
    /// file for it to name).
    pub filing: issue::Filing,
    /// Warnings from loading rules and the issue form.
    pub warnings: Vec<String>,
    /// Replacements outside items: title, description, spec text and origin.
    pub other_redactions: Counts,
}

/// Collect and redact like [`collect`], but write the bundle into `out` (a `Cursor<Vec<u8>>`,
/// a file the host opened, an entry of its own archive) and no file at all: the same bytes
/// `collect` writes for the same inputs (sealed to the spec's `security_recipient` keys for a
/// security report, as `collect` seals it). The issue text is returned, not written.
pub fn collect_into<W: std::io::Write + std::io::Seek + ?Sized>(
    opts: &Options,
    progress: &(dyn Fn(Event<'_>) + Sync),
    out: &mut W,
) -> Result<Collected, Error> {
    assemble(opts, progress, |mut run| {
        let extras = extras(&run);
        let manifest = run.manifest.clone();
        let encoded = match run.sealed {
            // Sealed, the zip is built in memory and only ciphertext reaches `out`.
            Some(recipients) => {
                let mut zip = std::io::Cursor::new(Vec::new());
                let mut encoded = bundle::write_bundle_into(
                    &mut zip,
                    manifest,
                    run.items,
                    &extras,
                    opts.created,
                )?;
                recipients
                    .seal(zip.get_ref(), &mut *out)
                    .map_err(|source| bundle::WriteError::Output { source })?;
                encoded.file_name = format!("{}.{}", encoded.file_name, crate::seal::EXTENSION);
                encoded
            }
            None => bundle::write_bundle_into(out, manifest, run.items, &extras, opts.created)?,
        };
        run.save_reveal_map();
        let issue_text = issue_file_text(
            opts,
            &run.input,
            run.body,
            &encoded.file_name,
            &encoded.id,
            run.sealed.is_some(),
        );
        let filing = filing(opts, run.spec, &run.input, None, &mut run.warnings);
        Ok(Collected {
            file_name: encoded.file_name,
            id: encoded.id,
            manifest: encoded.manifest,
            issue_text,
            filing,
            warnings: run.warnings,
            other_redactions: run.texts.counts.clone(),
        })
    })
}

/// A run collected, redacted and rendered, before anything is written.
struct Assembled<'a> {
    spec: &'a Spec,
    input: issue::Input<'a>,
    body: &'a str,
    manifest: &'a Manifest,
    items: &'a [Placed],
    texts: &'a Texts,
    learned: redact::Learned,
    redactor: &'a Redactor,
    warnings: Vec<String>,
    /// The keys the bundle is sealed to, for a security report to a spec that has them.
    sealed: Option<&'a crate::seal::Recipients>,
}

impl Assembled<'_> {
    /// Keep the pseudonyms minted for `reveal`; a failure is a warning, not a lost bundle.
    fn save_reveal_map(&mut self) {
        if let Err(e) = self.redactor.save_reveal_map() {
            self.warnings.push(format!(
                "`reveal` will not know this bundle's pseudonyms: {e}"
            ));
        }
    }
}

/// Collect, redact, build the manifest and render the issue body, then hand it all to
/// `finish`, which writes it where the caller wants.
fn assemble<T>(
    opts: &Options,
    progress: &(dyn Fn(Event<'_>) + Sync),
    finish: impl FnOnce(Assembled<'_>) -> Result<T, Error>,
) -> Result<T, Error> {
    // Bad keys in the spec fail the run before anything is collected.
    let sealed = sealed_for(opts)?;
    let mut redactor = opts.redactor()?;
    let raws = gather(opts, progress)?;
    let vocab = redact::Vocabulary::of_spec(&opts.spec);
    let items = layout::place(redact::redact_items(raws, &mut redactor, &vocab));
    let texts = Texts::redact(opts, &redactor);
    let collected = |id: &str| {
        items
            .iter()
            .any(|p| p.record.id == id && matches!(p.record.status, Status::Ok | Status::Truncated))
    };
    let facts = facts::extract_with(&opts.spec, &sources(&items), &collected);
    let spec = with_repository_from_facts(&opts.spec, &facts);
    let manifest = manifest(opts, &spec, &texts, &items, facts);
    let mut warnings = redactor.warnings().to_vec();
    let learned = redactor.learned();
    let shown = shown_spec(&spec, &texts, &manifest, &mut warnings);

    let contents = issue::Contents::from_placed(&items);
    let (title, description) = (texts.title(), texts.description());
    let input = issue::Input {
        spec: &shown,
        manifest: &manifest,
        contents: &contents,
        title: title.as_deref(),
        description: description.as_deref(),
    };
    let body = issue::render(&input);
    finish(Assembled {
        spec: &spec,
        input,
        body: &body,
        manifest: &manifest,
        items: &items,
        texts: &texts,
        learned,
        redactor: &redactor,
        warnings,
        sealed: sealed.as_ref(),
    })
}

/// The redaction options with what the run knows: the system root to read account and host
/// names under, and the project's own names, which stay readable.
fn redaction_options(opts: &Options) -> redact::Options {
    let mut r = opts.redaction.clone();
    if r.sysroot.is_none() {
        r.sysroot.clone_from(&opts.sysroot);
    }
    let project = &opts.spec.project;
    r.keep_names
        .extend([project.name.clone(), project.display.clone()]);
    r
}

/// Teach `redactor` each spec variable (`[vars]`, then `--var`) that a key rule calls a
/// secret: its name names one (`token`, `password`, `api_key`) or its value is shaped like one.
/// Only the stored spec shows a value under its name; placeholders carry it into command lines,
/// URLs, paths, `source` and output, where nothing says it is secret, so it is masked as a
/// learned value wherever it occurs.
pub fn learn_secret_vars(
    redactor: &mut Redactor,
    spec_vars: &BTreeMap<String, String>,
    overrides: &BTreeMap<String, String>,
) {
    for (name, value) in spec_vars.iter().chain(overrides) {
        if is_secret_var(redactor, name, value) {
            redactor.learn_value(value);
        }
    }
}

/// Whether `name = "value"`, read as TOML, has a secret masked in it: exactly what the key
/// rules and secret rules would do to the variable in a config file.
fn is_secret_var(redactor: &Redactor, name: &str, value: &str) -> bool {
    if value.trim().is_empty() {
        return false;
    }
    let line = format!(
        "{} = {}\n",
        toml::Value::String(name.to_string()),
        toml::Value::String(value.to_string())
    );
    let mut counts = Counts::default();
    let out = redactor.redact_bytes(line.as_bytes(), Format::Toml, &mut counts);
    memchr::memmem::find(&out, b"[REDACTED:").is_some()
}

/// Plan the spec's items and run the collectors.
fn gather(opts: &Options, progress: &(dyn Fn(Event<'_>) + Sync)) -> Result<Vec<RawItem>, Error> {
    let ctx = opts.context()?;
    let vars = plan::variables(&opts.spec, &opts.vars, &ctx);
    let steps = plan::plan(&opts.spec, &vars, &ctx);
    Ok(execute::execute(&steps, &ctx, progress))
}

/// What the run stores besides the items, redacted with the secrets learned from them: the
/// spec text, the user's title and description, the spec's origin.
struct Texts {
    spec_text: RedactedText,
    title: Option<RedactedText>,
    description: Option<RedactedText>,
    origin: String,
    /// Replacements in all of these, for the report.
    counts: Counts,
}

impl Texts {
    fn redact(opts: &Options, redactor: &Redactor) -> Texts {
        let mut counts = Counts::default();
        let spec_text = if opts.spec.origin.starts_with("built-in:") {
            // Our own published text: nothing of the user's is in it.
            RedactedText::published(&opts.spec.text)
        } else {
            stored_spec::redact(&opts.spec, redactor, &mut counts)
        };
        let mut text = |s: &str| redactor.redact_text(s.as_bytes(), Format::Text, &mut counts);
        let title = opts.title.as_deref().map(&mut text);
        let description = opts.description.as_deref().map(&mut text);
        let origin = text(&spec_origin(&opts.spec.origin))
            .to_str_lossy()
            .into_owned();
        Texts {
            spec_text,
            title,
            description,
            origin,
            counts,
        }
    }

    fn title(&self) -> Option<Cow<'_, str>> {
        self.title.as_ref().map(RedactedText::to_str_lossy)
    }

    fn description(&self) -> Option<Cow<'_, str>> {
        self.description.as_ref().map(RedactedText::to_str_lossy)
    }
}

/// The text items' redacted content, for fact extraction.
fn sources(items: &[Placed]) -> Vec<facts::Source<'_>> {
    items
        .iter()
        .filter(|p| !p.item.binary())
        .filter_map(|p| {
            Some(facts::Source {
                id: p.item.id(),
                data: p.item.data()?,
            })
        })
        .collect()
}

/// The manifest before the writer fills in `files`: items in spec order, checks evaluated on
/// the facts.
fn manifest(
    opts: &Options,
    spec: &Spec,
    texts: &Texts,
    items: &[Placed],
    facts: BTreeMap<String, bundle::FactRecord>,
) -> Manifest {
    let mut records: Vec<_> = items.iter().map(|p| p.record.clone()).collect();
    records.sort_by_key(|r| spec.items.iter().position(|i| i.id == r.id));
    let checks = checks::evaluate(&opts.spec, &facts, &records);
    Manifest {
        format: bundle::FORMAT.to_string(),
        tool: Tool::this(),
        project: ProjectRecord {
            name: spec.project.name.clone(),
            display: spec.project.display.clone(),
            repository: spec.project.repository.clone(),
        },
        spec: SpecRecord {
            origin: texts.origin.clone(),
            sha256: bundle::sha256_hex(texts.spec_text.as_bytes()),
            os: Some(std::env::consts::OS.to_string()),
        },
        created: opts.created.rfc3339(),
        private: opts.security,
        facts,
        items: records,
        checks,
        files: BTreeMap::new(),
    }
}

/// The spec the issue is rendered from: the one stored as `spec.toml` (redacted), which is also
/// what `issue BUNDLE` renders from. When redaction changed nothing, that is `spec` itself.
fn shown_spec<'a>(
    spec: &Cow<'a, Spec>,
    texts: &Texts,
    manifest: &Manifest,
    warnings: &mut Vec<String>,
) -> Cow<'a, Spec> {
    if texts.spec_text.as_bytes() == spec.text.as_bytes() {
        return spec.clone();
    }
    let text = texts.spec_text.to_str_lossy();
    match crate::spec::parse(&spec.origin, &text) {
        Ok(mut redacted) => {
            // A repository found through `repository_fact` is in the manifest.
            if redacted.project.repository.is_none() {
                redacted.project.repository = manifest.project.repository.clone();
            }
            Cow::Owned(redacted)
        }
        Err(e) => {
            warnings.push(format!(
                "the redacted spec does not load again ({}); the issue is rendered from the \
                 spec as given",
                e.to_string().lines().next().unwrap_or_default()
            ));
            spec.clone()
        }
    }
}

/// The entries besides the items: the issue body, the title and description, the report
/// and the spec.
fn extras(run: &Assembled<'_>) -> [Extra; 4] {
    let mut report = redaction_report(run.items, &run.texts.counts);
    report.learned = run.learned;
    [
        Extra::issue_body(run.body),
        Extra::issue_request(run.texts.title.as_ref(), run.texts.description.as_ref()),
        Extra::report(&report),
        Extra::spec(&run.texts.spec_text),
    ]
}

/// Write the bundle into [`Options::out_dir`].
fn write_bundle(opts: &Options, run: &Assembled<'_>) -> Result<Written, Error> {
    let extras = extras(run);
    std::fs::create_dir_all(&opts.out_dir).map_err(|e| Error::Io {
        what: format!("output directory `{}`", opts.out_dir.display()),
        source: e,
    })?;
    let manifest = run.manifest.clone();
    Ok(match run.sealed {
        Some(recipients) => bundle::write_sealed_bundle(
            &opts.out_dir,
            manifest,
            run.items,
            &extras,
            opts.created,
            recipients,
        )?,
        None => bundle::write_bundle(&opts.out_dir, manifest, run.items, &extras, opts.created)?,
    })
}

/// The maintainers' keys a security report is encrypted to: the spec's
/// `security_recipient`, with `--security` only. A plain report, or a spec without keys,
/// writes a plain bundle.
fn sealed_for(opts: &Options) -> Result<Option<crate::seal::Recipients>, Error> {
    if !opts.security || opts.spec.project.security_recipients.is_empty() {
        return Ok(None);
    }
    crate::seal::Recipients::parse(&opts.spec.project.security_recipients)
        .map(Some)
        .map_err(|e| Error::Seal(e.to_string()))
}

/// The issue file's text: the body, with the title and which bundle (`file_name`, `id`) to
/// attach.
fn issue_file_text(
    opts: &Options,
    input: &issue::Input<'_>,
    body: &str,
    file_name: &str,
    id: &str,
    sealed: bool,
) -> String {
    if sealed {
        // The body would tell in plain text what the encryption protects: it stays inside the
        // bundle (`issue.md`), and this file only says what to send where.
        let contact = input
            .spec
            .project
            .security
            .as_deref()
            .unwrap_or("the project's private security contact");
        return format!(
            "# Security report\n\nThe report is `{file_name}` (id `{id}`), encrypted to the \
             project's maintainers: only they can read it. Its text, the issue body, is inside \
             it as `issue.md`.\n\nSend it only through the project's private channel: \
             {contact}\n"
        );
    }
    let attach = if opts.security {
        "Send it only through the private channel above."
    } else {
        "Attach it to the issue."
    };
    // The title travels in the URL and the `gh` line; the file keeps it (as a comment, so a
    // body pasted whole stays clean) for a user who files by hand.
    let title_line = input
        .title
        .map(|_| {
            format!(
                "<!-- Title: {} -->\n",
                input.full_title().replace("--", "- -")
            )
        })
        .unwrap_or_default();
    format!("{title_line}{body}\n---\nSupport bundle: `{file_name}` (id `{id}`). {attach}\n")
}

/// Write `<project>-issue.md` (or, when the user edited that, the next free
/// `<project>-issue-N.md`).
fn write_issue_file(
    opts: &Options,
    spec: &Spec,
    text: &str,
    warnings: &mut Vec<String>,
) -> Result<issue_file::Target, Error> {
    let target = issue_file::choose(&opts.out_dir, &spec.project.name);
    let issue_path = &target.path;
    crate::atomic::write(issue_path, text.as_bytes(), crate::atomic::PRIVATE).map_err(|e| {
        Error::Io {
            what: format!("`{}`", issue_path.display()),
            source: e,
        }
    })?;
    if let Err(e) = issue_file::record(&opts.out_dir, issue_path, text.as_bytes()) {
        warnings.push(format!(
            "cannot record the issue file in `{}` ({e}); the next run will keep it and write \
             another",
            opts.out_dir.join(issue_file::STATE_FILE).display()
        ));
    }
    Ok(target)
}

/// How to file the issue. A security report produces no link, only the contact, shown on this
/// terminal: the project's address as the spec gives it (redaction may have pseudonymized
/// it). Everything else comes from `input`, all of it redacted.
fn filing(
    opts: &Options,
    spec: &Spec,
    input: &issue::Input<'_>,
    issue_path: Option<&Path>,
    warnings: &mut Vec<String>,
) -> issue::Filing {
    let form = issue_form(spec, opts, warnings);
    let input = issue::Input {
        spec: if opts.security { spec } else { input.spec },
        ..*input
    };
    issue::file(
        &input,
        &issue::FilingOptions {
            security: opts.security,
            form: form.as_ref(),
            body_file: issue_path,
        },
    )
}

/// The spec's GitHub issue form, from a local checkout; a form that does not load is a
/// warning, and the link carries the body instead.
fn issue_form(spec: &Spec, opts: &Options, warnings: &mut Vec<String>) -> Option<issue::Form> {
    let (Some(rel), Some(dir)) = (&spec.project.issue_form, &opts.repo_dir) else {
        return None;
    };
    match issue::Form::load(dir, rel) {
        Ok(f) => Some(f),
        Err(e) => {
            warnings.push(format!("{e}; the link carries the body instead"));
            None
        }
    }
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

/// The spec's origin as recorded: built-in name, a URL pinned to what was fetched, or a
/// file's base name only (a full path can carry a user name).
fn spec_origin(origin: &str) -> String {
    if origin.starts_with("built-in:") || crate::spec::is_url(origin) {
        return origin.to_string();
    }
    Path::new(origin)
        .file_name()
        .map_or_else(|| origin.to_string(), |n| n.to_string_lossy().into_owned())
}

/// `redaction-report.json`: counts per entry (or item id when nothing was stored), then the
/// counts outside items.
fn redaction_report(items: &[Placed], other: &Counts) -> redact::Report {
    let mut report = redact::Report::default();
    for p in items {
        let key = p.record.path.as_deref().unwrap_or(&p.record.id);
        report.add(key, p.item.counts());
    }
    report.add(OTHER_REPORT_KEY, other);
    report
}

/// The report key for replacements outside items.
pub const OTHER_REPORT_KEY: &str = "(title, description, spec)";

#[cfg(test)]
mod tests {
    use super::*;

    const SPEC: &str = r#"
schema = 1
[project]
name = "demo"
security = "write to s3cr3t-contact-value, not to the tracker"
[[collect]]
id = "sys"
kind = "system"
"#;

    fn redactor() -> Redactor {
        Redactor::new(&redact::Options {
            no_default_rules: true,
            keep_identifiers: true,
            literals: vec!["s3cr3t-contact-value".into()],
            ..redact::Options::default()
        })
        .unwrap()
    }

    fn shown(origin: &str) -> (Spec, Vec<String>, Texts) {
        let spec = crate::spec::parse(origin, SPEC).unwrap();
        let mut opts = Options::from_env(spec.clone()).unwrap();
        opts.title = Some("fails with s3cr3t-contact-value".into());
        let texts = Texts::redact(&opts, &redactor());
        let manifest = manifest(&opts, &spec, &texts, &[], BTreeMap::new());
        let mut warnings = Vec::new();
        let shown = shown_spec(&Cow::Borrowed(&spec), &texts, &manifest, &mut warnings);
        (shown.into_owned(), warnings, texts)
    }

    #[test]
    fn the_issue_is_rendered_from_the_redacted_spec_the_bundle_stores() {
        let (spec, warnings, texts) = shown("/home/alice/demo.toml");
        assert!(warnings.is_empty(), "{warnings:?}");
        let security = spec.project.security.unwrap();
        assert!(!security.contains("s3cr3t"), "{security}");
        assert!(security.starts_with("write to "), "{security}");
        assert!(!texts.spec_text.to_str_lossy().contains("s3cr3t"));
        assert!(!texts.title().unwrap().contains("s3cr3t"));
        assert_eq!(texts.origin, "demo.toml");
        assert_eq!(texts.counts.total(), 2);
    }

    #[test]
    fn a_fetched_spec_records_its_url_and_sha256() {
        // A real digest: high-entropy hex that a secret rule must not take for a key.
        let sha = bundle::sha256_hex(SPEC.as_bytes());
        let origin = format!("https://specs.example.org/demo.toml#sha256={sha}");
        let (_, warnings, texts) = shown(&origin);
        assert!(warnings.is_empty(), "{warnings:?}");
        assert_eq!(texts.origin, origin);
    }

    #[test]
    fn a_built_in_spec_is_stored_and_shown_as_published() {
        let (spec, warnings, texts) = shown("built-in:demo");
        assert!(warnings.is_empty(), "{warnings:?}");
        assert_eq!(texts.spec_text.as_bytes(), SPEC.as_bytes());
        // Our own text: the contact is shown as the project wrote it.
        assert!(
            spec.project
                .security
                .unwrap()
                .contains("s3cr3t-contact-value")
        );
    }
}
