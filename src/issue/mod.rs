//! The issue body: the spec's sections in order, filled from redacted data only.
//!
//! The renderer takes [`Redacted`](crate::run::Redacted) items and the manifest (whose strings are redacted), so it
//! cannot see a raw byte. Sections are filled by what their heading names: `Environment` gets
//! the facts table; a heading equal to an item's label gets that item's facts; `Logs` gets the
//! tail of each `log = true` item; `Minimal reproduction` lists stored files; any other section
//! is left for the user with a placeholder (the first one takes `--describe` text).

mod body;

pub use body::{Input, render};
