//! Capacity that moves, decided once for both clocks: when a station's
//! workers change ([`changes`]) and what its autoscaler does at the end of
//! each period ([`Scaler`]).
//!
//! A schedule is a list of timed counts. An autoscaler is a periodic
//! timer: at each period's end the clock hands over the period's time
//! integrals (busy workers, waiting requests, workers present plus
//! provisioning) and applies the [`Decision`]: start workers, each ready
//! after its own cold start drawn here from the station's own stream (so
//! cold starts do not depend on anything else in the run), or remove
//! workers, those still provisioning first (the newest first), then
//! serving ones, each finishing its current request.

use crate::backend::autoscale::{Autoscaler, Metric};
use crate::kernel::dist::Sampler;
use crate::kernel::rng::{SimRng, StreamKind, stream};
use crate::kernel::time::{SimDuration, SimTime};
use crate::scenario::model::{Autoscale, Capacity, Scenario};

/// A scheduled change: from `at`, station `station` has `workers`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Change {
    /// When.
    pub at: SimTime,
    /// The station instance.
    pub station: u16,
    /// Its workers from then on.
    pub workers: u32,
}

/// Every scheduled change of `sc` after the start (the count at 0 is the
/// station's `workers`), by station then time.
pub fn changes(sc: &Scenario) -> Vec<Change> {
    let mut out = Vec::new();
    for (i, st) in sc.stations.iter().enumerate() {
        if let Capacity::Schedule(steps) = &st.capacity {
            for s in steps.iter().skip(1) {
                out.push(Change {
                    at: SimTime::ZERO + s.at,
                    station: i as u16,
                    workers: s.workers,
                });
            }
        }
    }
    out
}

/// What an autoscaler decided at the end of a period.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Decision {
    /// Keep the count.
    Hold,
    /// Start this many workers (draw each one's cold start with
    /// [`Scaler::cold_start`]).
    Add(u32),
    /// Remove this many: provisioning ones first, newest first.
    Remove(u32),
}

/// One autoscaled station's decision maker.
pub struct Scaler {
    /// The station instance.
    pub station: u16,
    /// Time between decisions.
    pub period: SimDuration,
    metric: Metric,
    rule: Autoscaler,
    cold: Sampler,
    rng: SimRng,
}

impl Scaler {
    /// A scaler per autoscaled station of `sc`, in station order.
    pub fn all(sc: &Scenario) -> Vec<Scaler> {
        sc.stations
            .iter()
            .enumerate()
            .filter_map(|(i, st)| match &st.capacity {
                Capacity::Autoscale(a) => Some(Scaler::new(sc.seed, i as u16, a)),
                _ => None,
            })
            .collect()
    }

    fn new(seed: u64, station: u16, a: &Autoscale) -> Scaler {
        Scaler {
            station,
            period: a.period,
            metric: a.metric,
            rule: Autoscaler::new(a.rule),
            // Validation compiled every distribution once already.
            cold: a.provisioning.sampler().unwrap_or(Sampler::Constant(0.0)),
            rng: stream(seed, StreamKind::Capacity, u64::from(station)),
        }
    }

    /// The decision at `now`, the end of a period, with `current` workers
    /// (provisioning included, retiring ones not) and the period's
    /// integrals `[busy, queue, workers]`.
    pub fn decide(&mut self, now: SimTime, current: u32, areas: [u128; 3]) -> Decision {
        let [busy, queue, workers] = areas.map(|a| a as f64);
        let observed = self.metric.observe(busy, queue, workers);
        let want = self.rule.decide(now, current, observed);
        match want.cmp(&current) {
            std::cmp::Ordering::Greater => Decision::Add(want - current),
            std::cmp::Ordering::Less => Decision::Remove(current - want),
            std::cmp::Ordering::Equal => Decision::Hold,
        }
    }

    /// The cold start of the next worker added.
    pub fn cold_start(&mut self) -> SimDuration {
        SimDuration::from_nanos(self.cold.sample_nanos(&mut self.rng))
    }
}
