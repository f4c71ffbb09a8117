//! A station's moving capacity: `schedule`, `[stations.NAME.autoscale]`
//! and `cost_per_hour`.
//!
//! A schedule starts at `0s` (its first count is the starting `workers`,
//! so a `workers` key beside it must agree), its times strictly increase
//! and every count is at least 1. An autoscaler needs `target` and `max`;
//! it starts at `workers` when given (which must lie in `min..=max`), else
//! at `min`. A station takes a schedule or an autoscaler, not both, and a
//! pool (whose permits are its size) takes neither.

use super::*;
use crate::backend::autoscale::{Metric, Rule};

/// What `capacity` found: how the workers move, the starting count and
/// the price of a worker-hour.
pub(super) struct Found {
    pub capacity: Capacity,
    pub workers: u32,
    pub cost_per_hour: f64,
}

/// The capacity keys of station `path` (file `f`), whose `workers`
/// resolved to `workers` (the file's, or the built-in default when
/// `f.workers` is absent).
pub(super) fn capacity(
    c: &mut Checker,
    path: &str,
    f: &StationFile,
    workers: Option<u32>,
    pool: bool,
) -> Option<Found> {
    let cost_per_hour = match f.cost_per_hour {
        Some(p) => c
            .positive_f64(&format!("{path}.cost_per_hour"), p, true)
            .map(|p| p + 0.0),
        None => Some(0.0),
    };
    if pool && (f.schedule.is_some() || f.autoscale.is_some()) {
        let key = if f.schedule.is_some() {
            "schedule"
        } else {
            "autoscale"
        };
        c.issue(
            format!("{path}.{key}"),
            "a pool's permits are its `size`, fixed for the run; a `schedule` or `autoscale` moves the workers of a station of servers",
        );
        return None;
    }
    let found = match (&f.schedule, &f.autoscale) {
        (Some(_), Some(_)) => {
            c.issue(
                format!("{path}.autoscale"),
                "a station follows either a `schedule` or an `autoscale` rule, not both: remove one",
            );
            None
        }
        (Some(s), None) => schedule(c, path, s, f.workers.is_some(), workers?)
            .map(|(steps, w)| (Capacity::Schedule(steps), w)),
        (None, Some(a)) => autoscale(c, &format!("{path}.autoscale"), a, f.workers, workers?)
            .map(|(a, w)| (Capacity::Autoscale(Box::new(a)), w)),
        (None, None) => workers.map(|w| (Capacity::Fixed, w)),
    };
    let (capacity, workers) = found?;
    Some(Found {
        capacity,
        workers,
        cost_per_hour: cost_per_hour?,
    })
}

fn schedule(
    c: &mut Checker,
    path: &str,
    entries: &[ScheduleFile],
    workers_given: bool,
    workers: u32,
) -> Option<(Vec<ScheduleStep>, u32)> {
    let path = format!("{path}.schedule");
    if entries.is_empty() {
        c.issue(
            &path,
            "must have at least one entry, e.g. [{ at = \"0s\", workers = 8 }, { at = \"30m\", workers = 32 }]",
        );
        return None;
    }
    let mut steps = Vec::with_capacity(entries.len());
    let mut ok = true;
    for (i, e) in entries.iter().enumerate() {
        let p = format!("{path}.{i}");
        let at = match e.at.as_deref() {
            Some(t) => c.duration(&format!("{p}.at"), t),
            None => {
                c.issue(&p, "a schedule entry needs `at`, e.g. at = \"30m\"");
                None
            }
        };
        let n = match e.workers {
            Some(n) => c.count(&format!("{p}.workers"), n, 1, MAX_COUNT),
            None => {
                c.issue(&p, "a schedule entry needs `workers`, e.g. workers = 8");
                None
            }
        };
        let (Some(at), Some(n)) = (at, n) else {
            ok = false;
            continue;
        };
        if i == 0 && at != SimDuration::ZERO {
            c.issue(
                format!("{p}.at"),
                "must be \"0s\" in the first entry: it sets the starting workers",
            );
            ok = false;
        }
        if let Some(prev) = steps.last().map(|s: &ScheduleStep| s.at)
            && at <= prev
        {
            c.issue(
                format!("{p}.at"),
                format!(
                    "must come after the previous entry's ({} s): entries are in time order, one per instant",
                    prev.as_secs_f64()
                ),
            );
            ok = false;
        }
        steps.push(ScheduleStep { at, workers: n });
    }
    let start = steps.first()?.workers;
    if workers_given && workers != start {
        c.issue(
            format!("{path}.0.workers"),
            format!(
                "the schedule starts at {start} workers but `workers` says {workers}: leave `workers` out (the first entry sets it) or make them agree"
            ),
        );
        ok = false;
    }
    ok.then_some((steps, start))
}

fn autoscale(
    c: &mut Checker,
    path: &str,
    f: &AutoscaleFile,
    workers_given: Option<i64>,
    workers: u32,
) -> Option<(Autoscale, u32)> {
    let metric = match f.metric.as_deref() {
        None => Some(Metric::Utilization),
        Some(m) => {
            let v = Metric::from_name(m);
            if v.is_none() {
                c.issue(
                    format!("{path}.metric"),
                    format!(
                        "unknown metric \"{m}\": expected one of {}",
                        Metric::NAMES.join(", ")
                    ),
                );
            }
            v
        }
    };
    let target = match f.target {
        None => {
            c.issue(
                path,
                "an autoscaler needs `target`, the metric's value to hold, e.g. target = 0.6",
            );
            None
        }
        Some(t) => c.positive_f64(&format!("{path}.target"), t, false),
    };
    if let (Some(Metric::Utilization), Some(t)) = (metric, target)
        && t > 1.0
    {
        c.issue(
            format!("{path}.target"),
            format!("must be at most 1 for metric \"utilization\" (a worker is busy at most all the time), found {t}"),
        );
    }
    let positive_duration =
        |c: &mut Checker, key: &str, v: Option<&str>, default: SimDuration, zero_ok: bool| {
            let p = format!("{path}.{key}");
            match v {
                None => Some(default),
                Some(t) => match c.duration(&p, t) {
                    Some(SimDuration::ZERO) if !zero_ok => {
                        c.issue(p, "must be greater than zero");
                        None
                    }
                    other => other,
                },
            }
        };
    let period = positive_duration(c, "period", f.period.as_deref(), DEFAULT_PERIOD, false);
    let stabilization = positive_duration(
        c,
        "scale_down_stabilization",
        f.scale_down_stabilization.as_deref(),
        DEFAULT_STABILIZATION,
        true,
    );
    let tolerance = match f.tolerance {
        None => Some(DEFAULT_TOLERANCE),
        Some(t) if t.is_finite() && (0.0..1.0).contains(&t) => Some(t + 0.0),
        Some(t) => {
            c.issue(
                format!("{path}.tolerance"),
                format!("must be zero or more and below 1, found {t}"),
            );
            None
        }
    };
    let min = match f.min {
        None => Some(DEFAULT_MIN),
        Some(n) => c.count(&format!("{path}.min"), n, 1, MAX_COUNT),
    };
    let max = match f.max {
        None => {
            c.issue(
                path,
                "an autoscaler needs `max`, the most workers it may run, e.g. max = 40",
            );
            None
        }
        Some(n) => c.count(&format!("{path}.max"), n, 1, MAX_COUNT),
    };
    let step = |c: &mut Checker, key: &str, v: Option<i64>| match v {
        None => Some(None),
        Some(n) => c.count(&format!("{path}.{key}"), n, 1, MAX_COUNT).map(Some),
    };
    let max_step_up = step(c, "max_step_up", f.max_step_up);
    let max_step_down = step(c, "max_step_down", f.max_step_down);
    let provisioning = match &f.provisioning {
        None => Some(Dist::Constant { value: 0.0 }),
        Some(d) => c.dist(&format!("{path}.provisioning"), d, Unit::Time),
    };
    let (min, max) = (min?, max?);
    if min > max {
        c.issue(
            format!("{path}.min"),
            format!("must be at most `max` ({max}), found {min}"),
        );
        return None;
    }
    let start = if workers_given.is_some() {
        workers
    } else {
        min
    };
    if !(min..=max).contains(&start) {
        let station = path.trim_end_matches(".autoscale");
        c.issue(
            format!("{station}.workers"),
            format!("the starting workers ({start}) must lie between the autoscaler's `min` ({min}) and `max` ({max}); leave `workers` out to start at `min`"),
        );
        return None;
    }
    Some((
        Autoscale {
            metric: metric?,
            rule: Rule {
                target: target?,
                tolerance: tolerance?,
                min,
                max,
                max_step_up: max_step_up?,
                max_step_down: max_step_down?,
                stabilization: stabilization?,
            },
            period: period?,
            provisioning: provisioning?,
        },
        start,
    ))
}
