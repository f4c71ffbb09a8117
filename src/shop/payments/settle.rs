//! Settlement: what happens to an authorized payment afterwards.
//!
//! Owns linking a payment to its order, capture, void and refund.
//! Guarantees: each is a checked transition of [`PaymentStatus`] (capture and
//! void only from `Authorized`, refund only from `Captured`, in full), so a
//! payment is captured at most once and refunded at most once; every capture
//! and refund is written to the ledger and added to the counters.

use std::sync::atomic::Ordering;

use super::{Payment, PaymentError, PaymentStatus, Payments};
use crate::shop::ids::{Cents, Nanos, OrderId, PaymentId};
use crate::shop::ledger::MovementKind;

impl Payments {
    /// `f` of the payment, under its lock.
    fn update<R>(
        &self,
        payment: PaymentId,
        f: impl FnOnce(&mut Payment) -> Result<R, PaymentError>,
    ) -> Result<R, PaymentError> {
        self.payments
            .write(payment.0, f)
            .ok_or(PaymentError::UnknownPayment { payment })?
    }

    /// Records the order a payment is for.
    pub fn link(&self, payment: PaymentId, order: OrderId) {
        self.payments.write(payment.0, |p| p.order = Some(order));
    }

    /// Takes the authorized money; returns the amount captured.
    pub fn capture(&self, payment: PaymentId, now: Nanos) -> Result<Cents, PaymentError> {
        let (customer, order, amount) = self.update(payment, |p| {
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
            Ok((p.customer, p.order, p.amount_cents))
        })?;
        self.ledger
            .record(MovementKind::Capture, customer, payment, order, amount, now);
        self.captured.fetch_add(amount, Ordering::Relaxed);
        Ok(amount)
    }

    /// Cancels an authorization; no money moves.
    pub fn void(&self, payment: PaymentId) -> Result<(), PaymentError> {
        self.update(payment, |p| {
            if p.status != PaymentStatus::Authorized {
                return Err(PaymentError::InvalidState {
                    payment,
                    status: p.status,
                    action: "void",
                });
            }
            p.status = PaymentStatus::Voided;
            Ok(())
        })
    }

    /// Gives captured money back in full; returns the amount refunded.
    pub fn refund(&self, payment: PaymentId, now: Nanos) -> Result<Cents, PaymentError> {
        let (customer, order, amount) = self.update(payment, |p| {
            if p.status != PaymentStatus::Captured {
                return Err(PaymentError::InvalidState {
                    payment,
                    status: p.status,
                    action: "refund",
                });
            }
            p.status = PaymentStatus::Refunded;
            p.refunded_cents = p.captured_cents;
            Ok((p.customer, p.order, p.captured_cents))
        })?;
        self.ledger
            .record(MovementKind::Refund, customer, payment, order, amount, now);
        self.refunded.fetch_add(amount, Ordering::Relaxed);
        Ok(amount)
    }
}
