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
//! so a fan-out of 100 does not allocate 100 times. The arena (with the
//! request's own join) is allocated the first time a slot needs it: most
//! agents never do, and a closed model keeps a million of them in flight,
//! so an agent stays small (a test pins its size).

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
/// Packed to 10 bytes: one lives in every agent.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[repr(C, packed(2))]
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
    /// Who it is, packed in 4 bytes ([`Agent::who`]).
    who: u32,
    /// The session's number in start order (an admin operation's, among
    /// the admins'): the access log's remote host.
    pub(super) serial: u64,
    pub(super) req: Request,
    /// The call arena, allocated when first needed and kept for the
    /// slot's next agents.
    calls: Option<Box<Calls>>,
    /// Head of the free list of `frames` (`NONE`: empty).
    pub(super) free: u16,
    /// Frames in use.
    pub(super) live: u16,
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

/// [`Who::Open`] packed; a closed-model user is its number.
const OPEN: u32 = u32::MAX;
/// [`Who::Admin`] packed.
const ADMIN: u32 = u32::MAX - 1;

/// `who` in 4 bytes. Closed-model users are numbered far below `ADMIN`
/// (validation allows 10⁸ users).
fn pack(who: Who) -> u32 {
    match who {
        Who::Open => OPEN,
        Who::Admin => ADMIN,
        Who::Closed(user) => {
            debug_assert!(user < ADMIN, "user {user} is past the packed range");
            user
        }
    }
}

/// An agent's call arena: its frames and the request's own join.
#[derive(Default)]
struct Calls {
    frames: Vec<Frame>,
    /// The last join id handed out (ids are never reused by an agent).
    joins: u32,
    /// The composite step the request is waiting for, if any.
    root_join: Join,
}

impl<S> Agent<S> {
    pub(super) fn new(rng: SimRng, session: S, who: Who, req: Request) -> Self {
        Agent {
            rng,
            session,
            who: pack(who),
            serial: 0,
            req,
            calls: None,
            free: NONE,
            live: 0,
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
        self.who = pack(who);
        self.req = req;
        if let Some(c) = self.calls.as_mut() {
            c.frames.clear();
            c.root_join = Join::default();
            c.joins = 0;
        }
        self.free = NONE;
        self.live = 0;
        self.timers = 0;
        self.ended = false;
        self.reloading = false;
        self.root_cookie = Cookie::default();
    }

    /// Two words from far apart in the slot, to load it ahead of use
    /// (the value means nothing).
    #[inline]
    pub fn touch(&self) -> u32 {
        self.who ^ self.req.start.as_nanos() as u32
    }

    /// Who the agent is.
    #[inline]
    pub fn who(&self) -> Who {
        match self.who {
            OPEN => Who::Open,
            ADMIN => Who::Admin,
            user => Who::Closed(user),
        }
    }

    /// The frames of the arena (none before it is first needed).
    #[inline]
    pub(super) fn frames(&self) -> &[Frame] {
        self.calls.as_deref().map_or(&[], |c| &c.frames)
    }

    /// The arena, allocated the first time it is needed.
    #[inline]
    fn calls(&mut self) -> &mut Calls {
        self.calls.get_or_insert_with(Box::default)
    }

    /// The request's own join id (0: none in progress).
    #[inline]
    fn root_join_id(&self) -> u32 {
        self.calls.as_ref().map_or(0, |c| c.root_join.id)
    }

    /// Forgets the request's own composite step (a new request, or an
    /// abandoned one whose calls become orphans).
    #[inline]
    pub(super) fn clear_root_join(&mut self) {
        if let Some(c) = self.calls.as_mut() {
            c.root_join = Join::default();
        }
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
            &mut self.calls().frames[place.0 as usize].cookie
        }
    }

    /// The queue token of `place`, 0 when it waits in no queue (or no
    /// longer exists: a queue entry may outlive its call, even its agent).
    #[inline]
    pub fn token(&self, place: Place) -> u64 {
        if place == Place::ROOT {
            self.root_cookie.token
        } else {
            self.frames()
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
            let Some(f) = self.frames().get(p.0 as usize) else {
                return true;
            };
            if !f.in_use || f.cancelled {
                return true;
            }
            let parent_join = if f.parent == Place::ROOT {
                self.root_join_id()
            } else {
                match self.frames().get(f.parent.0 as usize) {
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
            &mut self.calls().frames[place.0 as usize].cursor
        }
    }

    #[inline]
    pub(super) fn join(&mut self, place: Place) -> &mut Join {
        if place == Place::ROOT {
            &mut self.calls().root_join
        } else {
            &mut self.calls().frames[place.0 as usize].join
        }
    }

    #[inline]
    pub(super) fn frame(&mut self, place: Place) -> &mut Frame {
        &mut self.calls().frames[place.0 as usize]
    }

    /// Marks whether a place waits for a station.
    #[inline]
    pub(super) fn set_waiting(&mut self, place: Place, waiting: bool) {
        if place != Place::ROOT {
            self.frame(place).waiting = waiting;
        } else {
            self.req.waiting = waiting;
        }
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
        let free = self.free;
        let frames = &mut self.calls.get_or_insert_with(Box::default).frames;
        if free != NONE {
            self.free = frames[free as usize].next_free;
            frames[free as usize] = frame;
            Place(free)
        } else {
            frames.push(frame);
            Place((frames.len() - 1) as u16)
        }
    }

    /// Returns frame `place` to the arena.
    pub(super) fn release(&mut self, place: Place) {
        let next_free = self.free;
        let f = &mut self.calls().frames[place.0 as usize];
        f.in_use = false;
        f.next_free = next_free;
        self.free = place.0;
        self.live -= 1;
    }

    /// A fresh join id.
    pub(super) fn next_join(&mut self) -> u32 {
        let c = self.calls();
        c.joins += 1;
        c.joins
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
        }
    }
}
