//! Engine throughput in events per second.
//!
//! `mm8_rho09`: the M/M/8 model at utilization 0.9 with 1M customers
//! (the issue's reference workload), metrics recording included.
//! `fanout_100`: a 100-way scatter-gather over 20 index shards, 10k
//! requests (a million leaf calls).
//! `shop_mix`: a browsing/checkout mix touching every default station and
//! the cache. `black_friday_20m`: the full shop model (customers and
//! admins using the real shop services) on the first 20 minutes of the
//! bundled Black Friday, doors opening at 5 minutes; the shop's setup is
//! outside the timing. `mm8_shop_1M_customers`: the same M/M/8 with the
//! real shop behind it, as `ecsim run benches/mm8.toml` runs it (session
//! starts, catalog reads; the setup outside the timing).
//! `closed_200k_in_flight`: 200k closed-model users thinking 10 s, so the
//! event queue and the agent slab are far larger than the cache.
//! `queue_hold_1M`: the event queue alone, a million entries, each pop
//! followed by a schedule (the "hold" model), per operation pair. Run with
//! `cargo bench --bench engine`; criterion reports time per run and,
//! through `Throughput::Elements`, events per second.

use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use ecsim::engine::Engine;
use ecsim::kernel::queue::EventQueue;
use ecsim::kernel::rng::from_u64;
use ecsim::kernel::time::SimTime;
use ecsim::model::ModelOnly;
use ecsim::model::shopper::ShopBusiness;
use ecsim::scenario::{Scenario, load_str};
use rand::RngExt;

const MM8: &str = r#"
[scenario]
duration = "1388889ms"   # 1M arrivals at 720/s

[load]
type = "open"
rate = 720.0

[behavior]
start = "view_product"
[behavior.transitions]
view_product = { leave = 1.0 }

[cache]
enabled = false

[stations.catalog_db]
workers = 8
service_time = { dist = "exponential", mean = "10ms" }
"#;

const FANOUT: &str = r#"
[scenario]
duration = "2000s"   # 10k requests of 100 leaf calls each

[load]
type = "open"
rate = 5.0

[behavior]
start = "scatter"
[behavior.transitions]
scatter = { leave = 1.0 }

[operations.scatter]
route = [{ fanout = "index", n = 100, wait = "all" }]

[stations.index]
shards = 20
workers = 8
service_time = { dist = "exponential", mean = "5ms" }
"#;

const SHOP: &str = r#"
[scenario]
duration = "1000s"

[load]
type = "open"
rate = 200.0
think_time = { dist = "exponential", mean = "2s" }

[behavior]
start = { home = 0.6, search = 0.4 }
[behavior.transitions]
home = { browse = 0.5, search = 0.3, leave = 0.2 }
browse = { view_product = 0.8, leave = 0.2 }
search = { view_product = 0.9, leave = 0.1 }
view_product = { add_to_cart = 0.4, browse = 0.3, leave = 0.3 }
add_to_cart = { view_cart = 0.5, checkout = 0.3, view_product = 0.2 }
view_cart = { checkout = 0.7, leave = 0.3 }
checkout = { order_status = 0.5, leave = 0.5 }
order_status = { leave = 1.0 }

[catalog]
products = 100000

[cache]
capacity = 10000
"#;

const CLOSED: &str = r#"
[scenario]
duration = "30s"
[load]
type = "closed"
users = 200000
think_time = { dist = "exponential", mean = "10s" }
[behavior]
start = "view_product"
[behavior.transitions]
view_product = { view_product = 0.9, leave = 0.1 }
[cache]
enabled = false
[stations.catalog_db]
workers = 400
service_time = { dist = "exponential", mean = "10ms" }
"#;

/// A queue holding `size` events over 10 s, and the stream that drew them.
fn filled(size: usize) -> (EventQueue<u32>, ecsim::kernel::rng::SimRng) {
    let mut rng = from_u64(7);
    let mut q = EventQueue::new();
    for i in 0..size {
        q.schedule(SimTime(rng.random_range(0..10_000_000_000u64)), i as u32);
    }
    (q, rng)
}

/// `n` pops, each followed by a schedule up to 20 s later.
fn hold((mut q, mut rng): (EventQueue<u32>, ecsim::kernel::rng::SimRng), n: usize) -> u64 {
    let mut sum = 0u64;
    for _ in 0..n {
        let Some((t, e)) = q.pop() else { break };
        sum = sum.wrapping_add(u64::from(e));
        q.schedule(SimTime(t.0 + rng.random_range(0..20_000_000_000u64)), e);
    }
    sum
}

fn scenario(text: &str) -> Scenario {
    match load_str("bench.toml", "bench", text, &[], None) {
        Ok(l) => l.scenario,
        Err(e) => panic!("bench scenario invalid: {e}"),
    }
}

fn events(sc: &Scenario) -> u64 {
    Engine::new(sc, ModelOnly).run(&mut |_| true).events
}

fn bench(c: &mut Criterion) {
    let mut g = c.benchmark_group("engine");
    g.sample_size(10);
    for (name, text) in [
        ("mm8_rho09_1M_customers", MM8),
        ("fanout_100_scatter_gather", FANOUT),
        ("shop_mix", SHOP),
        ("closed_200k_in_flight", CLOSED),
    ] {
        let sc = scenario(text);
        g.throughput(Throughput::Elements(events(&sc)));
        g.bench_function(name, |b| b.iter(|| events(&sc)));
    }
    let mm8 = scenario(MM8);
    let shop = || ShopBusiness::new(&mm8).unwrap_or_else(|e| panic!("{e}"));
    let n = Engine::new(&mm8, shop()).run(&mut |_| true).events;
    g.throughput(Throughput::Elements(n));
    g.bench_function("mm8_shop_1M_customers", |b| {
        b.iter_batched(
            shop,
            |business| Engine::new(&mm8, business).run(&mut |_| true).events,
            BatchSize::PerIteration,
        )
    });
    g.throughput(Throughput::Elements(1_000_000));
    g.bench_function("queue_hold_1M", |b| {
        b.iter_batched(
            || filled(1_000_000),
            |q| hold(q, 1_000_000),
            BatchSize::PerIteration,
        )
    });
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/black_friday.toml");
    let sets = [
        "scenario.duration=\"20m\"",
        "scenario.warmup=\"1m\"",
        "load.stages.1.at=\"5m\"",
        "load.stages.2.at=\"6m\"",
        "load.stages.3.at=\"20m\"",
    ]
    .map(String::from);
    let bf = match ecsim::scenario::load(&path, &sets, None) {
        Ok(l) => l.scenario,
        Err(e) => panic!("{e}"),
    };
    let shop = || ShopBusiness::new(&bf).unwrap_or_else(|e| panic!("{e}"));
    let n = Engine::new(&bf, shop()).run(&mut |_| true).events;
    g.throughput(Throughput::Elements(n));
    g.bench_function("black_friday_20m", |b| {
        b.iter_batched(
            shop,
            |business| Engine::new(&bf, business).run(&mut |_| true).events,
            BatchSize::PerIteration,
        )
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
