//! Checkout: one transaction across the services, with compensation.
//!
//! Steps, in order, and what a failure at each step undoes:
//!
//! | step | on failure |
//! |---|---|
//! | 0. replay: a key whose checkout completed returns its receipt | — |
//! | 1. mark the cart busy, price it, check the coupon and the key | cart unmarked |
//! | 2. reserve stock (all lines or none) | — |
//! | 3. redeem the coupon | stock released |
//! | 4. authorize the payment (key claimed) | coupon released, stock released |
//! | 5. create the order (`created`) | — (cannot fail) |
//! | 6. capture (cash on delivery: nothing yet), order → `paid` / `awaiting_payment` | authorization voided, coupon released, stock released, order `cancelled`, key freed |
//! | 7. commit stock (reserved → sold), key → completed, cart emptied of the purchased units | — (cannot fail) |
//!
//! Guarantees: a failed checkout leaves the cart untouched and no stock,
//! coupon use or money held; a successful one leaves the order `paid` (or
//! `awaiting_payment` for cash on delivery), stock sold, coupon redeemed and
//! money captured and ledgered. A decline is remembered under the key (a
//! retry gets the same decline), a gateway timeout is not (the retry draws a
//! fresh verdict and can never double-charge: nothing was captured). Any
//! other failure frees the key too.
//!
//! Cash on delivery: the order is `awaiting_payment` with its stock sold and
//! its authorization open; shipping moves it to `shipped`, delivery captures
//! the cash ([`super::Shop::deliver_order`]), so paid orders always have
//! exactly one capture.

use super::cart::CartLine;
use super::config::InjectedBug;
use super::error::ShopError;
use super::ids::{CustomerId, Nanos, OrderId, PaymentId};
use super::inventory::{Reservation, StockLine};
use super::orders::{NewOrder, OrderStatus};
use super::payments::PaymentError;
use super::pricing::{PriceBreakdown, PricedLine};
use super::strategies::PaymentMethodKind;
use super::{Shop, coupons::RedemptionTicket};
use std::sync::atomic::Ordering;

/// What the customer submits at checkout; the cart is their persistent cart.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct CheckoutRequest<'a> {
    /// Coupon code, if any.
    pub coupon: Option<&'a str>,
    /// Payment method.
    pub method: PaymentMethodKind,
    /// Idempotency key, scoped to the customer: reuse it to retry the same
    /// checkout, use a new one for a new purchase.
    pub idempotency_key: u64,
    /// Uniform draw in `[0, 1)` from the caller's seeded RNG deciding the
    /// payment gateway's verdict.
    pub payment_roll: f64,
}

/// A successful checkout.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CheckoutReceipt {
    /// The order.
    pub order: OrderId,
    /// Its status (`paid`, or `awaiting_payment` for cash on delivery; a
    /// replay shows the current status).
    pub status: OrderStatus,
    /// What was charged.
    pub pricing: PriceBreakdown,
    /// The payment.
    pub payment: PaymentId,
    /// True when this is the stored result of an earlier checkout with the
    /// same key.
    pub replayed: bool,
}

/// Decrements the in-flight counter when the checkout ends, however it ends.
struct InFlight<'a>(&'a std::sync::atomic::AtomicU64);

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::Relaxed);
    }
}

impl Shop {
    /// Checks out the customer's cart as one transaction (see the module docs).
    pub fn checkout(
        &self,
        customer: CustomerId,
        req: CheckoutRequest<'_>,
        now: Nanos,
    ) -> Result<CheckoutReceipt, ShopError> {
        self.users.require_user(customer)?;
        if let Some((payment, order)) = self.payments.replay(customer, req.idempotency_key) {
            let o = self.orders.get(order)?;
            return Ok(CheckoutReceipt {
                order,
                status: o.status,
                pricing: o.details.pricing,
                payment,
                replayed: true,
            });
        }
        if !self.payments.is_enabled(req.method) {
            return Err(PaymentError::MethodDisabled { method: req.method }.into());
        }
        let lines = self.carts.begin_checkout(customer)?;
        self.in_flight.fetch_add(1, Ordering::Relaxed);
        let _guard = InFlight(&self.in_flight);
        let result = self.run(customer, &req, &lines, now);
        let (purchased, counter) = match result {
            Ok(_) => (Some(lines.as_slice()), &self.checkouts_ok),
            Err(_) => (None, &self.checkouts_failed),
        };
        self.carts.finish_checkout(customer, purchased, now);
        counter.fetch_add(1, Ordering::Relaxed);
        result
    }

    fn run(
        &self,
        customer: CustomerId,
        req: &CheckoutRequest<'_>,
        lines: &[CartLine],
        now: Nanos,
    ) -> Result<CheckoutReceipt, ShopError> {
        let key = req.idempotency_key;
        // 1. Validate: price the snapshot, check the coupon and the key.
        // Exactly as long as the cart: the order keeps this vector (a
        // collect through `Result` would reserve 4 lines for one).
        let mut priced = Vec::with_capacity(lines.len());
        for &l in lines {
            priced.push(self.priced_line(l)?);
        }
        let (coupon, pricing) = self.quote(customer, &priced, req.coupon, now)?;
        let amount = pricing.total_cents;
        self.payments.check_key(customer, key, amount)?;
        // 2. Reserve stock.
        let reservation = self.inventory.reserve(&stock_lines(&priced))?;
        // 3. Redeem the coupon.
        let ticket = match coupon {
            None => None,
            Some(id) => {
                match self
                    .coupons
                    .redeem(id, customer, &priced, pricing.subtotal_cents, now)
                {
                    Ok((ticket, _)) => Some(ticket),
                    Err(e) => {
                        self.inventory.release(reservation);
                        return Err(e.into());
                    }
                }
            }
        };
        // 4. Authorize.
        let auth =
            match self
                .payments
                .authorize(customer, key, req.method, amount, req.payment_roll, now)
            {
                Ok(auth) if !auth.replayed => auth,
                Ok(_) => {
                    // An authorization without a completed order under this key: only
                    // possible if another checkout holds it, which the busy cart forbids.
                    self.compensate(reservation, ticket, false);
                    return Err(PaymentError::IdempotencyConflict {
                        key,
                        first_cents: amount,
                        amount_cents: amount,
                    }
                    .into());
                }
                Err(e) => {
                    let declined = matches!(e, PaymentError::Declined { .. });
                    self.compensate(reservation, ticket, declined);
                    return Err(e.into());
                }
            };
        // 5. Create the order.
        let details = NewOrder {
            customer,
            lines: priced,
            pricing,
            coupon: ticket,
            payment: auth.payment,
            method: req.method,
            idempotency_key: key,
        };
        let order = self.orders.create(details, now);
        self.payments.link(auth.payment, order);
        if let Some(t) = ticket {
            self.coupons.attach(t, order);
        }
        // 6. Capture (or await cash on delivery) and mark the order.
        let next = if self.payments.captures_at_checkout(req.method) {
            OrderStatus::Paid
        } else {
            OrderStatus::AwaitingPayment
        };
        let settled: Result<(), ShopError> = match next {
            OrderStatus::Paid => self
                .payments
                .capture(auth.payment, now)
                .map(|_| ())
                .map_err(Into::into),
            _ => Ok(()),
        };
        let captured = settled.is_ok() && next == OrderStatus::Paid;
        let marked = settled.and_then(|()| {
            self.orders
                .transition(order, next, now, |o| {
                    o.stock_held = true;
                    Ok(())
                })
                .map_err(Into::into)
        });
        if let Err(e) = marked {
            // Unreachable with consistent state (the payment was just authorized and
            // admins cannot touch a created order), but never leave partial state.
            let undone = if captured {
                self.payments.refund(auth.payment, now).map(|_| ())
            } else {
                self.payments.void(auth.payment)
            };
            debug_assert!(
                undone.is_ok(),
                "compensating payment {}: {undone:?}",
                auth.payment
            );
            self.compensate(reservation, ticket, false);
            let _ = self
                .orders
                .transition(order, OrderStatus::Cancelled, now, |_| Ok(()));
            self.payments.forget_key(customer, key);
            return Err(e);
        }
        // 7. Commit.
        self.inventory.commit(reservation, now);
        self.payments
            .complete_key(customer, key, auth.payment, order);
        Ok(CheckoutReceipt {
            order,
            status: next,
            pricing,
            payment: auth.payment,
            replayed: false,
        })
    }

    /// Releases the stock reservation and the coupon redemption, unless the
    /// injected bug says to skip one of them after a decline.
    fn compensate(
        &self,
        reservation: Reservation,
        ticket: Option<RedemptionTicket>,
        declined: bool,
    ) {
        let bug = if declined { self.inject_bug } else { None };
        if bug == Some(InjectedBug::KeepReservationOnDecline) {
            drop(reservation); // the bug: units stay reserved forever
        } else {
            self.inventory.release(reservation);
        }
        if let Some(t) = ticket
            && bug != Some(InjectedBug::KeepCouponOnDecline)
        {
            self.coupons.release(t);
        }
    }
}

/// Lines of an order as stock lines.
pub(crate) fn stock_lines(lines: &[PricedLine]) -> Vec<StockLine> {
    lines
        .iter()
        .map(|l| StockLine {
            product: l.product,
            qty: l.qty,
        })
        .collect()
}
