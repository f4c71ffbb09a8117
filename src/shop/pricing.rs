//! Pricing: subtotal, discount, shipping, tax and total in integer cents.
//!
//! Guarantees (invariant I9): `total = subtotal - discount + shipping + tax`,
//! `0 <= discount <= subtotal`, `shipping >= 0`, `tax >= 0`, `total >= 0`.
//! The rules, in order:
//! 1. `subtotal` = Σ unit price × quantity;
//! 2. `discount` comes from the coupon (at most the subtotal of the lines it
//!    applies to, see [`super::coupons`]);
//! 3. `shipping` is the flat fee unless the coupon grants free shipping or the
//!    discounted subtotal reaches the free-shipping threshold;
//! 4. `tax` = (subtotal − discount) × rate in basis points / 10 000, rounded
//!    half up; shipping is not taxed.

use super::ids::{CategoryId, Cents, ProductId};

/// The shipping rule.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ShippingRule {
    /// Fee charged when shipping is not free.
    pub flat_fee_cents: Cents,
    /// Shipping is free when subtotal − discount reaches this (`None`: never).
    pub free_over_cents: Option<Cents>,
}

/// A cart line with the price and category it was priced at.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PricedLine {
    /// The product.
    pub product: ProductId,
    /// Units.
    pub qty: u32,
    /// Unit price in cents at pricing time.
    pub unit_price_cents: Cents,
    /// Its category at pricing time (coupon restrictions).
    pub category: CategoryId,
}

impl PricedLine {
    /// Unit price × quantity.
    pub fn amount(&self) -> Cents {
        self.unit_price_cents * Cents::from(self.qty)
    }
}

/// What a coupon does to an order.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CouponEffect {
    /// Amount off, already capped to the eligible subtotal.
    pub discount_cents: Cents,
    /// Waives the shipping fee.
    pub free_shipping: bool,
}

/// A priced cart or order.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PriceBreakdown {
    /// Σ unit price × quantity.
    pub subtotal_cents: Cents,
    /// Coupon discount.
    pub discount_cents: Cents,
    /// Shipping fee.
    pub shipping_cents: Cents,
    /// Tax.
    pub tax_cents: Cents,
    /// What the customer pays.
    pub total_cents: Cents,
}

impl PriceBreakdown {
    /// Checks the arithmetic identities of I9; `None` when they hold, else a
    /// description of the first broken one.
    pub fn arithmetic_error(&self) -> Option<String> {
        let p = self;
        let expected = p.subtotal_cents - p.discount_cents + p.shipping_cents + p.tax_cents;
        if p.total_cents != expected {
            Some(format!(
                "total {} != subtotal - discount + shipping + tax = {expected}",
                p.total_cents
            ))
        } else if p.discount_cents < 0 || p.discount_cents > p.subtotal_cents {
            Some(format!(
                "discount {} outside 0..={}",
                p.discount_cents, p.subtotal_cents
            ))
        } else if p.total_cents < 0 || p.shipping_cents < 0 || p.tax_cents < 0 {
            Some(format!("negative amount in {p:?}"))
        } else {
            None
        }
    }
}

/// Σ unit price × quantity.
pub fn subtotal(lines: &[PricedLine]) -> Cents {
    lines.iter().map(PricedLine::amount).sum()
}

/// Prices `lines` with an optional coupon effect.
pub fn price(
    lines: &[PricedLine],
    effect: CouponEffect,
    shipping: ShippingRule,
    tax_bps: u32,
) -> PriceBreakdown {
    let subtotal_cents = subtotal(lines);
    let discount_cents = effect.discount_cents.clamp(0, subtotal_cents.max(0));
    let goods = subtotal_cents - discount_cents;
    let free = effect.free_shipping || shipping.free_over_cents.is_some_and(|t| goods >= t);
    let shipping_cents = if free { 0 } else { shipping.flat_fee_cents };
    let tax_cents = tax(goods, tax_bps);
    PriceBreakdown {
        subtotal_cents,
        discount_cents,
        shipping_cents,
        tax_cents,
        total_cents: goods + shipping_cents + tax_cents,
    }
}

/// `amount × bps / 10 000`, rounded half up, computed in 128 bits.
pub fn tax(amount: Cents, bps: u32) -> Cents {
    let t = (i128::from(amount) * i128::from(bps) + 5_000).div_euclid(10_000);
    Cents::try_from(t).unwrap_or(Cents::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    const SHIP: ShippingRule = ShippingRule {
        flat_fee_cents: 499,
        free_over_cents: Some(5_000),
    };

    fn line(price: Cents, qty: u32) -> PricedLine {
        PricedLine {
            product: ProductId(0),
            qty,
            unit_price_cents: price,
            category: CategoryId(0),
        }
    }

    #[test]
    fn flat_shipping_and_tax() {
        let p = price(
            &[line(1_000, 2), line(250, 1)],
            CouponEffect::default(),
            SHIP,
            2_000,
        );
        assert_eq!(
            p,
            PriceBreakdown {
                subtotal_cents: 2_250,
                discount_cents: 0,
                shipping_cents: 499,
                tax_cents: 450,
                total_cents: 3_199
            }
        );
        assert_eq!(p.arithmetic_error(), None);
    }

    #[test]
    fn threshold_is_judged_after_discount() {
        let at = price(&[line(5_000, 1)], CouponEffect::default(), SHIP, 0);
        assert_eq!(at.shipping_cents, 0);
        let below = price(
            &[line(5_000, 1)],
            CouponEffect {
                discount_cents: 1,
                free_shipping: false,
            },
            SHIP,
            0,
        );
        assert_eq!((below.shipping_cents, below.total_cents), (499, 5_498));
        let coupon = price(
            &[line(10, 1)],
            CouponEffect {
                discount_cents: 0,
                free_shipping: true,
            },
            SHIP,
            0,
        );
        assert_eq!(coupon.total_cents, 10);
    }

    #[test]
    fn discount_is_capped_to_subtotal() {
        let p = price(
            &[line(300, 1)],
            CouponEffect {
                discount_cents: 1_000,
                free_shipping: false,
            },
            SHIP,
            1_000,
        );
        assert_eq!(
            (p.discount_cents, p.tax_cents, p.total_cents),
            (300, 0, 499)
        );
    }

    #[test]
    fn tax_rounds_half_up() {
        assert_eq!(tax(5, 1_000), 1); // 0.5 → 1
        assert_eq!(tax(4, 1_000), 0); // 0.4 → 0
        assert_eq!(tax(1_999, 825), 165); // 164.9175 → 165
        assert_eq!(tax(i64::MAX, 10_000), i64::MAX);
    }

    #[test]
    fn arithmetic_error_names_the_broken_identity() {
        let mut p = price(&[line(100, 1)], CouponEffect::default(), SHIP, 0);
        p.total_cents += 1;
        assert!(p.arithmetic_error().unwrap().contains("total"));
        let mut p = price(&[line(100, 1)], CouponEffect::default(), SHIP, 0);
        p.discount_cents = 200;
        p.total_cents -= 200;
        assert!(p.arithmetic_error().unwrap().contains("discount"));
    }
}
