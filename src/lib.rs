//! ecsim: discrete-event load simulation of e-commerce backends.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod shop;
