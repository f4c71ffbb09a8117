//! Errors of the payment service and their stable report labels.
//!
//! Guarantees: every failure of authorize, capture, void or refund is one
//! [`PaymentError`] variant whose message says what to do next, and
//! [`PaymentError::kind`] maps it to a fixed label from the shop's
//! `ERROR_KINDS`.

use super::{DeclineReason, PaymentMethodKind, PaymentStatus};
use crate::shop::ids::{Cents, PaymentId};

/// Errors of the payment service.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PaymentError {
    /// The method refused the payment.
    #[error("payment declined ({}): {reason}; use another method", method.as_str())]
    Declined {
        /// The method.
        method: PaymentMethodKind,
        /// Why.
        reason: DeclineReason,
        /// True when this is the stored result of an earlier request.
        replayed: bool,
    },
    /// The gateway did not answer; nothing was charged.
    #[error("payment gateway timed out ({}): nothing was charged, retry with the same idempotency key", method.as_str())]
    GatewayTimeout {
        /// The method.
        method: PaymentMethodKind,
    },
    /// The key was used for another amount, or is in use right now.
    #[error(
        "idempotency key {key} was first used for {first_cents} cents, not {amount_cents}: use a new key for a new payment"
    )]
    IdempotencyConflict {
        /// The key.
        key: u64,
        /// Amount of the first request.
        first_cents: Cents,
        /// Amount of this request.
        amount_cents: Cents,
    },
    /// The method is not enabled in this shop.
    #[error("payment method {} is not enabled in this shop", method.as_str())]
    MethodDisabled {
        /// The method.
        method: PaymentMethodKind,
    },
    /// A negative amount.
    #[error("amount {amount_cents} cents must not be negative")]
    InvalidAmount {
        /// The amount.
        amount_cents: Cents,
    },
    /// The payment is not in a state that allows this.
    #[error("cannot {action} payment {payment}: it is {status:?}")]
    InvalidState {
        /// The payment.
        payment: PaymentId,
        /// Its status.
        status: PaymentStatus,
        /// What was attempted.
        action: &'static str,
    },
    /// No payment has this id.
    #[error("unknown payment {payment}")]
    UnknownPayment {
        /// The id.
        payment: PaymentId,
    },
}

impl PaymentError {
    /// The stable snake_case label used in reports.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Declined { .. } => "payment_declined",
            Self::GatewayTimeout { .. } => "gateway_timeout",
            Self::IdempotencyConflict { .. } => "idempotency_conflict",
            Self::MethodDisabled { .. } | Self::InvalidAmount { .. } => "invalid_input",
            Self::InvalidState { .. } => "illegal_transition",
            Self::UnknownPayment { .. } => "not_found",
        }
    }
}
