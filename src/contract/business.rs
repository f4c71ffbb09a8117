//! The seam between the model and what actions *do* to the shop.
//!
//! The model moves requests through stations; a [`Business`] decides what
//! each action is about (which product, which page), answers the per-session
//! route conditions (login needed? coupon held? how many cart lines?), and
//! applies the action's effect when its route completes. Every method takes
//! `&self`: the wall clock calls one business from many threads at once, so
//! a business keeps its shared state behind its own locks and atomics.

use super::action::Action;
use super::route::{Condition, Effect, EffectOutcome};
use crate::contract::ErrorKind;
use crate::contract::fault::FaultKind;
use crate::kernel::popularity::Picker;
use crate::kernel::rng::{SimRng, mix64};
use crate::kernel::time::SimTime;

/// Something that can drop a cache entry: the catalog cache, handed to an
/// admin operation that changed what the entry holds.
pub trait Invalidate {
    /// Drops `key`, if present.
    fn invalidate(&mut self, key: u32);
}

/// What the business layer sees of the model during a call.
pub struct Cx<'a> {
    /// Current model time.
    pub now: SimTime,
    /// The session's own random stream.
    pub rng: &'a mut SimRng,
    /// Popularity sampling.
    pub picker: &'a dyn Picker,
    /// The catalog cache, handed to admin operations (only they change
    /// what a cache entry holds) so that they invalidate what they changed;
    /// `None` for customer actions, or when the cache is off.
    pub cache: Option<&'a mut dyn Invalidate>,
    /// True when the operation was answered from the cache (its lookup hit),
    /// so the backing service was not called.
    pub cached: bool,
    /// The customer is repeating this action after an error (a reload): a
    /// checkout keeps the idempotency key of the one that failed, so a
    /// reload can never pay or order twice.
    pub reload: bool,
}

impl Cx<'_> {
    /// Drops `key` from the cache, if there is one.
    pub fn invalidate(&mut self, key: u32) {
        if let Some(c) = self.cache.as_deref_mut() {
            c.invalidate(key);
        }
    }
}

/// The shard of `sku` among `shards` (by hash, so neighbouring SKUs spread).
#[inline]
pub fn shard_of(sku: u32, shards: u16) -> u16 {
    (mix64(sku as u64) % shards.max(1) as u64) as u16
}

/// Business facts of a run, for `business.csv`: metrics in a fixed order,
/// and the invariant checks (`invariants.csv`).
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct BusinessOutcome {
    /// Rows of `business.csv`.
    pub metrics: Vec<BusinessMetric>,
    /// Rows of `invariants.csv`: id, name, items checked, violations.
    pub invariants: Vec<InvariantResult>,
}

/// One row of `business.csv`, and how replications combine it.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct BusinessMetric {
    /// Metric name.
    pub name: String,
    /// Value (for `Mean`, the sum over the `weight` runs that had it).
    pub value: f64,
    /// How replications combine.
    pub combine: Combine,
    /// Runs summed into `value`.
    pub weight: u32,
}

impl BusinessMetric {
    /// A count or amount: replications add up.
    pub fn sum(name: impl Into<String>, value: f64) -> Self {
        BusinessMetric {
            name: name.into(),
            value,
            combine: Combine::Sum,
            weight: 1,
        }
    }

    /// A rate, average or time: replications average (over those that
    /// have the row).
    pub fn mean(name: impl Into<String>, value: f64) -> Self {
        BusinessMetric {
            name: name.into(),
            value,
            combine: Combine::Mean,
            weight: 1,
        }
    }

    /// The value to report.
    pub fn reported(&self) -> f64 {
        match self.combine {
            Combine::Sum => self.value,
            Combine::Mean => self.value / self.weight.max(1) as f64,
        }
    }
}

/// How a business metric of several replications combines.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Combine {
    /// Counts and money: add.
    Sum,
    /// Rates, averages and times: the mean over the runs that have it.
    Mean,
}

/// One checked invariant.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct InvariantResult {
    /// `I1` … `I14`.
    pub id: String,
    /// Short name, e.g. `stock_conservation`.
    pub name: String,
    /// Items checked.
    pub checked: u64,
    /// Human-readable violations (none expected).
    pub violations: Vec<String>,
}

/// Cache keys: products are `0..products`, then one page per category, then
/// the home page.
pub fn category_key(picker: &dyn Picker, category: u32) -> u32 {
    picker.products() + category
}

/// The cache key of the home page.
pub fn home_key(picker: &dyn Picker) -> u32 {
    picker.products() + picker.categories()
}

/// Number of cache keys for a catalog.
pub fn key_space(products: u32, categories: u32) -> u32 {
    products + categories + 1
}

/// The effects of actions, called by the model (see the module docs).
pub trait Business {
    /// Per-session state, kept by the clock with the session (the virtual
    /// clock's slab, or a wall-clock task).
    type Session: Default;

    /// A session begins.
    fn start_session(&self, session: &mut Self::Session, cx: &mut Cx<'_>);

    /// [`Business::start_session`] for a clock that owns the business (the
    /// virtual clock): the same start, with counters bumped through `&mut`
    /// instead of locked adds. Must do exactly what `start_session` does.
    fn start_session_owned(&mut self, session: &mut Self::Session, cx: &mut Cx<'_>) {
        self.start_session(session, cx);
    }

    /// What the action is about: its cache key (a product id, or a page).
    fn subject(&self, action: Action, session: &mut Self::Session, cx: &mut Cx<'_>) -> u32;

    /// Whether a conditional route step applies to this session now.
    fn condition(&self, condition: Condition, session: &Self::Session) -> bool;

    /// Number of cart lines (one inventory shard visit each).
    fn lines(&self, session: &Self::Session) -> u32;

    /// The inventory shard of cart line `i < lines()` among `shards`.
    fn line_shard(&self, session: &Self::Session, i: u32, shards: u16) -> u16;

    /// The inventory shard of SKU `sku` among `shards`.
    fn sku_shard(&self, sku: u32, shards: u16) -> u16 {
        shard_of(sku, shards)
    }

    /// The station of the session's payment method, if it has its own.
    fn payment_station(&self, _session: &Self::Session) -> Option<u16> {
        None
    }

    /// A business step of a route.
    fn effect(&self, effect: Effect, session: &mut Self::Session, cx: &mut Cx<'_>)
    -> EffectOutcome;

    /// The route completed: apply the action's effect. An error fails the
    /// request with that kind.
    fn complete(
        &self,
        action: Action,
        subject: u32,
        session: &mut Self::Session,
        cx: &mut Cx<'_>,
    ) -> Result<(), ErrorKind>;

    /// The session ends.
    fn end_session(&self, session: &mut Self::Session, cx: &mut Cx<'_>);

    /// The customer's id once logged in (the access log's user field).
    fn customer(&self, _session: &Self::Session) -> Option<u64> {
        None
    }

    /// Business gauges sampled at every report interval, e.g. the stock
    /// of the doorbusters: `(name, value)` in a fixed order.
    fn gauges(&self, _out: &mut Vec<(String, f64)>) {}

    /// A fault window opens (`active`) or closes.
    fn fault(&self, _kind: &FaultKind, _active: bool) {}

    /// Real lock acquisitions and how many found the lock held, for the
    /// wall clock's facts (`None` when the business has no real locks).
    fn lock_counts(&self) -> Option<(u64, u64)> {
        None
    }

    /// The run is over (drained): business facts and invariant checks.
    fn finish(&self, _now: SimTime) -> BusinessOutcome {
        BusinessOutcome::default()
    }
}
