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
//! [`run::collect`].

pub mod bundle;
pub mod check;
pub mod collect;
pub mod facts;
pub mod issue;
pub mod item;
pub mod policy;
pub mod redact;
pub mod run;
pub mod sanitize;
pub mod spec;
