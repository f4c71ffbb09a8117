//! I1–I3: stock conservation, no oversell, no leaked reservations.

use super::{InvariantRow, Snapshot};

/// I1: per SKU, initial + restocked = on hand + reserved + sold.
pub(super) fn conservation(s: &Snapshot) -> InvariantRow {
    let mut row = InvariantRow::new("I1", "stock_conservation");
    for (sku, r) in &s.stock {
        row.check();
        let supplied = r.initial + r.restocked;
        let accounted = r.on_hand + r.reserved + r.sold;
        if supplied != accounted {
            row.fail(|| {
                format!(
                    "SKU {sku}: initial {} + restocked {} = {supplied}, but on hand {} + reserved {} + sold {} = {accounted}",
                    r.initial, r.restocked, r.on_hand, r.reserved, r.sold
                )
            });
        }
    }
    row
}

/// I2: per SKU, nothing negative and sold ≤ initial + restocked.
pub(super) fn no_oversell(s: &Snapshot) -> InvariantRow {
    let mut row = InvariantRow::new("I2", "no_oversell");
    for (sku, r) in &s.stock {
        row.check();
        for (what, n) in [
            ("on hand", r.on_hand),
            ("reserved", r.reserved),
            ("sold", r.sold),
        ] {
            if n < 0 {
                row.fail(|| format!("SKU {sku}: {what} is negative ({n})"));
            }
        }
        if r.sold > r.initial + r.restocked {
            row.fail(|| {
                format!(
                    "SKU {sku}: sold {} exceeds initial + restocked {}",
                    r.sold,
                    r.initial + r.restocked
                )
            });
        }
    }
    row
}

/// I3: after the drain, nothing is reserved.
pub(super) fn no_leaked_reservations(s: &Snapshot) -> InvariantRow {
    let mut row = InvariantRow::new("I3", "no_leaked_reservations");
    if s.in_flight > 0 {
        return row; // reservations of running checkouts are legitimate; I12 reports them
    }
    for (sku, r) in &s.stock {
        row.check();
        if r.reserved != 0 {
            row.fail(|| {
                format!(
                    "SKU {sku}: {} unit(s) still reserved with no checkout in flight",
                    r.reserved
                )
            });
        }
    }
    row
}
