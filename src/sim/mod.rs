//! The discrete-event simulation core: time, events, randomness, stations,
//! arrivals and the engine loop.

pub mod dist;
pub mod engine;
pub mod load;
pub mod popularity;
pub mod queue;
pub mod result;
pub mod rng;
pub mod station;
pub mod time;
