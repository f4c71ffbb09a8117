//! Layer 1, the kernel: virtual time, seeded random streams, distributions,
//! arrival-rate profiles, popularity laws, the event queue, the process's
//! stop request and a two-way join onto a second core.
//!
//! Nothing here knows about shops, stations or scenarios; everything above
//! builds on it. Every random draw goes through a [`rng::SimRng`] stream
//! derived from the run seed, so results never depend on scheduling.

pub mod dist;
pub mod load;
pub mod par;
pub mod popularity;
pub mod queue;
pub mod rng;
pub mod stop;
pub mod time;
