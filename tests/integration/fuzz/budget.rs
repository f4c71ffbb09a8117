//! What a short fuzz run can afford today: an accepted scenario whose
//! setup or load is not yet bounded by the runner's `control` is only
//! loaded, not run (see [`too_big`]).

use ecsim::contract::fault::FaultKind;
use ecsim::kernel::time::SimDuration;
use ecsim::scenario::Scenario;
use ecsim::scenario::model::{Load, RouteNode};

use super::SHORT_S;

/// Calls one operation may make at once, at most (a fan-out's calls, the
/// branches of a parallel step, a hedge's copies).
fn calls(route: &[RouteNode]) -> u64 {
    route
        .iter()
        .map(|n| match n {
            RouteNode::Visit { .. } => 1,
            RouteNode::Parallel { branches, .. } => branches.iter().map(|b| calls(b)).sum(),
            RouteNode::Fanout { n, .. } => u64::from(*n),
            RouteNode::Hedge { max, .. } => u64::from(*max),
            RouteNode::Hold { route, .. } => 1 + calls(route),
            RouteNode::Group(route) => calls(route),
            RouteNode::Guarded { inner, policy } => {
                let attempts = policy.retry.as_ref().map_or(1, |r| u64::from(r.attempts));
                attempts * calls(std::slice::from_ref(&**inner))
            }
        })
        .sum()
}

/// Why an accepted scenario is too big for a short run today: its setup
/// or its load is not bounded by the runner's `control` (setup runs before
/// the first event; one arrival can start every call of its operation).
/// The memory guard (`--max-in-flight`) and the validation limits on huge
/// rates being added will bound these; until then they are loaded only.
pub fn too_big(sc: &Scenario) -> Option<&'static str> {
    let short = SHORT_S as f64;
    let peak_rate = match &sc.load {
        Load::Open { stages, .. } => stages.iter().map(|s| s.1).fold(0.0, f64::max),
        Load::Closed { .. } => 0.0,
        // The fuzzer writes no trace files: a replay cannot arise.
        Load::Replay { .. } => 0.0,
    };
    let users = match &sc.load {
        Load::Closed { users, .. } => *users,
        Load::Open { .. } | Load::Replay { .. } => 0,
    };
    let a = &sc.admin;
    let admin_rate = a.restock_rate
        + a.price_change_rate
        + a.coupon_rate
        + a.ship_rate
        + a.deliver_rate
        + a.cancel_rate
        + a.refund_rate;
    let most_calls = sc
        .operations
        .iter()
        .map(|o| calls(&o.route))
        .chain(
            sc.route_edits
                .iter()
                .map(|e| calls(&e.prepend) + calls(&e.append)),
        )
        .max()
        .unwrap_or(0);
    let drain_intervals = drain_ns(sc) / sc.report_interval.as_nanos() as f64;
    let hashing = u64::from(sc.customers.registered) * u64::from(sc.shop.password_iterations);
    [
        (sc.catalog.products > 200_000, "products (setup)"),
        (
            hashing > 2_000_000,
            "registered customers x password iterations (setup)",
        ),
        (sc.stations.len() > 2048, "station instances (setup)"),
        (users > 50_000, "closed users (all scheduled at the start)"),
        (peak_rate * short > 50_000.0, "arrival rate"),
        (admin_rate * short > 50_000.0, "admin rates"),
        (most_calls > 10_000, "calls per operation"),
        (drain_intervals > 2000.0, "drain of many report intervals"),
    ]
    .into_iter()
    .find_map(|(big, why)| big.then_some(why))
}

/// Roughly how long a run goes on after arrivals stop, ns: the longest
/// mean think or service time (slowed by the worst fault), the end of the
/// last fault, or the longest station timeout or hedge delay. The time
/// series has a row per report interval and operation until the last
/// event, and today a stale timer (the give-up of a request served long
/// ago, a fault's end) counts as one: a run of 10 s with a station
/// `timeout = "1000h"` ticks until 1000 h and runs out of memory.
fn drain_ns(sc: &Scenario) -> f64 {
    fn hedge_after(route: &[RouteNode]) -> f64 {
        route
            .iter()
            .map(|n| match n {
                RouteNode::Hedge { after, max, .. } => after.as_nanos() as f64 * f64::from(*max),
                RouteNode::Parallel { branches, .. } => {
                    branches.iter().map(|b| hedge_after(b)).fold(0.0, f64::max)
                }
                RouteNode::Hold { route, .. } | RouteNode::Group(route) => hedge_after(route),
                RouteNode::Visit { .. } | RouteNode::Fanout { .. } => 0.0,
                // Each attempt may wait out its timeout and a backoff.
                RouteNode::Guarded { inner, policy } => {
                    let r = policy.retry.as_ref();
                    let attempts = r.map_or(1.0, |r| f64::from(r.attempts));
                    let backoff = r
                        .and_then(|r| r.backoff.as_ref())
                        .map_or(0.0, |b| b.max.as_nanos() as f64);
                    let timeout = policy.timeout.map_or(0.0, |t| t.as_nanos() as f64);
                    attempts * (timeout + backoff) + hedge_after(std::slice::from_ref(&**inner))
                }
            })
            .fold(0.0, f64::max)
    }
    let slowest = sc
        .faults
        .iter()
        .filter_map(|f| match f.kind {
            FaultKind::Slow { factor, .. } => Some(factor),
            _ => None,
        })
        .fold(1.0, f64::max);
    let service = sc
        .stations
        .iter()
        .map(|s| s.service_time.mean())
        .fold(0.0, f64::max);
    let timeout = sc
        .stations
        .iter()
        .filter_map(|s| s.timeout.map(|t| t.as_nanos() as f64))
        .fold(0.0, f64::max);
    let faults = sc
        .faults
        .iter()
        .map(|f| (f.at + f.lasts.unwrap_or(SimDuration::ZERO)).as_nanos() as f64)
        .fold(0.0, f64::max);
    let hedges = sc
        .operations
        .iter()
        .map(|o| hedge_after(&o.route))
        .chain(
            sc.route_edits
                .iter()
                .map(|e| hedge_after(&e.prepend).max(hedge_after(&e.append))),
        )
        .fold(0.0, f64::max);
    [service * slowest, timeout, faults, hedges]
        .into_iter()
        .fold(sc.think_time.mean(), f64::max)
}
