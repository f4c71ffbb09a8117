//! The fitted scenario as TOML text, each estimate with its sample size in
//! a `#` comment:
//!
//! - `[load]`: an open load whose `stages` hold each interval's session
//!   count / interval as a constant rate (a stage at the interval's start
//!   and one a millisecond before its end), and `think_time` as a
//!   `percentiles` distribution of the gaps within sessions;
//! - `[behavior]`: start probabilities and the transition table (with
//!   `leave`), each the observed share;
//! - `[admin]`: the rate of each admin operation the map names;
//! - a custom operation gets a placeholder route: one station whose
//!   service time is the operation's observed response time
//!   (`NAME_service`);
//! - everything else (catalog, customers, cache, stations) as the
//!   defaults, commented out, taken from the validated scenario itself.
//!
//! The text is validated before it is returned: what `fit` writes runs.

use std::fmt::Write as _;

use hdrhistogram::Histogram;

use super::map::{Map, Target};
use super::sessions::Sessions;
use super::{Options, Tally};
use crate::contract::action::Action;
use crate::model::access::civil_from_days;
use crate::scenario::{ScenarioError, load_str};

/// The percentile points of a fitted distribution.
const POINTS: [(&str, f64); 12] = [
    ("p1", 0.01),
    ("p5", 0.05),
    ("p10", 0.10),
    ("p25", 0.25),
    ("p50", 0.50),
    ("p75", 0.75),
    ("p90", 0.90),
    ("p95", 0.95),
    ("p99", 0.99),
    ("p999", 0.999),
    ("p9999", 0.9999),
    ("max", 1.0),
];

/// `v` to three significant digits: the histogram's own precision.
fn sig3(v: u64) -> u64 {
    let mut scale = 1;
    while v / scale >= 1000 {
        scale *= 10;
    }
    (v + scale / 2) / scale * scale
}

/// A duration of `us` microseconds as scenario text.
fn duration(us: u64) -> String {
    if us.is_multiple_of(1_000_000) {
        format!("{}s", us / 1_000_000)
    } else if us.is_multiple_of(1000) {
        format!("{}ms", us / 1000)
    } else {
        let frac = format!("{:03}", us % 1000);
        format!("{}.{}ms", us / 1000, frac.trim_end_matches('0'))
    }
}

/// `h` (microseconds) as a distribution: percentiles at the points the
/// sample supports (p999 from 1,000 samples, p9999 from 10,000; `max`
/// only below 1,000), strictly increasing and above zero; a constant when
/// fewer than two such points remain.
pub fn distribution(h: &Histogram<u64>) -> String {
    let n = h.len();
    let mut pts: Vec<(&str, u64)> = Vec::new();
    for (key, q) in POINTS {
        let enough = match key {
            "p999" => n >= 1000,
            "p9999" => n >= 10_000,
            "max" => n < 1000,
            _ => true,
        };
        if !enough {
            continue;
        }
        let v = sig3(if key == "max" {
            h.max()
        } else {
            h.median_equivalent(h.value_at_quantile(q))
        });
        if v > 0 && pts.last().is_none_or(|&(_, last)| v > last) {
            pts.push((key, v));
        }
    }
    if pts.len() < 2 {
        let v = sig3(h.median_equivalent(h.value_at_quantile(0.5)));
        return format!("{{ dist = \"constant\", value = \"{}\" }}", duration(v));
    }
    let body: Vec<String> = pts
        .iter()
        .map(|(k, v)| format!("{k} = \"{}\"", duration(*v)))
        .collect();
    format!("{{ dist = \"percentiles\", {} }}", body.join(", "))
}

/// Counts as probabilities in millionths summing to exactly 1 (the
/// largest takes the rounding), zero counts left out.
fn shares(counts: &[(String, u64)]) -> String {
    let n: u64 = counts.iter().map(|c| c.1).sum();
    let mut micro: Vec<(&str, i64)> = counts
        .iter()
        .filter(|c| c.1 > 0)
        .map(|(k, c)| (k.as_str(), (*c as f64 / n as f64 * 1e6).round() as i64))
        .collect();
    let total: i64 = micro.iter().map(|m| m.1).sum();
    if let Some(big) = (0..micro.len()).max_by_key(|&i| micro[i].1) {
        micro[big].1 += 1_000_000 - total;
    }
    let body: Vec<String> = micro
        .iter()
        .map(|(k, m)| format!("{k} = {}", *m as f64 / 1e6))
        .collect();
    format!("{{ {} }}", body.join(", "))
}

/// The admin key of an admin operation.
fn admin_key(a: Action) -> &'static str {
    match a {
        Action::Restock => "restock_rate",
        Action::PriceChange => "price_change_rate",
        Action::CreateCoupon => "coupon_rate",
        Action::ShipOrder => "ship_rate",
        Action::DeliverOrder => "deliver_rate",
        Action::CancelOrder => "cancel_rate",
        _ => "refund_rate",
    }
}

/// Epoch milliseconds as `2026-11-27T00:00:00Z` (milliseconds dropped).
fn rfc3339(ms: i64) -> String {
    let sec = ms.div_euclid(1000);
    let (y, m, d) = civil_from_days(sec.div_euclid(86_400));
    let s = sec.rem_euclid(86_400);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        s / 3600,
        s / 60 % 60,
        s % 60
    )
}

/// Rounds a rate to six decimals.
fn rate(x: f64) -> f64 {
    (x * 1e6).round() / 1e6
}

/// The fitted scenario of `s` and `tally`, validated.
pub fn scenario(
    s: &Sessions,
    tally: &Tally,
    map: &Map,
    opts: &Options,
) -> Result<String, ScenarioError> {
    let names: Vec<String> = map
        .targets
        .iter()
        .filter_map(|t| match t {
            Target::Session(n) => Some(n.clone()),
            Target::Admin(_) => None,
        })
        .collect();
    let first = s.arrivals.keys().next().copied().unwrap_or(0);
    let last = s.arrivals.keys().next_back().copied().unwrap_or(0);
    let iv = opts.interval_ms;
    let intervals = (last - first + 1).max(1);
    let mut t = String::new();
    let w = &mut t;
    let _ = writeln!(w, "# Fitted by `ecsim fit` from {}:", opts.source);
    let _ = writeln!(
        w,
        "# {} lines: {} requests in sessions, {} admin requests, {} not mapped, {} rejected.",
        tally.lines,
        s.requests,
        tally.admin.iter().map(|a| a.1).sum::<u64>(),
        tally.unmapped,
        tally.bad
    );
    let _ = writeln!(
        w,
        "# {} sessions (per remote host and user agent, cut at gaps over {} s).",
        s.sessions(),
        opts.gap_ms as f64 / 1000.0
    );
    let _ = writeln!(
        w,
        "# Each estimate's sample size is in the comment beside it.\n"
    );
    let _ = writeln!(w, "[scenario]\nname = {:?}", opts.name);
    let _ = writeln!(
        w,
        "description = \"Fitted from {} by ecsim fit\"",
        opts.source.replace(['"', '\\'], "_")
    );
    let _ = writeln!(
        w,
        "duration = \"{}\"",
        duration((intervals * iv) as u64 * 1000)
    );
    let _ = writeln!(w, "report_interval = \"{}\"\n", duration(iv as u64 * 1000));
    let _ = writeln!(w, "[load]\ntype = \"open\"");
    let _ = writeln!(
        w,
        "# sessions started per interval of {}, from {} on",
        duration(iv as u64 * 1000),
        rfc3339(first * iv)
    );
    let _ = writeln!(w, "stages = [");
    for k in 0..intervals {
        let count = s.arrivals.get(&(first + k)).copied().unwrap_or(0);
        let r = rate(count as f64 * 1000.0 / iv as f64);
        let at = |ms: i64| duration(ms as u64 * 1000);
        let _ = writeln!(
            w,
            "  {{ at = \"{}\", rate = {r} }}, # n = {count}",
            at(k * iv)
        );
        let _ = writeln!(w, "  {{ at = \"{}\", rate = {r} }},", at((k + 1) * iv - 1));
    }
    let _ = writeln!(w, "]");
    let _ = writeln!(
        w,
        "# n = {} gaps between a response and the session's next request",
        s.think.len()
    );
    if s.think.is_empty() {
        let _ = writeln!(
            w,
            "think_time = {{ dist = \"constant\", value = \"0s\" }}\n"
        );
    } else {
        let _ = writeln!(w, "think_time = {}\n", distribution(&s.think));
    }
    let starts: Vec<(String, u64)> = names
        .iter()
        .cloned()
        .zip(s.starts.iter().copied())
        .collect();
    let _ = writeln!(w, "[behavior]\n# n = {} sessions", s.sessions());
    let _ = writeln!(w, "start = {}\n\n[behavior.transitions]", shares(&starts));
    for (i, name) in names.iter().enumerate() {
        let row = &s.transitions[i];
        let n: u64 = row.iter().sum();
        if n == 0 {
            continue;
        }
        let mut counts: Vec<(String, u64)> =
            names.iter().cloned().zip(row.iter().copied()).collect();
        counts.push(("leave".into(), row[names.len()]));
        let _ = writeln!(w, "{name} = {} # n = {n}", shares(&counts));
    }
    let span_s = (intervals * iv) as f64 / 1000.0;
    if !tally.admin.is_empty() {
        let _ = writeln!(w, "\n[admin]");
        for (a, count) in &tally.admin {
            let _ = writeln!(
                w,
                "{} = {} # n = {count}",
                admin_key(*a),
                rate(*count as f64 / span_s)
            );
        }
    }
    for (i, name) in names.iter().enumerate() {
        if Action::from_name(name).is_some() || s.transitions[i].iter().sum::<u64>() == 0 {
            continue;
        }
        let took = &s.took[i];
        let _ = writeln!(
            w,
            "\n# {name}: its route is not in the log; this placeholder is one station whose\n\
             # service time is the observed response time (n = {}). Replace it with the real one.",
            took.len()
        );
        let _ = writeln!(w, "[operations.{name}]\nroute = [\"{name}_service\"]");
        let dist = if took.is_empty() {
            "{ dist = \"constant\", value = \"1ms\" }".to_owned()
        } else {
            distribution(took)
        };
        let _ = writeln!(
            w,
            "[stations.{name}_service]\nworkers = 10000\nservice_time = {dist}"
        );
    }
    let loaded = load_str(
        &format!("{} (fitted)", opts.source),
        &opts.name,
        &t,
        &[],
        None,
    )?;
    t.push_str(&defaults(&loaded.resolved_toml, &t));
    Ok(t)
}

/// The tables of `resolved` that `fitted` does not set, commented out.
fn defaults(resolved: &str, fitted: &str) -> String {
    let mut out = String::from(
        "\n# The shop and the backend were not in the log: these are the defaults.\n\
         # Uncomment and set what you know.\n",
    );
    let mut keep = false;
    for l in resolved.lines() {
        if let Some(h) = l.strip_prefix('[') {
            let name = h.trim_start_matches('[').trim_end_matches(']');
            let top = name.split('.').next().unwrap_or(name);
            keep = !["scenario", "load", "behavior", "admin", "operations"].contains(&top)
                && !fitted.contains(&format!("[{name}]"));
            if keep {
                out.push('\n');
            }
        }
        if keep && !l.trim().is_empty() {
            out.push_str("# ");
            out.push_str(l);
            out.push('\n');
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shares_sum_to_one_in_millionths_and_skip_zeros() {
        let c = |v: &[(&str, u64)]| -> Vec<(String, u64)> {
            v.iter().map(|(k, n)| (k.to_string(), *n)).collect()
        };
        assert_eq!(
            shares(&c(&[("a", 1), ("b", 1), ("c", 1), ("d", 0)])),
            "{ a = 0.333333, b = 0.333333, c = 0.333334 }"
        );
        assert_eq!(shares(&c(&[("leave", 7)])), "{ leave = 1 }");
    }

    #[test]
    fn distributions_keep_increasing_points_above_zero() {
        let mut h = Histogram::<u64>::new_with_bounds(1, 1 << 40, 3).expect("bounds");
        for v in 1..=100u64 {
            h.record(v * 10_000).expect("in range");
        }
        let d = distribution(&h);
        assert!(
            d.starts_with("{ dist = \"percentiles\", p1 = \"10ms\", p5 = \"50ms\""),
            "{d}"
        );
        assert!(
            d.contains("p50 = \"500ms\"") && d.ends_with("max = \"1s\" }"),
            "{d}"
        );
        let mut flat = Histogram::<u64>::new_with_bounds(1, 1 << 40, 3).expect("bounds");
        flat.record_n(2_000_000, 50).expect("in range");
        assert_eq!(
            distribution(&flat),
            "{ dist = \"constant\", value = \"2s\" }"
        );
        assert_eq!(duration(1_500), "1.5ms");
        assert_eq!(rfc3339(1_795_737_600_000), "2026-11-27T00:00:00Z");
    }
}
