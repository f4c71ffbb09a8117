//! An agent: one customer session, or one admin operation, as the model
//! sees it: the request it is making and the calls that request has in
//! flight.
//!
//! The clock keeps agents where it likes (the virtual clock in a slab, the
//! wall clock in a task) and hands them to the model's interpreter, which
//! alone reads and writes the request's place on its route. A request
//! whose route is a plain list of steps lives entirely in [`Request`]; a
//! call graph (branches, fan-out calls, hedge copies, held bodies) runs in
//! [`Frame`]s from the agent's own arena, reused from request to request,
//! so a fan-out of 100 does not allocate 100 times.

use crate::contract::ErrorKind;
use crate::contract::action::Op;
use crate::contract::route::RouteId;
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

/// Where in an agent a call waits: the request itself ([`Place::ROOT`]), or
/// one of its frames. The clock hands it back with the answer.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Place(pub u16);

impl Place {
    /// The request itself.
    pub const ROOT: Place = Place(u16::MAX);
}

/// The clock's own bookkeeping for a place that waits in a queue (the
/// virtual clock's queue token and station); the model never reads it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Cookie {
    /// The queue entry's token, 0 when not queued.
    pub token: u64,
    /// The station it waits at.
    pub station: u16,
}

/// A session (or admin operation) and the request it is making.
pub struct Agent<S> {
    /// The agent's own random stream.
    pub rng: SimRng,
    /// The business layer's session state.
    pub session: S,
    /// Who it is.
    pub who: Who,
    /// The session's number in start order (an admin operation's, among
    /// the admins'): the access log's remote host.
    pub(super) serial: u64,
    pub(super) req: Request,
    pub(super) frames: Vec<Frame>,
    /// Head of the free list of `frames` (`NONE`: empty).
    pub(super) free: u16,
    /// Frames in use.
    pub(super) live: u16,
    /// The last join id handed out (ids are never reused by an agent).
    pub(super) joins: u32,
    /// Timers (hedges, timeouts, backoffs, patience) asked for and not
    /// yet fired.
    pub(super) timers: u32,
    /// The session is over; the agent ends when its last frame does.
    pub(super) ended: bool,
    /// The next action is a reload of the last one.
    pub(super) reloading: bool,
    root_cookie: Cookie,
}

/// No frame.
pub(super) const NONE: u16 = u16::MAX;

impl<S> Agent<S> {
    pub(super) fn new(rng: SimRng, session: S, who: Who, req: Request) -> Self {
        Agent {
            rng,
            session,
            who,
            serial: 0,
            req,
            frames: Vec::new(),
            free: NONE,
            live: 0,
            joins: 0,
            timers: 0,
            ended: false,
            reloading: false,
            root_cookie: Cookie::default(),
        }
    }

    /// Makes a finished agent's slot a new agent, reusing its call arena.
    pub(super) fn reset(&mut self, rng: SimRng, session: S, who: Who, req: Request) {
        debug_assert!(self.live == 0, "only a finished agent is reused");
        self.rng = rng;
        self.session = session;
        self.who = who;
        self.req = req;
        self.frames.clear();
        self.free = NONE;
        self.live = 0;
        self.joins = 0;
        self.timers = 0;
        self.ended = false;
        self.reloading = false;
        self.root_cookie = Cookie::default();
    }

    /// The operation the agent is performing, or will perform next.
    pub fn op(&self) -> Op {
        self.req.action
    }

    /// When the current operation started (its latency runs from here).
    pub fn started(&self) -> SimTime {
        self.req.start
    }

    /// The clock's bookkeeping for `place`.
    #[inline]
    pub fn cookie(&mut self, place: Place) -> &mut Cookie {
        if place == Place::ROOT {
            &mut self.root_cookie
        } else {
            &mut self.frames[place.0 as usize].cookie
        }
    }

    /// The queue token of `place`, 0 when it waits in no queue (or no
    /// longer exists: a queue entry may outlive its call, even its agent).
    #[inline]
    pub fn token(&self, place: Place) -> u64 {
        if place == Place::ROOT {
            self.root_cookie.token
        } else {
            self.frames
                .get(place.0 as usize)
                .filter(|f| f.in_use)
                .map_or(0, |f| f.cookie.token)
        }
    }

    /// Calls still running (the request's or orphans', the request's own
    /// visit included), or timers still due: the agent cannot end yet.
    pub fn busy(&self) -> bool {
        self.live > 0 || self.timers > 0 || self.req.waiting
    }

    /// Has the caller of the call at `place` stopped waiting for its
    /// answer? True when the call, or a call it is part of, was cancelled
    /// or is an orphan (its step is over, or timed out), and when the
    /// customer abandoned the request. The clocks count the service time
    /// of such calls as wasted.
    pub fn gone(&self, place: Place) -> bool {
        let mut p = place;
        loop {
            if p == Place::ROOT {
                return self.req.abandoned;
            }
            let Some(f) = self.frames.get(p.0 as usize) else {
                return true;
            };
            if !f.in_use || f.cancelled {
                return true;
            }
            let parent_join = if f.parent == Place::ROOT {
                self.req.join.id
            } else {
                match self.frames.get(f.parent.0 as usize) {
                    Some(pf) if pf.in_use => pf.join.id,
                    _ => return true,
                }
            };
            if parent_join != f.parent_join {
                return true;
            }
            p = f.parent;
        }
    }

    #[inline]
    pub(super) fn cursor(&mut self, place: Place) -> &mut Cursor {
        if place == Place::ROOT {
            &mut self.req.cursor
        } else {
            &mut self.frames[place.0 as usize].cursor
        }
    }

    #[inline]
    pub(super) fn join(&mut self, place: Place) -> &mut Join {
        if place == Place::ROOT {
            &mut self.req.join
        } else {
            &mut self.frames[place.0 as usize].join
        }
    }

    #[inline]
    pub(super) fn frame(&mut self, place: Place) -> &mut Frame {
        &mut self.frames[place.0 as usize]
    }

    /// A new frame for `parent`'s join `join`.
    pub(super) fn spawn(&mut self, parent: Place, join: u32, body: Body) -> Place {
        let frame = Frame {
            cursor: match body {
                Body::Route(route) => Cursor::at(route),
                Body::Call(_) => Cursor::at(0),
            },
            call: match body {
                Body::Call(s) => s,
                Body::Route(_) => NONE,
            },
            parent,
            parent_join: join,
            join: Join::default(),
            cancelled: false,
            waiting: false,
            in_use: true,
            next_free: NONE,
            cookie: Cookie::default(),
        };
        self.live += 1;
        if self.free != NONE {
            let i = self.free;
            self.free = self.frames[i as usize].next_free;
            self.frames[i as usize] = frame;
            Place(i)
        } else {
            self.frames.push(frame);
            Place((self.frames.len() - 1) as u16)
        }
    }

    /// Returns frame `place` to the arena.
    pub(super) fn release(&mut self, place: Place) {
        let f = &mut self.frames[place.0 as usize];
        f.in_use = false;
        f.next_free = self.free;
        self.free = place.0;
        self.live -= 1;
    }

    /// A fresh join id.
    pub(super) fn next_join(&mut self) -> u32 {
        self.joins += 1;
        self.joins
    }
}

/// Where a route is run: the route and the step reached.
#[derive(Clone, Copy, Debug, Default)]
pub(super) struct Cursor {
    pub(super) route: RouteId,
    /// Index of the current step.
    pub(super) step: u16,
    /// Cart lines already visited by a per-line step.
    pub(super) line: u32,
}

impl Cursor {
    pub(super) fn at(route: RouteId) -> Self {
        Cursor {
            route,
            step: 0,
            line: 0,
        }
    }
}

/// The calls a composite step (parallel, fan-out, hedge, hold, group) is
/// waiting for.
#[derive(Clone, Copy, Debug, Default)]
pub(super) struct Join {
    /// This step instance's id (0: no composite step in progress).
    pub(super) id: u32,
    /// Calls started.
    pub(super) sent: u16,
    /// Calls still running.
    pub(super) running: u16,
    /// Calls that succeeded.
    pub(super) ok: u16,
    /// Calls that failed.
    pub(super) failed: u16,
    /// The error that fails the step: the first (wait all) or the last.
    pub(super) error: Option<ErrorKind>,
    /// A hold has its permit and runs its body.
    pub(super) holding: bool,
    /// A call site waits out a retry's backoff.
    pub(super) backoff: bool,
    /// A call site's current attempt is its breaker's probe.
    pub(super) probe: bool,
    /// A call site's previous backoff delay, ns (decorrelated jitter).
    pub(super) prev: u64,
}

/// What a frame runs.
#[derive(Clone, Copy, Debug)]
pub(super) enum Body {
    /// A route (a branch, a held body, a group).
    Route(RouteId),
    /// One call to this station (a fan-out call, a hedge copy).
    Call(u16),
}

/// A call in flight on behalf of a request.
#[derive(Clone, Copy, Debug)]
pub(super) struct Frame {
    pub(super) cursor: Cursor,
    /// The station of a single call (`NONE` for a route).
    pub(super) call: u16,
    /// The place whose composite step started it.
    pub(super) parent: Place,
    /// That step's join id: a parent that moved on has another.
    pub(super) parent_join: u32,
    /// This frame's own composite step, if one is in progress.
    pub(super) join: Join,
    /// Cancelled: finishes its current service and goes no further.
    pub(super) cancelled: bool,
    /// Waiting for a station's answer (queued or in service).
    pub(super) waiting: bool,
    pub(super) in_use: bool,
    next_free: u16,
    cookie: Cookie,
}

/// The request an agent is making: its operation and its place on the
/// operation's route.
#[derive(Clone, Copy, Debug)]
pub(super) struct Request {
    pub(super) action: Op,
    /// What the operation is about (its cache key).
    pub(super) subject: u32,
    /// When the operation started.
    pub(super) start: SimTime,
    /// Set when a station or a business step failed the request.
    pub(super) error: Option<ErrorKind>,
    /// The operation's cache lookup hit.
    pub(super) cached: bool,
    /// The customer ran out of patience: the request is over for them,
    /// whatever its calls still do.
    pub(super) abandoned: bool,
    /// The customer's patience timer for this request (0: none).
    pub(super) patience: u32,
    /// The request repeats the previous one after an error (a reload).
    pub(super) reload: bool,
    /// The request itself waits for a station's answer.
    pub(super) waiting: bool,
    /// Where the request is on its operation's route.
    pub(super) cursor: Cursor,
    /// The composite step the request is waiting for, if any.
    pub(super) join: Join,
}

impl Request {
    pub(super) fn new(action: Op, start: SimTime) -> Self {
        Request {
            action,
            subject: 0,
            start,
            error: None,
            cached: false,
            abandoned: false,
            patience: 0,
            reload: false,
            waiting: false,
            cursor: Cursor::at(action.0),
            join: Join::default(),
        }
    }
}
