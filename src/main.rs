//! The `ecsim` command: parse the command line, call the library, map its
//! outcome to the exit code (README "Exit codes").

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = ecsim::cli::Cli::parse();
    match ecsim::cli::run_guarded(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("{e}");
            ExitCode::from(e.exit_code())
        }
    }
}
