//! The virtual clock with a stub business that logs when each session's
//! operations complete: queueing order, give-up tokens, outages, the drain
//! and same-instant ordering, on scenarios whose every instant is known.

mod policies;

use std::cell::{Cell, RefCell};

use super::Engine;
use crate::contract::ErrorKind;
use crate::contract::action::Action;
use crate::contract::business::{Business, Cx};
use crate::contract::route::{Condition, Effect, EffectOutcome};
use crate::kernel::time::SimTime;
use crate::metrics::result::RunResult;
use crate::scenario::load_str;

/// Numbers sessions in start order and logs every completed operation.
#[derive(Default)]
struct Log {
    next: Cell<u32>,
    done: RefCell<Vec<(u32, Action, SimTime)>>,
}

impl Business for Log {
    type Session = u32;

    fn start_session(&self, s: &mut u32, _cx: &mut Cx<'_>) {
        *s = self.next.get();
        self.next.set(*s + 1);
    }

    fn subject(&self, _: Action, _: &mut u32, _: &mut Cx<'_>) -> u32 {
        0
    }

    fn condition(&self, _: Condition, _: &u32) -> bool {
        false
    }

    fn lines(&self, _: &u32) -> u32 {
        0
    }

    fn line_shard(&self, _: &u32, _: u32, _: u16) -> u16 {
        0
    }

    fn effect(&self, _: Effect, _: &mut u32, _: &mut Cx<'_>) -> EffectOutcome {
        EffectOutcome::Continue
    }

    fn complete(&self, a: Action, _: u32, s: &mut u32, cx: &mut Cx<'_>) -> Result<(), ErrorKind> {
        self.done.borrow_mut().push((*s, a, cx.now));
        Ok(())
    }

    fn end_session(&self, _: &mut u32, _: &mut Cx<'_>) {}
}

/// Closed users start evenly over `ramp_up`; each views a product at
/// `catalog_db` (constant `service`, the `station` keys given), thinks 1 s,
/// looks at its order at `orders_db` (1 ms) and leaves. Arrivals stop at
/// `duration`, before any session ends, so no user starts a second one.
fn run(users: u32, ramp_up: &str, duration: &str, station: &str, extra: &str) -> (RunResult, Log) {
    let text = format!(
        r#"
[scenario]
duration = "{duration}"
[load]
type = "closed"
users = {users}
ramp_up = "{ramp_up}"
think_time = {{ dist = "constant", value = "1s" }}
[behavior]
start = "view_product"
[behavior.transitions]
view_product = {{ order_status = 1.0 }}
order_status = {{ leave = 1.0 }}
[cache]
enabled = false
[stations.catalog_db]
workers = 1
{station}
[stations.orders_db]
workers = 8
service_time = {{ dist = "constant", value = "1ms" }}
{extra}
"#
    );
    let sc = scenario(&text);
    let mut engine = Engine::new(&sc, Log::default());
    let result = engine.run(&mut |_| true);
    (result, engine.into_business())
}

/// The scenario of `text`, which must be valid.
fn scenario(text: &str) -> crate::scenario::Scenario {
    match load_str("t.toml", "t", text, &[], None) {
        Ok(l) => l.scenario,
        Err(e) => panic!("{e}"),
    }
}

const MS: u64 = 1_000_000;
const S: u64 = 1_000 * MS;

fn views(log: &Log) -> Vec<(u32, u64)> {
    log.done
        .borrow()
        .iter()
        .filter(|d| d.1 == Action::ViewProduct)
        .map(|d| (d.0, d.2.as_nanos()))
        .collect()
}

fn station<'a>(r: &'a RunResult, name: &str) -> &'a crate::metrics::StationStats {
    &r.stations
        .iter()
        .find(|s| s.name == name)
        .expect("station")
        .stats
}

fn station_stats(r: &RunResult) -> &crate::metrics::StationStats {
    station(r, "catalog_db")
}

fn errors(r: &RunResult, kind: ErrorKind) -> u64 {
    r.ops[Action::ViewProduct.index()].errors_by_kind[kind.index()]
}

const ONE_SECOND: &str = r#"service_time = { dist = "constant", value = "1s" }"#;

#[test]
fn a_station_serves_in_arrival_order() {
    // Users at 0, 3.33 and 6.67 ms; one worker, one second each.
    let (r, log) = run(3, "10ms", "10ms", ONE_SECOND, "");
    assert_eq!(views(&log), vec![(0, S), (1, 2 * S), (2, 3 * S)]);
    let st = station(&r, "catalog_db");
    assert_eq!((st.served, st.timed_out, st.max_queue), (3, 0, 2));
    // Waits: 0, 1 s − 3.33 ms, 2 s − 6.67 ms.
    assert_eq!(st.wait_sum_ns as u64, (S - 3_333_333) + (2 * S - 6_666_666));
}

#[test]
fn requests_arriving_at_the_same_instant_are_served_in_scheduling_order() {
    let (_, log) = run(3, "0s", "1ms", ONE_SECOND, "");
    assert_eq!(views(&log), vec![(0, S), (1, 2 * S), (2, 3 * S)]);
}

#[test]
fn a_request_served_at_its_timeout_instant_is_not_also_timed_out() {
    // User 1 arrives at 5 ms and would give up at exactly 1 s, the instant
    // user 0's service ends: the end of service was scheduled first, so it
    // runs first and serves user 1, whose give-up then finds no match.
    let station = format!("{ONE_SECOND}\ntimeout = \"995ms\"");
    let (r, log) = run(2, "10ms", "6ms", &station, "");
    assert_eq!(views(&log), vec![(0, S), (1, 2 * S)]);
    let st = station_stats(&r);
    assert_eq!((st.served, st.timed_out), (2, 0));
    assert_eq!(errors(&r, ErrorKind::Timeout), 0);
    // One nanosecond less patience, and user 1 gives up instead.
    let station = format!("{ONE_SECOND}\ntimeout = \"994999999ns\"");
    let (r, log) = run(2, "10ms", "6ms", &station, "");
    assert_eq!(views(&log), vec![(0, S)]);
    let st = station_stats(&r);
    assert_eq!((st.served, st.timed_out), (1, 1));
    assert_eq!(errors(&r, ErrorKind::Timeout), 1);
    assert_eq!(r.left_in_queues, 0);
}

const OUTAGE: &str = r#"
[[faults]]
kind = "outage"
station = "catalog_db"
at = "1ms"
for = "100ms"
"#;

#[test]
fn an_outage_that_fails_fast_fails_arrivals_at_once() {
    // User 0 is in service when the outage opens and finishes; user 1
    // arrives at 5 ms, during it, and fails at once.
    let station = r#"service_time = { dist = "constant", value = "10ms" }"#;
    let (r, log) = run(2, "10ms", "6ms", station, OUTAGE);
    assert_eq!(views(&log), vec![(0, 10 * MS)]);
    assert_eq!(errors(&r, ErrorKind::Unavailable), 1);
    assert_eq!(station_stats(&r).served, 1);
    let fastest = r.ops[Action::ViewProduct.index()].latency.min();
    assert!(fastest <= 1, "the failure took no time: {fastest} ns");
}

#[test]
fn an_outage_that_hangs_queues_arrivals_until_it_ends_or_they_give_up() {
    let station = r#"service_time = { dist = "constant", value = "10ms" }"#;
    let hang = format!("{OUTAGE}mode = \"hang\"\n");
    // User 1 waits from 5 ms until the outage ends at 101 ms, then is
    // served for 10 ms (user 0's service, begun before, was not stopped).
    let (r, log) = run(2, "10ms", "6ms", station, &hang);
    assert_eq!(views(&log), vec![(0, 10 * MS), (1, 111 * MS)]);
    assert_eq!(errors(&r, ErrorKind::Unavailable), 0);
    assert_eq!(station_stats(&r).wait_sum_ns as u64, 96 * MS);
    // With a 50 ms timeout, user 1 gives up at 55 ms.
    let patient = format!("{station}\ntimeout = \"50ms\"");
    let (r, log) = run(2, "10ms", "6ms", &patient, &hang);
    assert_eq!(views(&log), vec![(0, 10 * MS)]);
    assert_eq!(errors(&r, ErrorKind::Timeout), 1);
    assert_eq!(station_stats(&r).timed_out, 1);
}

#[test]
fn requests_in_flight_when_arrivals_stop_are_drained_and_counted() {
    let (r, log) = run(3, "10ms", "10ms", ONE_SECOND, "");
    // Arrivals stopped at 10 ms; the run went on until the last session
    // left: user 2's view at 3 s, its think, its order page.
    assert_eq!(r.end.as_nanos(), 4 * S + MS);
    assert_eq!(log.done.borrow().len(), 6);
    assert_eq!(r.ops[Action::ViewProduct.index()].count, 3);
    assert_eq!(r.ops[Action::OrderStatus.index()].count, 3);
    assert_eq!((r.sessions, r.left_in_queues, r.interrupted), (3, 0, false));
}

#[test]
fn a_closed_model_that_restarts_at_one_instant_for_ever_diverges_instead_of_hanging() {
    // Every view fails at once (a fail-fast outage), the think time is 0:
    // each user ends and restarts at t = 0 again and again.
    let text = r#"
[scenario]
duration = "10s"
[load]
type = "closed"
users = 2
think_time = { dist = "constant", value = "0s" }
[behavior]
start = "view_product"
[behavior.transitions]
view_product = { leave = 1.0 }
[cache]
enabled = false
[[faults]]
kind = "outage"
station = "catalog_db"
at = "0s"
for = "1h"
"#;
    let sc = scenario(text);
    let r = Engine::new(&sc, Log::default())
        .max_events_at_one_instant(200_000)
        .run(&mut |_| true);
    let why = r.diverged.as_deref().unwrap_or("");
    assert!(why.contains("virtual time stopped at t="), "{why}");
    assert!(r.interrupted, "a diverged run is partial");
    assert!(
        r.events < 400_000,
        "stopped soon after the limit: {}",
        r.events
    );
}

/// 100 arrivals a second at one worker of 1 s, for an hour: the queue
/// grows by about 99 a second.
const OVERLOADED: &str = r#"
[scenario]
duration = "1h"
[load]
type = "open"
rate = 100.0
[behavior]
start = "view_product"
[behavior.transitions]
view_product = { leave = 1.0 }
[cache]
enabled = false
[stations.catalog_db]
workers = 1
service_time = { dist = "constant", value = "1s" }
"#;

#[test]
fn the_memory_guard_stops_a_run_and_names_the_station_whose_queue_grew() {
    let sc = scenario(OVERLOADED);
    let r = Engine::new(&sc, Log::default())
        .max_in_flight(20_000)
        .run(&mut |_| true);
    let why = r.diverged.as_deref().unwrap_or("");
    assert!(
        why.contains("passed --max-in-flight 20000")
            && why.contains("station catalog_db's queue grew without bound"),
        "{why}"
    );
    assert!(r.interrupted);
    // Flagged by the queue watch long before the guard.
    assert_eq!(r.unstable.len(), 1, "{:?}", r.unstable);
    let u = &r.unstable[0];
    assert_eq!(u.station, "catalog_db");
    assert!(
        u.at_s + 60.0 < r.end.as_secs_f64(),
        "{u:?}, end {:?}",
        r.end
    );
    assert!((u.growth_per_s - 99.0).abs() < 10.0, "{u:?}");
}

#[test]
fn a_run_ends_with_its_last_session_not_at_a_served_requests_give_up_time() {
    // A 1000 h give-up timer is left behind by every served request; the
    // run still ends when the last session does, just after 1 s.
    let station = r#"service_time = { dist = "constant", value = "1ms" }
timeout = "1000h""#;
    let (r, log) = run(2, "0s", "500ms", station, "");
    assert_eq!(
        log.done.borrow().len(),
        4,
        "two sessions, two operations each"
    );
    assert!(r.end.as_secs_f64() < 1.1, "ended at {:?}", r.end);
    assert!(!r.interrupted && r.diverged.is_none());
}

#[test]
fn a_stop_flag_is_read_after_every_event_not_only_when_control_is_asked() {
    let flag: &'static std::sync::atomic::AtomicBool =
        Box::leak(Box::new(std::sync::atomic::AtomicBool::new(true)));
    let mut asked = 0;
    let r = Engine::new(&scenario(OVERLOADED), Log::default())
        .stop_flag(flag)
        .run(&mut |_| {
            asked += 1;
            true
        });
    // Control is asked once before the first event and would next be
    // asked 65,536 events later; the flag stops the run after one.
    assert_eq!((r.events, asked, r.interrupted), (1, 1, true));
}
