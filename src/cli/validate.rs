//! `ecsim validate`: check a scenario, print the resolved form.

use super::{Error, ScenarioArgs, print_stdout};
use crate::scenario;

/// Validates the scenario; prints the resolved scenario on success.
pub fn validate(args: &ScenarioArgs) -> Result<(), Error> {
    let loaded = scenario::load(&args.scenario, &args.sets, args.seed)?;
    print_stdout(&loaded.resolved_toml);
    Ok(())
}
