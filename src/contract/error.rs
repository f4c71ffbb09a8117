//! Kinds of failed requests, as counted in `errors.csv`.
//!
//! The first three come from the stations (a full queue, a timeout, an
//! outage), then the shop's own error labels (`ShopError::kind`), then the
//! kinds of the feedback policies (a station's own failure, shedding, an
//! open circuit breaker, an impatient customer).
//! Labels are stable report values: add, never rename.

/// Why a request failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[repr(u8)]
pub enum ErrorKind {
    /// A station's queue was full.
    Rejected,
    /// The request waited longer than the station's timeout.
    Timeout,
    /// The station was down (an outage fault failing fast).
    Unavailable,
    /// Wrong password.
    BadCredentials,
    /// The customer's cart is already in another checkout.
    CheckoutInProgress,
    /// The coupon's global limit is used up.
    CouponExhausted,
    /// The coupon does not apply (unknown, expired, minimum, category).
    CouponInvalid,
    /// The customer used the coupon as often as allowed.
    CouponLimit,
    /// Registration with an email already taken.
    EmailTaken,
    /// Checkout of an empty cart.
    EmptyCart,
    /// The payment gateway did not answer in time.
    GatewayTimeout,
    /// An idempotency key reused with another amount.
    IdempotencyConflict,
    /// An order transition the state machine forbids.
    IllegalTransition,
    /// A malformed request (bad quantity, bad email…).
    InvalidInput,
    /// No such product, order or customer.
    NotFound,
    /// Not enough stock for a line.
    OutOfStock,
    /// The payment method declined.
    PaymentDeclined,
    /// Not logged in, or not an admin.
    Unauthorized,
    /// A station's service failed on its own (its `fail_rate`).
    Failed,
    /// A station dropped the request unserved: it had waited past the
    /// station's `max_wait` when a worker took it.
    Shed,
    /// A call site's circuit breaker was open: the call failed at once.
    CircuitOpen,
    /// The customer ran out of patience and left the session.
    Abandoned,
}

/// Number of error kinds.
pub const N_ERROR_KINDS: usize = 22;

impl ErrorKind {
    /// Every kind, in report order.
    pub const ALL: [ErrorKind; N_ERROR_KINDS] = [
        ErrorKind::Rejected,
        ErrorKind::Timeout,
        ErrorKind::Unavailable,
        ErrorKind::BadCredentials,
        ErrorKind::CheckoutInProgress,
        ErrorKind::CouponExhausted,
        ErrorKind::CouponInvalid,
        ErrorKind::CouponLimit,
        ErrorKind::EmailTaken,
        ErrorKind::EmptyCart,
        ErrorKind::GatewayTimeout,
        ErrorKind::IdempotencyConflict,
        ErrorKind::IllegalTransition,
        ErrorKind::InvalidInput,
        ErrorKind::NotFound,
        ErrorKind::OutOfStock,
        ErrorKind::PaymentDeclined,
        ErrorKind::Unauthorized,
        ErrorKind::Failed,
        ErrorKind::Shed,
        ErrorKind::CircuitOpen,
        ErrorKind::Abandoned,
    ];

    /// The report label.
    pub const fn name(self) -> &'static str {
        match self {
            ErrorKind::Rejected => "rejected",
            ErrorKind::Timeout => "timeout",
            ErrorKind::Unavailable => "unavailable",
            ErrorKind::BadCredentials => "bad_credentials",
            ErrorKind::CheckoutInProgress => "checkout_in_progress",
            ErrorKind::CouponExhausted => "coupon_exhausted",
            ErrorKind::CouponInvalid => "coupon_invalid",
            ErrorKind::CouponLimit => "coupon_limit",
            ErrorKind::EmailTaken => "email_taken",
            ErrorKind::EmptyCart => "empty_cart",
            ErrorKind::GatewayTimeout => "gateway_timeout",
            ErrorKind::IdempotencyConflict => "idempotency_conflict",
            ErrorKind::IllegalTransition => "illegal_transition",
            ErrorKind::InvalidInput => "invalid_input",
            ErrorKind::NotFound => "not_found",
            ErrorKind::OutOfStock => "out_of_stock",
            ErrorKind::PaymentDeclined => "payment_declined",
            ErrorKind::Unauthorized => "unauthorized",
            ErrorKind::Failed => "failed",
            ErrorKind::Shed => "shed",
            ErrorKind::CircuitOpen => "circuit_open",
            ErrorKind::Abandoned => "abandoned",
        }
    }

    /// The kind labelled `label`, if any.
    pub fn from_label(label: &str) -> Option<ErrorKind> {
        ErrorKind::ALL.into_iter().find(|k| k.name() == label)
    }

    /// Dense index, `0..N_ERROR_KINDS`.
    #[inline]
    pub const fn index(self) -> usize {
        self as usize
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_round_trip_and_indices_are_dense() {
        for (i, k) in ErrorKind::ALL.into_iter().enumerate() {
            assert_eq!(k.index(), i);
            assert_eq!(ErrorKind::from_label(k.name()), Some(k));
        }
    }
}
