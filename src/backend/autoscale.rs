//! The autoscaler's decision rule, the Kubernetes Horizontal Pod
//! Autoscaler's, shared by both clocks.
//!
//! Once per period the clock measures the station's [`Metric`] averaged
//! over the period and asks [`Autoscaler::decide`] for the worker count.
//! The rule, in order (docs/model.md repeats it):
//!
//! 1. ratio = observed / target; if |ratio − 1| ≤ `tolerance` the
//!    recommendation is the current count, else ⌈current × ratio⌉;
//! 2. the recommendation is clamped to `min..=max` and remembered with
//!    its time;
//! 3. a scale-down is stabilized: the count goes no lower than the highest
//!    recommendation of the last `scale_down_stabilization` (nor above the
//!    current count);
//! 4. the change is limited to `max_step_up` added or `max_step_down`
//!    removed workers.
//!
//! The rule is a pure function of its inputs and the remembered
//! recommendations: same measurements, same decisions, on either clock.

use std::collections::VecDeque;

use crate::kernel::time::{SimDuration, SimTime};

/// What the autoscaler measures, averaged over a period. Workers still
/// provisioning count in the denominator and contribute nothing, as
/// not-ready pods do.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Metric {
    /// Busy workers / workers (the default).
    #[default]
    Utilization,
    /// Waiting requests / workers.
    QueuePerWorker,
    /// (Busy + waiting) / workers.
    InFlightPerWorker,
}

impl Metric {
    /// Scenario names, in documentation order.
    pub const NAMES: [&'static str; 3] =
        ["utilization", "queue_per_worker", "in_flight_per_worker"];

    /// The metric called `name` in a scenario.
    pub fn from_name(name: &str) -> Option<Metric> {
        match name {
            "utilization" => Some(Metric::Utilization),
            "queue_per_worker" => Some(Metric::QueuePerWorker),
            "in_flight_per_worker" => Some(Metric::InFlightPerWorker),
            _ => None,
        }
    }

    /// The scenario name.
    pub fn name(self) -> &'static str {
        Metric::NAMES[self as usize]
    }

    /// The metric over a period, from the time integrals of busy workers,
    /// waiting requests and workers (provisioning ones included) over it.
    pub fn observe(self, busy_area: f64, queue_area: f64, worker_area: f64) -> f64 {
        if worker_area <= 0.0 {
            return 0.0;
        }
        let num = match self {
            Metric::Utilization => busy_area,
            Metric::QueuePerWorker => queue_area,
            Metric::InFlightPerWorker => busy_area + queue_area,
        };
        num / worker_area
    }
}

/// The rule's parameters (`[stations.NAME.autoscale]`).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Rule {
    /// The metric's target value.
    pub target: f64,
    /// No change while |observed / target − 1| is at most this.
    pub tolerance: f64,
    /// Fewest workers.
    pub min: u32,
    /// Most workers.
    pub max: u32,
    /// Most workers added per decision (`None`: no limit).
    pub max_step_up: Option<u32>,
    /// Most workers removed per decision (`None`: no limit).
    pub max_step_down: Option<u32>,
    /// A scale-down goes no lower than the highest recommendation this
    /// far back.
    pub stabilization: SimDuration,
}

/// The rule with its memory of recent recommendations.
#[derive(Clone, Debug)]
pub struct Autoscaler {
    rule: Rule,
    /// `(when, recommendation)`, oldest first, within the stabilization
    /// window.
    recent: VecDeque<(SimTime, u32)>,
}

impl Autoscaler {
    /// An autoscaler following `rule`, with no recommendation yet.
    pub fn new(rule: Rule) -> Self {
        Autoscaler {
            rule,
            recent: VecDeque::new(),
        }
    }

    /// The worker count to have from `now`, with `current` workers
    /// (provisioning ones included) and the metric `observed` over the
    /// period just ended.
    pub fn decide(&mut self, now: SimTime, current: u32, observed: f64) -> u32 {
        let r = self.rule;
        let ratio = observed / r.target;
        let raw = if !ratio.is_finite() || (ratio - 1.0).abs() <= r.tolerance {
            current
        } else {
            // The small slack keeps a ratio computed as 1.2000000000000002
            // from adding a worker the exact ratio would not.
            let want = (current as f64 * ratio - 1e-9).ceil();
            want.clamp(0.0, u32::MAX as f64) as u32
        };
        let rec = raw.clamp(r.min, r.max);
        while self
            .recent
            .front()
            .is_some_and(|&(t, _)| now.since(t) > r.stabilization)
        {
            self.recent.pop_front();
        }
        self.recent.push_back((now, rec));
        let mut next = rec;
        if next < current {
            let highest = self.recent.iter().map(|&(_, n)| n).max().unwrap_or(rec);
            next = highest.min(current);
        }
        if let Some(up) = r.max_step_up {
            next = next.min(current.saturating_add(up));
        }
        if let Some(down) = r.max_step_down {
            next = next.max(current.saturating_sub(down));
        }
        next.clamp(r.min, r.max)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule() -> Rule {
        Rule {
            target: 0.75,
            tolerance: 0.1,
            min: 1,
            max: 1000,
            max_step_up: None,
            max_step_down: None,
            stabilization: SimDuration::from_secs(300),
        }
    }

    fn at(s: u64) -> SimTime {
        SimTime::ZERO + SimDuration::from_secs(s)
    }

    #[test]
    fn fifty_workers_at_ninety_percent_against_seventy_five_go_to_sixty() {
        let mut a = Autoscaler::new(rule());
        assert_eq!(a.decide(at(15), 50, 0.90), 60);
    }

    #[test]
    fn inside_the_tolerance_nothing_changes() {
        let mut a = Autoscaler::new(rule());
        // 0.80 / 0.75 = 1.067: within 10%.
        assert_eq!(a.decide(at(15), 50, 0.80), 50);
        // 0.70 / 0.75 = 0.933: within 10% too.
        assert_eq!(a.decide(at(30), 50, 0.70), 50);
        // 0.84 / 0.75 = 1.12: outside, ⌈50 × 1.12⌉ = 56.
        assert_eq!(a.decide(at(45), 50, 0.84), 56);
    }

    #[test]
    fn max_step_up_caps_a_jump_and_min_max_bound_it() {
        let mut a = Autoscaler::new(Rule {
            max_step_up: Some(4),
            ..rule()
        });
        // Would be ⌈10 × 2⌉ = 20.
        assert_eq!(a.decide(at(15), 10, 1.5), 14);
        let mut b = Autoscaler::new(Rule { max: 12, ..rule() });
        assert_eq!(b.decide(at(15), 10, 1.5), 12);
        let mut c = Autoscaler::new(Rule {
            min: 8,
            stabilization: SimDuration::ZERO,
            ..rule()
        });
        assert_eq!(c.decide(at(15), 10, 0.075), 8);
    }

    #[test]
    fn max_step_down_limits_a_drop() {
        let mut a = Autoscaler::new(Rule {
            max_step_down: Some(3),
            stabilization: SimDuration::ZERO,
            ..rule()
        });
        // Would be ⌈20 × 0.2⌉ = 4.
        assert_eq!(a.decide(at(15), 20, 0.15), 17);
    }

    #[test]
    fn stabilization_holds_a_scale_down_while_a_higher_recommendation_is_in_the_window() {
        let mut a = Autoscaler::new(rule());
        // 10 workers at 1.5: recommendation 20.
        assert_eq!(a.decide(at(0), 10, 1.5), 20);
        // Load falls: 20 × 0.3 / 0.75 = 8, held at 20 by the recommendation
        // of t = 0, still in the 5-minute window.
        assert_eq!(a.decide(at(60), 20, 0.3), 20);
        assert_eq!(a.decide(at(300), 20, 0.3), 20);
        // At 301 s the 20 has left the window; the highest left is 8.
        assert_eq!(a.decide(at(301), 20, 0.3), 8);
        // A scale-up is never held back.
        assert_eq!(a.decide(at(302), 8, 1.5), 16);
    }

    #[test]
    fn metrics_count_provisioning_workers_in_the_denominator() {
        // 10 busy of 10 ready and 10 provisioning, over one second.
        let (busy, queue, workers) = (10.0, 40.0, 20.0);
        assert_eq!(Metric::Utilization.observe(busy, queue, workers), 0.5);
        assert_eq!(Metric::QueuePerWorker.observe(busy, queue, workers), 2.0);
        assert_eq!(Metric::InFlightPerWorker.observe(busy, queue, workers), 2.5);
        assert_eq!(
            Metric::from_name("queue_per_worker"),
            Some(Metric::QueuePerWorker)
        );
        assert_eq!(Metric::InFlightPerWorker.name(), "in_flight_per_worker");
    }
}
