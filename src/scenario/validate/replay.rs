//! `[load] type = "replay"`: one session at each instant of a CSV trace.
//!
//! The trace has a header line and one arrival per row: `t`, seconds from
//! the start, or `timestamp`, an RFC 3339 instant (the first row is then
//! t = 0); an optional `action` column names the session's first action
//! (otherwise `[behavior] start` chooses it). Instants must not decrease.

use std::sync::Arc;

use super::load::SessionOps;
use super::*;

/// The fastest playback a scenario may ask for.
const MAX_SPEED: f64 = 1e6;

pub(super) fn replay_load(c: &mut Checker, l: &LoadFile, ops: &SessionOps<'_>) -> Option<Load> {
    let stray = [
        ("rate", l.rate.is_some()),
        ("stages", l.stages.is_some()),
        ("users", l.users.is_some()),
        ("ramp_up", l.ramp_up.is_some()),
    ];
    for (key, _) in stray.iter().filter(|k| k.1) {
        c.issue(
            format!("load.{key}"),
            format!("`{key}` does not belong to type = \"replay\": the trace gives the arrivals (it takes file, speed)"),
        );
    }
    let speed = match l.speed {
        Some(s) => c.at_most("load.speed", s, false, MAX_SPEED, "times"),
        None => Some(1.0),
    };
    let Some(file) = l.file.as_deref() else {
        c.issue("load", "a replayed load needs `file`: a CSV trace with a `t` (seconds) or `timestamp` (RFC 3339) column");
        return None;
    };
    let read = c.read_data("load", file, l.sha256.as_deref())?;
    let (times, firsts) = match trace(&read.text, ops) {
        Ok(t) => t,
        Err((line, message)) => {
            c.issue("load.file", format!("{}:{line}: {message}", read.shown));
            return None;
        }
    };
    let trace = Trace {
        name: read.name,
        sha256: read.sha256,
        times,
        firsts,
    };
    Some(Load::Replay {
        trace: Arc::new(trace),
        speed: speed?,
    })
}

type Parsed = (Vec<u64>, Option<Vec<Op>>);

/// The instants (ns) and first actions of a trace; a problem is `(line,
/// message)`.
fn trace(text: &str, ops: &SessionOps<'_>) -> Result<Parsed, (usize, String)> {
    let mut r = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    let headers = r
        .headers()
        .map_err(|e| (1, format!("cannot read the header: {e}")))?
        .clone();
    let col = |name: &str| headers.iter().position(|h| h == name);
    let (t, stamp, action) = (col("t"), col("timestamp"), col("action"));
    let time_col = match (t, stamp) {
        (Some(_), Some(_)) => {
            return Err((1, "give `t` or `timestamp`, not both".into()));
        }
        (Some(i), None) | (None, Some(i)) => i,
        (None, None) => {
            let have: Vec<&str> = headers.iter().collect();
            return Err((
                1,
                format!(
                    "no `t` (seconds) or `timestamp` (RFC 3339) column: the header has {}",
                    have.join(", ")
                ),
            ));
        }
    };
    let mut times = Vec::new();
    let mut firsts = action.map(|_| Vec::new());
    let mut origin: Option<chrono::DateTime<chrono::FixedOffset>> = None;
    for rec in r.records() {
        let rec =
            rec.map_err(|e| (e.position().map_or(1, |p| p.line() as usize), e.to_string()))?;
        let line = rec.position().map_or(1, |p| p.line() as usize);
        let cell = rec.get(time_col).unwrap_or("");
        let ns = if stamp.is_some() {
            let at = chrono::DateTime::parse_from_rfc3339(cell).map_err(|e| {
                (line, format!("\"{cell}\" is not an RFC 3339 timestamp ({e}), e.g. 2025-11-28T09:00:00.250Z"))
            })?;
            let first = *origin.get_or_insert(at);
            let d = at.signed_duration_since(first);
            match d.num_nanoseconds() {
                Some(n) if n >= 0 => n as f64,
                _ => -1.0,
            }
        } else {
            match cell.parse::<f64>() {
                Ok(s) if s.is_finite() && s >= 0.0 => s * 1e9,
                _ => {
                    return Err((
                        line,
                        format!(
                            "\"{cell}\" is not a time in seconds (a finite number, zero or more)"
                        ),
                    ));
                }
            }
        };
        if ns > MAX_DURATION_NS {
            return Err((
                line,
                "the arrival lies more than 10000h after the start".into(),
            ));
        }
        let ns = if ns < 0.0 {
            None
        } else {
            Some(ns.round() as u64)
        };
        match (ns, times.last()) {
            (Some(n), Some(&prev)) if n < prev => {
                return Err((
                    line,
                    format!("the instants must not decrease: \"{cell}\" is before the row above"),
                ));
            }
            (None, _) => {
                return Err((
                    line,
                    format!("the instants must not decrease: \"{cell}\" is before the first row"),
                ));
            }
            (Some(n), _) => times.push(n),
        }
        if let (Some(i), Some(firsts)) = (action, firsts.as_mut()) {
            let name = rec.get(i).unwrap_or("");
            match ops.find(name) {
                Some(op) => firsts.push(op),
                None => {
                    return Err((
                        line,
                        format!("unknown action \"{name}\": expected one of {}", ops.names()),
                    ));
                }
            }
        }
    }
    if times.is_empty() {
        return Err((1, "the trace holds no arrivals".into()));
    }
    Ok((times, firsts))
}

/// The distinct first actions a replayed trace gives (none for other
/// loads): sessions can start there, so they count as reachable.
pub(super) fn trace_starts(load: Option<&Load>) -> Vec<Op> {
    let mut out: Vec<Op> = match load {
        Some(Load::Replay { trace, .. }) => trace.firsts.clone().unwrap_or_default(),
        _ => Vec::new(),
    };
    out.sort();
    out.dedup();
    out
}
