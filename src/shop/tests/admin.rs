//! Admin operations: role checks, fulfilment, cancel and refund semantics.

use super::*;

const P0: ProductId = ProductId(0);

/// A paid order of `qty` units of P0 for a fresh customer.
fn paid_order(shop: &Shop, n: u32, qty: u32) -> (CustomerId, CheckoutReceipt) {
    let c = customer(shop, n);
    shop.add_to_cart(c, P0, qty, 0).unwrap();
    let r = shop
        .checkout(
            c,
            CheckoutRequest {
                coupon: Some("SAVE10"),
                ..card(1)
            },
            1,
        )
        .unwrap();
    (c, r)
}

#[test]
fn customers_and_bad_tokens_are_unauthorized() {
    let (shop, _) = sample(2);
    let c = customer(&shop, 1);
    let token = shop
        .login("customer1@test.io", "password1", 0)
        .unwrap()
        .token;
    let spec = ProductSpec {
        name: "x".into(),
        category: CategoryId(0),
        price_cents: 1,
        initial_stock: 1,
        popularity_rank: 0,
    };
    let coupon = ShopConfig::sample(0).coupons[0].clone();
    for t in [token, Token(12345)] {
        let results = [
            shop.create_category(t, "toys", 1).map(|_| ()),
            shop.create_product(t, &spec, 1).map(|_| ()),
            shop.set_price(t, P0, 1, 1),
            shop.delete_product(t, P0, 1),
            shop.restock(t, P0, 1, 1).map(|_| ()),
            shop.create_coupon(t, coupon.clone(), 1).map(|_| ()),
            shop.ship_order(t, OrderId(1), 1),
            shop.deliver_order(t, OrderId(1), 1),
            shop.cancel_order(t, OrderId(1), 1),
            shop.refund_order(t, OrderId(1), 1).map(|_| ()),
        ];
        for r in results {
            assert_eq!(r.unwrap_err().kind(), "unauthorized");
        }
    }
    let _ = c;
    assert_eq!(shop.product_count(), 2);
}

#[test]
fn expired_admin_session_is_unauthorized() {
    let (shop, admin) = sample(1);
    let hour = 3_600_000_000_000;
    assert_eq!(
        shop.restock(admin, P0, 1, hour).unwrap_err().kind(),
        "unauthorized"
    );
}

#[test]
fn catalog_admin_creates_products_categories_and_coupons() {
    let (shop, admin) = sample(2);
    let toys = shop.create_category(admin, "toys", 1).unwrap();
    let spec = ProductSpec {
        name: "Wooden Train".into(),
        category: toys,
        price_cents: 2_999,
        initial_stock: 3,
        popularity_rank: 9,
    };
    let id = shop.create_product(admin, &spec, 2).unwrap();
    assert_eq!((id, shop.stock(id).unwrap()), (ProductId(2), 3));
    let q = SearchQuery {
        text: "train",
        page_size: 5,
        ..SearchQuery::default()
    };
    assert_eq!(shop.search(&q).unwrap().items[0].id, id);
    assert_eq!(shop.restock(admin, id, 2, 3).unwrap().on_hand, 5);
    assert_eq!(
        shop.restock(admin, id, 0, 3).unwrap_err().kind(),
        "invalid_input"
    );
    let bad = ProductSpec {
        price_cents: -1,
        ..spec.clone()
    };
    assert_eq!(
        shop.create_product(admin, &bad, 4).unwrap_err().kind(),
        "invalid_input"
    );
    let mut coupon = ShopConfig::sample(0).coupons[0].clone();
    coupon.code = "TOYS".into();
    coupon.category = Some(CategoryId(9));
    assert_eq!(
        shop.create_coupon(admin, coupon.clone(), 5)
            .unwrap_err()
            .kind(),
        "invalid_input"
    );
    coupon.category = Some(toys);
    shop.create_coupon(admin, coupon.clone(), 5).unwrap();
    assert_eq!(
        shop.create_coupon(admin, coupon, 5).unwrap_err().kind(),
        "invalid_input"
    );
    assert_invariants(&shop);
}

#[test]
fn fulfilment_path_and_illegal_transitions() {
    let (shop, admin) = sample(1);
    let (_, r) = paid_order(&shop, 1, 2);
    assert_eq!(
        shop.deliver_order(admin, r.order, 2).unwrap_err().kind(),
        "illegal_transition"
    );
    shop.ship_order(admin, r.order, 3).unwrap();
    assert_eq!(
        shop.ship_order(admin, r.order, 4).unwrap_err().kind(),
        "illegal_transition"
    );
    let err = shop.cancel_order(admin, r.order, 4).unwrap_err();
    assert!(err.to_string().contains("refund it instead"), "{err}");
    shop.deliver_order(admin, r.order, 5).unwrap();
    assert_eq!(
        shop.cancel_order(admin, r.order, 6).unwrap_err().kind(),
        "illegal_transition"
    );
    assert_eq!(
        shop.refund_order(admin, r.order, 7).unwrap(),
        r.pricing.total_cents
    );
    assert_eq!(
        shop.refund_order(admin, r.order, 8).unwrap_err().kind(),
        "illegal_transition"
    );
    assert_eq!(
        shop.ship_order(admin, OrderId(99), 8).unwrap_err().kind(),
        "not_found"
    );
    let statuses: Vec<OrderStatus> = shop
        .order(r.order)
        .unwrap()
        .history
        .iter()
        .map(|h| h.status)
        .collect();
    use OrderStatus::*;
    assert_eq!(statuses, vec![Created, Paid, Shipped, Delivered, Refunded]);
    let rec = shop.stock_levels()[0].1;
    assert_eq!(
        (rec.sold, rec.on_hand),
        (2, 98),
        "shipped goods are not restocked on refund"
    );
    assert_eq!(shop.counters().revenue_cents, 0);
    assert!(
        shop.coupon_redemptions().contains(&("SAVE10".into(), 1)),
        "a refund keeps the coupon used"
    );
    assert_invariants(&shop);
}

#[test]
fn cancel_of_a_paid_order_gives_everything_back() {
    let (shop, admin) = sample(1);
    let (_, r) = paid_order(&shop, 1, 4);
    shop.cancel_order(admin, r.order, 2).unwrap();
    let rec = shop.stock_levels()[0].1;
    assert_eq!((rec.sold, rec.on_hand, rec.returned), (0, 100, 4));
    assert!(shop.coupon_redemptions().contains(&("SAVE10".into(), 0)));
    assert_eq!(shop.counters().revenue_cents, 0);
    assert_eq!(
        shop.cancel_order(admin, r.order, 3).unwrap_err().kind(),
        "illegal_transition"
    );
    assert_invariants(&shop);
}

#[test]
fn refund_before_shipping_restocks() {
    let (shop, admin) = sample(1);
    let (_, r) = paid_order(&shop, 1, 4);
    shop.refund_order(admin, r.order, 2).unwrap();
    assert_eq!(shop.stock(P0).unwrap(), 100);
    assert_eq!(shop.order_status(r.order).unwrap(), OrderStatus::Refunded);
    assert_invariants(&shop);
}

#[test]
fn cash_on_delivery_cancel_before_and_after_shipping() {
    let (shop, admin) = sample(1);
    let cod = CheckoutRequest {
        method: PaymentMethodKind::CashOnDelivery,
        coupon: Some("FREESHIP"),
        ..card(1)
    };
    let c = customer(&shop, 1);
    shop.add_to_cart(c, P0, 1, 0).unwrap();
    let a = shop.checkout(c, cod, 1).unwrap();
    shop.cancel_order(admin, a.order, 2).unwrap();
    shop.add_to_cart(c, P0, 1, 3).unwrap();
    let b = shop
        .checkout(
            c,
            CheckoutRequest {
                idempotency_key: 2,
                ..cod
            },
            4,
        )
        .unwrap();
    shop.ship_order(admin, b.order, 5).unwrap();
    shop.cancel_order(admin, b.order, 6).unwrap(); // refused at the door
    assert_eq!(shop.stock(P0).unwrap(), 100);
    assert!(shop.ledger().is_empty());
    assert!(
        shop.payments()
            .iter()
            .all(|p| p.status == payments::PaymentStatus::Voided)
    );
    assert!(shop.coupon_redemptions().contains(&("FREESHIP".into(), 0)));
    assert_invariants(&shop);
}

#[test]
fn report_counters_and_sold_out() {
    let (shop, admin) = sample(2);
    let c = customer(&shop, 1);
    assert!(
        shop.login("customer1@test.io", "wrong-password", 0)
            .is_err()
    );
    shop.add_to_cart(c, P0, 99, 0).unwrap();
    shop.checkout(c, card(1), 50).unwrap();
    shop.add_to_cart(c, P0, 1, 60).unwrap();
    shop.checkout(c, card(2), 70).unwrap();
    assert_eq!(shop.sold_out(), vec![(P0, 70)]);
    shop.restock(admin, P0, 5, 80).unwrap();
    assert_eq!(
        shop.sold_out(),
        vec![(P0, 70)],
        "first sell-out time is kept"
    );
    let k = shop.counters();
    assert_eq!((k.registrations, k.logins, k.login_failures), (2, 1, 1));
    assert_eq!(k.orders_by_status[2], (OrderStatus::Paid, 2));
    assert_eq!(shop.checkouts_in_flight(), 0);
    assert_invariants(&shop);
}
