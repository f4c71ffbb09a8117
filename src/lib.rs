//! ecsim: discrete-event load simulation of e-commerce backends.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod backend;
pub mod cli;
pub mod contract;
pub mod engine;
pub mod kernel;
pub mod metrics;
pub mod model;
pub mod report;
pub mod runner;
pub mod scenario;
pub mod shop;
pub mod wall;
