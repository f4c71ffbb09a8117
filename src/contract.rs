//! Layer 2, the contract: the vocabulary every layer above shares.
//!
//! The operations ([`action::Action`]), their routes of steps
//! ([`route::Step`]), the seam between the model and what actions do
//! ([`business::Business`]), how requests fail ([`ErrorKind`]), what faults
//! do ([`fault::FaultKind`]), and the names of the report contract (files,
//! columns, metric names: [`names`]). Types only, and small pure functions
//! on them; no state.

pub mod action;
pub mod business;
pub mod error;
pub mod fault;
pub mod names;
pub mod policy;
pub mod route;

pub use error::{ErrorKind, N_ERROR_KINDS};
