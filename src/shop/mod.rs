//! The shop's domain services: real business state shared by both clocks.

pub mod cache;
