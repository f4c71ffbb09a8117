//! I6–I8: idempotent payments, no double charge, money conservation.

use std::collections::BTreeSet;

use super::{InvariantRow, Snapshot};
use crate::shop::ids::{Cents, CustomerId, PaymentId};
use crate::shop::ledger::{Account, MovementKind};
use crate::shop::payments::{KeyState, PaymentStatus};

/// I6: per idempotency key, at most one capture, one amount among the
/// payments not voided, and the key's record points at a payment of that key.
pub(super) fn idempotent_payments(s: &Snapshot) -> InvariantRow {
    let mut row = InvariantRow::new("I6", "idempotent_payments");
    // Payments grouped by key, in id order within a key: (customer, key,
    // position), 16 bytes a payment.
    let mut by_key: Vec<(CustomerId, u64, u32)> = s
        .payments
        .iter()
        .zip(0u32..)
        .map(|(p, i)| (p.customer, p.idempotency_key, i))
        .collect();
    by_key.sort_unstable();
    let has_payments = |key: (CustomerId, u64)| {
        by_key
            .binary_search_by(|&(c, k, _)| (c, k).cmp(&key))
            .is_ok()
    };
    // Keys the key service remembers but no payment carries, read in place:
    // they are checked with the others, in key order, below. A remembered
    // payment of the key itself proves the key carries payments without a
    // search.
    let mut remembered_only: Vec<((CustomerId, u64), Option<PaymentId>)> = Vec::new();
    s.service.for_each_key(|key, state| {
        let pointed = pointed(state);
        let carried = pointed
            .and_then(|p| s.payment(p))
            .is_some_and(|q| (q.customer, q.idempotency_key) == key)
            || has_payments(key);
        if !carried {
            remembered_only.push((key, pointed));
        }
    });
    remembered_only.sort_unstable();
    let mut only = remembered_only.iter().peekable();
    let mut at = 0;
    loop {
        let next = by_key.get(at).map(|&(c, k, _)| (c, k));
        // A key without payments sorted before the next key with some.
        if let Some(&&(key @ (customer, k), pointed)) = only.peek()
            && next.is_none_or(|n| key < n)
        {
            only.next();
            row.check();
            if let Some(p) = pointed {
                row.fail(|| format!("customer {customer} key {k}: remembers payment {p}, which is not a payment of this key"));
            }
            continue;
        }
        let Some(key @ (customer, k)) = next else {
            break;
        };
        row.check();
        let start = at;
        while at < by_key.len() && (by_key[at].0, by_key[at].1) == key {
            at += 1;
        }
        let payments = || {
            by_key[start..at]
                .iter()
                .map(|&(_, _, i)| &s.payments[i as usize])
        };
        let captures: u32 = payments().map(|p| p.captures).sum();
        if captures > 1 {
            row.fail(|| format!("customer {customer} key {k}: {captures} captures"));
        }
        let mut live = payments().filter(|p| p.status != PaymentStatus::Voided);
        if let Some(first) = live.next().map(|p| p.amount_cents)
            && live.any(|p| p.amount_cents != first)
        {
            row.fail(|| {
                let amounts: BTreeSet<Cents> = payments()
                    .filter(|p| p.status != PaymentStatus::Voided)
                    .map(|p| p.amount_cents)
                    .collect();
                format!("customer {customer} key {k}: payments for different amounts {amounts:?}")
            });
        }
        if let Some(p) = s.key_state(key).and_then(pointed)
            && !payments().any(|q| q.id == p)
        {
            row.fail(|| format!("customer {customer} key {k}: remembers payment {p}, which is not a payment of this key"));
        }
    }
    row
}

/// The payment a key's record points at.
fn pointed(state: KeyState) -> Option<PaymentId> {
    match state {
        KeyState::Authorized(p) | KeyState::Completed(p, _) => Some(p),
        KeyState::Declined(_) => None,
    }
}

/// I7: per order, at most one capture and captured − refunded ≤ total.
pub(super) fn no_double_charge(s: &Snapshot) -> InvariantRow {
    let mut row = InvariantRow::new("I7", "no_double_charge");
    // Captures and net charge by position in `s.orders` (no hash map: it
    // was the largest allocation of the check).
    let mut by_order: Vec<(u32, Cents)> = vec![(0, 0); s.orders.len()];
    for p in s.payments {
        match p.order {
            // A payment naming no existing order charges no order here.
            Some(o) => {
                if let Some(i) = s.order_at(o) {
                    let e = &mut by_order[i];
                    e.0 += p.captures;
                    e.1 += p.captured_cents - p.refunded_cents;
                }
            }
            None if p.captured_cents != 0 => row.fail(|| {
                format!(
                    "payment {} captured {} cents without an order",
                    p.id, p.captured_cents
                )
            }),
            None => {}
        }
    }
    for (o, &(captures, net)) in s.orders.iter().zip(&by_order) {
        row.check();
        if captures > 1 {
            row.fail(|| format!("order {}: captured {captures} times", o.id));
        }
        if net > o.details.pricing.total_cents || net < 0 {
            row.fail(|| {
                format!(
                    "order {}: net charge {net} cents outside 0..={}",
                    o.id, o.details.pricing.total_cents
                )
            });
        }
    }
    row
}

/// I8: the ledger sums to zero movement by movement, customers' net debits
/// equal the merchant's balance, each payment's ledger matches its record,
/// and the merchant's balance equals the totals of paid orders.
pub(super) fn conservation(s: &Snapshot) -> InvariantRow {
    let mut row = InvariantRow::new("I8", "money_conservation");
    // Captured and refunded by position in `s.payments`.
    let mut per_payment: Vec<(Cents, Cents)> = vec![(0, 0); s.payments.len()];
    let (mut merchant, mut customers) = (0, 0);
    // The ledger comes in movement order: each movement's legs are
    // adjacent; `open` is the movement being summed.
    let mut open: Option<(u64, Cents)> = None;
    fn close(row: &mut InvariantRow, (seq, sum): (u64, Cents)) {
        row.check();
        if sum != 0 {
            row.fail(|| format!("ledger movement {seq}: legs sum to {sum} cents, not 0"));
        }
    }
    s.service.for_each_ledger_entry(|e| {
        match open {
            Some((seq, ref mut sum)) if seq == e.seq => *sum += e.amount_cents,
            _ => {
                if let Some(done) = open {
                    close(&mut row, done);
                }
                open = Some((e.seq, e.amount_cents));
            }
        }
        match e.account {
            Account::Merchant => {
                merchant += e.amount_cents;
                // A leg of an unknown payment matches no payment's
                // record: the movement sums still count it.
                if let Some(i) = s.payment_at(e.payment) {
                    let t = &mut per_payment[i];
                    match e.kind {
                        MovementKind::Capture => t.0 += e.amount_cents,
                        MovementKind::Refund => t.1 -= e.amount_cents,
                    }
                }
            }
            Account::Customer(_) => customers += e.amount_cents,
        }
    });
    if let Some(done) = open {
        close(&mut row, done);
    }
    if merchant + customers != 0 {
        row.fail(|| {
            format!(
                "ledger: customers' net {customers} cents does not mirror the merchant's {merchant}"
            )
        });
    }
    for (p, &(captured, refunded)) in s.payments.iter().zip(&per_payment) {
        row.check();
        if (captured, refunded) != (p.captured_cents, p.refunded_cents) {
            row.fail(|| {
                format!(
                    "payment {}: ledger shows {captured} captured / {refunded} refunded, the payment {} / {}",
                    p.id, p.captured_cents, p.refunded_cents
                )
            });
        }
    }
    let paid: Cents = s
        .orders
        .iter()
        .filter(|o| s.is_paid(o))
        .map(|o| o.details.pricing.total_cents)
        .sum();
    if merchant != paid {
        row.fail(|| {
            format!("merchant balance {merchant} cents != total of paid orders {paid} cents")
        });
    }
    row
}
