//! One planned step of any kind, and the one place that dispatches on the kind.
//!
//! Each `collect/<kind>.rs` defines a `Request` implementing [`Collector`]: planned from a
//! spec item, shown by `--dry-run` (its `Display`) and `--dry-run --json` (its `Serialize`),
//! and collected. [`Request`] wraps them; the `kinds!` list below is the only list of kinds
//! in the collectors.

use std::collections::BTreeMap;
use std::fmt;
use std::time::Duration;

use regex::Regex;
use serde::{Serialize, Serializer};

use super::{
    Context, DEFAULT_BINARY_MAX_BYTES, DEFAULT_MAX_BYTES, command, env, file, http, listing, system,
};
use crate::item::{Kind, RawItem};
use crate::spec::Item;

/// The values `{name}` placeholders take, by name.
pub type Vars = BTreeMap<String, String>;

/// What every kind's `Request` does.
pub trait Collector: fmt::Display + Serialize + Sized {
    /// The kind of the items it yields.
    const KIND: Kind;

    /// Resolve a spec item of this kind: placeholders filled from `vars`, paths resolved and
    /// programs looked up in `ctx`. Nothing is read or run.
    fn plan(item: &Item, vars: &Vars, ctx: &Context) -> Self;

    /// Collect for the spec item `id`. Never fails: a failure is the status of an item.
    fn collect(&self, id: &str, ctx: &Context, earlier: &Earlier<'_>) -> Vec<RawItem>;

    /// Whether it reads what other steps collected, and so runs after every step that does
    /// not.
    fn follows(&self) -> bool {
        false
    }
}

/// What the steps run before this one yielded, by step id: where a step that follows
/// references in another item's content (a file's `from`) finds that item.
#[derive(Debug, Default)]
pub struct Earlier<'a> {
    steps: Vec<(&'a str, &'a Request, &'a [RawItem])>,
}

impl<'a> Earlier<'a> {
    /// Steps as `(id, request, items)`; a step that has not run has no items.
    pub fn new(steps: impl IntoIterator<Item = (&'a str, &'a Request, &'a [RawItem])>) -> Self {
        Earlier {
            steps: steps.into_iter().collect(),
        }
    }

    /// The request of step `id` and the items it yielded.
    pub fn get(&self, id: &str) -> Option<(&'a Request, &'a [RawItem])> {
        self.steps
            .iter()
            .find(|(step, _, _)| *step == id)
            .map(|&(_, request, items)| (request, items))
    }
}

/// Declares [`Request`] with one variant per kind, and its dispatch. A variant is named like
/// the [`Kind`] it collects and holds the `Request` of the module named after it.
macro_rules! kinds {
    ($($variant:ident => $module:ident),* $(,)?) => {
        /// One planned step, with every value resolved.
        #[derive(Debug, Clone, Serialize)]
        // Each kind's request carries its own `kind` tag.
        #[serde(untagged)]
        pub enum Request {
            $(
                #[doc = concat!("A `", stringify!($module), "` step.")]
                $variant($module::Request),
            )*
        }

        impl Request {
            /// Resolve a spec item into the request of its kind.
            pub fn plan(item: &Item, vars: &Vars, ctx: &Context) -> Request {
                match item.kind {
                    $(Kind::$variant => Request::$variant(Collector::plan(item, vars, ctx)),)*
                }
            }

            /// The kind of the items it yields.
            pub fn kind(&self) -> Kind {
                match self {
                    $(Request::$variant(_) => <$module::Request as Collector>::KIND,)*
                }
            }

            /// Collect for the spec item `id`; see [`Collector::collect`].
            pub fn collect(&self, id: &str, ctx: &Context, earlier: &Earlier<'_>) -> Vec<RawItem> {
                match self {
                    $(Request::$variant(r) => r.collect(id, ctx, earlier),)*
                }
            }

            /// Whether it runs after the steps that do not follow others; see
            /// [`Collector::follows`].
            pub fn follows(&self) -> bool {
                match self {
                    $(Request::$variant(r) => r.follows(),)*
                }
            }
        }

        /// What `--dry-run` says it would do.
        impl fmt::Display for Request {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                match self {
                    $(Request::$variant(r) => r.fmt(f),)*
                }
            }
        }
    };
}

kinds! {
    System => system,
    Command => command,
    File => file,
    Listing => listing,
    Http => http,
    Env => env,
}

/// The byte cap of an item's content: the spec's, else the default for text or binary.
pub(crate) fn max_bytes(item: &Item) -> u64 {
    item.max_bytes.unwrap_or(if item.binary {
        DEFAULT_BINARY_MAX_BYTES
    } else {
        DEFAULT_MAX_BYTES
    })
}

/// A duration in a request's JSON, as seconds (`timeout_secs`).
pub(crate) fn serialize_secs<S: Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_f64(d.as_secs_f64())
}

/// A regex in a request's JSON, as its pattern.
pub(crate) fn serialize_pattern<S: Serializer>(r: &Regex, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(r.as_str())
}

/// An optional regex in a request's JSON, as its pattern or `null`.
pub(crate) fn serialize_optional_pattern<S: Serializer>(
    r: &Option<Regex>,
    s: S,
) -> Result<S::Ok, S::Error> {
    match r {
        Some(r) => s.serialize_str(r.as_str()),
        None => s.serialize_none(),
    }
}

/// A byte count for people: `8 MiB`, `512 KiB`, `100 bytes`.
pub(crate) fn show_size(bytes: u64) -> String {
    const KIB: u64 = 1024;
    const MIB: u64 = 1024 * KIB;
    match bytes {
        b if b >= MIB && b % MIB == 0 => format!("{} MiB", b / MIB),
        b if b >= KIB && b % KIB == 0 => format!("{} KiB", b / KIB),
        b => format!("{b} bytes"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::collect::testing;
    use crate::item::Status;
    use crate::spec::{self, BUILTINS};

    fn spec(items: &str) -> spec::Spec {
        let text = format!("schema = 1\n\n[project]\nname = \"t\"\n\n{items}");
        spec::parse("t.toml", &text).unwrap_or_else(|e| panic!("{e}"))
    }

    fn plan_one(spec: &spec::Spec, ctx: &Context) -> Request {
        Request::plan(&spec.items[0], &spec.vars, ctx)
    }

    /// Every item of every built-in spec plans to a request of its own kind, whose JSON
    /// names the kind (`filefrom` for a file read from another item's references) and whose
    /// text says what it would do.
    #[test]
    fn builtin_items_plan_to_their_kind() {
        let ctx = testing::context(&std::env::temp_dir());
        for builtin in BUILTINS {
            let spec = spec::parse(builtin.name, builtin.text).unwrap();
            for item in &spec.items {
                let request = Request::plan(item, &spec.vars, &ctx);
                assert_eq!(request.kind(), item.kind, "{}", item.id);
                let json = serde_json::to_value(&request).unwrap();
                let tag = if item.from.is_some() {
                    "filefrom"
                } else {
                    item.kind.as_str()
                };
                assert_eq!(json["kind"], tag, "{json}");
                assert_eq!(request.follows(), item.from.is_some());
                assert!(!request.to_string().is_empty());
            }
        }
    }

    /// `missing_when` reaches the command compiled, shows as its pattern, and marks real
    /// output that matches as missing with the matching line as the reason.
    #[test]
    fn missing_when_passes_through_compiled() {
        let spec = spec(
            "[[collect]]\nid = \"c\"\nkind = \"command\"\n\
             argv = [\"printf\", 'first\\n-- No entries --\\n']\n\
             missing_when = '^-- No entries --$'\n",
        );
        let ctx = testing::context(&std::env::temp_dir());
        let request = plan_one(&spec, &ctx);
        let Request::Command(command) = &request else {
            panic!("{request:?}")
        };
        assert!(
            command
                .missing_when
                .as_ref()
                .unwrap()
                .is_match("-- No entries --")
        );
        let json = serde_json::to_value(&request).unwrap();
        assert_eq!(json["missing_when"], "^-- No entries --$");
        let items = request.collect("c", &ctx, &Earlier::default());
        assert_eq!(items.len(), 1);
        assert_eq!(items[0].kind, Kind::Command);
        assert_eq!(items[0].status, Status::Missing, "{:?}", items[0]);
        assert_eq!(items[0].detail.as_deref(), Some("-- No entries --"));
    }

    #[test]
    fn sizes_read_as_people_write_them() {
        assert_eq!(show_size(8 * 1024 * 1024), "8 MiB");
        assert_eq!(show_size(512 * 1024), "512 KiB");
        assert_eq!(show_size(1536), "1536 bytes");
        assert_eq!(show_size(100), "100 bytes");
    }

    #[test]
    fn earlier_finds_steps_by_id() {
        let spec = spec("[[collect]]\nid = \"s\"\nkind = \"system\"\n");
        let ctx = testing::context(&std::env::temp_dir());
        let request = plan_one(&spec, &ctx);
        let items = request.collect("s", &ctx, &Earlier::default());
        let earlier = Earlier::new([("s", &request, items.as_slice())]);
        let (found, found_items) = earlier.get("s").expect("found");
        assert_eq!(found.kind(), Kind::System);
        assert_eq!(found_items.len(), 1);
        assert!(earlier.get("other").is_none());
    }
}
