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
//! outside the timing. Run with `cargo bench --bench engine`; criterion
//! reports time per run and, through `Throughput::Elements`, events per
//! second.

use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use ecsim::engine::Engine;
use ecsim::model::ModelOnly;
use ecsim::model::shopper::ShopBusiness;
use ecsim::scenario::{Scenario, load_str};

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
    ] {
        let sc = scenario(text);
        g.throughput(Throughput::Elements(events(&sc)));
        g.bench_function(name, |b| b.iter(|| events(&sc)));
    }
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
