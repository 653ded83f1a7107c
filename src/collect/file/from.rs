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

#[cfg(test)]
mod tests {
    use crate::collect::testing::SysrootTree;
    use crate::collect::{Earlier, Request};
    use crate::item::{Kind, RawItem, Status};
    use crate::spec;

    const SPEC: &str = r#"schema = 1

[project]
name = "t"

[[collect]]
id = "conf"
kind = "file"
path = "/etc/app/app.conf"

[[collect]]
id = "mods"
kind = "file"
from = { item = "conf", regex = 'load\s+(\S+)' }
binary = true
"#;

    /// The two steps of [`SPEC`], planned in `fx`.
    fn plan(fx: &SysrootTree) -> (Request, Request) {
        let spec = spec::parse("t.toml", SPEC).unwrap();
        let plan = |i: usize| Request::plan(&spec.items[i], &spec.vars, &fx.ctx);
        (plan(0), plan(1))
    }

    fn follow(fx: &SysrootTree, conf: &Request, conf_items: &[RawItem]) -> Vec<RawItem> {
        let (_, mods) = plan(fx);
        assert!(mods.follows());
        let earlier = Earlier::new([("conf", conf, conf_items)]);
        mods.collect("mods", &fx.ctx, &earlier)
    }

    #[test]
    fn reads_each_named_file_once_relative_to_the_naming_file() {
        let fx = SysrootTree::new();
        fx.write(
            "etc/app/app.conf",
            b"load mods/a.wasm\nload /opt/b.wasm\nload mods/a.wasm\n",
        );
        fx.write("etc/app/mods/a.wasm", b"\0asm-a");
        fx.write("opt/b.wasm", b"\0asm-b");
        let (conf, _) = plan(&fx);
        let conf_items = conf.collect("conf", &fx.ctx, &Earlier::default());
        let items = follow(&fx, &conf, &conf_items);
        let got: Vec<(&str, Status, &[u8])> = items
            .iter()
            .map(|i| {
                let data = i.entry.as_ref().map_or(&[][..], |e| e.data.as_slice());
                (i.source.as_str(), i.status, data)
            })
            .collect();
        assert_eq!(
            got,
            [
                ("/etc/app/mods/a.wasm", Status::Ok, &b"\0asm-a"[..]),
                ("/opt/b.wasm", Status::Ok, &b"\0asm-b"[..]),
            ]
        );
        assert!(items.iter().all(|i| i.kind == Kind::File && i.id == "mods"));
        assert!(items.iter().all(|i| i.entry.as_ref().unwrap().binary));
    }

    #[test]
    fn missing_when_the_item_was_not_collected() {
        let fx = SysrootTree::new();
        let (conf, _) = plan(&fx);
        let conf_items = conf.collect("conf", &fx.ctx, &Earlier::default());
        assert_eq!(conf_items[0].status, Status::Missing);
        let items = follow(&fx, &conf, &conf_items);
        assert_eq!(items.len(), 1);
        assert_eq!(items[0].status, Status::Missing);
        assert_eq!(
            items[0].detail.as_deref(),
            Some("`conf` was not collected, so nothing it names could be")
        );
    }

    #[test]
    fn missing_when_the_item_names_nothing() {
        let fx = SysrootTree::new();
        fx.write("etc/app/app.conf", b"modules = none\n");
        let (conf, _) = plan(&fx);
        let conf_items = conf.collect("conf", &fx.ctx, &Earlier::default());
        let items = follow(&fx, &conf, &conf_items);
        assert_eq!(items.len(), 1);
        assert_eq!(items[0].status, Status::Missing);
        assert_eq!(
            items[0].detail.as_deref(),
            Some("`conf` names no files matching the pattern")
        );
    }
}
