//! The capacity plan: what the scenario asks of each station, computed
//! before anything runs, from the validated scenario alone.
//!
//! Per station and load stage it gives the visits per session (the
//! behaviour chain's expected visits of each operation, solved exactly,
//! times the stations on its route), the offered load in Erlangs (session
//! rate × service demand per session, plus the admin streams at their own
//! rates), ρ = offered load / the configured workers, the bottleneck (the
//! station with the most demand per worker) and the highest sustainable
//! session rate by the operational laws (the bottleneck's free workers /
//! its demand per session). A station with ρ ≥ 1 in some stage is
//! overloaded: its queue grows without bound there. A closed load gets
//! the interactive response-time law's bound on throughput, N / (Z + D).
//!
//! What the chain alone does not give is approximated, as documented in
//! docs/model.md ("Capacity plan"): the cache's hit rate by Che's
//! approximation ([`crate::backend::cache::che`]), logins by the share of
//! sessions that reach a checkout, coupons by `coupon_share`, cart lines by
//! the chain, inventory shards by the popularity law, gateway retries by
//! the timeout rates. The runtime overload warning quotes this plan.

mod chain;
mod facts;
mod render;
#[cfg(test)]
mod tests;
mod walk;

pub use chain::Chain;
pub use render::{to_csv, to_text};

use crate::contract::action::{Action, N_ACTIONS, Op};
use crate::kernel::time::SimDuration;
use crate::scenario::model::{Capacity, Load, Scenario, StationKind, StationSpec, Trace};

/// One load stage: a piece of the arrival profile.
#[derive(Clone, Debug, PartialEq)]
pub struct Stage {
    /// Start, seconds.
    pub from_s: f64,
    /// End, seconds (the run's `duration` for the last).
    pub to_s: f64,
    /// Session rate at the start and at the end of the stage.
    pub rates: (f64, f64),
}

impl Stage {
    /// The highest session rate in the stage: what the plan is judged at.
    pub fn peak(&self) -> f64 {
        self.rates.0.max(self.rates.1)
    }
}

/// The plan of one station (a sharded station: its busiest shard).
#[derive(Clone, Debug, PartialEq)]
pub struct StationPlan {
    /// The group's name, `NAME[k]` for the busiest shard `k`.
    pub name: String,
    /// The `[stations.NAME]` name.
    pub group: String,
    /// Index of the instance in `Scenario::stations`.
    pub station: usize,
    /// Configured workers in each stage ([`workers_at`] its start).
    pub workers: Vec<u32>,
    /// Expected visits per session, per stage.
    pub visits: Vec<f64>,
    /// Mean service time, seconds (a pool: the mean time a permit is held,
    /// without queueing inside).
    pub service_s: f64,
    /// Busy worker-seconds per session, per stage (the service demand).
    pub demand_s: Vec<f64>,
    /// Erlangs of admin work (at the admin streams' own rates).
    pub admin_erlangs: f64,
    /// Offered load per stage, Erlangs.
    pub erlangs: Vec<f64>,
    /// Offered load / workers, per stage.
    pub rho: Vec<f64>,
    /// The highest session rate it sustains: (workers − admin Erlangs) /
    /// demand per session, at the busiest stage's visits; infinite when it
    /// serves no session.
    pub max_rate: f64,
}

impl StationPlan {
    /// True when ρ ≥ 1 in some stage.
    pub fn overloaded(&self) -> bool {
        self.rho.iter().any(|&r| r >= 1.0)
    }

    /// The stage (index) with the highest ρ.
    pub fn worst_stage(&self) -> usize {
        (0..self.rho.len())
            .max_by(|&a, &b| self.rho[a].total_cmp(&self.rho[b]))
            .unwrap_or(0)
    }
}

/// The interactive response-time law of a closed load.
#[derive(Clone, Debug, PartialEq)]
pub struct ClosedBound {
    /// Users.
    pub users: u32,
    /// Think time per session, seconds: (actions − 1) × mean think time.
    pub think_s: f64,
    /// Total service demand per session, seconds (pools excluded: their
    /// time is their nested stations').
    pub demand_s: f64,
    /// N / (Z + D): the most sessions per second N users can start.
    pub bound: f64,
}

/// The capacity plan of a scenario.
#[derive(Clone, Debug, PartialEq)]
pub struct CapacityPlan {
    /// The load stages; a closed load has one, at the rate it can reach.
    pub stages: Vec<Stage>,
    /// Expected visits of each operation per session (by `Op` index).
    pub op_visits: Vec<f64>,
    /// Operation names, by index.
    pub op_names: Vec<String>,
    /// Predicted cache hit rate per stage (`None`: no cache).
    pub cache_hit_rate: Option<Vec<f64>>,
    /// Every station with work, in `[stations]` order.
    pub stations: Vec<StationPlan>,
    /// Index in `stations` of the bottleneck.
    pub bottleneck: Option<usize>,
    /// The closed load's bound, for a closed load.
    pub closed: Option<ClosedBound>,
}

/// The workers `station` is configured with at `t`: its `schedule`'s step
/// in force then, or its starting `workers` (an autoscaler's decisions
/// depend on the run; the plan judges its starting fleet).
pub fn workers_at(station: &StationSpec, t: SimDuration) -> u32 {
    match &station.capacity {
        Capacity::Schedule(steps) => steps
            .iter()
            .take_while(|s| s.at <= t)
            .last()
            .map_or(station.workers, |s| s.workers),
        Capacity::Fixed | Capacity::Autoscale(_) => station.workers,
    }
}

impl CapacityPlan {
    /// The plan of `sc`.
    pub fn new(sc: &Scenario) -> CapacityPlan {
        let ops = sc.op_count();
        let chain = Chain::new(&sc.behavior, ops);
        let op_visits = chain
            .as_ref()
            .map_or_else(|| vec![0.0; ops], |c| c.visits.clone());
        let base = facts::Base::new(sc, chain.as_ref());
        let (mut stages, closed) = match &sc.load {
            Load::Open { stages, .. } => (open_stages(stages, sc.duration), None),
            Load::Replay { trace, speed } => (replay_stages(trace, *speed, sc.duration), None),
            Load::Closed { users, .. } => {
                let rate = base.closed_rate(sc, *users);
                (
                    vec![Stage {
                        from_s: 0.0,
                        to_s: sc.duration.as_secs_f64(),
                        rates: (rate.1, rate.1),
                    }],
                    Some(rate.0),
                )
            }
        };
        // Per stage: the walk at that stage's cache hit rates.
        let per_stage: Vec<_> = stages.iter().map(|st| base.walk(sc, st.peak())).collect();
        let admin = base.admin_load(sc);
        let mut stations = Vec::new();
        for g in &sc.groups {
            let inst = g.first as usize..(g.first + g.shards) as usize;
            // The busiest shard, by demand at the last stage's visits.
            let busiest = inst.clone().max_by(|&a, &b| {
                let d =
                    |i: usize| per_stage.iter().map(|w| w.1.busy[i]).sum::<f64>() + admin.busy[i];
                d(a).total_cmp(&d(b))
            });
            let Some(i) = busiest else { continue };
            let spec = &sc.stations[i];
            let demand: Vec<f64> = per_stage.iter().map(|w| w.1.busy[i]).collect();
            if demand.iter().all(|&d| d <= 0.0) && admin.busy[i] <= 0.0 {
                continue;
            }
            let visits: Vec<f64> = per_stage.iter().map(|w| w.1.visits[i]).collect();
            let workers: Vec<u32> = stages
                .iter()
                .map(|st| workers_at(spec, SimDuration::from_secs_f64(st.from_s)))
                .collect();
            let erlangs: Vec<f64> = stages
                .iter()
                .zip(&demand)
                .map(|(st, d)| st.peak() * d + admin.busy[i])
                .collect();
            let rho = erlangs
                .iter()
                .zip(&workers)
                .map(|(a, &c)| a / c.max(1) as f64)
                .collect();
            let peak_demand = demand.iter().copied().fold(0.0, f64::max);
            let min_workers = workers.iter().copied().min().unwrap_or(spec.workers);
            let max_rate = if peak_demand > 0.0 {
                ((min_workers as f64 - admin.busy[i]) / peak_demand).max(0.0)
            } else {
                f64::INFINITY
            };
            let service_s = match spec.kind {
                StationKind::Servers => spec.service_time.mean() / 1e9,
                StationKind::Pool => {
                    let v = visits.last().copied().unwrap_or(0.0);
                    if v > 0.0 {
                        demand.last().copied().unwrap_or(0.0) / v
                    } else {
                        0.0
                    }
                }
            };
            stations.push(StationPlan {
                name: if g.shards > 1 {
                    spec.name.clone()
                } else {
                    g.name.clone()
                },
                group: g.name.clone(),
                station: i,
                workers,
                visits,
                service_s,
                demand_s: demand,
                admin_erlangs: admin.busy[i],
                erlangs,
                rho,
                max_rate,
            });
        }
        let bottleneck = (0..stations.len())
            .filter(|&k| stations[k].max_rate.is_finite())
            .min_by(|&a, &b| stations[a].max_rate.total_cmp(&stations[b].max_rate));
        if stages.is_empty() {
            stages.push(Stage {
                from_s: 0.0,
                to_s: sc.duration.as_secs_f64(),
                rates: (0.0, 0.0),
            });
        }
        CapacityPlan {
            stages,
            op_visits,
            op_names: sc.op_names(),
            cache_hit_rate: base.cache_rates(sc, &per_stage),
            stations,
            bottleneck,
            closed,
        }
    }

    /// The highest sustainable session rate: the bottleneck's.
    pub fn max_rate(&self) -> Option<f64> {
        self.bottleneck.map(|b| self.stations[b].max_rate)
    }

    /// The plan of the station group called `group`.
    pub fn station(&self, group: &str) -> Option<&StationPlan> {
        self.stations.iter().find(|s| s.group == group)
    }

    /// Stations with ρ ≥ 1 in some stage.
    pub fn overloaded(&self) -> impl Iterator<Item = &StationPlan> {
        self.stations.iter().filter(|s| s.overloaded())
    }

    /// What the plan says of the station group `group`, for the runtime
    /// overload warning: its highest ρ and the stage, or that the plan
    /// expected it to keep up.
    pub fn verdict(&self, group: &str) -> String {
        let Some(s) = self.station(group) else {
            return "the capacity plan gives it no load".to_owned();
        };
        let k = s.worst_stage();
        let rho = s.rho.get(k).copied().unwrap_or(0.0);
        let rate = self.stages.get(k).map_or(0.0, Stage::peak);
        if rho >= 1.0 {
            // Excess arrivals: (λ − cμ) = (offered − workers) / service.
            let c = s.workers.get(k).copied().unwrap_or(0) as f64;
            let growth = if s.service_s > 0.0 {
                format!(
                    ", its queue growing by (lambda - c mu) = {:.0}/s",
                    (s.erlangs[k] - c) / s.service_s
                )
            } else {
                String::new()
            };
            format!(
                "the capacity plan predicted it: rho = {rho:.2} at {rate:.1} sessions/s in stage {}{growth}; it sustains {:.1} sessions/s",
                k + 1,
                s.max_rate
            )
        } else {
            format!(
                "the capacity plan gives it rho = {rho:.2} at most (stage {}): feedback (retries, timeouts, reloads), a fault or a business effect the plan does not model, not the offered load, is overloading it",
                k + 1
            )
        }
    }
}

/// The open load's stages: the pieces of the rate profile before
/// `duration`.
fn open_stages(knots: &[(SimDuration, f64)], duration: SimDuration) -> Vec<Stage> {
    let end = duration.as_secs_f64();
    let at = |i: usize| knots[i].0.as_secs_f64();
    let mut out = Vec::new();
    for i in 0..knots.len() {
        let from = at(i);
        if from >= end {
            break;
        }
        let (to, r1) = match knots.get(i + 1) {
            Some(&(t, r)) => {
                let t = t.as_secs_f64();
                if t <= end {
                    (t, r)
                } else {
                    (
                        end,
                        knots[i].1 + (r - knots[i].1) * (end - from) / (t - from),
                    )
                }
            }
            None => (end, knots[i].1),
        };
        out.push(Stage {
            from_s: from,
            to_s: to,
            rates: (knots[i].1, r1),
        });
    }
    // A knot where the rate does not change starts no new stage.
    out.dedup_by(|b, a| {
        let same = a.rates.0 == a.rates.1 && b.rates.0 == b.rates.1 && a.rates.1 == b.rates.0;
        if same {
            a.to_s = b.to_s;
        }
        same
    });
    out
}

/// A replayed trace as stages of constant rate: the arrivals played
/// (before `duration`) counted in at most 20 equal windows of at least a
/// minute.
fn replay_stages(trace: &Trace, speed: f64, duration: SimDuration) -> Vec<Stage> {
    let end_ns = duration.as_nanos();
    let played: Vec<u64> = (0..trace.times.len())
        .map(|i| trace.at(i, speed))
        .take_while(|&t| t < end_ns)
        .collect();
    let span_s = (played.last().copied().unwrap_or(0) as f64 / 1e9).max(1.0);
    let window = (span_s / 20.0).max(60.0).min(duration.as_secs_f64());
    let n = (span_s / window).ceil().max(1.0) as usize;
    let mut counts = vec![0u64; n];
    for t in played {
        counts[((t as f64 / 1e9 / window) as usize).min(n - 1)] += 1;
    }
    counts
        .iter()
        .enumerate()
        .map(|(i, &c)| {
            let rate = c as f64 / window;
            Stage {
                from_s: i as f64 * window,
                to_s: (i + 1) as f64 * window,
                rates: (rate, rate),
            }
        })
        .collect()
}

/// Operations customers take (not admins): the built-in customer actions
/// and the custom operations.
fn customer_ops(sc: &Scenario) -> impl Iterator<Item = Op> + '_ {
    (0..sc.op_count() as u16)
        .map(Op)
        .filter(|op| op.index() >= N_ACTIONS || op.action().is_some_and(|a| !a.is_admin()))
}

/// The admin operations with a positive rate, with it.
fn admin_ops(sc: &Scenario) -> impl Iterator<Item = (Op, f64)> + '_ {
    Action::ADMIN
        .iter()
        .map(|&a| (Op::from(a), sc.admin.rate(a)))
        .filter(|x| x.1 > 0.0)
}
