//! Gauges: what the system looked like in each report interval.
//!
//! Sampled by the clock at the end of every interval (from the end of the
//! warmup): the session arrival rate, each station's utilization and mean
//! queue length over the interval (sharded stations as one group), the
//! errors of the interval by kind, and the business layer's own gauges
//! (the doorbusters' stock). A group whose workers move also reports its
//! mean `workers.NAME` (serving, or finishing after removal) and
//! `provisioning.NAME` per interval, and its utilization is busy time over
//! that worker time. Rows are `(t_s, gauge, value)` with `t_s` the
//! interval's start, in time order, gauges in a fixed order within it.

use std::collections::BTreeMap;
use std::ops::Range;

use crate::contract::{ErrorKind, N_ERROR_KINDS};
use crate::kernel::time::SimTime;

/// One row of `gauges.csv`.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct GaugeRow {
    /// Interval start, seconds.
    pub t_s: f64,
    /// Gauge name: `arrivals_per_s`, `utilization.STATION`,
    /// `queue_len.STATION`, `errors.KIND`, or a business gauge.
    pub gauge: String,
    /// Value over (or, for a business gauge, at the end of) the interval.
    pub value: f64,
}

/// A station group the gauges report: its name and station instances.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GaugeGroup {
    /// The `[stations.NAME]` name.
    pub name: String,
    /// Its instances (shards), as station indices.
    pub stations: Range<usize>,
    /// Its workers follow a schedule or an autoscaler.
    pub moves: bool,
}

/// A station's cumulative time integrals at a sample, and its workers.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Levels {
    /// Time integral of busy workers, worker·ns.
    pub busy_area: u128,
    /// Time integral of the queue length, request·ns.
    pub queue_area: u128,
    /// Workers.
    pub workers: u32,
    /// Time integral of workers present, worker·ns (a station whose
    /// workers move).
    pub worker_area: u128,
    /// Time integral of workers provisioning, worker·ns.
    pub provisioning_area: u128,
}

/// What the system had done by a sample: the cumulative counts the gauges
/// difference.
pub struct Totals<'a> {
    /// Per station instance.
    pub station: &'a dyn Fn(usize) -> Levels,
    /// Failed requests by kind ([`ErrorKind::index`]).
    pub errors: [u64; N_ERROR_KINDS],
    /// Sessions started since the warmup.
    pub sessions: u64,
    /// The business layer's own gauges, `(name, value)` now.
    pub business: Vec<(String, f64)>,
}

/// Cumulative values at the previous sample.
pub struct Gauges {
    last: SimTime,
    groups: Vec<GaugeGroup>,
    sessions: u64,
    busy: Vec<u128>,
    queue: Vec<u128>,
    /// Worker and provisioning integrals of groups whose workers move.
    workers: Vec<[u128; 2]>,
    errors: [u64; N_ERROR_KINDS],
    /// The rows so far.
    pub rows: Vec<GaugeRow>,
}

impl Gauges {
    /// Gauges of `groups` starting at `origin` (the end of the warmup).
    pub fn new(origin: SimTime, groups: Vec<GaugeGroup>) -> Self {
        Gauges {
            last: origin,
            sessions: 0,
            busy: vec![0; groups.len()],
            queue: vec![0; groups.len()],
            workers: vec![[0; 2]; groups.len()],
            groups,
            errors: [0; N_ERROR_KINDS],
            rows: Vec::new(),
        }
    }

    /// When the previous interval ended.
    pub fn last(&self) -> SimTime {
        self.last
    }

    /// Closes the interval ending at `now`, given the totals by then.
    pub fn sample(&mut self, now: SimTime, totals: Totals<'_>) {
        let dt = now.since(self.last).as_nanos() as f64;
        if dt <= 0.0 {
            return;
        }
        let t_s = self.last.as_secs_f64();
        let mut row = |gauge: String, value: f64| self.rows.push(GaugeRow { t_s, gauge, value });
        let started = totals.sessions - self.sessions.min(totals.sessions);
        row("arrivals_per_s".into(), started as f64 / (dt / 1e9));
        for (g, group) in self.groups.iter().enumerate() {
            let mut sum = Levels::default();
            for l in group.stations.clone().map(totals.station) {
                sum.busy_area += l.busy_area;
                sum.queue_area += l.queue_area;
                sum.workers += l.workers;
                sum.worker_area += l.worker_area;
                sum.provisioning_area += l.provisioning_area;
            }
            let busy = (sum.busy_area - self.busy[g]) as f64;
            let worker_time = if group.moves {
                (sum.worker_area - self.workers[g][0]) as f64
            } else {
                sum.workers as f64 * dt
            };
            let utilization = if worker_time > 0.0 {
                busy / worker_time
            } else {
                0.0
            };
            row(format!("utilization.{}", group.name), utilization);
            row(
                format!("queue_len.{}", group.name),
                (sum.queue_area - self.queue[g]) as f64 / dt,
            );
            if group.moves {
                let [w, p] = self.workers[g];
                row(
                    format!("workers.{}", group.name),
                    (sum.worker_area - w) as f64 / dt,
                );
                row(
                    format!("provisioning.{}", group.name),
                    (sum.provisioning_area - p) as f64 / dt,
                );
                self.workers[g] = [sum.worker_area, sum.provisioning_area];
            }
            self.busy[g] = sum.busy_area;
            self.queue[g] = sum.queue_area;
        }
        for k in ErrorKind::ALL {
            let total = totals.errors[k.index()];
            let delta = total - self.errors[k.index()];
            if delta > 0 {
                row(format!("errors.{}", k.name()), delta as f64);
            }
            self.errors[k.index()] = total;
        }
        for (name, value) in totals.business {
            row(name, value);
        }
        self.sessions = totals.sessions;
        self.last = now;
    }
}

/// Combines the gauges of two sets of replications (`na` and `nb` runs):
/// the run-weighted mean of each `(interval, gauge)`; a gauge missing from
/// one side counts as zero there.
pub fn merge(a: &[GaugeRow], na: u32, b: &[GaugeRow], nb: u32) -> Vec<GaugeRow> {
    let mut order: Vec<(u64, String)> = Vec::new();
    let mut sums: BTreeMap<(u64, String), f64> = BTreeMap::new();
    for (rows, n) in [(a, na), (b, nb)] {
        for r in rows {
            let key = ((r.t_s * 1e9).round() as u64, r.gauge.clone());
            if !sums.contains_key(&key) {
                order.push(key.clone());
            }
            *sums.entry(key).or_default() += r.value * n as f64;
        }
    }
    order.sort_by_key(|k| k.0);
    let total = (na + nb).max(1) as f64;
    order
        .into_iter()
        .map(|key| GaugeRow {
            t_s: key.0 as f64 / 1e9,
            value: sums[&key] / total,
            gauge: key.1,
        })
        .collect()
}
