//! I4–I5: coupon limits and coupon validity.

use std::collections::BTreeMap;

use super::{InvariantRow, Snapshot};
use crate::shop::coupons::RedemptionTicket;
use crate::shop::ids::CustomerId;

/// I4: per coupon, redemptions ≤ global limit; per (coupon, customer) ≤
/// per-customer limit; the maintained counters match the redemption trail.
pub(super) fn limits(s: &Snapshot) -> InvariantRow {
    let mut row = InvariantRow::new("I4", "coupon_limits");
    for c in &s.coupons {
        let code = &c.spec.code;
        row.check();
        let active = c.redemptions.iter().filter(|r| !r.released).count() as u64;
        if active != u64::from(c.active) {
            row.fail(|| {
                format!(
                    "coupon {code:?}: counter says {} redemption(s), the trail has {active}",
                    c.active
                )
            });
        }
        if let Some(limit) = c.spec.global_limit
            && active > u64::from(limit)
        {
            row.fail(|| {
                format!("coupon {code:?}: {active} redemption(s) exceed the global limit {limit}")
            });
        }
        let mut per_customer: BTreeMap<CustomerId, u64> = BTreeMap::new();
        for r in c.redemptions.iter().filter(|r| !r.released) {
            *per_customer.entry(r.customer).or_insert(0) += 1;
        }
        let maintained: BTreeMap<CustomerId, u64> = c
            .per_customer
            .iter()
            .filter(|(_, n)| *n > 0)
            .map(|&(k, n)| (k, u64::from(n)))
            .collect();
        if maintained != per_customer {
            row.fail(|| {
                format!("coupon {code:?}: per-customer counters disagree with the redemption trail")
            });
        }
        for (customer, n) in per_customer {
            row.check();
            if let Some(limit) = c.spec.per_customer_limit
                && n > u64::from(limit)
            {
                row.fail(|| format!("coupon {code:?}: customer {customer} redeemed it {n} time(s), limit {limit}"));
            }
        }
    }
    row
}

/// I5: every redemption not released happened inside the validity window
/// and belongs to exactly one order, which points back to it.
pub(super) fn validity(s: &Snapshot) -> InvariantRow {
    let mut row = InvariantRow::new("I5", "coupon_validity");
    for c in &s.coupons {
        let code = &c.spec.code;
        let mut seen = BTreeMap::new();
        for (index, r) in c
            .redemptions
            .iter()
            .enumerate()
            .filter(|(_, r)| !r.released)
        {
            row.check();
            let name = || {
                format!(
                    "coupon {code:?} redemption #{index} (customer {})",
                    r.customer
                )
            };
            if r.at < c.spec.valid_from || r.at >= c.spec.valid_until {
                row.fail(|| {
                    format!(
                        "{}: made at {} outside [{}, {})",
                        name(),
                        r.at,
                        c.spec.valid_from,
                        c.spec.valid_until
                    )
                });
            }
            let Some(order) = r.order else {
                row.fail(|| format!("{}: belongs to no order", name()));
                continue;
            };
            let ticket = RedemptionTicket {
                coupon: c.id,
                index: index as u32,
            };
            match s.order(order) {
                None => row.fail(|| format!("{}: order {order} does not exist", name())),
                Some(o) if o.details.coupon != Some(ticket) => {
                    row.fail(|| format!("{}: order {order} does not point back to it", name()))
                }
                Some(_) => {}
            }
            if let Some(first) = seen.insert(order, index) {
                row.fail(|| format!("coupon {code:?}: redemptions #{first} and #{index} both belong to order {order}"));
            }
        }
    }
    row
}
