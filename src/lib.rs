//! `support_bundle`: gather what a project's support policy asks for, redact secrets and
//! personal identifiers, write a byte-reproducible zip bundle, and render a prefilled issue.
//!
//! The data flow is one module per arrow:
//!
//! ```text
//! spec ──► collect (parallel, time-boxed) ──► redact ──► bundle writer (zip + manifest)
//!                                                  └──► issue renderer (redacted data only)
//! bundle.zip ──► reader (hostile-input safe) ──► verify | inspect | diff | extract | check
//!                                                  | re-redaction | issue re-rendering
//! ```
//!
//! Every command that reads a bundle opens it through the one reader, [`bundle::Bundle`].
//!
//! A host tool can embed the library and offer `mytool support-bundle` itself: build
//! [`run::Options`] with its `with_*` methods (option structs are `#[non_exhaustive]`, so they
//! can grow without breaking hosts), keep the pseudonym key where the tool keeps its own
//! state ([`redact::KeySource`]), run [`run::collect`] (files in the output directory) or
//! [`run::collect_into`] (the bundle into any `Write + Seek`), and print the summary
//! `support-bundle collect` prints ([`run::summary::Summary`]):
//!
//! ```
//! use std::io::Cursor;
//! use support_bundle::redact::{self, KeySource};
//! use support_bundle::run::{self, summary::Summary};
//!
//! let state = tempfile::tempdir()?; // the host's own config directory
//! let spec = support_bundle::spec::parse(
//!     "mytool",
//!     r#"
//! schema = 1
//! [project]
//! name = "mytool"
//! [[collect]]
//! id = "env"
//! kind = "env"
//! vars = ["LANG"]
//! "#,
//! )?;
//! let opts = run::Options::from_env(spec)?
//!     .with_out_dir(state.path().join("reports"))
//!     .with_title("crash on start")
//!     .with_redaction(redact::Options::default().with_pseudonym_key_source(
//!         KeySource::DefaultFile(state.path().join("pseudonym.key")),
//!     ));
//!
//! let outcome = run::collect(&opts, &|_event| {})?;
//! print!("{}", Summary::new(&outcome).render());
//! assert!(outcome.bundle.starts_with(state.path().join("reports")));
//!
//! // The same bundle, in memory, and no file written.
//! let mut zip = Cursor::new(Vec::new());
//! let collected = run::collect_into(&opts, &|_event| {}, &mut zip)?;
//! assert_eq!(zip.into_inner(), std::fs::read(&outcome.bundle)?);
//! assert_eq!(collected.id, outcome.id);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! Redaction works on its own too:
//!
//! ```
//! use support_bundle::item::Format;
//! use support_bundle::redact::{Counts, Options, Redactor};
//!
//! let redactor = Redactor::new(&Options::default().with_keep_identifiers(true))?;
//! let mut counts = Counts::default();
//! let out = redactor.redact_bytes(b"[siem]\ntoken = \"hunter2-but-longer\"\n", Format::Toml, &mut counts);
//! assert_eq!(out, b"[siem]\ntoken = \"[REDACTED:token:1]\"\n");
//! assert_eq!(counts.total(), 1);
//! # Ok::<(), support_bundle::redact::RuleError>(())
//! ```

/// Chainable `with_<field>` setters (named in full, to be greppable) for an options struct, so hosts build options that can
/// grow fields (they are `#[non_exhaustive]`) without struct literals. `some` makes setters
/// for `Option` fields that take the value itself, `into` setters that take anything
/// convertible (paths).
macro_rules! builder_methods {
    (some $( $(#[$doc:meta])* $name:ident => $field:ident : $ty:ty; )*) => { $(
        $(#[$doc])*
        #[must_use]
        pub fn $name(mut self, value: impl Into<$ty>) -> Self {
            self.$field = Some(value.into());
            self
        }
    )* };
    (into $( $(#[$doc:meta])* $name:ident => $field:ident : $ty:ty; )*) => { $(
        $(#[$doc])*
        #[must_use]
        pub fn $name(mut self, value: impl Into<$ty>) -> Self {
            self.$field = value.into();
            self
        }
    )* };
    ($( $(#[$doc:meta])* $name:ident => $field:ident : $ty:ty; )*) => { $(
        $(#[$doc])*
        #[must_use]
        pub fn $name(mut self, value: $ty) -> Self {
            self.$field = value;
            self
        }
    )* };
}

pub mod atomic;
pub mod bundle;
pub mod check;
pub mod checks;
pub mod collect;
pub mod completeness;
pub mod facts;
// Drives hosts through Unix process groups, shells and file modes; not built elsewhere.
#[cfg(unix)]
pub mod fleet;
#[cfg(feature = "index")]
pub mod index;
pub mod issue;
pub mod item;
pub mod policy;
pub mod redact;
pub mod replay;
pub mod run;
pub mod sanitize;
pub mod seal;
pub mod spec;
