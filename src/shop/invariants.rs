//! The invariant checker: every business rule of INVARIANTS.md the shop can
//! check, over the services' state.
//!
//! [`check`] reads a snapshot of every service and returns one row per
//! invariant, in id order (I1 … I12; I13 cache and I14 metrics belong to the
//! engine). Each row counts what it checked and lists every violation in
//! words naming the SKU, coupon, key or order. Nothing is expected to fail:
//! a violation is a bug in ecsim.
//!
//! Call it after the run has drained (no checkout in flight): it reads the
//! services one after another, so a concurrent checkout could be seen half
//! done. While checkouts are in flight, I3 checks nothing and I12 reports
//! them.

use std::collections::BTreeMap;

use super::Shop;
use super::coupons::CouponUsage;
use super::ids::{CustomerId, OrderId, PaymentId, ProductId};
use super::inventory::StockRecord;
use super::orders::Order;
use super::payments::KeyState;
use super::payments::{Payment, Payments};
use super::pricing::ShippingRule;
use super::strategies::PaymentMethodKind;
use crate::kernel::par;

mod coupons;
mod money;
mod orders;
mod stock;

/// At most this many messages are kept per row; `violation_count` has the
/// full count.
pub const MAX_MESSAGES_PER_ROW: usize = 100;

/// The result of one invariant.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InvariantRow {
    /// `I1` … `I12`.
    pub id: &'static str,
    /// Snake_case name, e.g. `stock_conservation`.
    pub name: &'static str,
    /// How many items (SKUs, coupons, orders, keys …) were checked.
    pub checked: u64,
    /// How many violations were found.
    pub violation_count: u64,
    /// The first [`MAX_MESSAGES_PER_ROW`] violations, in words.
    pub violations: Vec<String>,
}

impl InvariantRow {
    fn new(id: &'static str, name: &'static str) -> Self {
        Self {
            id,
            name,
            checked: 0,
            violation_count: 0,
            violations: Vec::new(),
        }
    }

    fn check(&mut self) {
        self.checked += 1;
    }

    fn fail(&mut self, message: impl FnOnce() -> String) {
        self.violation_count += 1;
        if self.violations.len() < MAX_MESSAGES_PER_ROW {
            self.violations.push(message());
        }
    }
}

/// Every row, in id order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InvariantReport {
    /// One row per invariant.
    pub rows: Vec<InvariantRow>,
}

impl InvariantReport {
    /// True when no row has a violation.
    pub fn is_ok(&self) -> bool {
        self.rows.iter().all(|r| r.violation_count == 0)
    }

    /// Total violations over all rows.
    pub fn violation_count(&self) -> u64 {
        self.rows.iter().map(|r| r.violation_count).sum()
    }

    /// The row with this id (`"I4"`).
    pub fn row(&self, id: &str) -> Option<&InvariantRow> {
        self.rows.iter().find(|r| r.id == id)
    }
}

/// Everything the checks read, taken once. Orders and payments are read in
/// place, sorted (a copy of them would double the run's peak memory); they
/// stay read-locked until the check ends. Idempotency keys and the ledger
/// are read in place from the payment service when a check walks them,
/// never copied (a copy of the keys was the largest allocation of the
/// check).
struct Snapshot<'a> {
    stock: Vec<(ProductId, StockRecord)>,
    orders: &'a [&'a Order],
    payments: &'a [&'a Payment],
    /// The payment service: what lookups and walks over idempotency keys
    /// and the ledger read.
    service: &'a Payments,
    coupons: Vec<CouponUsage>,
    in_flight: u64,
    busy_carts: Vec<CustomerId>,
    shipping: ShippingRule,
    tax_bps: u32,
    prepaid: [bool; 4],
}

impl<'a> Snapshot<'a> {
    fn take(shop: &'a Shop, orders: &'a [&'a Order], payments: &'a [&'a Payment]) -> Self {
        Self {
            stock: shop.inventory.snapshot(),
            orders,
            payments,
            service: &shop.payments,
            coupons: shop.coupons.usage(),
            in_flight: shop.checkouts_in_flight(),
            busy_carts: shop.carts.busy(),
            shipping: shop.shipping,
            tax_bps: shop.tax_bps,
            prepaid: PaymentMethodKind::ALL.map(|m| shop.payments.captures_at_checkout(m)),
        }
    }

    fn order(&self, id: OrderId) -> Option<&Order> {
        self.order_at(id).map(|i| self.orders[i])
    }

    /// The position of order `id` in `orders`.
    fn order_at(&self, id: OrderId) -> Option<usize> {
        position(self.orders, id.0, |o| o.id.0)
    }

    /// The position of payment `id` in `payments`.
    fn payment_at(&self, id: PaymentId) -> Option<usize> {
        position(self.payments, id.0, |p| p.id.0)
    }

    /// The state remembered under an idempotency key.
    fn key_state(&self, (customer, key): (CustomerId, u64)) -> Option<KeyState> {
        self.service.key_state(customer, key)
    }

    fn payment(&self, id: PaymentId) -> Option<&Payment> {
        self.payment_at(id).map(|i| self.payments[i])
    }

    fn is_prepaid(&self, method: PaymentMethodKind) -> bool {
        self.prepaid[method.index()]
    }

    /// The order's money is with the merchant: paid, prepaid and shipped, or
    /// delivered.
    fn is_paid(&self, o: &Order) -> bool {
        o.status.is_paid(self.is_prepaid(o.details.method))
    }

    /// Units held by orders per SKU.
    fn held_units(&self) -> BTreeMap<ProductId, i64> {
        let mut held = BTreeMap::new();
        for o in self.orders.iter().filter(|o| o.stock_held) {
            for l in &o.details.lines {
                *held.entry(l.product).or_insert(0) += i64::from(l.qty);
            }
        }
        held
    }
}

/// The position of the record numbered `id` in `all` (sorted by number):
/// records are numbered from 1 without gaps, so record `id` is normally at
/// `id - 1`; otherwise (a gap, or no such record) a binary search decides.
fn position<T>(all: &[&T], id: u64, number: impl Fn(&T) -> u64) -> Option<usize> {
    let guess = usize::try_from(id.wrapping_sub(1)).ok();
    match guess.and_then(|i| all.get(i)) {
        Some(r) if number(r) == id => guess,
        _ => all.binary_search_by_key(&id, |r| number(r)).ok(),
    }
}

/// Checks every shop invariant (I1–I12) and returns the rows in id order.
pub fn check(shop: &Shop) -> InvariantReport {
    shop.orders.with_all(|orders| {
        shop.payments
            .with_all(|payments| check_with(shop, orders, payments))
    })
}

fn check_with(shop: &Shop, orders: &[&Order], payments: &[&Payment]) -> InvariantReport {
    let s = Snapshot::take(shop, orders, payments);
    // The order checks (I9–I12, about half the work on a Black Friday's
    // 300k orders by perf) run on a second core while the others run
    // here; the rows are the same, in id order, whichever ends first.
    let (by_order, others) = par::join(
        || {
            [
                orders::price_arithmetic(&s),
                orders::legal_histories(&s),
                orders::services_agree(&s),
                orders::liveness(&s),
            ]
        },
        || {
            [
                stock::conservation(&s),
                stock::no_oversell(&s),
                stock::no_leaked_reservations(&s),
                coupons::limits(&s),
                coupons::validity(&s),
                money::idempotent_payments(&s),
                money::no_double_charge(&s),
                money::conservation(&s),
            ]
        },
    );
    InvariantReport {
        rows: others.into_iter().chain(by_order).collect(),
    }
}
