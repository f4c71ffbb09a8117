//! The wall clock: the model driven by tokio tasks, against real services.
//!
//! Agents are tokio tasks on a multi-thread runtime; the business (the real
//! shop, or any other `Business + Sync`) is shared for real between the
//! worker threads. The [`Model`] decides what every agent does, exactly as
//! on the virtual clock; this clock only decides how to wait: a station is
//! a pool of permits whose service time is slept, scaled by `time_scale`
//! (wall seconds per model second), and a think time is a sleep.
//! Everything the business does besides is real CPU work and real lock
//! contention.
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
//! columns as a virtual one and `compare` works across the two. Gauges are
//! sampled at every report interval as on the virtual clock; a station's
//! busy and queue time count when each visit ends.
//!
//! **Stress** is the wall clock without modelled delays: a fixed number of
//! tasks loop over the scenario's behaviour as fast as the services allow
//! (no stations, no think time), to measure the services' own throughput
//! and lock contention.

mod calls;
mod capacity;
pub mod recorder;
pub mod station;
mod tasks;

use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering::Relaxed};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use crate::contract::ErrorKind;
use crate::contract::business::Business;
use crate::kernel::time::{SimDuration, SimTime};
use crate::metrics::gauges::{Gauges, Levels};
use crate::metrics::result::{RunResult, WallFacts};
use crate::metrics::watch::Unstable;
use crate::model::shopper::{ShopBusiness, shop_config};
use crate::model::world::Measured;
use crate::model::{CatalogCache, Command, Env, Model, Progress, SetupError};
use crate::scenario::Scenario;
use crate::shop::InjectedBug;
use recorder::Recorders;
use station::WallStation;

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
    /// Test only: a tokio worker's task panics.
    pub panic: bool,
    /// The memory guard: the run stops, diverged, once more agents than
    /// this are in flight.
    pub max_in_flight: usize,
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

/// A late start: an operation beginning more than this after its intended
/// instant counts in `late_starts`.
const LATE: Duration = Duration::from_millis(1);

/// Everything the tasks of one wall-clock run share.
struct World<B: Business> {
    model: Model<B>,
    cache: Option<Mutex<CatalogCache>>,
    stations: Vec<WallStation>,
    epoch: Instant,
    scale: f64,
    stress: bool,
    recorders: Recorders,
    gauges: Mutex<Gauges>,
    stop: AtomicBool,
    active: AtomicUsize,
    /// Model nanoseconds at which the latest task finished: the run's end
    /// (the watcher only notices it on its next tick).
    last_finish: AtomicU64,
    late: AtomicU64,
}

/// A poisoned lock only means another task panicked mid-update; the data
/// behind each of this clock's locks stays consistent between updates.
fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// `model_ns` of model time as a wall-clock duration.
pub fn wall(model_ns: f64, scale: f64) -> Duration {
    Duration::from_secs_f64((model_ns * scale / 1e9).max(0.0))
}

impl<B: Business> World<B> {
    /// Model time now.
    fn now(&self) -> SimTime {
        self.model_at(Instant::now())
    }

    /// Model time of wall instant `t`.
    fn model_at(&self, t: Instant) -> SimTime {
        SimTime::ZERO
            + SimDuration::from_secs_f64(
                t.saturating_duration_since(self.epoch).as_secs_f64() / self.scale,
            )
    }

    /// The wall instant of model time `t`.
    fn instant(&self, t: SimTime) -> Instant {
        self.epoch + wall(t.as_nanos() as f64, self.scale)
    }

    fn model_ns(&self, d: Duration) -> u64 {
        (d.as_nanos() as f64 / self.scale) as u64
    }

    fn spawned(&self) {
        self.active.fetch_add(1, Relaxed);
    }

    fn finished(&self) {
        self.last_finish.fetch_max(self.now().as_nanos(), Relaxed);
        self.active.fetch_sub(1, Relaxed);
    }

    /// How late an operation intended at `intended` is starting: the
    /// generator's own lag, not the modelled backend's.
    fn record_lag(&self, intended: Instant) {
        let lag = Instant::now().saturating_duration_since(intended);
        if lag > LATE {
            self.late.fetch_add(1, Relaxed);
        }
        self.recorders.with(self.model.scenario(), |r| {
            r.lag.saturating_record(lag.as_nanos().max(1) as u64)
        });
    }

    /// Closes the gauge interval ending at model time `t`, from every
    /// thread's counts so far.
    fn sample_gauges(&self, t: SimTime) {
        let (areas, errors) = self.recorders.totals();
        self.sample_gauges_from(t, &areas, errors);
    }

    fn sample_gauges_from(
        &self,
        t: SimTime,
        areas: &[(u128, u128)],
        errors: [u64; crate::contract::N_ERROR_KINDS],
    ) {
        let levels = |i: usize| Levels {
            busy_area: areas.get(i).map_or(0, |a| a.0),
            queue_area: areas.get(i).map_or(0, |a| a.1),
            workers: self.stations[i].workers,
            worker_area: capacity::areas_until(self, i, t)[0],
            provisioning_area: capacity::areas_until(self, i, t)[1],
        };
        self.model
            .sample_gauges(&mut lock(&self.gauges), t, &levels, errors);
    }
}

/// The wall clock's side of the model's [`Env`].
struct Here<'a, B: Business>(&'a World<B>, &'a mut Vec<Command>);

impl<B: Business> Env for Here<'_, B> {
    fn now(&self) -> SimTime {
        self.0.now()
    }

    fn with_cache<R>(&mut self, f: impl FnOnce(Option<&mut CatalogCache>) -> R) -> R {
        match &self.0.cache {
            Some(c) => f(Some(&mut lock(c))),
            None => f(None),
        }
    }

    fn record(&mut self, op: usize, latency_ns: u64, error: Option<ErrorKind>) {
        let now = self.0.now();
        self.0.recorders.with(self.0.model.scenario(), |r| {
            r.op(op, now, latency_ns, error);
            r.events += 1;
        });
    }

    fn cache_lookup(&mut self, hit: bool) {
        let now = self.0.now();
        self.0
            .recorders
            .with(self.0.model.scenario(), |r| r.series.cache_lookup(now, hit));
    }

    fn retried(&mut self, op: usize) {
        let now = self.0.now();
        self.0.recorders.with(self.0.model.scenario(), |r| {
            r.ops[op].retries += 1;
            r.series.retried(now, op);
        });
    }

    fn command(&mut self, c: Command) {
        self.1.push(c);
    }
}

/// Runs `sc` on the wall clock with customers and admins using the real
/// shop (broken on purpose by `opts.bug`). `control` is polled every
/// 200 ms (wall) and stops the run when it returns false.
pub fn run(
    sc: &Scenario,
    opts: &WallOptions,
    control: &(dyn Fn(u32, &Progress) -> bool + Sync),
) -> Result<(RunResult, WallFacts), SetupError> {
    let mut config = shop_config(sc);
    config.inject_bug = opts.bug;
    let business = ShopBusiness::with_config(sc, config)?;
    let (result, facts, _) = run_with(sc, business, opts, control)?;
    Ok((result, facts))
}

/// Runs `sc` on the wall clock with any business; returns the business
/// too, to inspect its state after the run.
pub fn run_with<B>(
    sc: &Scenario,
    business: B,
    opts: &WallOptions,
    control: &(dyn Fn(u32, &Progress) -> bool + Sync),
) -> Result<(RunResult, WallFacts, B), SetupError>
where
    B: Business + Send + Sync + 'static,
    B::Session: Send,
{
    let stress = opts.stress.is_some();
    let mut sc = sc.clone();
    if stress {
        // Stress measures everything it does: no warmup.
        sc.warmup = SimDuration::ZERO;
    }
    let scale = if stress { 1.0 } else { opts.time_scale };
    let model = Model::new(&sc, business);
    let world = Arc::new(World {
        cache: CatalogCache::new(&sc).map(Mutex::new),
        stations: sc.stations.iter().map(WallStation::new).collect(),
        epoch: Instant::now(),
        scale,
        stress,
        recorders: Recorders::new(model.warmup()),
        gauges: Mutex::new(model.gauges()),
        stop: AtomicBool::new(false),
        active: AtomicUsize::new(0),
        last_finish: AtomicU64::new(0),
        late: AtomicU64::new(0),
        model,
    });
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(opts.threads.max(1))
        .enable_time()
        .build()
        .map_err(SetupError::Runtime)?;
    let (interrupted, peak, diverged, unstable) =
        runtime.block_on(tasks::watch(world.clone(), opts, control));
    let stopped = world.now();
    // Every worker thread stops and every task is dropped: their stores
    // are visible and their references to the world released.
    drop(runtime);
    // The run ends with its last task, not with the watcher's next tick
    // (up to 20 ms later, which would skew short stress runs' ops/s).
    let end = match world.last_finish.load(Relaxed) {
        last if !interrupted && last > 0 => SimTime::ZERO + SimDuration::from_nanos(last),
        _ => stopped,
    };
    let Ok(world) = Arc::try_unwrap(world) else {
        // Cannot happen: the runtime, dropped above, held every other
        // reference (its tasks), and nothing else keeps one.
        unreachable!("a wall-clock task outlived its runtime");
    };
    let (result, mut facts) = finish(&world, end, opts, interrupted, (diverged, unstable));
    facts.peak_sessions = peak;
    Ok((result, facts, world.model.into_business()))
}

fn finish<B: Business>(
    w: &World<B>,
    end: SimTime,
    opts: &WallOptions,
    interrupted: bool,
    (diverged, unstable): (Option<String>, Vec<Unstable>),
) -> (RunResult, WallFacts) {
    let sc = w.model.scenario();
    let m = w.recorders.merge(sc, end);
    if end > lock(&w.gauges).last() {
        let areas: Vec<(u128, u128)> = m
            .stations
            .iter()
            .map(|s| (s.busy_area, s.queue_area))
            .collect();
        let errors = crate::metrics::OpStats::errors_by_kind_of(&m.ops);
        w.sample_gauges_from(end, &areas, errors);
    }
    let stations = m
        .stations
        .into_iter()
        .zip(&w.stations)
        .enumerate()
        .map(|(i, (mut stats, st))| {
            stats.max_queue = st.max_queued.load(Relaxed);
            capacity::finish(w, i, &mut stats, end);
            stats
        })
        .collect();
    let gauges = std::mem::replace(
        &mut *lock(&w.gauges),
        Gauges::new(w.model.warmup(), Vec::new()),
    );
    let measured = Measured {
        ops: m.ops,
        stations,
        series: m.series,
        gauges,
        events: m.events,
        end,
        left_in_queues: w
            .stations
            .iter()
            .map(|s| s.queued.load(Relaxed) as u64)
            .sum(),
        interrupted,
        diverged,
        unstable,
    };
    let cache = w.cache.as_ref().map(lock);
    let mut result = w.model.result(measured, cache.as_deref());
    if w.stress {
        // A stress run models no stations.
        result.stations.clear();
    }
    let (acq, contended) = w.model.business().lock_counts().unwrap_or((0, 0));
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
    (result, facts)
}
