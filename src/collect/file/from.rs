//! `from`: reading the files another file item's content names (a Caddyfile's WASM modules).
//!
//! Each match of the regex in that item's collected (unredacted) content names one file, by
//! its first capture group or else the whole match, each name once, in order of first
//! appearance. Relative names resolve against the directory of the file that names them.

use std::path::{Path, PathBuf};

use regex::Regex;
use serde::Serialize;

use super::{KIND, PathRequest, Read, Request};
use crate::collect::request::{self, Earlier};
use crate::collect::{Context, paths};
use crate::item::{RawItem, Status};

/// Read the files another item's content names.
#[derive(Debug, Clone, Serialize)]
pub struct FromRequest {
    /// The file item whose content is searched.
    pub item: String,
    /// The pattern; its first group (or the whole match) is a path.
    #[serde(serialize_with = "request::serialize_pattern")]
    pub regex: Regex,
    /// How each file is read.
    #[serde(flatten)]
    pub read: Read,
}

impl FromRequest {
    /// Collect every file the item names, once that item is in `earlier`.
    pub(super) fn collect(&self, id: &str, ctx: &Context, earlier: &Earlier<'_>) -> Vec<RawItem> {
        let item = &self.item;
        let missing = |detail: String| {
            vec![RawItem::empty(
                id,
                KIND,
                format!("files named in `{item}`"),
                Status::Missing,
                detail,
            )]
        };
        let Some((data, base)) = referenced(item, ctx, earlier) else {
            return missing(format!(
                "`{item}` was not collected, so nothing it names could be"
            ));
        };
        let text = String::from_utf8_lossy(data);
        let mut names: Vec<&str> = Vec::new();
        for caps in self.regex.captures_iter(&text) {
            if let Some(m) = caps.get(1).or_else(|| caps.get(0))
                && !names.contains(&m.as_str())
            {
                names.push(m.as_str());
            }
        }
        if names.is_empty() {
            return missing(format!("`{item}` names no files matching the pattern"));
        }
        names
            .into_iter()
            .flat_map(|name| super::collect(&self.read.request(id, name, Some(&base)), ctx))
            .collect()
    }
}

/// The raw content of the file item `item` (its first match that is present), and the
/// directory relative references in it resolve against (the referring file's own directory).
fn referenced<'a>(item: &str, ctx: &Context, earlier: &Earlier<'a>) -> Option<(&'a [u8], PathBuf)> {
    let (crate::collect::Request::File(Request::Path(PathRequest { path, .. })), items) =
        earlier.get(item)?
    else {
        return None;
    };
    let first = items.iter().find(|r| r.status.is_present())?;
    let data = first.entry.as_ref()?.data.as_slice();
    let resolved = paths::resolve(path, ctx, None).ok()?;
    let base = resolved
        .parent()
        .map_or_else(|| ctx.cwd.clone(), Path::to_path_buf);
    Some((data, base))
}
