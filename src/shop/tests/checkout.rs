//! Checkout: the happy path, every error path, compensation and idempotency.

use super::*;

const P0: ProductId = ProductId(0);
const P1: ProductId = ProductId(1);

/// Everything a failed checkout must leave exactly as it was.
#[derive(Debug, PartialEq)]
struct Observable {
    cart: Vec<CartLine>,
    stock: Vec<(ProductId, StockRecord)>,
    coupons: Vec<(String, u32)>,
    ledger_len: usize,
    orders: [(OrderStatus, u64); 7],
}

fn observe(shop: &Shop, c: CustomerId) -> Observable {
    Observable {
        cart: shop.cart(c),
        stock: shop.stock_levels(),
        coupons: shop.coupon_redemptions(),
        ledger_len: shop.ledger().len(),
        orders: shop
            .counters()
            .orders_by_status
            .map(|(s, n)| (s, if s == OrderStatus::Cancelled { 0 } else { n })),
    }
}

#[test]
fn happy_path_sells_redeems_captures_and_empties_the_cart() {
    let (shop, _) = sample(4);
    let c = customer(&shop, 1);
    shop.add_to_cart(c, P0, 2, 10).unwrap();
    shop.add_to_cart(c, P1, 1, 11).unwrap();
    let quoted = shop.price_cart(c, Some("SAVE10"), 12).unwrap();
    let r = shop
        .checkout(
            c,
            CheckoutRequest {
                coupon: Some("SAVE10"),
                ..card(1)
            },
            13,
        )
        .unwrap();
    assert_eq!(
        (r.status, r.pricing, r.replayed),
        (OrderStatus::Paid, quoted, false)
    );
    assert!(shop.cart(c).is_empty());
    assert_eq!((shop.stock(P0).unwrap(), shop.stock(P1).unwrap()), (98, 99));
    assert_eq!(shop.stock_levels()[0].1.sold, 2);
    assert!(
        shop.coupon_redemptions()
            .contains(&("SAVE10".to_string(), 1))
    );
    let order = shop.order(r.order).unwrap();
    assert_eq!(order.details.lines.len(), 2);
    assert_eq!(
        order
            .history
            .iter()
            .map(|h| (h.status, h.at))
            .collect::<Vec<_>>(),
        vec![(OrderStatus::Created, 13), (OrderStatus::Paid, 13)]
    );
    assert_eq!(shop.orders_of(c), vec![r.order]);
    let counters = shop.counters();
    assert_eq!(
        (counters.revenue_cents, counters.checkouts_ok),
        (quoted.total_cents, 1)
    );
    assert_eq!(shop.ledger().len(), 2);
    assert_invariants(&shop);
}

#[test]
fn empty_cart_unknown_customer_and_disabled_method() {
    let (mut config, _) = (ShopConfig::sample(2), ());
    config
        .payment_methods
        .retain(|m| m.kind != PaymentMethodKind::Wallet);
    let (shop, _) = shop_with(config);
    let c = customer(&shop, 1);
    assert_eq!(
        shop.checkout(c, card(1), 0).unwrap_err().kind(),
        "empty_cart"
    );
    assert_eq!(
        shop.checkout(UserId(77), card(1), 0).unwrap_err().kind(),
        "not_found"
    );
    shop.add_to_cart(c, P0, 1, 0).unwrap();
    let wallet = CheckoutRequest {
        method: PaymentMethodKind::Wallet,
        ..card(2)
    };
    assert_eq!(
        shop.checkout(c, wallet, 0).unwrap_err().kind(),
        "invalid_input"
    );
    assert_eq!(shop.cart(c).len(), 1);
    assert_invariants(&shop);
}

#[test]
fn out_of_stock_at_checkout_changes_nothing() {
    let (shop, _) = sample(2);
    let (a, b) = (customer(&shop, 1), customer(&shop, 2));
    shop.add_to_cart(a, P0, 60, 0).unwrap();
    shop.add_to_cart(a, P1, 1, 0).unwrap();
    shop.add_to_cart(b, P0, 50, 0).unwrap();
    shop.checkout(b, card(1), 1).unwrap();
    let before = observe(&shop, a);
    let err = shop.checkout(a, card(1), 2).unwrap_err();
    assert_eq!(err.kind(), "out_of_stock");
    assert!(
        err.to_string()
            .contains("product 0 has 50 unit(s) on hand, 60 requested"),
        "{err}"
    );
    assert_eq!(observe(&shop, a), before);
    assert_invariants(&shop);
}

#[test]
fn deleted_product_and_price_change() {
    let (shop, admin) = sample(3);
    let c = customer(&shop, 1);
    shop.add_to_cart(c, P0, 1, 0).unwrap();
    shop.set_price(admin, P0, 1_234, 1).unwrap();
    let r = shop.checkout(c, card(1), 2).unwrap();
    assert_eq!(
        r.pricing.subtotal_cents, 1_234,
        "carts are charged the current price"
    );
    shop.add_to_cart(c, ProductId(2), 1, 3).unwrap();
    shop.delete_product(admin, ProductId(2), 4).unwrap();
    assert_eq!(
        shop.checkout(c, card(2), 5).unwrap_err().kind(),
        "not_found"
    );
    assert_eq!(shop.cart(c).len(), 1);
    assert_eq!(
        shop.add_to_cart(c, ProductId(2), 1, 6).unwrap_err().kind(),
        "not_found"
    );
    assert_invariants(&shop);
}

#[test]
fn coupon_errors_change_nothing() {
    let mut config = ShopConfig::sample(2);
    config.coupons.push(CouponSpec {
        valid_from: 100,
        valid_until: 200,
        ..config.coupons[0].clone()
    });
    config.coupons.last_mut().unwrap().code = "WINDOW".into();
    let (shop, _) = shop_with(config);
    let c = customer(&shop, 1);
    shop.add_to_cart(c, P1, 1, 0).unwrap(); // category 1: not books
    let before = observe(&shop, c);
    for (code, now, kind) in [
        ("NOPE", 150, "coupon_invalid"),
        ("WINDOW", 99, "coupon_invalid"),
        ("WINDOW", 200, "coupon_invalid"),
        ("BOOKS20", 150, "coupon_invalid"),
    ] {
        let err = shop
            .checkout(
                c,
                CheckoutRequest {
                    coupon: Some(code),
                    ..card(now)
                },
                now,
            )
            .unwrap_err();
        assert_eq!(err.kind(), kind, "{code} at {now}: {err}");
        assert_eq!(observe(&shop, c), before);
    }
    let price = shop.product(P1).unwrap().price_cents;
    if price < 2_000 {
        let err = shop
            .checkout(
                c,
                CheckoutRequest {
                    coupon: Some("FIVEOFF"),
                    ..card(9)
                },
                150,
            )
            .unwrap_err();
        assert!(err.to_string().contains("at least 2000 cents"), "{err}");
    }
    assert!(
        shop.checkout(
            c,
            CheckoutRequest {
                coupon: Some("WINDOW"),
                ..card(10)
            },
            150
        )
        .is_ok()
    );
    assert_invariants(&shop);
}

#[test]
fn exhausted_and_per_customer_limits() {
    let mut config = ShopConfig::sample(2);
    config.coupons[3].global_limit = Some(1); // BOOKS20, category 0
    let (shop, _) = shop_with(config);
    let (a, b) = (customer(&shop, 1), customer(&shop, 2));
    for c in [a, b] {
        shop.add_to_cart(c, P0, 5, 0).unwrap();
    }
    shop.checkout(
        a,
        CheckoutRequest {
            coupon: Some("BOOKS20"),
            ..card(1)
        },
        1,
    )
    .unwrap();
    let before = observe(&shop, b);
    assert_eq!(
        shop.checkout(
            b,
            CheckoutRequest {
                coupon: Some("BOOKS20"),
                ..card(1)
            },
            2
        )
        .unwrap_err()
        .kind(),
        "coupon_exhausted"
    );
    assert_eq!(observe(&shop, b), before);
    // FIVEOFF: once per customer (carts of 5 units reach its 20.00 minimum).
    shop.add_to_cart(a, P0, 5, 3).unwrap();
    shop.checkout(
        b,
        CheckoutRequest {
            coupon: Some("FIVEOFF"),
            ..card(2)
        },
        3,
    )
    .unwrap();
    shop.add_to_cart(b, P0, 5, 3).unwrap();
    assert_eq!(
        shop.checkout(
            b,
            CheckoutRequest {
                coupon: Some("FIVEOFF"),
                ..card(3)
            },
            4
        )
        .unwrap_err()
        .kind(),
        "coupon_limit"
    );
    shop.checkout(
        a,
        CheckoutRequest {
            coupon: Some("FIVEOFF"),
            ..card(2)
        },
        4,
    )
    .unwrap();
    assert_invariants(&shop);
}

#[test]
fn declined_payment_is_compensated_and_replayed() {
    let (shop, _) = sample(2);
    let c = customer(&shop, 1);
    shop.add_to_cart(c, P0, 2, 0).unwrap();
    let before = observe(&shop, c);
    let declined = CheckoutRequest {
        coupon: Some("SAVE10"),
        payment_roll: 0.03,
        ..card(5)
    };
    let err = shop.checkout(c, declined, 1).unwrap_err();
    assert_eq!(err.kind(), "payment_declined");
    assert_eq!(observe(&shop, c), before, "stock, coupon and cart are back");
    // Same key, same cart: the first result, even with a lucky draw.
    let retry = shop
        .checkout(
            c,
            CheckoutRequest {
                payment_roll: 0.99,
                ..declined
            },
            2,
        )
        .unwrap_err();
    assert_eq!(retry.kind(), "payment_declined");
    // Same key, different amount: conflict.
    shop.add_to_cart(c, P1, 1, 3).unwrap();
    assert_eq!(
        shop.checkout(c, declined, 3).unwrap_err().kind(),
        "idempotency_conflict"
    );
    // A new key goes through.
    assert!(
        shop.checkout(
            c,
            CheckoutRequest {
                payment_roll: 0.99,
                ..card(6)
            },
            4
        )
        .is_ok()
    );
    let p = shop.counters().payments;
    assert_eq!(
        (p.declines, p.idempotent_replays, p.authorizations),
        (1, 1, 1)
    );
    assert_eq!(shop.counters().checkouts_failed, 3);
    assert_invariants(&shop);
}

#[test]
fn gateway_timeout_leaves_the_key_reusable_without_double_charge() {
    let (shop, _) = sample(2);
    let c = customer(&shop, 1);
    shop.add_to_cart(c, P0, 1, 0).unwrap();
    let before = observe(&shop, c);
    let req = CheckoutRequest {
        coupon: Some("SAVE10"),
        payment_roll: 0.001,
        ..card(9)
    };
    let err = shop.checkout(c, req, 1).unwrap_err();
    assert_eq!(err.kind(), "gateway_timeout");
    assert!(err.is_retryable());
    assert_eq!(observe(&shop, c), before);
    let ok = shop
        .checkout(
            c,
            CheckoutRequest {
                payment_roll: 0.5,
                ..req
            },
            2,
        )
        .unwrap();
    let again = shop
        .checkout(
            c,
            CheckoutRequest {
                payment_roll: 0.001,
                ..req
            },
            3,
        )
        .unwrap();
    assert_eq!(
        (again.order, again.replayed, ok.replayed),
        (ok.order, true, false)
    );
    assert_eq!(shop.payments().len(), 1);
    assert_eq!(shop.ledger().len(), 2, "one capture");
    assert_eq!(shop.counters().payments.gateway_timeouts, 1);
    assert_invariants(&shop);
}

#[test]
fn replay_after_success_returns_the_receipt() {
    let (shop, admin) = sample(2);
    let c = customer(&shop, 1);
    shop.add_to_cart(c, P0, 1, 0).unwrap();
    let first = shop.checkout(c, card(1), 1).unwrap();
    shop.ship_order(admin, first.order, 2).unwrap();
    let again = shop.checkout(c, card(1), 3).unwrap();
    assert_eq!(
        again,
        CheckoutReceipt {
            status: OrderStatus::Shipped,
            replayed: true,
            ..first
        }
    );
    assert_eq!(shop.counters().checkouts_ok, 1);
    assert_invariants(&shop);
}

#[test]
fn concurrent_checkout_of_one_cart_is_refused() {
    let (shop, _) = sample(2);
    let c = customer(&shop, 1);
    shop.add_to_cart(c, P0, 1, 0).unwrap();
    let _held = shop.carts.begin_checkout(c).unwrap();
    let err = shop.checkout(c, card(1), 1).unwrap_err();
    assert_eq!(
        (err.kind(), err.is_retryable()),
        ("checkout_in_progress", true)
    );
    shop.carts.finish_checkout(c, None, 2);
    assert!(shop.checkout(c, card(1), 3).is_ok());
}

#[test]
fn cash_on_delivery_is_captured_on_delivery() {
    let (shop, admin) = sample(2);
    let c = customer(&shop, 1);
    shop.add_to_cart(c, P0, 1, 0).unwrap();
    let cod = CheckoutRequest {
        method: PaymentMethodKind::CashOnDelivery,
        ..card(1)
    };
    let r = shop.checkout(c, cod, 1).unwrap();
    assert_eq!(r.status, OrderStatus::AwaitingPayment);
    assert!(shop.ledger().is_empty());
    assert_eq!(
        shop.stock_levels()[0].1.sold,
        1,
        "goods are allocated at checkout"
    );
    assert_invariants(&shop);
    shop.ship_order(admin, r.order, 2).unwrap();
    assert_eq!(
        shop.refund_order(admin, r.order, 3).unwrap_err().kind(),
        "illegal_transition"
    );
    shop.deliver_order(admin, r.order, 4).unwrap();
    assert_eq!(shop.counters().revenue_cents, r.pricing.total_cents);
    assert_invariants(&shop);
    // Over the courier's cash limit (1000.00): declined.
    shop.add_to_cart(c, P1, 99, 5).unwrap();
    let big = shop.price_cart(c, None, 5).unwrap().total_cents;
    if big > 100_000 {
        assert_eq!(
            shop.checkout(
                c,
                CheckoutRequest {
                    idempotency_key: 2,
                    ..cod
                },
                6
            )
            .unwrap_err()
            .kind(),
            "payment_declined"
        );
    }
    assert_invariants(&shop);
}
