//! `[[coupons]]`: each coupon's code (unique, 1 to 32 printable
//! characters), value, validity window, category, limits and weight.
//!
//! Every problem of every coupon is reported; a coupon with any problem is
//! left out of the list, the others keep their file order.

use super::*;

pub(in crate::scenario::validate) fn coupons(
    c: &mut Checker,
    files: &[CouponFile],
    categories: Option<u32>,
) -> Vec<Coupon> {
    let mut out: Vec<Coupon> = Vec::new();
    for (i, f) in files.iter().enumerate() {
        let p = format!("coupons.{i}");
        let code = match &f.code {
            Some(code)
                if (1..=32).contains(&code.len())
                    && code.chars().all(|ch| ch.is_ascii_graphic()) =>
            {
                if out.iter().any(|o| &o.code == code) {
                    c.issue(
                        format!("{p}.code"),
                        format!("coupon code \"{code}\" is used twice"),
                    );
                }
                Some(code.clone())
            }
            Some(code) => {
                c.issue(
                    format!("{p}.code"),
                    format!("code \"{code}\" must be 1 to 32 printable characters without spaces"),
                );
                None
            }
            None => {
                c.issue(&p, "a coupon needs `code`");
                None
            }
        };
        let value = match (f.kind.as_deref(), f.value) {
            (Some("percent"), Some(v)) if (1.0..=100.0).contains(&v) && v.fract() == 0.0 => {
                Some(CouponValue::Percent(v as u8))
            }
            (Some("percent"), Some(v)) => {
                c.issue(
                    format!("{p}.value"),
                    format!(
                        "a percent coupon's `value` must be a whole number from 1 to 100, found {v}"
                    ),
                );
                None
            }
            (Some("fixed"), Some(v)) => match money(c, &format!("{p}.value"), v) {
                Some(0) => {
                    c.issue(
                        format!("{p}.value"),
                        format!("a fixed coupon's `value` must be at least 0.01, found {v}"),
                    );
                    None
                }
                cents => cents.map(CouponValue::Fixed),
            },
            (Some("percent" | "fixed"), None) => {
                c.issue(&p, "this coupon needs `value`");
                None
            }
            (Some("free_shipping"), None) => Some(CouponValue::FreeShipping),
            (Some("free_shipping"), Some(_)) => {
                c.issue(
                    format!("{p}.value"),
                    "a `free_shipping` coupon takes no `value`",
                );
                None
            }
            (Some(k), _) => {
                c.issue(
                    format!("{p}.kind"),
                    format!(
                        "unknown coupon kind \"{k}\": expected percent, fixed or free_shipping"
                    ),
                );
                None
            }
            (None, _) => {
                c.issue(&p, "a coupon needs `kind`: percent, fixed or free_shipping");
                None
            }
        };
        let min_order = money(c, &format!("{p}.min_order"), f.min_order.unwrap_or(0.0));
        let from = match &f.valid_from {
            Some(t) => c.duration(&format!("{p}.valid_from"), t),
            None => Some(SimDuration::ZERO),
        };
        let until = match &f.valid_until {
            Some(t) => c.duration(&format!("{p}.valid_until"), t).map(Some),
            None => Some(None),
        };
        if let (Some(a), Some(Some(b))) = (from, until)
            && b <= a
        {
            c.issue(
                format!("{p}.valid_until"),
                format!("`valid_until` {b} must be after `valid_from` {a}"),
            );
        }
        let category = match f.category {
            Some(k) => c
                .count(
                    &format!("{p}.category"),
                    k,
                    0,
                    categories.unwrap_or(1) as i64 - 1,
                )
                .map(|k| Some(k as u16)),
            None => Some(None),
        };
        let limit = |c: &mut Checker, key: &str, v: Option<i64>| match v {
            Some(n) => c.count(&format!("{p}.{key}"), n, 1, MAX_COUNT).map(Some),
            None => Some(None),
        };
        let global_limit = limit(c, "global_limit", f.global_limit);
        let per_customer_limit = limit(c, "per_customer_limit", f.per_customer_limit);
        let weight = c.positive_f64(&format!("{p}.weight"), f.weight.unwrap_or(1.0), false);
        if let (
            Some(code),
            Some(value),
            Some(min_order_cents),
            Some(valid_from),
            Some(valid_until),
            Some(category),
            Some(global_limit),
            Some(per_customer_limit),
            Some(weight),
        ) = (
            code,
            value,
            min_order,
            from,
            until,
            category,
            global_limit,
            per_customer_limit,
            weight,
        ) {
            out.push(Coupon {
                code,
                value,
                min_order_cents,
                valid_from,
                valid_until,
                category,
                global_limit,
                per_customer_limit,
                weight,
            });
        }
    }
    out
}
