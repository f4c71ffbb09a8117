//! The virtual clock: the model driven by a discrete-event loop.
//!
//! One thread, one event queue ordered by `(time, sequence)`: events due at
//! the same instant run in the order they were scheduled. Agents live in a
//! slab (`Vec` indexed by `u32`, slots reused, and each slot's call arena
//! with it). The [`Model`] decides what every agent does and says it as
//! [`Command`]s; the engine only decides how to wait: at a station a call
//! is served at once if a worker is free, else waits in the station's
//! queue, FIFO or LIFO (or is rejected when the queue is full, gives up
//! after the station's timeout, or is shed when a worker takes it after
//! `max_wait`); a service may fail at its end (`fail_rate`); a pool
//! grants a permit the same way and keeps it until it is given back; a
//! think time or a hedge's delay is an event in the queue.
//! Each arrival stream of the model schedules its next arrival when one
//! fires; a station's workers may follow a schedule or an autoscaler
//! (`capacity`).
//!
//! Arrivals stop at the scenario's duration; everything in flight then runs
//! to completion (the drain) and is counted. The run ends when the last
//! agent does (a timer left behind, such as a served request's give-up
//! time, does not keep it going). Statistics exclude requests that started
//! before the warmup ended.

mod capacity;
mod env;
mod guard;
mod stations;
#[cfg(test)]
mod tests;
mod ticks;

use std::sync::atomic::{AtomicBool, Ordering};

use crate::backend::station::Station;
use crate::contract::action::{Action, Op};
use crate::contract::business::Business;
use crate::kernel::dist::Sampler;
use crate::kernel::queue::EventQueue;
use crate::kernel::time::SimTime;
use crate::metrics::gauges::Gauges;
use crate::metrics::result::RunResult;
use crate::metrics::tap::Tap;
use crate::metrics::watch::{QueueWatch, WATCH_EVERY};
use crate::model::arrivals::{Arrivals, closed_starts, fault_windows};
use crate::model::capacity::Scaler;
use crate::model::{AccessLog, Agent, CatalogCache, Command, Model, Place, Progress, Who};
use crate::scenario::Scenario;
use crate::scenario::model::Load;
use crate::scenario::model::StationKind;
use env::{Here, here};
use stations::Took;

/// Check the stop flag and report progress every this many events.
const PROGRESS_EVERY: u64 = 1 << 16;

/// Agents in the slab from which the loop loads each slot's agents ahead
/// (2 MiB of slots, more than a core's cache keeps of them).
const TOUCH_FROM: usize = 1 << 14;

#[derive(Clone, Copy, Debug)]
enum Event {
    /// The next open-model session arrives.
    Arrival,
    /// The next admin operation of admin stream `stream` arrives.
    AdminArrival { stream: u8 },
    /// Closed-model user `user` starts a session.
    UserStart { user: u32 },
    /// The agent in slot `agent` takes its next action.
    Act { agent: u32 },
    /// The call at `place` of `agent` finished service at `station` (or a
    /// pool granted it a permit), `failed` or not; `took` is the service
    /// time of a measured call (0 otherwise), counted as wasted if its
    /// caller has gone.
    Done {
        agent: u32,
        place: Place,
        station: u16,
        failed: bool,
        took: Took,
    },
    /// The call at `place` of `agent` was shed: a worker reached it after
    /// its station's `max_wait`.
    Shed { agent: u32, place: Place },
    /// The call at `place` of `agent`, waiting with `token`, gives up.
    GiveUp {
        agent: u32,
        place: Place,
        token: u64,
    },
    /// A hedge's next copy is due at `place` of `agent` (join `token`).
    Timer {
        agent: u32,
        place: Place,
        token: u32,
    },
    /// Fault `index` opens (`start`) or closes.
    Fault { index: u16, start: bool },
    /// A report interval ends: sample the gauges.
    Tick,
    /// A station's workers change, or its autoscaler acts.
    Capacity(capacity::Due),
}

/// The virtual clock for one scenario and one business.
pub struct Engine<B: Business> {
    model: Model<B>,
    now: SimTime,
    queue: EventQueue<Event>,
    slots: Vec<Agent<B::Session>>,
    /// What the model asked for in its current call, done in order.
    commands: Vec<Command>,
    free: Vec<u32>,
    active: usize,
    stations: Vec<Station>,
    cache: Option<CatalogCache>,
    arrivals: Arrivals,
    next_token: u64,
    /// Each operation's statistics and the time series.
    tap: Tap,
    gauges: Gauges,
    events: u64,
    /// The memory guard: most sessions and admin operations in flight.
    max_in_flight: usize,
    /// Most events in a row at one instant before the run has diverged.
    max_at_one_instant: u64,
    /// Virtual time at the last progress check, and the events by then.
    checked: (SimTime, u64),
    /// Why the run diverged, once it has.
    diverged: Option<String>,
    watch: QueueWatch,
    /// Flagged stations the caller has been told of.
    alerted: usize,
    /// Arrivals are over and the last agent has ended.
    drained: bool,
    /// Arrival, admin arrival and user start events in the queue.
    arrivals_pending: u32,
    /// Where every request goes as a line, when asked for.
    access_log: Option<AccessLog>,
    /// The autoscalers, in station order (none for most scenarios).
    scalers: Vec<Scaler>,
    /// Read after every event: once set, the run stops ([`crate::kernel::stop`]).
    stop: &'static AtomicBool,
}

impl<B: Business> Engine<B> {
    /// An engine ready to run `sc` with `business`.
    pub fn new(sc: &Scenario, business: B) -> Self {
        let model = Model::new(sc, business);
        let warmup = model.warmup();
        let stations = sc
            .stations
            .iter()
            .map(|spec| {
                Station::new(
                    spec.workers,
                    spec.queue_limit.unwrap_or(u32::MAX),
                    spec.timeout,
                    // Validation compiled every distribution once already.
                    spec.service_time
                        .sampler()
                        .unwrap_or(Sampler::Constant(0.0)),
                    spec.kind == StationKind::Pool,
                    spec.policy,
                )
            })
            .collect();
        // A closed load's users are all in flight at once: their slots and
        // events are reserved up front, not grown by doubling (a million
        // users' slots are 128 MB, and each doubling leaves the old block
        // with the allocator for a while: 330 MiB peak instead of 200).
        let closed_users = match sc.load {
            Load::Closed { users, .. } => users as usize,
            Load::Open { .. } | Load::Replay { .. } => 0,
        };
        Engine {
            now: SimTime::ZERO,
            queue: EventQueue::with_capacity(closed_users + 1024),
            slots: Vec::with_capacity(closed_users),
            commands: Vec::new(),
            free: Vec::new(),
            active: 0,
            stations,
            cache: CatalogCache::new(sc),
            arrivals: Arrivals::new(sc),
            next_token: 1,
            tap: Tap::new(ticks::book(sc, warmup)),
            gauges: model.gauges(),
            events: 0,
            max_in_flight: crate::model::MAX_IN_FLIGHT,
            max_at_one_instant: crate::model::MAX_EVENTS_AT_ONE_INSTANT,
            checked: (SimTime::ZERO, 0),
            diverged: None,
            watch: model.queue_watch(),
            alerted: 0,
            drained: false,
            arrivals_pending: 0,
            access_log: None,
            scalers: Scaler::all(sc),
            stop: crate::kernel::stop::flag(),
            model,
        }
    }

    /// Stops when `flag` is set rather than on the process's stop request.
    pub fn stop_flag(mut self, flag: &'static AtomicBool) -> Self {
        self.stop = flag;
        self
    }

    /// The business layer (to read its state after a run).
    pub fn business(&self) -> &B {
        self.model.business()
    }

    /// The business layer, taking the engine apart.
    pub fn into_business(self) -> B {
        self.model.into_business()
    }

    /// Runs to completion (arrivals until the duration, then the drain).
    /// `control` is called every few thousand events; returning `false`
    /// stops the run early, keeping what was measured so far. The stop flag
    /// ([`Engine::stop_flag`]) does the same, read after every event.
    pub fn run(&mut self, control: &mut dyn FnMut(&Progress) -> bool) -> RunResult {
        self.prime();
        let start = Progress {
            now: self.now,
            events: 0,
            active: 0,
            alert: None,
        };
        // Asked once before the first event: a stop requested during setup
        // stops the run before it begins.
        let mut interrupted = !control(&start);
        while !interrupted && let Some((t, ev)) = self.queue.pop() {
            if matches!(ev, Event::Tick) && self.queue.is_empty() {
                // Only the clock was left: the run ended at the last event.
                break;
            }
            self.now = t;
            self.events += 1;
            self.touch_upcoming();
            match ev {
                Event::Arrival => self.on_arrival(),
                Event::AdminArrival { stream } => self.on_admin_arrival(stream as usize),
                Event::UserStart { user } => {
                    self.arrivals_pending -= 1;
                    self.start_session(Who::Closed(user), None);
                }
                Event::Act { agent } => {
                    let now = self.now;
                    let a = &mut self.slots[agent as usize];
                    self.model.begin(a, now, here!(self));
                    self.run_commands(agent);
                }
                Event::Done {
                    agent,
                    place,
                    station,
                    failed,
                    took,
                } => self.on_done(agent, place, station, failed, took),
                Event::Shed { agent, place } => self.on_shed(agent, place),
                Event::GiveUp {
                    agent,
                    place,
                    token,
                } => self.on_give_up(agent, place, token),
                Event::Timer {
                    agent,
                    place,
                    token,
                } => {
                    let a = &mut self.slots[agent as usize];
                    self.model.timer(a, place, token, here!(self));
                    self.run_commands(agent);
                }
                Event::Fault { index, start } => self.on_fault(index as usize, start),
                Event::Tick => self.on_tick(),
                Event::Capacity(due) => self.on_capacity(due),
            }
            if self.stop.load(Ordering::Relaxed) {
                interrupted = true;
                break;
            }
            if self.events.is_multiple_of(WATCH_EVERY) {
                self.observe_queues();
            }
            if self.drained {
                break;
            }
            if self.watch.unstable.len() > self.alerted {
                // Tell the caller at once about a station just flagged.
                let p = Progress {
                    now: self.now,
                    events: self.events,
                    active: self.active,
                    alert: self.watch.unstable.last(),
                };
                self.alerted = self.watch.unstable.len();
                if !control(&p) {
                    interrupted = true;
                    break;
                }
            }
            if self.events.is_multiple_of(PROGRESS_EVERY) {
                if self.check_divergence() {
                    break;
                }
                let p = Progress {
                    now: self.now,
                    events: self.events,
                    active: self.active,
                    alert: None,
                };
                if !control(&p) {
                    interrupted = true;
                    break;
                }
            }
        }
        self.finish(interrupted)
    }

    /// When the wheel has just moved a slot's events into the heap, loads
    /// (and discards) the slots of their agents, all at once: on a slab
    /// larger than the cache (a million users in flight: 128 MiB) their
    /// misses then overlap one another instead of stalling one event
    /// each. A small slab stays cached: nothing to do.
    #[inline]
    fn touch_upcoming(&mut self) {
        if self.slots.len() < TOUCH_FROM || !self.queue.refilled() {
            return;
        }
        let mut seen = 0u32;
        for ev in self.queue.upcoming() {
            if let Event::Act { agent }
            | Event::Done { agent, .. }
            | Event::GiveUp { agent, .. }
            | Event::Timer { agent, .. } = *ev
                && let Some(a) = self.slots.get(agent as usize)
            {
                seen ^= a.touch();
            }
        }
        std::hint::black_box(seen);
    }

    fn prime(&mut self) {
        self.prime_capacity();
        let now = self.now;
        if let Some(at) = self.arrivals.open.as_mut().and_then(|s| s.next(now)) {
            self.schedule_arrival(at, Event::Arrival);
        }
        for (i, (_, s)) in self.arrivals.admin.iter_mut().enumerate() {
            if let Some(at) = s.next(now) {
                self.arrivals_pending += 1;
                self.queue
                    .schedule(at, Event::AdminArrival { stream: i as u8 });
            }
        }
        let sc = self.model.scenario();
        for (user, at) in closed_starts(sc) {
            self.arrivals_pending += 1;
            self.queue.schedule(at, Event::UserStart { user });
        }
        self.queue
            .schedule(self.model.warmup() + sc.report_interval, Event::Tick);
        for w in fault_windows(sc) {
            let index = w.index;
            self.queue
                .schedule(w.at, Event::Fault { index, start: true });
            if let Some(until) = w.until {
                self.queue.schedule(
                    until,
                    Event::Fault {
                        index,
                        start: false,
                    },
                );
            }
        }
    }

    /// Schedules an event that starts an agent, counting it. The open
    /// model's next arrival, always one pending, goes in the queue's lane.
    fn schedule_arrival(&mut self, at: SimTime, ev: Event) {
        self.arrivals_pending += 1;
        match ev {
            Event::Arrival => self.queue.schedule_lane(at, ev),
            _ => self.queue.schedule(at, ev),
        }
    }

    fn on_arrival(&mut self) {
        // The arrival stays counted while its session starts: a session
        // that ends at once (a step failing fast) must not end the run
        // before the next arrival is scheduled.
        let first = self.arrivals.open.as_ref().and_then(|s| s.first());
        self.start_session(Who::Open, first);
        let now = self.now;
        if let Some(at) = self.arrivals.open.as_mut().and_then(|s| s.next(now)) {
            self.schedule_arrival(at, Event::Arrival);
        }
        self.arrivals_pending -= 1;
        self.drained = self.active == 0 && self.arrivals_pending == 0;
    }

    fn on_admin_arrival(&mut self, i: usize) {
        self.arrivals_pending -= 1;
        let now = self.now;
        let (op, s) = &mut self.arrivals.admin[i];
        let op: Action = *op;
        if let Some(at) = s.next(now) {
            self.schedule_arrival(at, Event::AdminArrival { stream: i as u8 });
        }
        let id = match self.free.pop() {
            Some(id) => {
                self.model.admin_in(&mut self.slots[id as usize], op, now);
                id
            }
            None => self.push(self.model.admin(op, now)),
        };
        self.active += 1;
        let a = &mut self.slots[id as usize];
        self.model.begin(a, now, here!(self));
        self.run_commands(id);
    }

    /// A new slot holding `agent`.
    fn push(&mut self, agent: Agent<B::Session>) -> u32 {
        self.slots.push(agent);
        (self.slots.len() - 1) as u32
    }

    fn start_session(&mut self, who: Who, first: Option<Op>) {
        let now = self.now;
        let id = match self.free.pop() {
            Some(id) => {
                let a = &mut self.slots[id as usize];
                self.model.session_in_owned(a, who, now, here!(self));
                id
            }
            None => {
                let agent = self.model.session_owned(who, now, here!(self));
                self.push(agent)
            }
        };
        self.active += 1;
        let a = &mut self.slots[id as usize];
        self.model.first(a, now, first, here!(self));
        self.run_commands(id);
    }

    /// Does, in order, what the model asked for agent `id` (and whatever
    /// doing it makes the model ask for next).
    #[inline]
    fn run_commands(&mut self, id: u32) {
        let mut i = 0;
        while let Some(&c) = self.commands.get(i) {
            i += 1;
            match c {
                Command::Visit { place, station } => self.arrive(id, place, station),
                Command::Cancel { place } => self.cancel(id, place),
                Command::Release { pool, .. } => self.release_permit(pool),
                Command::Timer {
                    place,
                    after,
                    token,
                } => self.queue.schedule(
                    self.now + after,
                    Event::Timer {
                        agent: id,
                        place,
                        token,
                    },
                ),
                Command::Think(d) => self.queue.schedule(self.now + d, Event::Act { agent: id }),
                Command::Restart(user) => {
                    self.schedule_arrival(self.now, Event::UserStart { user })
                }
                Command::End => {
                    self.free.push(id);
                    self.active -= 1;
                    // The last agent ended and no arrival is due: nothing
                    // left can be measured (what remains in the queue is a
                    // served request's give-up timer, a fault's end), so
                    // the run ends now, not at the latest stale event.
                    self.drained = self.active == 0 && self.arrivals_pending == 0;
                }
            }
        }
        self.commands.clear();
    }
}
