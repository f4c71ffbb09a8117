//! The compact summary printed on stdout at the end of a run.

use std::fmt::Write;

use super::{Report, StationRow};

fn pct(v: f64) -> String {
    format!("{:.2}%", v * 100.0)
}

/// The warning for a station seen taking work faster than it serves it,
/// with what the capacity plan said of that station (the same plan the
/// console shows before the run: one feature, not two).
pub fn unstable_line(
    u: &crate::metrics::watch::Unstable,
    plan: Option<&crate::scenario::capacity::CapacityPlan>,
) -> String {
    format!(
        "warning: the system is unstable: station {}'s queue grew at {} checks in a row, to {} requests at t={:.1}s (+{:.0}/s); it takes work faster than it serves it{}",
        u.station,
        crate::metrics::watch::RISING_CHECKS,
        u.queue,
        u.at_s,
        u.growth_per_s,
        plan.map_or_else(String::new, |p| format!("; {}", p.verdict(&u.station)))
    )
}

/// Renders the console summary of `report`, written to `out_dir`.
pub fn render(report: &Report, out_dir: &str) -> String {
    let r = &report.run;
    let mut s = String::new();
    let rate = if r.elapsed_s > 0.0 {
        r.events as f64 / r.elapsed_s
    } else {
        0.0
    };
    // Writing to a String cannot fail.
    let _ = writeln!(
        s,
        "ecsim {} · scenario {} · seed {}{} · {} clock{}",
        env!("CARGO_PKG_VERSION"),
        r.scenario,
        r.seed,
        if r.replications > 1 {
            format!(" · {} replications", r.replications)
        } else {
            String::new()
        },
        r.clock,
        if r.diverged.is_some() {
            " · PARTIAL (the model diverged)"
        } else if r.partial {
            " · PARTIAL (interrupted)"
        } else {
            ""
        }
    );

    let _ = writeln!(
        s,
        "{} sessions · {:.1} s simulated · {} events in {:.2} s ({:.2}M events/s)\n",
        r.sessions,
        r.sim_end_s,
        r.events,
        r.elapsed_s,
        rate / 1e6
    );
    if let Some(w) = &r.wall {
        if w.tasks > 0 {
            let _ = writeln!(s, "stress: {} tasks on {} threads", w.tasks, w.threads);
        } else {
            let _ = writeln!(
                s,
                "wall clock ×{} on {} threads · up to {} sessions in flight · generator lag p50 {:.3} ms, p99 {:.3} ms, max {:.3} ms · {} late starts",
                w.time_scale,
                w.threads,
                w.peak_sessions,
                w.schedule_lag_ms[0],
                w.schedule_lag_ms[1],
                w.schedule_lag_ms[2],
                w.late_starts
            );
        }
        let share = if w.lock_acquisitions > 0 {
            w.lock_contended as f64 / w.lock_acquisitions as f64
        } else {
            0.0
        };
        let _ = writeln!(
            s,
            "inventory locks: {} acquisitions, {} contended ({})\n",
            w.lock_acquisitions,
            w.lock_contended,
            pct(share)
        );
    }
    let _ = writeln!(
        s,
        "{:<14} {:>10} {:>8} {:>10} {:>10} {:>10} {:>10}",
        "operation", "count", "errors", "p50_ms", "p95_ms", "p99_ms", "max_ms"
    );
    for o in &report.summary {
        let _ = writeln!(
            s,
            "{:<14} {:>10} {:>8} {:>10.3} {:>10.3} {:>10.3} {:>10.3}",
            o.operation,
            o.count,
            pct(o.error_rate),
            o.p50_ms,
            o.p95_ms,
            o.p99_ms,
            o.max_ms
        );
    }
    let _ = writeln!(
        s,
        "\n{:<14} {:>8} {:>8} {:>13} {:>12} {:>10}",
        "station", "workers", "util", "mean_wait_ms", "p99_wait_ms", "max_queue"
    );
    for st in station_lines(&report.stations) {
        let _ = writeln!(
            s,
            "{:<14} {:>8} {:>8} {:>13.3} {:>12.3} {:>10}",
            st.station,
            st.workers,
            pct(st.utilization),
            st.mean_wait_ms,
            st.p99_wait_ms,
            st.max_queue_len
        );
    }
    for c in &report.cache {
        let _ = writeln!(
            s,
            "\ncache {}: hit rate {} ({} lookups, {} evictions, {} expirations)",
            c.cache,
            pct(c.hit_rate),
            c.lookups,
            c.evictions,
            c.expirations
        );
    }
    if report.business.len() > 1 {
        let _ = writeln!(s, "\nbusiness");
        for (k, v) in &report.business {
            let _ = writeln!(s, "  {k:<34} {:>16}", super::csv::business_value(*v));
        }
    }
    let broken: Vec<_> = report
        .invariants
        .iter()
        .filter(|i| !i.violations.is_empty())
        .collect();
    if broken.is_empty() {
        let _ = writeln!(
            s,
            "\ninvariants: all {} hold ✓ ({})",
            report.invariants.len(),
            report
                .invariants
                .iter()
                .map(|i| i.id.as_str())
                .collect::<Vec<_>>()
                .join(" ")
        );
    } else {
        let _ = writeln!(s, "\ninvariants");
        for i in &report.invariants {
            let mark = if i.violations.is_empty() {
                "✓"
            } else {
                "✗"
            };
            let _ = writeln!(
                s,
                "  {mark} {} {} ({} checked, {} violations)",
                i.id,
                i.name,
                i.checked,
                i.violations.len()
            );
        }
    }
    if !report.thresholds.is_empty() {
        let _ = writeln!(s, "\nthresholds");
        for v in &report.thresholds {
            let mark = if v.pass { "✓" } else { "✗" };
            let _ = writeln!(
                s,
                "  {mark} {} {} (actual {:.3})",
                v.threshold, v.expected, v.actual
            );
        }
    }
    let _ = writeln!(s, "\nreport: {out_dir}");
    s
}

/// Station rows for the console: shards of one station (`name[i]`) are
/// folded into one line `name ×N` with total workers, mean utilization,
/// the request-weighted mean wait and the worst p99 wait and queue.
fn station_lines(rows: &[StationRow]) -> Vec<StationRow> {
    let mut out: Vec<(String, usize, StationRow)> = Vec::new();
    for r in rows {
        let group = r.station.split('[').next().unwrap_or(&r.station).to_owned();
        match out.last_mut() {
            Some((g, n, acc)) if *g == group && r.station.contains('[') => {
                let (wa, wb) = (
                    (acc.served + acc.timed_out) as f64,
                    (r.served + r.timed_out) as f64,
                );
                acc.mean_wait_ms = if wa + wb > 0.0 {
                    (acc.mean_wait_ms * wa + r.mean_wait_ms * wb) / (wa + wb)
                } else {
                    0.0
                };
                acc.utilization = (acc.utilization * *n as f64 + r.utilization) / (*n + 1) as f64;
                acc.workers += r.workers;
                acc.served += r.served;
                acc.timed_out += r.timed_out;
                acc.p99_wait_ms = acc.p99_wait_ms.max(r.p99_wait_ms);
                acc.max_queue_len = acc.max_queue_len.max(r.max_queue_len);
                *n += 1;
            }
            _ => out.push((group, 1, r.clone())),
        }
    }
    out.into_iter()
        .map(|(g, n, mut r)| {
            if n > 1 {
                r.station = format!("{g} ×{n}");
            }
            r
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::result::WallFacts;
    use crate::metrics::watch::Unstable;

    /// The report of the smoke scenario with sharded inventory.
    fn report() -> Report {
        let smoke =
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/ci_smoke.toml");
        let loaded = crate::scenario::load(&smoke, &["stations.inventory.shards=4".into()], None)
            .expect("valid");
        let sc = &loaded.scenario;
        let mut runs = Vec::new();
        crate::runner::simulate(sc, 1, None, usize::MAX, &|_, _| true, &mut |r| runs.push(r))
            .expect("the shop builds");
        Report::build(sc, &runs, String::new(), 2.0)
    }

    #[test]
    fn the_wall_clock_and_stress_facts_are_summarised() {
        let mut r = report();
        r.set_wall(Some(WallFacts {
            time_scale: 0.01,
            threads: 2,
            peak_sessions: 17,
            schedule_lag_ms: [0.1, 0.5, 2.0],
            late_starts: 3,
            lock_acquisitions: 200,
            lock_contended: 50,
            ..WallFacts::default()
        }));
        let s = render(&r, "out");
        assert!(s.contains("· wall clock"), "{s}");
        assert!(
            s.contains("wall clock ×0.01 on 2 threads · up to 17 sessions in flight"),
            "{s}"
        );
        assert!(
            s.contains("generator lag p50 0.100 ms, p99 0.500 ms, max 2.000 ms · 3 late starts")
        );
        assert!(s.contains("inventory locks: 200 acquisitions, 50 contended (25.00%)"));
        let mut stress = report();
        stress.set_wall(Some(WallFacts {
            tasks: 64,
            threads: 2,
            ..WallFacts::default()
        }));
        let s = render(&stress, "out");
        assert!(s.contains("stress: 64 tasks on 2 threads"), "{s}");
        assert!(s.contains("0 contended (0.00%)"), "{s}");
    }

    #[test]
    fn a_partial_diverged_or_broken_run_says_so() {
        let mut r = report();
        r.run.partial = true;
        assert!(render(&r, "out").contains("PARTIAL (interrupted)"));
        r.run.diverged = Some("the model diverged".into());
        assert!(render(&r, "out").contains("PARTIAL (the model diverged)"));
        r.invariants[0]
            .violations
            .push("stock went negative".into());
        let s = render(&r, "out");
        let id = &r.invariants[0].id;
        assert!(s.contains(&format!("✗ {id} ")), "{s}");
        assert!(s.contains("1 violations"), "{s}");
        // Four inventory shards fold into one line.
        assert!(s.contains("inventory ×4"), "{s}");
        assert!(s.ends_with("report: out\n"), "{s}");
    }

    #[test]
    fn an_unstable_station_is_named_with_its_queue_and_growth() {
        let u = Unstable {
            station: "payment".into(),
            at_s: 12.5,
            queue: 4000,
            growth_per_s: 310.4,
        };
        let line = unstable_line(&u, None);
        assert_eq!(
            line,
            "warning: the system is unstable: station payment's queue grew at 5 checks in a row, to 4000 requests at t=12.5s (+310/s); it takes work faster than it serves it"
        );
    }
}
