//! Bundles: the deterministic zip, its manifest, and (later) the hostile-input-safe reader.

pub mod layout;
pub mod manifest;
pub mod timestamp;
pub mod writer;

pub use manifest::{CheckOutcome, FactRecord, FileRecord, ItemRecord, Manifest};
pub use writer::{WriteError, Written, write_bundle};

/// The manifest's `format` value; bumped on incompatible changes.
pub const FORMAT: &str = "support-bundle/1";

/// Hex sha256 of `data`.
pub fn sha256_hex(data: &[u8]) -> String {
    use sha2::Digest;
    let digest: [u8; 32] = sha2::Sha256::digest(data).into();
    hex::encode(digest)
}
