//! The compact summary printed on stdout at the end of a run.

use std::fmt::Write;

use super::Report;

fn pct(v: f64) -> String {
    format!("{:.2}%", v * 100.0)
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
        "ecsim {} · scenario {} · seed {} · {} clock{}",
        env!("CARGO_PKG_VERSION"),
        r.scenario,
        r.seed,
        r.clock,
        if r.partial {
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
    for st in &report.stations {
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
    let _ = writeln!(s, "\nreport: {out_dir}");
    s
}
