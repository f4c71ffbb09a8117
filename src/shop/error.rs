//! The shop layer's error: one enum composed from each service's error.
//!
//! Guarantees: every error is a value, never a panic; [`ShopError::kind`]
//! gives a stable snake_case label (one of [`ERROR_KINDS`]) that reports use
//! as a column value, so labels are only ever added, never renamed.

use super::cart::CartError;
use super::catalog::CatalogError;
use super::coupons::CouponError;
use super::inventory::InventoryError;
use super::orders::OrderError;
use super::payments::PaymentError;
use super::users::UserError;

/// Every label [`ShopError::kind`] can return, sorted.
pub const ERROR_KINDS: [&str; 15] = [
    "bad_credentials",
    "checkout_in_progress",
    "coupon_exhausted",
    "coupon_invalid",
    "coupon_limit",
    "email_taken",
    "empty_cart",
    "gateway_timeout",
    "idempotency_conflict",
    "illegal_transition",
    "invalid_input",
    "not_found",
    "out_of_stock",
    "payment_declined",
    "unauthorized",
];

/// An operation of the shop failed; nothing was left half done.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ShopError {
    /// Registration, login, session or role.
    #[error(transparent)]
    User(#[from] UserError),
    /// Product or category.
    #[error(transparent)]
    Catalog(#[from] CatalogError),
    /// Stock.
    #[error(transparent)]
    Inventory(#[from] InventoryError),
    /// Cart contents.
    #[error(transparent)]
    Cart(#[from] CartError),
    /// Coupon rules or limits.
    #[error(transparent)]
    Coupon(#[from] CouponError),
    /// Payment.
    #[error(transparent)]
    Payment(#[from] PaymentError),
    /// Order state.
    #[error(transparent)]
    Order(#[from] OrderError),
}

impl ShopError {
    /// The stable snake_case label used in reports (see [`ERROR_KINDS`]).
    pub fn kind(&self) -> &'static str {
        match self {
            Self::User(e) => e.kind(),
            Self::Catalog(e) => e.kind(),
            Self::Inventory(e) => e.kind(),
            Self::Cart(e) => e.kind(),
            Self::Coupon(e) => e.kind(),
            Self::Payment(e) => e.kind(),
            Self::Order(e) => e.kind(),
        }
    }

    /// Whether the same request may succeed if simply retried (a gateway
    /// timeout, or a concurrent checkout of the same cart).
    pub fn is_retryable(&self) -> bool {
        matches!(self.kind(), "gateway_timeout" | "checkout_in_progress")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::shop::ids::{OrderId, ProductId, UserId};
    use crate::shop::orders::OrderStatus;
    use crate::shop::strategies::PaymentMethodKind;

    #[test]
    fn kinds_compose_and_are_listed() {
        let errors: Vec<ShopError> = vec![
            UserError::NotAdmin { user: UserId(1) }.into(),
            CatalogError::UnknownProduct {
                product: ProductId(1),
            }
            .into(),
            InventoryError::OutOfStock {
                product: ProductId(1),
                requested: 2,
                available: 1,
            }
            .into(),
            CartError::Empty.into(),
            CouponError::Exhausted { code: "X".into() }.into(),
            PaymentError::GatewayTimeout {
                method: PaymentMethodKind::Card,
            }
            .into(),
            OrderError::IllegalTransition {
                order: OrderId(1),
                from: OrderStatus::Paid,
                to: OrderStatus::Created,
            }
            .into(),
        ];
        let kinds: Vec<&str> = errors.iter().map(ShopError::kind).collect();
        assert_eq!(
            kinds,
            [
                "unauthorized",
                "not_found",
                "out_of_stock",
                "empty_cart",
                "coupon_exhausted",
                "gateway_timeout",
                "illegal_transition"
            ]
        );
        assert!(kinds.iter().all(|k| ERROR_KINDS.contains(k)));
        assert!(
            ERROR_KINDS.windows(2).all(|w| w[0] < w[1]),
            "sorted and unique"
        );
        assert!(errors[5].is_retryable() && !errors[2].is_retryable());
        for e in &errors {
            let text = e.to_string();
            assert!(
                text.starts_with(|c: char| !c.is_uppercase()),
                "lower-case: {text}"
            );
        }
    }
}
