//! The one error type of ecsim's commands, and the one mapping from an
//! outcome to the process exit code (README "Exit codes").
//!
//! A command returns `Ok(())` when everything went as asked, or the
//! [`Error`] that says why not; `main` prints it to stderr and exits with
//! [`Error::exit_code`]. Some errors come after the command did its work:
//! a failed threshold or an interrupt still wrote the report.

use std::path::PathBuf;

use crate::model::SetupError;
use crate::report::atomic::WriteError;
use crate::report::compare::ReadError;
use crate::scenario::ScenarioError;

/// Why a command did not succeed.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The command line asks for something impossible (exit 2).
    #[error("{0}")]
    Usage(String),
    /// The scenario file has problems, every one listed with its position
    /// (exit 2).
    #[error("{0}")]
    Scenario(#[from] ScenarioError),
    /// Several scenarios (a sweep's points) have problems (exit 2).
    #[error("{}", .0.join("\n"))]
    Points(Vec<String>),
    /// The run could not be set up (exit 2).
    #[error("{}: {source}", scenario.display())]
    Setup {
        /// The scenario file.
        scenario: PathBuf,
        /// What refused.
        #[source]
        source: SetupError,
    },
    /// A report directory given to `compare` cannot be read (exit 2).
    #[error("{}", .0.iter().map(ToString::to_string).collect::<Vec<_>>().join("\n"))]
    Read(Vec<ReadError>),
    /// A report could not be written; the previous one is intact (exit 4).
    #[error("error: {0}; the previous report, if any, is unchanged")]
    Report(#[source] WriteError),
    /// A single output file could not be written (exit 4).
    #[error("error: {0}")]
    Write(#[source] WriteError),
    /// An invariant was violated: a bug in ecsim; the message lists the
    /// violations and the command to replay the run (exit 3).
    #[error("{0}")]
    Invariant(String),
    /// Thresholds of the scenario failed (exit 1).
    #[error("thresholds failed: {}", .0.join("; "))]
    Thresholds(Vec<String>),
    /// No point of a sweep passes every threshold (exit 1).
    #[error("no point passes every threshold")]
    NoPointPasses,
    /// `compare` found regressions, one line each (exit 1).
    #[error("{}", .0.iter().map(|r| format!("regression: {r}")).collect::<Vec<_>>().join("\n"))]
    Regressions(Vec<String>),
    /// An internal failure: a thread panicked (exit 70, sysexits'
    /// EX_SOFTWARE). A bug in ecsim; whatever was written may be partial.
    #[error(
        "internal failure: {0} (the message is above); this is a bug in ecsim, please report it with the command that ran"
    )]
    Internal(String),
    /// The memory guard stopped the run: the partial report was written
    /// to this directory; the message says which station diverged.
    #[error("{message}; partial {what} written to {}", dir.display())]
    Diverged {
        /// Why, naming the station.
        message: String,
        /// `report`, or `reports` for a sweep.
        what: &'static str,
        /// Where.
        dir: PathBuf,
    },
    /// Ctrl-C or SIGTERM: the partial report was written to this directory
    /// and marked partial (exit 130 after SIGINT, 143 after SIGTERM).
    #[error("interrupted: partial {what} written to {}", dir.display())]
    Interrupted {
        /// `report`, or `reports` for a sweep.
        what: &'static str,
        /// Where.
        dir: PathBuf,
        /// The exit code: 130 or 143.
        code: u8,
    },
}

impl Error {
    /// The process exit code (README "Exit codes"): 1 a threshold failed
    /// or `compare` found a regression · 2 usage or scenario error,
    /// nothing written · 3 an invariant was violated · 4 I/O error, the
    /// previous report left intact · 5 the model diverged (the memory
    /// guard), partial report written · 70 internal failure (a panic) · 130
    /// interrupted by SIGINT, 143 by SIGTERM.
    pub fn exit_code(&self) -> u8 {
        match self {
            Error::Thresholds(_) | Error::NoPointPasses | Error::Regressions(_) => 1,
            Error::Usage(_)
            | Error::Scenario(_)
            | Error::Points(_)
            | Error::Setup { .. }
            | Error::Read(_) => 2,
            Error::Invariant(_) => 3,
            Error::Report(_) | Error::Write(_) => 4,
            Error::Diverged { .. } => 5,
            Error::Internal(_) => 70,
            Error::Interrupted { code, .. } => *code,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::error::Error as _;

    #[test]
    fn every_outcome_has_its_documented_code_and_keeps_its_cause() {
        let io = || WriteError {
            path: "r".into(),
            source: std::io::Error::other("disk full"),
        };
        assert_eq!(Error::Usage("x".into()).exit_code(), 2);
        assert_eq!(Error::Thresholds(vec!["a".into()]).exit_code(), 1);
        assert_eq!(Error::Invariant("I1".into()).exit_code(), 3);
        assert_eq!(Error::Report(io()).exit_code(), 4);
        let interrupted = Error::Interrupted {
            what: "report",
            dir: "out".into(),
            code: 130,
        };
        assert_eq!(interrupted.exit_code(), 130);
        assert_eq!(
            interrupted.to_string(),
            "interrupted: partial report written to out"
        );
        let e = Error::Report(io());
        assert!(
            e.source()
                .is_some_and(|s| s.to_string().contains("disk full"))
        );
        let setup = Error::Setup {
            scenario: "s.toml".into(),
            source: SetupError::Runtime(std::io::Error::other("no threads")),
        };
        assert_eq!(setup.exit_code(), 2);
        assert!(setup.source().is_some());
        assert_eq!(
            Error::Regressions(vec!["a > +1%".into()]).to_string(),
            "regression: a > +1%"
        );
    }
}
