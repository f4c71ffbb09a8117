//! The capacity plan as text (an aligned table, each line behind a
//! prefix: `# ` after `ecsim validate`'s TOML, nothing on `ecsim run`'s
//! console) and as CSV (`ecsim validate --format csv`): the same numbers.

use std::fmt::Write;

use super::{CapacityPlan, Stage};

fn secs(s: f64) -> String {
    if s.fract() == 0.0 {
        format!("{s:.0}s")
    } else {
        format!("{s:.3}s")
    }
}

fn rates(st: &Stage) -> String {
    if st.rates.0 == st.rates.1 {
        format!("{:.4} sessions/s", st.rates.0)
    } else {
        format!("{:.4} -> {:.4} sessions/s", st.rates.0, st.rates.1)
    }
}

impl CapacityPlan {
    /// The stage with the highest session rate (the last of equals).
    pub fn peak_stage(&self) -> usize {
        (0..self.stages.len())
            .max_by(|&a, &b| self.stages[a].peak().total_cmp(&self.stages[b].peak()))
            .unwrap_or(0)
    }
}

/// The plan as an aligned table, every line starting with `prefix`.
pub fn to_text(plan: &CapacityPlan, prefix: &str) -> String {
    let mut lines: Vec<String> = Vec::new();
    lines.push(
        "capacity plan (analytic, before running: see docs/model.md#capacity-plan)".to_owned(),
    );
    if let Some(c) = &plan.closed {
        lines.push(format!(
            "closed load: {} users, think {:.3} s and demand {:.3} s per session: at most N/(Z+D) = {:.4} sessions/s",
            c.users, c.think_s, c.demand_s, c.bound
        ));
    }
    for (k, st) in plan.stages.iter().enumerate() {
        lines.push(format!(
            "stage {}: {} to {}, {}",
            k + 1,
            secs(st.from_s),
            secs(st.to_s),
            rates(st)
        ));
    }
    if let Some(h) = &plan.cache_hit_rate {
        let list: Vec<String> = h.iter().map(|x| format!("{x:.4}")).collect();
        lines.push(format!(
            "cache hit rate by stage (Che's approximation): {}",
            list.join(" ")
        ));
    }
    let peak = plan.peak_stage();
    let mut head = vec![
        "station".to_owned(),
        "workers".to_owned(),
        "visits/session".to_owned(),
        "service_ms".to_owned(),
        "demand_ms".to_owned(),
    ];
    for k in 1..=plan.stages.len() {
        head.push(format!("erlangs[{k}]"));
        head.push(format!("rho[{k}]"));
    }
    let mut rows = vec![head];
    for s in &plan.stations {
        let mut row = vec![
            plain(&s.name),
            s.workers.get(peak).copied().unwrap_or(0).to_string(),
            format!("{:.4}", s.visits.get(peak).copied().unwrap_or(0.0)),
            format!("{:.3}", s.service_s * 1e3),
            format!("{:.3}", s.demand_s.get(peak).copied().unwrap_or(0.0) * 1e3),
        ];
        for (a, r) in s.erlangs.iter().zip(&s.rho) {
            row.push(format!("{a:.3}"));
            row.push(format!("{r:.3}{}", if *r >= 1.0 { "!" } else { "" }));
        }
        rows.push(row);
    }
    let widths: Vec<usize> = (0..rows[0].len())
        .map(|c| rows.iter().map(|r| r[c].len()).max().unwrap_or(0))
        .collect();
    for r in &rows {
        let cells: Vec<String> = r
            .iter()
            .enumerate()
            .map(|(c, x)| {
                if c == 0 {
                    format!("{x:<w$}", w = widths[c])
                } else {
                    format!("{x:>w$}", w = widths[c])
                }
            })
            .collect();
        lines.push(cells.join("  ").trim_end().to_owned());
    }
    match plan.bottleneck {
        Some(b) => {
            let s = &plan.stations[b];
            lines.push(format!(
                "bottleneck: {} ({} workers, {:.3} ms of demand per session): at most {:.4} sessions/s",
                plain(&s.name),
                s.workers.get(peak).copied().unwrap_or(0),
                s.demand_s.get(peak).copied().unwrap_or(0.0) * 1e3,
                s.max_rate
            ));
        }
        None => lines.push("bottleneck: none (no station serves sessions)".to_owned()),
    }
    let over: Vec<String> = plan
        .overloaded()
        .map(|s| {
            let stages: Vec<String> = s
                .rho
                .iter()
                .enumerate()
                .filter(|x| *x.1 >= 1.0)
                .map(|(k, r)| format!("stage {} rho {r:.3}", k + 1))
                .collect();
            format!("{} ({})", plain(&s.name), stages.join(", "))
        })
        .collect();
    if over.is_empty() {
        lines.push("overloaded (rho >= 1): none".to_owned());
    } else {
        lines.push(format!(
            "OVERLOADED (rho >= 1, the queue grows without bound): {}",
            over.join("; ")
        ));
    }
    let mut out = String::new();
    for l in lines {
        // Writing to a String cannot fail.
        let _ = writeln!(out, "{prefix}{l}");
    }
    out
}

/// The plan as CSV: one row per station and stage.
pub fn to_csv(plan: &CapacityPlan) -> String {
    let mut out = String::from(
        "stage,from_s,to_s,sessions_per_s,station,workers,visits_per_session,service_ms,demand_ms,erlangs,rho,max_sessions_per_s,bottleneck,overloaded\n",
    );
    for (k, st) in plan.stages.iter().enumerate() {
        for (i, s) in plan.stations.iter().enumerate() {
            let rho = s.rho.get(k).copied().unwrap_or(0.0);
            // Writing to a String cannot fail.
            let _ = writeln!(
                out,
                "{},{},{},{:.6},{},{},{:.9},{:.6},{:.6},{:.6},{:.6},{},{},{}",
                k + 1,
                st.from_s,
                st.to_s,
                st.peak(),
                csv_field(&s.name),
                s.workers.get(k).copied().unwrap_or(0),
                s.visits.get(k).copied().unwrap_or(0.0),
                s.service_s * 1e3,
                s.demand_s.get(k).copied().unwrap_or(0.0) * 1e3,
                s.erlangs.get(k).copied().unwrap_or(0.0),
                rho,
                if s.max_rate.is_finite() {
                    format!("{:.6}", s.max_rate)
                } else {
                    String::new()
                },
                plan.bottleneck == Some(i),
                rho >= 1.0
            );
        }
    }
    out
}

/// A name on one line whatever it holds (a newline in a station name
/// would end a `#` comment).
fn plain(s: &str) -> String {
    s.chars()
        .flat_map(|c| {
            let e: Vec<char> = if c.is_control() {
                c.escape_default().collect()
            } else {
                vec![c]
            };
            e
        })
        .collect()
}

/// A CSV field, quoted when it holds a comma, a quote or a line break.
fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_owned()
    }
}
