//! From the raw file to the validated [`Scenario`], listing every problem.
//!
//! Validation never stops at the first problem: each check that fails adds a
//! [`Issue`] with the dotted key path it concerns, and the caller turns paths
//! into file positions. A scenario is built only when no issue was found.

use std::collections::BTreeMap;

use super::file::*;
use super::model::*;
use crate::agent::action::{Action, LEAVE, N_ACTIONS};
use crate::agent::route::{Step, builtin_stations, default_route};
use crate::shop::cache::Policy;
use crate::sim::dist::Dist;
use crate::sim::time::{NANOS_PER_S, SimDuration};

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
    if ns > 1e18 {
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

const DIST_NAMES: &str = "constant, exponential, uniform, lognormal, gamma";

/// Collects issues while building the model.
struct Checker {
    issues: Vec<Issue>,
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

    /// A distribution in `unit`; reports unknown names, missing and stray
    /// parameters, and out-of-range values.
    fn dist(&mut self, path: &str, d: &DistFile, unit: Unit) -> Option<Dist> {
        let Some(name) = d.dist.as_deref() else {
            self.issue(path, format!("missing `dist`: one of {DIST_NAMES}"));
            return None;
        };
        let expected: &[&str] = match name {
            "constant" => &["value"],
            "exponential" => &["mean"],
            "uniform" => &["min", "max"],
            "lognormal" => &["median", "sigma"],
            "gamma" => &["mean", "cv"],
            other => {
                self.issue(
                    format!("{path}.dist"),
                    format!("unknown distribution \"{other}\": expected one of {DIST_NAMES}"),
                );
                return None;
            }
        };
        let present = [
            ("value", d.value.is_some()),
            ("mean", d.mean.is_some()),
            ("min", d.min.is_some()),
            ("max", d.max.is_some()),
            ("median", d.median.is_some()),
            ("sigma", d.sigma.is_some()),
            ("cv", d.cv.is_some()),
        ];
        let mut ok = true;
        for (key, here) in present {
            if here && !expected.contains(&key) {
                self.issue(
                    format!("{path}.{key}"),
                    format!(
                        "`{name}` does not take `{key}`; it takes {}",
                        expected.join(", ")
                    ),
                );
                ok = false;
            }
            if !here && expected.contains(&key) {
                self.issue(path, format!("`{name}` needs `{key}`"));
                ok = false;
            }
        }
        if !ok {
            return None;
        }
        let mut q = |key: &str, v: &Option<Quantity>| {
            v.as_ref()
                .and_then(|v| self.quantity(&format!("{path}.{key}"), v, unit))
        };
        let dist = match name {
            "constant" => Dist::Constant {
                value: q("value", &d.value)?,
            },
            "exponential" => Dist::Exponential {
                mean: q("mean", &d.mean)?,
            },
            "uniform" => {
                let (min, max) = (q("min", &d.min), q("max", &d.max));
                Dist::Uniform {
                    min: min?,
                    max: max?,
                }
            }
            "lognormal" => Dist::LogNormal {
                median: q("median", &d.median)?,
                sigma: d.sigma?,
            },
            _ => Dist::Gamma {
                mean: q("mean", &d.mean)?,
                cv: d.cv?,
            },
        };
        match dist.sampler() {
            Ok(_) => Some(dist),
            Err(e) => {
                self.issue(format!("{path}.{}", e.param), e.to_string());
                None
            }
        }
    }
}

/// Validates `file`; `default_name` names the scenario when `[scenario]`
/// gives no name. Returns every issue found, or the scenario.
pub fn validate(file: &ScenarioFile, default_name: &str) -> Result<Scenario, Vec<Issue>> {
    let mut c = Checker { issues: Vec::new() };
    let head = scenario_section(&mut c, file.scenario.as_ref(), default_name);
    let (load, think_time) = load(&mut c, file.load.as_ref());
    let behavior = behavior(&mut c, file.behavior.as_ref());
    let catalog = catalog(&mut c, file.catalog.as_ref());
    let cache = cache(&mut c, file.cache.as_ref());
    let (stations, groups) = stations(&mut c, &file.stations);
    let edits = route_edits(&mut c, &file.routes, &groups);
    let admin = admin(&mut c, file.admin.as_ref());
    let faults = faults(&mut c, &file.faults, &groups, head.as_ref().map(|h| h.3));
    let shop = shop(&mut c, file.shop.as_ref());
    let coupons = coupons(
        &mut c,
        &file.coupons,
        catalog.as_ref().map(|k| k.categories),
    );
    let customers = customers(&mut c, file.customers.as_ref(), coupons.len());
    let payments = payments(&mut c, file.payments.as_ref(), &groups);
    let gateways: Vec<u16> = payments
        .iter()
        .flat_map(|p| p.methods.iter().filter_map(|m| m.station))
        .collect();
    check_custom_stations_used(&mut c, &groups, &edits, &gateways);

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
    let routes = build_routes(&groups, &edits, cache.enabled);
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
        routes,
        route_edits: edits,
        shop,
        customers,
        coupons,
        payments,
        admin,
        faults,
        thresholds: Vec::new(),
    };
    scenario.thresholds = thresholds(
        &mut c,
        &file.thresholds,
        &crate::report::metric_names(&scenario),
    );
    if c.issues.is_empty() {
        Ok(scenario)
    } else {
        Err(c.issues)
    }
}

/// Parses `"< 800"` into a comparison and a bound.
pub fn parse_threshold(expr: &str) -> Result<(Cmp, f64), String> {
    let t = expr.trim();
    let (cmp, rest) = Cmp::strip_prefix(t).ok_or_else(|| {
        format!("threshold \"{expr}\" must start with <, <=, >, >= or ==, e.g. \"< 800\"")
    })?;
    match rest.trim().parse::<f64>() {
        Ok(v) if v.is_finite() => Ok((cmp, v)),
        _ => Err(format!(
            "threshold \"{expr}\" needs a number after the comparison, e.g. \"< 800\""
        )),
    }
}

fn flatten_thresholds(
    prefix: &str,
    t: &BTreeMap<String, ThresholdFile>,
    out: &mut Vec<(String, String)>,
) {
    for (k, v) in t {
        let name = if prefix.is_empty() {
            k.clone()
        } else {
            format!("{prefix}.{k}")
        };
        match v {
            ThresholdFile::Expr(e) => out.push((name, e.clone())),
            ThresholdFile::Nested(inner) => flatten_thresholds(&name, inner, out),
        }
    }
}

fn thresholds(
    c: &mut Checker,
    t: &BTreeMap<String, ThresholdFile>,
    names: &[String],
) -> Vec<Threshold> {
    let mut flat = Vec::new();
    flatten_thresholds("", t, &mut flat);
    let mut out = Vec::new();
    for (metric, expr) in flat {
        let path = format!("thresholds.{metric}");
        if !names.contains(&metric) {
            let family = metric.split('.').next().unwrap_or_default();
            let mut similar: Vec<&str> = names
                .iter()
                .filter(|n| n.starts_with(&format!("{family}.")))
                .map(String::as_str)
                .collect();
            if similar.is_empty() {
                similar = names
                    .iter()
                    .filter(|n| n.starts_with("ALL.") || n.starts_with("cache."))
                    .map(String::as_str)
                    .collect();
            }
            c.issue(
                &path,
                format!(
                    "unknown metric \"{metric}\"; metrics are OPERATION.COLUMN (summary.csv), cache.COLUMN, stations.NAME.COLUMN or business.METRIC, e.g. {}",
                    similar.join(", ")
                ),
            );
            continue;
        }
        match parse_threshold(&expr) {
            Ok((cmp, value)) => out.push(Threshold { metric, cmp, value }),
            Err(e) => c.issue(&path, e),
        }
    }
    out
}

/// Most replications of one run.
const MAX_REPLICATIONS: i64 = 10_000;

type Head = (
    String,
    String,
    u64,
    SimDuration,
    SimDuration,
    SimDuration,
    u32,
);

fn scenario_section(
    c: &mut Checker,
    s: Option<&ScenarioSection>,
    default_name: &str,
) -> Option<Head> {
    let Some(s) = s else {
        c.issue(
            "scenario",
            "missing [scenario] table: it needs at least `duration`",
        );
        return None;
    };
    let name = s.name.clone().unwrap_or_else(|| default_name.to_owned());
    let name_ok = !name.is_empty()
        && name != "."
        && name != ".."
        && name
            .chars()
            .all(|ch| ch.is_ascii_alphanumeric() || "-_.".contains(ch));
    if !name_ok {
        c.issue(
            "scenario.name",
            format!("name \"{name}\" must be non-empty and use only letters, digits, `-`, `_` and `.` (it names the report directory)"),
        );
    }
    let seed = match s.seed {
        Some(v) if v < 0 => {
            c.issue("scenario.seed", format!("must be zero or more, found {v}"));
            DEFAULT_SEED
        }
        Some(v) => v as u64,
        None => DEFAULT_SEED,
    };
    let duration = match s.duration.as_deref() {
        Some(t) => c.duration("scenario.duration", t),
        None => {
            c.issue("scenario", "missing `duration`, e.g. duration = \"10m\"");
            None
        }
    };
    if duration == Some(SimDuration::ZERO) {
        c.issue("scenario.duration", "must be greater than zero");
    }
    let warmup = match s.warmup.as_deref() {
        Some(t) => c.duration("scenario.warmup", t),
        None => Some(SimDuration::ZERO),
    };
    if let (Some(w), Some(d)) = (warmup, duration)
        && w >= d
        && d > SimDuration::ZERO
    {
        c.issue(
            "scenario.warmup",
            format!("warmup {w} must be shorter than duration {d}"),
        );
    }
    let interval = match s.report_interval.as_deref() {
        Some(t) => {
            let v = c.duration("scenario.report_interval", t);
            if v == Some(SimDuration::ZERO) {
                c.issue("scenario.report_interval", "must be greater than zero");
            }
            v
        }
        None => duration.map(|d| {
            let secs = (d.as_nanos() / 60 / NANOS_PER_S).max(1);
            SimDuration::from_secs(secs)
        }),
    };
    let replications = match s.replications {
        Some(n) => c.count("scenario.replications", n, 1, MAX_REPLICATIONS),
        None => Some(1),
    };
    Some((
        name,
        s.description.clone().unwrap_or_default(),
        seed,
        duration?,
        warmup?,
        interval?,
        replications?,
    ))
}

fn load(c: &mut Checker, l: Option<&LoadFile>) -> (Option<Load>, Option<Dist>) {
    let Some(l) = l else {
        c.issue("load", "missing [load] table: set type = \"open\" with `rate` or `stages`, or type = \"closed\" with `users`");
        return (None, None);
    };
    let think = match &l.think_time {
        Some(d) => c.dist("load.think_time", d, Unit::Time),
        None => Some(Dist::Constant { value: 0.0 }),
    };
    let load = match l.kind.as_deref() {
        Some("open") => open_load(c, l),
        Some("closed") => closed_load(c, l),
        Some(other) => {
            c.issue(
                "load.type",
                format!("unknown load type \"{other}\": expected \"open\" or \"closed\""),
            );
            None
        }
        None => {
            c.issue("load", "missing `type`: \"open\" or \"closed\"");
            None
        }
    };
    (load, think)
}

fn open_load(c: &mut Checker, l: &LoadFile) -> Option<Load> {
    if l.users.is_some() {
        c.issue(
            "load.users",
            "`users` belongs to type = \"closed\"; an open load uses `rate` or `stages`",
        );
    }
    if l.ramp_up.is_some() {
        c.issue(
            "load.ramp_up",
            "`ramp_up` belongs to type = \"closed\"; ramp an open load with `stages`",
        );
    }
    match (&l.rate, &l.stages) {
        (Some(_), Some(_)) => {
            c.issue("load.stages", "give either `rate` or `stages`, not both");
            None
        }
        (None, None) => {
            c.issue(
                "load",
                "an open load needs `rate` (sessions per second) or `stages`",
            );
            None
        }
        (Some(rate), None) => {
            let r = c.positive_f64("load.rate", *rate, false)?;
            Some(Load::Open {
                stages: vec![(SimDuration::ZERO, r)],
                constant: true,
            })
        }
        (None, Some(stages)) => {
            if stages.is_empty() {
                c.issue(
                    "load.stages",
                    "needs at least one stage, e.g. [{ at = \"0s\", rate = 10.0 }]",
                );
                return None;
            }
            let mut out = Vec::new();
            let mut prev: Option<SimDuration> = None;
            for (i, st) in stages.iter().enumerate() {
                let p = format!("load.stages.{i}");
                let at = match &st.at {
                    Some(t) => c.duration(&format!("{p}.at"), t),
                    None => {
                        c.issue(&p, "stage needs `at`");
                        None
                    }
                };
                let rate = match st.rate {
                    Some(r) => c.positive_f64(&format!("{p}.rate"), r, true),
                    None => {
                        c.issue(&p, "stage needs `rate`");
                        None
                    }
                };
                if let Some(at) = at {
                    if i == 0 && at != SimDuration::ZERO {
                        c.issue(
                            format!("{p}.at"),
                            format!("the first stage must be at \"0s\", found {at}"),
                        );
                    }
                    if let Some(pr) = prev
                        && at <= pr
                    {
                        c.issue(
                            format!("{p}.at"),
                            format!(
                                "stages must be in increasing time order: {at} is not after {pr}"
                            ),
                        );
                    }
                    prev = Some(at);
                }
                if let (Some(at), Some(rate)) = (at, rate) {
                    out.push((at, rate));
                }
            }
            if out.len() == stages.len() && out.iter().all(|s| s.1 == 0.0) {
                c.issue(
                    "load.stages",
                    "every stage has rate 0: no session would ever arrive",
                );
            }
            (out.len() == stages.len()).then_some(Load::Open {
                stages: out,
                constant: false,
            })
        }
    }
}

fn closed_load(c: &mut Checker, l: &LoadFile) -> Option<Load> {
    if l.rate.is_some() || l.stages.is_some() {
        c.issue(
            if l.rate.is_some() {
                "load.rate"
            } else {
                "load.stages"
            },
            "`rate` and `stages` belong to type = \"open\"; a closed load uses `users`",
        );
    }
    let users = match l.users {
        Some(u) => c.count("load.users", u, 1, MAX_COUNT),
        None => {
            c.issue("load", "a closed load needs `users`");
            None
        }
    };
    let ramp_up = match &l.ramp_up {
        Some(t) => c.duration("load.ramp_up", t),
        None => Some(SimDuration::ZERO),
    };
    Some(Load::Closed {
        users: users?,
        ramp_up: ramp_up?,
    })
}

fn next_of(c: &mut Checker, path: &str, name: &str) -> Option<Next> {
    if name == LEAVE {
        return Some(Next::Leave);
    }
    match Action::customer_from_name(name) {
        Some(a) => Some(Next::Act(a)),
        None => {
            c.issue(
                path,
                format!(
                    "unknown action \"{name}\": expected one of {}, {LEAVE}",
                    Action::names()
                ),
            );
            None
        }
    }
}

fn choice(
    c: &mut Checker,
    path: &str,
    table: &BTreeMap<String, f64>,
    allow_leave: bool,
) -> Option<Choice> {
    let mut options = Vec::new();
    let mut ok = true;
    for (name, &p) in table {
        let kp = format!("{path}.{name}");
        let next = next_of(c, &kp, name);
        if next == Some(Next::Leave) && !allow_leave {
            c.issue(&kp, "a session cannot start by leaving");
            ok = false;
        }
        let prob = if p.is_finite() && (0.0..=1.0).contains(&p) {
            Some(p)
        } else {
            c.issue(
                &kp,
                format!("probability must be between 0 and 1, found {p}"),
            );
            None
        };
        match (next, prob) {
            (Some(n), Some(p)) => options.push((n, p)),
            _ => ok = false,
        }
    }
    if table.is_empty() {
        c.issue(path, "needs at least one next action with its probability");
        return None;
    }
    if !ok {
        return None;
    }
    let sum: f64 = options.iter().map(|o| o.1).sum();
    if (sum - 1.0).abs() > SUM_TOLERANCE {
        c.issue(path, format!("probabilities must sum to 1, found {sum}"));
        return None;
    }
    Some(Choice { options })
}

fn behavior(c: &mut Checker, b: Option<&BehaviorFile>) -> Option<Behavior> {
    let Some(b) = b else {
        c.issue(
            "behavior",
            "missing [behavior] table: it needs `start` and [behavior.transitions]",
        );
        return None;
    };
    let start = match &b.start {
        None => {
            c.issue("behavior", "missing `start`: the first action of a session");
            None
        }
        Some(StartFile::One(name)) => match next_of(c, "behavior.start", name) {
            Some(Next::Leave) => {
                c.issue("behavior.start", "a session cannot start by leaving");
                None
            }
            Some(n) => Some(Choice {
                options: vec![(n, 1.0)],
            }),
            None => None,
        },
        Some(StartFile::Mix(m)) => choice(c, "behavior.start", m, false),
    };
    let mut given: [Option<Choice>; N_ACTIONS] = Default::default();
    let mut all_ok = true;
    for (name, table) in &b.transitions {
        let path = format!("behavior.transitions.{name}");
        let Some(action) = Action::customer_from_name(name) else {
            c.issue(
                &path,
                format!(
                    "unknown action \"{name}\": expected one of {}",
                    Action::names()
                ),
            );
            all_ok = false;
            continue;
        };
        match choice(c, &path, table, true) {
            Some(ch) => given[action.index()] = Some(ch),
            None => all_ok = false,
        }
    }
    let start = start?;
    if !all_ok {
        return None;
    }
    // Reachability from the start; every reachable action needs transitions
    // and must be able to reach `leave`.
    let mut reachable = [false; N_ACTIONS];
    let mut stack: Vec<Action> = start
        .options
        .iter()
        .filter(|o| o.1 > 0.0)
        .filter_map(|o| match o.0 {
            Next::Act(a) => Some(a),
            Next::Leave => None,
        })
        .collect();
    while let Some(a) = stack.pop() {
        if std::mem::replace(&mut reachable[a.index()], true) {
            continue;
        }
        match &given[a.index()] {
            Some(ch) => stack.extend(ch.options.iter().filter(|o| o.1 > 0.0).filter_map(|o| match o.0 {
                Next::Act(n) => Some(n),
                Next::Leave => None,
            })),
            None => c.issue(
                "behavior.transitions",
                format!("action \"{a}\" can be reached but has no transitions: add `{a} = {{ ..., leave = ... }}`"),
            ),
        }
    }
    let mut can_leave = [false; N_ACTIONS];
    loop {
        let mut changed = false;
        for a in Action::ALL {
            if can_leave[a.index()] {
                continue;
            }
            if let Some(ch) = &given[a.index()] {
                let leaves = ch.options.iter().filter(|o| o.1 > 0.0).any(|o| match o.0 {
                    Next::Leave => true,
                    Next::Act(n) => can_leave[n.index()],
                });
                if leaves {
                    can_leave[a.index()] = true;
                    changed = true;
                }
            }
        }
        if !changed {
            break;
        }
    }
    for a in Action::ALL {
        if reachable[a.index()] && given[a.index()].is_some() && !can_leave[a.index()] {
            c.issue(
                format!("behavior.transitions.{a}"),
                format!("sessions that reach \"{a}\" can never leave: give some path from it a `leave` probability"),
            );
        }
    }
    let transitions = Action::ALL.map(|a| {
        if reachable[a.index()] {
            given[a.index()].take()
        } else {
            None
        }
    });
    Some(Behavior { start, transitions })
}

fn catalog(c: &mut Checker, f: Option<&CatalogFile>) -> Option<Catalog> {
    let d = CatalogFile::default();
    let f = f.unwrap_or(&d);
    let products = match f.products {
        Some(n) => c.count("catalog.products", n, 1, MAX_COUNT),
        None => Some(DEFAULT_PRODUCTS),
    };
    let categories = match f.categories {
        Some(n) => c.count("catalog.categories", n, 1, MAX_COUNT),
        None => Some(DEFAULT_CATEGORIES.min(products.unwrap_or(DEFAULT_PRODUCTS))),
    };
    if let (Some(p), Some(k)) = (products, categories)
        && k > p
    {
        c.issue(
            "catalog.categories",
            format!("{k} categories for {p} products: every category needs a product"),
        );
    }
    let popularity = match &f.popularity {
        None => Some(Popularity::Zipf {
            exponent: DEFAULT_ZIPF_EXPONENT,
        }),
        Some(p) => match p.dist.as_deref() {
            Some("zipf") => {
                let e = p.exponent.unwrap_or(DEFAULT_ZIPF_EXPONENT);
                c.positive_f64("catalog.popularity.exponent", e, true)
                    .map(|exponent| Popularity::Zipf { exponent })
            }
            Some("uniform") => {
                if p.exponent.is_some() {
                    c.issue(
                        "catalog.popularity.exponent",
                        "`uniform` popularity takes no `exponent`",
                    );
                }
                Some(Popularity::Uniform)
            }
            Some(other) => {
                c.issue(
                    "catalog.popularity.dist",
                    format!("unknown popularity \"{other}\": expected \"zipf\" or \"uniform\""),
                );
                None
            }
            None => {
                c.issue(
                    "catalog.popularity",
                    "missing `dist`: \"zipf\" or \"uniform\"",
                );
                None
            }
        },
    };
    let price = match &f.price {
        Some(d) => c.dist("catalog.price", d, Unit::Number),
        None => Some(Dist::LogNormal {
            median: 25.0,
            sigma: 0.8,
        }),
    };
    let stock = match &f.stock {
        Some(d) => c.dist("catalog.stock", d, Unit::Number),
        None => Some(Dist::Uniform {
            min: 50.0,
            max: 500.0,
        }),
    };
    let doorbusters = doorbusters(c, f.doorbusters.as_ref(), products);
    Some(Catalog {
        products: products?,
        categories: categories?,
        popularity: popularity?,
        price: price?,
        stock: stock?,
        doorbusters: doorbusters?,
    })
}

fn doorbusters(
    c: &mut Checker,
    f: Option<&DoorbustersFile>,
    products: Option<u32>,
) -> Option<Doorbusters> {
    let d = DoorbustersFile::default();
    let f = f.unwrap_or(&d);
    let count = match f.count {
        Some(n) => c.count(
            "catalog.doorbusters.count",
            n,
            0,
            products.unwrap_or(DEFAULT_PRODUCTS) as i64,
        ),
        None => Some(0),
    };
    let stock = match f.stock {
        Some(n) => c.count("catalog.doorbusters.stock", n, 0, MAX_COUNT),
        None => Some(100),
    };
    let discount_pct = match f.discount_pct {
        Some(p) if (0.0..100.0).contains(&p) => Some(p),
        Some(p) => {
            c.issue(
                "catalog.doorbusters.discount_pct",
                format!("`discount_pct` must be at least 0 and below 100, found {p}"),
            );
            None
        }
        None => Some(50.0),
    };
    Some(Doorbusters {
        count: count?,
        stock: stock?,
        discount_pct: discount_pct?,
    })
}

/// Currency units to cents, rounded.
fn cents(v: f64) -> i64 {
    (v * 100.0).round() as i64
}

/// Largest amount of money in a scenario: 10 million currency units.
const MAX_MONEY: f64 = 1e7;

fn money(c: &mut Checker, path: &str, v: f64) -> Option<i64> {
    if v.is_finite() && (0.0..=MAX_MONEY).contains(&v) {
        Some(cents(v))
    } else {
        c.issue(
            path,
            format!("must be an amount between 0 and {MAX_MONEY}, found {v}"),
        );
        None
    }
}

fn probability(c: &mut Checker, path: &str, v: f64) -> Option<f64> {
    if v.is_finite() && (0.0..=1.0).contains(&v) {
        Some(v)
    } else {
        c.issue(
            path,
            format!("must be a probability between 0 and 1, found {v}"),
        );
        None
    }
}

fn shop(c: &mut Checker, f: Option<&ShopFile>) -> Option<ShopSpec> {
    let d = ShopFile::default();
    let f = f.unwrap_or(&d);
    let fee = money(c, "shop.shipping_fee", f.shipping_fee.unwrap_or(4.99));
    let free = match f.free_shipping_over {
        Some(v) => money(c, "shop.free_shipping_over", v).map(Some),
        None => Some(Some(5000)),
    };
    let tax = match f.tax_pct.unwrap_or(8.0) {
        t if t.is_finite() && (0.0..=100.0).contains(&t) => Some((t * 100.0).round() as u32),
        t => {
            c.issue(
                "shop.tax_pct",
                format!("`tax_pct` must be between 0 and 100, found {t}"),
            );
            None
        }
    };
    let iterations = c.count(
        "shop.password_iterations",
        f.password_iterations.unwrap_or(1),
        1,
        10_000_000,
    );
    let lines = c.count("shop.max_cart_lines", f.max_cart_lines.unwrap_or(32), 1, 64);
    Some(ShopSpec {
        shipping_fee_cents: fee?,
        free_shipping_over_cents: free?,
        tax_bps: tax?,
        password_iterations: iterations?,
        max_cart_lines: lines?,
    })
}

fn customers(c: &mut Checker, f: Option<&CustomersFile>, coupons: usize) -> Option<Customers> {
    let d = CustomersFile::default();
    let f = f.unwrap_or(&d);
    let registered = c.count(
        "customers.registered",
        f.registered.unwrap_or(10_000),
        0,
        10_000_000,
    );
    let returning = probability(c, "customers.returning", f.returning.unwrap_or(0.5));
    let coupon_share = probability(c, "customers.coupon_share", f.coupon_share.unwrap_or(0.0));
    if coupon_share.is_some_and(|s| s > 0.0) && coupons == 0 {
        c.issue(
            "customers.coupon_share",
            "`coupon_share` is above 0 but the scenario has no [[coupons]]",
        );
    }
    if registered == Some(0) && returning.is_some_and(|r| r > 0.0) {
        c.issue(
            "customers.returning",
            "returning customers need `registered` above 0",
        );
    }
    let quantity = match &f.quantity {
        Some(q) => c.dist("customers.quantity", q, Unit::Number),
        None => Some(Dist::Constant { value: 1.0 }),
    };
    let recently_viewed = probability(
        c,
        "customers.recently_viewed",
        f.recently_viewed.unwrap_or(0.7),
    );
    Some(Customers {
        registered: registered?,
        returning: returning?,
        coupon_share: coupon_share?,
        quantity: quantity?,
        recently_viewed: recently_viewed?,
    })
}

fn coupons(c: &mut Checker, files: &[CouponFile], categories: Option<u32>) -> Vec<Coupon> {
    let mut out: Vec<Coupon> = Vec::new();
    for (i, f) in files.iter().enumerate() {
        let p = format!("coupons.{i}");
        let code = match &f.code {
            Some(code)
                if (1..=32).contains(&code.len())
                    && code.chars().all(|ch| ch.is_ascii_graphic()) =>
            {
                if out.iter().any(|o| &o.code == code) {
                    c.issue(
                        format!("{p}.code"),
                        format!("coupon code \"{code}\" is used twice"),
                    );
                }
                Some(code.clone())
            }
            Some(code) => {
                c.issue(
                    format!("{p}.code"),
                    format!("code \"{code}\" must be 1 to 32 printable characters without spaces"),
                );
                None
            }
            None => {
                c.issue(&p, "a coupon needs `code`");
                None
            }
        };
        let value = match (f.kind.as_deref(), f.value) {
            (Some("percent"), Some(v)) if (1.0..=100.0).contains(&v) && v.fract() == 0.0 => {
                Some(CouponValue::Percent(v as u8))
            }
            (Some("percent"), Some(v)) => {
                c.issue(
                    format!("{p}.value"),
                    format!(
                        "a percent coupon's `value` must be a whole number from 1 to 100, found {v}"
                    ),
                );
                None
            }
            (Some("fixed"), Some(v)) => money(c, &format!("{p}.value"), v)
                .filter(|v| *v > 0)
                .map(CouponValue::Fixed),
            (Some("percent" | "fixed"), None) => {
                c.issue(&p, "this coupon needs `value`");
                None
            }
            (Some("free_shipping"), None) => Some(CouponValue::FreeShipping),
            (Some("free_shipping"), Some(_)) => {
                c.issue(
                    format!("{p}.value"),
                    "a `free_shipping` coupon takes no `value`",
                );
                None
            }
            (Some(k), _) => {
                c.issue(
                    format!("{p}.kind"),
                    format!(
                        "unknown coupon kind \"{k}\": expected percent, fixed or free_shipping"
                    ),
                );
                None
            }
            (None, _) => {
                c.issue(&p, "a coupon needs `kind`: percent, fixed or free_shipping");
                None
            }
        };
        let min_order = money(c, &format!("{p}.min_order"), f.min_order.unwrap_or(0.0));
        let from = match &f.valid_from {
            Some(t) => c.duration(&format!("{p}.valid_from"), t),
            None => Some(SimDuration::ZERO),
        };
        let until = match &f.valid_until {
            Some(t) => c.duration(&format!("{p}.valid_until"), t).map(Some),
            None => Some(None),
        };
        if let (Some(a), Some(Some(b))) = (from, until)
            && b <= a
        {
            c.issue(
                format!("{p}.valid_until"),
                format!("`valid_until` {b} must be after `valid_from` {a}"),
            );
        }
        let category = match f.category {
            Some(k) => c
                .count(
                    &format!("{p}.category"),
                    k,
                    0,
                    categories.unwrap_or(1) as i64 - 1,
                )
                .map(|k| Some(k as u16)),
            None => Some(None),
        };
        let limit = |c: &mut Checker, key: &str, v: Option<i64>| match v {
            Some(n) => c.count(&format!("{p}.{key}"), n, 1, MAX_COUNT).map(Some),
            None => Some(None),
        };
        let global_limit = limit(c, "global_limit", f.global_limit);
        let per_customer_limit = limit(c, "per_customer_limit", f.per_customer_limit);
        let weight = c.positive_f64(&format!("{p}.weight"), f.weight.unwrap_or(1.0), false);
        if let (
            Some(code),
            Some(value),
            Some(min_order_cents),
            Some(valid_from),
            Some(valid_until),
            Some(category),
            Some(global_limit),
            Some(per_customer_limit),
            Some(weight),
        ) = (
            code,
            value,
            min_order,
            from,
            until,
            category,
            global_limit,
            per_customer_limit,
            weight,
        ) {
            out.push(Coupon {
                code,
                value,
                min_order_cents,
                valid_from,
                valid_until,
                category,
                global_limit,
                per_customer_limit,
                weight,
            });
        }
    }
    out
}

fn payments(
    c: &mut Checker,
    f: Option<&PaymentsFile>,
    groups: &[StationGroup],
) -> Option<Payments> {
    let d = PaymentsFile::default();
    let f = f.unwrap_or(&d);
    let max_retries = c.count("payments.max_retries", f.max_retries.unwrap_or(2), 0, 100);
    let defaults = [
        (0.7, 0.02, 0.005),
        (0.15, 0.01, 0.0),
        (0.1, 0.01, 0.002),
        (0.05, 0.0, 0.0),
    ];
    let files = [&f.card, &f.wallet, &f.bank_transfer, &f.cash_on_delivery];
    let mut methods = Vec::new();
    let mut ok = true;
    for ((kind, file), (share, decline, timeout)) in
        MethodKind::ALL.into_iter().zip(files).zip(defaults)
    {
        let p = format!("payments.{}", kind.name());
        let m = file.clone().unwrap_or_default();
        let share = c.positive_f64(&format!("{p}.share"), m.share.unwrap_or(share), true);
        let decline = probability(
            c,
            &format!("{p}.decline_rate"),
            m.decline_rate.unwrap_or(decline),
        );
        let timeout = probability(
            c,
            &format!("{p}.timeout_rate"),
            m.timeout_rate.unwrap_or(timeout),
        );
        if !kind.can_time_out() && timeout.is_some_and(|t| t > 0.0) {
            c.issue(
                format!("{p}.timeout_rate"),
                format!(
                    "`{}` never times out: leave `timeout_rate` out",
                    kind.name()
                ),
            );
        }
        if let (Some(d), Some(t)) = (decline, timeout)
            && d + t > 1.0
        {
            c.issue(
                &p,
                format!("`decline_rate` + `timeout_rate` is {}, more than 1", d + t),
            );
        }
        let station = match &m.station {
            Some(name) => match groups.iter().position(|g| &g.name == name) {
                Some(g) if groups[g].shards > 1 => {
                    c.issue(
                        format!("{p}.station"),
                        format!("station \"{name}\" is sharded; a payment gateway cannot be"),
                    );
                    None
                }
                Some(g) => Some(Some(g as u16)),
                None => {
                    c.issue(
                        format!("{p}.station"),
                        format!("unknown station \"{name}\": define it as [stations.{name}]"),
                    );
                    None
                }
            },
            None => Some(None),
        };
        match (share, decline, timeout, station) {
            (Some(share), Some(decline_rate), Some(timeout_rate), Some(station)) => {
                if share > 0.0 {
                    methods.push(Method {
                        kind,
                        share,
                        decline_rate,
                        timeout_rate,
                        station,
                    });
                }
            }
            _ => ok = false,
        }
    }
    if ok && methods.is_empty() {
        c.issue(
            "payments",
            "every payment method has share 0: checkouts could not pay",
        );
    }
    (ok && !methods.is_empty()).then_some(Payments {
        max_retries: max_retries?,
        methods,
    })
}

fn cache(c: &mut Checker, f: Option<&CacheFile>) -> Option<CacheSpec> {
    let d = CacheFile::default();
    let f = f.unwrap_or(&d);
    let capacity = match f.capacity {
        Some(n) => c.count("cache.capacity", n, 1, MAX_COUNT),
        None => Some(DEFAULT_CACHE_CAPACITY),
    };
    let policy = match f.policy.as_deref() {
        None => Some(Policy::Lru),
        Some(p) => {
            let v = Policy::from_name(p);
            if v.is_none() {
                c.issue(
                    "cache.policy",
                    format!(
                        "unknown policy \"{p}\": expected one of {}",
                        Policy::NAMES.join(", ")
                    ),
                );
            }
            v
        }
    };
    let ttl = match f.ttl.as_deref() {
        None => Some(None),
        Some(t) => match c.duration("cache.ttl", t) {
            Some(SimDuration::ZERO) => {
                c.issue(
                    "cache.ttl",
                    "must be greater than zero (leave it out for no expiry)",
                );
                None
            }
            other => other.map(Some),
        },
    };
    Some(CacheSpec {
        enabled: f.enabled.unwrap_or(true),
        capacity: capacity?,
        policy: policy?,
        ttl: ttl?,
    })
}

fn stations(
    c: &mut Checker,
    files: &BTreeMap<String, StationFile>,
) -> (Vec<StationSpec>, Vec<StationGroup>) {
    let builtins = builtin_stations();
    let mut stations = Vec::new();
    let mut groups = Vec::new();
    // Built-ins first, in their documented order; then custom ones by name.
    let custom = files
        .keys()
        .filter(|k| !builtins.iter().any(|b| b.name == k.as_str()));
    let order: Vec<(String, Option<&_>)> = builtins
        .iter()
        .map(|b| (b.name.to_owned(), Some(b)))
        .chain(custom.map(|k| (k.clone(), None)))
        .collect();
    for (name, builtin) in order {
        let path = format!("stations.{name}");
        let f = files.get(&name).cloned().unwrap_or_default();
        let name_ok = !name.is_empty()
            && name
                .chars()
                .all(|ch| ch.is_ascii_alphanumeric() || ch == '_' || ch == '-');
        if !name_ok {
            c.issue(
                &path,
                format!("station name \"{name}\" must use only letters, digits, `_` and `-`"),
            );
        }
        let workers = match f.workers {
            Some(w) => c.count(&format!("{path}.workers"), w, 1, MAX_COUNT),
            None => Some(builtin.map_or(1, |b| b.workers)),
        };
        let shards = match (f.shards, builtin) {
            (Some(s), Some(b)) if b.shards > 1 => c
                .count(&format!("{path}.shards"), s, 1, MAX_SHARDS)
                .map(|s| s as u16),
            (Some(_), _) => {
                c.issue(
                    format!("{path}.shards"),
                    "only the `inventory` station is sharded",
                );
                None
            }
            (None, b) => Some(b.map_or(1, |b| b.shards)),
        };
        let service_time = match (&f.service_time, builtin) {
            (Some(d), _) => c.dist(&format!("{path}.service_time"), d, Unit::Time),
            (None, Some(b)) => Some(b.service_time.clone()),
            (None, None) => {
                c.issue(&path, format!("custom station \"{name}\" needs `service_time`, e.g. {{ dist = \"exponential\", mean = \"5ms\" }}"));
                None
            }
        };
        let queue_limit = match f.queue_limit {
            Some(q) => c
                .count(&format!("{path}.queue_limit"), q, 0, MAX_COUNT)
                .map(Some),
            None => Some(None),
        };
        let timeout = match f.timeout.as_deref() {
            Some(t) => match c.duration(&format!("{path}.timeout"), t) {
                Some(SimDuration::ZERO) => {
                    c.issue(
                        format!("{path}.timeout"),
                        "must be greater than zero (leave it out to wait for ever)",
                    );
                    None
                }
                other => other.map(Some),
            },
            None => Some(None),
        };
        let (Some(workers), Some(shards), Some(service_time), Some(queue_limit), Some(timeout)) =
            (workers, shards, service_time, queue_limit, timeout)
        else {
            continue;
        };
        let gi = groups.len() as u16;
        groups.push(StationGroup {
            name: name.clone(),
            first: stations.len() as u16,
            shards,
            builtin: builtin.is_some(),
        });
        for s in 0..shards {
            stations.push(StationSpec {
                name: if builtin.is_some_and(|b| b.shards > 1) {
                    format!("{name}[{s}]")
                } else {
                    name.clone()
                },
                group: gi,
                workers,
                service_time: service_time.clone(),
                queue_limit,
                timeout,
            });
        }
    }
    if stations.len() > u16::MAX as usize {
        c.issue(
            "stations",
            format!(
                "{} station instances is too many (at most {})",
                stations.len(),
                u16::MAX
            ),
        );
    }
    (stations, groups)
}

fn route_edits(
    c: &mut Checker,
    files: &BTreeMap<String, RouteFile>,
    groups: &[StationGroup],
) -> [RouteEdit; N_ACTIONS] {
    let mut edits: [RouteEdit; N_ACTIONS] = Default::default();
    for (name, f) in files {
        let path = format!("routes.{name}");
        let Some(action) = Action::from_name(name) else {
            c.issue(
                &path,
                format!(
                    "unknown operation \"{name}\": expected one of {}",
                    Action::all_names()
                ),
            );
            continue;
        };
        let mut resolve = |list: &[String], key: &str| -> Vec<u16> {
            let mut out = Vec::new();
            for (i, s) in list.iter().enumerate() {
                let kp = format!("{path}.{key}.{i}");
                match groups.iter().position(|g| &g.name == s) {
                    Some(gi) if groups[gi].shards > 1 => c.issue(kp, format!("station \"{s}\" is sharded and visited per cart line; it cannot be added to a route")),
                    Some(gi) => out.push(gi as u16),
                    None => c.issue(
                        kp,
                        format!(
                            "unknown station \"{s}\": define it as [stations.{s}] or use one of {}",
                            groups.iter().map(|g| g.name.as_str()).collect::<Vec<_>>().join(", ")
                        ),
                    ),
                }
            }
            out
        };
        edits[action.index()] = RouteEdit {
            prepend: resolve(&f.prepend, "prepend"),
            append: resolve(&f.append, "append"),
        };
    }
    edits
}

fn check_custom_stations_used(
    c: &mut Checker,
    groups: &[StationGroup],
    edits: &[RouteEdit; N_ACTIONS],
    gateways: &[u16],
) {
    for (gi, g) in groups.iter().enumerate() {
        let gi = gi as u16;
        let used = gateways.contains(&gi)
            || edits
                .iter()
                .any(|e| e.prepend.contains(&gi) || e.append.contains(&gi));
        if !g.builtin && !used {
            c.issue(
                format!("stations.{}", g.name),
                format!(
                    "station \"{}\" is not a built-in station ({}) and nothing uses it: add it with [routes.ACTION] append = [\"{}\"] or as a payment method's `station`",
                    g.name,
                    builtin_stations().iter().map(|b| b.name).collect::<Vec<_>>().join(", "),
                    g.name
                ),
            );
        }
    }
}

fn build_routes(
    groups: &[StationGroup],
    edits: &[RouteEdit; N_ACTIONS],
    cache: bool,
) -> [Vec<Step>; N_ACTIONS] {
    let find = |name: &str| {
        groups
            .iter()
            .find(|g| g.name == name)
            .map_or((0, 1), |g| (g.first, g.shards))
    };
    Action::ALL.map(|a| {
        let e = &edits[a.index()];
        let visit = |gi: &u16| Step::Visit(groups[*gi as usize].first);
        e.prepend
            .iter()
            .map(visit)
            .chain(default_route(a, find, cache))
            .chain(e.append.iter().map(visit))
            .collect()
    })
}

fn admin(c: &mut Checker, f: Option<&AdminFile>) -> AdminSpec {
    let d = AdminSpec::default();
    let Some(f) = f else { return d };
    let rate = |c: &mut Checker, key: &str, v: Option<f64>, default: f64| match v {
        Some(r) => c
            .positive_f64(&format!("admin.{key}"), r, true)
            .unwrap_or(default),
        None => default,
    };
    let count =
        |c: &mut Checker, key: &str, v: Option<i64>, min: i64, max: i64, default: u32| match v {
            Some(n) => c
                .count(&format!("admin.{key}"), n, min, max)
                .unwrap_or(default),
            None => default,
        };
    let price_change_pct = rate(
        c,
        "price_change_pct",
        f.price_change_pct,
        d.price_change_pct,
    );
    if price_change_pct >= 100.0 {
        c.issue(
            "admin.price_change_pct",
            "`price_change_pct` must be below 100 (a price cannot fall to zero)",
        );
    }
    AdminSpec {
        restock_rate: rate(c, "restock_rate", f.restock_rate, d.restock_rate),
        restock_quantity: count(
            c,
            "restock_quantity",
            f.restock_quantity,
            1,
            MAX_COUNT,
            d.restock_quantity,
        ),
        price_change_rate: rate(
            c,
            "price_change_rate",
            f.price_change_rate,
            d.price_change_rate,
        ),
        price_change_pct,
        coupon_rate: rate(c, "coupon_rate", f.coupon_rate, d.coupon_rate),
        coupon_percent: count(
            c,
            "coupon_percent",
            f.coupon_percent,
            1,
            100,
            d.coupon_percent,
        ),
        coupon_limit: count(
            c,
            "coupon_limit",
            f.coupon_limit,
            1,
            MAX_COUNT,
            d.coupon_limit,
        ),
        ship_rate: rate(c, "ship_rate", f.ship_rate, d.ship_rate),
        deliver_rate: rate(c, "deliver_rate", f.deliver_rate, d.deliver_rate),
        cancel_rate: rate(c, "cancel_rate", f.cancel_rate, d.cancel_rate),
        refund_rate: rate(c, "refund_rate", f.refund_rate, d.refund_rate),
    }
}

const FAULT_KINDS: &str = "slow, outage, cache_flush, payment_declines";

fn faults(
    c: &mut Checker,
    files: &[FaultFile],
    groups: &[StationGroup],
    duration: Option<SimDuration>,
) -> Vec<Fault> {
    let mut out = Vec::new();
    for (i, f) in files.iter().enumerate() {
        let p = format!("faults.{i}");
        let at = match &f.at {
            Some(t) => c.duration(&format!("{p}.at"), t),
            None => {
                c.issue(&p, "a fault needs `at`, e.g. at = \"45m\"");
                None
            }
        };
        if let (Some(at), Some(d)) = (at, duration)
            && at >= d
        {
            c.issue(
                format!("{p}.at"),
                format!("fault at {at} starts after the run's duration {d}"),
            );
        }
        let lasts = match &f.lasts {
            Some(t) => c.duration(&format!("{p}.for"), t).filter(|d| {
                let ok = *d > SimDuration::ZERO;
                if !ok {
                    c.issue(format!("{p}.for"), "`for` must be greater than zero");
                }
                ok
            }),
            None => None,
        };
        let group = |c: &mut Checker| -> Option<u16> {
            let Some(name) = &f.station else {
                c.issue(&p, "this fault needs `station`");
                return None;
            };
            let g = groups
                .iter()
                .position(|g| &g.name == name)
                .map(|g| g as u16);
            if g.is_none() {
                c.issue(
                    format!("{p}.station"),
                    format!(
                        "unknown station \"{name}\": expected one of {}",
                        groups
                            .iter()
                            .map(|g| g.name.as_str())
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                );
            }
            g
        };
        let stray = |c: &mut Checker, key: &str, present: bool, kind: &str| {
            if present {
                c.issue(
                    format!("{p}.{key}"),
                    format!("a `{kind}` fault does not take `{key}`"),
                );
            }
        };
        let kind = match f.kind.as_deref() {
            Some("slow") => {
                stray(c, "mode", f.mode.is_some(), "slow");
                stray(c, "decline_rate", f.decline_rate.is_some(), "slow");
                let g = group(c);
                let factor = match f.factor {
                    Some(x) => c.positive_f64(&format!("{p}.factor"), x, false),
                    None => {
                        c.issue(&p, "a `slow` fault needs `factor`, e.g. factor = 5.0");
                        None
                    }
                };
                g.zip(factor)
                    .map(|(group, factor)| FaultKind::Slow { group, factor })
            }
            Some("outage") => {
                stray(c, "factor", f.factor.is_some(), "outage");
                stray(c, "decline_rate", f.decline_rate.is_some(), "outage");
                let g = group(c);
                let hang = match f.mode.as_deref() {
                    None | Some("fail_fast") => Some(false),
                    Some("hang") => Some(true),
                    Some(m) => {
                        c.issue(
                            format!("{p}.mode"),
                            format!(
                                "unknown outage mode \"{m}\": expected \"fail_fast\" or \"hang\""
                            ),
                        );
                        None
                    }
                };
                g.zip(hang)
                    .map(|(group, hang)| FaultKind::Outage { group, hang })
            }
            Some("cache_flush") => {
                for (key, present) in [
                    ("station", f.station.is_some()),
                    ("factor", f.factor.is_some()),
                    ("mode", f.mode.is_some()),
                    ("decline_rate", f.decline_rate.is_some()),
                    ("for", f.lasts.is_some()),
                ] {
                    stray(c, key, present, "cache_flush");
                }
                Some(FaultKind::CacheFlush)
            }
            Some("payment_declines") => {
                for (key, present) in [
                    ("station", f.station.is_some()),
                    ("factor", f.factor.is_some()),
                    ("mode", f.mode.is_some()),
                ] {
                    stray(c, key, present, "payment_declines");
                }
                match f.decline_rate {
                    Some(r) if (0.0..=1.0).contains(&r) => {
                        Some(FaultKind::PaymentDeclines { rate: r })
                    }
                    Some(r) => {
                        c.issue(
                            format!("{p}.decline_rate"),
                            format!("`decline_rate` must be between 0 and 1, found {r}"),
                        );
                        None
                    }
                    None => {
                        c.issue(&p, "a `payment_declines` fault needs `decline_rate`, e.g. decline_rate = 0.4");
                        None
                    }
                }
            }
            Some(other) => {
                c.issue(
                    format!("{p}.kind"),
                    format!("unknown fault kind \"{other}\": expected one of {FAULT_KINDS}"),
                );
                None
            }
            None => {
                c.issue(&p, format!("a fault needs `kind`: one of {FAULT_KINDS}"));
                None
            }
        };
        if kind.as_ref().is_some_and(|k| *k != FaultKind::CacheFlush) && f.lasts.is_none() {
            c.issue(&p, "this fault needs `for`, e.g. for = \"10m\"");
        }
        if let (Some(at), Some(kind)) = (at, kind) {
            out.push(Fault { at, lasts, kind });
        }
    }
    out
}
