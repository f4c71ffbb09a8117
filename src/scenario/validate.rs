//! From the raw file to the validated [`Scenario`], listing every problem.
//!
//! Validation never stops at the first problem: each check that fails adds a
//! [`Issue`] with the dotted key path it concerns, and the caller turns paths
//! into file positions. A scenario is built only when no issue was found.
//!
//! This file holds the `Checker` and [`validate`] itself; the sections are
//! checked in `head` (`[scenario]`), `load` (arrivals and behaviour),
//! `shop_setup` (catalog, customers, coupons, payments, admin), `backend`
//! (cache, stations, routes, faults), `capacity` (schedules, autoscaling,
//! cost) and `thresholds`.

use std::collections::BTreeMap;

use super::file::*;
use super::model::*;
use crate::backend::cache::Policy;
use crate::contract::action::{Action, LEAVE, N_ACTIONS, Op};
use crate::contract::fault::FaultKind;
use crate::contract::route::{MAX_BRANCHES, RouteId, Step, builtin_stations, default_route};
use crate::kernel::dist::Dist;
use crate::kernel::popularity::Popularity;
use crate::kernel::time::{NANOS_PER_S, SimDuration};

mod backend;
mod capacity;
mod data;
mod dist;
mod faults;
mod head;
mod load;
mod replay;
mod routes;
mod shop_setup;
mod thresholds;

use backend::*;
use faults::*;
use head::*;
use load::*;
use routes::*;
use shop_setup::*;
pub use thresholds::parse_threshold;
use thresholds::*;

/// One problem: the key path it concerns and a lower-case message.
#[derive(Clone, Debug, PartialEq)]
pub struct Issue {
    /// Dotted path, e.g. `stations.payment.workers`.
    pub path: String,
    /// What is wrong and what would be right.
    pub message: String,
}

/// Largest sensible count for users, products, workers and the like.
const MAX_COUNT: i64 = 100_000_000;
/// Largest number of inventory shards.
const MAX_SHARDS: i64 = 4096;
/// Probabilities must sum to 1 within this.
const SUM_TOLERANCE: f64 = 1e-6;

/// Longest duration a scenario may give: 10000 hours, in nanoseconds (far
/// below `u64::MAX`, so sums of a few durations cannot overflow).
const MAX_DURATION_NS: f64 = 10_000.0 * 3600e9;

/// Parses a duration such as `"250us"`, `"5ms"`, `"1.5s"`, `"2m"`, `"1h"`.
pub fn parse_duration(text: &str) -> Result<SimDuration, String> {
    let t = text.trim();
    let split = t
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(t.len());
    let (num, unit) = t.split_at(split);
    let scale = match unit.trim() {
        "ns" => 1.0,
        "us" | "µs" => 1e3,
        "ms" => 1e6,
        "s" => 1e9,
        "m" => 60e9,
        "h" => 3600e9,
        _ => f64::NAN,
    };
    let value: f64 = num.parse().unwrap_or(f64::NAN);
    let ns = value * scale;
    if !ns.is_finite() || num.is_empty() {
        return Err(format!(
            "invalid duration \"{text}\": expected a number and a unit \
             (ns, us, ms, s, m, h), e.g. \"250us\", \"5ms\", \"2s\", \"1m\""
        ));
    }
    if ns > MAX_DURATION_NS {
        return Err(format!("duration \"{text}\" is too long (at most 10000h)"));
    }
    Ok(SimDuration::from_nanos(ns.round() as u64))
}

/// The unit of a distribution's parameters.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Unit {
    /// Durations written as strings with units; nanoseconds inside.
    Time,
    /// Plain numbers.
    Number,
}

/// The highest arrival or admin rate a scenario may ask for, per second.
/// Past it, nanosecond time cannot tell arrivals apart and the run would
/// only grow memory.
pub const MAX_RATE_PER_S: f64 = 1e6;

/// The largest slowdown `factor` of a `slow` fault.
pub const MAX_SLOWDOWN: f64 = 1e4;

const DIST_NAMES: &str = "constant, exponential, uniform, lognormal, gamma, percentiles, empirical";

/// Collects issues while building the model.
struct Checker {
    issues: Vec<Issue>,
    /// The directory data file paths are relative to.
    base: std::path::PathBuf,
    /// The data files read so far.
    data: Vec<DataFile>,
    /// What validation derived that the resolved file does not show.
    notes: Vec<String>,
}

impl Checker {
    /// Records a problem at `path`. A message starting with "must" is about
    /// the key itself and gets the key's name in front.
    fn issue(&mut self, path: impl Into<String>, message: impl Into<String>) {
        let path = path.into();
        let mut message = message.into();
        if message.starts_with("must") {
            let key = path.rsplit('.').next().unwrap_or_default();
            message = format!("`{key}` {message}");
        }
        self.issues.push(Issue { path, message });
    }

    fn duration(&mut self, path: &str, text: &str) -> Option<SimDuration> {
        match parse_duration(text) {
            Ok(d) => Some(d),
            Err(e) => {
                self.issue(path, e);
                None
            }
        }
    }

    /// An integer in `min..=max`.
    fn count(&mut self, path: &str, v: i64, min: i64, max: i64) -> Option<u32> {
        if v < min || v > max {
            let what = if min == 0 {
                "zero or more".to_string()
            } else {
                format!("at least {min}")
            };
            self.issue(path, format!("must be {what} and at most {max}, found {v}"));
            None
        } else {
            Some(v as u32)
        }
    }

    fn positive_f64(&mut self, path: &str, v: f64, allow_zero: bool) -> Option<f64> {
        let ok = v.is_finite() && (v > 0.0 || (allow_zero && v == 0.0));
        if ok {
            Some(v)
        } else {
            let want = if allow_zero {
                "a finite number, zero or more"
            } else {
                "a finite number greater than zero"
            };
            self.issue(path, format!("must be {want}, found {v}"));
            None
        }
    }

    /// A rate per second: a finite number above zero (or zero, when
    /// allowed) and at most [`MAX_RATE_PER_S`].
    fn rate(&mut self, path: &str, v: f64, allow_zero: bool) -> Option<f64> {
        self.at_most(path, v, allow_zero, MAX_RATE_PER_S, "per second")
    }

    /// A finite number above zero (or zero, when allowed), at most `max`
    /// (`unit` follows the number in the message).
    fn at_most(
        &mut self,
        path: &str,
        v: f64,
        allow_zero: bool,
        max: f64,
        unit: &str,
    ) -> Option<f64> {
        let v = self.positive_f64(path, v, allow_zero)?;
        if v > max {
            self.issue(
                path,
                format!("must be at most {max:e} {unit} (the documented limit), found {v:e}"),
            );
            return None;
        }
        Some(v)
    }

    fn quantity(&mut self, path: &str, q: &Quantity, unit: Unit) -> Option<f64> {
        match (q, unit) {
            (Quantity::Text(t), Unit::Time) => self.duration(path, t).map(|d| d.as_nanos() as f64),
            (Quantity::Number(n), Unit::Number) => Some(*n),
            (Quantity::Number(n), Unit::Time) => {
                self.issue(
                    path,
                    format!(
                        "expected a duration with a unit such as \"5ms\", found the number {n}"
                    ),
                );
                None
            }
            (Quantity::Text(t), Unit::Number) => {
                self.issue(path, format!("expected a number, found the string \"{t}\""));
                None
            }
        }
    }
}

/// Validates `file`; `default_name` names the scenario when `[scenario]`
/// gives no name, and data files are read relative to `base`. Returns
/// every issue found, or the scenario.
pub fn validate(
    file: &ScenarioFile,
    default_name: &str,
    base: &std::path::Path,
) -> Result<Scenario, Vec<Issue>> {
    let mut c = Checker {
        issues: Vec::new(),
        base: base.to_owned(),
        data: Vec::new(),
        notes: Vec::new(),
    };
    let head = scenario_section(&mut c, file.scenario.as_ref(), default_name);
    let op_names = operation_names(&mut c, &file.operations);
    let (load, think_time) = load(&mut c, file.load.as_ref(), &op_names);
    let behavior = behavior(
        &mut c,
        file.behavior.as_ref(),
        &op_names,
        &replay::trace_starts(load.as_ref()),
    );
    let catalog = catalog(&mut c, file.catalog.as_ref());
    let cache = cache(&mut c, file.cache.as_ref());
    let (stations, groups) = stations(&mut c, &file.stations);
    let edits = route_edits(&mut c, &file.routes, &groups, &stations);
    let operations = operations(&mut c, &file.operations, &op_names, &groups, &stations);
    let admin = admin(&mut c, file.admin.as_ref());
    let faults = faults(&mut c, &file.faults, &groups, head.as_ref().map(|h| h.3));
    let shop = shop(&mut c, file.shop.as_ref());
    let coupons = coupons(
        &mut c,
        &file.coupons,
        catalog.as_ref().map(|k| k.categories),
    );
    let customers = customers(&mut c, file.customers.as_ref(), file.coupons.len());
    let payments = payments(&mut c, file.payments.as_ref(), &groups);
    let gateways: Vec<u16> = payments
        .iter()
        .flat_map(|p| p.methods.iter().filter_map(|m| m.station))
        .collect();
    check_custom_stations_used(&mut c, &groups, &edits, &operations, &gateways);

    let (
        Some(head),
        Some(load),
        Some(think_time),
        Some(behavior),
        Some(catalog),
        Some(cache),
        Some(shop),
        Some(customers),
        Some(payments),
    ) = (
        head, load, think_time, behavior, catalog, cache, shop, customers, payments,
    )
    else {
        return Err(c.issues);
    };
    if !c.issues.is_empty() {
        return Err(c.issues);
    }
    let (routes, policies) = build_routes(&groups, &edits, &operations, cache.enabled);
    let (name, description, seed, duration, warmup, report_interval, replications) = head;
    let mut scenario = Scenario {
        name,
        description,
        seed,
        duration,
        warmup,
        report_interval,
        replications,
        load,
        think_time,
        behavior,
        catalog,
        cache,
        stations,
        groups,
        operations,
        routes,
        policies,
        route_edits: edits,
        shop,
        customers,
        coupons,
        payments,
        admin,
        faults,
        thresholds: Vec::new(),
        data: std::mem::take(&mut c.data),
        notes: std::mem::take(&mut c.notes),
    };
    scenario.thresholds = thresholds(&mut c, &file.thresholds, &scenario.metric_names());
    if c.issues.is_empty() {
        Ok(scenario)
    } else {
        Err(c.issues)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_up_to_10000h_parse_and_longer_ones_are_refused() {
        assert_eq!(
            parse_duration("10000h"),
            Ok(SimDuration::from_secs(10_000 * 3600))
        );
        assert_eq!(
            parse_duration("600001m"),
            Err("duration \"600001m\" is too long (at most 10000h)".to_owned())
        );
        // Accepted before the limit was enforced as its message says.
        assert!(parse_duration("20000h").is_err());
    }

    /// Every problem of `text`, as `LINE:COL: message`.
    fn problems(text: &str) -> Vec<String> {
        match crate::scenario::load_str("t.toml", "t", text, &[], None) {
            Ok(_) => Vec::new(),
            Err(e) => e
                .problems
                .iter()
                .map(|p| format!("{}: {}", p.location, p.message))
                .collect(),
        }
    }

    #[test]
    fn a_payment_method_can_pay_through_its_own_gateway_station() {
        let text = r#"[stations.stripe]
service_time = { dist = "constant", value = "20ms" }
[payments.card]
station = "stripe"
[scenario]
duration = "10s"
[load]
type = "open"
rate = 10.0
[behavior]
start = "home"
[behavior.transitions]
home = { leave = 1.0 }
"#;
        let s = crate::scenario::load_str("t.toml", "t", text, &[], None)
            .expect("valid")
            .scenario;
        let stripe = s.groups.iter().position(|g| g.name == "stripe");
        let card = s
            .payments
            .methods
            .iter()
            .find(|m| m.kind == MethodKind::Card);
        assert_eq!(card.map(|m| m.station), Some(stripe.map(|g| g as u16)));
    }

    #[test]
    fn an_invalid_coupon_is_not_reported_as_no_coupon_at_all() {
        let text = r#"[[coupons]]
code = "TINY"
kind = "fixed"
value = 0.004
[customers]
coupon_share = 0.5
[scenario]
duration = "10s"
[load]
type = "open"
rate = 10.0
[behavior]
start = "home"
[behavior.transitions]
home = { leave = 1.0 }
"#;
        assert_eq!(
            problems(text),
            ["4:1: a fixed coupon's `value` must be at least 0.01, found 0.004"]
        );
    }
}
