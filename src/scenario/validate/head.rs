//! `[scenario]`: the run's name, seed, duration, warmup, report interval
//! and replications, with their defaults.
//!
//! The name must be usable as the report directory's name; the warmup must
//! end before the duration; the report interval defaults to a sixtieth of
//! the duration in whole seconds, at least one.

use super::*;

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

pub(super) fn scenario_section(
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
