//! The approximations of the capacity plan, each from the scenario alone:
//! cache misses by Che's approximation, logins, coupons, cart lines and
//! their shards, gateway attempts, and the closed load's throughput.
//! docs/model.md ("Capacity plan") states each one and what it leaves out.

use super::chain::Chain;
use super::walk::{Facts, Load, Walk};
use super::{ClosedBound, admin_ops, customer_ops};
use crate::backend::cache::che;
use crate::contract::action::{Action, Op};
use crate::kernel::popularity::Popularity;
use crate::scenario::model::{Scenario, StationKind};
use crate::shop::inventory::shard_of_sku;

/// Products whose shard is found one by one; the rest of the catalog's
/// popularity is spread evenly (the hash spreads them evenly).
const EXACT_SKUS: u32 = 1 << 22;

/// What does not depend on the session rate.
pub(super) struct Base {
    chain: Option<Chain>,
    facts: Facts,
    /// Request shares per key of the product and category pages.
    products: Vec<(f64, f64)>,
    categories: Vec<(f64, f64)>,
}

fn classes(n: u32, popularity: Popularity) -> Vec<(f64, f64)> {
    match popularity {
        Popularity::Zipf { exponent } => che::zipf_classes(n, exponent),
        Popularity::Uniform => vec![(1.0 / n.max(1) as f64, n as f64)],
    }
}

impl Base {
    pub(super) fn new(sc: &Scenario, chain: Option<&Chain>) -> Base {
        let co = Action::Checkout.index();
        let v_co = chain.map_or(0.0, |c| c.visits[co]);
        let per_checkout = |x: f64| if v_co > 0.0 { x / v_co } else { 0.0 };
        let r = sc.payments.max_retries as i32;
        let total_share: f64 = sc.payments.methods.iter().map(|m| m.share).sum();
        let methods = sc
            .payments
            .methods
            .iter()
            .map(|m| {
                let t = if m.kind.can_time_out() {
                    m.timeout_rate
                } else {
                    0.0
                };
                let attempts: f64 = (0..=r).map(|j| t.powi(j)).sum();
                let share = if total_share > 0.0 {
                    m.share / total_share
                } else {
                    0.0
                };
                (
                    share,
                    attempts,
                    attempts * (1.0 - t - m.decline_rate).max(0.0),
                )
            })
            .collect();
        let facts = Facts {
            miss: vec![1.0; sc.op_count()],
            login: chain.map_or(1.0, |c| per_checkout(c.reach_from_start(co))),
            coupon: if sc.coupons.is_empty() {
                0.0
            } else {
                sc.customers.coupon_share
            },
            valid: chain.map_or(1.0, |c| per_checkout(c.checkouts_with_cart())),
            lines: chain.map_or(0.0, |c| per_checkout(c.lines_checked_out())),
            shard_share: shard_shares(sc),
            methods,
        };
        Base {
            chain: chain.cloned(),
            facts,
            products: classes(sc.catalog.products, sc.catalog.popularity),
            categories: classes(sc.catalog.categories, sc.catalog.popularity),
        }
    }

    fn visits(&self, op: Op) -> f64 {
        self.chain.as_ref().map_or(0.0, |c| c.of(op))
    }

    /// Per cached action (home, browse, view_product): its hit
    /// probability at `rate` sessions per second, by Che's approximation
    /// over the three key spaces together.
    fn hits(&self, sc: &Scenario, rate: f64) -> Option<[f64; 3]> {
        if !sc.cache.enabled {
            return None;
        }
        let v = |a: Action| rate * self.visits(a.into());
        let (home, browse, view) = (v(Action::Home), v(Action::Browse), v(Action::ViewProduct));
        let mut keys = vec![(home, 1.0)];
        keys.extend(self.categories.iter().map(|&(s, n)| (browse * s, n)));
        keys.extend(self.products.iter().map(|&(s, n)| (view * s, n)));
        let ttl = sc.cache.ttl.map(|t| t.as_secs_f64());
        let h = che::hit_probabilities(&keys, sc.cache.capacity as f64, sc.cache.policy, ttl);
        let nc = self.categories.len();
        let mean = |range: std::ops::Range<usize>| {
            let w: f64 = keys[range.clone()].iter().map(|k| k.0 * k.1).sum();
            if w <= 0.0 {
                return 0.0;
            }
            range.map(|i| keys[i].0 * keys[i].1 * h[i]).sum::<f64>() / w
        };
        Some([h[0], mean(1..1 + nc), mean(1 + nc..keys.len())])
    }

    /// The walk of every customer operation at `rate` sessions per second:
    /// its facts and what one session asks of each station.
    pub(super) fn walk(&self, sc: &Scenario, rate: f64) -> (Facts, Load) {
        let mut facts = self.facts.clone();
        if let Some(h) = self.hits(sc, rate) {
            for (a, h) in [Action::Home, Action::Browse, Action::ViewProduct]
                .into_iter()
                .zip(h)
            {
                facts.miss[a.index()] = 1.0 - h;
            }
        }
        let mut w = Walk::new(sc, &facts);
        for op in customer_ops(sc) {
            let v = self.visits(op);
            if v > 0.0 {
                w.op(op, v);
            }
        }
        let load = w.load;
        (facts, load)
    }

    /// Busy worker-seconds per second (Erlangs) of the admin streams.
    pub(super) fn admin_load(&self, sc: &Scenario) -> Load {
        let mut w = Walk::new(sc, &self.facts);
        for (op, rate) in admin_ops(sc) {
            w.op(op, rate);
        }
        w.load
    }

    /// The cache hit rate per stage, weighted by lookups.
    pub(super) fn cache_rates(&self, sc: &Scenario, stages: &[(Facts, Load)]) -> Option<Vec<f64>> {
        if !sc.cache.enabled {
            return None;
        }
        let acts = [Action::Home, Action::Browse, Action::ViewProduct];
        let lookups: f64 = acts.iter().map(|&a| self.visits(a.into())).sum();
        Some(
            stages
                .iter()
                .map(|(f, _)| {
                    if lookups <= 0.0 {
                        return 0.0;
                    }
                    acts.iter()
                        .map(|&a| self.visits(a.into()) * (1.0 - f.miss[a.index()]))
                        .sum::<f64>()
                        / lookups
                })
                .collect(),
        )
    }

    /// A closed load of `users`: the interactive law's bound and the rate
    /// the plan is judged at, the bound capped by the stations' own
    /// sustainable rates (a closed load cannot overload a station).
    pub(super) fn closed_rate(&self, sc: &Scenario, users: u32) -> (ClosedBound, f64) {
        let actions: f64 = customer_ops(sc).map(|op| self.visits(op)).sum();
        let think_s = (actions - 1.0).max(0.0) * sc.think_time.mean() / 1e9;
        let admin = self.admin_load(sc);
        let mut rate = if think_s > 0.0 {
            users as f64 / think_s
        } else {
            1.0
        };
        let mut out = (
            ClosedBound {
                users,
                think_s,
                demand_s: 0.0,
                bound: 0.0,
            },
            0.0,
        );
        // The cache's hit rate (with a TTL) depends on the rate: a few
        // rounds settle it.
        for _ in 0..4 {
            let (_, load) = self.walk(sc, rate);
            let servers = |i: usize| sc.stations[i].kind == StationKind::Servers;
            let demand_s: f64 = (0..sc.stations.len())
                .filter(|&i| servers(i))
                .map(|i| load.busy[i])
                .sum();
            let bound = if think_s + demand_s > 0.0 {
                users as f64 / (think_s + demand_s)
            } else {
                0.0
            };
            let cap = (0..sc.stations.len())
                .filter(|&i| load.busy[i] > 0.0)
                .map(|i| {
                    let c = super::workers_at(&sc.stations[i], Default::default()) as f64;
                    ((c - admin.busy[i]) / load.busy[i]).max(0.0)
                })
                .fold(f64::INFINITY, f64::min);
            rate = bound.min(cap);
            out = (
                ClosedBound {
                    users,
                    think_s,
                    demand_s,
                    bound,
                },
                rate,
            );
        }
        out
    }
}

/// The share of cart lines (and restocked SKUs) on each inventory shard,
/// by the popularity law: a line's SKU is a viewed product, drawn by
/// popularity.
fn shard_shares(sc: &Scenario) -> Vec<f64> {
    let Some(g) = sc.group("inventory") else {
        return Vec::new();
    };
    let shards = g.shards.max(1) as usize;
    let n = sc.catalog.products;
    let exact = n.min(EXACT_SKUS);
    let weight = |i: u32| match sc.catalog.popularity {
        Popularity::Zipf { exponent } => ((i + 1) as f64).powf(-exponent),
        Popularity::Uniform => 1.0,
    };
    let mut share = vec![0.0; shards];
    let mut total = 0.0;
    for i in 0..exact {
        let w = weight(i);
        share[shard_of_sku(i, shards) % shards] += w;
        total += w;
    }
    if n > exact {
        // The tail, spread evenly: its weight summed over every step-th
        // rank, times the step.
        let step = ((n - exact) / 4096).max(1);
        let tail: f64 = (exact..n)
            .step_by(step as usize)
            .map(|i| weight(i) * step.min(n - i) as f64)
            .sum();
        share.iter_mut().for_each(|s| *s += tail / shards as f64);
        total += tail;
    }
    share
        .iter_mut()
        .for_each(|s| *s /= total.max(f64::MIN_POSITIVE));
    share
}
