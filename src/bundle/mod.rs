//! Bundles: the deterministic zip and its manifest, and the maintainer side that reads them:
//! the hostile-input-safe [`reader`] every command opens bundles through (`issue BUNDLE`
//! included), then `verify`, `inspect`, `diff` (as text or an [`html`] page), `extract`,
//! checks run again ([`recheck`]), the project's own replay tools run on the extracted
//! entries ([`crate::replay`]) and re-redaction.

pub mod diff;
pub mod extract;
pub mod html;
pub mod inspect;
pub mod layout;
pub mod manifest;
pub mod reader;
pub mod recheck;
pub mod reredact;
pub mod timestamp;
pub mod verify;
pub mod writer;

#[cfg(test)]
mod fuzz_tests;

pub use layout::Placed;
pub use manifest::{CheckOutcome, CheckResult, FactRecord, FileRecord, ItemRecord, Manifest};
pub use reader::{Bundle, EntryInfo, Limits, ReadError};
pub use writer::{
    Encoded, Extra, WriteError, Written, write_bundle, write_bundle_into, write_bundle_to,
    write_sealed_bundle,
};

/// The manifest's `format` value; bumped on incompatible changes.
pub const FORMAT: &str = "support-bundle/1";

/// Hex sha256 of `data`.
pub fn sha256_hex(data: &[u8]) -> String {
    use sha2::Digest;
    let digest: [u8; 32] = sha2::Sha256::digest(data).into();
    hex::encode(digest)
}
