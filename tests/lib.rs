//! The integration suite: one binary, one module per area, every test driving the real
//! `support-bundle` binary.

#[macro_use]
mod harness;
mod fixtures;

mod adoption_kit;

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
mod fleet;
mod fleet_ssh;
mod hostile_input;
mod html_report;
mod interrupt;
mod issue;
mod library_api;
mod maintainer;
mod man_pages;
mod redact_identity;
mod redact_leaks;
mod redact_parallel;
mod redact_pipes;
mod reproducible;
mod sealed;
mod spec_errors;
mod spec_sources;
mod timeouts;
