//! Coupons: percent, fixed amount and free shipping, with their rules.
//!
//! Guarantees:
//! - a coupon applies inside its validity window `[valid_from, valid_until)`,
//!   to orders whose subtotal reaches `min_order_cents`, and — when restricted
//!   to a category — only to that category's lines (at least one is needed);
//! - redemption ([`Coupons::redeem`]) checks every rule and both usage limits
//!   and records the redemption under the coupon's own lock: two customers
//!   racing for the last use cannot both get it (invariant I4);
//! - a [`RedemptionTicket`] is attached to exactly one order or released; a
//!   released redemption no longer counts towards the limits but stays in
//!   the audit trail (`released: true`), which invariant I5 reads;
//! - discounts are whole cents, rounded down for percentages, never above the
//!   eligible subtotal.
//!
//! The parent holds the public types and the service with its storage;
//! `rules` decides what a coupon gives and whether a spec is sound, `error`
//! names every refusal.

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Mutex, MutexGuard, PoisonError};

use super::ids::{
    CategoryId, Cents, CouponId, CustomerId, FxDashMap, FxHashMap, Nanos, OrderId, new_map,
};
use super::pricing::{CouponEffect, PricedLine};

mod error;
mod rules;
#[cfg(test)]
mod tests;

pub use error::CouponError;
pub(crate) use rules::validate;

/// What a coupon gives.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CouponKind {
    /// Whole percent off the eligible subtotal, `1..=100`.
    Percent(u8),
    /// A fixed amount off, capped to the eligible subtotal.
    FixedAmount(Cents),
    /// Waives the shipping fee.
    FreeShipping,
}

/// A coupon's rules.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CouponSpec {
    /// The code customers type, unique, case-sensitive, 1..=32 printable ASCII.
    pub code: String,
    /// What it gives.
    pub kind: CouponKind,
    /// Minimum order subtotal in cents (0: none).
    pub min_order_cents: Cents,
    /// First valid instant.
    pub valid_from: Nanos,
    /// First instant it is no longer valid (`Nanos::MAX`: never expires).
    pub valid_until: Nanos,
    /// Only lines of this category are discounted.
    pub category: Option<CategoryId>,
    /// Most redemptions in total (`None`: unlimited).
    pub global_limit: Option<u32>,
    /// Most redemptions per customer (`None`: unlimited).
    pub per_customer_limit: Option<u32>,
}

/// One use of a coupon, kept forever for audit.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Redemption {
    /// Who redeemed it.
    pub customer: CustomerId,
    /// When.
    pub at: Nanos,
    /// The order it paid for, once attached.
    pub order: Option<OrderId>,
    /// Given back (checkout failed or order cancelled).
    pub released: bool,
}

/// A handle on one redemption: attach it to an order or release it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RedemptionTicket {
    /// The coupon.
    pub coupon: CouponId,
    /// Index in the coupon's redemption list.
    pub index: u32,
}

#[derive(Debug, Default)]
struct Usage {
    active: u32,
    per_customer: FxHashMap<CustomerId, u32>,
    redemptions: Vec<Redemption>,
}

#[derive(Debug)]
struct Coupon {
    spec: CouponSpec,
    usage: Mutex<Usage>,
}

impl Coupon {
    fn lock(&self) -> MutexGuard<'_, Usage> {
        // Usage is updated without panicking in between: a poisoned lock holds consistent data.
        self.usage.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// Usage of one coupon, for reports and the invariant checker.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CouponUsage {
    /// Its id.
    pub id: CouponId,
    /// Its rules.
    pub spec: CouponSpec,
    /// Redemptions not released.
    pub active: u32,
    /// The maintained per-customer counts, sorted by customer.
    pub per_customer: Vec<(CustomerId, u32)>,
    /// Every redemption ever made, in order.
    pub redemptions: Vec<Redemption>,
}

/// The coupon service. `Send + Sync`.
#[derive(Debug)]
pub struct Coupons {
    by_code: FxDashMap<Box<str>, CouponId>,
    by_id: FxDashMap<CouponId, Coupon>,
    next_id: AtomicU32,
}

impl Default for Coupons {
    fn default() -> Self {
        Self {
            by_code: new_map(),
            by_id: new_map(),
            next_id: AtomicU32::new(0),
        }
    }
}

impl Coupons {
    /// Validates and adds a coupon.
    pub fn create(&self, spec: CouponSpec) -> Result<CouponId, CouponError> {
        validate(&spec).map_err(|reason| CouponError::InvalidSpec { reason })?;
        match self.by_code.entry(spec.code.as_str().into()) {
            dashmap::Entry::Occupied(_) => Err(CouponError::InvalidSpec {
                reason: format!("code {:?} is already used", spec.code),
            }),
            dashmap::Entry::Vacant(e) => {
                let id = CouponId(self.next_id.fetch_add(1, Ordering::Relaxed));
                self.by_id.insert(
                    id,
                    Coupon {
                        spec,
                        usage: Mutex::new(Usage::default()),
                    },
                );
                e.insert(id);
                Ok(id)
            }
        }
    }

    fn id_of(&self, code: &str) -> Result<CouponId, CouponError> {
        self.by_code
            .get(code)
            .map(|id| *id)
            .ok_or_else(|| CouponError::UnknownCode {
                code: code.to_string(),
            })
    }

    /// What `code` would do to these lines now, without redeeming it; fails
    /// if any rule or limit would refuse it.
    pub fn quote(
        &self,
        code: &str,
        customer: CustomerId,
        lines: &[PricedLine],
        subtotal: Cents,
        now: Nanos,
    ) -> Result<(CouponId, CouponEffect), CouponError> {
        let id = self.id_of(code)?;
        let coupon = self
            .by_id
            .get(&id)
            .ok_or_else(|| CouponError::UnknownCode {
                code: code.to_string(),
            })?;
        let effect = coupon.effect(lines, subtotal, now)?;
        coupon.check_limits(&coupon.lock(), customer)?;
        Ok((id, effect))
    }

    /// Atomically checks every rule and limit and records a redemption.
    pub fn redeem(
        &self,
        coupon: CouponId,
        customer: CustomerId,
        lines: &[PricedLine],
        subtotal: Cents,
        now: Nanos,
    ) -> Result<(RedemptionTicket, CouponEffect), CouponError> {
        let c = self
            .by_id
            .get(&coupon)
            .ok_or_else(|| CouponError::UnknownCode {
                code: format!("#{coupon}"),
            })?;
        let effect = c.effect(lines, subtotal, now)?;
        let mut usage = c.lock();
        c.check_limits(&usage, customer)?;
        usage.active += 1;
        *usage.per_customer.entry(customer).or_insert(0) += 1;
        let index = u32::try_from(usage.redemptions.len()).unwrap_or(u32::MAX);
        usage.redemptions.push(Redemption {
            customer,
            at: now,
            order: None,
            released: false,
        });
        Ok((RedemptionTicket { coupon, index }, effect))
    }

    /// Records the order a redemption paid for.
    pub fn attach(&self, ticket: RedemptionTicket, order: OrderId) {
        if let Some(c) = self.by_id.get(&ticket.coupon)
            && let Some(r) = c.lock().redemptions.get_mut(ticket.index as usize)
        {
            r.order = Some(order);
        }
    }

    /// Gives a redemption back (checkout failed or order cancelled); returns
    /// false if it was already released or does not exist.
    pub fn release(&self, ticket: RedemptionTicket) -> bool {
        let Some(c) = self.by_id.get(&ticket.coupon) else {
            return false;
        };
        let mut usage = c.lock();
        let Some(r) = usage.redemptions.get_mut(ticket.index as usize) else {
            return false;
        };
        if r.released {
            return false;
        }
        r.released = true;
        let customer = r.customer;
        usage.active = usage.active.saturating_sub(1);
        if let Some(n) = usage.per_customer.get_mut(&customer) {
            *n = n.saturating_sub(1);
        }
        true
    }

    /// Active redemptions per code, sorted by code.
    pub fn redemptions_by_code(&self) -> Vec<(String, u32)> {
        let mut all: Vec<(String, u32)> = self
            .by_id
            .iter()
            .map(|c| (c.spec.code.clone(), c.lock().active))
            .collect();
        all.sort_unstable();
        all
    }

    /// Full usage of every coupon, sorted by id.
    pub fn usage(&self) -> Vec<CouponUsage> {
        let mut all: Vec<CouponUsage> = self
            .by_id
            .iter()
            .map(|c| {
                let u = c.lock();
                let mut per_customer: Vec<(CustomerId, u32)> =
                    u.per_customer.iter().map(|(&k, &v)| (k, v)).collect();
                per_customer.sort_unstable();
                CouponUsage {
                    id: *c.key(),
                    spec: c.spec.clone(),
                    active: u.active,
                    per_customer,
                    redemptions: u.redemptions.clone(),
                }
            })
            .collect();
        all.sort_unstable_by_key(|c| c.id);
        all
    }

    /// Rewrites a coupon's usage, to test the invariant checker.
    #[cfg(test)]
    pub(crate) fn corrupt(&self, code: &str, f: impl FnOnce(&mut u32, &mut Vec<Redemption>)) {
        if let Ok(id) = self.id_of(code)
            && let Some(c) = self.by_id.get(&id)
        {
            let mut u = c.lock();
            let Usage {
                active,
                redemptions,
                ..
            } = &mut *u;
            f(active, redemptions);
        }
    }
}
