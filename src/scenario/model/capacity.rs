//! Capacity that moves: a station's worker `schedule`, its autoscaler, and
//! what a worker-hour costs.
//!
//! Validated in `validate/capacity.rs`: a schedule starts at `0s`, its
//! times increase and every count is at least 1; an autoscaler's bounds
//! hold its starting count. Defaults are defined here.

use crate::backend::autoscale::{Metric, Rule};
use crate::kernel::dist::Dist;
use crate::kernel::time::SimDuration;

/// Default autoscaler period: the metric is averaged over it and a
/// decision made at its end (the HPA's sync period).
pub const DEFAULT_PERIOD: SimDuration = SimDuration::from_secs(15);
/// Default tolerance around the target.
pub const DEFAULT_TOLERANCE: f64 = 0.1;
/// Default scale-down stabilization window (the HPA's five minutes).
pub const DEFAULT_STABILIZATION: SimDuration = SimDuration::from_secs(300);
/// Default fewest workers of an autoscaled station.
pub const DEFAULT_MIN: u32 = 1;

/// One step of a schedule: from `at`, `workers` workers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ScheduleStep {
    /// From when (the first step is at zero).
    pub at: SimDuration,
    /// Workers (per shard for a sharded station), >= 1.
    pub workers: u32,
}

/// `[stations.NAME.autoscale]`.
#[derive(Clone, Debug, PartialEq)]
pub struct Autoscale {
    /// What is measured (default utilization).
    pub metric: Metric,
    /// The decision rule: target (required), tolerance, bounds, steps,
    /// stabilization.
    pub rule: Rule,
    /// Averaging period and time between decisions (default
    /// [`DEFAULT_PERIOD`]).
    pub period: SimDuration,
    /// Each added worker's cold start, ns (default constant 0).
    pub provisioning: Dist,
}

/// How a station's workers move, when they do.
#[derive(Clone, Debug, PartialEq)]
pub enum Capacity {
    /// `workers` for the whole run.
    Fixed,
    /// `schedule = [...]`: workers set at given times.
    Schedule(Vec<ScheduleStep>),
    /// `[stations.NAME.autoscale]`.
    Autoscale(Box<Autoscale>),
}

impl Capacity {
    /// Does the count ever change?
    pub fn moves(&self) -> bool {
        !matches!(self, Capacity::Fixed)
    }
}
