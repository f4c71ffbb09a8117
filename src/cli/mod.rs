//! The command line: argument definitions and dispatch to one file per
//! command. Glue only: every command calls the library and maps its result
//! to an exit code; `main.rs` just parses and calls [`dispatch`].

pub mod progress;
pub mod run;
pub mod validate;

use std::io::Write;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

/// ecsim: what happens to your shop's backend when this crowd shows up?
#[derive(Debug, Parser)]
#[command(
    name = "ecsim",
    version,
    about = "Discrete-event load simulation of e-commerce backends",
    long_about = "Discrete-event load simulation of e-commerce backends.\n\n\
        Describe the crowd, the shop and the backend in a TOML scenario; ecsim simulates it \
        on a virtual clock (deterministic: same scenario and seed, same bytes) and writes \
        latency percentiles, station queueing, cache hit rates and errors as CSV.",
    after_help = "Examples:\n  \
        ecsim run scenarios/black_friday.toml\n  \
        ecsim run scenarios/black_friday.toml --seed 7 --set stations.payment.workers=64 --out reports/bf64\n  \
        ecsim validate scenarios/black_friday.toml\n\n\
        Exit codes: 0 ok · 1 threshold failed · 2 usage or scenario error · 3 invariant violated · \
        4 I/O error · 130 interrupted"
)]
pub struct Cli {
    /// The command to run.
    #[command(subcommand)]
    pub command: Command,
}

/// The commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run a scenario and write its report.
    #[command(after_help = "Examples:\n  \
        ecsim run scenarios/black_friday.toml\n  \
        ecsim run scenarios/black_friday.toml --seed 42 --out reports/bf-seed42\n  \
        ecsim run scenarios/black_friday.toml --set load.rate=400 --set cache.policy=lfu")]
    Run(RunArgs),
    /// Check a scenario and print what would run; writes nothing.
    #[command(
        after_help = "Example:\n  ecsim validate scenarios/black_friday.toml --set cache.capacity=5000"
    )]
    Validate(ScenarioArgs),
}

/// A scenario file and its overrides.
#[derive(Debug, Args)]
pub struct ScenarioArgs {
    /// The scenario file (TOML).
    pub scenario: PathBuf,
    /// Override any scenario key; VALUE is TOML (a bare word is taken as a
    /// string). Repeatable. E.g. --set stations.payment.workers=16
    #[arg(long = "set", value_name = "KEY=VALUE")]
    pub sets: Vec<String>,
    /// Override the scenario's seed.
    #[arg(long)]
    pub seed: Option<u64>,
}

/// Arguments of `ecsim run`.
#[derive(Debug, Args)]
pub struct RunArgs {
    /// Scenario and overrides.
    #[command(flatten)]
    pub scenario: ScenarioArgs,
    /// Report directory [default: reports/<scenario name>/].
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// No progress bar and no summary on stdout; errors still go to stderr.
    #[arg(long, short)]
    pub quiet: bool,
}

/// Runs the parsed command and returns the process exit code.
pub fn dispatch(cli: Cli) -> u8 {
    match cli.command {
        Command::Run(args) => run::run(&args),
        Command::Validate(args) => validate::validate(&args),
    }
}

/// Prints to stdout, ignoring a closed pipe (`ecsim run … | head`).
pub fn print_stdout(text: &str) {
    let mut out = std::io::stdout().lock();
    let _ = out.write_all(text.as_bytes()).and_then(|_| out.flush());
}
