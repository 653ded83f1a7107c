//! Turning a spec into concrete steps: placeholders filled in, paths resolved under
//! `--sysroot`, commands looked up on PATH. `--dry-run` prints the plan and stops here.
//!
//! What a step of each kind resolves is up to that kind's collector ([`Request::plan`]).

use std::collections::BTreeMap;

use serde::Serialize;

use crate::collect::{Context, Request};
use crate::spec::Spec;

pub use crate::collect::DEFAULT_BINARY_MAX_BYTES;
pub use crate::collect::listing::{
    HASH_MAX_BYTES as LISTING_HASH_MAX_BYTES, MAX_ENTRIES as LISTING_MAX_ENTRIES,
};

/// One concrete thing to collect.
#[derive(Debug, Clone, Serialize)]
pub struct Step {
    /// The spec item's id.
    pub id: String,
    /// The policy asks for it.
    pub required: bool,
    /// What to do, with every value resolved.
    #[serde(flatten)]
    pub request: Request,
}

/// The values `{name}` placeholders take: the spec's `[vars]`, then `--var` overrides, then
/// the built-ins (`sysroot`, `home`, `cwd`), which cannot be overridden.
pub fn variables(
    spec: &Spec,
    overrides: &BTreeMap<String, String>,
    ctx: &Context,
) -> BTreeMap<String, String> {
    let mut vars = spec.vars.clone();
    vars.extend(overrides.iter().map(|(k, v)| (k.clone(), v.clone())));
    let show = |p: &std::path::Path| p.to_string_lossy().into_owned();
    vars.insert(
        "sysroot".into(),
        ctx.sysroot.as_deref().map(show).unwrap_or_default(),
    );
    vars.insert(
        "home".into(),
        ctx.home.as_deref().map(show).unwrap_or_default(),
    );
    vars.insert("cwd".into(), show(&ctx.cwd));
    vars
}

/// Resolve every item of `spec` into a step.
pub fn plan(spec: &Spec, vars: &BTreeMap<String, String>, ctx: &Context) -> Vec<Step> {
    spec.items
        .iter()
        .map(|item| Step {
            id: item.id.clone(),
            required: item.required,
            request: Request::plan(item, vars, ctx),
        })
        .collect()
}
