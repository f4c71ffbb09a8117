//! An agent: one customer session, or one admin operation, as the model
//! sees it.
//!
//! The clock keeps agents where it likes (the virtual clock in a slab, the
//! wall clock in a task) and hands them to the model's interpreter, which
//! alone reads and writes the request's place on its route.

use crate::contract::ErrorKind;
use crate::contract::action::Action;
use crate::kernel::rng::SimRng;
use crate::kernel::time::SimTime;

/// Who an agent is: what happens when its session ends.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Who {
    /// A visitor of the open model: leaves for good.
    Open,
    /// Closed-model user `.0`: starts a new session while arrivals last.
    Closed(u32),
    /// One admin operation: no session around it.
    Admin,
}

/// A session (or admin operation) and the request it is making.
pub struct Agent<S> {
    /// The agent's own random stream.
    pub rng: SimRng,
    /// The business layer's session state.
    pub session: S,
    /// Who it is.
    pub who: Who,
    pub(super) req: Request,
}

impl<S> Agent<S> {
    /// The operation the agent is performing, or will perform next.
    pub fn action(&self) -> Action {
        self.req.action
    }

    /// When the current operation started (its latency runs from here).
    pub fn started(&self) -> SimTime {
        self.req.start
    }
}

/// The request an agent is making: its operation and its place on the
/// operation's route.
#[derive(Clone, Copy, Debug)]
pub(super) struct Request {
    pub(super) action: Action,
    /// Index of the current step of the route.
    pub(super) step: u8,
    /// Cart lines already visited by a per-line step.
    pub(super) line: u32,
    /// What the operation is about (its cache key).
    pub(super) subject: u32,
    /// When the operation started.
    pub(super) start: SimTime,
    /// Set when a station or a business step failed the request.
    pub(super) error: Option<ErrorKind>,
    /// The operation's cache lookup hit.
    pub(super) cached: bool,
}

impl Request {
    pub(super) fn new(action: Action, start: SimTime) -> Self {
        Request {
            action,
            step: 0,
            line: 0,
            subject: 0,
            start,
            error: None,
            cached: false,
        }
    }
}
