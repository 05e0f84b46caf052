//! `pressfeed completions SHELL` and `pressfeed man`: generated from the command line's own
//! definition, so they never fall behind it.

use std::io::Write as _;

use clap::CommandFactory as _;

use super::Cli;
use super::exit::Outcome;

/// Prints the completion script for `shell`.
pub(crate) fn completions(shell: clap_complete::Shell) -> Outcome {
    let mut command = Cli::command();
    let mut out = Vec::new();
    clap_complete::generate(shell, &mut command, "pressfeed", &mut out);
    write_out(&out)
}

/// Prints the manual page, in roff.
pub(crate) fn man() -> Outcome {
    let mut out = Vec::new();
    if let Err(err) = clap_mangen::Man::new(Cli::command()).render(&mut out) {
        tracing::error!("cannot render the manual page: {err}");
        return Outcome::FeedFailed;
    }
    write_out(&out)
}

/// Writes `bytes` to standard output.
fn write_out(bytes: &[u8]) -> Outcome {
    let mut stdout = std::io::stdout().lock();
    match stdout.write_all(bytes).and_then(|()| stdout.flush()) {
        Ok(()) => Outcome::Success,
        Err(err) if err.kind() == std::io::ErrorKind::BrokenPipe => Outcome::Success,
        Err(err) => {
            tracing::error!("cannot write to standard output: {err}");
            Outcome::FeedFailed
        }
    }
}
