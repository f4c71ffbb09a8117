//! Shop throughput in operations per second.
//!
//! Three operations, each on 1 thread and on 2 threads, on *hot* SKUs (every
//! thread hits the same product, hence the same catalog entry and inventory
//! shard) and on *spread* SKUs (each call a different product of 1 000):
//! - `product_lookup`: [`Shop::product`] + [`Shop::stock`] (a product page);
//! - `add_to_cart`: one unit into one of 512 carts per thread;
//! - `checkout`: `add_to_cart` of one unit then a full card checkout (price,
//!   reserve, authorize, order, capture, commit, ledger); the add costs a few
//!   percent of the total.
//!
//! Single-threaded, on the same shop:
//! - `search`: a two-word query (an adjective and a noun: the noun is on a
//!   quarter of the products, so the query probes its bitmap), sorted by
//!   popularity, first page of 20;
//! - `invariants`: the end-of-run check (I1–I12) of a shop holding 20 000
//!   paid orders, reported per order checked.
//!
//! Every call succeeds (stock and line limits are set high, the payment draw
//! approves). Checkout samples start from a fresh shop, so state does not
//! grow across samples. Run with `cargo bench --bench shop`; criterion
//! reports time per operation and, through `Throughput::Elements`, ops/s
//! (for 2 threads: operations of both threads per wall-clock second).

use std::hint::black_box;
use std::sync::Barrier;
use std::time::{Duration, Instant};

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use ecsim::shop::{
    CheckoutRequest, CustomerId, PaymentMethodKind, ProductId, SearchQuery, Shop, ShopConfig,
};

const PRODUCTS: u32 = 1_000;
const CUSTOMERS_PER_THREAD: u32 = 512;

/// A 1 000-product sample shop with practically unlimited stock and line
/// quantities, and `CUSTOMERS_PER_THREAD` customers per thread.
fn shop(threads: u32) -> (Shop, Vec<Vec<CustomerId>>) {
    let mut config = ShopConfig::sample(PRODUCTS);
    config.password_iterations = 1;
    config.max_line_qty = u32::MAX;
    for p in &mut config.products {
        p.initial_stock = u32::MAX;
    }
    let shop = Shop::new(config).expect("sample config is valid");
    let customers = (0..threads)
        .map(|t| {
            (0..CUSTOMERS_PER_THREAD)
                .map(|i| {
                    shop.register(&format!("c{t}x{i}@bench.io"), "password1")
                        .expect("fresh email")
                })
                .collect()
        })
        .collect();
    (shop, customers)
}

/// The product thread `t` uses for its `i`-th call.
fn sku(hot: bool, t: u32, i: u64) -> ProductId {
    if hot {
        ProductId(0)
    } else {
        ProductId(((i * 7_919 + u64::from(t) * 104_729) % u64::from(PRODUCTS)) as u32)
    }
}

/// Runs `op(thread, i)` for `iters` calls split over `threads` threads that
/// start together; returns the wall-clock time.
fn timed(threads: u32, iters: u64, op: &(dyn Fn(u32, u64) + Sync)) -> Duration {
    let barrier = Barrier::new(threads as usize + 1);
    let per_thread = iters.div_ceil(u64::from(threads));
    std::thread::scope(|s| {
        for t in 0..threads {
            let barrier = &barrier;
            s.spawn(move || {
                barrier.wait();
                for i in 0..per_thread {
                    op(t, i);
                }
                barrier.wait();
            });
        }
        barrier.wait();
        let start = Instant::now();
        barrier.wait();
        start.elapsed()
    })
}

fn bench(c: &mut Criterion) {
    let mut group = c.benchmark_group("shop");
    group.throughput(Throughput::Elements(1));
    for threads in [1u32, 2] {
        for hot in [true, false] {
            let name = |op: &str| format!("{op}/{threads}t/{}", if hot { "hot" } else { "spread" });

            let (shared, customers) = shop(threads);
            group.bench_function(name("product_lookup"), |b| {
                b.iter_custom(|iters| {
                    timed(threads, iters, &|t, i| {
                        let p = sku(hot, t, i);
                        black_box(shared.product(p).expect("active product"));
                        black_box(shared.stock(p).expect("stocked product"));
                    })
                })
            });

            group.bench_function(name("add_to_cart"), |b| {
                b.iter_custom(|iters| {
                    timed(threads, iters, &|t, i| {
                        let customer =
                            customers[t as usize][(i % u64::from(CUSTOMERS_PER_THREAD)) as usize];
                        // 512 customers × 16 products: carts stay within their line limit.
                        let p = sku(hot, t, i / u64::from(CUSTOMERS_PER_THREAD) % 16);
                        black_box(shared.add_to_cart(customer, p, 1, i).expect("add succeeds"));
                    })
                })
            });

            group.bench_function(name("checkout"), |b| {
                b.iter_custom(|iters| {
                    let (fresh, customers) = shop(threads);
                    timed(threads, iters, &|t, i| {
                        let customer =
                            customers[t as usize][(i % u64::from(CUSTOMERS_PER_THREAD)) as usize];
                        fresh
                            .add_to_cart(customer, sku(hot, t, i), 1, i)
                            .expect("add succeeds");
                        let req = CheckoutRequest {
                            coupon: None,
                            method: PaymentMethodKind::Card,
                            idempotency_key: i,
                            payment_roll: 0.99,
                        };
                        black_box(fresh.checkout(customer, req, i).expect("checkout succeeds"));
                    })
                })
            });
        }
    }
    group.finish();
}

const ADJECTIVES: [&str; 6] = ["red", "blue", "small", "large", "classic", "deluxe"];
const NOUNS: [&str; 4] = ["novel", "puzzle", "planter", "wrench"];

fn search_and_check(c: &mut Criterion) {
    let mut group = c.benchmark_group("shop");
    group.throughput(Throughput::Elements(1));
    let (shop, customers) = shop(1);
    let queries: Vec<String> = ADJECTIVES
        .iter()
        .flat_map(|a| NOUNS.iter().map(move |n| format!("{a} {n}")))
        .collect();
    let mut i = 0;
    group.bench_function("search/1t", |b| {
        b.iter(|| {
            i += 1;
            let q = SearchQuery {
                text: &queries[i % queries.len()],
                page_size: 20,
                ..SearchQuery::default()
            };
            black_box(shop.search(&q).expect("valid query"))
        })
    });
    const ORDERS: u64 = 20_000;
    for i in 0..ORDERS {
        let customer = customers[0][(i % u64::from(CUSTOMERS_PER_THREAD)) as usize];
        shop.add_to_cart(customer, sku(false, 0, i), 1, i)
            .expect("add succeeds");
        let req = CheckoutRequest {
            coupon: None,
            method: PaymentMethodKind::Card,
            idempotency_key: i,
            payment_roll: 0.99,
        };
        shop.checkout(customer, req, i).expect("checkout succeeds");
    }
    group.throughput(Throughput::Elements(ORDERS));
    group.bench_function("invariants/20k_orders", |b| {
        b.iter(|| {
            let report = ecsim::shop::invariants::check(&shop);
            assert!(report.is_ok());
            black_box(report)
        })
    });
    group.finish();
}

criterion_group!(benches, bench, search_and_check);
criterion_main!(benches);
