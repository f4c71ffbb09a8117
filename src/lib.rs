//! ecsim: discrete-event load simulation of e-commerce backends.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod agent;
pub mod cli;
pub mod exit;
pub mod metrics;
pub mod report;
pub mod runner;
pub mod scenario;
pub mod shop;
pub mod sim;
pub mod wall;
