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
//!
//! The service is split by what happens to a payment: `authorize` asks the
//! gateway and claims idempotency keys, `settle` moves the money afterwards
//! (capture, void, refund), `error` names every way either can fail.

use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};

use super::dense::DenseTable;
use super::ids::{Cents, CustomerId, FxDashMap, Nanos, OrderId, PaymentId, new_map};
use super::ledger::{Ledger, LedgerEntry};
pub use super::strategies::{
    DeclineReason, GatewayDecision, PaymentMethodConfig, PaymentMethodKind, PaymentStrategy,
};

mod authorize;
mod error;
mod settle;
#[cfg(test)]
mod tests;

use authorize::KeyRecord;
pub use authorize::KeyState;
pub use error::PaymentError;

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
    payments: DenseTable<Payment>,
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
            payments: DenseTable::default(),
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

    /// One payment.
    pub fn get(&self, payment: PaymentId) -> Option<Payment> {
        self.payments.read(payment.0, |p| *p)
    }

    /// Calls `f` with every payment, sorted by id, read in place (see
    /// [`Orders::with_all`](super::orders::Orders::with_all) for the locks).
    pub fn with_all<R>(&self, f: impl FnOnce(&[&Payment]) -> R) -> R {
        self.payments.with_all(f)
    }

    /// Every payment, sorted by id.
    pub fn all(&self) -> Vec<Payment> {
        self.payments
            .with_all(|all| all.iter().map(|&&p| p).collect())
    }

    /// Every ledger leg, in movement order.
    pub fn ledger(&self) -> Vec<LedgerEntry> {
        self.ledger.entries()
    }

    /// Calls `f` with every ledger leg in movement order, read in place
    /// ([`Ledger::for_each_entry`]).
    pub fn for_each_ledger_entry(&self, f: impl FnMut(LedgerEntry)) {
        self.ledger.for_each_entry(f);
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
        self.payments.write(payment.0, f);
    }

    /// Direct access to the ledger, to test the invariant checker.
    #[cfg(test)]
    pub(crate) fn ledger_mut(&self) -> &Ledger {
        &self.ledger
    }
}
