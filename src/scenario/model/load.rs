//! How sessions arrive and what they do: the arrival process ([`Load`]) and
//! the session's Markov chain ([`Behavior`]) over [`Next`] steps.
//!
//! Validated in `validate/load.rs`: a [`Choice`]'s probabilities sum to 1,
//! and every action a session can reach has its transitions and a path to
//! leaving.

use std::sync::Arc;

use crate::contract::action::Op;
use crate::kernel::time::SimDuration;

/// The arrival process.
#[derive(Clone, Debug, PartialEq)]
pub enum Load {
    /// Poisson arrivals with a piecewise-linear rate.
    Open {
        /// `(at, sessions per second)` knots; the first at zero.
        stages: Vec<(SimDuration, f64)>,
        /// True when written as a single `rate` (kept for the resolved file).
        constant: bool,
    },
    /// One session at each instant of a trace (`type = "replay"`).
    Replay {
        /// The trace.
        trace: Arc<Trace>,
        /// Playback speed: arrival `i` lands at `trace.times[i] / speed`.
        speed: f64,
    },
    /// A fixed population, each starting a new session when one ends.
    Closed {
        /// Number of users.
        users: u32,
        /// Users start evenly spread over this span (default zero).
        ramp_up: SimDuration,
    },
}

/// A trace of session arrivals, read from a data file.
#[derive(Debug, PartialEq)]
pub struct Trace {
    /// The name of the file's copy under a report's `data/`.
    pub name: String,
    /// SHA-256 of the file, lower-case hex.
    pub sha256: String,
    /// Arrival instants from the start, ns, non-decreasing.
    pub times: Vec<u64>,
    /// Each arrival's first action, when the file has an `action` column.
    pub firsts: Option<Vec<Op>>,
}

impl Trace {
    /// Arrival `i`'s instant played at `speed`, ns.
    pub fn at(&self, i: usize, speed: f64) -> u64 {
        (self.times[i] as f64 / speed).round() as u64
    }
}

/// The next step of a session: an action or leaving.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Next {
    /// Take this operation.
    Act(Op),
    /// End the session.
    Leave,
}

/// A discrete choice of the next step, as cumulative probabilities.
#[derive(Clone, Debug, PartialEq)]
pub struct Choice {
    /// `(next, probability)` as written, in name order.
    pub options: Vec<(Next, f64)>,
}

/// The session's Markov chain.
#[derive(Clone, Debug)]
pub struct Behavior {
    /// How the first action is chosen.
    pub start: Choice,
    /// Per operation (by index): the next step; `None` for operations no
    /// session can reach.
    pub transitions: Vec<Option<Choice>>,
}
