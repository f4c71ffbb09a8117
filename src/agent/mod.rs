//! Customer behaviour: actions, their routes, and what they do.

pub mod action;
pub mod business;
pub mod desk;
pub mod route;
pub mod shopper;
