//! I9–I12: price arithmetic, legal histories, services agree, liveness.

use super::{InvariantRow, Snapshot};
use crate::shop::coupons::RedemptionTicket;
use crate::shop::orders::{Order, OrderStatus};
use crate::shop::payments::{KeyState, PaymentStatus};
use crate::shop::pricing;

/// I9: every order's amounts add up and follow the shop's rules.
pub(super) fn price_arithmetic(s: &Snapshot) -> InvariantRow {
    let mut row = InvariantRow::new("I9", "price_arithmetic");
    for o in s.orders {
        row.check();
        let p = &o.details.pricing;
        if let Some(e) = p.arithmetic_error() {
            row.fail(|| format!("order {}: {e}", o.id));
        }
        let lines = pricing::subtotal(&o.details.lines);
        if lines != p.subtotal_cents {
            row.fail(|| {
                format!(
                    "order {}: subtotal {} != Σ price × qty {lines}",
                    o.id, p.subtotal_cents
                )
            });
        }
        if o.details.lines.is_empty()
            || o.details
                .lines
                .iter()
                .any(|l| l.qty == 0 || l.unit_price_cents < 0)
        {
            row.fail(|| {
                format!(
                    "order {}: empty order, zero quantity or negative price",
                    o.id
                )
            });
        }
        let tax = pricing::tax(p.subtotal_cents - p.discount_cents, s.tax_bps);
        if p.tax_cents != tax {
            row.fail(|| {
                format!(
                    "order {}: tax {} != {tax} at {} bps",
                    o.id, p.tax_cents, s.tax_bps
                )
            });
        }
        if p.shipping_cents != 0 && p.shipping_cents != s.shipping.flat_fee_cents {
            row.fail(|| {
                format!(
                    "order {}: shipping {} is neither 0 nor the flat fee",
                    o.id, p.shipping_cents
                )
            });
        }
    }
    row
}

/// I10: every history starts `created`, follows the state machine, never
/// goes back in time and ends at the current status.
pub(super) fn legal_histories(s: &Snapshot) -> InvariantRow {
    let mut row = InvariantRow::new("I10", "legal_order_histories");
    for o in s.orders {
        row.check();
        let h = &o.history;
        if h.first().map(|c| c.status) != Some(OrderStatus::Created) {
            row.fail(|| format!("order {}: history does not start with created", o.id));
        }
        for (a, b) in h.iter().zip(h.iter().skip(1)) {
            if !a.status.can_become(b.status) {
                row.fail(|| {
                    format!(
                        "order {}: illegal transition {} → {}",
                        o.id,
                        a.status.as_str(),
                        b.status.as_str()
                    )
                });
            }
            if b.at < a.at {
                row.fail(|| {
                    format!(
                        "order {}: {} at {} is before {} at {}",
                        o.id,
                        b.status.as_str(),
                        b.at,
                        a.status.as_str(),
                        a.at
                    )
                });
            }
        }
        if h.last().map(|c| c.status) != Some(o.status) {
            row.fail(|| {
                format!(
                    "order {}: status {} is not the last history entry",
                    o.id,
                    o.status.as_str()
                )
            });
        }
    }
    row
}

/// The payment status an order in this state must have.
fn expected_payment(s: &Snapshot, o: &Order) -> &'static [PaymentStatus] {
    use PaymentStatus::*;
    match o.status {
        OrderStatus::Created | OrderStatus::AwaitingPayment => &[Authorized],
        OrderStatus::Shipped if !s.is_prepaid(o.details.method) => &[Authorized],
        OrderStatus::Paid | OrderStatus::Shipped | OrderStatus::Delivered => &[Captured],
        OrderStatus::Cancelled => &[Voided, Refunded],
        OrderStatus::Refunded => &[Refunded],
    }
}

/// I11: payments, inventory, coupons and keys agree with each order's state.
pub(super) fn services_agree(s: &Snapshot) -> InvariantRow {
    let mut row = InvariantRow::new("I11", "services_agree");
    for o in s.orders {
        row.check();
        let d = &o.details;
        let state = o.status.as_str();
        match s.payment(d.payment) {
            None => row.fail(|| {
                format!(
                    "order {} ({state}): payment {} does not exist",
                    o.id, d.payment
                )
            }),
            Some(p) => {
                if p.order != Some(o.id)
                    || p.customer != d.customer
                    || p.amount_cents != d.pricing.total_cents
                {
                    row.fail(|| {
                        format!(
                            "order {}: payment {} is for order {:?}, customer {}, {} cents",
                            o.id, p.id, p.order, p.customer, p.amount_cents
                        )
                    });
                }
                if !expected_payment(s, o).contains(&p.status) {
                    row.fail(|| {
                        format!(
                            "order {} is {state} but payment {} is {:?}",
                            o.id, p.id, p.status
                        )
                    });
                }
            }
        }
        let holds = match o.status {
            OrderStatus::AwaitingPayment
            | OrderStatus::Paid
            | OrderStatus::Shipped
            | OrderStatus::Delivered => Some(true),
            OrderStatus::Created | OrderStatus::Cancelled => Some(false),
            OrderStatus::Refunded => None,
        };
        if holds.is_some_and(|h| h != o.stock_held) {
            row.fail(|| {
                format!(
                    "order {} is {state} but {} stock",
                    o.id,
                    if o.stock_held {
                        "still holds"
                    } else {
                        "holds no"
                    }
                )
            });
        }
        if let Some(RedemptionTicket { coupon, index }) = d.coupon {
            let r = s
                .coupons
                .iter()
                .find(|c| c.id == coupon)
                .and_then(|c| c.redemptions.get(index as usize));
            match r {
                None => row.fail(|| {
                    format!(
                        "order {}: coupon redemption {coupon}#{index} does not exist",
                        o.id
                    )
                }),
                Some(r) if r.order != Some(o.id) => row.fail(|| {
                    format!(
                        "order {}: coupon redemption {coupon}#{index} belongs to {:?}",
                        o.id, r.order
                    )
                }),
                Some(r) if r.released != (o.status == OrderStatus::Cancelled) => row.fail(|| {
                    format!(
                        "order {} is {state} but its coupon redemption is {}",
                        o.id,
                        if r.released {
                            "released"
                        } else {
                            "still active"
                        }
                    )
                }),
                Some(_) => {}
            }
        }
        let failed_in_checkout = o
            .history
            .get(1)
            .is_some_and(|c| c.status == OrderStatus::Cancelled);
        if o.status.is_stable() && !failed_in_checkout {
            let key = (d.customer, d.idempotency_key);
            let state_of_key = s.key_state(key);
            if state_of_key != Some(KeyState::Completed(d.payment, o.id)) {
                row.fail(|| {
                    format!(
                        "order {}: idempotency key {} remembers {state_of_key:?}, not this order",
                        o.id, d.idempotency_key
                    )
                });
            }
        }
    }
    let held = s.held_units();
    for (sku, r) in &s.stock {
        row.check();
        let units = held.get(sku).copied().unwrap_or(0);
        if units != r.sold {
            row.fail(|| {
                format!(
                    "SKU {sku}: inventory says {} sold, orders hold {units}",
                    r.sold
                )
            });
        }
    }
    row
}

/// I12 (shop part): after the drain, no checkout in flight, no busy cart, no
/// order `created`, no open authorization but cash on delivery awaiting
/// collection.
pub(super) fn liveness(s: &Snapshot) -> InvariantRow {
    let mut row = InvariantRow::new("I12", "liveness");
    row.check();
    if s.in_flight > 0 {
        row.fail(|| format!("{} checkout(s) still in flight", s.in_flight));
    }
    for c in &s.busy_carts {
        row.fail(|| format!("cart of customer {c} is still marked as checking out"));
    }
    for o in s.orders {
        row.check();
        if !o.status.is_stable() {
            row.fail(|| format!("order {} is stuck in {}", o.id, o.status.as_str()));
        }
    }
    for p in s.payments {
        row.check();
        if p.status != PaymentStatus::Authorized {
            continue;
        }
        let awaiting_cash = p.order.and_then(|id| s.order(id)).is_some_and(|o| {
            !s.is_prepaid(o.details.method)
                && matches!(
                    o.status,
                    OrderStatus::AwaitingPayment | OrderStatus::Shipped
                )
        });
        if !awaiting_cash {
            row.fail(|| {
                format!(
                    "payment {} is authorized but neither captured nor voided (order {:?})",
                    p.id, p.order
                )
            });
        }
    }
    // Normally none: collected from the key service in place, then sorted.
    let mut open = Vec::new();
    s.service.for_each_key(|key, state| {
        if let KeyState::Authorized(p) = state {
            open.push((key, p));
        }
    });
    open.sort_unstable();
    for ((customer, key), p) in open {
        row.fail(|| {
            format!("customer {customer} key {key}: checkout never finished (payment {p})")
        });
    }
    row
}
