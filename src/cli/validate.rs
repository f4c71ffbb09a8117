//! `ecsim validate`: check a scenario, print the resolved form and its
//! capacity plan (as `#` comments after the TOML, so that the output is
//! still a valid scenario), or the plan alone as CSV.

use super::{Error, ValidateArgs, ValidateFormat, print_stdout};
use crate::scenario;
use crate::scenario::capacity::{self, CapacityPlan};

/// Validates the scenario; prints the resolved scenario and its capacity
/// plan on success.
pub fn validate(args: &ValidateArgs) -> Result<(), Error> {
    let a = &args.scenario;
    let loaded = scenario::load(&a.scenario, &a.sets, a.seed)?;
    let plan = CapacityPlan::new(&loaded.scenario);
    match args.format {
        ValidateFormat::Toml => {
            let mut out = loaded.resolved_toml;
            if !out.ends_with('\n') {
                out.push('\n');
            }
            out.push('\n');
            out.push_str(&capacity::to_text(&plan, "# "));
            print_stdout(&out);
        }
        ValidateFormat::Csv => print_stdout(&capacity::to_csv(&plan)),
    }
    Ok(())
}
