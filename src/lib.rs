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
//! A host tool can embed the library and offer `mytool support-bundle` itself; see
//! [`run::collect`]. Redaction works on its own too:
//!
//! ```
//! use support_bundle::item::Format;
//! use support_bundle::redact::{Counts, Options, Redactor};
//!
//! let redactor = Redactor::new(&Options { keep_identifiers: true, ..Options::default() })?;
//! let mut counts = Counts::default();
//! let out = redactor.redact_bytes(b"[siem]\ntoken = \"hunter2-but-longer\"\n", Format::Toml, &mut counts);
//! assert_eq!(out, b"[siem]\ntoken = \"[REDACTED:token:1]\"\n");
//! assert_eq!(counts.total(), 1);
//! # Ok::<(), support_bundle::redact::RuleError>(())
//! ```

pub mod atomic;
pub mod bundle;
pub mod check;
pub mod checks;
pub mod collect;
pub mod completeness;
pub mod facts;
pub mod fleet;
pub mod issue;
pub mod item;
pub mod policy;
pub mod redact;
pub mod run;
pub mod sanitize;
pub mod spec;
