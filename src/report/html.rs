//! `report.html`: the report as one self-contained page of charts and
//! tables, for people to look at before they read CSV.
//!
//! [`render`] is a pure function of the [`Report`]: the same report gives
//! the same bytes (no wall-clock fact appears on the page), and every
//! number is one the CSV files hold — tables cell for cell (`tables.rs`),
//! charts from the same rows (`timeline.rs`). The page fetches nothing:
//! inline SVG drawn with plotters (`charts.rs`), one `<style>`, no script,
//! no URL; it opens offline and prints. Every string that comes from the
//! scenario is HTML-escaped (`page::esc`).
//!
//! `compare.rs` and `sweep.rs` draw the pages of `ecsim compare --html`
//! and `sweep.html` with the same pieces.

pub mod charts;
pub mod compare;
pub mod page;
pub mod palette;
pub mod sweep;
pub mod tables;
pub mod ticks;
pub mod timeline;

#[cfg(test)]
mod tests;

use std::fmt::Write;

use page::{Tone, badge, esc, figure, latency, percent, section, thousands, tile};
use timeline::Timeline;

use super::Report;
use crate::contract::names::{self, ALL};

/// The HTML report of `r`.
pub fn render(r: &Report) -> String {
    let tl = Timeline::new(r);
    let mut b = String::new();
    b.push_str(
        "<nav><a href=\"#overview\">Overview</a><a href=\"#traffic\">Traffic</a>\
         <a href=\"#latency\">Latency</a><a href=\"#backend\">Backend</a>\
         <a href=\"#shop\">Shop</a><a href=\"#operations\">Operations</a>\
         <a href=\"#tables\">Tables</a></nav>\n",
    );
    b.push_str(&section(
        "overview",
        "Overview",
        "the measured window, warmup excluded",
    ));
    b.push_str(&tiles(r));
    if !r.thresholds.is_empty() {
        b.push_str(&tables::thresholds(r));
    }

    b.push_str(&section(
        "traffic",
        "Traffic",
        "load offered and served, errors",
    ));
    b.push_str("<div class=\"grid\">\n");
    b.push_str(&figure(
        "Arrival rate and throughput",
        "sessions started and requests completed per second, per interval",
        &tl.throughput(),
        true,
    ));
    b.push_str(&figure(
        "Offered load, throughput and goodput",
        "all operations, per second of each interval: requests completed and requests that \
         succeeded, calls made (client retries included) dashed; the scenario's faults in red",
        &tl.load(),
        true,
    ));
    b.push_str(&figure(
        "Errors by kind",
        "failed requests per second, per interval; most frequent first",
        &tl.errors_by_kind(),
        false,
    ));
    if !r.cache.is_empty() {
        b.push_str(&figure(
            "Cache hit rate",
            "catalog cache hits / lookups, per interval",
            &tl.hit_rate(),
            false,
        ));
    }
    b.push_str("</div>\n");

    b.push_str(&section("latency", "Latency", "failed requests included"));
    b.push_str("<div class=\"grid\">\n");
    b.push_str(&figure(
        "p99 latency by operation",
        "99th percentile of the requests completed in each interval; customer operations",
        &tl.percentile_by_op("p99", |s| s.p99_ms),
        true,
    ));
    b.push_str(&figure(
        "Latency percentile distribution",
        "whole run, HdrHistogram style: x is 1/(1−p), so each step right is another nine",
        &timeline::distributions(r),
        true,
    ));
    b.push_str("</div>\n");

    b.push_str(&section(
        "backend",
        "Backend",
        "stations: workers and their queues",
    ));
    b.push_str("<div class=\"grid\">\n");
    b.push_str(&figure(
        "Station utilization",
        "busy worker-time / available worker-time, per interval; busiest first",
        &tl.utilization(),
        false,
    ));
    let (queues, idle) = tl.queue_len();
    let idle_note = if idle.is_empty() {
        "time-average requests waiting, per interval".to_owned()
    } else {
        format!(
            "time-average requests waiting; never queued: {}",
            idle.join(", ")
        )
    };
    b.push_str(&figure("Queue length", &idle_note, &queues, false));
    for (st, chart) in tl.scaling() {
        b.push_str(&figure(
            &format!("Workers of {st}"),
            "mean workers serving and provisioning against the mean queue, per interval",
            &chart,
            false,
        ));
    }
    b.push_str("</div>\n");

    b.push_str(&section("shop", "Shop", "business outcomes"));
    match tl.stock() {
        Some(c) => b.push_str(&figure(
            "Doorbuster stock",
            "units on hand at the end of each interval",
            &c,
            true,
        )),
        None => b.push_str("<p class=\"note\">No doorbusters in this scenario.</p>\n"),
    }
    b.push_str("<div class=\"cols pair\">\n");
    b.push_str(&tables::business(r));
    b.push_str("</div>\n");

    b.push_str(&section(
        "operations",
        "Operations",
        "per operation: latency over time and its percentile distribution",
    ));
    for s in r.summary.iter().filter(|s| s.operation != ALL) {
        b.push_str(&operation_card(r, &tl, s));
    }

    b.push_str(&section("tables", "Tables", "the CSV files, cell for cell"));
    b.push_str(&tables::summary(r));
    b.push_str(&tables::stations(r));
    b.push_str(&tables::cache(r));
    b.push_str(&tables::errors(r));
    b.push_str(&tables::invariants(r));
    b.push_str(&footer(r));

    page::shell(
        &format!("{} · ecsim report", r.run.scenario),
        &header(r),
        &b,
    )
}

fn header(r: &Report) -> String {
    let run = &r.run;
    let mut facts = vec![
        ("seed", run.seed.to_string()),
        ("duration", page::duration(run.duration_s)),
        ("warmup", page::duration(run.warmup_s)),
        ("interval", page::duration(run.report_interval_s)),
        ("ended at", page::duration(run.sim_end_s)),
        ("clock", run.clock.clone()),
    ];
    if run.replications > 1 {
        facts.push(("replications", run.replications.to_string()));
    }
    facts.push(("sessions", thousands(run.sessions as f64, 0)));
    facts.push(("events", thousands(run.events as f64, 0)));
    facts.push(("ecsim", env!("CARGO_PKG_VERSION").to_owned()));
    page::header(
        "ecsim load simulation report",
        &run.scenario,
        &run.description,
        &facts,
        &badges(r),
    )
}

/// Thresholds, invariants and partial-run badges.
pub fn badges(r: &Report) -> String {
    let mut s = String::new();
    let n = r.thresholds.len();
    let failed = r.thresholds.iter().filter(|t| !t.pass).count();
    s.push_str(&if n == 0 {
        badge(Tone::None, "no thresholds")
    } else if failed == 0 {
        badge(Tone::Ok, &format!("✓ thresholds pass ({n}/{n})"))
    } else {
        badge(Tone::Bad, &format!("✗ {failed} of {n} thresholds failed"))
    });
    let broken: Vec<&str> = r
        .invariants
        .iter()
        .filter(|i| !i.violations.is_empty())
        .map(|i| i.id.as_str())
        .collect();
    s.push_str(&if broken.is_empty() {
        badge(
            Tone::Ok,
            &format!("✓ all {} invariants hold", r.invariants.len()),
        )
    } else {
        badge(
            Tone::Bad,
            &format!("✗ invariants violated: {}", broken.join(" ")),
        )
    });
    if r.run.partial {
        s.push_str(&badge(Tone::Warn, "⚠ partial: the run was interrupted"));
    }
    s
}

/// How a tile for `metric` reads: red when a threshold on it failed,
/// green when every threshold on it passed, neutral without one.
fn tone(r: &Report, metric: &str) -> Tone {
    let mut on = r
        .thresholds
        .iter()
        .filter(|t| t.threshold == metric)
        .peekable();
    if on.peek().is_none() {
        Tone::None
    } else if on.all(|t| t.pass) {
        Tone::Ok
    } else {
        Tone::Bad
    }
}

fn tiles(r: &Report) -> String {
    let mut s = String::from("<div class=\"tiles\">\n");
    if let Some(all) = r.op(ALL) {
        s.push_str(&tile(
            tone(r, "ALL.throughput_per_s"),
            "requests",
            &thousands(all.count as f64, 0),
            &format!("{} /s over the window", thousands(all.throughput_per_s, 1)),
        ));
        s.push_str(&tile(
            tone(r, "ALL.error_rate"),
            "error rate",
            &percent(all.error_rate),
            &format!("{} failed", thousands(all.errors as f64, 0)),
        ));
        s.push_str(&tile(
            tone(r, "ALL.p99_ms"),
            "p99, all operations",
            &latency(all.p99_ms),
            &format!(
                "p50 {} · p99.9 {}",
                latency(all.p50_ms),
                latency(all.p999_ms)
            ),
        ));
    }
    let slowest = r
        .summary
        .iter()
        .filter(|s| s.operation != ALL && s.count > 0)
        .max_by(|a, b| a.p99_ms.total_cmp(&b.p99_ms));
    if let Some(op) = slowest {
        s.push_str(&tile(
            tone(r, &format!("{}.p99_ms", op.operation)),
            &format!("slowest p99: {}", op.operation),
            &latency(op.p99_ms),
            &format!("p50 {} · max {}", latency(op.p50_ms), latency(op.max_ms)),
        ));
    }
    if let Some(c) = r.cache.first() {
        s.push_str(&tile(
            tone(r, "cache.hit_rate"),
            "cache hit rate",
            &percent(c.hit_rate),
            &format!("{} lookups", thousands(c.lookups as f64, 0)),
        ));
    }
    let busiest = r
        .stations
        .iter()
        .max_by(|a, b| a.utilization.total_cmp(&b.utilization));
    if let Some(st) = busiest {
        s.push_str(&tile(
            tone(r, &format!("stations.{}.utilization", st.station)),
            &format!("busiest station: {}", st.station),
            &percent(st.utilization),
            &format!(
                "wait p99 {} · max queue {}",
                latency(st.p99_wait_ms),
                st.max_queue_len
            ),
        ));
    }
    let biz = |k: &str| r.business.iter().find(|(n, _)| n == k).map(|(_, v)| *v);
    if let Some(v) = biz("orders_paid") {
        let placed = biz("orders_placed").unwrap_or(v);
        s.push_str(&tile(
            tone(r, "business.orders_paid"),
            "orders paid",
            &thousands(v, 0),
            &format!("of {} placed", thousands(placed, 0)),
        ));
    }
    if let Some(v) = biz("revenue") {
        let aov = biz("average_order_value").unwrap_or(f64::NAN);
        s.push_str(&tile(
            tone(r, "business.revenue"),
            "revenue",
            &thousands(v, 0),
            &format!("average order {}", thousands(aov, 2)),
        ));
    }
    s.push_str("</div>\n");
    s
}

fn operation_card(r: &Report, tl: &Timeline, s: &super::SummaryRow) -> String {
    let color = charts::hex(charts::op_color(&s.operation));
    let mut out = String::new();
    // Writing to a String cannot fail.
    let _ = write!(
        out,
        "<div class=\"card op\" id=\"op-{id}\"><h3><span class=\"sw\" style=\"background:{color}\"></span>{id}</h3>\
         <div class=\"facts\">{} requests · {} /s · errors {} · p50 {} · p95 {} · p99 {} · max {}</div>\n<div class=\"grid\">\n",
        thousands(s.count as f64, 0),
        thousands(s.throughput_per_s, 1),
        percent(s.error_rate),
        latency(s.p50_ms),
        latency(s.p95_ms),
        latency(s.p99_ms),
        latency(s.max_ms),
        id = esc(&s.operation),
    );
    out.push_str(&figure(
        "Latency over time",
        "p50, p95 and p99 per interval",
        &tl.op_latency(&s.operation),
        false,
    ));
    out.push_str(&figure(
        "Percentile distribution",
        "whole run; x is 1/(1−p)",
        &timeline::op_distribution(r, &s.operation),
        false,
    ));
    out.push_str("</div></div>\n");
    out
}

fn footer(r: &Report) -> String {
    let mut files = vec![
        names::SUMMARY,
        names::STATIONS,
        names::CACHE,
        names::ERRORS,
        names::BUSINESS,
        names::INVARIANTS,
        names::TIMESERIES,
        names::GAUGES,
    ];
    if !r.thresholds.is_empty() {
        files.push(names::THRESHOLDS);
    }
    files.extend([names::RESOLVED, names::RUN_JSON]);
    let links: Vec<String> = files
        .iter()
        .map(|f| format!("<a href=\"{f}\">{f}</a>"))
        .collect();
    format!(
        "<footer>Files of this report: {} and histograms/*.hgrm. Charts plot each interval at \
         its start; grey bands are the warmup and the drain (after arrivals stopped), red ones \
         the scenario's faults. \
         Generated by ecsim {}.</footer>\n",
        links.join(" · "),
        env!("CARGO_PKG_VERSION")
    )
}
