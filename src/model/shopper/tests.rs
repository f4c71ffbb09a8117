//! The shop business end to end on the smoke scenario.

use super::*;
use crate::shop::ERROR_KINDS;

fn smoke() -> (Scenario, ShopBusiness, crate::metrics::result::RunResult) {
    let text = include_str!("../../../scenarios/ci_smoke.toml");
    let sc = crate::scenario::load_str("ci_smoke.toml", "ci_smoke", text, &[], None)
        .expect("valid")
        .scenario;
    let business = ShopBusiness::new(&sc).expect("the shop builds");
    let mut engine = crate::engine::Engine::new(&sc, business);
    let result = engine.run(&mut |_| true);
    let business = engine.into_business();
    (sc, business, result)
}

#[test]
fn revenue_equals_the_paid_orders_totals() {
    let (_, b, result) = smoke();
    let orders = b.shop.orders.all();
    let paid: i64 = orders
        .iter()
        .filter(|o| {
            o.status
                .is_paid(b.shop.payments.captures_at_checkout(o.details.method))
        })
        .map(|o| o.details.pricing.total_cents)
        .sum();
    assert!(paid > 0, "the smoke run sells");
    let revenue = result
        .business_metrics()
        .into_iter()
        .find(|m| m.0 == "revenue")
        .expect("revenue row")
        .1;
    assert_eq!((revenue * 100.0).round() as i64, paid);
    assert_eq!(b.shop.counters().revenue_cents, paid);
}

#[test]
fn every_shop_error_label_is_a_report_error_kind() {
    for label in ERROR_KINDS {
        assert!(
            ErrorKind::from_label(label).is_some(),
            "{label} has no ErrorKind"
        );
    }
}

#[test]
fn a_reloaded_checkout_keeps_its_idempotency_key() {
    let (_, b, _) = smoke();
    let sku = (0..1000)
        .find(|&sku| b.in_stock(sku, 1).is_ok())
        .expect("some product in stock");
    let mut s = ShopSession::default();
    s.set_customer(b.pool[0]);
    s.checkout().lines = vec![(sku, 1)];
    assert_eq!(b.validate(&mut s, 0, false), Ok(()));
    let first = s.checkout().key;
    assert_eq!(b.validate(&mut s, 0, true), Ok(()), "the reload");
    assert_eq!(s.checkout().key, first, "a reload pays under the same key");
    assert_eq!(b.validate(&mut s, 0, false), Ok(()));
    assert_ne!(s.checkout().key, first, "a new checkout gets a new key");
}

#[test]
fn a_session_and_an_agent_stay_small() {
    // A closed model keeps a million of each in flight (issue "Speed":
    // at most 200 bytes per in-flight session, queue entry included).
    assert_eq!(std::mem::size_of::<ShopSession>(), 40);
    assert!(std::mem::size_of::<crate::model::Agent<ShopSession>>() <= 128);
}
