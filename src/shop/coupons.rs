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

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Mutex, MutexGuard, PoisonError};

use super::ids::{
    CategoryId, Cents, CouponId, CustomerId, FxDashMap, FxHashMap, Nanos, OrderId, new_map,
};
use super::pricing::{CouponEffect, PricedLine};

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

/// Errors of the coupon service.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CouponError {
    /// No coupon has this code.
    #[error("unknown coupon code {code:?}")]
    UnknownCode {
        /// The code as typed.
        code: String,
    },
    /// Used before its window.
    #[error("coupon {code:?} is not valid yet")]
    NotYetValid {
        /// The code.
        code: String,
    },
    /// Used after its window.
    #[error("coupon {code:?} has expired")]
    Expired {
        /// The code.
        code: String,
    },
    /// Subtotal below the minimum.
    #[error(
        "coupon {code:?} needs an order of at least {min_cents} cents, cart is {subtotal_cents}"
    )]
    BelowMinimum {
        /// The code.
        code: String,
        /// The minimum.
        min_cents: Cents,
        /// The cart subtotal.
        subtotal_cents: Cents,
    },
    /// No line of the coupon's category.
    #[error("coupon {code:?} only applies to category {category}, which is not in the cart")]
    WrongCategory {
        /// The code.
        code: String,
        /// Its category.
        category: CategoryId,
    },
    /// Global limit reached.
    #[error("coupon {code:?} has been fully redeemed")]
    Exhausted {
        /// The code.
        code: String,
    },
    /// Per-customer limit reached.
    #[error("coupon {code:?} was already used the maximum {limit} time(s) by this customer")]
    CustomerLimit {
        /// The code.
        code: String,
        /// The per-customer limit.
        limit: u32,
    },
    /// The code is taken or the rules are inconsistent.
    #[error("invalid coupon: {reason}")]
    InvalidSpec {
        /// What to fix.
        reason: String,
    },
}

impl CouponError {
    /// The stable snake_case label used in reports.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Exhausted { .. } => "coupon_exhausted",
            Self::CustomerLimit { .. } => "coupon_limit",
            Self::InvalidSpec { .. } => "invalid_input",
            _ => "coupon_invalid",
        }
    }
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

    /// Checks every rule but the limits; returns the effect.
    fn effect(
        &self,
        lines: &[PricedLine],
        subtotal: Cents,
        now: Nanos,
    ) -> Result<CouponEffect, CouponError> {
        let s = &self.spec;
        let code = || s.code.clone();
        if now < s.valid_from {
            return Err(CouponError::NotYetValid { code: code() });
        }
        if now >= s.valid_until {
            return Err(CouponError::Expired { code: code() });
        }
        if subtotal < s.min_order_cents {
            return Err(CouponError::BelowMinimum {
                code: code(),
                min_cents: s.min_order_cents,
                subtotal_cents: subtotal,
            });
        }
        let eligible: Cents = match s.category {
            None => subtotal,
            Some(c) => {
                let mut in_category = lines.iter().filter(|l| l.category == c).peekable();
                if in_category.peek().is_none() {
                    return Err(CouponError::WrongCategory {
                        code: code(),
                        category: c,
                    });
                }
                in_category.map(PricedLine::amount).sum()
            }
        };
        Ok(match s.kind {
            CouponKind::Percent(p) => CouponEffect {
                discount_cents: eligible * Cents::from(p) / 100,
                free_shipping: false,
            },
            CouponKind::FixedAmount(a) => CouponEffect {
                discount_cents: a.min(eligible),
                free_shipping: false,
            },
            CouponKind::FreeShipping => CouponEffect {
                discount_cents: 0,
                free_shipping: true,
            },
        })
    }

    fn check_limits(&self, usage: &Usage, customer: CustomerId) -> Result<(), CouponError> {
        if self.spec.global_limit.is_some_and(|l| usage.active >= l) {
            return Err(CouponError::Exhausted {
                code: self.spec.code.clone(),
            });
        }
        if let Some(limit) = self.spec.per_customer_limit
            && usage.per_customer.get(&customer).copied().unwrap_or(0) >= limit
        {
            return Err(CouponError::CustomerLimit {
                code: self.spec.code.clone(),
                limit,
            });
        }
        Ok(())
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

pub(crate) fn validate(spec: &CouponSpec) -> Result<(), String> {
    let code_ok =
        (1..=32).contains(&spec.code.len()) && spec.code.bytes().all(|b| b.is_ascii_graphic());
    if !code_ok {
        return Err(format!(
            "code {:?} must be 1..=32 printable ASCII characters without spaces",
            spec.code
        ));
    }
    match spec.kind {
        CouponKind::Percent(p) if p == 0 || p > 100 => {
            return Err(format!("percent {p} is out of range 1..=100"));
        }
        CouponKind::FixedAmount(a) if a <= 0 => {
            return Err(format!("fixed amount {a} cents must be positive"));
        }
        _ => {}
    }
    if spec.min_order_cents < 0 {
        return Err("minimum order must not be negative".into());
    }
    if spec.valid_from >= spec.valid_until {
        return Err("validity window is empty: valid_from must be before valid_until".into());
    }
    if spec.global_limit == Some(0) || spec.per_customer_limit == Some(0) {
        return Err(
            "a usage limit of 0 makes the coupon unusable: omit it or use at least 1".into(),
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::shop::ids::ProductId;

    const ALICE: CustomerId = CustomerId(1);
    const BOB: CustomerId = CustomerId(2);

    fn spec(code: &str, kind: CouponKind) -> CouponSpec {
        CouponSpec {
            code: code.into(),
            kind,
            min_order_cents: 0,
            valid_from: 100,
            valid_until: 200,
            category: None,
            global_limit: None,
            per_customer_limit: None,
        }
    }

    fn lines() -> Vec<PricedLine> {
        vec![
            PricedLine {
                product: ProductId(0),
                qty: 2,
                unit_price_cents: 1_000,
                category: CategoryId(0),
            },
            PricedLine {
                product: ProductId(1),
                qty: 1,
                unit_price_cents: 999,
                category: CategoryId(1),
            },
        ]
    }

    fn quote(c: &Coupons, code: &str, now: Nanos) -> Result<CouponEffect, CouponError> {
        let l = lines();
        c.quote(code, ALICE, &l, 2_999, now).map(|(_, e)| e)
    }

    #[test]
    fn effects_of_each_kind() {
        let c = Coupons::default();
        c.create(spec("P10", CouponKind::Percent(10))).unwrap();
        c.create(spec("F5", CouponKind::FixedAmount(500))).unwrap();
        c.create(spec("BIG", CouponKind::FixedAmount(1_000_000)))
            .unwrap();
        c.create(spec("SHIP", CouponKind::FreeShipping)).unwrap();
        c.create(CouponSpec {
            category: Some(CategoryId(1)),
            ..spec("CAT50", CouponKind::Percent(50))
        })
        .unwrap();
        assert_eq!(quote(&c, "P10", 150).unwrap().discount_cents, 299);
        assert_eq!(quote(&c, "F5", 150).unwrap().discount_cents, 500);
        assert_eq!(quote(&c, "BIG", 150).unwrap().discount_cents, 2_999);
        assert_eq!(
            quote(&c, "SHIP", 150).unwrap(),
            CouponEffect {
                discount_cents: 0,
                free_shipping: true
            }
        );
        assert_eq!(quote(&c, "CAT50", 150).unwrap().discount_cents, 499);
    }

    #[test]
    fn rules_refuse_with_coupon_invalid() {
        let c = Coupons::default();
        c.create(CouponSpec {
            min_order_cents: 3_000,
            ..spec("MIN", CouponKind::Percent(5))
        })
        .unwrap();
        c.create(CouponSpec {
            category: Some(CategoryId(9)),
            ..spec("CAT", CouponKind::Percent(5))
        })
        .unwrap();
        c.create(spec("WIN", CouponKind::Percent(5))).unwrap();
        let kinds = |r: Result<CouponEffect, CouponError>| r.unwrap_err();
        assert!(matches!(
            kinds(quote(&c, "NOPE", 150)),
            CouponError::UnknownCode { .. }
        ));
        assert!(matches!(
            kinds(quote(&c, "WIN", 99)),
            CouponError::NotYetValid { .. }
        ));
        assert!(matches!(
            kinds(quote(&c, "WIN", 200)),
            CouponError::Expired { .. }
        ));
        assert!(matches!(
            kinds(quote(&c, "MIN", 150)),
            CouponError::BelowMinimum { .. }
        ));
        assert!(matches!(
            kinds(quote(&c, "CAT", 150)),
            CouponError::WrongCategory { .. }
        ));
        for code in ["NOPE", "MIN", "CAT"] {
            assert_eq!(quote(&c, code, 150).unwrap_err().kind(), "coupon_invalid");
        }
        assert_eq!(quote(&c, "WIN", 200).unwrap_err().kind(), "coupon_invalid");
    }

    #[test]
    fn limits_and_release() {
        let c = Coupons::default();
        let id = c
            .create(CouponSpec {
                global_limit: Some(2),
                per_customer_limit: Some(1),
                ..spec("L", CouponKind::Percent(5))
            })
            .unwrap();
        let l = lines();
        let (t1, _) = c.redeem(id, ALICE, &l, 2_999, 150).unwrap();
        let err = c.redeem(id, ALICE, &l, 2_999, 150).unwrap_err();
        assert_eq!(
            (err.kind(), err.to_string().contains("maximum 1")),
            ("coupon_limit", true)
        );
        let (t2, _) = c.redeem(id, BOB, &l, 2_999, 150).unwrap();
        assert_eq!(
            c.redeem(id, CustomerId(3), &l, 2_999, 150)
                .unwrap_err()
                .kind(),
            "coupon_exhausted"
        );
        assert_eq!(quote(&c, "L", 150).unwrap_err().kind(), "coupon_exhausted");
        assert!(c.release(t1));
        assert!(!c.release(t1), "release is idempotent");
        c.attach(t2, OrderId(9));
        let (t3, _) = c.redeem(id, ALICE, &l, 2_999, 160).unwrap();
        assert_eq!(t3.index, 2);
        let u = &c.usage()[0];
        assert_eq!(
            (u.active, u.per_customer.clone()),
            (2, vec![(ALICE, 1), (BOB, 1)])
        );
        assert_eq!(u.redemptions[1].order, Some(OrderId(9)));
        assert!(u.redemptions[0].released);
        assert_eq!(c.redemptions_by_code(), vec![("L".to_string(), 2)]);
    }

    #[test]
    fn invalid_specs_are_rejected() {
        let c = Coupons::default();
        let bad = [
            spec("", CouponKind::Percent(5)),
            spec("has space", CouponKind::Percent(5)),
            spec("P0", CouponKind::Percent(0)),
            spec("P101", CouponKind::Percent(101)),
            spec("F0", CouponKind::FixedAmount(0)),
            CouponSpec {
                valid_until: 100,
                ..spec("W", CouponKind::FreeShipping)
            },
            CouponSpec {
                global_limit: Some(0),
                ..spec("G", CouponKind::FreeShipping)
            },
            CouponSpec {
                min_order_cents: -1,
                ..spec("M", CouponKind::FreeShipping)
            },
        ];
        for s in bad {
            assert_eq!(
                c.create(s.clone()).unwrap_err().kind(),
                "invalid_input",
                "{s:?}"
            );
        }
        c.create(spec("A", CouponKind::FreeShipping)).unwrap();
        assert_eq!(
            c.create(spec("A", CouponKind::FreeShipping))
                .unwrap_err()
                .kind(),
            "invalid_input"
        );
    }

    #[test]
    fn racing_redemptions_respect_the_global_limit() {
        let c = std::sync::Arc::new(Coupons::default());
        let id = c
            .create(CouponSpec {
                global_limit: Some(50),
                ..spec("RACE", CouponKind::Percent(5))
            })
            .unwrap();
        let won: u32 = (0..8u32)
            .map(|t| {
                let c = std::sync::Arc::clone(&c);
                std::thread::spawn(move || {
                    let l = lines();
                    (0..100u32)
                        .filter(|&i| {
                            c.redeem(id, CustomerId(t * 1_000 + i), &l, 2_999, 150)
                                .is_ok()
                        })
                        .count() as u32
                })
            })
            .collect::<Vec<_>>()
            .into_iter()
            .map(|h| h.join().unwrap())
            .sum();
        assert_eq!(won, 50);
        assert_eq!(c.usage()[0].active, 50);
    }
}
