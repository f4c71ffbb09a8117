//! The `ecsim` command: parse the command line, call the library, exit.

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = ecsim::cli::Cli::parse();
    ExitCode::from(ecsim::cli::dispatch(cli))
}
