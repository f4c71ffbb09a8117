//! The HTML pages from the real binary: `report.html` of every run,
//! `compare --html FILE` and `sweep.html`.

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

#[test]
fn compare_html_overlays_both_distributions() {
    let s = Scratch::new();
    let sc = s.scenario("pay.toml", &PAY.replace("checkout.p99_ms = \"< 800\"", ""));
    let base = s.run_ok(&sc, "base", &[]);
    let cand = s.run_ok(&sc, "cand", &["--set", "stations.payment.workers=7"]);
    let (b, c) = (base.to_str().expect("utf-8"), cand.to_str().expect("utf-8"));
    let page_path = s.path("pages/cmp.html");
    let o = run(&[
        "compare",
        b,
        c,
        "--fail-if",
        "checkout.p99_ms > +10%",
        "--html",
        page_path.to_str().expect("utf-8"),
    ]);
    assert_eq!(
        o.status.code(),
        Some(1),
        "the regression still decides the exit code: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    let page = fs::read_to_string(&page_path).expect("compare page");
    no_external_reference(&page);
    for name in ["ALL", "checkout", "add_to_cart"] {
        assert!(page.contains(&format!("<h3>{name}</h3>")), "{name}");
    }
    assert!(page.contains(&format!("base: {b}")) && page.contains(&format!("candidate: {c}")));
    assert!(page.contains("1 of 1 rules found a regression"));
    assert!(page.contains("<td>checkout.p99_ms</td>"));
    let leftovers = fs::read_dir(s.path("pages"))
        .expect("ls")
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().contains("ecsim-tmp"))
        .count();
    assert_eq!(leftovers, 0);

    // An unwritable page: exit 4, after the comparison was printed.
    let blocker = s.path("blocked");
    fs::write(&blocker, "a file").expect("write");
    let o = run(&[
        "compare",
        b,
        c,
        "--html",
        blocker.join("cmp.html").to_str().expect("utf-8"),
    ]);
    assert_eq!(o.status.code(), Some(4));
    assert!(String::from_utf8_lossy(&o.stderr).contains("cannot write"));
    assert!(String::from_utf8_lossy(&o.stdout).contains("checkout.p99_ms"));

    // A damaged histogram is a usage error, like a damaged CSV.
    fs::write(cand.join("histograms/checkout.hgrm"), "1.0 oops 3\n").expect("write");
    let o = run(&[
        "compare",
        b,
        c,
        "--html",
        page_path.to_str().expect("utf-8"),
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("checkout.hgrm"));
}

#[test]
fn sweep_writes_sweep_html_next_to_sweep_csv() {
    let s = Scratch::new();
    let sc = s.scenario("pay.toml", PAY);
    let out = s.path("sweep");
    let o = run(&[
        "sweep",
        sc.to_str().expect("utf-8"),
        "--vary",
        "stations.payment.workers=7,9,12",
        "--out",
        out.to_str().expect("utf-8"),
        "-q",
    ]);
    assert!(o.status.code() == Some(0) || o.status.code() == Some(1));
    let page = fs::read_to_string(out.join("sweep.html")).expect("sweep.html");
    no_external_reference(&page);
    for r in read_csv(&out.join("sweep.csv")) {
        let name = &r["point"];
        assert!(page.contains(&format!("<a href=\"{name}/report.html\">{name}</a>")));
        assert!(out.join(name).join("report.html").exists());
        assert!(page.contains(&format!("<td class=\"n\">{}</td>", r["checkout.p99_ms"])));
    }
    assert!(page.contains("<h3>checkout.p99_ms</h3>"));
    assert!(page.contains("threshold &lt; 800"));
}

#[test]
fn compare_help_documents_html() {
    let o = run(&["compare", "--help"]);
    let help = String::from_utf8_lossy(&o.stdout);
    assert!(help.contains("--html <FILE>"), "{help}");
    assert!(help.contains("self-contained HTML"), "{help}");
}
