//! One model, two clocks: the wall clock drives the same model as the
//! virtual one, through the library. Each test here once failed because a
//! clock carried its own copy of the model.

use ecsim::engine::Engine;
use ecsim::kernel::time::SimTime;
use ecsim::metrics::result::RunResult;
use ecsim::model::ModelOnly;
use ecsim::model::shopper::ShopBusiness;
use ecsim::scenario::{Scenario, load_str};
use ecsim::shop::ProductId;
use ecsim::wall::{self, WallOptions};

use crate::util::*;

fn scenario(text: &str) -> Scenario {
    match load_str("t.toml", "t", text, &[], None) {
        Ok(l) => l.scenario,
        Err(e) => panic!("{e}"),
    }
}

fn at_scale(time_scale: f64) -> WallOptions {
    WallOptions {
        time_scale,
        threads: 2,
        stress: None,
        stall: None,
        bug: None,
        panic: false,
        max_in_flight: ecsim::model::MAX_IN_FLIGHT,
    }
}

/// Runs `sc` with `business` on the wall clock at `time_scale`.
pub(crate) fn on_the_wall<B>(sc: &Scenario, business: B, time_scale: f64) -> (RunResult, B)
where
    B: ecsim::contract::business::Business + Send + Sync + 'static,
    B::Session: Send,
{
    match wall::run_with(sc, business, &at_scale(time_scale), &|_, _| true) {
        Ok((r, _, b)) => (r, b),
        Err(e) => panic!("{e}"),
    }
}

#[test]
fn the_capacity_model_on_the_wall_clock_matches_its_virtual_run() {
    let _cpu = Scratch::alone();
    let sc = scenario(&MM4.replace("duration = \"800s\"", "duration = \"400s\""));
    let virtual_run = Engine::new(&sc, ModelOnly).run(&mut |_| true);
    let (wall_run, _) = on_the_wall(&sc, ModelOnly, 0.01);
    let op = ecsim::contract::action::Action::ViewProduct.index();
    let (v, w) = (&virtual_run.ops[op], &wall_run.ops[op]);
    // Same seed, so the same ~840 measured arrivals and service times: the
    // wall clock's timing noise (tens of µs, a few model ms) alone separates the
    // two, far inside 5% of a 1.1 s mean sojourn.
    assert_eq!(v.count, w.count, "the same arrivals");
    let (mv, mw) = (v.mean_ns() / 1e9, w.mean_ns() / 1e9);
    assert!(
        (mw / mv - 1.0).abs() < 0.05,
        "mean sojourn: virtual {mv:.4} s, wall {mw:.4} s"
    );
}

#[test]
fn cache_lookups_before_the_warmup_stay_out_of_the_wall_clocks_time_series() {
    let _cpu = Scratch::alone();
    // One product: the very first lookup misses, every later one hits. The
    // miss happens during the warmup, so the measured hit rate is 1.
    let sc = scenario(
        r#"
[scenario]
duration = "4s"
warmup = "2s"
report_interval = "2s"
[load]
type = "open"
rate = 50.0
[behavior]
start = "view_product"
[behavior.transitions]
view_product = { leave = 1.0 }
[catalog]
products = 1
categories = 1
"#,
    );
    let first_hit_rate = |r: &RunResult| {
        r.series
            .iter()
            .find(|row| row.t_s == 2.0 && row.op == ecsim::contract::action::N_ACTIONS)
            .and_then(|row| row.cache_hit_rate)
    };
    let virtual_run = Engine::new(&sc, ModelOnly).run(&mut |_| true);
    assert_eq!(first_hit_rate(&virtual_run), Some(1.0));
    let (wall_run, _) = on_the_wall(&sc, ModelOnly, 0.01);
    assert_eq!(first_hit_rate(&wall_run), Some(1.0));
}

#[test]
fn admin_operations_draw_the_same_numbers_on_both_clocks() {
    let _cpu = Scratch::alone();
    // Customers only look at the home page; admins restock and reprice
    // products drawn from their own random streams. Both clocks must
    // number the admin operations alike, so they pick the same products
    // and prices: the shops end in the same state.
    let sc = scenario(
        r#"
[scenario]
duration = "20s"
[load]
type = "open"
rate = 2.0
[behavior]
start = "home"
[behavior.transitions]
home = { leave = 1.0 }
[admin]
restock_rate = 3.0
price_change_rate = 2.0
"#,
    );
    let shop = || ShopBusiness::new(&sc).unwrap_or_else(|e| panic!("{e}"));
    let mut engine = Engine::new(&sc, shop());
    engine.run(&mut |_| true);
    let virtual_shop = engine.into_business();
    let (_, wall_shop) = on_the_wall(&sc, shop(), 0.01);
    let untouched = shop();
    let state = |b: &ShopBusiness| -> Vec<(i64, i64)> {
        (0..sc.catalog.products)
            .map(|i| {
                let id = ProductId(i);
                let stock = b.shop().stock(id).unwrap_or_else(|e| panic!("{e}"));
                let price = b.shop().product(id).unwrap_or_else(|e| panic!("{e}"));
                (stock, price.price_cents)
            })
            .collect()
    };
    let (v, w, before) = (state(&virtual_shop), state(&wall_shop), state(&untouched));
    let changed = v.iter().zip(&before).filter(|(a, b)| a != b).count();
    assert!(
        changed > 50,
        "about 100 admin operations changed {changed} products"
    );
    let differ: Vec<u32> = (0..sc.catalog.products)
        .filter(|&i| v[i as usize] != w[i as usize])
        .collect();
    assert!(
        differ.is_empty(),
        "products that differ between the clocks: {differ:?}"
    );
}

#[test]
fn the_wall_clock_samples_the_same_gauges_as_the_virtual_one() {
    let _cpu = Scratch::alone();
    let text = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/ci_smoke.toml"),
    )
    .expect("the smoke scenario");
    let sc = scenario(&text);
    let shop = || ShopBusiness::new(&sc).unwrap_or_else(|e| panic!("{e}"));
    let virtual_run = Engine::new(&sc, shop()).run(&mut |_| true);
    let (wall_run, _) = on_the_wall(&sc, shop(), 0.01);
    let names = |r: &RunResult| -> std::collections::BTreeSet<String> {
        r.gauges
            .iter()
            .map(|g| g.gauge.clone())
            .filter(|g| !g.starts_with("errors."))
            .collect()
    };
    assert!(!wall_run.gauges.is_empty(), "gauges.csv has rows");
    assert_eq!(names(&wall_run), names(&virtual_run));
    let intervals = |r: &RunResult| {
        r.gauges
            .iter()
            .filter(|g| g.gauge == "arrivals_per_s")
            .count() as i64
    };
    // One row per 10 s interval of the 110 s after the warmup, and a
    // partial one for the drain.
    assert!((intervals(&wall_run) - intervals(&virtual_run)).abs() <= 1);
    for g in &wall_run.gauges {
        if g.gauge == "arrivals_per_s" && g.t_s < 110.0 {
            assert!((20.0..60.0).contains(&g.value), "40 sessions/s: {g:?}");
        }
        if g.gauge.starts_with("utilization.") {
            assert!((0.0..=1.05).contains(&g.value), "{g:?}");
        }
    }
    assert!(wall_run.end > SimTime::ZERO + sc.duration);
}
