//! Gauges: what the system looked like in each report interval.
//!
//! Sampled by the engine at the end of every interval (from the end of the
//! warmup): the session arrival rate, each station's utilization and mean
//! queue length over the interval (sharded stations as one group), the
//! errors of the interval by kind, and the business layer's own gauges
//! (the doorbusters' stock). Rows are `(t_s, gauge, value)` with `t_s` the
//! interval's start, in time order, gauges in a fixed order within it.

use std::collections::BTreeMap;

use super::{ErrorKind, N_ERROR_KINDS, OpStats};
use crate::scenario::model::Scenario;
use crate::sim::station::Station;
use crate::sim::time::SimTime;

/// One row of `gauges.csv`.
#[derive(Clone, Debug, PartialEq)]
pub struct GaugeRow {
    /// Interval start, seconds.
    pub t_s: f64,
    /// Gauge name: `arrivals_per_s`, `utilization.STATION`,
    /// `queue_len.STATION`, `errors.KIND`, or a business gauge.
    pub gauge: String,
    /// Value over (or, for a business gauge, at the end of) the interval.
    pub value: f64,
}

/// Cumulative values at the previous sample.
pub struct Gauges {
    last: SimTime,
    sessions: u64,
    busy: Vec<u128>,
    queue: Vec<u128>,
    errors: [u64; N_ERROR_KINDS],
    /// The rows so far.
    pub rows: Vec<GaugeRow>,
}

impl Gauges {
    /// Gauges starting at `origin` (the end of the warmup).
    pub fn new(sc: &Scenario, origin: SimTime) -> Self {
        Gauges {
            last: origin,
            sessions: 0,
            busy: vec![0; sc.groups.len()],
            queue: vec![0; sc.groups.len()],
            errors: [0; N_ERROR_KINDS],
            rows: Vec::new(),
        }
    }

    /// When the previous interval ended.
    pub fn last(&self) -> SimTime {
        self.last
    }

    /// Closes the interval ending at `now`. Station integrals must be
    /// up to date; `sessions` counts the sessions started since the warmup.
    pub fn sample(
        &mut self,
        now: SimTime,
        sc: &Scenario,
        stations: &[Station],
        ops: &[OpStats],
        sessions: u64,
        business: Vec<(String, f64)>,
    ) {
        let dt = now.since(self.last).as_nanos() as f64;
        if dt <= 0.0 {
            return;
        }
        let t_s = self.last.as_secs_f64();
        let mut row = |gauge: String, value: f64| self.rows.push(GaugeRow { t_s, gauge, value });
        let started = sessions - self.sessions.min(sessions);
        row("arrivals_per_s".into(), started as f64 / (dt / 1e9));
        let used = sc.used_stations();
        for (g, group) in sc.groups.iter().enumerate() {
            let range = group.first as usize..(group.first + group.shards) as usize;
            if !used[range.clone()].iter().any(|u| *u) {
                continue;
            }
            let busy: u128 = stations[range.clone()]
                .iter()
                .map(|s| s.stats.busy_area)
                .sum();
            let queue: u128 = stations[range.clone()]
                .iter()
                .map(|s| s.stats.queue_area)
                .sum();
            let workers: u32 = stations[range].iter().map(|s| s.workers).sum();
            row(
                format!("utilization.{}", group.name),
                (busy - self.busy[g]) as f64 / (workers as f64 * dt),
            );
            row(
                format!("queue_len.{}", group.name),
                (queue - self.queue[g]) as f64 / dt,
            );
            self.busy[g] = busy;
            self.queue[g] = queue;
        }
        for k in ErrorKind::ALL {
            let total: u64 = ops.iter().map(|o| o.errors_by_kind[k.index()]).sum();
            let delta = total - self.errors[k.index()];
            if delta > 0 {
                row(format!("errors.{}", k.name()), delta as f64);
            }
            self.errors[k.index()] = total;
        }
        for (name, value) in business {
            row(name, value);
        }
        self.sessions = sessions;
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
