//! `ecsim validate`: check a scenario, print the resolved form.

use super::{ScenarioArgs, print_stdout};
use crate::exit;
use crate::scenario;

/// Validates the scenario; prints the resolved scenario on success.
pub fn validate(args: &ScenarioArgs) -> u8 {
    match scenario::load(&args.scenario, &args.sets, args.seed) {
        Ok(loaded) => {
            print_stdout(&loaded.resolved_toml);
            exit::OK
        }
        Err(e) => {
            eprintln!("{e}");
            exit::USAGE
        }
    }
}
