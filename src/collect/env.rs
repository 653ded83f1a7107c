//! Environment variables named in the spec.
//!
//! Conventions: values come from this process's environment, unredacted (the redaction stage
//! handles them as the `env` format). One line per requested name, in spec order:
//! `NAME=value` when set, `NAME is not set` otherwise. A value that is not valid UTF-8 is
//! converted lossily. Newlines inside a value are kept as they are.

use std::fmt;

use serde::Serialize;

use super::Context;
use super::request::{Collector, Earlier, Vars};
use crate::item::{Format, Kind, RawItem, Status};
use crate::spec::Item;

/// An `env` step.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "kind", rename = "env")]
pub struct Request {
    /// The variables' names, in spec order.
    pub vars: Vec<String>,
}

impl Collector for Request {
    const KIND: Kind = Kind::Env;

    fn plan(item: &Item, _vars: &Vars, _ctx: &Context) -> Self {
        Request {
            vars: item.vars.clone(),
        }
    }

    fn collect(&self, id: &str, ctx: &Context, _earlier: &Earlier<'_>) -> Vec<RawItem> {
        vec![collect(
            &EnvRequest {
                id,
                vars: &self.vars,
            },
            ctx,
        )]
    }
}

impl fmt::Display for Request {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "read environment variables {}", self.vars.join(", "))
    }
}

/// The variables to read.
#[derive(Debug, Clone)]
pub struct EnvRequest<'a> {
    /// The spec item's id.
    pub id: &'a str,
    /// Variable names, in the order they are to be listed.
    pub vars: &'a [String],
}

/// Read the requested variables from the process environment.
pub fn collect(req: &EnvRequest<'_>, _ctx: &Context) -> RawItem {
    let mut text = String::new();
    let mut set = 0usize;
    for name in req.vars {
        // `var_os` panics on an empty name or one containing `=` or NUL; no such variable
        // can exist, so report it as unset.
        let value = if is_valid_name(name) {
            std::env::var_os(name)
        } else {
            None
        };
        match value {
            Some(value) => {
                set += 1;
                text.push_str(name);
                text.push('=');
                text.push_str(&value.to_string_lossy());
            }
            None => {
                text.push_str(name);
                text.push_str(" is not set");
            }
        }
        text.push('\n');
    }

    let source = req.vars.join(" ");
    let (status, detail) = if set > 0 {
        (Status::Ok, None)
    } else if req.vars.is_empty() {
        (Status::Missing, Some("no variables requested".to_string()))
    } else {
        (
            Status::Missing,
            Some("none of the variables is set".to_string()),
        )
    };
    RawItem {
        status,
        detail,
        format: Format::Env,
        ..RawItem::collected(req.id, Kind::Env, source, "env.txt", text.into_bytes())
    }
}

fn is_valid_name(name: &str) -> bool {
    !name.is_empty() && !name.contains(['=', '\0'])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ctx() -> Context {
        crate::collect::testing::context(&std::env::temp_dir())
    }

    fn names(words: &[&str]) -> Vec<String> {
        words.iter().map(|w| w.to_string()).collect()
    }

    /// A name no test environment sets; checked rather than assumed.
    const UNSET: &str = "SB_TEST_SURELY_UNSET_5C1D";

    #[test]
    fn lists_set_and_unset_in_spec_order() {
        assert!(std::env::var_os(UNSET).is_none());
        // Up to two variables this process has, whatever runs it (cargo, or the bare test
        // binary under `env -i`): their values are read, not assumed.
        let set: Vec<(String, String)> = std::env::vars()
            .filter(|(k, v)| !k.is_empty() && !v.contains('\n'))
            .take(2)
            .collect();
        let mut wanted = vec![UNSET];
        wanted.extend(set.iter().map(|(k, _)| k.as_str()));
        let vars = names(&wanted);
        let item = collect(
            &EnvRequest {
                id: "env",
                vars: &vars,
            },
            &ctx(),
        );
        let status = if set.is_empty() {
            Status::Missing
        } else {
            Status::Ok
        };
        assert_eq!(item.status, status);
        assert_eq!(item.format, Format::Env);
        let entry = item.entry.expect("entry");
        assert_eq!(entry.name, "env.txt");
        let mut expected = format!("{UNSET} is not set\n");
        for (k, v) in &set {
            expected.push_str(&format!("{k}={v}\n"));
        }
        assert_eq!(String::from_utf8(entry.data).expect("utf8"), expected);
    }

    #[test]
    fn none_set_is_missing_with_content() {
        let vars = names(&[UNSET, "", "A=B"]);
        let item = collect(
            &EnvRequest {
                id: "env",
                vars: &vars,
            },
            &ctx(),
        );
        assert_eq!(item.status, Status::Missing);
        assert_eq!(item.detail.as_deref(), Some("none of the variables is set"));
        let data = item.entry.expect("entry").data;
        assert_eq!(
            String::from_utf8(data).expect("utf8"),
            format!("{UNSET} is not set\n is not set\nA=B is not set\n")
        );
    }

    #[test]
    fn empty_request_is_missing() {
        let item = collect(
            &EnvRequest {
                id: "env",
                vars: &[],
            },
            &ctx(),
        );
        assert_eq!(item.status, Status::Missing);
    }
}
