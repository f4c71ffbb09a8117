//! The shop services under concurrent load (the wall clock's stress mode).
//!
//! Each measurement runs `SESSIONS` shopping sessions (view a product, add
//! it to the cart, check out) from 64 tokio tasks against the real shop,
//! with no modelled delays, and reports sessions per second (criterion's
//! elements/s; each session is three operations). Timing covers the run
//! itself, not building the shop. Variants: 1 and 2 worker threads; hot
//! SKUs (20 products, Zipf 1.2) versus spread (100,000 products, uniform);
//! and inventory shards 1, 4, 16, 64 on the hot workload.
//! Run with `cargo bench --bench stress`.

use std::time::Duration;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use ecsim::scenario::{Scenario, load_str};
use ecsim::wall::{self, StressLimit, WallOptions};

const SESSIONS: u64 = 20_000;
const TASKS: usize = 64;

fn scenario(products: u32, popularity: &str, shards: u32) -> Scenario {
    let text = format!(
        r#"
[scenario]
duration = "1h"
[load]
type = "open"
rate = 1.0
[behavior]
start = "view_product"
[behavior.transitions]
view_product = {{ add_to_cart = 1.0 }}
add_to_cart = {{ checkout = 1.0 }}
checkout = {{ leave = 1.0 }}
[catalog]
products = {products}
categories = 10
popularity = {popularity}
stock = {{ dist = "constant", value = 100000000 }}
[customers]
registered = 10000
returning = 1.0
[payments]
card = {{ share = 1.0, decline_rate = 0.0, timeout_rate = 0.0 }}
wallet = {{ share = 0.0 }}
bank_transfer = {{ share = 0.0 }}
cash_on_delivery = {{ share = 0.0 }}
[stations.inventory]
shards = {shards}
"#
    );
    match load_str("stress.toml", "stress", &text, &[], None) {
        Ok(l) => l.scenario,
        Err(e) => panic!("{e}"),
    }
}

fn measure(c: &mut Criterion, name: &str, sc: &Scenario, threads: usize) {
    let opts = WallOptions {
        time_scale: 1.0,
        threads,
        stress: Some((TASKS, StressLimit::Sessions(SESSIONS))),
        stall: None,
        bug: None,
        panic: false,
        max_in_flight: ecsim::model::MAX_IN_FLIGHT,
    };
    let mut g = c.benchmark_group("stress");
    g.sample_size(10);
    g.throughput(Throughput::Elements(SESSIONS));
    g.bench_function(name, |b| {
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            for _ in 0..iters {
                let (r, _) = wall::run(sc, &opts, &|_, _| true).unwrap_or_else(|e| panic!("{e}"));
                total += Duration::from_nanos(r.window_ns);
            }
            total
        })
    });
    g.finish();
}

fn bench(c: &mut Criterion) {
    let hot = |shards| scenario(20, r#"{ dist = "zipf", exponent = 1.2 }"#, shards);
    let spread = scenario(100_000, r#"{ dist = "uniform" }"#, 16);
    for threads in [1, 2] {
        measure(
            c,
            &format!("hot_16shards_{threads}thread"),
            &hot(16),
            threads,
        );
        measure(
            c,
            &format!("spread_16shards_{threads}thread"),
            &spread,
            threads,
        );
    }
    for shards in [1, 4, 16, 64] {
        measure(
            c,
            &format!("shards_sweep_hot_{shards}shards_2thread"),
            &hot(shards),
            2,
        );
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
