//! Errors of the coupon service and their stable report labels.
//!
//! Guarantees: every refusal of a code, a rule or a limit is one
//! [`CouponError`] variant whose message names the coupon and what is
//! missing, and [`CouponError::kind`] maps it to a fixed label from the
//! shop's `ERROR_KINDS` (limits apart from the other rules).

use crate::shop::ids::{CategoryId, Cents};

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
