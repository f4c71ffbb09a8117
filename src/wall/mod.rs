//! The wall clock: the same customers against the real shop, concurrently.
//!
//! Sessions are tokio tasks on a multi-thread runtime; the shop services
//! are shared for real between the worker threads. Each station is a pool
//! of permits and its service time is slept, scaled by `time_scale` (wall
//! seconds per model second); everything the services do besides is real
//! CPU work and real lock contention.
//!
//! **No coordinated omission.** Arrivals are scheduled at their intended
//! instants, and every operation's latency runs from its *intended* start:
//! a session's first operation from its scheduled arrival, each later one
//! from the end of the previous one plus its think time. If the generator
//! falls behind, the lateness is in the latencies, and the generator's own
//! lag (how late each operation actually started: arrivals, closed users'
//! sessions and every wake-up after a think time) is reported beside them.
//!
//! Latencies and station statistics are converted back to model time
//! (divided by `time_scale`), so a wall report has the same files and
//! columns as a virtual one and `compare` works across the two.
//!
//! **Stress** is the wall clock without modelled delays: a fixed number of
//! tasks loop over the scenario's behaviour as fast as the services allow
//! (no stations, no think time), to measure the services' own throughput
//! and lock contention.

pub mod recorder;
pub mod station;

use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering::Relaxed};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use crate::agent::action::Action;
use crate::agent::business::{Cx, key_space};
use crate::agent::route::{EffectOutcome, Step};
use crate::agent::shopper::{SetupError, ShopBusiness, ShopSession, shop_config};
use crate::metrics::ErrorKind;
use crate::scenario::model::{FaultKind, Load, Next, Scenario};
use crate::shop::InjectedBug;
use crate::shop::cache::{Cache, CacheStats};
use crate::sim::dist::Sampler;
use crate::sim::engine::{Progress, choose};
use crate::sim::load::RateProfile;
use crate::sim::popularity::CatalogPicker;
use crate::sim::result::{RunResult, StationResult};
use crate::sim::rng::{SimRng, StreamKind, stream};
use crate::sim::time::{SimDuration, SimTime};
use recorder::Recorders;
use station::{WallStation, sleep_until, wall};

/// How to run on the wall clock.
#[derive(Clone, Debug)]
pub struct WallOptions {
    /// Wall seconds per model second (0.01: a model second in 10 ms).
    pub time_scale: f64,
    /// Tokio worker threads.
    pub threads: usize,
    /// Stress instead: this many looping tasks, until the limit.
    pub stress: Option<(usize, StressLimit)>,
    /// Test only: at model time `.0` the generator blocks its thread for
    /// `.1` (wall), to show the stall in the latencies.
    pub stall: Option<(SimDuration, Duration)>,
    /// Test only: break the shop on purpose.
    pub bug: Option<InjectedBug>,
}

/// When a stress run stops.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StressLimit {
    /// After this much wall time.
    For(Duration),
    /// Once this many sessions have started (a fixed amount of work, for
    /// benchmarks).
    Sessions(u64),
}

/// Wall-clock facts of a run, for the console and `run.json`.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct WallFacts {
    /// Wall seconds per model second.
    pub time_scale: f64,
    /// How late arrivals started: p50, p99, max in wall ms.
    pub schedule_lag_ms: [f64; 3],
    /// Arrivals that started more than 1 ms (wall) late.
    pub late_starts: u64,
    /// Inventory shard lock acquisitions, and how many found it held.
    pub lock_acquisitions: u64,
    /// Of which contended.
    pub lock_contended: u64,
    /// Worker threads.
    pub threads: usize,
    /// Stress tasks (0 for a modelled run).
    pub tasks: usize,
    /// Most sessions in flight at once (sampled every 20 ms).
    pub peak_sessions: usize,
}

/// A late start: an arrival beginning more than this after its intended
/// instant counts in `late_starts`.
const LATE: Duration = Duration::from_millis(1);

struct World {
    sc: Scenario,
    business: ShopBusiness,
    cache: Option<Mutex<Cache>>,
    cache_at_warmup: Mutex<Option<CacheStats>>,
    stations: Vec<WallStation>,
    picker: CatalogPicker,
    think: Sampler,
    epoch: Instant,
    scale: f64,
    stress: bool,
    warmup: SimTime,
    recorders: Recorders,
    stop: AtomicBool,
    active: AtomicUsize,
    /// Model nanoseconds at which the latest task finished: the run's end
    /// (the watcher only notices it on its next tick).
    last_finish: AtomicU64,
    sessions: AtomicU64,
    sessions_measured: AtomicU64,
    late: AtomicU64,
}

impl World {
    /// Model time now.
    fn now(&self) -> SimTime {
        SimTime::ZERO + SimDuration::from_secs_f64(self.epoch.elapsed().as_secs_f64() / self.scale)
    }

    /// Model time of wall instant `t`.
    fn model(&self, t: Instant) -> SimTime {
        SimTime::ZERO
            + SimDuration::from_secs_f64(
                t.saturating_duration_since(self.epoch).as_secs_f64() / self.scale,
            )
    }

    fn model_ns(&self, d: Duration) -> u64 {
        (d.as_nanos() as f64 / self.scale) as u64
    }

    fn lock_cache(&self) -> Option<std::sync::MutexGuard<'_, Cache>> {
        self.cache
            .as_ref()
            .map(|c| c.lock().unwrap_or_else(PoisonError::into_inner))
    }

    fn spawned(&self) {
        self.active.fetch_add(1, Relaxed);
    }

    /// How late an operation intended at `intended` is starting: the
    /// generator's own lag, not the modelled backend's.
    fn record_lag(&self, intended: Instant) {
        let lag = Instant::now().saturating_duration_since(intended);
        if lag > LATE {
            self.late.fetch_add(1, Relaxed);
        }
        self.recorders.with(&self.sc, |r| {
            r.lag.saturating_record(lag.as_nanos().max(1) as u64)
        });
    }

    fn finished(&self) {
        self.last_finish.fetch_max(self.now().as_nanos(), Relaxed);
        self.active.fetch_sub(1, Relaxed);
    }
}

/// Runs `sc` on the wall clock. `control` is polled every 200 ms (wall)
/// and stops the run when it returns false.
pub fn run(
    sc: &Scenario,
    opts: &WallOptions,
    control: &(dyn Fn(u32, &Progress) -> bool + Sync),
) -> Result<(RunResult, WallFacts), SetupError> {
    let mut config = shop_config(sc);
    config.inject_bug = opts.bug;
    let business = ShopBusiness::with_config(sc, config)?;
    let stress = opts.stress.is_some();
    let scale = if stress { 1.0 } else { opts.time_scale };
    let warmup = if stress {
        SimTime::ZERO
    } else {
        SimTime::ZERO + sc.warmup
    };
    let world = Arc::new(World {
        sc: sc.clone(),
        business,
        cache: sc.cache.enabled.then(|| {
            Mutex::new(Cache::new(
                sc.cache.policy,
                sc.cache.capacity,
                sc.cache.ttl.map(|t| t.as_nanos()),
                key_space(sc.catalog.products, sc.catalog.categories),
            ))
        }),
        cache_at_warmup: Mutex::new(None),
        stations: sc.stations.iter().map(WallStation::new).collect(),
        picker: CatalogPicker::new(&sc.catalog),
        think: sc.think_time.sampler().unwrap_or(Sampler::Constant(0.0)),
        epoch: Instant::now(),
        scale,
        stress,
        warmup,
        recorders: Recorders::new(warmup),
        stop: AtomicBool::new(false),
        active: AtomicUsize::new(0),
        last_finish: AtomicU64::new(0),
        sessions: AtomicU64::new(0),
        sessions_measured: AtomicU64::new(0),
        late: AtomicU64::new(0),
    });
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(opts.threads.max(1))
        .enable_time()
        .build()
        .map_err(|e| SetupError::new(format!("cannot start the tokio runtime: {e}")))?;
    let w = world.clone();
    let opts2 = opts.clone();
    let interrupted = runtime.block_on(async {
        let work = tokio::spawn(async move {
            match opts2.stress {
                Some((tasks, limit)) => stress_tasks(&w, tasks, limit),
                None => modelled(&w, &opts2).await,
            }
        });
        // Watch the run: progress and Ctrl-C every 200 ms, the end as soon
        // as every generator and every session is done.
        let mut interrupted = false;
        let mut peak = 0;
        for tick in 1u64.. {
            tokio::time::sleep(Duration::from_millis(20)).await;
            peak = peak.max(world.active.load(Relaxed));
            if tick % 10 == 0 {
                let p = Progress {
                    now: world.now(),
                    events: world.sessions.load(Relaxed),
                    active: world.active.load(Relaxed),
                };
                if !control(0, &p) && !interrupted {
                    interrupted = true;
                    world.stop.store(true, Relaxed);
                }
            }
            if work.is_finished() && world.active.load(Relaxed) == 0 {
                break;
            }
        }
        (interrupted, peak)
    });
    let (interrupted, peak) = interrupted;
    let stopped = world.now();
    // Every worker thread has stopped: their stores are visible.
    drop(runtime);
    // The run ends with its last task, not with the watcher's next tick
    // (up to 20 ms later, which would skew short stress runs' ops/s).
    let end = match world.last_finish.load(Relaxed) {
        last if !interrupted && last > 0 => SimTime::ZERO + SimDuration::from_nanos(last),
        _ => stopped,
    };
    let (result, mut facts) = finish(&world, end, opts, interrupted);
    facts.peak_sessions = peak;
    Ok((result, facts))
}

fn finish(
    w: &World,
    end: SimTime,
    opts: &WallOptions,
    interrupted: bool,
) -> (RunResult, WallFacts) {
    let m = w.recorders.merge(&w.sc, end);
    let used = w.sc.used_stations();
    let window_ns = end.since(w.warmup).as_nanos();
    let stations =
        w.sc.stations
            .iter()
            .zip(m.stations)
            .zip(&w.stations)
            .enumerate()
            .filter(|(i, _)| used[*i] && !w.stress)
            .map(|(_, ((spec, mut stats), st))| {
                stats.max_queue = st.max_queued.load(Relaxed);
                StationResult {
                    name: spec.name.clone(),
                    workers: spec.workers,
                    stats,
                }
            })
            .collect();
    let base = w
        .cache_at_warmup
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .unwrap_or_default();
    let cache = w.lock_cache().map(|c| c.stats().since(&base));
    let cache_problems = w.lock_cache().map(|c| c.check()).unwrap_or_default();
    let (acq, contended) = w.business.shop().inventory_lock_counts();
    let q = |p: f64| {
        if m.lag.is_empty() {
            0.0
        } else {
            m.lag.value_at_quantile(p) as f64 / 1e6
        }
    };
    let facts = WallFacts {
        time_scale: w.scale,
        schedule_lag_ms: [
            q(0.5),
            q(0.99),
            if m.lag.is_empty() {
                0.0
            } else {
                m.lag.max() as f64 / 1e6
            },
        ],
        late_starts: w.late.load(Relaxed),
        lock_acquisitions: acq,
        lock_contended: contended,
        threads: opts.threads,
        tasks: opts.stress.map_or(0, |s| s.0),
        peak_sessions: 0,
    };
    let result = RunResult {
        ops: m.ops,
        stations,
        cache,
        cache_problems,
        series: m.series,
        gauges: Vec::new(),
        business: w.business.finish(end),
        sessions: w.sessions_measured.load(Relaxed),
        events: m.events,
        end,
        window_ns,
        runs: 1,
        left_in_queues: w
            .stations
            .iter()
            .map(|s| s.queued.load(Relaxed) as u64)
            .sum(),
        interrupted,
    };
    (result, facts)
}

/// The modelled run: arrivals, admins, faults; returns when every
/// generator is done (sessions may still run).
async fn modelled(w: &Arc<World>, opts: &WallOptions) {
    let end = SimTime::ZERO + w.sc.duration;
    let mut gens = Vec::new();
    match &w.sc.load {
        Load::Open { stages, .. } => {
            let profile =
                RateProfile::new(stages.iter().map(|(at, r)| (at.as_nanos(), *r)).collect());
            gens.push(tokio::spawn(open_arrivals(
                w.clone(),
                profile,
                end,
                opts.stall,
            )));
        }
        Load::Closed { users, ramp_up } => {
            for u in 0..*users {
                let offset = SimDuration::from_nanos(
                    (ramp_up.as_nanos() as u128 * u as u128 / *users as u128) as u64,
                );
                w.spawned();
                tokio::spawn(closed_user(w.clone(), offset, end));
            }
        }
    }
    for &op in Action::ADMIN {
        let rate = w.sc.admin.rate(op);
        if rate > 0.0 {
            gens.push(tokio::spawn(admin_stream(w.clone(), op, rate, end)));
        }
    }
    for (i, _) in w.sc.faults.iter().enumerate() {
        gens.push(tokio::spawn(fault(w.clone(), i)));
    }
    if w.sc.warmup > SimDuration::ZERO {
        let w2 = w.clone();
        gens.push(tokio::spawn(async move {
            sleep_until(w2.epoch + wall(w2.warmup.as_nanos() as f64, w2.scale)).await;
            let s = w2.lock_cache().map(|c| c.stats());
            *w2.cache_at_warmup
                .lock()
                .unwrap_or_else(PoisonError::into_inner) = s;
        }));
    }
    for g in gens {
        let _ = g.await;
    }
}

async fn open_arrivals(
    w: Arc<World>,
    profile: RateProfile,
    end: SimTime,
    stall: Option<(SimDuration, Duration)>,
) {
    let mut rng = stream(w.sc.seed, StreamKind::Arrivals, 0);
    let mut last = 0.0;
    let mut stalled = false;
    while let Some(t) = profile.next_after(last, end.as_nanos() as f64, &mut rng) {
        last = t;
        if w.stop.load(Relaxed) {
            break;
        }
        let intended = w.epoch + wall(t, w.scale);
        sleep_until(intended).await;
        if let Some((at, len)) = stall
            && !stalled
            && t >= at.as_nanos() as f64
        {
            // Deliberately block this worker thread: the generator falls
            // behind, and the sessions it then starts late must show it.
            stalled = true;
            std::thread::sleep(len);
        }
        w.spawned();
        tokio::spawn(session_task(w.clone(), intended));
    }
}

async fn session_task(w: Arc<World>, intended: Instant) {
    session(&w, intended).await;
    w.finished();
}

async fn closed_user(w: Arc<World>, offset: SimDuration, end: SimTime) {
    let mut start = w.epoch + wall(offset.as_nanos() as f64, w.scale);
    sleep_until(start).await;
    while w.model(start) < end && !w.stop.load(Relaxed) {
        session(&w, start).await;
        start = Instant::now();
    }
    w.finished();
}

/// One session, its first operation intended to start at `intended`.
async fn session(w: &World, mut intended: Instant) {
    let n = w.sessions.fetch_add(1, Relaxed);
    if w.model(intended) >= w.warmup {
        w.sessions_measured.fetch_add(1, Relaxed);
    }
    let mut rng = stream(w.sc.seed, StreamKind::Session, n);
    let mut s = ShopSession::default();
    {
        let mut cx = cx(w, &mut rng, None, false);
        w.business.start_session(&mut s, &mut cx);
    }
    let mut next = choose(&w.sc.behavior.start, &mut rng);
    while let Next::Act(action) = next {
        if w.stop.load(Relaxed) {
            break;
        }
        if !w.stress {
            sleep_until(intended).await;
            w.record_lag(intended);
        }
        perform(w, action, &mut s, &mut rng, intended).await;
        next = match &w.sc.behavior.transitions[action.index()] {
            Some(ch) => choose(ch, &mut rng),
            None => Next::Leave,
        };
        intended = Instant::now();
        if !w.stress && !w.think.is_zero() {
            intended += wall(w.think.sample(&mut rng), w.scale);
        }
        if w.stress {
            tokio::task::yield_now().await;
        }
    }
    let mut cx = cx(w, &mut rng, None, false);
    w.business.end_session(&mut s, &mut cx);
}

fn cx<'a>(w: &'a World, rng: &'a mut SimRng, cache: Option<&'a mut Cache>, cached: bool) -> Cx<'a> {
    Cx {
        now: w.now(),
        rng,
        picker: &w.picker,
        cache,
        cached,
    }
}

/// One operation: its route, its effect, and the record of its latency
/// from `intended`.
async fn perform(
    w: &World,
    action: Action,
    s: &mut ShopSession,
    rng: &mut SimRng,
    intended: Instant,
) {
    let error = route(w, action, s, rng).await.err();
    let done = Instant::now();
    let start = w.model(intended);
    if start >= w.warmup {
        let latency = w.model_ns(done.saturating_duration_since(intended));
        let now = w.model(done);
        w.recorders.with(&w.sc, |r| {
            r.op(action.index(), now, latency, error);
            r.events += 1;
        });
    }
}

async fn route(
    w: &World,
    action: Action,
    s: &mut ShopSession,
    rng: &mut SimRng,
) -> Result<(), ErrorKind> {
    let steps = &w.sc.routes[action.index()];
    let subject = {
        let mut cx = cx(w, rng, None, false);
        w.business.subject(action, s, &mut cx)
    };
    let (mut step, mut line, mut cached) = (0usize, 0u32, false);
    while let Some(&st) = steps.get(step) {
        match st {
            Step::Visit(i) => {
                visit(w, i, rng).await?;
                step += 1;
            }
            Step::VisitIf(cond, i) => {
                if w.business.condition(cond, s) {
                    visit(w, i, rng).await?;
                }
                step += 1;
            }
            Step::Payment(default) => {
                visit(w, w.business.payment_station(s).unwrap_or(default), rng).await?;
                step += 1;
            }
            Step::CacheLookup { station, skip } => {
                visit(w, station, rng).await?;
                let now = w.now();
                let hit = w
                    .lock_cache()
                    .is_some_and(|mut c| c.get(subject, now.as_nanos()));
                w.recorders.with(&w.sc, |r| r.series.cache_lookup(now, hit));
                cached = hit;
                step += 1 + if hit { skip as usize } else { 0 };
            }
            Step::CacheFill => {
                let now = w.now();
                if let Some(mut c) = w.lock_cache() {
                    c.put(subject, now.as_nanos());
                }
                step += 1;
            }
            Step::PerLine { first, shards } => {
                if line < w.business.lines(s) {
                    let shard = w.business.line_shard(s, line, shards);
                    line += 1;
                    visit(w, first + shard, rng).await?;
                } else {
                    line = 0;
                    step += 1;
                }
            }
            Step::SubjectShard { first, shards } => {
                visit(w, first + w.business.sku_shard(subject, shards), rng).await?;
                step += 1;
            }
            Step::Effect(e) => {
                let mut cx = cx(w, rng, None, false);
                match w.business.effect(e, s, &mut cx) {
                    EffectOutcome::Continue => step += 1,
                    EffectOutcome::Repeat(back) => step = step.saturating_sub(back as usize),
                    EffectOutcome::Fail(k) => return Err(k),
                }
            }
        }
    }
    // Admin operations invalidate cache entries: hand them the cache.
    let mut guard = if action.is_admin() {
        w.lock_cache()
    } else {
        None
    };
    let mut cx = cx(w, rng, guard.as_deref_mut(), cached);
    w.business.complete(action, subject, s, &mut cx)
}

/// A station visit; stress runs skip stations (no modelled delays).
async fn visit(w: &World, i: u16, rng: &mut SimRng) -> Result<(), ErrorKind> {
    if w.stress {
        return Ok(());
    }
    let st = &w.stations[i as usize];
    let arrived = w.now();
    let measured = arrived >= w.warmup;
    let outcome = st.visit(rng, w.scale).await;
    w.recorders.with(&w.sc, |r| {
        r.events += 1;
        if !measured {
            return;
        }
        let stats = &mut r.stations[i as usize];
        let record_wait = |stats: &mut crate::metrics::StationStats, wait_ns: u64| {
            stats.wait.saturating_record(wait_ns.max(1));
            stats.wait_sum_ns += wait_ns as u128;
            // Little's law: the queue-length integral is the sum of waits.
            stats.queue_area += wait_ns as u128;
        };
        match &outcome {
            Ok(v) => {
                stats.served += 1;
                record_wait(stats, w.model_ns(v.wait));
                stats.busy_area += w.model_ns(v.service) as u128;
            }
            Err(e) if e.kind == ErrorKind::Timeout => {
                stats.timed_out += 1;
                record_wait(stats, w.model_ns(e.wait));
            }
            Err(e) if e.kind == ErrorKind::Rejected => stats.rejected += 1,
            Err(_) => {}
        }
    });
    outcome.map(|_| ()).map_err(|e| e.kind)
}

async fn admin_stream(w: Arc<World>, op: Action, rate: f64, end: SimTime) {
    let profile = RateProfile::constant(rate);
    let mut rng = stream(w.sc.seed, StreamKind::Background, op.index() as u64);
    let mut last = 0.0;
    let mut n = 0u64;
    while let Some(t) = profile.next_after(last, end.as_nanos() as f64, &mut rng) {
        last = t;
        if w.stop.load(Relaxed) {
            break;
        }
        let intended = w.epoch + wall(t, w.scale);
        sleep_until(intended).await;
        let mut op_rng = stream(
            w.sc.seed,
            StreamKind::Background,
            1 << 32 | (op.index() as u64) << 40 | n,
        );
        n += 1;
        w.spawned();
        let w2 = w.clone();
        tokio::spawn(async move {
            let mut s = ShopSession::default();
            perform(&w2, op, &mut s, &mut op_rng, intended).await;
            w2.finished();
        });
    }
}

async fn fault(w: Arc<World>, i: usize) {
    let f = &w.sc.faults[i];
    let at = w.epoch + wall(f.at.as_nanos() as f64, w.scale);
    sleep_until(at).await;
    let groups = |g: u16| {
        let gr = &w.sc.groups[g as usize];
        gr.first as usize..(gr.first + gr.shards) as usize
    };
    // An outage that hangs holds every permit of the station until it ends.
    let mut held = Vec::new();
    match f.kind {
        FaultKind::Slow { group, factor } => {
            for st in &w.stations[groups(group)] {
                let v = f64::from_bits(st.slowdown.load(Relaxed)) * factor;
                st.slowdown.store(v.to_bits(), Relaxed);
            }
        }
        FaultKind::Outage { group, hang: false } => {
            for st in &w.stations[groups(group)] {
                st.down.fetch_add(1, Relaxed);
            }
        }
        FaultKind::Outage { group, hang: true } => {
            for st in &w.stations[groups(group)] {
                if let Ok(p) = st.permits.acquire_many(st.workers).await {
                    held.push(p);
                }
            }
        }
        FaultKind::CacheFlush => {
            if let Some(mut c) = w.lock_cache() {
                c.flush();
            }
        }
        FaultKind::PaymentDeclines { .. } => w.business.fault(&f.kind, true),
    }
    let Some(lasts) = f.lasts else { return };
    sleep_until(at + wall(lasts.as_nanos() as f64, w.scale)).await;
    drop(held);
    match f.kind {
        FaultKind::Slow { group, factor } => {
            for st in &w.stations[groups(group)] {
                let v = f64::from_bits(st.slowdown.load(Relaxed)) / factor;
                st.slowdown.store(v.to_bits(), Relaxed);
            }
        }
        FaultKind::Outage { group, hang: false } => {
            for st in &w.stations[groups(group)] {
                st.down.fetch_sub(1, Relaxed);
            }
        }
        FaultKind::PaymentDeclines { .. } => w.business.fault(&f.kind, false),
        _ => {}
    }
}

/// Stress: `tasks` tasks loop over sessions until the limit.
fn stress_tasks(w: &Arc<World>, tasks: usize, limit: StressLimit) {
    let deadline = match limit {
        StressLimit::For(d) => Some(Instant::now() + d),
        StressLimit::Sessions(_) => None,
    };
    let more = move |w: &World| match limit {
        StressLimit::For(_) => deadline.is_some_and(|d| Instant::now() < d),
        StressLimit::Sessions(n) => w.sessions.load(Relaxed) < n,
    };
    for _ in 0..tasks {
        w.spawned();
        let w2 = w.clone();
        tokio::spawn(async move {
            while more(&w2) && !w2.stop.load(Relaxed) {
                session(&w2, Instant::now()).await;
            }
            w2.finished();
        });
    }
}
