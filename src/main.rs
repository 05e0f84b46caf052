//! The `pressfeed` command: parses arguments, sets up logging, runs, maps the outcome to an
//! exit code.

use std::process::ExitCode;

use clap::Parser;

mod cli;

fn main() -> ExitCode {
    let args = cli::Cli::parse();
    cli::init_logging(&args);
    match cli::run(&args) {
        Ok(outcome) => outcome.exit_code(),
        Err(err) => {
            if err
                .downcast_ref::<std::io::Error>()
                .is_some_and(|e| e.kind() == std::io::ErrorKind::BrokenPipe)
            {
                return ExitCode::SUCCESS;
            }
            eprintln!("pressfeed: error: {err:#}");
            ExitCode::from(1)
        }
    }
}
