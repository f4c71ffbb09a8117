//! The log of a wall-clock station whose workers move: every change of
//! its count and of the workers still provisioning, from which its
//! worker integrals (utilization's denominator, the gauges, the bill)
//! are computed. Workers retiring while they finish a request are not
//! tracked on this clock: the count drops when the change is made.

use crate::kernel::time::SimTime;

/// A station's changes, in time order.
#[derive(Clone, Debug)]
pub struct Log {
    /// `(from, workers, provisioning)`.
    changes: Vec<(SimTime, u32, u32)>,
    /// When each provisioning worker becomes ready, in the order added.
    pub provisioning: Vec<SimTime>,
}

impl Log {
    /// A station starting with `workers`.
    pub fn new(workers: u32) -> Log {
        Log {
            changes: vec![(SimTime::ZERO, workers, 0)],
            provisioning: Vec::new(),
        }
    }

    /// From `at`, `workers` serve (and `provisioning` the rest).
    pub fn record(&mut self, at: SimTime, workers: u32) {
        let last = self.changes.last().map_or(SimTime::ZERO, |c| c.0);
        self.changes
            .push((at.max(last), workers, self.provisioning.len() as u32));
    }

    /// ∫ workers and ∫ provisioning over `[from, to)`, worker·ns.
    pub fn areas(&self, from: SimTime, to: SimTime) -> [u128; 2] {
        let mut out = [0u128; 2];
        for (i, &(at, w, p)) in self.changes.iter().enumerate() {
            let until = self.changes.get(i + 1).map_or(to, |c| c.0);
            let (a, b) = (at.max(from), until.min(to));
            if b > a {
                let dt = u128::from(b.since(a).as_nanos());
                out[0] += u128::from(w) * dt;
                out[1] += u128::from(p) * dt;
            }
        }
        out
    }

    /// Most workers serving at once in `[from, to]`.
    pub fn max_workers(&self, from: SimTime, to: SimTime) -> u32 {
        let mut max = 0;
        for (i, &(at, w, _)) in self.changes.iter().enumerate() {
            let until = self.changes.get(i + 1).map_or(to, |c| c.0);
            if until >= from && at <= to {
                max = max.max(w);
            }
        }
        max
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kernel::time::SimDuration;

    fn t(s: u64) -> SimTime {
        SimTime::ZERO + SimDuration::from_secs(s)
    }

    #[test]
    fn areas_integrate_the_steps_over_the_window() {
        let mut log = Log::new(2);
        log.provisioning.push(t(40));
        log.record(t(10), 2);
        log.provisioning.clear();
        log.record(t(40), 3);
        // 2 × 10 + 2 × 30 + 3 × 20 over [0, 60); provisioning 1 × 30.
        assert_eq!(log.areas(t(0), t(60)), [140_000_000_000, 30_000_000_000]);
        // From 20 s: 2 × 20 + 3 × 20.
        assert_eq!(log.areas(t(20), t(60))[0], 100_000_000_000);
        assert_eq!(log.max_workers(t(0), t(30)), 2);
        assert_eq!(log.max_workers(t(0), t(60)), 3);
    }
}
