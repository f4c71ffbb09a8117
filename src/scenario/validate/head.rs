//! `[scenario]`: the run's name, seed, duration, warmup, report interval
//! and replications, with their defaults.
//!
//! The name must be usable as the report directory's name; the warmup must
//! end before the duration; the report interval defaults to a sixtieth of
//! the duration in whole seconds, at least one.

use super::*;

/// Most replications of one run.
const MAX_REPLICATIONS: i64 = 10_000;
/// Most report intervals over the duration.
const MAX_INTERVALS: u64 = 100_000;
/// Longest scenario name (it names the report directory; file systems
/// allow 255 bytes, and `-sweep` and temporaries are added to it).
const MAX_NAME: usize = 100;

/// A name usable as a directory's: letters, digits, `-`, `_`, `.`.
fn name_char(ch: char) -> bool {
    ch.is_ascii_alphanumeric() || "-_.".contains(ch)
}

/// The default name, from the file's stem (`my scenario (copy)` becomes
/// `my_scenario_copy`), so that any file can run.
fn default_name(stem: &str) -> String {
    let mut out = String::new();
    for ch in stem.chars() {
        let ch = if name_char(ch) { ch } else { '_' };
        if !(ch == '_' && out.ends_with('_')) {
            out.push(ch);
        }
    }
    let out: String = out
        .trim_matches(|c| c == '_' || c == '.')
        .chars()
        .take(MAX_NAME)
        .collect();
    if out.is_empty() {
        "scenario".to_owned()
    } else {
        out
    }
}

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
    let name = s
        .name
        .clone()
        .unwrap_or_else(|| self::default_name(default_name));
    let name_ok = !name.is_empty() && name != "." && name != ".." && name.chars().all(name_char);
    if !name_ok {
        c.issue(
            "scenario.name",
            format!("name \"{name}\" must be non-empty and use only letters, digits, `-`, `_` and `.` (it names the report directory)"),
        );
    } else if name.len() > MAX_NAME {
        c.issue(
            "scenario.name",
            format!("name must be at most {MAX_NAME} characters (it names the report directory), found {}", name.len()),
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
            } else if let (Some(i), Some(d)) = (v, duration)
                && d.as_nanos() / i.as_nanos().max(1) > MAX_INTERVALS
            {
                c.issue(
                    "scenario.report_interval",
                    format!("must give at most {MAX_INTERVALS} intervals over the duration {d}, found {i} (each interval is a row per operation of timeseries.csv and gauges.csv)"),
                );
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

#[cfg(test)]
mod tests {
    use super::default_name;

    #[test]
    fn any_file_name_gives_a_usable_default_name() {
        assert_eq!(default_name("my scenario (copy)"), "my_scenario_copy");
        assert_eq!(default_name("black_friday"), "black_friday");
        assert_eq!(default_name("(((("), "scenario");
        assert_eq!(default_name(&"x".repeat(300)).len(), 100);
    }
}
