//! The queue watch: which stations take work faster than they serve it,
//! seen while the run goes on, on both clocks alike.
//!
//! The clock shows the watch every station's queue at regular checks (the
//! virtual clock every [`WATCH_EVERY`] events and at the end of every
//! report interval, the wall clock every 20 ms of wall time), the warmup
//! included. A station group whose queue (summed
//! over its shards) grew at each of [`RISING_CHECKS`] checks in a row,
//! while virtual time moved on, and reached [`UNSTABLE_QUEUE`] requests
//! and [`UNSTABLE_PER_WORKER`] per worker, is flagged once, as an
//! [`Unstable`]. A stable queue, even a busy one, does not rise that far
//! that steadily. This is measured, not predicted, so it catches what
//! feedback does as well as what the offered load does; it warns before
//! the memory guard has to stop the run.

use std::ops::Range;

use crate::kernel::time::SimTime;

/// The virtual clock shows the watch its queues every this many events.
pub const WATCH_EVERY: u64 = 1 << 12;
/// Checks in a row a queue must grow at before it is called unstable.
pub const RISING_CHECKS: u32 = 5;
/// The least queue (requests waiting) called unstable.
pub const UNSTABLE_QUEUE: u64 = 1000;
/// The least queue per worker called unstable.
pub const UNSTABLE_PER_WORKER: u64 = 100;

/// A station group whose queue grew without stopping.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Unstable {
    /// The `[stations.NAME]` name.
    pub station: String,
    /// When it was flagged, seconds of virtual time.
    pub at_s: f64,
    /// Requests waiting then.
    pub queue: u64,
    /// How fast the queue grew while it rose, requests per second.
    pub growth_per_s: f64,
}

/// A station group the watch looks at.
#[derive(Clone, Debug)]
pub struct Watched {
    /// The `[stations.NAME]` name.
    pub name: String,
    /// Its instances (shards), as station indices.
    pub stations: Range<usize>,
    /// Workers over all its instances.
    pub workers: u32,
}

/// A group's rising streak.
#[derive(Clone, Copy, Debug, Default)]
struct Streak {
    /// Checks in a row the queue grew at.
    rising: u32,
    /// The previous check: time and queue.
    prev: (SimTime, u64),
    /// Where the streak started: time and queue.
    from: (SimTime, u64),
    /// Already flagged.
    flagged: bool,
}

/// Watches the queues of a run's station groups.
#[derive(Clone, Debug)]
pub struct QueueWatch {
    groups: Vec<Watched>,
    streaks: Vec<Streak>,
    /// Groups flagged so far, in the order flagged.
    pub unstable: Vec<Unstable>,
}

impl QueueWatch {
    /// A watch over `groups`.
    pub fn new(groups: Vec<Watched>) -> Self {
        QueueWatch {
            streaks: vec![Streak::default(); groups.len()],
            groups,
            unstable: Vec::new(),
        }
    }

    /// A check at `now`: `queued(i)` is what station instance `i` holds
    /// waiting. Returns true when it flagged a group.
    pub fn observe(&mut self, now: SimTime, queued: &dyn Fn(usize) -> u64) -> bool {
        let mut flagged = false;
        for (g, s) in self.groups.iter().zip(&mut self.streaks) {
            let q: u64 = g.stations.clone().map(queued).sum();
            if now <= s.prev.0 {
                // Time has not moved: not a trend, and not a new sample.
                continue;
            }
            if q > s.prev.1 {
                if s.rising == 0 {
                    s.from = s.prev;
                }
                s.rising += 1;
            } else {
                s.rising = 0;
            }
            s.prev = (now, q);
            let big = q >= UNSTABLE_QUEUE.max(UNSTABLE_PER_WORKER * g.workers as u64);
            if s.rising >= RISING_CHECKS && big && !s.flagged {
                s.flagged = true;
                flagged = true;
                let span = now.since(s.from.0).as_secs_f64();
                self.unstable.push(Unstable {
                    station: g.name.clone(),
                    at_s: now.as_secs_f64(),
                    queue: q,
                    growth_per_s: (q - s.from.1) as f64 / span,
                });
            }
        }
        flagged
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kernel::time::SimDuration;

    fn watch() -> QueueWatch {
        QueueWatch::new(vec![Watched {
            name: "db".into(),
            stations: 0..2,
            workers: 4,
        }])
    }

    fn at(s: u64) -> SimTime {
        SimTime::ZERO + SimDuration::from_nanos(s * 1_000_000_000)
    }

    #[test]
    fn a_queue_rising_past_the_threshold_is_flagged_once_with_its_growth() {
        let mut w = watch();
        // Two shards, each +300 per second: the group grows 600/s.
        for t in 1..=10u64 {
            let flagged = w.observe(at(t), &|_| 300 * t);
            assert_eq!(flagged, t == 5, "t={t}");
        }
        assert_eq!(w.unstable.len(), 1);
        let u = &w.unstable[0];
        assert_eq!((u.station.as_str(), u.queue), ("db", 3000));
        assert_eq!(u.at_s, 5.0);
        assert!((u.growth_per_s - 600.0).abs() < 1e-9, "{}", u.growth_per_s);
    }

    #[test]
    fn a_queue_that_stops_rising_or_stays_small_is_not_flagged() {
        let mut w = watch();
        // Rises 4 checks, dips, rises 4 more: never 5 in a row.
        let qs = [600, 700, 800, 900, 850, 900, 1000, 1100, 1200, 1100];
        for (t, q) in qs.iter().enumerate() {
            assert!(!w.observe(at(t as u64 + 1), &|_| *q));
        }
        // Rising for ever, but below 1000 requests in all.
        let mut small = watch();
        for t in 1..=50u64 {
            assert!(!small.observe(at(t), &|_| 9 * t));
        }
        assert!(w.unstable.is_empty() && small.unstable.is_empty());
    }

    #[test]
    fn checks_at_one_instant_are_not_a_trend() {
        let mut w = watch();
        for k in 1..=20u64 {
            assert!(!w.observe(at(1), &|_| 1000 * k));
        }
    }
}
