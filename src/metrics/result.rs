//! What a run produced, and how replications merge.

use std::collections::BTreeMap;

use crate::backend::cache::CacheStats;
use crate::contract::business::BusinessOutcome;
use crate::kernel::time::SimTime;
use crate::metrics::gauges::GaugeRow;
use crate::metrics::series::SeriesRow;
use crate::metrics::watch::Unstable;
use crate::metrics::{OpStats, StationStats};

/// Wall-clock facts of a wall or stress run, for the console and
/// `run.json` (never the CSVs: they differ from run to run).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct WallFacts {
    /// Wall seconds per model second.
    pub time_scale: f64,
    /// How late operations started: p50, p99, max in wall ms.
    pub schedule_lag_ms: [f64; 3],
    /// Operations that started more than 1 ms (wall) late.
    pub late_starts: u64,
    /// Real lock acquisitions of the business (the inventory shards).
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

/// A station's name, configuration and statistics after the run.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct StationResult {
    /// Report name.
    pub name: String,
    /// Workers (the starting count when they move).
    pub workers: u32,
    /// Price of a worker-hour.
    #[serde(default)]
    pub cost_per_hour: f64,
    /// Statistics over the measured window.
    pub stats: StationStats,
}

/// Everything a run produced.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct RunResult {
    /// Per operation (by action index).
    pub ops: Vec<OpStats>,
    /// Per station instance, in scenario order; only stations some
    /// reachable operation's route can visit.
    pub stations: Vec<StationResult>,
    /// Cache counters over the measured window (`None` when disabled).
    pub cache: Option<CacheStats>,
    /// Cache-bound problems found at the end (invariant I13).
    pub cache_problems: Vec<String>,
    /// The time series.
    pub series: Vec<SeriesRow>,
    /// Gauges per report interval (`gauges.csv`).
    pub gauges: Vec<GaugeRow>,
    /// Business facts and invariant checks.
    pub business: BusinessOutcome,
    /// Sessions started in the measured window.
    pub sessions: u64,
    /// Of which abandoned by an impatient customer.
    pub sessions_abandoned: u64,
    /// Actions a customer repeated after an error (a reload), in sessions
    /// of the measured window.
    pub customer_retries: u64,
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
    /// True when the run was stopped early by the control callback or
    /// by the memory guard.
    pub interrupted: bool,
    /// Why the model diverged, when the memory guard stopped the run.
    pub diverged: Option<String>,
    /// Stations seen taking work faster than they serve it (by name, the
    /// earliest sighting of each over merged runs).
    pub unstable: Vec<Unstable>,
}

impl RunResult {
    /// Adds another run of the same scenario (a replication) into this
    /// one. Counts, sums, histograms and time integrals add exactly; the
    /// windows add, so rates and utilizations become averages over all
    /// runs. Time-series rows of the same interval and operation combine:
    /// counts add, means weight by count, and p50/p95/p99 become the
    /// count-weighted mean of the runs' interval percentiles.
    pub fn merge(&mut self, other: &RunResult) {
        for (a, b) in self.ops.iter_mut().zip(&other.ops) {
            a.merge(b);
        }
        for (a, b) in self.stations.iter_mut().zip(&other.stations) {
            a.stats.merge(&b.stats);
        }
        if let (Some(a), Some(b)) = (&mut self.cache, &other.cache) {
            a.add(b);
        }
        self.cache_problems
            .extend(other.cache_problems.iter().cloned());
        self.series = merge_series(&self.series, &other.series);
        self.gauges =
            crate::metrics::gauges::merge(&self.gauges, self.runs, &other.gauges, other.runs);
        merge_business(&mut self.business, &other.business);
        self.sessions += other.sessions;
        self.sessions_abandoned += other.sessions_abandoned;
        self.customer_retries += other.customer_retries;
        self.events += other.events;
        self.end = self.end.max(other.end);
        self.window_ns += other.window_ns;
        self.runs += other.runs;
        self.left_in_queues += other.left_in_queues;
        self.interrupted |= other.interrupted;
        if self.diverged.is_none() {
            self.diverged.clone_from(&other.diverged);
        }
        for u in &other.unstable {
            match self.unstable.iter_mut().find(|x| x.station == u.station) {
                Some(x) if u.at_s < x.at_s => *x = u.clone(),
                Some(_) => {}
                None => self.unstable.push(u.clone()),
            }
        }
    }

    /// Business metrics as reported (`Mean` ones averaged over the runs).
    pub fn business_metrics(&self) -> Vec<(String, f64)> {
        self.business
            .metrics
            .iter()
            .map(|m| (m.name.clone(), m.reported()))
            .collect()
    }
}

fn merge_business(a: &mut BusinessOutcome, b: &BusinessOutcome) {
    // Metrics by name: a replication may lack a row another has (a coupon
    // that was never redeemed); keep the union in first-seen order.
    let mut index: BTreeMap<String, usize> = a
        .metrics
        .iter()
        .enumerate()
        .map(|(i, m)| (m.name.clone(), i))
        .collect();
    for m in &b.metrics {
        match index.get(&m.name) {
            Some(&i) => {
                a.metrics[i].value += m.value;
                a.metrics[i].weight += m.weight;
            }
            None => {
                index.insert(m.name.clone(), a.metrics.len());
                a.metrics.push(m.clone());
            }
        }
    }
    for inv in &b.invariants {
        match a.invariants.iter_mut().find(|x| x.id == inv.id) {
            Some(x) => {
                x.checked += inv.checked;
                x.violations.extend(inv.violations.iter().cloned());
            }
            None => a.invariants.push(inv.clone()),
        }
    }
}

pub(crate) fn merge_series(a: &[SeriesRow], b: &[SeriesRow]) -> Vec<SeriesRow> {
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
                m.p95_ms = w(m.p95_ms, r.p95_ms);
                m.p99_ms = w(m.p99_ms, r.p99_ms);
                m.cache_hit_rate = match (m.cache_hit_rate, r.cache_hit_rate) {
                    (Some(x), Some(y)) => Some(w(x, y)),
                    (x, y) => x.or(y),
                };
                m.count += r.count;
                m.errors += r.errors;
                m.retries += r.retries;
            }
        }
    }
    rows.into_values().collect()
}
