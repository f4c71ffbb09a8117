//! Unit tests of the coupon service: each kind's effect, every rule's
//! refusal, limits with release, spec validation, and racing redemptions.

use super::*;
use crate::shop::ids::ProductId;

const ALICE: CustomerId = CustomerId(1);
const BOB: CustomerId = CustomerId(2);

fn spec(code: &str, kind: CouponKind) -> CouponSpec {
    CouponSpec {
        code: code.into(),
        kind,
        min_order_cents: 0,
        valid_from: 100,
        valid_until: 200,
        category: None,
        global_limit: None,
        per_customer_limit: None,
    }
}

fn lines() -> Vec<PricedLine> {
    vec![
        PricedLine {
            product: ProductId(0),
            qty: 2,
            unit_price_cents: 1_000,
            category: CategoryId(0),
        },
        PricedLine {
            product: ProductId(1),
            qty: 1,
            unit_price_cents: 999,
            category: CategoryId(1),
        },
    ]
}

fn quote(c: &Coupons, code: &str, now: Nanos) -> Result<CouponEffect, CouponError> {
    let l = lines();
    c.quote(code, ALICE, &l, 2_999, now).map(|(_, e)| e)
}

#[test]
fn effects_of_each_kind() {
    let c = Coupons::default();
    c.create(spec("P10", CouponKind::Percent(10))).unwrap();
    c.create(spec("F5", CouponKind::FixedAmount(500))).unwrap();
    c.create(spec("BIG", CouponKind::FixedAmount(1_000_000)))
        .unwrap();
    c.create(spec("SHIP", CouponKind::FreeShipping)).unwrap();
    c.create(CouponSpec {
        category: Some(CategoryId(1)),
        ..spec("CAT50", CouponKind::Percent(50))
    })
    .unwrap();
    assert_eq!(quote(&c, "P10", 150).unwrap().discount_cents, 299);
    assert_eq!(quote(&c, "F5", 150).unwrap().discount_cents, 500);
    assert_eq!(quote(&c, "BIG", 150).unwrap().discount_cents, 2_999);
    assert_eq!(
        quote(&c, "SHIP", 150).unwrap(),
        CouponEffect {
            discount_cents: 0,
            free_shipping: true
        }
    );
    assert_eq!(quote(&c, "CAT50", 150).unwrap().discount_cents, 499);
}

#[test]
fn rules_refuse_with_coupon_invalid() {
    let c = Coupons::default();
    c.create(CouponSpec {
        min_order_cents: 3_000,
        ..spec("MIN", CouponKind::Percent(5))
    })
    .unwrap();
    c.create(CouponSpec {
        category: Some(CategoryId(9)),
        ..spec("CAT", CouponKind::Percent(5))
    })
    .unwrap();
    c.create(spec("WIN", CouponKind::Percent(5))).unwrap();
    let kinds = |r: Result<CouponEffect, CouponError>| r.unwrap_err();
    assert!(matches!(
        kinds(quote(&c, "NOPE", 150)),
        CouponError::UnknownCode { .. }
    ));
    assert!(matches!(
        kinds(quote(&c, "WIN", 99)),
        CouponError::NotYetValid { .. }
    ));
    assert!(matches!(
        kinds(quote(&c, "WIN", 200)),
        CouponError::Expired { .. }
    ));
    assert!(matches!(
        kinds(quote(&c, "MIN", 150)),
        CouponError::BelowMinimum { .. }
    ));
    assert!(matches!(
        kinds(quote(&c, "CAT", 150)),
        CouponError::WrongCategory { .. }
    ));
    for code in ["NOPE", "MIN", "CAT"] {
        assert_eq!(quote(&c, code, 150).unwrap_err().kind(), "coupon_invalid");
    }
    assert_eq!(quote(&c, "WIN", 200).unwrap_err().kind(), "coupon_invalid");
}

#[test]
fn limits_and_release() {
    let c = Coupons::default();
    let id = c
        .create(CouponSpec {
            global_limit: Some(2),
            per_customer_limit: Some(1),
            ..spec("L", CouponKind::Percent(5))
        })
        .unwrap();
    let l = lines();
    let (t1, _) = c.redeem(id, ALICE, &l, 2_999, 150).unwrap();
    let err = c.redeem(id, ALICE, &l, 2_999, 150).unwrap_err();
    assert_eq!(
        (err.kind(), err.to_string().contains("maximum 1")),
        ("coupon_limit", true)
    );
    let (t2, _) = c.redeem(id, BOB, &l, 2_999, 150).unwrap();
    assert_eq!(
        c.redeem(id, CustomerId(3), &l, 2_999, 150)
            .unwrap_err()
            .kind(),
        "coupon_exhausted"
    );
    assert_eq!(quote(&c, "L", 150).unwrap_err().kind(), "coupon_exhausted");
    assert!(c.release(t1));
    assert!(!c.release(t1), "release is idempotent");
    c.attach(t2, OrderId(9));
    let (t3, _) = c.redeem(id, ALICE, &l, 2_999, 160).unwrap();
    assert_eq!(t3.index, 2);
    let u = &c.usage()[0];
    assert_eq!(
        (u.active, u.per_customer.clone()),
        (2, vec![(ALICE, 1), (BOB, 1)])
    );
    assert_eq!(u.redemptions[1].order, Some(OrderId(9)));
    assert!(u.redemptions[0].released);
    assert_eq!(c.redemptions_by_code(), vec![("L".to_string(), 2)]);
}

#[test]
fn invalid_specs_are_rejected() {
    let c = Coupons::default();
    let bad = [
        spec("", CouponKind::Percent(5)),
        spec("has space", CouponKind::Percent(5)),
        spec("P0", CouponKind::Percent(0)),
        spec("P101", CouponKind::Percent(101)),
        spec("F0", CouponKind::FixedAmount(0)),
        CouponSpec {
            valid_until: 100,
            ..spec("W", CouponKind::FreeShipping)
        },
        CouponSpec {
            global_limit: Some(0),
            ..spec("G", CouponKind::FreeShipping)
        },
        CouponSpec {
            min_order_cents: -1,
            ..spec("M", CouponKind::FreeShipping)
        },
    ];
    for s in bad {
        assert_eq!(
            c.create(s.clone()).unwrap_err().kind(),
            "invalid_input",
            "{s:?}"
        );
    }
    c.create(spec("A", CouponKind::FreeShipping)).unwrap();
    assert_eq!(
        c.create(spec("A", CouponKind::FreeShipping))
            .unwrap_err()
            .kind(),
        "invalid_input"
    );
}

#[test]
fn racing_redemptions_respect_the_global_limit() {
    let c = std::sync::Arc::new(Coupons::default());
    let id = c
        .create(CouponSpec {
            global_limit: Some(50),
            ..spec("RACE", CouponKind::Percent(5))
        })
        .unwrap();
    let won: u32 = (0..8u32)
        .map(|t| {
            let c = std::sync::Arc::clone(&c);
            std::thread::spawn(move || {
                let l = lines();
                (0..100u32)
                    .filter(|&i| {
                        c.redeem(id, CustomerId(t * 1_000 + i), &l, 2_999, 150)
                            .is_ok()
                    })
                    .count() as u32
            })
        })
        .collect::<Vec<_>>()
        .into_iter()
        .map(|h| h.join().unwrap())
        .sum();
    assert_eq!(won, 50);
    assert_eq!(c.usage()[0].active, 50);
}
