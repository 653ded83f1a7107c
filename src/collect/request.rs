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
