//! `listing` items: directory entries (name, size, mode, sha256 of small files), no contents.

use super::Context;
use crate::item::{RawItem, Status};

/// One directory to list.
#[derive(Debug, Clone)]
pub struct ListingRequest<'a> {
    /// The spec item's id.
    pub id: &'a str,
    /// Directory as the spec wrote it.
    pub path: &'a str,
    /// Hash files up to this size.
    pub hash_max_bytes: u64,
    /// Descend into subdirectories.
    pub recursive: bool,
    /// Stop after this many entries.
    pub max_entries: usize,
}

/// List the directory.
pub fn collect(req: &ListingRequest<'_>, _ctx: &Context) -> RawItem {
    RawItem::empty(req.id, "listing", req.path, Status::Failed, "not built yet")
}
