//! What a run measured: latency histograms per operation, station and cache
//! counters, and the time series.
//!
//! Latencies are recorded as integer nanoseconds in HdrHistograms with
//! explicit bounds (1 ns to [`MAX_LATENCY_NS`], 3 significant digits);
//! values above the bound saturate. Exact sums are kept beside each
//! histogram so means are not subject to bucket rounding. Everything here
//! excludes the warmup: a request counts if it started at or after it.

pub mod codec;
pub mod gauges;
pub mod hgrm;
pub mod result;
pub mod series;
pub mod stats;
pub mod tap;
pub mod watch;

use hdrhistogram::Histogram;

use crate::contract::{ErrorKind, N_ERROR_KINDS};

/// Largest latency a histogram can hold: one day.
pub const MAX_LATENCY_NS: u64 = 86_400 * 1_000_000_000;
/// Significant digits of every latency histogram.
pub const SIGFIG: u8 = 3;

/// Significant digits of station wait and time-series histograms: 1%
/// resolution is plenty for a p99 wait or a chart, and it keeps one at
/// 41 KiB (sharded inventories can have thousands of stations).
pub const WAIT_SIGFIG: u8 = 2;

/// A latency histogram with the standard bounds.
pub fn latency_histogram() -> Histogram<u64> {
    histogram(SIGFIG)
}

/// A histogram from 1 ns to [`MAX_LATENCY_NS`] with `sigfig` digits.
pub fn histogram(sigfig: u8) -> Histogram<u64> {
    // Cannot fail: the bounds are constants that satisfy
    // 1 <= low, high >= 2 * low, and callers pass sigfig <= 5.
    Histogram::new_with_bounds(1, MAX_LATENCY_NS, sigfig)
        .expect("constant histogram bounds are valid")
}

/// A histogram with the standard bounds and `D` significant digits that
/// takes its memory on its first record: a run keeps one per operation,
/// station and time-series bucket, and zero-filling them (300 KiB at 3
/// digits, 41 KiB at 2) for each one a run never touches was a tenth of a
/// short run. Reads (through `Deref`) see an empty histogram until then;
/// the serialized form is the same either way.
#[derive(Clone, Debug, Default)]
pub struct Lazy<const D: u8>(Option<Histogram<u64>>);

/// An operation's latencies ([`SIGFIG`] digits).
pub type Latency = Lazy<SIGFIG>;
/// A station's waits or a time-series bucket's latencies ([`WAIT_SIGFIG`]
/// digits).
pub type Waits = Lazy<WAIT_SIGFIG>;

/// The reading of a histogram of `sigfig` digits that was never recorded.
fn empty(sigfig: u8) -> &'static Histogram<u64> {
    use std::sync::OnceLock;
    // `histogram` accepts 0..=5 digits.
    static EMPTY: [OnceLock<Histogram<u64>>; 6] = [const { OnceLock::new() }; 6];
    EMPTY[usize::from(sigfig.min(5))].get_or_init(|| histogram(sigfig))
}

impl<const D: u8> Lazy<D> {
    /// Records `ns`, saturating at the upper bound.
    #[inline]
    pub fn record(&mut self, ns: u64) {
        self.0
            .get_or_insert_with(|| histogram(D))
            .saturating_record(ns);
    }

    /// Records `n` times `ns`, saturating at the upper bound.
    pub fn record_n(&mut self, ns: u64, n: u64) {
        self.0
            .get_or_insert_with(|| histogram(D))
            .saturating_record_n(ns, n);
    }

    /// Adds `other`'s counts (exact: bucket by bucket).
    pub fn add(&mut self, other: &Lazy<D>) {
        if let Some(o) = &other.0 {
            // Cannot fail: both histograms have the standard bounds.
            self.0
                .get_or_insert_with(|| histogram(D))
                .add(o)
                .expect("histograms share bounds");
        }
    }

    /// Empties the histogram, keeping its memory.
    pub fn reset(&mut self) {
        if let Some(h) = &mut self.0 {
            h.reset();
        }
    }
}

impl<const D: u8> std::ops::Deref for Lazy<D> {
    type Target = Histogram<u64>;

    fn deref(&self) -> &Histogram<u64> {
        self.0.as_ref().unwrap_or_else(|| empty(D))
    }
}

impl<const D: u8> serde::Serialize for Lazy<D> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        codec::serialize(self, s)
    }
}

impl<'de, const D: u8> serde::Deserialize<'de> for Lazy<D> {
    fn deserialize<De: serde::Deserializer<'de>>(d: De) -> Result<Self, De::Error> {
        codec::deserialize(d).map(|h| Lazy(Some(h)))
    }
}

/// Per-operation statistics.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct OpStats {
    /// Latency of every completed request, ok or not, in ns.
    pub latency: Latency,
    /// Completed requests.
    pub count: u64,
    /// Of which failed.
    pub errors: u64,
    /// Exact sum of latencies, ns.
    pub sum_ns: u128,
    /// Failures by kind, indexed by [`ErrorKind::index`].
    pub errors_by_kind: [u64; N_ERROR_KINDS],
    /// Retries sent by the client policies of the operation's route (at
    /// any layer), for requests that started in the measured window:
    /// `count + retries` calls were made in all.
    pub retries: u64,
}

impl Default for OpStats {
    fn default() -> Self {
        OpStats {
            latency: Latency::default(),
            count: 0,
            errors: 0,
            sum_ns: 0,
            errors_by_kind: [0; N_ERROR_KINDS],
            retries: 0,
        }
    }
}

impl OpStats {
    /// Records one completed request.
    #[inline]
    pub fn record(&mut self, latency_ns: u64, error: Option<ErrorKind>) {
        self.latency.record(latency_ns.max(1));
        self.count += 1;
        self.sum_ns += latency_ns as u128;
        if let Some(k) = error {
            self.errors += 1;
            self.errors_by_kind[k.index()] += 1;
        }
    }

    /// Adds `other` into `self` (exact: histograms add bucket by bucket).
    pub fn merge(&mut self, other: &OpStats) {
        self.latency.add(&other.latency);
        self.count += other.count;
        self.errors += other.errors;
        self.sum_ns += other.sum_ns;
        for (a, b) in self.errors_by_kind.iter_mut().zip(other.errors_by_kind) {
            *a += b;
        }
        self.retries += other.retries;
    }

    /// Failures by kind over several operations.
    pub fn errors_by_kind_of(ops: &[OpStats]) -> [u64; N_ERROR_KINDS] {
        let mut total = [0; N_ERROR_KINDS];
        for o in ops {
            for (t, n) in total.iter_mut().zip(o.errors_by_kind) {
                *t += n;
            }
        }
        total
    }

    /// Mean latency in ns, 0 when empty.
    pub fn mean_ns(&self) -> f64 {
        if self.count == 0 {
            0.0
        } else {
            self.sum_ns as f64 / self.count as f64
        }
    }
}

/// Per-station statistics over the measured window.
#[derive(Clone, Debug, Default, serde::Serialize, serde::Deserialize)]
pub struct StationStats {
    /// Requests that started service.
    pub served: u64,
    /// Requests turned away by a full queue.
    pub rejected: u64,
    /// Requests that gave up waiting.
    pub timed_out: u64,
    /// Queueing delay of each request that started service or gave up, ns.
    pub wait: Waits,
    /// Exact sum of those waits, ns.
    pub wait_sum_ns: u128,
    /// Time integral of busy workers, worker·ns.
    pub busy_area: u128,
    /// Time integral of the queue length, request·ns.
    pub queue_area: u128,
    /// Longest queue seen.
    pub max_queue: u32,
    /// Every call that reached the station: served, rejected, timed out,
    /// shed, failed fast by an outage, retries included.
    pub arrivals: u64,
    /// Service time spent on requests whose caller was no longer waiting
    /// when the service ended (timed out, cancelled, orphaned, abandoned),
    /// ns.
    pub wasted_ns: u128,
    /// Time integral of the workers present (serving, or finishing a
    /// request after being removed), worker·ns: utilization's
    /// denominator.
    #[serde(default)]
    pub worker_area: u128,
    /// Time integral of workers still provisioning, worker·ns.
    #[serde(default)]
    pub provisioning_area: u128,
    /// Most workers present at once.
    #[serde(default)]
    pub max_workers: u32,
    /// Billed worker-time over the whole run (warmup and drain included,
    /// provisioning workers too), worker·ns.
    #[serde(default)]
    pub billed_area: u128,
}

impl StationStats {
    /// Requests whose wait was recorded.
    pub fn waited(&self) -> u64 {
        self.served + self.timed_out
    }

    /// Adds `other` into `self`.
    pub fn merge(&mut self, other: &StationStats) {
        self.served += other.served;
        self.rejected += other.rejected;
        self.timed_out += other.timed_out;
        self.wait.add(&other.wait);
        self.wait_sum_ns += other.wait_sum_ns;
        self.busy_area += other.busy_area;
        self.queue_area += other.queue_area;
        self.max_queue = self.max_queue.max(other.max_queue);
        self.arrivals += other.arrivals;
        self.wasted_ns += other.wasted_ns;
        self.worker_area += other.worker_area;
        self.provisioning_area += other.provisioning_area;
        self.max_workers = self.max_workers.max(other.max_workers);
        self.billed_area += other.billed_area;
    }
}
