//! `ecsim validate`: check a scenario, print the resolved form, what
//! validation derived from it and its capacity plan (as `#` comments after
//! the TOML, so that the output is still a valid scenario), or the plan
//! alone as CSV.

use super::{Error, ValidateArgs, ValidateFormat, print_stdout};
use crate::scenario;
use crate::scenario::capacity::{self, CapacityPlan};

/// Validates the scenario; prints the resolved scenario, the means its
/// calibrated distributions imply and its capacity plan on success.
pub fn validate(args: &ValidateArgs) -> Result<(), Error> {
    let a = &args.scenario;
    let loaded = scenario::load(&a.scenario, &a.sets, a.seed)?;
    let plan = CapacityPlan::new(&loaded.scenario);
    match args.format {
        ValidateFormat::Toml => print_stdout(&text(&loaded, &plan)),
        ValidateFormat::Csv => print_stdout(&capacity::to_csv(&plan)),
    }
    Ok(())
}

/// The resolved TOML, then validation's notes and the plan as comments.
pub fn text(loaded: &scenario::Loaded, plan: &CapacityPlan) -> String {
    let mut out = loaded.resolved_toml.clone();
    if !out.ends_with('\n') {
        out.push('\n');
    }
    for note in &loaded.scenario.notes {
        out.push_str(&format!("# {note}\n"));
    }
    out.push('\n');
    out.push_str(&capacity::to_text(plan, "# "));
    out
}
