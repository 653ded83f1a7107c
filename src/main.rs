//! The `support-bundle` command line. All the work is in the `support_bundle` library; this
//! binary parses arguments, dispatches, and maps outcomes to exit codes.

mod cli;

fn main() -> std::process::ExitCode {
    cli::run()
}
