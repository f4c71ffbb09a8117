//! The virtual-clock engine: sessions, stations and the event loop.
//!
//! One thread, one event queue ordered by `(time, sequence)`. Sessions live
//! in a slab (`Vec` indexed by `u32`, slots reused) and each owns its random
//! stream, so what a session draws does not depend on what others do. A
//! request walks its action's route: at each station it is served at once
//! if a worker is free, else waits in FIFO order (or is rejected when the
//! queue is full, or gives up after the station's timeout). When the route
//! ends, the [`Business`] applies the action's effect, the latency (from
//! the action's start) is recorded, and the session thinks, then takes its
//! next action or leaves.
//!
//! Arrivals stop at the scenario's duration; everything in flight then runs
//! to completion (the drain) and is counted. Statistics exclude requests
//! that started before the warmup ended.

use std::collections::VecDeque;

use super::dist::Sampler;
use super::load::RateProfile;
use super::popularity::CatalogPicker;
use super::queue::EventQueue;
use super::rng::{SimRng, StreamKind, mix64, stream};
use super::time::{SimDuration, SimTime};
use crate::agent::action::{Action, N_ACTIONS};
use crate::agent::business::{Business, Cx, key_space};
use crate::agent::route::Step;
use crate::metrics::series::{Series, SeriesRow};
use crate::metrics::{ErrorKind, OpStats, StationStats};
use crate::scenario::model::{Choice, Load, Next, Scenario};
use crate::shop::cache::{Cache, CacheStats};

/// Check the stop flag and report progress every this many events.
const PROGRESS_EVERY: u64 = 1 << 16;

#[derive(Clone, Copy, Debug)]
enum Event {
    /// The next open-model session arrives.
    Arrival,
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
}

/// The shard of `sku` among `shards` (by hash, so neighbouring SKUs spread).
#[inline]
pub fn shard_of(sku: u32, shards: u16) -> u16 {
    (mix64(sku as u64) % shards.max(1) as u64) as u16
}

struct Agent<S> {
    rng: SimRng,
    session: S,
    /// Closed model: the user; open model: `u32::MAX`.
    user: u32,
    action: Action,
    step: u8,
    line: u32,
    subject: u32,
    start: SimTime,
    /// Token of the queue entry the agent waits in; 0 when not waiting.
    waiting: u64,
    error: Option<ErrorKind>,
}

#[derive(Clone, Copy)]
struct Queued {
    agent: u32,
    token: u64,
    since: SimTime,
}

struct Station {
    workers: u32,
    busy: u32,
    queue: VecDeque<Queued>,
    /// Entries in `queue` still waiting (abandoned ones are skipped lazily).
    live: u32,
    queue_limit: u32,
    timeout: Option<SimDuration>,
    service: Sampler,
    last: SimTime,
    stats: StationStats,
}

impl Station {
    /// Advances the busy and queue-length integrals to `now`, counting only
    /// time after `warmup`.
    #[inline]
    fn integrate(&mut self, now: SimTime, warmup: SimTime) {
        let a = self.last.max(warmup);
        let b = now.max(warmup);
        if b > a {
            let dt = (b - a).as_nanos() as u128;
            self.stats.busy_area += self.busy as u128 * dt;
            self.stats.queue_area += self.live as u128 * dt;
        }
        self.last = now;
    }
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

/// A station's name, configuration and statistics after the run.
#[derive(Clone, Debug)]
pub struct StationResult {
    /// Report name.
    pub name: String,
    /// Workers.
    pub workers: u32,
    /// Statistics over the measured window.
    pub stats: StationStats,
}

/// Everything a run produced.
#[derive(Clone, Debug)]
pub struct RunResult {
    /// Per action (by index).
    pub ops: Vec<OpStats>,
    /// Per station instance, in scenario order; only stations some
    /// reachable action's route can visit.
    pub stations: Vec<StationResult>,
    /// Cache counters over the measured window (`None` when disabled).
    pub cache: Option<CacheStats>,
    /// Cache-bound problems found at the end (invariant I13).
    pub cache_problems: Vec<String>,
    /// The time series.
    pub series: Vec<SeriesRow>,
    /// Sessions started in the measured window.
    pub sessions: u64,
    /// Events processed (all, warmup included).
    pub events: u64,
    /// Virtual time at the last event (the latest, for merged runs).
    pub end: SimTime,
    /// Length of the measured window, from the end of the warmup to the
    /// last event, in ns (summed over merged runs).
    pub window_ns: u64,
    /// Runs merged into this result (1 for a single run).
    pub runs: u32,
    /// Requests left in station queues at the end (0 after a full drain).
    pub left_in_queues: u64,
    /// True when the run was stopped early by the control callback.
    pub interrupted: bool,
}

impl RunResult {
    /// Adds another run of the same scenario (a replication) into this
    /// one. Counts, sums, histograms and time integrals add exactly; the
    /// windows add, so rates and utilizations become averages over all
    /// runs. Time-series rows of the same interval and operation combine:
    /// counts add, means weight by count, and p50/p99 become the
    /// count-weighted mean of the runs' interval percentiles.
    pub fn merge(&mut self, other: &RunResult) {
        for (a, b) in self.ops.iter_mut().zip(&other.ops) {
            a.merge(b);
        }
        for (a, b) in self.stations.iter_mut().zip(&other.stations) {
            a.stats.merge(&b.stats);
        }
        if let (Some(a), Some(b)) = (&mut self.cache, &other.cache) {
            a.lookups += b.lookups;
            a.hits += b.hits;
            a.misses += b.misses;
            a.evictions += b.evictions;
            a.expirations += b.expirations;
            a.invalidations += b.invalidations;
            a.stale_hits += b.stale_hits;
        }
        self.cache_problems
            .extend(other.cache_problems.iter().cloned());
        self.series = merge_series(&self.series, &other.series);
        self.sessions += other.sessions;
        self.events += other.events;
        self.end = self.end.max(other.end);
        self.window_ns += other.window_ns;
        self.runs += other.runs;
        self.left_in_queues += other.left_in_queues;
        self.interrupted |= other.interrupted;
    }
}

fn merge_series(a: &[SeriesRow], b: &[SeriesRow]) -> Vec<SeriesRow> {
    use std::collections::BTreeMap;
    // Key by (interval start in ns, operation) so rows interleave in order.
    let key = |r: &SeriesRow| ((r.t_s * 1e9).round() as u64, r.op);
    let mut rows: BTreeMap<(u64, usize), SeriesRow> = BTreeMap::new();
    for r in a.iter().chain(b) {
        match rows.get_mut(&key(r)) {
            None => {
                rows.insert(key(r), r.clone());
            }
            Some(m) => {
                let (n, k) = (m.count as f64, r.count as f64);
                let w = |x: f64, y: f64| {
                    if n + k > 0.0 {
                        (x * n + y * k) / (n + k)
                    } else {
                        0.0
                    }
                };
                m.mean_ms = w(m.mean_ms, r.mean_ms);
                m.p50_ms = w(m.p50_ms, r.p50_ms);
                m.p99_ms = w(m.p99_ms, r.p99_ms);
                m.cache_hit_rate = match (m.cache_hit_rate, r.cache_hit_rate) {
                    (Some(x), Some(y)) => Some(w(x, y)),
                    (x, y) => x.or(y),
                };
                m.count += r.count;
                m.errors += r.errors;
            }
        }
    }
    rows.into_values().collect()
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
    arrivals: Option<(RateProfile, SimRng, f64)>,
    closed_ramp: Option<(u32, SimDuration)>,
    sessions_started: u64,
    sessions_measured: u64,
    next_token: u64,
    ops: Vec<OpStats>,
    series: Series,
    business: B,
    events: u64,
}

impl<'s, B: Business> Engine<'s, B> {
    /// An engine ready to run `sc` with `business`.
    pub fn new(sc: &'s Scenario, business: B) -> Self {
        let stations = sc
            .stations
            .iter()
            .map(|s| Station {
                workers: s.workers,
                busy: 0,
                queue: VecDeque::new(),
                live: 0,
                queue_limit: s.queue_limit.unwrap_or(u32::MAX),
                timeout: s.timeout,
                // Validation compiled every distribution once already.
                service: s.service_time.sampler().unwrap_or(Sampler::Constant(0.0)),
                last: SimTime::ZERO,
                stats: StationStats::default(),
            })
            .collect();
        let station_used = sc.used_stations();
        let cache = sc.cache.enabled.then(|| {
            Cache::new(
                sc.cache.policy,
                sc.cache.capacity,
                sc.cache.ttl.map(|t| t.as_nanos()),
                key_space(sc.catalog.products, sc.catalog.categories),
            )
        });
        let (arrivals, closed_ramp) = match &sc.load {
            Load::Open { stages, .. } => (
                Some((
                    RateProfile::new(stages.iter().map(|(at, r)| (at.as_nanos(), *r)).collect()),
                    stream(sc.seed, StreamKind::Arrivals, 0),
                    0.0,
                )),
                None,
            ),
            Load::Closed { users, ramp_up } => (None, Some((*users, *ramp_up))),
        };
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
            stations,
            station_used,
            think: sc.think_time.sampler().unwrap_or(Sampler::Constant(0.0)),
            cache,
            cache_at_warmup: None,
            picker: CatalogPicker::new(&sc.catalog),
            arrivals,
            closed_ramp,
            sessions_started: 0,
            sessions_measured: 0,
            next_token: 1,
            ops: (0..N_ACTIONS).map(|_| OpStats::default()).collect(),
            series: Series::new(warmup, sc.report_interval),
            business,
            events: 0,
        }
    }

    /// The business layer (to read its state after a run).
    pub fn business(&self) -> &B {
        &self.business
    }

    /// Runs to completion (arrivals until the duration, then the drain).
    /// `control` is called every few thousand events; returning `false`
    /// stops the run early, keeping what was measured so far.
    pub fn run(&mut self, control: &mut dyn FnMut(&Progress) -> bool) -> RunResult {
        self.prime();
        let mut interrupted = false;
        while let Some((t, ev)) = self.queue.pop() {
            self.now = t;
            self.events += 1;
            if self.cache_at_warmup.is_none() && t >= self.warmup {
                self.cache_at_warmup =
                    Some(self.cache.as_ref().map(|c| c.stats()).unwrap_or_default());
            }
            match ev {
                Event::Arrival => self.on_arrival(),
                Event::UserStart { user } => self.start_session(user),
                Event::Act { agent } => self.begin_action(agent),
                Event::Done { agent, station } => self.on_done(agent, station),
                Event::GiveUp {
                    agent,
                    station,
                    token,
                } => self.on_give_up(agent, station, token),
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
        if let Some((profile, rng, last)) = &mut self.arrivals
            && let Some(t) = profile.next_after(*last, self.end_arrivals.as_nanos() as f64, rng)
        {
            *last = t;
            self.queue
                .schedule(SimTime(t.round() as u64), Event::Arrival);
        }
        if let Some((users, ramp)) = self.closed_ramp {
            for u in 0..users {
                let at = SimTime::ZERO
                    + SimDuration::from_nanos(
                        (ramp.as_nanos() as u128 * u as u128 / users as u128) as u64,
                    );
                if at < self.end_arrivals {
                    self.queue.schedule(at, Event::UserStart { user: u });
                }
            }
        }
    }

    fn on_arrival(&mut self) {
        self.start_session(u32::MAX);
        let end = self.end_arrivals.as_nanos() as f64;
        if let Some((profile, rng, last)) = &mut self.arrivals
            && let Some(t) = profile.next_after(*last, end, rng)
        {
            *last = t;
            // Arrival instants are exact reals; rounding to the ns can
            // only tie with, never precede, the current time.
            let at = SimTime((t.round() as u64).max(self.now.as_nanos()));
            self.queue.schedule(at, Event::Arrival);
        }
    }

    fn start_session(&mut self, user: u32) {
        let n = self.sessions_started;
        self.sessions_started += 1;
        if self.now >= self.warmup {
            self.sessions_measured += 1;
        }
        let rng = stream(self.sc.seed, StreamKind::Session, n);
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
        };
        let id = match self.free.pop() {
            Some(id) => {
                self.agents[id as usize] = agent;
                id
            }
            None => {
                self.agents.push(agent);
                (self.agents.len() - 1) as u32
            }
        };
        self.active += 1;
        let a = &mut self.agents[id as usize];
        let mut cx = Cx {
            now: self.now,
            rng: &mut a.rng,
            picker: &self.picker,
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
        let mut cx = Cx {
            now: self.now,
            rng: &mut a.rng,
            picker: &self.picker,
        };
        a.subject = self.business.subject(a.action, &mut a.session, &mut cx);
        self.advance(id);
    }

    /// Walks the route from the agent's current step until it must wait
    /// at a station or the route ends.
    fn advance(&mut self, id: u32) {
        loop {
            let a = &mut self.agents[id as usize];
            let route = &self.sc.routes[a.action.index()];
            let Some(&step) = route.get(a.step as usize) else {
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
                Step::CacheFill => {
                    if let Some(c) = &mut self.cache {
                        c.put(a.subject, self.now.as_nanos());
                    }
                    a.step += 1;
                }
                Step::PerLine { first, shards } => {
                    if a.line < self.business.lines(&a.session) {
                        let sku = self.business.line_sku(&a.session, a.line);
                        a.line += 1;
                        self.arrive(id, first + shard_of(sku, shards));
                        return;
                    }
                    a.line = 0;
                    a.step += 1;
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
        if st.busy < st.workers {
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
            let wait = (self.now - since).as_nanos();
            st.stats.served += 1;
            st.stats.wait.saturating_record(wait.max(1));
            st.stats.wait_sum_ns += wait as u128;
        }
        let a = &mut self.agents[id as usize];
        let service = st.service.sample_nanos(&mut a.rng);
        self.queue.schedule(
            self.now + SimDuration::from_nanos(service),
            Event::Done {
                agent: id,
                station: s,
            },
        );
    }

    fn on_done(&mut self, id: u32, s: u16) {
        let now = self.now;
        let st = &mut self.stations[s as usize];
        st.integrate(now, self.warmup);
        // Hand the worker to the next live waiter, skipping abandoned ones.
        let mut next = None;
        while let Some(q) = st.queue.pop_front() {
            if self.agents[q.agent as usize].waiting == q.token {
                next = Some(q);
                break;
            }
        }
        match next {
            Some(q) => {
                st.live -= 1;
                self.agents[q.agent as usize].waiting = 0;
                self.start_service(q.agent, s, q.since);
            }
            None => st.busy -= 1,
        }
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
        let st = &mut self.stations[s as usize];
        st.integrate(now, self.warmup);
        st.live -= 1;
        let wait = st.timeout.unwrap_or_default().as_nanos();
        if SimTime(now.as_nanos() - wait) >= self.warmup {
            st.stats.timed_out += 1;
            st.stats.wait.saturating_record(wait.max(1));
            st.stats.wait_sum_ns += wait as u128;
        }
        self.agents[id as usize].waiting = 0;
        self.fail(id, ErrorKind::Timeout);
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
        let transitions = &self.sc.behavior.transitions[a.action.index()];
        let next = match transitions {
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
        };
        self.business.end_session(&mut a.session, &mut cx);
        let user = a.user;
        self.free.push(id);
        self.active -= 1;
        if user != u32::MAX && self.now < self.end_arrivals {
            self.queue.schedule(self.now, Event::UserStart { user });
        }
    }

    fn finish(&mut self, interrupted: bool) -> RunResult {
        let end = self.now;
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
        let cache = self.cache.as_ref().map(|c| {
            let s = c.stats();
            let w = self.cache_at_warmup.unwrap_or_default();
            CacheStats {
                lookups: s.lookups - w.lookups,
                hits: s.hits - w.hits,
                misses: s.misses - w.misses,
                evictions: s.evictions - w.evictions,
                expirations: s.expirations - w.expirations,
                invalidations: s.invalidations - w.invalidations,
                stale_hits: s.stale_hits - w.stale_hits,
            }
        });
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
fn choose(ch: &Choice, rng: &mut SimRng) -> Next {
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
