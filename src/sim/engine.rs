//! The virtual-clock engine: sessions, stations and the event loop.
//!
//! One thread, one event queue ordered by `(time, sequence)`. Sessions live
//! in a slab (`Vec` indexed by `u32`, slots reused) and each owns its random
//! stream, so what a session draws does not depend on what others do. A
//! request walks its operation's route: at each station it is served at
//! once if a worker is free, else waits in FIFO order (or is rejected when
//! the queue is full, or gives up after the station's timeout). Business
//! steps ([`Step::Effect`]) and the end of the route call the [`Business`],
//! which applies the operation's effect; the latency (from the operation's
//! start) is recorded, and the session thinks, then takes its next action
//! or leaves. Admin operations arrive as their own Poisson streams, each a
//! one-operation agent.
//!
//! Faults open and close at fixed instants: a slow station multiplies the
//! service times it samples, an outage fails requests at once or stops
//! serving (requests queue and time out), a cache flush empties the cache,
//! and payment-decline windows are passed to the business.
//!
//! Arrivals stop at the scenario's duration; everything in flight then runs
//! to completion (the drain) and is counted. Statistics exclude requests
//! that started before the warmup ended.

use super::dist::Sampler;
use super::load::RateProfile;
use super::popularity::CatalogPicker;
use super::queue::EventQueue;
use super::result::{RunResult, StationResult};
use super::rng::{SimRng, StreamKind, stream};
use super::station::{Queued, Station};
use super::time::{SimDuration, SimTime};
use crate::agent::action::{Action, N_ACTIONS};
use crate::agent::business::{Business, Cx, key_space};
use crate::agent::route::{EffectOutcome, Step};
use crate::metrics::gauges::Gauges;
use crate::metrics::series::Series;
use crate::metrics::{ErrorKind, OpStats};
use crate::scenario::model::{Choice, FaultKind, Load, Next, Scenario};
use crate::shop::cache::{Cache, CacheStats};

/// Check the stop flag and report progress every this many events.
const PROGRESS_EVERY: u64 = 1 << 16;
/// The `user` of an open-model session.
const OPEN_USER: u32 = u32::MAX;
/// The `user` of an admin operation.
const ADMIN_USER: u32 = u32::MAX - 1;

#[derive(Clone, Copy, Debug)]
enum Event {
    /// The next open-model session arrives.
    Arrival,
    /// The next admin operation `op` (an action index) arrives.
    AdminArrival { op: u8 },
    /// Closed-model user `user` starts a session.
    UserStart { user: u32 },
    /// The session in slot `agent` takes its next action.
    Act { agent: u32 },
    /// `agent` finished service at `station`.
    Done { agent: u32, station: u16 },
    /// `agent`, waiting at `station` with `token`, gives up.
    GiveUp {
        agent: u32,
        station: u16,
        token: u64,
    },
    /// Fault `index` starts (`start`) or ends.
    Fault { index: u16, start: bool },
    /// A report interval ends: sample the gauges.
    Tick,
}

struct Agent<S> {
    rng: SimRng,
    session: S,
    /// Closed model: the user; else [`OPEN_USER`] or [`ADMIN_USER`].
    user: u32,
    action: Action,
    step: u8,
    line: u32,
    subject: u32,
    start: SimTime,
    /// Token of the queue entry the agent waits in; 0 when not waiting.
    waiting: u64,
    error: Option<ErrorKind>,
    /// The current operation's cache lookup hit.
    cached: bool,
}

/// Progress, as reported to the caller's control callback.
#[derive(Clone, Copy, Debug)]
pub struct Progress {
    /// Virtual time reached.
    pub now: SimTime,
    /// Events processed.
    pub events: u64,
    /// Sessions in flight.
    pub active: usize,
}

/// A Poisson stream of arrivals: its rate profile, random stream and the
/// exact (unrounded) time of its last arrival.
struct Arrivals {
    profile: RateProfile,
    rng: SimRng,
    last: f64,
}

impl Arrivals {
    fn next(&mut self, end: SimTime, now: SimTime) -> Option<SimTime> {
        let t = self
            .profile
            .next_after(self.last, end.as_nanos() as f64, &mut self.rng)?;
        self.last = t;
        // Arrival instants are exact reals; rounding to the ns can only tie
        // with, never precede, the current time.
        Some(SimTime((t.round() as u64).max(now.as_nanos())))
    }
}

/// The engine for one scenario and one business.
pub struct Engine<'s, B: Business> {
    sc: &'s Scenario,
    now: SimTime,
    end_arrivals: SimTime,
    warmup: SimTime,
    queue: EventQueue<Event>,
    agents: Vec<Agent<B::Session>>,
    free: Vec<u32>,
    active: usize,
    stations: Vec<Station>,
    station_used: Vec<bool>,
    think: Sampler,
    cache: Option<Cache>,
    cache_at_warmup: Option<CacheStats>,
    picker: CatalogPicker,
    arrivals: Option<Arrivals>,
    admin: Vec<(Action, Arrivals)>,
    sessions_started: u64,
    admin_started: u64,
    sessions_measured: u64,
    next_token: u64,
    ops: Vec<OpStats>,
    series: Series,
    gauges: Gauges,
    business: B,
    events: u64,
}

impl<'s, B: Business> Engine<'s, B> {
    /// An engine ready to run `sc` with `business`.
    pub fn new(sc: &'s Scenario, business: B) -> Self {
        let cache = sc.cache.enabled.then(|| {
            Cache::new(
                sc.cache.policy,
                sc.cache.capacity,
                sc.cache.ttl.map(|t| t.as_nanos()),
                key_space(sc.catalog.products, sc.catalog.categories),
            )
        });
        let arrivals = match &sc.load {
            Load::Open { stages, .. } => Some(Arrivals {
                profile: RateProfile::new(
                    stages.iter().map(|(at, r)| (at.as_nanos(), *r)).collect(),
                ),
                rng: stream(sc.seed, StreamKind::Arrivals, 0),
                last: 0.0,
            }),
            Load::Closed { .. } => None,
        };
        let admin = Action::ADMIN
            .iter()
            .copied()
            .filter(|op| sc.admin.rate(*op) > 0.0)
            .map(|op| {
                let arr = Arrivals {
                    profile: RateProfile::constant(sc.admin.rate(op)),
                    rng: stream(sc.seed, StreamKind::Background, op.index() as u64),
                    last: 0.0,
                };
                (op, arr)
            })
            .collect();
        let warmup = SimTime::ZERO + sc.warmup;
        Engine {
            sc,
            now: SimTime::ZERO,
            end_arrivals: SimTime::ZERO + sc.duration,
            warmup,
            queue: EventQueue::new(),
            agents: Vec::new(),
            free: Vec::new(),
            active: 0,
            stations: sc.stations.iter().map(Station::new).collect(),
            station_used: sc.used_stations(),
            think: sc.think_time.sampler().unwrap_or(Sampler::Constant(0.0)),
            cache,
            cache_at_warmup: None,
            picker: CatalogPicker::new(&sc.catalog),
            arrivals,
            admin,
            sessions_started: 0,
            admin_started: 0,
            sessions_measured: 0,
            next_token: 1,
            ops: (0..N_ACTIONS).map(|_| OpStats::default()).collect(),
            series: Series::new(warmup, sc.report_interval),
            gauges: Gauges::new(sc, warmup),
            business,
            events: 0,
        }
    }

    /// The business layer (to read its state after a run).
    pub fn business(&self) -> &B {
        &self.business
    }

    /// The business layer, taking the engine apart.
    pub fn into_business(self) -> B {
        self.business
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
            if self.cache_at_warmup.is_none() && t >= self.warmup {
                self.cache_at_warmup =
                    Some(self.cache.as_ref().map(|c| c.stats()).unwrap_or_default());
            }
            match ev {
                Event::Arrival => self.on_arrival(),
                Event::AdminArrival { op } => self.on_admin_arrival(op as usize),
                Event::UserStart { user } => self.start_session(user),
                Event::Act { agent } => self.begin_action(agent),
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
        let (end, now) = (self.end_arrivals, self.now);
        if let Some(at) = self.arrivals.as_mut().and_then(|a| a.next(end, now)) {
            self.queue.schedule(at, Event::Arrival);
        }
        for (i, (_, arr)) in self.admin.iter_mut().enumerate() {
            if let Some(at) = arr.next(end, now) {
                self.queue.schedule(at, Event::AdminArrival { op: i as u8 });
            }
        }
        if let Load::Closed { users, ramp_up } = self.sc.load {
            for u in 0..users {
                let offset = (ramp_up.as_nanos() as u128 * u as u128 / users as u128) as u64;
                let at = SimTime::ZERO + SimDuration::from_nanos(offset);
                if at < self.end_arrivals {
                    self.queue.schedule(at, Event::UserStart { user: u });
                }
            }
        }
        self.queue
            .schedule(self.warmup + self.sc.report_interval, Event::Tick);
        for (i, f) in self.sc.faults.iter().enumerate() {
            let index = i as u16;
            self.queue
                .schedule(SimTime::ZERO + f.at, Event::Fault { index, start: true });
            if let Some(d) = f.lasts {
                self.queue.schedule(
                    SimTime::ZERO + f.at + d,
                    Event::Fault {
                        index,
                        start: false,
                    },
                );
            }
        }
    }

    fn on_arrival(&mut self) {
        self.start_session(OPEN_USER);
        let (end, now) = (self.end_arrivals, self.now);
        if let Some(at) = self.arrivals.as_mut().and_then(|a| a.next(end, now)) {
            self.queue.schedule(at, Event::Arrival);
        }
    }

    fn on_admin_arrival(&mut self, i: usize) {
        let (end, now) = (self.end_arrivals, self.now);
        let op = self.admin[i].0;
        if let Some(at) = self.admin[i].1.next(end, now) {
            self.queue.schedule(at, Event::AdminArrival { op: i as u8 });
        }
        // Admin operations draw from their own streams, apart from the
        // customers', so adding admins does not reshuffle the customers.
        let n = self.admin_started;
        self.admin_started += 1;
        let id = self.alloc(
            stream(self.sc.seed, StreamKind::Background, 1 << 32 | n),
            ADMIN_USER,
        );
        self.agents[id as usize].action = op;
        self.begin_action(id);
    }

    fn alloc(&mut self, rng: SimRng, user: u32) -> u32 {
        let agent = Agent {
            rng,
            session: B::Session::default(),
            user,
            action: Action::Home,
            step: 0,
            line: 0,
            subject: 0,
            start: self.now,
            waiting: 0,
            error: None,
            cached: false,
        };
        self.active += 1;
        match self.free.pop() {
            Some(id) => {
                self.agents[id as usize] = agent;
                id
            }
            None => {
                self.agents.push(agent);
                (self.agents.len() - 1) as u32
            }
        }
    }

    fn start_session(&mut self, user: u32) {
        let n = self.sessions_started;
        self.sessions_started += 1;
        if self.now >= self.warmup {
            self.sessions_measured += 1;
        }
        let id = self.alloc(stream(self.sc.seed, StreamKind::Session, n), user);
        let a = &mut self.agents[id as usize];
        let mut cx = Cx {
            now: self.now,
            rng: &mut a.rng,
            picker: &self.picker,
            cache: self.cache.as_mut(),
            cached: false,
        };
        self.business.start_session(&mut a.session, &mut cx);
        match choose(&self.sc.behavior.start, &mut a.rng) {
            Next::Act(action) => {
                a.action = action;
                self.begin_action(id);
            }
            // Validation forbids starting by leaving.
            Next::Leave => self.end_session(id),
        }
    }

    /// Starts the agent's current action now.
    fn begin_action(&mut self, id: u32) {
        let a = &mut self.agents[id as usize];
        a.start = self.now;
        a.step = 0;
        a.line = 0;
        a.error = None;
        a.cached = false;
        let mut cx = Cx {
            now: self.now,
            rng: &mut a.rng,
            picker: &self.picker,
            cache: self.cache.as_mut(),
            cached: false,
        };
        a.subject = self.business.subject(a.action, &mut a.session, &mut cx);
        self.advance(id);
    }

    /// Walks the route from the agent's current step until it must wait
    /// at a station or the route ends.
    fn advance(&mut self, id: u32) {
        let sc = self.sc;
        loop {
            let a = &mut self.agents[id as usize];
            let Some(&step) = sc.routes[a.action.index()].get(a.step as usize) else {
                self.finish_action(id);
                return;
            };
            match step {
                Step::Visit(s) | Step::CacheLookup { station: s, .. } => {
                    self.arrive(id, s);
                    return;
                }
                Step::VisitIf(cond, s) => {
                    if self.business.condition(cond, &a.session) {
                        self.arrive(id, s);
                        return;
                    }
                    a.step += 1;
                }
                Step::Payment(default) => {
                    let s = self.business.payment_station(&a.session).unwrap_or(default);
                    self.arrive(id, s);
                    return;
                }
                Step::CacheFill => {
                    if let Some(c) = &mut self.cache {
                        c.put(a.subject, self.now.as_nanos());
                    }
                    a.step += 1;
                }
                Step::PerLine { first, shards } => {
                    if a.line < self.business.lines(&a.session) {
                        let shard = self.business.line_shard(&a.session, a.line, shards);
                        a.line += 1;
                        self.arrive(id, first + shard);
                        return;
                    }
                    a.line = 0;
                    a.step += 1;
                }
                Step::SubjectShard { first, shards } => {
                    let shard = self.business.sku_shard(a.subject, shards);
                    self.arrive(id, first + shard);
                    return;
                }
                Step::Effect(effect) => {
                    let mut cx = Cx {
                        now: self.now,
                        rng: &mut a.rng,
                        picker: &self.picker,
                        cache: self.cache.as_mut(),
                        cached: false,
                    };
                    match self.business.effect(effect, &mut a.session, &mut cx) {
                        EffectOutcome::Continue => a.step += 1,
                        EffectOutcome::Repeat(back) => a.step = a.step.saturating_sub(back),
                        EffectOutcome::Fail(kind) => {
                            self.fail(id, kind);
                            return;
                        }
                    }
                }
            }
        }
    }

    /// The agent arrives at station `s`.
    #[inline]
    fn arrive(&mut self, id: u32, s: u16) {
        let now = self.now;
        let measured = now >= self.warmup;
        let st = &mut self.stations[s as usize];
        st.integrate(now, self.warmup);
        if st.down_fail_fast > 0 {
            self.fail(id, ErrorKind::Unavailable);
        } else if st.can_serve() {
            st.busy += 1;
            self.start_service(id, s, now);
        } else if st.live >= st.queue_limit {
            if measured {
                st.stats.rejected += 1;
            }
            self.fail(id, ErrorKind::Rejected);
        } else {
            let token = self.next_token;
            self.next_token += 1;
            st.queue.push_back(Queued {
                agent: id,
                token,
                since: now,
            });
            st.live += 1;
            if measured {
                st.stats.max_queue = st.stats.max_queue.max(st.live);
            }
            self.agents[id as usize].waiting = token;
            if let Some(t) = st.timeout {
                self.queue.schedule(
                    now + t,
                    Event::GiveUp {
                        agent: id,
                        station: s,
                        token,
                    },
                );
            }
        }
    }

    /// A worker of `s` (already counted busy) starts serving `id`, which
    /// arrived at `since`.
    #[inline]
    fn start_service(&mut self, id: u32, s: u16, since: SimTime) {
        let st = &mut self.stations[s as usize];
        if since >= self.warmup {
            st.stats.served += 1;
        }
        st.record_wait(since, self.now, self.warmup);
        let a = &mut self.agents[id as usize];
        let mut service = st.service.sample_nanos(&mut a.rng);
        if st.slowdown != 1.0 {
            service = (service as f64 * st.slowdown) as u64;
        }
        self.queue.schedule(
            self.now + SimDuration::from_nanos(service),
            Event::Done {
                agent: id,
                station: s,
            },
        );
    }

    /// Hands free workers of `s` to waiting requests, skipping abandoned
    /// entries. `busy` counts the worker(s) being handed over.
    fn serve_waiting(&mut self, s: u16) {
        loop {
            let st = &mut self.stations[s as usize];
            if !st.can_serve() {
                return;
            }
            let next = loop {
                match st.queue.pop_front() {
                    Some(q) if self.agents[q.agent as usize].waiting == q.token => break Some(q),
                    Some(_) => continue,
                    None => break None,
                }
            };
            let Some(q) = next else { return };
            st.live -= 1;
            st.busy += 1;
            self.agents[q.agent as usize].waiting = 0;
            self.start_service(q.agent, s, q.since);
        }
    }

    fn on_done(&mut self, id: u32, s: u16) {
        let now = self.now;
        let st = &mut self.stations[s as usize];
        st.integrate(now, self.warmup);
        st.busy -= 1;
        self.serve_waiting(s);
        // The finished agent moves on along its route.
        let a = &mut self.agents[id as usize];
        let step = self.sc.routes[a.action.index()][a.step as usize];
        match step {
            Step::CacheLookup { skip, .. } => {
                let hit = match &mut self.cache {
                    Some(c) => c.get(a.subject, now.as_nanos()),
                    None => false,
                };
                if a.start >= self.warmup {
                    self.series.cache_lookup(now, hit);
                }
                a.cached = hit;
                a.step += 1 + if hit { skip } else { 0 };
            }
            // Stay on the step: the next line's shard comes next.
            Step::PerLine { .. } => {}
            _ => a.step += 1,
        }
        self.advance(id);
    }

    fn on_give_up(&mut self, id: u32, s: u16, token: u64) {
        if self.agents[id as usize].waiting != token {
            return; // already served
        }
        let now = self.now;
        let warmup = self.warmup;
        let st = &mut self.stations[s as usize];
        st.integrate(now, warmup);
        st.live -= 1;
        let since = SimTime(now.as_nanos() - st.timeout.unwrap_or_default().as_nanos());
        if since >= warmup {
            st.stats.timed_out += 1;
        }
        st.record_wait(since, now, warmup);
        self.agents[id as usize].waiting = 0;
        self.fail(id, ErrorKind::Timeout);
    }

    fn on_fault(&mut self, index: usize, start: bool) {
        let sc = self.sc;
        let fault = &sc.faults[index];
        let (now, warmup) = (self.now, self.warmup);
        let group = |g: u16| {
            let gr = &sc.groups[g as usize];
            gr.first as usize..(gr.first + gr.shards) as usize
        };
        match fault.kind {
            FaultKind::Slow { group: g, factor } => {
                for st in &mut self.stations[group(g)] {
                    st.slowdown = if start {
                        st.slowdown * factor
                    } else {
                        st.slowdown / factor
                    };
                }
            }
            FaultKind::Outage { group: g, hang } => {
                for i in group(g) {
                    let st = &mut self.stations[i];
                    st.integrate(now, warmup);
                    let counter = if hang {
                        &mut st.down_hang
                    } else {
                        &mut st.down_fail_fast
                    };
                    *counter = if start {
                        *counter + 1
                    } else {
                        counter.saturating_sub(1)
                    };
                    if !start {
                        self.serve_waiting(i as u16);
                    }
                }
            }
            FaultKind::CacheFlush => {
                if let Some(c) = &mut self.cache {
                    c.flush();
                }
            }
            FaultKind::PaymentDeclines { .. } => {}
        }
        self.business.fault(&fault.kind, start);
    }

    fn on_tick(&mut self) {
        self.sample_gauges();
        // Keep ticking while anything else is pending; the run ends when
        // only the clock would be left.
        if !self.queue.is_empty() {
            self.queue
                .schedule(self.now + self.sc.report_interval, Event::Tick);
        }
    }

    /// Closes the gauge interval ending now.
    fn sample_gauges(&mut self) {
        let (now, warmup) = (self.now, self.warmup);
        for st in &mut self.stations {
            st.integrate(now, warmup);
        }
        let mut business = Vec::new();
        self.business.gauges(&mut business);
        self.gauges.sample(
            now,
            self.sc,
            &self.stations,
            &self.ops,
            self.sessions_measured,
            business,
        );
    }

    fn fail(&mut self, id: u32, kind: ErrorKind) {
        self.agents[id as usize].error = Some(kind);
        self.finish_action(id);
    }

    /// The route ended (or failed): apply the effect, record, move on.
    fn finish_action(&mut self, id: u32) {
        let now = self.now;
        let a = &mut self.agents[id as usize];
        let mut cx = Cx {
            now,
            rng: &mut a.rng,
            picker: &self.picker,
            cache: self.cache.as_mut(),
            cached: a.cached,
        };
        let error = match a.error {
            Some(e) => Some(e),
            None => self
                .business
                .complete(a.action, a.subject, &mut a.session, &mut cx)
                .err(),
        };
        if a.start >= self.warmup {
            let latency = (now - a.start).as_nanos();
            let op = a.action.index();
            self.ops[op].record(latency, error);
            self.series.record(now, op, latency, error.is_some());
        }
        if a.user == ADMIN_USER {
            self.free.push(id);
            self.active -= 1;
            return;
        }
        let next = match &self.sc.behavior.transitions[a.action.index()] {
            Some(ch) => choose(ch, &mut a.rng),
            None => Next::Leave,
        };
        match next {
            Next::Act(action) => {
                a.action = action;
                let think = if self.think.is_zero() {
                    0
                } else {
                    self.think.sample_nanos(&mut a.rng)
                };
                self.queue.schedule(
                    now + SimDuration::from_nanos(think),
                    Event::Act { agent: id },
                );
            }
            Next::Leave => self.end_session(id),
        }
    }

    fn end_session(&mut self, id: u32) {
        let a = &mut self.agents[id as usize];
        let mut cx = Cx {
            now: self.now,
            rng: &mut a.rng,
            picker: &self.picker,
            cache: self.cache.as_mut(),
            cached: false,
        };
        self.business.end_session(&mut a.session, &mut cx);
        let user = a.user;
        self.free.push(id);
        self.active -= 1;
        if user != OPEN_USER && self.now < self.end_arrivals {
            self.queue.schedule(self.now, Event::UserStart { user });
        }
    }

    fn finish(&mut self, interrupted: bool) -> RunResult {
        let end = self.now;
        if end > self.gauges.last() {
            self.sample_gauges();
        }
        let mut left = 0;
        let mut stations = Vec::new();
        for (i, st) in self.stations.iter_mut().enumerate() {
            st.integrate(end, self.warmup);
            left += st.live as u64;
            if self.station_used[i] {
                stations.push(StationResult {
                    name: self.sc.stations[i].name.clone(),
                    workers: st.workers,
                    stats: st.stats.clone(),
                });
            }
        }
        let base = self.cache_at_warmup.unwrap_or_default();
        let cache = self.cache.as_ref().map(|c| c.stats().since(&base));
        let series = std::mem::replace(
            &mut self.series,
            Series::new(self.warmup, self.sc.report_interval),
        );
        RunResult {
            ops: std::mem::take(&mut self.ops),
            stations,
            cache,
            cache_problems: self.cache.as_ref().map(|c| c.check()).unwrap_or_default(),
            series: series.finish(end),
            gauges: std::mem::take(&mut self.gauges.rows),
            business: self.business.finish(end),
            sessions: self.sessions_measured,
            events: self.events,
            end,
            window_ns: end.since(self.warmup).as_nanos(),
            runs: 1,
            left_in_queues: left,
            interrupted,
        }
    }
}

/// Draws from a discrete choice; a single certain option draws nothing.
#[inline]
pub fn choose(ch: &Choice, rng: &mut SimRng) -> Next {
    use rand::RngExt;
    if let [(only, _)] = ch.options.as_slice() {
        return *only;
    }
    let u: f64 = rng.random();
    let mut acc = 0.0;
    for &(next, p) in &ch.options {
        acc += p;
        if u < acc {
            return next;
        }
    }
    // Rounding left `u` above the sum: take the last option with weight.
    ch.options
        .iter()
        .rev()
        .find(|o| o.1 > 0.0)
        .map_or(Next::Leave, |o| o.0)
}
