//! The station-side policies of issue 13 on the virtual clock: LIFO order,
//! shedding after `max_wait`, failed services, and the `arrivals` and
//! `wasted_ns` counters, on scenarios whose every instant is known (or, for
//! the failure rate, against the binomial law).

use super::*;
use crate::engine::Event;
use crate::engine::stations::Took;
use crate::model::ModelOnly;

const LIFO: &str = "discipline = \"lifo\"";

#[test]
fn an_event_stays_sixteen_bytes_and_carries_service_times_to_78_hours() {
    assert_eq!(std::mem::size_of::<Event>(), 16);
    for ns in [0, 1, 65_535, 65_536, 4_000_000_000, (1 << 48) - 1] {
        assert_eq!(Took::from_nanos(ns).nanos(), ns);
    }
    assert_eq!(Took::from_nanos(u64::MAX).nanos(), (1 << 48) - 1);
}

#[test]
fn a_lifo_station_serves_the_newest_waiting_request_first() {
    // Users at 0, 2.5, 5 and 7.5 ms; one worker, one second each: user 0
    // is served at once, then the newest waiting one each time.
    let (r, log) = run(4, "10ms", "8ms", &format!("{ONE_SECOND}\n{LIFO}"), "");
    assert_eq!(
        views(&log),
        vec![(0, S), (3, 2 * S), (2, 3 * S), (1, 4 * S)]
    );
    let st = station_stats(&r);
    assert_eq!((st.served, st.max_queue), (4, 3));
    // Waits: user 3 from 7.5 ms to 1 s, user 2 from 5 ms to 2 s, user 1
    // from 2.5 ms to 3 s.
    assert_eq!(st.wait_sum_ns as u64, 6 * S - 15 * MS);
}

#[test]
fn max_wait_sheds_exactly_the_requests_that_waited_that_long() {
    // At 1 s the worker is free: user 1 has waited 997.5 ms and user 2
    // exactly 995 ms, both shed; user 3 (992.5 ms) is served.
    let shedding = format!("{ONE_SECOND}\nmax_wait = \"995ms\"");
    let (r, log) = run(4, "10ms", "8ms", &shedding, "");
    assert_eq!(views(&log), vec![(0, S), (3, 2 * S)]);
    assert_eq!(errors(&r, ErrorKind::Shed), 2);
    let st = station_stats(&r);
    assert_eq!((st.served, st.timed_out, st.rejected), (2, 0, 0));
    // A shed request is told at once, having waited its wait only.
    let slowest = r.ops[Action::ViewProduct.index()].latency.max();
    assert!(slowest < 2 * S + MS, "{slowest}");
    // One nanosecond more, and user 2 is served after all (and user 3,
    // reached at 2 s, shed).
    let shedding = format!("{ONE_SECOND}\nmax_wait = \"995000001ns\"");
    let (r, log) = run(4, "10ms", "8ms", &shedding, "");
    assert_eq!(views(&log), vec![(0, S), (2, 2 * S)]);
    assert_eq!(errors(&r, ErrorKind::Shed), 2);
}

#[test]
fn a_lifo_station_sheds_the_old_requests_it_reaches_last() {
    // LIFO serves user 3, then user 2 (waited 1.995 s), then reaches
    // user 1, who has waited past max_wait by then.
    let station = format!("{ONE_SECOND}\n{LIFO}\nmax_wait = \"2s\"");
    let (r, log) = run(4, "10ms", "8ms", &station, "");
    assert_eq!(views(&log), vec![(0, S), (3, 2 * S), (2, 3 * S)]);
    assert_eq!(errors(&r, ErrorKind::Shed), 1);
}

/// An open model of `n_per_s` sessions a second for `duration`, each
/// viewing a product at a catalog_db of `station` (ample workers), then
/// looking at its order; and the run's result.
fn open(n_per_s: f64, duration: &str, station: &str) -> RunResult {
    let text = format!(
        r#"
[scenario]
duration = "{duration}"
[load]
type = "open"
rate = {n_per_s}
think_time = {{ dist = "exponential", mean = "10ms" }}
[behavior]
start = "view_product"
[behavior.transitions]
view_product = {{ order_status = 1.0 }}
order_status = {{ leave = 1.0 }}
[cache]
enabled = false
[stations.catalog_db]
workers = 1000
{station}
"#
    );
    Engine::new(&scenario(&text), Log::default()).run(&mut |_| true)
}

#[test]
fn the_share_of_failed_services_is_the_fail_rate() {
    let p = 0.3;
    let station =
        format!("service_time = {{ dist = \"constant\", value = \"1ms\" }}\nfail_rate = {p}");
    let r = open(2000.0, "10s", &station);
    let n = r.ops[Action::ViewProduct.index()].count as f64;
    let failed = errors(&r, ErrorKind::Failed) as f64;
    // About 20,000 services: 4 binomial standard deviations is ±1.3%.
    let sd = (n * p * (1.0 - p)).sqrt();
    assert!(n > 19_000.0, "{n}");
    assert!((failed - n * p).abs() < 4.0 * sd, "{failed} of {n}");
}

#[test]
fn a_failed_service_takes_its_full_service_time_and_counts_as_served() {
    let station = r#"service_time = { dist = "constant", value = "1ms" }
fail_rate = 1.0"#;
    let r = open(100.0, "2s", station);
    let ops = &r.ops[Action::ViewProduct.index()];
    assert_eq!(errors(&r, ErrorKind::Failed), ops.count);
    let each = ops.sum_ns / u128::from(ops.count);
    assert_eq!(each, u128::from(MS), "the failure comes after the service");
    assert_eq!(station_stats(&r).served, ops.count);
}

#[test]
fn a_station_without_fail_rate_draws_nothing_more() {
    // fail_rate = 0 is the default, and takes no draw from the agent's
    // stream: the think times and order pages after the view are the same
    // as without it.
    let exp = r#"service_time = { dist = "exponential", mean = "5ms" }"#;
    let a = open(500.0, "2s", exp);
    let b = open(500.0, "2s", &format!("{exp}\nfail_rate = 0.0"));
    let c = open(500.0, "2s", &format!("{exp}\nfail_rate = 0.01"));
    let sum = |r: &RunResult| r.ops[Action::OrderStatus.index()].sum_ns;
    assert_eq!(sum(&a), sum(&b));
    assert_ne!(sum(&a), sum(&c), "a failure draw shifts the stream");
}

#[test]
fn arrivals_count_every_call_rejected_and_failed_fast_included() {
    // Users at 0, 2.5, 5 and 7.5 ms at one worker with no waiting room:
    // user 0 is served, user 1 rejected, users 2 and 3 fail fast in an
    // outage from 4 ms.
    let outage = r#"
[[faults]]
kind = "outage"
station = "catalog_db"
at = "4ms"
for = "100ms"
"#;
    let no_room = format!("{ONE_SECOND}\nqueue_limit = 0");
    let (r, _) = run(4, "10ms", "8ms", &no_room, outage);
    let st = station_stats(&r);
    assert_eq!((st.served, st.rejected), (1, 1));
    assert_eq!(errors(&r, ErrorKind::Unavailable), 2);
    assert_eq!(st.arrivals, 4);
    assert_eq!(station(&r, "orders_db").arrivals, 4, "each order page");
}

#[test]
fn the_service_of_an_orphaned_call_is_wasted_and_nothing_else_is() {
    // `wait = "any"`: the step is over when `fast` answers (1 ms); `slow`
    // keeps its worker busy 10 ms for nobody.
    let text = r#"
[scenario]
duration = "5s"
[load]
type = "open"
rate = 50.0
[behavior]
start = "page"
[behavior.transitions]
page = { leave = 1.0 }
[operations.page]
route = [{ parallel = [["fast"], ["slow"]], wait = "any" }]
[stations.fast]
workers = 100
service_time = { dist = "constant", value = "1ms" }
[stations.slow]
workers = 100
service_time = { dist = "constant", value = "10ms" }
"#;
    let r = Engine::new(&scenario(text), ModelOnly).run(&mut |_| true);
    let slow = station(&r, "slow");
    assert!(slow.served > 200, "{}", slow.served);
    assert_eq!(
        slow.wasted_ns,
        u128::from(slow.served) * u128::from(10 * MS)
    );
    assert_eq!(station(&r, "fast").wasted_ns, 0);
    // A plain route wastes nothing.
    let (r, _) = run(3, "10ms", "10ms", ONE_SECOND, "");
    assert!(r.stations.iter().all(|s| s.stats.wasted_ns == 0));
}

#[test]
fn a_lifo_queue_drops_its_abandoned_entries_before_they_pile_up() {
    // About 300 arrivals in 100 ms at one worker busy for a second, each
    // giving up after 10 ms: some 30 wait at once, but every entry would
    // sit in the queue until it is reached.
    let station = format!("{ONE_SECOND}\n{LIFO}\ntimeout = \"10ms\"");
    let sc = scenario(&format!(
        "[scenario]\nduration = \"100ms\"\n[load]\ntype = \"open\"\nrate = 3000.0\n\
             [behavior]\nstart = \"view_product\"\n[behavior.transitions]\n\
             view_product = {{ leave = 1.0 }}\n[cache]\nenabled = false\n\
             [stations.catalog_db]\nworkers = 1\n{station}\n"
    ));
    let at = sc.stations.iter().position(|s| s.name == "catalog_db");
    let mut engine = Engine::new(&sc, Log::default());
    let r = engine.run(&mut |_| true);
    let st = station_stats(&r);
    let n = r.ops[Action::ViewProduct.index()].count;
    assert!(n > 250, "{n}");
    assert_eq!((st.served, st.timed_out), (1, n - 1));
    let longest = engine.stations[at.expect("catalog_db")].queue.capacity();
    assert!(longest < 200, "the queue held {longest} entries");
}
