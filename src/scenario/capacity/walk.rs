//! Walking the route table: expected visits and busy time of every
//! station instance, per unit of an operation's rate.
//!
//! Each step adds its expected visits (the caller's multiplier times the
//! step's own expectation) and returns its duration without queueing,
//! which is what a `hold` keeps its permit for. What a step's expectation
//! is, and where that is an approximation, is documented in docs/model.md
//! (capacity plan); in brief: a conditional visit counts by its
//! probability, a cache lookup's miss path by the miss rate, cart lines
//! by the mean lines per checkout spread over the shards by popularity,
//! the payment gateway by the methods' shares and expected attempts, a
//! `parallel` and a `fanout` every call (their duration: the `need`-th
//! shortest branch mean), a `hedge` its primary copy only, and a call
//! site's retries by expected attempts against the stations' `fail_rate`.

use crate::contract::ErrorKind;
use crate::contract::action::{Action, Op};
use crate::contract::policy::NO_POLICY;
use crate::contract::route::{Condition, Effect, RouteId, Step};
use crate::scenario::model::{Scenario, StationKind};

/// What the walk needs beyond the route table: the approximations.
#[derive(Clone, Debug)]
pub struct Facts {
    /// Per operation: the probability a cache lookup misses.
    pub miss: Vec<f64>,
    /// Share of checkouts that still need to log in.
    pub login: f64,
    /// Share of sessions holding a coupon.
    pub coupon: f64,
    /// Share of checkouts with a non-empty cart (they pass validation).
    pub valid: f64,
    /// Cart lines per checkout.
    pub lines: f64,
    /// Per inventory shard: the share of cart lines (and restocks) on it.
    pub shard_share: Vec<f64>,
    /// Per payment method: (share, expected gateway attempts, probability
    /// the checkout succeeds).
    pub methods: Vec<(f64, f64, f64)>,
}

/// Per station instance: visits and busy seconds, per unit of rate.
#[derive(Clone, Debug)]
pub struct Load {
    /// Expected visits.
    pub visits: Vec<f64>,
    /// Expected busy worker-seconds (a pool: permit-seconds held).
    pub busy: Vec<f64>,
}

/// A walk over `sc`'s route table.
pub struct Walk<'a> {
    sc: &'a Scenario,
    facts: &'a Facts,
    /// What the walk found.
    pub load: Load,
}

impl<'a> Walk<'a> {
    /// An empty walk.
    pub fn new(sc: &'a Scenario, facts: &'a Facts) -> Walk<'a> {
        let n = sc.stations.len();
        Walk {
            sc,
            facts,
            load: Load {
                visits: vec![0.0; n],
                busy: vec![0.0; n],
            },
        }
    }

    fn service_s(&self, s: u16) -> f64 {
        self.sc
            .stations
            .get(s as usize)
            .map_or(0.0, |st| match st.kind {
                StationKind::Servers => st.service_time.mean() / 1e9,
                StationKind::Pool => 0.0,
            })
    }

    /// `m` visits to station `s`; returns the service time.
    fn add(&mut self, s: u16, m: f64) -> f64 {
        let sv = self.service_s(s);
        if let Some(v) = self.load.visits.get_mut(s as usize) {
            *v += m;
            self.load.busy[s as usize] += m * sv;
        }
        sv
    }

    /// Walks operation `op`'s route `m` times; returns its duration.
    pub fn op(&mut self, op: Op, m: f64) -> f64 {
        self.route(op.0, m, op)
    }

    fn route(&mut self, r: RouteId, m: f64, op: Op) -> f64 {
        let Some(steps) = self.sc.routes.get(r as usize) else {
            return 0.0;
        };
        let steps = steps.clone();
        let (mut dur, mut scale) = (0.0, 1.0);
        let (mut skip_until, mut skip_scale) = (0, 1.0);
        for (i, step) in steps.iter().enumerate() {
            let f = scale * if i < skip_until { skip_scale } else { 1.0 };
            match *step {
                Step::CacheLookup { station, skip } => {
                    dur += f * self.add(station, m * f);
                    skip_until = i + 1 + skip as usize;
                    skip_scale = self.facts.miss.get(op.index()).copied().unwrap_or(1.0);
                }
                Step::Effect(Effect::Validate) => scale *= self.facts.valid,
                Step::Effect(Effect::Checkout) => {
                    scale *= self.facts.methods.iter().map(|x| x.0 * x.2).sum::<f64>();
                }
                other => dur += f * self.step(other, m * f, op),
            }
        }
        dur
    }

    fn step(&mut self, step: Step, m: f64, op: Op) -> f64 {
        match step {
            Step::Visit(s) | Step::Hedge { station: s, .. } => self.add(s, m),
            Step::VisitIf(cond, s) => {
                let p = match cond {
                    Condition::NeedsLogin if op == Op::from(Action::Checkout) => self.facts.login,
                    Condition::NeedsLogin => 1.0,
                    Condition::HasCoupon => self.facts.coupon,
                };
                p * self.add(s, m * p)
            }
            Step::VisitP { station, p } => p * self.add(station, m * p),
            Step::PerLine { first, shards } => self.shards(first, shards, m * self.facts.lines),
            Step::SubjectShard { first, shards } => self.shards(first, shards, m),
            Step::Payment(default) => {
                let methods = self.sc.payments.methods.clone();
                let mut dur = 0.0;
                for (method, &(share, attempts, _)) in methods.iter().zip(&self.facts.methods) {
                    let s = method
                        .station
                        .and_then(|g| self.sc.groups.get(g as usize))
                        .map_or(default, |g| g.first);
                    dur += share * attempts * self.add(s, m * share * attempts);
                }
                dur
            }
            Step::Parallel { first, n, need, .. } => {
                let mut d: Vec<f64> = (first..first + n).map(|b| self.route(b, m, op)).collect();
                d.sort_by(f64::total_cmp);
                d.get(need.max(1) as usize - 1).copied().unwrap_or(0.0)
            }
            Step::Fanout {
                first, shards, n, ..
            } => {
                let mut total = 0.0;
                for i in 0..n {
                    total += self.add(first + i % shards.max(1), m);
                }
                total / n.max(1) as f64
            }
            Step::Hold { pool, route } => {
                let d = self.route(route, m, op);
                self.add(pool, m);
                if let Some(b) = self.load.busy.get_mut(pool as usize) {
                    *b += m * d;
                }
                d
            }
            Step::Group { route, policy } => {
                let attempts = self.attempts(route, policy, op);
                attempts * self.route(route, m * attempts, op)
            }
            Step::CacheLookup { .. } | Step::CacheFill | Step::Effect(_) => 0.0,
        }
    }

    /// `n` visits spread over shards `first..first + shards` by
    /// popularity; returns the mean service time.
    fn shards(&mut self, first: u16, shards: u16, n: f64) -> f64 {
        let uniform = 1.0 / shards.max(1) as f64;
        let mut dur = 0.0;
        for k in 0..shards {
            let share = if self.facts.shard_share.len() == shards as usize {
                self.facts.shard_share[k as usize]
            } else {
                uniform
            };
            dur += share * self.add(first + k, n * share);
        }
        dur
    }

    /// Expected attempts of a call site: 1 + f + … + f^(k−1) for `k`
    /// attempts when a call of its route fails with probability f (the
    /// stations' `fail_rate`, when `failed` is retried). Timeouts, outages
    /// and rejections are not predicted: 1 attempt.
    fn attempts(&self, route: RouteId, policy: u16, op: Op) -> f64 {
        if policy == NO_POLICY {
            return 1.0;
        }
        let Some(retry) = self
            .sc
            .policies
            .get(policy as usize)
            .and_then(|p| p.retry.as_ref())
        else {
            return 1.0;
        };
        if !retry.retries(ErrorKind::Failed) {
            return 1.0;
        }
        let mut once = Walk::new(self.sc, self.facts);
        once.route(route, 1.0, op);
        let ok: f64 = once
            .load
            .visits
            .iter()
            .zip(&self.sc.stations)
            .map(|(&v, st)| (1.0 - st.policy.fail_rate).max(0.0).powf(v))
            .product();
        let f = 1.0 - ok;
        (0..retry.attempts).map(|j| f.powi(j as i32)).sum()
    }
}
