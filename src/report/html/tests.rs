//! Structure tests of `report.html`: built from a real short run, the
//! page has every chart and table, its tables hold the CSV files' cells,
//! it references nothing outside itself, and scenario strings are escaped.

use std::collections::BTreeMap;

use super::charts::{FAULT, QUIET, hex};
use super::render;
use super::timeline::Timeline;
use crate::metrics::result::RunResult;
use crate::report::Report;
use crate::scenario::{Scenario, load_str};

/// A small shop touching every operation, the cache, doorbusters, a coupon
/// whose code and a description full of markup, and two thresholds (one
/// failing).
const SHOP: &str = r#"
[scenario]
name = "html_test"
description = "<script>alert('x')</script> & \"quotes\""
seed = 3
duration = "90s"
warmup = "10s"
report_interval = "10s"

[load]
type = "open"
rate = 30.0
think_time = { dist = "exponential", mean = "2s" }

[behavior]
start = { home = 0.5, search = 0.2, view_product = 0.3 }

[behavior.transitions]
home = { browse = 0.5, search = 0.2, leave = 0.3 }
browse = { view_product = 0.8, leave = 0.2 }
search = { view_product = 0.8, leave = 0.2 }
view_product = { add_to_cart = 0.3, view_product = 0.3, leave = 0.4 }
add_to_cart = { view_cart = 0.3, checkout = 0.5, leave = 0.2 }
view_cart = { checkout = 0.7, leave = 0.3 }
checkout = { order_status = 0.3, leave = 0.7 }
order_status = { leave = 1.0 }

[catalog]
products = 500
categories = 10
doorbusters = { count = 2, stock = 30, discount_pct = 50 }

[customers]
registered = 200
coupon_share = 0.5

[[coupons]]
code = "<B&'\">"
kind = "percent"
value = 10

[cache]
capacity = 200

[admin]
restock_rate = 0.1

[stations.payment]
workers = 1

[thresholds]
checkout.p99_ms = "< 5000"
ALL.p50_ms = "< 0.000001"
"#;

/// The scenario of `text`, its resolved text and one run of it.
fn run(text: &str) -> (Scenario, String, RunResult) {
    let loaded = load_str("t.toml", "t", text, &[], None).expect("valid scenario");
    let mut runs = Vec::new();
    crate::runner::simulate(
        &loaded.scenario,
        1,
        None,
        usize::MAX,
        &|_, _| true,
        &mut |r| runs.push(r),
    )
    .expect("the shop builds");
    (loaded.scenario, loaded.resolved_toml, runs.remove(0))
}

fn report() -> Report {
    let (sc, resolved, r) = run(SHOP);
    Report::build(&sc, &[r], resolved, 0.0)
}

fn unescape(s: &str) -> String {
    s.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&amp;", "&")
}

/// The text of every body cell of table `id`, row by row.
fn table(html: &str, id: &str) -> Vec<Vec<String>> {
    let start = html
        .find(&format!("<table id=\"{id}\""))
        .unwrap_or_else(|| panic!("table {id}"));
    let end = start + html[start..].find("</table>").expect("table end");
    let body = &html[start..end];
    let body = &body[body.find("<tbody>").expect("tbody")..];
    body.split("<tr")
        .skip(1)
        .map(|row| {
            row.split("<td")
                .skip(1)
                .map(|cell| {
                    let text = &cell[cell.find('>').expect("td >") + 1..];
                    let text = text.split("</td>").next().unwrap_or_default();
                    // A link inside the cell: keep its text.
                    let text = match text.strip_prefix("<a ") {
                        Some(a) => &a[a.find('>').expect("a >") + 1..a.len() - 4],
                        None => text,
                    };
                    unescape(text)
                })
                .collect()
        })
        .collect()
}

/// The records of a CSV file of the report.
fn csv_rows(r: &Report, file: &str) -> Vec<Vec<String>> {
    let f = r
        .files()
        .into_iter()
        .find(|f| f.path == file)
        .unwrap_or_else(|| panic!("{file}"));
    let mut rd = ::csv::Reader::from_reader(f.bytes.as_slice());
    rd.records()
        .map(|rec| rec.expect("record").iter().map(str::to_owned).collect())
        .collect()
}

#[test]
fn the_page_is_self_contained() {
    let html = render(&report());
    assert!(html.starts_with("<!DOCTYPE html>\n<html lang=\"en\">"));
    assert!(html.ends_with("</html>\n"));
    assert_eq!(html.matches("<style>").count(), 1, "one stylesheet, inline");
    let lower = html.to_lowercase();
    for banned in [
        "<script", "http://", "https://", "url(", "@import", "<link", "<img", "<iframe", "src=",
    ] {
        assert!(!lower.contains(banned), "found {banned}");
    }
    // Every link is to a file of the report or an anchor of the page.
    for href in html.split("href=\"").skip(1) {
        let target = &href[..href.find('"').expect("quoted")];
        assert!(
            target.starts_with('#') || crate::contract::names::is_report_file(target),
            "{target}"
        );
    }
}

#[test]
fn every_chart_is_there() {
    let r = report();
    let html = render(&r);
    for title in [
        "Arrival rate and throughput",
        "Offered load, throughput and goodput",
        "Errors by kind",
        "Cache hit rate",
        "p99 latency by operation",
        "Latency percentile distribution",
        "Station utilization",
        "Queue length",
        "Doorbuster stock",
    ] {
        let at = html
            .find(&format!("<h3>{title}</h3>"))
            .unwrap_or_else(|| panic!("no figure {title}"));
        let fig = &html[at..at + html[at..].find("</figure>").expect("figure end")];
        assert!(fig.contains("<svg class=\"chart\""), "{title} has no chart");
    }
    // One card per operation, each with two charts.
    let ops: Vec<&str> = r
        .summary
        .iter()
        .map(|s| s.operation.as_str())
        .filter(|o| *o != crate::contract::names::ALL)
        .collect();
    for op in &ops {
        let at = html
            .find(&format!("id=\"op-{op}\""))
            .unwrap_or_else(|| panic!("no card for {op}"));
        let card = &html[at..at + html[at..].find("</div></div>").expect("card end")];
        assert_eq!(card.matches("<svg").count(), 2, "{op}");
    }
    assert_eq!(html.matches("<svg").count(), 9 + 2 * ops.len());
    // Each operation's line in the distribution chart has its colour.
    let color = super::charts::hex(super::charts::op_color("checkout")).to_uppercase();
    assert!(html.contains(&format!("stroke=\"{color}\"")));
    // Page size: light.
    assert!(html.len() < 1_000_000, "{} bytes", html.len());
}

#[test]
fn tables_hold_the_csv_cells() {
    let r = report();
    let html = render(&r);
    // One run: the summary without its (empty) confidence-interval columns.
    let header = crate::contract::names::summary_header();
    let summary: Vec<Vec<String>> = csv_rows(&r, "summary.csv")
        .into_iter()
        .map(|row| {
            row.into_iter()
                .zip(&header)
                .filter(|(_, h)| !h.ends_with("_ci95"))
                .map(|(cell, _)| cell)
                .collect()
        })
        .collect();
    assert_eq!(
        summary[0].len(),
        14,
        "operation, 11 metrics, attempts, goodput"
    );
    assert_eq!(table(&html, "t-summary"), summary);
    for (id, file, columns) in [
        ("t-stations", "stations.csv", 15),
        ("t-cache", "cache.csv", 7),
        ("t-errors", "errors.csv", 3),
        ("t-thresholds", "thresholds.csv", 4),
        ("t-invariants", "invariants.csv", 4),
    ] {
        let csv = csv_rows(&r, file);
        assert!(!csv.is_empty(), "{file} has rows");
        let page = table(&html, id);
        let csv: Vec<Vec<String>> = csv.into_iter().map(|row| row[..columns].to_vec()).collect();
        assert_eq!(page, csv, "{id} differs from {file}");
    }
    let mut business = table(&html, "t-business");
    business.extend(table(&html, "t-business-2"));
    assert_eq!(business, csv_rows(&r, "business.csv"));
}

#[test]
fn header_shows_the_run_and_the_verdicts() {
    let r = report();
    let html = render(&r);
    let header = &html[..html.find("</header>").expect("header")];
    assert!(header.contains("<h1>html_test</h1>"));
    assert!(header.contains("<dt>seed</dt><dd>3</dd>"));
    assert!(header.contains("<dt>duration</dt><dd>1 min 30 s</dd>"));
    assert!(header.contains("<dt>clock</dt><dd>virtual</dd>"));
    assert!(header.contains(&format!(
        "<dt>ecsim</dt><dd>{}</dd>",
        env!("CARGO_PKG_VERSION")
    )));
    assert!(header.contains("✗ 1 of 2 thresholds failed"), "{header}");
    assert!(header.contains("invariants hold"));
    // The failing threshold's row is marked.
    assert!(html.contains("<tr class=\"fail\"><td>ALL.p50_ms</td>"));
}

#[test]
fn scenario_strings_are_escaped() {
    let r = report();
    assert!(
        r.business.iter().any(|(k, _)| k.contains("<B&'\">")),
        "the coupon's metric carries its code"
    );
    let html = render(&r);
    assert!(
        html.contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;quotes&quot;")
    );
    assert!(html.contains("coupon_redemptions.&lt;B&amp;&#39;&quot;&gt;"));
    assert!(!html.contains("<B&"), "no raw coupon code");
    assert!(!html.contains("alert('x')"), "no raw description");
}

#[test]
fn same_report_same_bytes() {
    let a = render(&report());
    let b = render(&report());
    assert!(a == b, "render is deterministic");
    // Wall-clock facts never reach the page.
    let mut r = report();
    r.run.elapsed_s = 123.0;
    assert!(render(&r) == a);
}

#[test]
fn tables_cells_parse_back() {
    // The helper above, on a hand-made table.
    let html = "<table id=\"x\"><tbody>\n<tr><td>a&amp;b</td><td class=\"n\"><a href=\"p/report.html\">p</a></td></tr>\n</tbody></table>";
    let t: BTreeMap<usize, Vec<String>> = table(html, "x").into_iter().enumerate().collect();
    assert_eq!(t[&0], vec!["a&b".to_string(), "p".to_string()]);
}

#[test]
fn rates_over_time_are_a_replications_average() {
    let (sc, _, r) = run(SHOP);
    let one = Report::build(&sc, std::slice::from_ref(&r), String::new(), 0.0);
    let two = Report::build(&sc, &[r.clone(), r], String::new(), 0.0);
    // Two identical replications: every count doubles, no rate moves.
    let lines = |rep: &Report| Timeline::new(rep).throughput().lines;
    assert_eq!(lines(&two), lines(&one));
    assert!(lines(&one)[0].points.iter().any(|p| p.1 > 0.0));
}

/// A window of payment declines and an instant cache flush.
const FAULTS: &str = r#"
[[faults]]
kind = "payment_declines"
at = "30s"
for = "20s"
decline_rate = 0.2

[[faults]]
kind = "cache_flush"
at = "60s"
"#;

/// The `<figure>` titled `title`.
fn figure_of<'a>(html: &'a str, title: &str) -> &'a str {
    let at = html
        .find(&format!("<h3>{title}</h3>"))
        .unwrap_or_else(|| panic!("no figure {title}"));
    &html[at..at + html[at..].find("</figure>").expect("figure end")]
}

/// The value of attribute `name` in SVG element `el`.
fn attr(el: &str, name: &str) -> f64 {
    let el = format!(" {el}");
    let at = el.find(&format!(" {name}=\"")).expect("attribute") + name.len() + 3;
    let v = &el[at..at + el[at..].find(['"', ',']).expect("value end")];
    v.parse().expect("a number")
}

/// The `<TAG …>` elements of `svg` drawn in `color`.
fn elements<'a>(svg: &'a str, tag: &str, color: (u8, u8, u8)) -> Vec<&'a str> {
    let color = format!("\"{}\"", hex(color).to_uppercase());
    svg.split(&format!("<{tag} "))
        .skip(1)
        .map(|e| &e[..e.find('>').expect("element end")])
        .filter(|e| e.contains(&color))
        .collect()
}

#[test]
fn the_load_chart_marks_each_fault_where_it_happened() {
    let (sc, resolved, r) = run(&format!("{SHOP}{FAULTS}"));
    let html = render(&Report::build(&sc, &[r], resolved, 0.0));
    let fig = figure_of(&html, "Offered load, throughput and goodput");
    // The warmup ends at 10 s and the drain starts at 90 s: pixels there.
    let quiet = elements(fig, "rect", QUIET);
    assert_eq!(quiet.len(), 2, "warmup and drain");
    let (p10, p90) = (
        attr(quiet[0], "x") + attr(quiet[0], "width"),
        attr(quiet[1], "x"),
    );
    let px = |t: f64| p10 + (t - 10.0) / 80.0 * (p90 - p10);
    let band = elements(fig, "rect", FAULT);
    assert_eq!(band.len(), 1, "one window: {band:?}");
    let (x, w) = (attr(band[0], "x"), attr(band[0], "width"));
    assert!(
        (x - px(30.0)).abs() <= 1.5,
        "opens at 30 s: {x} vs {}",
        px(30.0)
    );
    assert!((x + w - px(50.0)).abs() <= 1.5, "closes at 50 s");
    let line = elements(fig, "polyline", FAULT);
    assert_eq!(line.len(), 1, "the flush is a line");
    assert!((attr(line[0], "points") - px(60.0)).abs() <= 1.5);
    assert!(fig.contains("payment_declines 20%") && fig.contains("cache_flush"));
}

#[test]
fn the_load_chart_plots_calls_completions_and_successes_per_second() {
    use crate::report::fixture::{all_row, empty, scenario};
    let sc = scenario("");
    let mut r = empty(&sc, 15.0);
    let all = |t_s, count, errors, retries| all_row(&sc, t_s, count, errors, retries);
    // 10 s, then the last 5 s.
    r.series = vec![all(0.0, 50, 10, 20), all(10.0, 30, 0, 0)];
    let report = Report::build(&sc, &[r], String::new(), 0.0);
    let chart = Timeline::new(&report).load();
    let lines: Vec<(&str, Vec<(f64, f64)>)> = chart
        .lines
        .iter()
        .map(|l| {
            (
                l.name.split(':').next().unwrap_or_default(),
                l.points.clone(),
            )
        })
        .collect();
    assert_eq!(
        lines,
        [
            ("throughput", vec![(0.0, 5.0), (10.0, 6.0)]),
            ("goodput", vec![(0.0, 4.0), (10.0, 6.0)]),
            ("offered", vec![(0.0, 7.0), (10.0, 6.0)]),
        ]
    );
}
