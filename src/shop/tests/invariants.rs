//! The invariant checker is seen to fail: each check against state corrupted
//! on purpose, and both injected checkout bugs.

use super::*;
use crate::shop::coupons::Redemption;
use crate::shop::invariants::{MAX_MESSAGES_PER_ROW, check};
use crate::shop::inventory::StockLine;
use crate::shop::ledger::{Account, LedgerEntry, MovementKind};
use crate::shop::orders::StatusChange;
use crate::shop::payments::PaymentStatus;

const P0: ProductId = ProductId(0);

/// A shop with some history: a paid order with a coupon (order 1), a
/// delivered one (order 2), a cancelled one (order 3), a cash-on-delivery one
/// awaiting payment (order 4) and a declined checkout.
fn busy_shop(config: ShopConfig) -> (Shop, Token, CustomerId) {
    let (shop, admin) = shop_with(config);
    let c = customer(&shop, 1);
    let buy = |key: u64, req: CheckoutRequest<'static>| {
        shop.add_to_cart(c, P0, 2, key).unwrap();
        shop.add_to_cart(c, ProductId(1), 1, key).unwrap();
        shop.checkout(
            c,
            CheckoutRequest {
                idempotency_key: key,
                ..req
            },
            key,
        )
    };
    let one = buy(
        1,
        CheckoutRequest {
            coupon: Some("BOOKS20"),
            ..card(0)
        },
    )
    .unwrap();
    let two = buy(2, card(0)).unwrap();
    let three = buy(
        3,
        CheckoutRequest {
            coupon: Some("SAVE10"),
            ..card(0)
        },
    )
    .unwrap();
    buy(
        4,
        CheckoutRequest {
            method: PaymentMethodKind::CashOnDelivery,
            ..card(0)
        },
    )
    .unwrap();
    let declined = buy(
        5,
        CheckoutRequest {
            coupon: Some("FREESHIP"),
            payment_roll: 0.03,
            ..card(0)
        },
    );
    assert_eq!(declined.unwrap_err().kind(), "payment_declined");
    shop.ship_order(admin, two.order, 10).unwrap();
    shop.deliver_order(admin, two.order, 11).unwrap();
    shop.cancel_order(admin, three.order, 12).unwrap();
    assert_eq!(one.order, OrderId(1));
    (shop, admin, c)
}

/// Asserts row `id` reports a violation mentioning `needle`, and returns how
/// many rows failed.
#[track_caller]
fn assert_caught(shop: &Shop, id: &str, needle: &str) -> usize {
    let report = check(shop);
    let row = report.row(id).unwrap();
    assert!(
        row.violation_count > 0,
        "{id} missed the corruption: {report:#?}"
    );
    assert!(
        row.violations.iter().any(|v| v.contains(needle)),
        "{id} violations {:?} lack {needle:?}",
        row.violations
    );
    report.rows.iter().filter(|r| r.violation_count > 0).count()
}

#[test]
fn a_busy_shop_is_clean_and_rows_are_in_order() {
    let (shop, _, _) = busy_shop(ShopConfig::sample(4));
    let report = check(&shop);
    assert!(report.is_ok(), "{report:#?}");
    let ids: Vec<&str> = report.rows.iter().map(|r| r.id).collect();
    assert_eq!(
        ids,
        [
            "I1", "I2", "I3", "I4", "I5", "I6", "I7", "I8", "I9", "I10", "I11", "I12"
        ]
    );
    assert!(report.rows.iter().all(|r| r.checked > 0), "{report:#?}");
    assert_eq!(report.row("I9").unwrap().checked, 4);
}

#[test]
fn i1_stock_conservation() {
    let (shop, _, _) = busy_shop(ShopConfig::sample(4));
    shop.inventory.corrupt(ProductId(3), |r| r.on_hand += 1);
    assert_caught(
        &shop,
        "I1",
        "SKU 3: initial 100 + restocked 0 = 100, but on hand 101",
    );
}

#[test]
fn i2_no_oversell() {
    let (shop, _, _) = busy_shop(ShopConfig::sample(4));
    shop.inventory.corrupt(ProductId(2), |r| {
        r.on_hand = -1;
        r.sold = 101;
    });
    assert_caught(&shop, "I2", "SKU 2: on hand is negative (-1)");
    assert_caught(
        &shop,
        "I2",
        "SKU 2: sold 101 exceeds initial + restocked 100",
    );
}

#[test]
fn i3_leaked_reservation() {
    let (shop, _, _) = busy_shop(ShopConfig::sample(4));
    let leaked = shop
        .inventory
        .reserve(&[StockLine {
            product: ProductId(3),
            qty: 2,
        }])
        .unwrap();
    drop(leaked);
    assert_eq!(
        assert_caught(&shop, "I3", "SKU 3: 2 unit(s) still reserved"),
        1,
        "conservation still holds"
    );
}

#[test]
fn i4_coupon_limits() {
    let (shop, _, c) = busy_shop(ShopConfig::sample(4));
    shop.coupons.corrupt("FIVEOFF", |active, trail| {
        for _ in 0..2 {
            trail.push(Redemption {
                customer: c,
                at: 5,
                order: Some(OrderId(1)),
                released: false,
            });
        }
        *active += 2;
    });
    assert_caught(
        &shop,
        "I4",
        "coupon \"FIVEOFF\": customer 1 redeemed it 2 time(s), limit 1",
    );
    shop.coupons.corrupt("BOOKS20", |active, trail| {
        let r = trail[0];
        trail.extend(std::iter::repeat_n(r, 100));
        *active += 100;
    });
    assert_caught(
        &shop,
        "I4",
        "coupon \"BOOKS20\": 101 redemption(s) exceed the global limit 100",
    );
    shop.coupons.corrupt("SAVE10", |active, _| *active += 1);
    assert_caught(
        &shop,
        "I4",
        "coupon \"SAVE10\": counter says 1 redemption(s), the trail has 0",
    );
}

#[test]
fn i5_coupon_validity() {
    let (shop, _, c) = busy_shop(ShopConfig::sample(4));
    shop.coupons.corrupt("SAVE10", |active, trail| {
        trail.push(Redemption {
            customer: c,
            at: 7,
            order: None,
            released: false,
        });
        *active += 1;
    });
    assert_caught(
        &shop,
        "I5",
        "coupon \"SAVE10\" redemption #1 (customer 1): belongs to no order",
    );
    shop.coupons
        .corrupt("BOOKS20", |_, trail| trail[0].at = Nanos::MAX);
    assert_caught(&shop, "I5", "outside [0, ");
}

#[test]
fn i6_idempotent_payments() {
    let (shop, _, _) = busy_shop(ShopConfig::sample(4));
    // Payment 2 pretends to share payment 1's key: two captures for one key.
    shop.payments
        .corrupt(PaymentId(2), |p| p.idempotency_key = 1);
    assert_caught(&shop, "I6", "customer 1 key 1: 2 captures");
}

#[test]
fn i6_a_remembered_key_without_its_payment() {
    let (shop, _, _) = busy_shop(ShopConfig::sample(4));
    let checked = check(&shop).row("I6").unwrap().checked;
    // Payment 2 moves to a key of its own: key 2 still remembers it but
    // carries no payment any more, and is checked in key order with the rest.
    shop.payments
        .corrupt(PaymentId(2), |p| p.idempotency_key = 99);
    assert_caught(
        &shop,
        "I6",
        "customer 1 key 2: remembers payment 2, which is not a payment of this key",
    );
    let row = check(&shop).row("I6").unwrap().clone();
    assert_eq!(row.checked, checked + 1, "keys 1 to 5 and 99");
    assert_eq!(row.violation_count, 1);
}

#[test]
fn i7_no_double_charge() {
    let (shop, _, _) = busy_shop(ShopConfig::sample(4));
    shop.payments.corrupt(PaymentId(1), |p| p.captures = 2);
    assert_caught(&shop, "I7", "order 1: captured 2 times");
    shop.payments
        .corrupt(PaymentId(1), |p| p.captured_cents += 1_000_000);
    assert_caught(&shop, "I7", "order 1: net charge");
}

#[test]
fn i8_money_conservation() {
    let (shop, _, c) = busy_shop(ShopConfig::sample(4));
    shop.payments.ledger_mut().corrupt_push(LedgerEntry {
        seq: 999,
        at: 0,
        payment: PaymentId(1),
        order: Some(OrderId(1)),
        kind: MovementKind::Capture,
        account: Account::Customer(c),
        amount_cents: -10,
    });
    assert_caught(
        &shop,
        "I8",
        "ledger movement 999: legs sum to -10 cents, not 0",
    );
    let (shop, _, _) = busy_shop(ShopConfig::sample(4));
    shop.orders
        .corrupt(OrderId(1), |o| o.details.pricing.total_cents += 1);
    assert_caught(&shop, "I8", "!= total of paid orders");
}

#[test]
fn i9_price_arithmetic() {
    let (shop, _, _) = busy_shop(ShopConfig::sample(4));
    shop.orders
        .corrupt(OrderId(2), |o| o.details.pricing.total_cents += 1);
    assert_caught(&shop, "I9", "order 2: total");
    shop.orders.corrupt(OrderId(1), |o| {
        let p = &mut o.details.pricing;
        p.discount_cents = p.subtotal_cents + 1;
        p.total_cents = p.subtotal_cents - p.discount_cents + p.shipping_cents + p.tax_cents;
    });
    assert_caught(&shop, "I9", "order 1: discount");
    shop.orders
        .corrupt(OrderId(4), |o| o.details.lines[0].qty += 1);
    assert_caught(&shop, "I9", "order 4: subtotal");
}

#[test]
fn i10_legal_histories() {
    let (shop, _, _) = busy_shop(ShopConfig::sample(4));
    shop.orders.corrupt(OrderId(3), |o| {
        o.history.push(StatusChange {
            status: OrderStatus::Paid,
            at: 20,
        });
        o.status = OrderStatus::Paid;
    });
    assert_caught(&shop, "I10", "order 3: illegal transition cancelled → paid");
    shop.orders.corrupt(OrderId(2), |o| {
        let shipped = o.history.get(2).unwrap();
        o.history.set(2, StatusChange { at: 0, ..shipped });
    });
    assert_caught(&shop, "I10", "order 2: shipped at 0 is before paid at 2");
}

#[test]
fn i11_services_agree() {
    let (shop, _, _) = busy_shop(ShopConfig::sample(4));
    shop.payments
        .corrupt(PaymentId(1), |p| p.status = PaymentStatus::Voided);
    assert_caught(&shop, "I11", "order 1 is paid but payment 1 is Voided");
    let (shop, _, _) = busy_shop(ShopConfig::sample(4));
    shop.orders.corrupt(OrderId(2), |o| o.stock_held = false);
    assert_caught(&shop, "I11", "order 2 is delivered but holds no stock");
    assert_caught(&shop, "I11", "SKU 0: inventory says 6 sold, orders hold 4");
    let (shop, _, _) = busy_shop(ShopConfig::sample(4));
    shop.coupons
        .corrupt("SAVE10", |_, trail| trail[0].released = false);
    assert_caught(
        &shop,
        "I11",
        "order 3 is cancelled but its coupon redemption is still active",
    );
}

#[test]
fn i12_liveness() {
    let (shop, _, c) = busy_shop(ShopConfig::sample(4));
    shop.carts.corrupt_busy(c);
    assert_caught(
        &shop,
        "I12",
        "cart of customer 1 is still marked as checking out",
    );
    shop.orders
        .corrupt(OrderId(1), |o| o.status = OrderStatus::Created);
    assert_caught(&shop, "I12", "order 1 is stuck in created");
}

#[test]
fn injected_bug_keep_reservation_on_decline_is_caught() {
    let config = ShopConfig {
        inject_bug: Some(InjectedBug::KeepReservationOnDecline),
        ..ShopConfig::sample(4)
    };
    let (shop, _, _) = busy_shop(config);
    assert_caught(&shop, "I3", "still reserved with no checkout in flight");
}

#[test]
fn injected_bug_keep_coupon_on_decline_is_caught() {
    let config = ShopConfig {
        inject_bug: Some(InjectedBug::KeepCouponOnDecline),
        ..ShopConfig::sample(4)
    };
    let (shop, _, _) = busy_shop(config);
    assert_caught(
        &shop,
        "I5",
        "coupon \"FREESHIP\" redemption #0 (customer 1): belongs to no order",
    );
}

#[test]
fn messages_are_capped_but_counted() {
    let (shop, _) = sample(150);
    for p in 0..150 {
        shop.inventory.corrupt(ProductId(p), |r| r.on_hand += 1);
    }
    let report = check(&shop);
    let row = report.row("I1").unwrap();
    assert_eq!(
        (row.violation_count, row.violations.len()),
        (150, MAX_MESSAGES_PER_ROW)
    );
    assert_eq!(report.violation_count(), 150, "only conservation is broken");
}
