//! Layer 3, the backend model: what requests queue for.
//!
//! A [`station::Station`] is a pool of workers in front of a FIFO queue, as
//! the virtual clock keeps it; [`station::Health`] is what faults do to a
//! station, on either clock.

pub mod station;
