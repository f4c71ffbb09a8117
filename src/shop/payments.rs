//! Payments: method strategies, authorize / capture / void / refund,
//! idempotency keys and the ledger.
//!
//! Guarantees:
//! - each method is a [`PaymentStrategy`] with its own decline behaviour; the
//!   gateway's verdict depends only on the amount and a caller-supplied
//!   uniform draw `roll` in `[0, 1)`, so a seeded simulation is reproducible;
//! - idempotency keys are scoped per customer and claimed under their map
//!   entry: a retry with the same key and amount gets the first result
//!   (the same authorization, or the same decline), the same key with another
//!   amount is refused with `idempotency_conflict`, and two concurrent
//!   requests with one key are serialised, so at most one authorization and
//!   one capture exist per key (invariant I6);
//! - a gateway timeout records nothing: no money moved, and the key stays
//!   free for the retry (which draws a fresh verdict);
//! - a payment is captured at most once and refunded at most once, in full;
//!   every capture and refund is written to the [`Ledger`].

use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};

use super::ids::{Cents, CustomerId, FxDashMap, Nanos, OrderId, PaymentId, new_map};
use super::ledger::{Ledger, LedgerEntry, MovementKind};
pub use super::strategies::{
    DeclineReason, GatewayDecision, PaymentMethodConfig, PaymentMethodKind, PaymentStrategy,
};

/// Where a payment stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum PaymentStatus {
    /// Approved, money not yet taken.
    Authorized,
    /// Money taken.
    Captured,
    /// Authorization cancelled, no money moved.
    Voided,
    /// Money taken, then given back in full.
    Refunded,
}

/// One payment.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Payment {
    /// Its id.
    pub id: PaymentId,
    /// The payer.
    pub customer: CustomerId,
    /// The idempotency key it was authorized under.
    pub idempotency_key: u64,
    /// The method.
    pub method: PaymentMethodKind,
    /// Authorized amount.
    pub amount_cents: Cents,
    /// Where it stands.
    pub status: PaymentStatus,
    /// Money taken.
    pub captured_cents: Cents,
    /// Money given back.
    pub refunded_cents: Cents,
    /// Number of captures (at most one).
    pub captures: u32,
    /// The order it pays for, once created.
    pub order: Option<OrderId>,
    /// When it was authorized.
    pub authorized_at: Nanos,
}

/// A successful authorization.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Authorization {
    /// The payment.
    pub payment: PaymentId,
    /// True when this is the stored result of an earlier request.
    pub replayed: bool,
}

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

/// What an idempotency key remembers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeyState {
    /// Authorized, the checkout is still running.
    Authorized(PaymentId),
    /// Declined: retries get the same decline.
    Declined(DeclineReason),
    /// The checkout completed with this order.
    Completed(PaymentId, OrderId),
}

#[derive(Clone, Copy, Debug)]
struct KeyRecord {
    amount: Cents,
    method: PaymentMethodKind,
    state: KeyState,
}

/// Counters for the business report.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PaymentCounters {
    /// Fresh authorizations approved.
    pub authorizations: u64,
    /// Fresh declines (replays not counted).
    pub declines: u64,
    /// Gateway timeouts.
    pub gateway_timeouts: u64,
    /// Requests answered from an idempotency key.
    pub idempotent_replays: u64,
    /// Money captured, in cents.
    pub captured_cents: Cents,
    /// Money refunded, in cents.
    pub refunded_cents: Cents,
}

/// The payment service. `Send + Sync`.
#[derive(Debug)]
pub struct Payments {
    strategies: [Option<Box<dyn PaymentStrategy>>; 4],
    payments: FxDashMap<PaymentId, Payment>,
    keys: FxDashMap<(CustomerId, u64), KeyRecord>,
    ledger: Ledger,
    next_id: AtomicU64,
    authorizations: AtomicU64,
    declines: AtomicU64,
    timeouts: AtomicU64,
    replays: AtomicU64,
    captured: AtomicI64,
    refunded: AtomicI64,
    /// `f64` bits of the extra decline share of a gateway fault (0: none).
    extra_declines: AtomicU64,
}

impl Payments {
    /// A payment service with these methods (later duplicates win) and a
    /// ledger of `ledger_shards` locks.
    pub fn new(methods: &[PaymentMethodConfig], ledger_shards: usize) -> Self {
        let mut strategies: [Option<Box<dyn PaymentStrategy>>; 4] = Default::default();
        for m in methods {
            strategies[m.kind.index()] = Some(m.strategy());
        }
        Self {
            strategies,
            payments: new_map(),
            keys: new_map(),
            ledger: Ledger::new(ledger_shards),
            next_id: AtomicU64::new(1),
            authorizations: AtomicU64::new(0),
            declines: AtomicU64::new(0),
            timeouts: AtomicU64::new(0),
            replays: AtomicU64::new(0),
            captured: AtomicI64::new(0),
            refunded: AtomicI64::new(0),
            extra_declines: AtomicU64::new(0),
        }
    }

    /// Whether `method` is enabled.
    pub fn is_enabled(&self, method: PaymentMethodKind) -> bool {
        self.strategies[method.index()].is_some()
    }

    /// Whether `method` takes the money at checkout (false: on delivery).
    pub fn captures_at_checkout(&self, method: PaymentMethodKind) -> bool {
        self.strategies[method.index()]
            .as_ref()
            .is_none_or(|s| s.captures_at_checkout())
    }

    /// The completed result stored under a key, counted as a replay.
    pub fn replay(&self, customer: CustomerId, key: u64) -> Option<(PaymentId, OrderId)> {
        let state = self.keys.get(&(customer, key)).map(|r| r.state)?;
        match state {
            KeyState::Completed(payment, order) => {
                self.replays.fetch_add(1, Ordering::Relaxed);
                Some((payment, order))
            }
            _ => None,
        }
    }

    /// Checks a key before any side effect: free, or a stored decline for
    /// the same amount (returned as the replayed decline), or a conflict.
    pub fn check_key(
        &self,
        customer: CustomerId,
        key: u64,
        amount: Cents,
    ) -> Result<(), PaymentError> {
        let Some(rec) = self.keys.get(&(customer, key)).map(|r| *r) else {
            return Ok(());
        };
        self.replay_record(key, rec, amount).map(|_| ())
    }

    fn replay_record(
        &self,
        key: u64,
        rec: KeyRecord,
        amount: Cents,
    ) -> Result<Authorization, PaymentError> {
        let conflict = PaymentError::IdempotencyConflict {
            key,
            first_cents: rec.amount,
            amount_cents: amount,
        };
        if rec.amount != amount {
            return Err(conflict);
        }
        self.replays.fetch_add(1, Ordering::Relaxed);
        match rec.state {
            KeyState::Declined(reason) => Err(PaymentError::Declined {
                method: rec.method,
                reason,
                replayed: true,
            }),
            KeyState::Authorized(payment) | KeyState::Completed(payment, _) => Ok(Authorization {
                payment,
                replayed: true,
            }),
        }
    }

    /// While a gateway fault lasts, the share `rate` of otherwise approved
    /// payments is declined (the top `rate` of the draw, so the same seed
    /// still gives the same verdicts); 0 ends the fault.
    pub fn set_extra_declines(&self, rate: f64) {
        self.extra_declines
            .store(rate.clamp(0.0, 1.0).to_bits(), Ordering::Relaxed);
    }

    fn degrade(&self, decision: GatewayDecision, roll: f64) -> GatewayDecision {
        let extra = f64::from_bits(self.extra_declines.load(Ordering::Relaxed));
        if decision == GatewayDecision::Approved && extra > 0.0 && roll >= 1.0 - extra {
            GatewayDecision::Declined(DeclineReason::GatewayDegraded)
        } else {
            decision
        }
    }

    /// Authorizes `amount` under an idempotency key (see the module docs).
    pub fn authorize(
        &self,
        customer: CustomerId,
        key: u64,
        method: PaymentMethodKind,
        amount: Cents,
        roll: f64,
        now: Nanos,
    ) -> Result<Authorization, PaymentError> {
        if amount < 0 {
            return Err(PaymentError::InvalidAmount {
                amount_cents: amount,
            });
        }
        let strategy = self.strategies[method.index()]
            .as_ref()
            .ok_or(PaymentError::MethodDisabled { method })?;
        match self.keys.entry((customer, key)) {
            dashmap::Entry::Occupied(e) => self.replay_record(key, *e.get(), amount),
            dashmap::Entry::Vacant(e) => match self.degrade(strategy.decide(amount, roll), roll) {
                GatewayDecision::Timeout => {
                    self.timeouts.fetch_add(1, Ordering::Relaxed);
                    Err(PaymentError::GatewayTimeout { method })
                }
                GatewayDecision::Declined(reason) => {
                    self.declines.fetch_add(1, Ordering::Relaxed);
                    e.insert(KeyRecord {
                        amount,
                        method,
                        state: KeyState::Declined(reason),
                    });
                    Err(PaymentError::Declined {
                        method,
                        reason,
                        replayed: false,
                    })
                }
                GatewayDecision::Approved => {
                    let id = PaymentId(self.next_id.fetch_add(1, Ordering::Relaxed));
                    let payment = Payment {
                        id,
                        customer,
                        idempotency_key: key,
                        method,
                        amount_cents: amount,
                        status: PaymentStatus::Authorized,
                        captured_cents: 0,
                        refunded_cents: 0,
                        captures: 0,
                        order: None,
                        authorized_at: now,
                    };
                    self.payments.insert(id, payment);
                    e.insert(KeyRecord {
                        amount,
                        method,
                        state: KeyState::Authorized(id),
                    });
                    self.authorizations.fetch_add(1, Ordering::Relaxed);
                    Ok(Authorization {
                        payment: id,
                        replayed: false,
                    })
                }
            },
        }
    }

    /// Records the order a payment is for.
    pub fn link(&self, payment: PaymentId, order: OrderId) {
        if let Some(mut p) = self.payments.get_mut(&payment) {
            p.order = Some(order);
        }
    }

    /// Marks the key's checkout completed: later retries replay `order`.
    pub fn complete_key(&self, customer: CustomerId, key: u64, payment: PaymentId, order: OrderId) {
        if let Some(mut rec) = self.keys.get_mut(&(customer, key)) {
            rec.state = KeyState::Completed(payment, order);
        }
    }

    /// Frees a key whose checkout failed for a reason other than a decline.
    pub fn forget_key(&self, customer: CustomerId, key: u64) {
        self.keys.remove(&(customer, key));
    }

    /// Takes the authorized money; returns the amount captured.
    pub fn capture(&self, payment: PaymentId, now: Nanos) -> Result<Cents, PaymentError> {
        let (customer, order, amount) = {
            let mut p = self
                .payments
                .get_mut(&payment)
                .ok_or(PaymentError::UnknownPayment { payment })?;
            if p.status != PaymentStatus::Authorized {
                return Err(PaymentError::InvalidState {
                    payment,
                    status: p.status,
                    action: "capture",
                });
            }
            p.status = PaymentStatus::Captured;
            p.captured_cents = p.amount_cents;
            p.captures += 1;
            (p.customer, p.order, p.amount_cents)
        };
        self.ledger
            .record(MovementKind::Capture, customer, payment, order, amount, now);
        self.captured.fetch_add(amount, Ordering::Relaxed);
        Ok(amount)
    }

    /// Cancels an authorization; no money moves.
    pub fn void(&self, payment: PaymentId) -> Result<(), PaymentError> {
        let mut p = self
            .payments
            .get_mut(&payment)
            .ok_or(PaymentError::UnknownPayment { payment })?;
        if p.status != PaymentStatus::Authorized {
            return Err(PaymentError::InvalidState {
                payment,
                status: p.status,
                action: "void",
            });
        }
        p.status = PaymentStatus::Voided;
        Ok(())
    }

    /// Gives captured money back in full; returns the amount refunded.
    pub fn refund(&self, payment: PaymentId, now: Nanos) -> Result<Cents, PaymentError> {
        let (customer, order, amount) = {
            let mut p = self
                .payments
                .get_mut(&payment)
                .ok_or(PaymentError::UnknownPayment { payment })?;
            if p.status != PaymentStatus::Captured {
                return Err(PaymentError::InvalidState {
                    payment,
                    status: p.status,
                    action: "refund",
                });
            }
            p.status = PaymentStatus::Refunded;
            p.refunded_cents = p.captured_cents;
            (p.customer, p.order, p.captured_cents)
        };
        self.ledger
            .record(MovementKind::Refund, customer, payment, order, amount, now);
        self.refunded.fetch_add(amount, Ordering::Relaxed);
        Ok(amount)
    }

    /// One payment.
    pub fn get(&self, payment: PaymentId) -> Option<Payment> {
        self.payments.get(&payment).map(|p| *p)
    }

    /// Every payment, sorted by id.
    pub fn all(&self) -> Vec<Payment> {
        let mut all: Vec<Payment> = self.payments.iter().map(|p| *p).collect();
        all.sort_unstable_by_key(|p| p.id);
        all
    }

    /// Every idempotency key and what it remembers, sorted by (customer, key).
    pub fn keys(&self) -> Vec<((CustomerId, u64), KeyState)> {
        let mut all: Vec<_> = self.keys.iter().map(|r| (*r.key(), r.state)).collect();
        all.sort_unstable_by_key(|&(k, _)| k);
        all
    }

    /// Every ledger leg, in movement order.
    pub fn ledger(&self) -> Vec<LedgerEntry> {
        self.ledger.entries()
    }

    /// Counters for the business report.
    pub fn counters(&self) -> PaymentCounters {
        PaymentCounters {
            authorizations: self.authorizations.load(Ordering::Relaxed),
            declines: self.declines.load(Ordering::Relaxed),
            gateway_timeouts: self.timeouts.load(Ordering::Relaxed),
            idempotent_replays: self.replays.load(Ordering::Relaxed),
            captured_cents: self.captured.load(Ordering::Relaxed),
            refunded_cents: self.refunded.load(Ordering::Relaxed),
        }
    }

    /// Rewrites a payment, to test the invariant checker.
    #[cfg(test)]
    pub(crate) fn corrupt(&self, payment: PaymentId, f: impl FnOnce(&mut Payment)) {
        if let Some(mut p) = self.payments.get_mut(&payment) {
            f(&mut p);
        }
    }

    /// Direct access to the ledger, to test the invariant checker.
    #[cfg(test)]
    pub(crate) fn ledger_mut(&self) -> &Ledger {
        &self.ledger
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const C: CustomerId = CustomerId(3);

    fn payments() -> Payments {
        let m = |kind, decline_rate, timeout_rate| PaymentMethodConfig {
            kind,
            decline_rate,
            timeout_rate,
            max_amount_cents: Some(10_000),
        };
        Payments::new(
            &[
                m(PaymentMethodKind::Card, 0.2, 0.1),
                m(PaymentMethodKind::CashOnDelivery, 0.5, 0.0),
            ],
            4,
        )
    }

    #[test]
    fn a_degraded_gateway_declines_the_top_of_the_draw_until_it_recovers() {
        let p = payments();
        // Card: timeout below 0.1, decline below 0.3, approved above.
        assert!(
            p.authorize(C, 1, PaymentMethodKind::Card, 100, 0.75, 0)
                .is_ok()
        );
        p.set_extra_declines(0.4);
        let declined = p
            .authorize(C, 2, PaymentMethodKind::Card, 100, 0.75, 0)
            .unwrap_err();
        assert_eq!(declined.kind(), "payment_declined");
        assert!(
            p.authorize(C, 3, PaymentMethodKind::Card, 100, 0.5, 0)
                .is_ok(),
            "below 1 - 0.4 still approved"
        );
        p.set_extra_declines(0.0);
        assert!(
            p.authorize(C, 4, PaymentMethodKind::Card, 100, 0.75, 0)
                .is_ok()
        );
        assert_eq!(p.counters().declines, 1);
    }

    #[test]
    fn authorize_capture_refund_with_ledger() {
        let p = payments();
        let a = p
            .authorize(C, 1, PaymentMethodKind::Card, 2_500, 0.9, 0)
            .unwrap();
        assert!(!a.replayed);
        p.link(a.payment, OrderId(7));
        assert_eq!(p.capture(a.payment, 1).unwrap(), 2_500);
        assert_eq!(
            p.capture(a.payment, 2).unwrap_err().kind(),
            "illegal_transition"
        );
        assert_eq!(p.refund(a.payment, 3).unwrap(), 2_500);
        assert_eq!(
            p.refund(a.payment, 4).unwrap_err().kind(),
            "illegal_transition"
        );
        let pay = p.get(a.payment).unwrap();
        assert_eq!(
            (
                pay.status,
                pay.captures,
                pay.captured_cents,
                pay.refunded_cents
            ),
            (PaymentStatus::Refunded, 1, 2_500, 2_500)
        );
        let ledger = p.ledger();
        assert_eq!(ledger.len(), 4);
        assert!(ledger.iter().all(|e| e.order == Some(OrderId(7))));
        let c = p.counters();
        assert_eq!(
            (c.captured_cents, c.refunded_cents, c.authorizations),
            (2_500, 2_500, 1)
        );
    }

    #[test]
    fn same_key_replays_first_result() {
        let p = payments();
        let a = p
            .authorize(C, 5, PaymentMethodKind::Card, 100, 0.9, 0)
            .unwrap();
        let b = p
            .authorize(C, 5, PaymentMethodKind::Card, 100, 0.0, 0)
            .unwrap();
        assert_eq!(
            b,
            Authorization {
                payment: a.payment,
                replayed: true
            }
        );
        let err = p
            .authorize(C, 5, PaymentMethodKind::Card, 101, 0.9, 0)
            .unwrap_err();
        assert_eq!(
            err,
            PaymentError::IdempotencyConflict {
                key: 5,
                first_cents: 100,
                amount_cents: 101
            }
        );
        assert_eq!(err.kind(), "idempotency_conflict");
        // Keys are per customer.
        assert!(
            !p.authorize(CustomerId(4), 5, PaymentMethodKind::Card, 101, 0.9, 0)
                .unwrap()
                .replayed
        );
        assert_eq!(p.counters().idempotent_replays, 1);
        assert_eq!(p.all().len(), 2);
    }

    #[test]
    fn decline_is_replayed_timeout_is_not() {
        let p = payments();
        // Card: roll < 0.1 times out, < 0.3 declines.
        let err = p
            .authorize(C, 1, PaymentMethodKind::Card, 100, 0.15, 0)
            .unwrap_err();
        assert_eq!(err.kind(), "payment_declined");
        let again = p
            .authorize(C, 1, PaymentMethodKind::Card, 100, 0.99, 0)
            .unwrap_err();
        assert!(matches!(
            again,
            PaymentError::Declined { replayed: true, .. }
        ));
        assert_eq!(
            p.check_key(C, 1, 100).unwrap_err().kind(),
            "payment_declined"
        );
        assert_eq!(
            p.check_key(C, 1, 99).unwrap_err().kind(),
            "idempotency_conflict"
        );
        let err = p
            .authorize(C, 2, PaymentMethodKind::Card, 100, 0.05, 0)
            .unwrap_err();
        assert_eq!(err.kind(), "gateway_timeout");
        assert!(err.to_string().contains("nothing was charged"));
        assert!(
            p.check_key(C, 2, 100).is_ok(),
            "a timeout leaves the key free"
        );
        assert!(
            !p.authorize(C, 2, PaymentMethodKind::Card, 100, 0.5, 0)
                .unwrap()
                .replayed
        );
        let c = p.counters();
        assert_eq!(
            (c.declines, c.gateway_timeouts, c.idempotent_replays),
            (1, 1, 2)
        );
    }

    #[test]
    fn method_limits_and_errors() {
        let p = payments();
        let err = p
            .authorize(C, 1, PaymentMethodKind::Card, 10_001, 0.9, 0)
            .unwrap_err();
        assert!(matches!(
            err,
            PaymentError::Declined {
                reason: DeclineReason::OverLimit,
                ..
            }
        ));
        assert_eq!(
            p.authorize(C, 2, PaymentMethodKind::Wallet, 1, 0.9, 0)
                .unwrap_err()
                .kind(),
            "invalid_input"
        );
        assert_eq!(
            p.authorize(C, 3, PaymentMethodKind::Card, -1, 0.9, 0)
                .unwrap_err()
                .kind(),
            "invalid_input"
        );
        assert!(!p.captures_at_checkout(PaymentMethodKind::CashOnDelivery));
        let a = p
            .authorize(C, 4, PaymentMethodKind::CashOnDelivery, 50, 0.7, 0)
            .unwrap();
        p.void(a.payment).unwrap();
        assert_eq!(p.void(a.payment).unwrap_err().kind(), "illegal_transition");
        assert_eq!(p.capture(PaymentId(99), 0).unwrap_err().kind(), "not_found");
    }

    #[test]
    fn completed_keys_replay_the_order() {
        let p = payments();
        let a = p
            .authorize(C, 9, PaymentMethodKind::Card, 100, 0.9, 0)
            .unwrap();
        assert_eq!(p.replay(C, 9), None);
        p.complete_key(C, 9, a.payment, OrderId(3));
        assert_eq!(p.replay(C, 9), Some((a.payment, OrderId(3))));
        assert_eq!(
            p.keys(),
            vec![((C, 9), KeyState::Completed(a.payment, OrderId(3)))]
        );
        p.forget_key(C, 9);
        assert!(p.keys().is_empty());
    }

    #[test]
    fn concurrent_retries_of_one_key_authorize_once() {
        let p = std::sync::Arc::new(payments());
        let results: Vec<Authorization> = (0..8)
            .map(|_| {
                let p = std::sync::Arc::clone(&p);
                std::thread::spawn(move || {
                    p.authorize(C, 77, PaymentMethodKind::Card, 500, 0.9, 0)
                        .unwrap()
                })
            })
            .collect::<Vec<_>>()
            .into_iter()
            .map(|h| h.join().unwrap())
            .collect();
        assert_eq!(results.iter().filter(|a| !a.replayed).count(), 1);
        assert!(results.windows(2).all(|w| w[0].payment == w[1].payment));
    }
}
