//! The validated scenario: typed, complete, every default filled in.
//!
//! Built only by `validate.rs`, so holding a [`Scenario`] means every range
//! and cross-reference check passed. Defaults are documented in this
//! module, where they are defined; `docs/scenario.md` repeats them for
//! users.
//!
//! This file holds the [`Scenario`] itself; its parts are defined in
//! `load` (arrivals and behaviour), `shop_setup` (catalog, customers,
//! coupons, payments, admin), `backend` (cache, stations, routes, faults),
//! `capacity` (schedules, autoscaling, cost) and `thresholds`, and
//! re-exported here.

use crate::contract::action::{N_ACTIONS, Op};
use crate::contract::names;
use crate::contract::route::Step;
use crate::kernel::dist::Dist;
use crate::kernel::time::SimDuration;

use std::sync::Arc;

mod backend;
mod capacity;
mod load;
mod shop_setup;
mod thresholds;

pub use backend::{
    CacheSpec, DEFAULT_CACHE_CAPACITY, Fault, Operation, RouteEdit, RouteNode, StationGroup,
    StationKind, StationSpec, Wait,
};
pub use capacity::{
    Autoscale, Capacity, DEFAULT_MIN, DEFAULT_PERIOD, DEFAULT_STABILIZATION, DEFAULT_TOLERANCE,
    ScheduleStep,
};
pub use load::{Behavior, Choice, Load, Next, Trace};
pub use shop_setup::{
    AdminSpec, Catalog, Coupon, CouponValue, Customers, DEFAULT_CATEGORIES, DEFAULT_PRODUCTS,
    DEFAULT_ZIPF_EXPONENT, Doorbusters, Method, MethodKind, Payments, Reload, ShopSpec,
};
pub use thresholds::{Cmp, Threshold};

/// Default run seed: fixed, never random, so a run can always be replayed.
pub const DEFAULT_SEED: u64 = 1;

/// A data file read for the run.
#[derive(Clone, Debug, PartialEq)]
pub struct DataFile {
    /// Its name under the report's `data/`, unique in the run.
    pub name: String,
    /// SHA-256 of `bytes`, lower-case hex.
    pub sha256: String,
    /// The file's content.
    pub bytes: Arc<[u8]>,
}

/// A complete, validated scenario.
#[derive(Clone, Debug)]
pub struct Scenario {
    /// Report name (default: the scenario file's stem).
    pub name: String,
    /// What the scenario asks (default empty).
    pub description: String,
    /// Run seed (default [`DEFAULT_SEED`]).
    pub seed: u64,
    /// Arrival window: no session starts at or after it. Required.
    pub duration: SimDuration,
    /// Leading span excluded from every statistic (default zero).
    pub warmup: SimDuration,
    /// Time-series bucket (default: duration / 60, whole seconds, >= 1s).
    pub report_interval: SimDuration,
    /// Independent replications merged into the report (default 1).
    pub replications: u32,
    /// How sessions arrive.
    pub load: Load,
    /// Pause before each action after the first (default zero).
    pub think_time: Dist,
    /// What sessions do.
    pub behavior: Behavior,
    /// Products and popularity.
    pub catalog: Catalog,
    /// The catalog cache.
    pub cache: CacheSpec,
    /// Every station, by index; a sharded group is consecutive entries.
    pub stations: Vec<StationSpec>,
    /// Stations as configured (one per `[stations.NAME]`, shards folded).
    pub groups: Vec<StationGroup>,
    /// `[operations.NAME]`, in name order: operation `N_ACTIONS + i` is
    /// `operations[i]`.
    pub operations: Vec<Operation>,
    /// The route table: route `i` for `i` below [`Scenario::op_count`] is
    /// operation `i`'s; the routes nested in their steps follow.
    pub routes: Vec<Vec<Step>>,
    /// The client policies of the call sites (`Step::Group`'s `policy`),
    /// in the order their steps are met in the route table.
    pub policies: Vec<crate::contract::policy::CallPolicy>,
    /// Per built-in action, extra steps around the default route.
    pub route_edits: [RouteEdit; N_ACTIONS],
    /// `[shop]`.
    pub shop: ShopSpec,
    /// `[customers]`.
    pub customers: Customers,
    /// `[[coupons]]`, in file order.
    pub coupons: Vec<Coupon>,
    /// `[payments]`.
    pub payments: Payments,
    /// Background admin operations.
    pub admin: AdminSpec,
    /// Windows of degraded service, in file order.
    pub faults: Vec<Fault>,
    /// Pass/fail conditions on report metrics, in metric-name order.
    pub thresholds: Vec<Threshold>,
    /// The data files it read, in the order first read (empirical
    /// distributions, a replayed trace).
    pub data: Vec<DataFile>,
    /// What validation derived that the resolved file does not show, one
    /// line each (`ecsim validate` prints them as comments): the mean
    /// implied by each distribution given by percentiles, a p99 or data.
    pub notes: Vec<String>,
}

impl Scenario {
    /// The group called `name`.
    pub fn group(&self, name: &str) -> Option<&StationGroup> {
        self.groups.iter().find(|g| g.name == name)
    }

    /// Operations of a run: the built-in actions, then the custom ones.
    pub fn op_count(&self) -> usize {
        N_ACTIONS + self.operations.len()
    }

    /// The report name of `op`.
    pub fn op_name(&self, op: Op) -> &str {
        match op.action() {
            Some(a) => a.name(),
            None => &self.operations[op.index() - N_ACTIONS].name,
        }
    }

    /// Every operation's name, by index.
    pub fn op_names(&self) -> Vec<String> {
        (0..self.op_count())
            .map(|i| self.op_name(Op(i as u16)).to_owned())
            .collect()
    }

    /// The routes an operation's run can reach: its own and every one
    /// nested in their steps, each once.
    pub fn routes_of(&self, op: Op) -> Vec<u16> {
        let mut seen = vec![false; self.routes.len()];
        let mut stack = vec![op.0];
        let mut out = Vec::new();
        while let Some(r) = stack.pop() {
            if std::mem::replace(&mut seen[r as usize], true) {
                continue;
            }
            out.push(r);
            for step in &self.routes[r as usize] {
                stack.extend(step.nested());
            }
        }
        out
    }

    /// Per station instance: can some reachable operation's route visit it?
    pub fn used_stations(&self) -> Vec<bool> {
        let mut used = vec![false; self.stations.len()];
        let mut mark = |first: u16, n: u16| {
            for i in first..first + n {
                used[i as usize] = true;
            }
        };
        for op in self.reachable_ops() {
            for r in self.routes_of(op) {
                for step in &self.routes[r as usize] {
                    match *step {
                        Step::Visit(s)
                        | Step::VisitIf(_, s)
                        | Step::CacheLookup { station: s, .. }
                        | Step::VisitP { station: s, .. }
                        | Step::Hedge { station: s, .. }
                        | Step::Hold { pool: s, .. } => mark(s, 1),
                        Step::Payment(s) => {
                            // The default gateway, or each method's own.
                            for m in &self.payments.methods {
                                match m.station {
                                    Some(g) => mark(self.groups[g as usize].first, 1),
                                    None => mark(s, 1),
                                }
                            }
                        }
                        Step::PerLine { first, shards }
                        | Step::SubjectShard { first, shards }
                        | Step::Fanout { first, shards, .. } => mark(first, shards),
                        Step::CacheFill
                        | Step::Effect(_)
                        | Step::Parallel { .. }
                        | Step::Group { .. } => {}
                    }
                }
            }
        }
        used
    }

    /// Does a station have a price (so that business.csv reports the
    /// cost)?
    pub fn priced(&self) -> bool {
        self.stations.iter().any(|s| s.cost_per_hour > 0.0)
    }

    /// Every metric name a run of this scenario reports, as thresholds and
    /// `compare` address them (see [`names::metric_names`]).
    pub fn metric_names(&self) -> Vec<String> {
        let used = self.used_stations();
        let stations = self
            .stations
            .iter()
            .zip(used)
            .filter(|(_, u)| *u)
            .map(|(s, _)| s.name.as_str());
        let mut business = names::business::names(
            self.catalog.doorbusters.count > 0,
            self.coupons.iter().map(|c| c.code.as_str()),
        );
        if self.priced() {
            business.extend(names::business::COST_ROWS.map(String::from));
        }
        names::metric_names(
            self.reachable_ops().map(|op| self.op_name(op)),
            self.cache.enabled,
            stations,
            business.into_iter(),
        )
    }

    /// Operations that happen in a run, in report order: operations some
    /// session can take (built-in, then custom), then admin operations with
    /// a positive rate.
    pub fn reachable_ops(&self) -> impl Iterator<Item = Op> + '_ {
        (0..self.op_count() as u16).map(Op).filter(|&op| {
            self.behavior.transitions[op.index()].is_some()
                || op.action().is_some_and(|a| self.admin.rate(a) > 0.0)
        })
    }
}
