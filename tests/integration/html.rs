//! The HTML pages from the real binary: `report.html` of every run.

use std::fs;

use crate::util::*;

/// A short run with a queue at the payment station and thresholds.
const PAY: &str = r#"
[scenario]
name = "pay"
description = "Checkout <b>heavy</b> & quick"
duration = "120s"
warmup = "10s"
report_interval = "5s"

[load]
type = "open"
rate = 40.0

[behavior]
start = "add_to_cart"
[behavior.transitions]
add_to_cart = { checkout = 1.0 }
checkout = { leave = 1.0 }

[catalog]
stock = { dist = "constant", value = 1000000 }

[stations.payment]
workers = 8
service_time = { dist = "exponential", mean = "150ms" }

[thresholds]
checkout.p99_ms = "< 800"
"#;

fn no_external_reference(page: &str) {
    let lower = page.to_lowercase();
    for banned in ["<script", "http://", "https://", "url(", "<link", "src="] {
        assert!(!lower.contains(banned), "found {banned}");
    }
}

#[test]
fn every_run_writes_a_self_contained_report_html() {
    let s = Scratch::new();
    let sc = s.scenario("pay.toml", PAY);
    let dir = s.run_ok(&sc, "out", &[]);
    let page = fs::read_to_string(dir.join("report.html")).expect("report.html");
    no_external_reference(&page);
    assert!(page.contains("<h1>pay</h1>"));
    assert!(page.contains("Checkout &lt;b&gt;heavy&lt;/b&gt; &amp; quick"));
    assert!(page.matches("<svg").count() >= 8, "charts drawn");
    // The p99 in the summary table is the one in summary.csv.
    let summary = read_csv(&dir.join("summary.csv"));
    let p99 = &row(&summary, "operation", "checkout")["p99_ms"];
    assert!(
        page.contains(&format!("<td class=\"n\">{p99}</td>")),
        "{p99}"
    );
    // Same seed, same page.
    let again = s.run_ok(&sc, "again", &[]);
    assert!(
        fs::read(again.join("report.html")).expect("again") == page.as_bytes(),
        "report.html is deterministic"
    );
}
