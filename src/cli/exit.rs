//! How a command ends: the exit code, and the one place where errors become exit codes.

use std::process::ExitCode;

use pressfeed::{Error, StoreError, chain};

/// How a command ended, as the exit code tells it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Outcome {
    /// Everything worked (0).
    Success,
    /// Some feed failed; its previous files were kept (1).
    FeedFailed,
    /// Bad usage or configuration (2).
    Usage,
    /// Another run holds the lock; nothing was done (3).
    Locked,
}

impl Outcome {
    /// The process exit code.
    pub(crate) fn exit_code(self) -> ExitCode {
        match self {
            Outcome::Success => ExitCode::SUCCESS,
            Outcome::FeedFailed => ExitCode::from(1),
            Outcome::Usage => ExitCode::from(2),
            Outcome::Locked => ExitCode::from(3),
        }
    }
}

/// Logs `err` with its causes and ends as `outcome`.
pub(crate) fn failed(err: &dyn std::error::Error, outcome: Outcome) -> Outcome {
    tracing::error!("{}", chain(err));
    outcome
}

/// Logs a state file error and ends as it says: 3 when another run holds the lock, else 1.
pub(crate) fn store_failed(err: &StoreError) -> Outcome {
    let outcome = match err {
        StoreError::Locked { .. } => Outcome::Locked,
        _ => Outcome::FeedFailed,
    };
    failed(err, outcome)
}

/// Logs a run's error and ends as it says.
pub(crate) fn run_failed(err: &Error) -> Outcome {
    match err {
        Error::Store(err) => store_failed(err),
        Error::Config(err) => failed(err, Outcome::Usage),
        Error::Feed(_) | Error::Site(_) | Error::Panicked(_) => failed(err, Outcome::FeedFailed),
    }
}

/// An error the command could not handle (standard output closed, no runtime): printed, and
/// exit code 1; a closed pipe (`pressfeed status | head`) is a success.
pub(crate) fn report(err: &anyhow::Error) -> ExitCode {
    if err
        .downcast_ref::<std::io::Error>()
        .is_some_and(|e| e.kind() == std::io::ErrorKind::BrokenPipe)
    {
        return ExitCode::SUCCESS;
    }
    eprintln!("pressfeed: error: {err:#}");
    ExitCode::from(1)
}
