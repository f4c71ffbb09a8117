//! One integration-test binary that drives the real `ecsim`.

mod architecture;
mod calibrate;
mod call_graphs;
mod capacity;
mod capacity_plan;
mod cli;
mod deploy;
mod feedback;
mod fuzz;
mod hostile;
mod html;
mod inputs;
mod scenario_errors;
mod shards;
mod shop_e2e;
mod storm;
mod theory;
mod tuning;
mod two_clocks;
mod util;
mod wall;
