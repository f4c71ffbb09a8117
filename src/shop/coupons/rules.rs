//! Coupon rules: what a coupon gives, when it may be used, and whether a
//! spec is sound.
//!
//! Owns the checks behind quote and redeem (validity window, minimum order,
//! category, then the global and per-customer limits) and the validation of
//! a new [`CouponSpec`]. Guarantees: the checks only read, so quote and
//! redeem refuse alike; discounts are whole cents, rounded down for
//! percentages, never above the eligible subtotal.

use super::{Coupon, CouponError, CouponKind, CouponSpec, Usage};
use crate::shop::ids::{Cents, CustomerId, Nanos};
use crate::shop::pricing::{CouponEffect, PricedLine};

impl Coupon {
    /// Checks every rule but the limits; returns the effect.
    pub(super) fn effect(
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

    pub(super) fn check_limits(
        &self,
        usage: &Usage,
        customer: CustomerId,
    ) -> Result<(), CouponError> {
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
