//! ecsim: discrete-event load simulation of e-commerce backends.
//!
//! A scenario describes the crowd, the shop and the backend; ecsim runs it
//! on a virtual clock (deterministic: same scenario and seed, same bytes)
//! or on the wall clock (the real services, concurrently) and writes the
//! report contract of DESIGN.md.
//!
//! The crate reads bottom-up. Each module imports only from its own layer
//! and the layers below it; `tests/integration/architecture.rs` holds the
//! same table and fails on an upward import.
//!
//! | layer | modules | what they own |
//! |---|---|---|
//! | 1 | [`kernel`] | time, random streams, distributions, rate profiles, popularity, the event queue |
//! | 2 | [`contract`] | actions, routes and steps, the `Business` seam, error and fault kinds, the report's names |
//! | 3 | [`shop`], [`backend`], [`metrics`] | the shop's services; stations, their health and the cache; what a run measured |
//! | 4 | [`scenario`] | the typed, validated scenario |
//! | 5 | [`model`], [`engine`], [`wall`] | the one model, and the virtual and wall clocks that drive it |
//! | 6 | [`runner`] | replications |
//! | 7 | [`report`], [`fit`] | every file of the report; a scenario fitted to an access log |
//! | 8 | [`cli`] | the commands and their one error type |
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod backend;
pub mod cli;
pub mod contract;
pub mod engine;
pub mod fit;
pub mod kernel;
pub mod metrics;
pub mod model;
pub mod report;
pub mod runner;
pub mod scenario;
pub mod shop;
pub mod wall;
