//! Races on real threads: hot SKUs and a limited coupon, crossing
//! multi-line carts with concurrent admin work, retries of one key, and
//! duplicate registrations. Each thread's choices come from its own seeded
//! RNG; the interleaving is the OS's, so the assertions are the invariants.

use std::sync::Barrier;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use rand::{RngExt, SeedableRng};
use rand_pcg::Pcg64Mcg;

use super::*;

const THREADS: u64 = 8;

fn card_config(decline_rate: f64, timeout_rate: f64) -> PaymentMethodConfig {
    PaymentMethodConfig {
        kind: PaymentMethodKind::Card,
        decline_rate,
        timeout_rate,
        max_amount_cents: None,
    }
}

#[test]
fn eight_threads_race_for_100_units_and_a_50_use_coupon() {
    const CUSTOMERS_PER_THREAD: u32 = 250;
    let mut config = ShopConfig::sample(4);
    for p in &mut config.products {
        p.initial_stock = 25; // 4 hot SKUs, 100 units in all
    }
    config.inventory_shards = 4;
    config.payment_methods = vec![card_config(0.10, 0.05)];
    config.coupons.push(CouponSpec {
        code: "HOT50".into(),
        global_limit: Some(50),
        ..config.coupons[0].clone()
    });
    let (shop, _) = shop_with(config);
    // 2000 customers each put one hot unit in their cart while stock lasts on
    // paper, then all check out at once: a doorbuster.
    let carts: Vec<Vec<(CustomerId, ProductId)>> = (0..THREADS as u32)
        .map(|t| {
            (0..CUSTOMERS_PER_THREAD)
                .map(|i| {
                    let c = customer(&shop, t * CUSTOMERS_PER_THREAD + i);
                    let p = ProductId((t + i) % 4);
                    shop.add_to_cart(c, p, 1, 0).unwrap();
                    (c, p)
                })
                .collect()
        })
        .collect();
    let barrier = Barrier::new(THREADS as usize);
    let started = Instant::now();
    std::thread::scope(|s| {
        for (t, mine) in carts.iter().enumerate() {
            let (shop, barrier) = (&shop, &barrier);
            s.spawn(move || {
                let mut rng = Pcg64Mcg::seed_from_u64(t as u64);
                barrier.wait();
                for (i, &(c, _)) in mine.iter().enumerate() {
                    let mut key = 0;
                    let mut req = CheckoutRequest {
                        coupon: Some("HOT50"),
                        method: PaymentMethodKind::Card,
                        idempotency_key: key,
                        payment_roll: rng.random(),
                    };
                    for _attempt in 0..6 {
                        match shop.checkout(c, req, i as Nanos).map_err(|e| e.kind()) {
                            Err("coupon_exhausted") => req.coupon = None,
                            Err("gateway_timeout") => {} // retry with the same key
                            Err("payment_declined") => key += 1,
                            Ok(_) | Err(_) => break,
                        }
                        req = CheckoutRequest {
                            idempotency_key: key,
                            payment_roll: rng.random(),
                            ..req
                        };
                    }
                }
            });
        }
    });
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "took {:?}",
        started.elapsed()
    );
    let sold: i64 = shop.stock_levels().iter().map(|(_, r)| r.sold).sum();
    assert_eq!(sold, 100);
    assert!(
        shop.coupon_redemptions()
            .contains(&("HOT50".to_string(), 50)),
        "{:?}",
        shop.coupon_redemptions()
    );
    let k = shop.counters();
    assert_eq!(k.checkouts_ok, 100);
    assert!(k.checkouts_failed > 1_500, "{k:?}");
    assert!(
        k.payments.declines > 0 && k.payments.gateway_timeouts > 0,
        "{k:?}"
    );
    let paid: Cents = shop
        .orders
        .all()
        .iter()
        .map(|o| o.details.pricing.total_cents)
        .sum();
    assert_eq!(
        k.revenue_cents, paid,
        "the ledger balances against the orders"
    );
    assert_invariants(&shop);
}

#[test]
fn crossing_carts_with_concurrent_admin_work_keep_every_invariant() {
    let mut config = ShopConfig::sample(12);
    for p in &mut config.products {
        p.initial_stock = 100;
    }
    config.inventory_shards = 3;
    config.payment_methods = vec![
        card_config(0.1, 0.05),
        PaymentMethodConfig {
            kind: PaymentMethodKind::CashOnDelivery,
            decline_rate: 0.05,
            timeout_rate: 0.0,
            max_amount_cents: None,
        },
    ];
    let (shop, admin) = shop_with(config);
    let customers: Vec<CustomerId> = (0..THREADS as u32 * 4)
        .map(|n| customer(&shop, n))
        .collect();
    // A shared clock, read before each call as the wall-clock mode would.
    let clock = AtomicU64::new(0);
    let now = || clock.fetch_add(1, Ordering::Relaxed);
    // The admin works until every customer thread is done, so that its
    // shipments, cancellations and refunds meet orders (a fast admin
    // thread could otherwise finish before the first checkout).
    let shopping = AtomicU64::new(THREADS);
    std::thread::scope(|s| {
        for t in 0..THREADS as usize {
            let (shop, mine, now) = (&shop, &customers[t * 4..t * 4 + 4], &now);
            let shopping = &shopping;
            s.spawn(move || {
                let mut rng = Pcg64Mcg::seed_from_u64(100 + t as u64);
                for i in 0..300u64 {
                    let c = mine[i as usize % 4];
                    for _ in 0..3 {
                        let _ = shop.add_to_cart(
                            c,
                            ProductId(rng.random_range(0..12)),
                            rng.random_range(1..3),
                            now(),
                        );
                    }
                    let method = if rng.random_bool(0.3) {
                        PaymentMethodKind::CashOnDelivery
                    } else {
                        PaymentMethodKind::Card
                    };
                    let coupon =
                        ["SAVE10", "BOOKS20", "FIVEOFF", "FREESHIP"][rng.random_range(0..4)];
                    let req = CheckoutRequest {
                        coupon: Some(coupon),
                        method,
                        idempotency_key: i,
                        payment_roll: rng.random(),
                    };
                    if shop.checkout(c, req, now()).is_err() {
                        for line in shop.cart(c) {
                            shop.remove_from_cart(c, line.product, now()).unwrap();
                        }
                    }
                }
                shopping.fetch_sub(1, Ordering::Relaxed);
            });
        }
        let (shop, now, shopping) = (&shop, &now, &shopping);
        s.spawn(move || {
            let mut rng = Pcg64Mcg::seed_from_u64(7);
            let mut done = 0;
            while done < 3_000 || shopping.load(Ordering::Relaxed) > 0 {
                done += 1;
                let i = now();
                let order = OrderId(rng.random_range(1..400));
                let _ = match rng.random_range(0..6) {
                    0 => shop
                        .restock(admin, ProductId(rng.random_range(0..12)), 2, i)
                        .map(|_| ()),
                    1 => shop.ship_order(admin, order, i),
                    2 => shop.deliver_order(admin, order, i),
                    3 => shop.cancel_order(admin, order, i),
                    4 => shop.refund_order(admin, order, i).map(|_| ()),
                    _ => shop.set_price(
                        admin,
                        ProductId(rng.random_range(0..12)),
                        rng.random_range(500..5_000),
                        i,
                    ),
                };
            }
        });
    });
    let k = shop.counters();
    assert!(k.checkouts_ok > 50, "{k:?}");
    assert!(
        k.orders_by_status.iter().filter(|(_, n)| *n > 0).count() >= 4,
        "{k:?}"
    );
    assert_invariants(&shop);
}

#[test]
fn concurrent_retries_of_one_checkout_charge_once() {
    let (shop, _) = sample(2);
    let c = customer(&shop, 1);
    shop.add_to_cart(c, ProductId(0), 3, 0).unwrap();
    let barrier = Barrier::new(THREADS as usize);
    let results: Vec<Result<CheckoutReceipt, &'static str>> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..THREADS)
            .map(|_| {
                s.spawn(|| {
                    barrier.wait();
                    shop.checkout(c, card(42), 1).map_err(|e| e.kind())
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let fresh: Vec<_> = results
        .iter()
        .filter_map(|r| r.as_ref().ok())
        .filter(|r| !r.replayed)
        .collect();
    assert_eq!(fresh.len(), 1, "{results:?}");
    for r in &results {
        match r {
            Ok(receipt) => assert_eq!(receipt.order, fresh[0].order),
            Err(kind) => assert_eq!(*kind, "checkout_in_progress"),
        }
    }
    assert_eq!(shop.ledger().len(), 2, "one capture");
    assert_eq!(shop.stock(ProductId(0)).unwrap(), 97);
    assert_invariants(&shop);
}

#[test]
fn concurrent_registrations_of_one_email_yield_one_user() {
    let (shop, _) = sample(1);
    let barrier = Barrier::new(THREADS as usize);
    let outcomes: Vec<&'static str> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..THREADS)
            .map(|_| {
                s.spawn(|| {
                    barrier.wait();
                    shop.register("race@shop.io", "password1")
                        .map_or_else(|e| e.kind(), |_| "ok")
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    assert_eq!(outcomes.iter().filter(|k| **k == "ok").count(), 1);
    assert_eq!(
        outcomes.iter().filter(|k| **k == "email_taken").count(),
        THREADS as usize - 1
    );
    assert_eq!(shop.counters().registrations, 2);
}
