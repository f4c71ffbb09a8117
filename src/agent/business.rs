//! The seam between the engine and what actions *do* to the shop.
//!
//! The engine moves requests through stations; a [`Business`] decides what
//! each action is about (which product, which page), answers the per-session
//! route conditions (login needed? coupon held? how many cart lines?), and
//! applies the action's effect when its route completes. [`ModelOnly`] is the
//! business of a pure capacity model: it keeps just enough session state for
//! routes to be meaningful (a cart of product ids, a login flag).

use super::action::Action;
use super::route::{Condition, Effect, EffectOutcome};
use crate::metrics::ErrorKind;
use crate::scenario::model::FaultKind;
use crate::shop::cache::Cache;
use crate::sim::rng::{SimRng, mix64};
use crate::sim::time::SimTime;

/// Picks products and categories by popularity.
pub trait Picker {
    /// A product id, `0..products`, rank 0 most popular.
    fn product(&self, rng: &mut SimRng) -> u32;
    /// A category id, `0..categories`.
    fn category(&self, rng: &mut SimRng) -> u32;
    /// Number of products.
    fn products(&self) -> u32;
    /// Number of categories.
    fn categories(&self) -> u32;
}

/// What the business layer sees of the engine during a call.
pub struct Cx<'a> {
    /// Current virtual time.
    pub now: SimTime,
    /// The session's own random stream.
    pub rng: &'a mut SimRng,
    /// Popularity sampling.
    pub picker: &'a dyn Picker,
    /// The catalog cache, to invalidate what an admin operation changed.
    pub cache: Option<&'a mut Cache>,
    /// True when the operation was answered from the cache (its lookup hit),
    /// so the backing service was not called.
    pub cached: bool,
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
#[derive(Clone, Debug, Default, PartialEq)]
pub struct BusinessOutcome {
    /// Rows of `business.csv`.
    pub metrics: Vec<BusinessMetric>,
    /// Rows of `invariants.csv`: id, name, items checked, violations.
    pub invariants: Vec<InvariantResult>,
}

/// One row of `business.csv`, and how replications combine it.
#[derive(Clone, Debug, PartialEq)]
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
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Combine {
    /// Counts and money: add.
    Sum,
    /// Rates, averages and times: the mean over the runs that have it.
    Mean,
}

/// One checked invariant.
#[derive(Clone, Debug, PartialEq)]
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

/// The effects of actions, called by the engine.
pub trait Business {
    /// Per-session state, stored in the engine's session slab.
    type Session: Default;

    /// A session begins.
    fn start_session(&mut self, session: &mut Self::Session, cx: &mut Cx<'_>);

    /// What the action is about: its cache key (a product id, or a page).
    fn subject(&mut self, action: Action, session: &mut Self::Session, cx: &mut Cx<'_>) -> u32;

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
    fn effect(
        &mut self,
        effect: Effect,
        session: &mut Self::Session,
        cx: &mut Cx<'_>,
    ) -> EffectOutcome;

    /// The route completed: apply the action's effect. An error fails the
    /// request with that kind.
    fn complete(
        &mut self,
        action: Action,
        subject: u32,
        session: &mut Self::Session,
        cx: &mut Cx<'_>,
    ) -> Result<(), ErrorKind>;

    /// The session ends.
    fn end_session(&mut self, session: &mut Self::Session, cx: &mut Cx<'_>);

    /// Business gauges sampled at every report interval, e.g. the stock
    /// of the doorbusters: `(name, value)` in a fixed order.
    fn gauges(&self, _out: &mut Vec<(String, f64)>) {}

    /// A fault window opens (`active`) or closes.
    fn fault(&mut self, _kind: &FaultKind, _active: bool) {}

    /// The run is over (drained): business facts and invariant checks.
    fn finish(&mut self, _now: SimTime) -> BusinessOutcome {
        BusinessOutcome::default()
    }
}

/// Most cart lines the model keeps; adding to a full cart is a no-op.
pub const MODEL_CART_LINES: usize = 8;

/// Session state of [`ModelOnly`].
#[derive(Clone, Debug, Default)]
pub struct ModelSession {
    cart: [u32; MODEL_CART_LINES],
    lines: u8,
    logged_in: bool,
    last_viewed: Option<u32>,
}

/// A pure capacity model: no shop state beyond the session.
///
/// `view_product` views a product drawn by popularity; `add_to_cart` adds
/// the last viewed product (or one drawn by popularity); `checkout` logs in
/// once per session and empties the cart; `browse` shows a category page
/// drawn by popularity; `home` is one page; admin operations pick a product
/// by popularity and change nothing.
#[derive(Clone, Debug, Default)]
pub struct ModelOnly;

impl Business for ModelOnly {
    type Session = ModelSession;

    fn start_session(&mut self, session: &mut ModelSession, _cx: &mut Cx<'_>) {
        *session = ModelSession::default();
    }

    #[inline]
    fn subject(&mut self, action: Action, s: &mut ModelSession, cx: &mut Cx<'_>) -> u32 {
        match action {
            Action::ViewProduct => {
                let p = cx.picker.product(cx.rng);
                s.last_viewed = Some(p);
                p
            }
            Action::AddToCart => s.last_viewed.unwrap_or_else(|| cx.picker.product(cx.rng)),
            Action::Browse => category_key(cx.picker, cx.picker.category(cx.rng)),
            Action::Home => home_key(cx.picker),
            Action::Restock | Action::PriceChange => cx.picker.product(cx.rng),
            _ => 0,
        }
    }

    fn condition(&self, condition: Condition, s: &ModelSession) -> bool {
        match condition {
            Condition::NeedsLogin => !s.logged_in,
            Condition::HasCoupon => false,
        }
    }

    fn lines(&self, s: &ModelSession) -> u32 {
        s.lines as u32
    }

    fn line_shard(&self, s: &ModelSession, i: u32, shards: u16) -> u16 {
        shard_of(s.cart[i as usize], shards)
    }

    fn effect(&mut self, effect: Effect, s: &mut ModelSession, _cx: &mut Cx<'_>) -> EffectOutcome {
        if effect == Effect::Login {
            s.logged_in = true;
        }
        EffectOutcome::Continue
    }

    #[inline]
    fn complete(
        &mut self,
        action: Action,
        subject: u32,
        s: &mut ModelSession,
        _cx: &mut Cx<'_>,
    ) -> Result<(), ErrorKind> {
        match action {
            Action::AddToCart if (s.lines as usize) < MODEL_CART_LINES => {
                s.cart[s.lines as usize] = subject;
                s.lines += 1;
            }
            Action::Checkout => s.lines = 0,
            _ => {}
        }
        Ok(())
    }

    fn end_session(&mut self, _session: &mut ModelSession, _cx: &mut Cx<'_>) {}
}
