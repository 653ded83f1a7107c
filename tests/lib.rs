//! The integration suite: one binary, one module per area, every test driving the real
//! `support-bundle` binary.

#[macro_use]
mod harness;
mod fixtures;

mod caddy_real;
mod cli_misc;
mod cli_output;
mod collect_default;
mod collect_evidence;
mod collect_gojinn;
mod collect_kestrel;
mod completions;
mod docs;
mod hostile_input;
mod interrupt;
mod issue;
mod maintainer;
mod man_pages;
mod redact_leaks;
mod redact_pipes;
mod reproducible;
mod spec_errors;
mod timeouts;
