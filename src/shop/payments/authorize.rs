//! Authorization: the gateway's verdict and the idempotency keys.
//!
//! Owns what a key remembers ([`KeyState`]) and how a request is answered:
//! a fresh key asks the method's strategy (degraded by a gateway fault, if
//! one is on) and claims the key under its map entry; a used key replays the
//! first result for the same amount and refuses another amount. Guarantees
//! (see the parent module): a timeout leaves the key free, and concurrent
//! requests with one key authorize at most once.

use std::sync::atomic::Ordering;

use super::{
    Authorization, DeclineReason, GatewayDecision, Payment, PaymentError, PaymentMethodKind,
    PaymentStatus, Payments,
};
use crate::shop::ids::{Cents, CustomerId, Nanos, OrderId, PaymentId};

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

/// What the service stores under an idempotency key.
#[derive(Clone, Copy, Debug)]
pub(super) struct KeyRecord {
    amount: Cents,
    method: PaymentMethodKind,
    state: KeyState,
}

impl Payments {
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
                    self.payments.insert(id.0, payment);
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

    /// What the key remembers, if anything (not counted as a replay).
    pub fn key_state(&self, customer: CustomerId, key: u64) -> Option<KeyState> {
        self.keys.get(&(customer, key)).map(|r| r.state)
    }

    /// Calls `f` with every idempotency key and what it remembers, in no
    /// particular order, read in place (no copy of the keys): one shard of
    /// the key map at a time stays read-locked while `f` runs, so `f` must
    /// not call back into the key service.
    pub fn for_each_key(&self, mut f: impl FnMut((CustomerId, u64), KeyState)) {
        for r in self.keys.iter() {
            f(*r.key(), r.state);
        }
    }

    /// Every idempotency key and what it remembers, sorted by (customer, key).
    pub fn keys(&self) -> Vec<((CustomerId, u64), KeyState)> {
        let mut all = Vec::with_capacity(self.keys.len());
        all.extend(self.keys.iter().map(|r| (*r.key(), r.state)));
        all.sort_unstable_by_key(|&(k, _)| k);
        all
    }
}
