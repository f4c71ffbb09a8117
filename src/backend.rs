//! Layer 3, the backend model: what requests queue for and what answers
//! them first.
//!
//! A [`station::Station`] is a pool of workers in front of a FIFO queue, as
//! the virtual clock keeps it; [`station::Health`] is what faults do to a
//! station, on either clock. The [`cache::Cache`] sits in front of the
//! catalog: the shop never calls it; the model looks keys up in it on a
//! route's cache step. The [`autoscale::Autoscaler`] decides, once per
//! period, how many workers a scaling station should have.

pub mod autoscale;
pub mod cache;
pub mod station;
