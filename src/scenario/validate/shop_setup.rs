//! The shop's setup: `[catalog]`, `[shop]`, `[customers]`, `[[coupons]]`,
//! `[payments]` and `[admin]`; money is converted to integer cents here.
//!
//! `[[coupons]]` and `[payments]` are checked in `coupons` and `payments`;
//! the money and probability checks here serve them too.

use super::*;

mod coupons;
mod payments;

pub(super) use coupons::coupons;
pub(super) use payments::payments;

pub(super) fn catalog(c: &mut Checker, f: Option<&CatalogFile>) -> Option<Catalog> {
    let d = CatalogFile::default();
    let f = f.unwrap_or(&d);
    let products = match f.products {
        Some(n) => c.count("catalog.products", n, 1, MAX_COUNT),
        None => Some(DEFAULT_PRODUCTS),
    };
    let categories = match f.categories {
        Some(n) => c.count("catalog.categories", n, 1, MAX_COUNT),
        None => Some(DEFAULT_CATEGORIES.min(products.unwrap_or(DEFAULT_PRODUCTS))),
    };
    if let (Some(p), Some(k)) = (products, categories)
        && k > p
    {
        c.issue(
            "catalog.categories",
            format!("{k} categories for {p} products: every category needs a product"),
        );
    }
    let popularity = match &f.popularity {
        None => Some(Popularity::Zipf {
            exponent: DEFAULT_ZIPF_EXPONENT,
        }),
        Some(p) => match p.dist.as_deref() {
            Some("zipf") => {
                let e = p.exponent.unwrap_or(DEFAULT_ZIPF_EXPONENT);
                c.positive_f64("catalog.popularity.exponent", e, true)
                    .map(|exponent| Popularity::Zipf { exponent })
            }
            Some("uniform") => {
                if p.exponent.is_some() {
                    c.issue(
                        "catalog.popularity.exponent",
                        "`uniform` popularity takes no `exponent`",
                    );
                }
                Some(Popularity::Uniform)
            }
            Some(other) => {
                c.issue(
                    "catalog.popularity.dist",
                    format!("unknown popularity \"{other}\": expected \"zipf\" or \"uniform\""),
                );
                None
            }
            None => {
                c.issue(
                    "catalog.popularity",
                    "missing `dist`: \"zipf\" or \"uniform\"",
                );
                None
            }
        },
    };
    let price = match &f.price {
        Some(d) => c.dist("catalog.price", d, Unit::Number),
        None => Some(Dist::LogNormal {
            median: 25.0,
            sigma: 0.8,
        }),
    };
    let stock = match &f.stock {
        Some(d) => c.dist("catalog.stock", d, Unit::Number),
        None => Some(Dist::Uniform {
            min: 50.0,
            max: 500.0,
        }),
    };
    let doorbusters = doorbusters(c, f.doorbusters.as_ref(), products);
    Some(Catalog {
        products: products?,
        categories: categories?,
        popularity: popularity?,
        price: price?,
        stock: stock?,
        doorbusters: doorbusters?,
    })
}

pub(super) fn doorbusters(
    c: &mut Checker,
    f: Option<&DoorbustersFile>,
    products: Option<u32>,
) -> Option<Doorbusters> {
    let d = DoorbustersFile::default();
    let f = f.unwrap_or(&d);
    let count = match f.count {
        Some(n) => c.count(
            "catalog.doorbusters.count",
            n,
            0,
            products.unwrap_or(DEFAULT_PRODUCTS) as i64,
        ),
        None => Some(0),
    };
    let stock = match f.stock {
        Some(n) => c.count("catalog.doorbusters.stock", n, 0, MAX_COUNT),
        None => Some(100),
    };
    let discount_pct = match f.discount_pct {
        Some(p) if (0.0..100.0).contains(&p) => Some(p),
        Some(p) => {
            c.issue(
                "catalog.doorbusters.discount_pct",
                format!("`discount_pct` must be at least 0 and below 100, found {p}"),
            );
            None
        }
        None => Some(50.0),
    };
    Some(Doorbusters {
        count: count?,
        stock: stock?,
        discount_pct: discount_pct?,
    })
}

/// Currency units to cents, rounded.
pub(super) fn cents(v: f64) -> i64 {
    (v * 100.0).round() as i64
}

/// Largest amount of money in a scenario: 10 million currency units.
pub(super) const MAX_MONEY: f64 = 1e7;

pub(super) fn money(c: &mut Checker, path: &str, v: f64) -> Option<i64> {
    if v.is_finite() && (0.0..=MAX_MONEY).contains(&v) {
        Some(cents(v))
    } else {
        c.issue(
            path,
            format!("must be an amount between 0 and {MAX_MONEY}, found {v}"),
        );
        None
    }
}

pub(super) fn probability(c: &mut Checker, path: &str, v: f64) -> Option<f64> {
    if v.is_finite() && (0.0..=1.0).contains(&v) {
        Some(v)
    } else {
        c.issue(
            path,
            format!("must be a probability between 0 and 1, found {v}"),
        );
        None
    }
}

pub(super) fn shop(c: &mut Checker, f: Option<&ShopFile>) -> Option<ShopSpec> {
    let d = ShopFile::default();
    let f = f.unwrap_or(&d);
    let fee = money(c, "shop.shipping_fee", f.shipping_fee.unwrap_or(4.99));
    let free = match f.free_shipping_over {
        Some(v) => money(c, "shop.free_shipping_over", v).map(Some),
        None => Some(Some(5000)),
    };
    let tax = match f.tax_pct.unwrap_or(8.0) {
        t if t.is_finite() && (0.0..=100.0).contains(&t) => Some((t * 100.0).round() as u32),
        t => {
            c.issue(
                "shop.tax_pct",
                format!("`tax_pct` must be between 0 and 100, found {t}"),
            );
            None
        }
    };
    let iterations = c.count(
        "shop.password_iterations",
        f.password_iterations.unwrap_or(1),
        1,
        10_000_000,
    );
    let lines = c.count("shop.max_cart_lines", f.max_cart_lines.unwrap_or(32), 1, 64);
    Some(ShopSpec {
        shipping_fee_cents: fee?,
        free_shipping_over_cents: free?,
        tax_bps: tax?,
        password_iterations: iterations?,
        max_cart_lines: lines?,
    })
}

/// `[customers]`; `coupons` is how many `[[coupons]]` the file has, valid or
/// not (an invalid one is reported as such, not as a missing one).
pub(super) fn customers(
    c: &mut Checker,
    f: Option<&CustomersFile>,
    coupons: usize,
) -> Option<Customers> {
    let d = CustomersFile::default();
    let f = f.unwrap_or(&d);
    let registered = c.count(
        "customers.registered",
        f.registered.unwrap_or(10_000),
        0,
        10_000_000,
    );
    let returning = probability(c, "customers.returning", f.returning.unwrap_or(0.5));
    let coupon_share = probability(c, "customers.coupon_share", f.coupon_share.unwrap_or(0.0));
    if coupon_share.is_some_and(|s| s > 0.0) && coupons == 0 {
        c.issue(
            "customers.coupon_share",
            "`coupon_share` is above 0 but the scenario has no [[coupons]]",
        );
    }
    if registered == Some(0) && returning.is_some_and(|r| r > 0.0) {
        c.issue(
            "customers.returning",
            "returning customers need `registered` above 0",
        );
    }
    let quantity = match &f.quantity {
        Some(q) => c.dist("customers.quantity", q, Unit::Number),
        None => Some(Dist::Constant { value: 1.0 }),
    };
    let recently_viewed = probability(
        c,
        "customers.recently_viewed",
        f.recently_viewed.unwrap_or(0.7),
    );
    let patience = match &f.patience {
        Some(d) => c.dist("customers.patience", d, Unit::Time).map(Some),
        None => Some(None),
    };
    let retry_on_error = match &f.retry_on_error {
        Some(r) => {
            let p = match r.p {
                Some(p) => probability(c, "customers.retry_on_error.p", p),
                None => {
                    c.issue(
                        "customers.retry_on_error",
                        "`retry_on_error` needs `p`, the probability of a reload after an error",
                    );
                    None
                }
            };
            let after = match &r.after {
                Some(d) => c.dist("customers.retry_on_error.after", d, Unit::Time),
                None => Some(Dist::Constant { value: 1e9 }),
            };
            p.zip(after).map(|(p, after)| Some(Reload { p, after }))
        }
        None => Some(None),
    };
    Some(Customers {
        patience: patience?,
        retry_on_error: retry_on_error?,
        registered: registered?,
        returning: returning?,
        coupon_share: coupon_share?,
        quantity: quantity?,
        recently_viewed: recently_viewed?,
    })
}

pub(super) fn admin(c: &mut Checker, f: Option<&AdminFile>) -> AdminSpec {
    let d = AdminSpec::default();
    let Some(f) = f else { return d };
    let rate = |c: &mut Checker, key: &str, v: Option<f64>, default: f64| match v {
        Some(r) => c.rate(&format!("admin.{key}"), r, true).unwrap_or(default),
        None => default,
    };
    let count =
        |c: &mut Checker, key: &str, v: Option<i64>, min: i64, max: i64, default: u32| match v {
            Some(n) => c
                .count(&format!("admin.{key}"), n, min, max)
                .unwrap_or(default),
            None => default,
        };
    let price_change_pct = rate(
        c,
        "price_change_pct",
        f.price_change_pct,
        d.price_change_pct,
    );
    if price_change_pct >= 100.0 {
        c.issue(
            "admin.price_change_pct",
            "`price_change_pct` must be below 100 (a price cannot fall to zero)",
        );
    }
    AdminSpec {
        restock_rate: rate(c, "restock_rate", f.restock_rate, d.restock_rate),
        restock_quantity: count(
            c,
            "restock_quantity",
            f.restock_quantity,
            1,
            MAX_COUNT,
            d.restock_quantity,
        ),
        price_change_rate: rate(
            c,
            "price_change_rate",
            f.price_change_rate,
            d.price_change_rate,
        ),
        price_change_pct,
        coupon_rate: rate(c, "coupon_rate", f.coupon_rate, d.coupon_rate),
        coupon_percent: count(
            c,
            "coupon_percent",
            f.coupon_percent,
            1,
            100,
            d.coupon_percent,
        ),
        coupon_limit: count(
            c,
            "coupon_limit",
            f.coupon_limit,
            1,
            MAX_COUNT,
            d.coupon_limit,
        ),
        ship_rate: rate(c, "ship_rate", f.ship_rate, d.ship_rate),
        deliver_rate: rate(c, "deliver_rate", f.deliver_rate, d.deliver_rate),
        cancel_rate: rate(c, "cancel_rate", f.cancel_rate, d.cancel_rate),
        refund_rate: rate(c, "refund_rate", f.refund_rate, d.refund_rate),
    }
}
