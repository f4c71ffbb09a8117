//! Unit tests of the capacity plan against figures computed by hand.

use super::*;
use crate::scenario::load_str;

fn plan_of(text: &str) -> (CapacityPlan, Scenario) {
    let loaded = match load_str("t.toml", "t", text, &[], None) {
        Ok(l) => l,
        Err(e) => panic!("{e}"),
    };
    (CapacityPlan::new(&loaded.scenario), loaded.scenario)
}

/// Three actions, no cache: home and view_product read `catalog_db`,
/// search its own station.
const THREE: &str = r#"
[scenario]
duration = "1h"
[load]
type = "open"
stages = [{ at = "0s", rate = 50.0 }, { at = "10m", rate = 50.0 }, { at = "20m", rate = 200.0 }]
[behavior]
start = { home = 0.6, search = 0.4 }
[behavior.transitions]
home = { search = 0.5, view_product = 0.3, leave = 0.2 }
search = { view_product = 0.6, search = 0.2, leave = 0.2 }
view_product = { home = 0.1, leave = 0.9 }
[cache]
enabled = false
[stations.catalog_db]
workers = 4
service_time = { dist = "exponential", mean = "5ms" }
[stations.search]
workers = 2
service_time = { dist = "constant", value = "20ms" }
"#;

#[test]
fn a_three_action_chain_matches_the_hand_computed_visits_and_loads() {
    let (plan, sc) = plan_of(THREE);
    // By hand: h = 0.6 + 0.1 v; s = 0.4 + 0.5 h + 0.2 s; v = 0.3 h + 0.6 s.
    // So s = 0.5 + 0.625 h, v = 0.3 + 0.675 h, h = 0.63 / 0.9325.
    let h = 0.63 / 0.9325;
    let s = 0.5 + 0.625 * h;
    let v = 0.3 + 0.675 * h;
    let close = |a: f64, b: f64| (a - b).abs() < 1e-9;
    let visits = |a: Action| plan.op_visits[a.index()];
    assert!(close(visits(Action::Home), h), "{}", visits(Action::Home));
    assert!(close(visits(Action::Search), s));
    assert!(close(visits(Action::ViewProduct), v));
    assert_eq!(visits(Action::Checkout), 0.0);
    // Stages: 50/s for 10 minutes, the ramp to 200/s, then 200/s.
    assert_eq!(plan.stages.len(), 3);
    assert_eq!(plan.stages[1].rates, (50.0, 200.0));
    assert_eq!(
        (plan.stages[2].from_s, plan.stages[2].to_s),
        (1200.0, 3600.0)
    );
    let db = plan.station("catalog_db").expect("catalog_db has work");
    let search = plan.station("search").expect("search has work");
    assert!(close(db.visits[0], h + v));
    assert!(close(search.visits[2], s));
    // Offered load: rate × visits × mean service.
    for (k, rate) in [(0, 50.0), (1, 200.0), (2, 200.0)] {
        assert!(close(db.erlangs[k], rate * (h + v) * 0.005), "{k}");
        assert!(close(search.erlangs[k], rate * s * 0.020), "{k}");
        assert!(close(db.rho[k], db.erlangs[k] / 4.0));
        assert!(close(search.rho[k], search.erlangs[k] / 2.0));
    }
    // Search: 2 workers / (s × 20 ms) ≈ 83.6 sessions/s, the bottleneck;
    // at 200/s it is overloaded, at 50/s it is not.
    assert!(close(search.max_rate, 2.0 / (s * 0.020)));
    assert_eq!(
        plan.bottleneck.map(|b| plan.stations[b].name.as_str()),
        Some("search")
    );
    assert!(close(plan.max_rate().unwrap_or(0.0), search.max_rate));
    assert!(search.overloaded() && !db.overloaded());
    assert!(search.rho[0] < 1.0 && search.rho[2] > 1.0);
    let _ = sc;
}

#[test]
fn text_and_csv_show_the_same_table() {
    let (plan, _) = plan_of(THREE);
    let text = to_text(&plan, "# ");
    assert!(text.lines().all(|l| l.starts_with("# ")), "{text}");
    assert!(text.contains("bottleneck: search"), "{text}");
    assert!(text.contains("OVERLOADED"), "{text}");
    let csv = to_csv(&plan);
    // A header and one row per station and stage.
    assert_eq!(csv.lines().count(), 1 + 2 * 3);
    assert!(
        csv.lines().skip(1).all(|l| l.split(',').count() == 14),
        "{csv}"
    );
}

#[test]
fn a_closed_load_is_bounded_by_the_interactive_law() {
    let text = r#"
[scenario]
duration = "10m"
[load]
type = "closed"
users = 100
think_time = { dist = "constant", value = "1s" }
[behavior]
start = "view_product"
[behavior.transitions]
view_product = { view_product = 0.5, leave = 0.5 }
[cache]
enabled = false
[stations.catalog_db]
workers = 16
service_time = { dist = "constant", value = "10ms" }
"#;
    let (plan, _) = plan_of(text);
    let c = plan.closed.as_ref().expect("closed");
    // Two actions per session: one think of 1 s, 20 ms of demand.
    assert!((c.think_s - 1.0).abs() < 1e-12 && (c.demand_s - 0.02).abs() < 1e-12);
    assert!((c.bound - 100.0 / 1.02).abs() < 1e-9);
    assert_eq!(plan.stages[0].peak(), c.bound);
}

#[test]
fn an_admin_stream_loads_its_stations_at_its_own_rate() {
    let text = format!("{THREE}\n[admin]\nship_rate = 10.0\n");
    let (plan, _) = plan_of(&text);
    let orders = plan
        .station("orders_db")
        .expect("shipping reaches orders_db");
    // 10 ships per second × 8 ms (the default orders_db service time).
    assert!((orders.admin_erlangs - 0.08).abs() < 1e-9);
    assert!((orders.erlangs[0] - 0.08).abs() < 1e-9);
    assert_eq!(orders.visits[0], 0.0);
}

#[test]
fn a_schedule_sets_the_workers_each_stage_is_judged_at() {
    let text = r#"
[scenario]
duration = "20m"
[load]
type = "open"
stages = [{ at = "0s", rate = 10.0 }, { at = "10m", rate = 10.0 }, { at = "601s", rate = 40.0 }]
[behavior]
start = "view_product"
[behavior.transitions]
view_product = { leave = 1.0 }
[cache]
enabled = false
[stations.catalog_db]
service_time = { dist = "constant", value = "100ms" }
schedule = [{ at = "0s", workers = 2 }, { at = "10m", workers = 8 }]
"#;
    let sc = crate::scenario::load_str("t.toml", "t", text, &[], None)
        .expect("valid")
        .scenario;
    let db = sc
        .stations
        .iter()
        .find(|s| s.name == "catalog_db")
        .expect("station");
    assert_eq!(workers_at(db, SimDuration::from_secs(599)), 2);
    assert_eq!(workers_at(db, SimDuration::from_secs(600)), 8);
    let plan = CapacityPlan::new(&sc);
    let row = plan
        .stations
        .iter()
        .find(|s| s.name == "catalog_db")
        .expect("planned");
    // 10/s × 0.1 s = 1 Erlang on 2 workers, then 40/s × 0.1 s = 4 on 8.
    assert_eq!(row.workers.first(), Some(&2));
    assert_eq!(row.workers.last(), Some(&8));
    assert!(
        (row.rho[0] - 0.5).abs() < 1e-9
            && (row.rho.last().copied().unwrap_or(0.0) - 0.5).abs() < 1e-9,
        "{:?}",
        row.rho
    );
}
