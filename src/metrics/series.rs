//! The time series: per interval and operation, what completed.
//!
//! Requests are bucketed by completion time into intervals of the scenario's
//! `report_interval`, counted from the end of the warmup. Only the current
//! interval is held in memory; each finished interval becomes rows, so a
//! long run costs rows, not histograms. An interval in which an operation
//! completed nothing has no row for it; the `ALL` row is always written.

use super::Waits;
use crate::kernel::time::{SimDuration, SimTime};

/// One row of `timeseries.csv`.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct SeriesRow {
    /// Interval start, seconds of virtual time.
    pub t_s: f64,
    /// Operation index, or the number of operations for `ALL`.
    pub op: usize,
    /// Requests completed in the interval.
    pub count: u64,
    /// Of which failed.
    pub errors: u64,
    /// Mean latency, ms.
    pub mean_ms: f64,
    /// Median latency, ms.
    pub p50_ms: f64,
    /// 99th percentile latency, ms.
    pub p99_ms: f64,
    /// Cache hits / lookups in the interval (empty when no lookups).
    pub cache_hit_rate: Option<f64>,
    /// 95th percentile latency, ms (the last column of `timeseries.csv`:
    /// added after the contract's first columns).
    pub p95_ms: f64,
    /// Retries sent in the interval on behalf of the operation's requests.
    pub retries: u64,
}

struct Bucket {
    count: u64,
    errors: u64,
    retries: u64,
    sum_ns: u128,
    hist: Waits,
}

impl Bucket {
    fn new() -> Self {
        Bucket {
            count: 0,
            errors: 0,
            retries: 0,
            sum_ns: 0,
            hist: Waits::default(),
        }
    }

    #[inline]
    fn record(&mut self, latency_ns: u64, error: bool) {
        self.count += 1;
        self.errors += error as u64;
        self.sum_ns += latency_ns as u128;
        self.hist.record(latency_ns.max(1));
    }
}

/// Builds the time series while the run goes.
pub struct Series {
    /// Operations; bucket `ops` is `ALL`.
    ops: usize,
    origin: SimTime,
    interval: u64,
    index: u64,
    next_boundary: SimTime,
    buckets: Vec<Bucket>,
    lookups: u64,
    hits: u64,
    rows: Vec<SeriesRow>,
}

impl Series {
    /// A series of `ops` operations starting at `origin` (the end of the
    /// warmup).
    pub fn new(origin: SimTime, interval: SimDuration, ops: usize) -> Self {
        let interval = interval.as_nanos().max(1);
        Series {
            ops,
            origin,
            interval,
            index: 0,
            next_boundary: origin + SimDuration::from_nanos(interval),
            buckets: (0..=ops).map(|_| Bucket::new()).collect(),
            lookups: 0,
            hits: 0,
            rows: Vec::new(),
        }
    }

    /// Records a request of operation `op` completed at `now`.
    #[inline]
    pub fn record(&mut self, now: SimTime, op: usize, latency_ns: u64, error: bool) {
        self.advance(now);
        self.buckets[op].record(latency_ns, error);
    }

    /// Records a retry of operation `op` sent at `now`.
    #[inline]
    pub fn retried(&mut self, now: SimTime, op: usize) {
        self.advance(now);
        self.buckets[op].retries += 1;
    }

    /// Records a cache lookup at `now`.
    #[inline]
    pub fn cache_lookup(&mut self, now: SimTime, hit: bool) {
        self.advance(now);
        self.lookups += 1;
        self.hits += hit as u64;
    }

    /// Closes every interval that ended at or before `now`.
    #[inline]
    pub fn advance(&mut self, now: SimTime) {
        while now >= self.next_boundary {
            self.flush();
        }
    }

    fn flush(&mut self) {
        let t_s = (self.origin + SimDuration::from_nanos(self.index * self.interval)).as_secs_f64();
        let hit_rate = (self.lookups > 0).then(|| self.hits as f64 / self.lookups as f64);
        // The ALL bucket is the sum of the operations' (histograms add
        // exactly), built once per interval rather than on every record.
        let (ops, all) = self.buckets.split_at_mut(self.ops);
        let all = &mut all[0];
        for b in ops.iter().filter(|b| b.count > 0 || b.retries > 0) {
            all.count += b.count;
            all.retries += b.retries;
            all.errors += b.errors;
            all.sum_ns += b.sum_ns;
            all.hist.add(&b.hist);
        }
        for (op, b) in self.buckets.iter_mut().enumerate() {
            if b.count > 0 || b.retries > 0 || op == self.ops {
                let ms = |ns: u64| ns as f64 / 1e6;
                self.rows.push(SeriesRow {
                    t_s,
                    op,
                    count: b.count,
                    errors: b.errors,
                    mean_ms: if b.count == 0 {
                        0.0
                    } else {
                        b.sum_ns as f64 / b.count as f64 / 1e6
                    },
                    p50_ms: ms(b.hist.value_at_quantile(0.5)),
                    p99_ms: ms(b.hist.value_at_quantile(0.99)),
                    cache_hit_rate: hit_rate,
                    p95_ms: ms(b.hist.value_at_quantile(0.95)),
                    retries: b.retries,
                });
            }
            b.retries = 0;
            if b.count > 0 {
                b.count = 0;
                b.errors = 0;
                b.sum_ns = 0;
                b.hist.reset();
            }
        }
        self.lookups = 0;
        self.hits = 0;
        self.index += 1;
        self.next_boundary += SimDuration::from_nanos(self.interval);
    }

    /// Closes the interval containing `end` (partial) and returns all rows.
    pub fn finish(mut self, end: SimTime) -> Vec<SeriesRow> {
        self.advance(end);
        if end > self.origin {
            self.flush();
        }
        self.rows
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::contract::action::N_ACTIONS;

    #[test]
    fn rows_per_interval_with_all() {
        let mut s = Series::new(SimTime(1_000), SimDuration(100), N_ACTIONS);
        s.record(SimTime(1_010), 2, 5_000_000, false);
        s.record(SimTime(1_050), 2, 7_000_000, true);
        s.cache_lookup(SimTime(1_060), true);
        s.record(SimTime(1_250), 0, 1_000_000, false); // third interval
        let rows = s.finish(SimTime(1_260));
        // Interval 0: op 2 + ALL; interval 1: ALL only; interval 2: op 0 + ALL.
        let shape: Vec<(u64, usize, u64)> = rows
            .iter()
            .map(|r| ((r.t_s * 1e9).round() as u64, r.op, r.count))
            .collect();
        assert_eq!(
            shape,
            vec![
                (1_000, 2, 2),
                (1_000, N_ACTIONS, 2),
                (1_100, N_ACTIONS, 0),
                (1_200, 0, 1),
                (1_200, N_ACTIONS, 1)
            ]
        );
        assert_eq!(rows[0].errors, 1);
        assert!((rows[0].mean_ms - 6.0).abs() < 1e-9);
        assert!(rows[0].p50_ms <= rows[0].p95_ms && rows[0].p95_ms <= rows[0].p99_ms);
        assert!((rows[0].p95_ms - 7.0).abs() < 0.2, "{}", rows[0].p95_ms);
        assert_eq!(rows[0].cache_hit_rate, Some(1.0));
        assert_eq!(rows[2].cache_hit_rate, None);
    }
}
