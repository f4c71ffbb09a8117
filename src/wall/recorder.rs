//! Per-thread recorders for the wall clock.
//!
//! Each worker thread records into its own recorder (histograms, counters,
//! time series), reached through a thread-local; the only lock a record
//! takes is that recorder's own, which no other thread touches until the
//! run ends. At the end the recorders are merged (histograms add exactly).

use std::cell::RefCell;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::{Arc, Mutex, PoisonError};

use hdrhistogram::Histogram;

use crate::contract::{ErrorKind, N_ERROR_KINDS};
use crate::kernel::time::SimTime;
use crate::metrics::result::merge_series;
use crate::metrics::series::{Series, SeriesRow};
use crate::metrics::{OpStats, StationStats, latency_histogram};
use crate::scenario::model::Scenario;

/// What one thread measured.
pub struct Recorder {
    /// Per operation.
    pub ops: Vec<OpStats>,
    /// Per station instance.
    pub stations: Vec<StationStats>,
    /// Time series.
    pub series: Series,
    /// Events (operations and station visits).
    pub events: u64,
    /// Generator lag: how late each arrival started, wall ns.
    pub lag: Histogram<u64>,
}

impl Recorder {
    fn new(sc: &Scenario, warmup: SimTime) -> Self {
        Recorder {
            ops: (0..sc.op_count()).map(|_| OpStats::default()).collect(),
            stations: sc
                .stations
                .iter()
                .map(|_| StationStats::default())
                .collect(),
            series: Series::new(warmup, sc.report_interval, sc.op_count()),
            events: 0,
            lag: latency_histogram(),
        }
    }

    /// Records a completed operation (latency in model ns) at model `now`.
    pub fn op(&mut self, op: usize, now: SimTime, latency_ns: u64, error: Option<ErrorKind>) {
        self.ops[op].record(latency_ns, error);
        self.series.record(now, op, latency_ns, error.is_some());
    }
}

static RUN_IDS: AtomicU64 = AtomicU64::new(1);

thread_local! {
    static LOCAL: RefCell<Option<(u64, Arc<Mutex<Recorder>>)>> = const { RefCell::new(None) };
}

/// The recorders of one run.
pub struct Recorders {
    id: u64,
    warmup: SimTime,
    all: Mutex<Vec<Arc<Mutex<Recorder>>>>,
}

impl Recorders {
    /// Recorders for a new run.
    pub fn new(warmup: SimTime) -> Self {
        Recorders {
            id: RUN_IDS.fetch_add(1, Relaxed),
            warmup,
            all: Mutex::new(Vec::new()),
        }
    }

    /// Runs `f` on the calling thread's recorder for this run.
    pub fn with<R>(&self, sc: &Scenario, f: impl FnOnce(&mut Recorder) -> R) -> R {
        let rec = LOCAL.with(|cell| {
            let mut local = cell.borrow_mut();
            match &*local {
                Some((id, r)) if *id == self.id => r.clone(),
                _ => {
                    let r = Arc::new(Mutex::new(Recorder::new(sc, self.warmup)));
                    self.all
                        .lock()
                        .unwrap_or_else(PoisonError::into_inner)
                        .push(r.clone());
                    *local = Some((self.id, r.clone()));
                    r
                }
            }
        });
        // Uncontended: only this thread records into it during the run.
        let mut guard = rec.lock().unwrap_or_else(PoisonError::into_inner);
        f(&mut guard)
    }

    /// Every thread's station integrals (busy, queue) and failures by kind
    /// so far, summed: what the gauges of an interval difference.
    pub fn totals(&self) -> (Vec<(u128, u128)>, [u64; N_ERROR_KINDS]) {
        let mut areas: Vec<(u128, u128)> = Vec::new();
        let mut errors = [0; N_ERROR_KINDS];
        let all = self.all.lock().unwrap_or_else(PoisonError::into_inner);
        for r in all.iter() {
            let r = r.lock().unwrap_or_else(PoisonError::into_inner);
            if areas.len() < r.stations.len() {
                areas.resize(r.stations.len(), (0, 0));
            }
            for (a, s) in areas.iter_mut().zip(&r.stations) {
                a.0 += s.busy_area;
                a.1 += s.queue_area;
            }
            for (t, n) in errors.iter_mut().zip(OpStats::errors_by_kind_of(&r.ops)) {
                *t += n;
            }
        }
        (areas, errors)
    }

    /// Merges every thread's recorder; `end` closes the time series.
    pub fn merge(&self, sc: &Scenario, end: SimTime) -> Merged {
        let mut m = Merged {
            ops: (0..sc.op_count()).map(|_| OpStats::default()).collect(),
            stations: sc
                .stations
                .iter()
                .map(|_| StationStats::default())
                .collect(),
            series: Vec::new(),
            events: 0,
            lag: latency_histogram(),
        };
        let all = std::mem::take(&mut *self.all.lock().unwrap_or_else(PoisonError::into_inner));
        for r in all {
            let rec = match Arc::try_unwrap(r) {
                Ok(m) => m.into_inner().unwrap_or_else(PoisonError::into_inner),
                // A thread still holds it in its thread-local: take it out.
                Err(shared) => {
                    let mut g = shared.lock().unwrap_or_else(PoisonError::into_inner);
                    std::mem::replace(&mut *g, Recorder::new(sc, self.warmup))
                }
            };
            for (a, b) in m.ops.iter_mut().zip(&rec.ops) {
                a.merge(b);
            }
            for (a, b) in m.stations.iter_mut().zip(&rec.stations) {
                a.merge(b);
            }
            m.series = merge_series(&m.series, &rec.series.finish(end));
            m.events += rec.events;
            // Cannot fail: both have the standard bounds.
            let _ = m.lag.add(&rec.lag);
        }
        m
    }
}

/// All threads' measurements together.
pub struct Merged {
    /// Per operation.
    pub ops: Vec<OpStats>,
    /// Per station instance.
    pub stations: Vec<StationStats>,
    /// Time series.
    pub series: Vec<SeriesRow>,
    /// Events.
    pub events: u64,
    /// Generator lag, wall ns.
    pub lag: Histogram<u64>,
}
