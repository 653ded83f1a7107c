//! The integration suite: one binary, one module per area, every test driving the real
//! `support-bundle` binary.

#[macro_use]
mod harness;
mod fixtures;

mod caddy_real;
mod cargo_workspace;
mod cli_misc;
mod cli_output;
mod collect_default;
mod collect_evidence;
mod collect_gojinn;
mod collect_kestrel;
mod completions;
mod daily_use;
mod docs;
mod faults_commands;
mod faults_disk;
mod faults_files;
mod faults_http;
mod faults_user;
mod hostile_input;
mod interrupt;
mod issue;
mod maintainer;
mod man_pages;
mod redact_identity;
mod redact_leaks;
mod redact_parallel;
mod redact_pipes;
mod reproducible;
mod spec_errors;
mod timeouts;
