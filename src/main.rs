//! The `ecsim` command: parse the command line, call the library, map its
//! outcome to the exit code (README "Exit codes").

use std::process::ExitCode;

use clap::Parser;

/// mimalloc instead of the system allocator: the shop allocates small
/// strings and vectors per customer and order, and glibc's malloc spent
/// about 5% of a Black Friday run and kept freed memory fragmented. Built
/// without transparent huge pages (`no_thp`): with them, Black Friday's
/// peak RSS was 430 MiB instead of 380 MiB, at the same speed.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

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
