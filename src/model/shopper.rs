//! Customers and admins driving the real shop.
//!
//! [`ShopBusiness`] is the [`Business`] of a full run: every action calls
//! the shop services of `crate::shop` with real state, and a failure of the
//! shop is a failed request of that kind, never a crash.
//!
//! - A session is a **returning** customer (drawn uniformly from the
//!   registered pool; their cart persists in the shop between sessions) or
//!   a **new** visitor, whose cart lives in the session until checkout
//!   registers them. A share of sessions holds a coupon code (drawn by the
//!   coupons' weights); each session pays with one method (drawn by share).
//! - `view_product` reads the product (from the catalog on a cache miss);
//!   `browse` lists a category page and `search` runs a two-word text
//!   search; `add_to_cart` adds a recently viewed product (or one drawn by
//!   popularity) after checking stock; `view_cart` prices the cart;
//!   `order_status` reads the customer's last order.
//! - `checkout` logs in (registering a new visitor first, and moving their
//!   cart into the shop), checks the cart, passes the payment gateway's
//!   station, then runs the shop's checkout transaction. A gateway timeout
//!   is retried through the gateway with the same idempotency key, up to
//!   `payments.max_retries` times.
//! - Admins restock (preferring SKUs seen sold out), change prices and
//!   create coupons through the role-checked admin operations; restocks and
//!   price changes invalidate the product's cache entry. They also work the
//!   order lifecycle: ship, deliver, cancel (refunding or voiding the
//!   payment, releasing stock and coupon) and refund returned orders, on
//!   orders the [`OrderDesk`] hands them.

use std::collections::BTreeSet;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};

use rand::RngExt;

use super::SetupError;
use crate::contract::ErrorKind;
use crate::contract::action::Action;
use crate::contract::business::{
    Business, BusinessMetric, BusinessOutcome, Cx, InvariantResult, category_key, home_key,
};
use crate::contract::fault::FaultKind;
use crate::contract::route::{Condition, Effect, EffectOutcome};
use crate::kernel::dist::Sampler;
use crate::kernel::par::join;
use crate::kernel::rng::{SimRng, StreamKind, stream};
use crate::kernel::time::SimTime;
use crate::scenario::model::{CouponValue, MethodKind, Scenario};
use crate::shop::catalog::{SearchQuery, SortOrder};
use crate::shop::users::Emails;
use crate::shop::{
    AccountSpec, CategoryId, CheckoutRequest, CouponKind, CouponSpec, CustomerId,
    PaymentMethodConfig, PaymentMethodKind, ProductId, ProductSpec, ShippingRule, Shop, ShopConfig,
    ShopError, Token,
};
use desk::{OrderDesk, Task};

mod admin;
mod customer;
pub mod desk;
mod metrics;
mod mix;
mod names;
mod session;
mod setup;
#[cfg(test)]
mod tests;

use mix::{Mix, pick};
use names::*;
pub use session::ShopSession;
use session::{Ident, NO_COUPON};
pub use setup::shop_config;
use setup::*;

/// The password of every simulated account.
const PASSWORD: &str = "ecsim-password";
/// The admin account.
const ADMIN_EMAIL: &str = "admin@ecsim.test";
/// Products listed on a category page or a search result page.
const PAGE_SIZE: u32 = 24;
/// Recently viewed products a session remembers.
const RECENT: usize = 4;
/// Counters the shop does not keep itself (atomics: the wall clock shares
/// one business between threads).
#[derive(Debug, Default)]
struct Tally {
    sessions: AtomicU64,
    sessions_with_cart: AtomicU64,
    abandoned: AtomicU64,
    payment_retries: AtomicU64,
    new_visitors: AtomicU64,
    admin_coupons: AtomicU64,
    /// Shop counters at the start (accounts created by the setup).
    registrations_at_start: u64,
    logins_at_start: u64,
}

/// Who starts a session.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Visitor {
    /// A customer of the registered pool.
    Returning,
    /// A visitor without an account (yet).
    New,
}

/// The business of a full run: customers and admins using the real shop.
pub struct ShopBusiness {
    shop: Shop,
    mix: Mix,
    coupon_codes: Vec<String>,
    pool: Vec<CustomerId>,
    admin: Token,
    next_new: AtomicU64,
    next_key: AtomicU64,
    sold_out_seen: Mutex<BTreeSet<u32>>,
    doorbusters: u32,
    restock_quantity: u32,
    price_change_pct: f64,
    coupon_percent: u8,
    coupon_limit: u32,
    /// Orders by fulfilment stage, kept only when a fulfilment operation
    /// has a positive rate.
    desk: Option<OrderDesk>,
    tally: Tally,
}

fn kind(e: &ShopError) -> ErrorKind {
    // Every shop label has an ErrorKind (a unit test checks the lists).
    ErrorKind::from_label(e.kind()).unwrap_or(ErrorKind::InvalidInput)
}

impl ShopBusiness {
    /// The shop of `sc`, its registered customers and its admin, ready.
    pub fn new(sc: &Scenario) -> Result<ShopBusiness, SetupError> {
        Self::build(sc, || shop_config(sc))
    }

    /// As [`ShopBusiness::new`] with an explicit shop configuration (tests
    /// use it to inject a bug).
    pub fn with_config(sc: &Scenario, config: ShopConfig) -> Result<ShopBusiness, SetupError> {
        Self::build(sc, || config)
    }

    fn build(
        sc: &Scenario,
        config: impl FnOnce() -> ShopConfig,
    ) -> Result<ShopBusiness, SetupError> {
        let pool_emails = || {
            let emails = (0..sc.customers.registered).map(email_registered).collect();
            Emails::normalize(emails).map_err(ShopError::from)
        };
        // The pool's emails (a third of a short run's setup) are built
        // while the catalog is: on a second core when there is one.
        let (emails, shop) = join(pool_emails, || Shop::new(config()));
        let shop = shop?;
        let pool = shop.register_many(emails?, PASSWORD)?;
        let admin = shop.login(ADMIN_EMAIL, PASSWORD, 0)?.token;
        let c = shop.counters();
        let tally = Tally {
            registrations_at_start: c.registrations,
            logins_at_start: c.logins,
            ..Tally::default()
        };
        let mix = Mix::new(sc);
        Ok(ShopBusiness {
            shop,
            mix,
            coupon_codes: sc.coupons.iter().map(|c| c.code.clone()).collect(),
            pool,
            admin,
            next_new: AtomicU64::new(0),
            next_key: AtomicU64::new(1),
            sold_out_seen: Mutex::new(BTreeSet::new()),
            doorbusters: sc.catalog.doorbusters.count,
            restock_quantity: sc.admin.restock_quantity,
            price_change_pct: sc.admin.price_change_pct,
            coupon_percent: sc.admin.coupon_percent.min(100) as u8,
            coupon_limit: sc.admin.coupon_limit,
            desk: Action::ADMIN
                .iter()
                .any(|&op| Task::of(op).is_some() && sc.admin.rate(op) > 0.0)
                .then(OrderDesk::default),
            tally,
        })
    }

    /// A session's start, uncounted: returning (one of the registered
    /// pool) or new, its coupon and its payment method.
    fn begin(&self, s: &mut ShopSession, cx: &mut Cx<'_>) -> Visitor {
        *s = ShopSession::default();
        let m = &self.mix;
        let visitor = if m.registered > 0 && cx.rng.random::<f64>() < m.returning {
            let i = cx.rng.random_range(0..m.registered);
            s.ident = i;
            s.ident_kind = Ident::Pool;
            s.set_customer(self.pool[i as usize]);
            Visitor::Returning
        } else {
            Visitor::New
        };
        if m.coupon_share > 0.0 && cx.rng.random::<f64>() < m.coupon_share {
            s.coupon = pick(&m.coupon_cdf, cx.rng) as u16;
        }
        s.method = pick(&m.method_cdf, cx.rng) as u8;
        visitor
    }

    /// The shop, to inspect its state after a run.
    pub fn shop(&self) -> &Shop {
        &self.shop
    }

    /// SKUs seen sold out (restock candidates). A poisoned lock only means
    /// another thread panicked mid-update of this set of hints.
    fn seen_sold_out(&self) -> std::sync::MutexGuard<'_, BTreeSet<u32>> {
        self.sold_out_seen.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn coupon_code(&self, s: &ShopSession) -> Option<&str> {
        s.coupon()
            .and_then(|i| self.coupon_codes.get(i as usize))
            .map(String::as_str)
    }

    fn remember_viewed(s: &mut ShopSession, product: u32) {
        s.recent[s.n_recent as usize % RECENT] = product;
        s.n_recent = s.n_recent.wrapping_add(1);
    }
}

/// The customers' and admins' logic, callable from many threads at once
/// (the wall clock).
impl Business for ShopBusiness {
    type Session = ShopSession;

    /// A session begins: returning or new, coupon, payment method.
    fn start_session(&self, s: &mut ShopSession, cx: &mut Cx<'_>) {
        self.tally.sessions.fetch_add(1, Relaxed);
        if self.begin(s, cx) == Visitor::New {
            self.tally.new_visitors.fetch_add(1, Relaxed);
        }
    }

    fn start_session_owned(&mut self, s: &mut ShopSession, cx: &mut Cx<'_>) {
        *self.tally.sessions.get_mut() += 1;
        if self.begin(s, cx) == Visitor::New {
            *self.tally.new_visitors.get_mut() += 1;
        }
    }

    /// What `action` is about (a product, a page, a SKU to restock).
    fn subject(&self, action: Action, s: &mut ShopSession, cx: &mut Cx<'_>) -> u32 {
        match action {
            Action::ViewProduct => cx.picker.product(cx.rng),
            Action::AddToCart => {
                let seen = (s.n_recent as usize).min(RECENT);
                if seen > 0 && cx.rng.random::<f64>() < self.mix.recently_viewed {
                    s.recent[cx.rng.random_range(0..seen)]
                } else {
                    cx.picker.product(cx.rng)
                }
            }
            Action::Browse => category_key(cx.picker, cx.picker.category(cx.rng)),
            Action::Home => home_key(cx.picker),
            // Doorbusters are limited by design: never restocked.
            Action::Restock => match self
                .seen_sold_out()
                .iter()
                .find(|&&sku| sku >= self.doorbusters)
                .copied()
            {
                Some(sku) => sku,
                None => cx
                    .picker
                    .product(cx.rng)
                    .max(self.doorbusters.min(cx.picker.products() - 1)),
            },
            Action::PriceChange => cx.picker.product(cx.rng),
            _ => 0,
        }
    }

    /// Whether a conditional route step applies to the session.
    fn condition(&self, condition: Condition, s: &ShopSession) -> bool {
        match condition {
            Condition::NeedsLogin => !s.logged_in,
            Condition::HasCoupon => s.coupon().is_some(),
        }
    }

    /// Cart lines being checked out.
    fn lines(&self, s: &ShopSession) -> u32 {
        s.lines().len() as u32
    }

    /// The inventory shard of checkout line `i`.
    fn line_shard(&self, s: &ShopSession, i: u32, shards: u16) -> u16 {
        self.sku_shard(s.lines()[i as usize].0, shards)
    }

    /// The shop's own lock shard of `sku`, among `shards`.
    fn sku_shard(&self, sku: u32, shards: u16) -> u16 {
        // The shop's own lock shard, so the modelled lock is the real one.
        (self.shop.inventory_shard(ProductId(sku)) % shards.max(1) as usize) as u16
    }

    /// The gateway station of the session's payment method.
    fn payment_station(&self, s: &ShopSession) -> Option<u16> {
        self.mix.methods.get(s.method as usize).and_then(|m| m.1)
    }

    /// A business step of the checkout route.
    fn effect(&self, effect: Effect, s: &mut ShopSession, cx: &mut Cx<'_>) -> EffectOutcome {
        let now = cx.now.as_nanos();
        let done = |r: Result<(), ErrorKind>| match r {
            Ok(()) => EffectOutcome::Continue,
            Err(k) => EffectOutcome::Fail(k),
        };
        match effect {
            Effect::Login => done(self.login(s, now)),
            Effect::Validate => done(self.validate(s, now, cx.reload)),
            Effect::Checkout => self.checkout(s, cx),
        }
    }

    /// The route of `action` completed: its effect on the shop.
    fn complete(
        &self,
        action: Action,
        subject: u32,
        s: &mut ShopSession,
        cx: &mut Cx<'_>,
    ) -> Result<(), ErrorKind> {
        let now = cx.now.as_nanos();
        match action {
            Action::Home | Action::Checkout => Ok(()),
            Action::Browse if cx.cached => Ok(()),
            Action::Browse => {
                let category = subject.saturating_sub(cx.picker.products());
                let q = SearchQuery {
                    text: "",
                    category: Some(CategoryId(category as u16)),
                    min_price_cents: None,
                    max_price_cents: None,
                    in_stock_only: false,
                    sort: SortOrder::Popularity,
                    page: 0,
                    page_size: PAGE_SIZE,
                };
                self.shop.search(&q).map(|_| ()).map_err(|e| kind(&e))
            }
            Action::Search => self.search(cx),
            Action::ViewProduct => {
                Self::remember_viewed(s, subject);
                if cx.cached {
                    return Ok(());
                }
                self.shop
                    .product(ProductId(subject))
                    .map(|_| ())
                    .map_err(|e| kind(&e))
            }
            Action::AddToCart => {
                let qty = (self.mix.quantity.sample(cx.rng).round() as u32).max(1);
                self.in_stock(subject, qty)?;
                s.added = true;
                match s.customer() {
                    Some(c) => self
                        .shop
                        .add_to_cart(c, ProductId(subject), qty, now)
                        .map(|_| ())
                        .map_err(|e| kind(&e)),
                    None => {
                        let cart = &mut s.checkout().guest_cart;
                        match cart.iter_mut().find(|l| l.0 == subject) {
                            Some(line) => line.1 += qty,
                            None => cart.push((subject, qty)),
                        }
                        Ok(())
                    }
                }
            }
            Action::ViewCart => match s.customer() {
                Some(c) => {
                    let code = self.coupon_code(s).map(str::to_owned);
                    // A coupon that does not apply is shown as such; the cart
                    // is priced without it.
                    if self.shop.price_cart(c, code.as_deref(), now).is_err() {
                        self.shop.price_cart(c, None, now).map_err(|e| kind(&e))?;
                    }
                    Ok(())
                }
                None => Ok(()),
            },
            Action::OrderStatus => {
                let c = s.customer().ok_or(ErrorKind::Unauthorized)?;
                if let Some(&last) = self.shop.orders_of(c).last() {
                    self.shop.order_status(last).map_err(|e| kind(&e))?;
                }
                Ok(())
            }
            Action::Restock
            | Action::PriceChange
            | Action::CreateCoupon
            | Action::ShipOrder
            | Action::DeliverOrder
            | Action::CancelOrder
            | Action::RefundOrder => self.admin_op(action, subject, cx),
        }
    }

    /// A session ends.
    fn end_session(&self, s: &mut ShopSession, _cx: &mut Cx<'_>) {
        if let Some(token) = s.checkout.as_mut().and_then(|c| c.token.take()) {
            self.shop.logout(token);
        }
        if s.added {
            self.tally.sessions_with_cart.fetch_add(1, Relaxed);
            if !s.bought {
                self.tally.abandoned.fetch_add(1, Relaxed);
            }
        }
    }

    /// The customer's id once logged in.
    fn customer(&self, s: &ShopSession) -> Option<u64> {
        s.customer().filter(|_| s.logged_in).map(|c| c.0 as u64)
    }

    /// The doorbusters' stock on hand.
    fn gauges(&self, out: &mut Vec<(String, f64)>) {
        for sku in 0..self.doorbusters {
            let on_hand = self.shop.stock(ProductId(sku)).unwrap_or(0);
            out.push((format!("doorbuster_stock.{sku}"), on_hand as f64));
        }
    }

    /// The inventory shard locks: acquisitions, and how many found the
    /// lock held.
    fn lock_counts(&self) -> Option<(u64, u64)> {
        Some(self.shop.inventory_lock_counts())
    }

    /// A payment-decline window opens or closes.
    fn fault(&self, fault: &FaultKind, active: bool) {
        if let FaultKind::PaymentDeclines { rate } = fault {
            self.shop
                .set_extra_declines(if active { *rate } else { 0.0 });
        }
    }

    /// Business facts and the shop's invariant checks.
    fn finish(&self, _now: SimTime) -> BusinessOutcome {
        BusinessOutcome {
            metrics: self.metrics(),
            invariants: crate::shop::invariants::check(&self.shop)
                .rows
                .into_iter()
                .map(|r| InvariantResult {
                    id: r.id.to_owned(),
                    name: r.name.to_owned(),
                    checked: r.checked,
                    violations: r.violations,
                })
                .collect(),
        }
    }
}
