//! The issue a user files: the Markdown body, its completeness checklist, and the ways to file
//! it (a prefilled new-issue URL for the project's forge, a `gh issue create` line, or, for a
//! vulnerability, the project's private security contact instead).
//!
//! Conventions:
//! - The renderer reads redacted data only. Item content comes through [`Contents`], which
//!   can be built from items that went through the redaction pass and the bundle layout
//!   ([`Placed`], the `collect` path) or, inside this crate, from a bundle this tool wrote
//!   (whose entries were redacted before they were written); the manifest's strings were
//!   redacted by the same pass, and the spec is the one stored as `spec.toml` (redacted).
//!   Title and description are redacted by the caller before they get here.
//! - The body follows the spec's `[issue] sections` in order; what fills each section is
//!   [`crate::spec::SectionSource`] (from `[issue.sources]`, or guessed from the heading).
//! - The full body goes to `<project>-issue.md` and into the bundle as `issue.md`; a URL
//!   carries a trimmed copy when the full one would not fit (see [`url`]).
//! - `issue BUNDLE` re-renders from a bundle opened through the hostile-input-safe
//!   [`crate::bundle::Bundle`] reader, with the title and description `collect` stored as
//!   [`bundle_read::REQUEST_ENTRY`] (see [`bundle_read`]).
//! - `triage BUNDLE...` renders a maintainer's first look at attached bundles as an issue
//!   comment ([`triage`]); everything in it read from a bundle is made inert Markdown.

mod body;
pub mod bundle_read;
mod checklist;
pub mod filing;
pub mod form;
mod section;
pub mod triage;
pub mod url;

use std::collections::BTreeMap;

pub use body::{Detail, render, render_with, sections};
pub use bundle_read::{ReadError, Rerendered, StoredBundle, rerender};
pub use checklist::checklist;
pub use filing::{Filing, FilingOptions, file};
pub use form::{Field, FieldKind, Form, FormError};
pub use section::Section;

use crate::bundle::{ItemRecord, Manifest, Placed};
use crate::spec::Spec;

/// Redacted item content, looked up by the item's path inside the bundle.
///
/// There are two ways to build one, and both hold only redacted bytes:
/// [`Contents::from_placed`] and, inside the crate, from a bundle's entries.
#[derive(Debug, Clone, Default)]
pub struct Contents<'a> {
    by_path: BTreeMap<&'a str, &'a [u8]>,
}

impl<'a> Contents<'a> {
    /// The content of items that went through the redaction pass and the bundle layout.
    pub fn from_placed(items: &'a [Placed]) -> Contents<'a> {
        let by_path = items.iter().filter_map(Placed::entry).collect();
        Contents { by_path }
    }

    /// The entries of a bundle this tool wrote (redacted before they were written).
    pub(crate) fn from_bundle_entries(entries: &'a BTreeMap<String, Vec<u8>>) -> Contents<'a> {
        let by_path = entries
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_slice()))
            .collect();
        Contents { by_path }
    }

    /// The stored content of `record`, if any.
    pub fn get(&self, record: &ItemRecord) -> Option<&'a [u8]> {
        self.by_path.get(record.path.as_deref()?).copied()
    }
}

/// What stands for the title the user did not give.
pub const TITLE_PLACEHOLDER: &str = "<one-line summary>";

/// What the body is rendered from: all of it redacted.
#[derive(Debug, Clone, Copy)]
pub struct Input<'a> {
    /// The spec (sections, sources, labels, log lines), as stored in the bundle: parsed from
    /// the redacted `spec.toml`.
    pub spec: &'a Spec,
    /// The manifest (facts, items, checks); its strings are redacted.
    pub manifest: &'a Manifest,
    /// The items' redacted content.
    pub contents: &'a Contents<'a>,
    /// The user's title, redacted.
    pub title: Option<&'a str>,
    /// The user's description, redacted.
    pub description: Option<&'a str>,
}

impl Input<'_> {
    /// The issue title: the spec's prefix plus the user's title on one line, or plus
    /// `<one-line summary>` for the user to replace when they gave none (the link and the
    /// `gh` line say the same).
    pub fn full_title(&self) -> String {
        let title = self
            .title
            .map(one_line)
            .filter(|t| !t.trim().is_empty())
            .unwrap_or_else(|| TITLE_PLACEHOLDER.to_string());
        format!("{}{title}", self.spec.issue.title)
    }
}

pub(crate) use crate::sanitize::one_line;
