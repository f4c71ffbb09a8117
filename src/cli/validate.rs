//! `ecsim validate`: check a scenario, print the resolved form.

use super::{Error, ScenarioArgs, print_stdout};
use crate::scenario;

/// Validates the scenario; prints the resolved scenario on success, then
/// what validation derived from it as `#` comments (so the output stays
/// valid TOML).
pub fn validate(args: &ScenarioArgs) -> Result<(), Error> {
    let loaded = scenario::load(&args.scenario, &args.sets, args.seed)?;
    let mut out = loaded.resolved_toml.clone();
    for note in &loaded.scenario.notes {
        out.push_str(&format!("# {note}\n"));
    }
    print_stdout(&out);
    Ok(())
}
