//! The virtual clock: the model driven by a discrete-event loop.
//!
//! One thread, one event queue ordered by `(time, sequence)`: events due at
//! the same instant run in the order they were scheduled. Agents live in a
//! slab (`Vec` indexed by `u32`, slots reused). The [`Model`] decides what
//! every agent does; the engine only decides how it waits: at a station it
//! is served at once if a worker is free, else waits in FIFO order (or is
//! rejected when the queue is full, or gives up after the station's
//! timeout); a think time is an event in the queue. Each arrival stream of
//! the model schedules its next arrival when one fires.
//!
//! Arrivals stop at the scenario's duration; everything in flight then runs
//! to completion (the drain) and is counted. Statistics exclude requests
//! that started before the warmup ended.

mod stations;
#[cfg(test)]
mod tests;

use crate::backend::station::Station;
use crate::contract::ErrorKind;
use crate::contract::action::{Action, N_ACTIONS};
use crate::contract::business::Business;
use crate::kernel::dist::Sampler;
use crate::kernel::queue::EventQueue;
use crate::kernel::time::SimTime;
use crate::metrics::OpStats;
use crate::metrics::gauges::{Gauges, Levels};
use crate::metrics::result::RunResult;
use crate::metrics::series::Series;
use crate::model::arrivals::{Arrivals, closed_starts, fault_windows};
use crate::model::world::Measured;
use crate::model::{Agent, CatalogCache, Env, Flow, Model, Progress, Who};
use crate::scenario::Scenario;

/// Check the stop flag and report progress every this many events.
const PROGRESS_EVERY: u64 = 1 << 16;

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
    /// `agent` finished service at `station`.
    Done { agent: u32, station: u16 },
    /// `agent`, waiting at `station` with `token`, gives up.
    GiveUp {
        agent: u32,
        station: u16,
        token: u64,
    },
    /// Fault `index` opens (`start`) or closes.
    Fault { index: u16, start: bool },
    /// A report interval ends: sample the gauges.
    Tick,
}

/// An agent and, while it waits in a queue, the token of its entry.
struct Slot<S> {
    agent: Agent<S>,
    /// Token of the queue entry the agent waits in; 0 when not waiting.
    waiting: u64,
}

/// The engine's side of the model's [`Env`]: the time, the cache and the
/// recorders, borrowed from the engine for one call.
struct Here<'a> {
    now: SimTime,
    cache: &'a mut Option<CatalogCache>,
    ops: &'a mut [OpStats],
    series: &'a mut Series,
}

impl Env for Here<'_> {
    #[inline]
    fn now(&self) -> SimTime {
        self.now
    }

    #[inline]
    fn with_cache<R>(&mut self, f: impl FnOnce(Option<&mut CatalogCache>) -> R) -> R {
        f(self.cache.as_mut())
    }

    #[inline]
    fn record(&mut self, op: usize, latency_ns: u64, error: Option<ErrorKind>) {
        self.ops[op].record(latency_ns, error);
        self.series
            .record(self.now, op, latency_ns, error.is_some());
    }

    #[inline]
    fn cache_lookup(&mut self, hit: bool) {
        self.series.cache_lookup(self.now, hit);
    }
}

/// Borrows the engine's [`Here`] beside its model and slab.
macro_rules! here {
    ($e:expr) => {
        &mut Here {
            now: $e.now,
            cache: &mut $e.cache,
            ops: &mut $e.ops,
            series: &mut $e.series,
        }
    };
}
pub(crate) use here;

/// The virtual clock for one scenario and one business.
pub struct Engine<B: Business> {
    model: Model<B>,
    now: SimTime,
    queue: EventQueue<Event>,
    slots: Vec<Slot<B::Session>>,
    free: Vec<u32>,
    active: usize,
    stations: Vec<Station>,
    cache: Option<CatalogCache>,
    arrivals: Arrivals,
    next_token: u64,
    ops: Vec<OpStats>,
    series: Series,
    gauges: Gauges,
    events: u64,
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
                )
            })
            .collect();
        Engine {
            now: SimTime::ZERO,
            queue: EventQueue::new(),
            slots: Vec::new(),
            free: Vec::new(),
            active: 0,
            stations,
            cache: CatalogCache::new(sc),
            arrivals: Arrivals::new(sc),
            next_token: 1,
            ops: (0..N_ACTIONS).map(|_| OpStats::default()).collect(),
            series: Series::new(warmup, sc.report_interval),
            gauges: model.gauges(),
            events: 0,
            model,
        }
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
    /// stops the run early, keeping what was measured so far.
    pub fn run(&mut self, control: &mut dyn FnMut(&Progress) -> bool) -> RunResult {
        self.prime();
        let mut interrupted = false;
        while let Some((t, ev)) = self.queue.pop() {
            if matches!(ev, Event::Tick) && self.queue.is_empty() {
                // Only the clock was left: the run ended at the last event.
                break;
            }
            self.now = t;
            self.events += 1;
            match ev {
                Event::Arrival => self.on_arrival(),
                Event::AdminArrival { stream } => self.on_admin_arrival(stream as usize),
                Event::UserStart { user } => self.start_session(Who::Closed(user)),
                Event::Act { agent } => {
                    let now = self.now;
                    let a = &mut self.slots[agent as usize].agent;
                    let flow = self.model.begin(a, now, here!(self));
                    self.follow(agent, flow);
                }
                Event::Done { agent, station } => self.on_done(agent, station),
                Event::GiveUp {
                    agent,
                    station,
                    token,
                } => self.on_give_up(agent, station, token),
                Event::Fault { index, start } => self.on_fault(index as usize, start),
                Event::Tick => self.on_tick(),
            }
            if self.events.is_multiple_of(PROGRESS_EVERY) {
                let p = Progress {
                    now: self.now,
                    events: self.events,
                    active: self.active,
                };
                if !control(&p) {
                    interrupted = true;
                    break;
                }
            }
        }
        self.finish(interrupted)
    }

    fn prime(&mut self) {
        let now = self.now;
        if let Some(at) = self.arrivals.open.as_mut().and_then(|s| s.next(now)) {
            self.queue.schedule(at, Event::Arrival);
        }
        for (i, (_, s)) in self.arrivals.admin.iter_mut().enumerate() {
            if let Some(at) = s.next(now) {
                self.queue
                    .schedule(at, Event::AdminArrival { stream: i as u8 });
            }
        }
        let sc = self.model.scenario();
        for (user, at) in closed_starts(sc) {
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

    fn on_arrival(&mut self) {
        self.start_session(Who::Open);
        let now = self.now;
        if let Some(at) = self.arrivals.open.as_mut().and_then(|s| s.next(now)) {
            self.queue.schedule(at, Event::Arrival);
        }
    }

    fn on_admin_arrival(&mut self, i: usize) {
        let now = self.now;
        let (op, s) = &mut self.arrivals.admin[i];
        let op: Action = *op;
        if let Some(at) = s.next(now) {
            self.queue
                .schedule(at, Event::AdminArrival { stream: i as u8 });
        }
        let agent = self.model.admin(op, now);
        let id = self.alloc(agent);
        let a = &mut self.slots[id as usize].agent;
        let flow = self.model.begin(a, now, here!(self));
        self.follow(id, flow);
    }

    fn alloc(&mut self, agent: Agent<B::Session>) -> u32 {
        let slot = Slot { agent, waiting: 0 };
        self.active += 1;
        match self.free.pop() {
            Some(id) => {
                self.slots[id as usize] = slot;
                id
            }
            None => {
                self.slots.push(slot);
                (self.slots.len() - 1) as u32
            }
        }
    }

    fn start_session(&mut self, who: Who) {
        let now = self.now;
        let agent = self.model.session(who, now, here!(self));
        let id = self.alloc(agent);
        let a = &mut self.slots[id as usize].agent;
        let flow = self.model.first(a, now, here!(self));
        self.follow(id, flow);
    }

    /// Does what the model decided for agent `id`.
    #[inline]
    fn follow(&mut self, id: u32, flow: Flow) {
        match flow {
            Flow::Visit(s) => self.arrive(id, s),
            Flow::Think(d) => self.queue.schedule(self.now + d, Event::Act { agent: id }),
            Flow::End => self.release(id),
            Flow::Restart(user) => {
                self.release(id);
                self.queue.schedule(self.now, Event::UserStart { user });
            }
        }
    }

    fn release(&mut self, id: u32) {
        self.free.push(id);
        self.active -= 1;
    }

    /// The request of agent `id` fails with `kind`.
    fn fail(&mut self, id: u32, kind: ErrorKind) {
        let a = &mut self.slots[id as usize].agent;
        let flow = self.model.fail(a, kind, here!(self));
        self.follow(id, flow);
    }

    fn on_tick(&mut self) {
        self.sample_gauges();
        // Keep ticking while anything else is pending; the run ends when
        // only the clock would be left.
        if !self.queue.is_empty() {
            let next = self.now + self.model.scenario().report_interval;
            self.queue.schedule(next, Event::Tick);
        }
    }

    /// Closes the gauge interval ending now.
    fn sample_gauges(&mut self) {
        let (now, warmup) = (self.now, self.model.warmup());
        for st in &mut self.stations {
            st.integrate(now, warmup);
        }
        let stations = &self.stations;
        let levels = |i: usize| Levels {
            busy_area: stations[i].stats.busy_area,
            queue_area: stations[i].stats.queue_area,
            workers: stations[i].workers,
        };
        let errors = OpStats::errors_by_kind_of(&self.ops);
        self.model
            .sample_gauges(&mut self.gauges, now, &levels, errors);
    }

    fn finish(&mut self, interrupted: bool) -> RunResult {
        let end = self.now;
        if end > self.gauges.last() {
            self.sample_gauges();
        }
        let warmup = self.model.warmup();
        let mut left = 0;
        let mut stations = Vec::with_capacity(self.stations.len());
        for st in &mut self.stations {
            st.integrate(end, warmup);
            left += st.live as u64;
            stations.push(std::mem::take(&mut st.stats));
        }
        let interval = self.model.scenario().report_interval;
        let series = std::mem::replace(&mut self.series, Series::new(warmup, interval));
        let measured = Measured {
            ops: std::mem::take(&mut self.ops),
            stations,
            series: series.finish(end),
            gauges: std::mem::replace(&mut self.gauges, Gauges::new(warmup, Vec::new())),
            events: self.events,
            end,
            left_in_queues: left,
            interrupted,
        };
        self.model.result(measured, self.cache.as_ref())
    }
}
