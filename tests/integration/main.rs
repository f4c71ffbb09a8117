//! One integration-test binary that drives the real `ecsim`.

mod cli;
mod scenario_errors;
mod theory;
mod tuning;
mod util;
