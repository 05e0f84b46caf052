//! The `pressfeed` command: parses arguments, sets up logging, runs, maps the outcome to an
//! exit code.

// The pedantic lints worth having, for the shipped code: lossy casts, `format!` appended to a
// String, and functions too long to read (over 120 lines, clippy.toml).
#![warn(
    clippy::cast_possible_truncation,
    clippy::cast_sign_loss,
    clippy::cast_precision_loss,
    clippy::format_push_string,
    clippy::too_many_lines
)]

use std::process::ExitCode;

use clap::Parser;

mod cli;

fn main() -> ExitCode {
    let args = cli::Cli::parse();
    cli::logging::init(&args);
    match cli::run(&args) {
        Ok(outcome) => outcome.exit_code(),
        Err(err) => cli::exit::report(&err),
    }
}
