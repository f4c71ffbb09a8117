//! Customers driving the real shop, end to end.

use std::path::PathBuf;

use crate::util::*;

fn bundled(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("scenarios")
        .join(format!("{name}.toml"))
}

fn business(dir: &std::path::Path) -> Rows {
    read_csv(&dir.join("business.csv"))
}

fn metric(rows: &Rows, name: &str) -> f64 {
    num(row(rows, "metric", name), "value")
}

fn assert_invariants_hold(dir: &std::path::Path) {
    let inv = read_csv(&dir.join("invariants.csv"));
    // I13 (cache bounds) is absent when the cache is disabled.
    assert!(inv.len() >= 13, "every invariant is listed: {inv:?}");
    for r in &inv {
        assert_eq!(
            r["violations"],
            "0",
            "{} {} violated in {}",
            r["invariant"],
            r["name"],
            dir.display()
        );
        if ["I1", "I2", "I12", "I14"].contains(&r["invariant"].as_str()) {
            assert!(
                num(r, "checked") > 0.0,
                "{} checked nothing",
                r["invariant"]
            );
        }
    }
}

#[test]
fn black_friday_sells_out_the_doorbusters_and_the_coupon() {
    let s = Scratch::new();
    let dir = s.run_ok(&bundled("black_friday"), "bf", &[]);
    assert_invariants_hold(&dir);
    let b = business(&dir);
    assert!(
        metric(&b, "sessions") >= 1_000_000.0,
        "at least a million sessions"
    );
    assert_eq!(
        metric(&b, "doorbusters_sold_out"),
        5.0,
        "all five doorbusters sell out"
    );
    let first = metric(&b, "first_doorbuster_sold_out_s");
    assert!(
        (1800.0..1800.0 + 900.0).contains(&first),
        "the first doorbuster sells out within minutes of the doors opening at 30m: {first}"
    );
    assert_eq!(
        metric(&b, "coupon_redemptions.DOORS20"),
        3000.0,
        "the limited coupon runs dry exactly at its limit"
    );
    let errors = read_csv(&dir.join("errors.csv"));
    assert!(
        errors
            .iter()
            .any(|e| e["operation"] == "checkout" && e["kind"] == "coupon_exhausted")
    );
    assert!(
        errors
            .iter()
            .any(|e| e["operation"] == "add_to_cart" && e["kind"] == "out_of_stock")
    );
    // The payment gateway is the bottleneck at the peak.
    let stations = read_csv(&dir.join("stations.csv"));
    let pay = row(&stations, "station", "payment");
    assert!(
        num(pay, "utilization") > 0.5 && num(pay, "max_queue_len") > 100.0,
        "{pay:?}"
    );
    assert!(metric(&b, "revenue") > 0.0 && metric(&b, "orders_paid") > 100_000.0);
}

#[test]
fn every_bundled_scenario_keeps_every_invariant() {
    let s = Scratch::new();
    for name in [
        "steady_state",
        "flash_sale",
        "cache_tuning",
        "payment_outage",
        "ci_smoke",
        "mmc",
    ] {
        let dir = s.run_ok(&bundled(name), name, &[]);
        assert_invariants_hold(&dir);
    }
}

#[test]
fn twenty_seeds_of_the_flash_sale_and_the_outage_keep_every_invariant() {
    let s = Scratch::new();
    for name in ["flash_sale", "payment_outage"] {
        // 20 replications are 20 independent worlds with 20 seeds; an
        // invariant violated in any of them is reported (and exits 3).
        let dir = s.run_ok(&bundled(name), name, &["--replications", "20"]);
        assert_invariants_hold(&dir);
        let b = business(&dir);
        assert!(metric(&b, "orders_placed") > 0.0);
    }
    let fs = business(&s.path("flash_sale"));
    assert_eq!(
        metric(&fs, "coupon_redemptions.FLASH30"),
        20.0 * 1000.0,
        "the coupon runs dry in every world"
    );
}

#[test]
fn payment_outage_shows_its_faults() {
    let s = Scratch::new();
    let dir = s.run_ok(&bundled("payment_outage"), "po", &[]);
    let errors = read_csv(&dir.join("errors.csv"));
    let count = |kind: &str| {
        errors
            .iter()
            .filter(|e| e["kind"] == kind)
            .map(|e| num(e, "count"))
            .sum::<f64>()
    };
    assert!(count("timeout") > 0.0, "the hang times requests out");
    let series = read_csv(&dir.join("timeseries.csv"));
    let p99_at = |t: f64| {
        num(
            series
                .iter()
                .find(|r| r["operation"] == "checkout" && num(r, "t_s") == t)
                .expect("interval"),
            "p99_ms",
        )
    };
    assert!(
        p99_at(1200.0) > 3.0 * p99_at(600.0),
        "checkout slows during the slow-gateway window"
    );
    let b = business(&dir);
    assert!(
        metric(&b, "payment_declines") > metric(&b, "orders_placed") * 0.03,
        "declines rise during the decline window"
    );
    assert!(
        metric(&b, "payment_retries") > 0.0,
        "gateway timeouts are retried"
    );
}

#[test]
fn a_broken_checkout_is_caught_by_the_invariant_check() {
    let s = Scratch::new();
    let out = s.path("broken");
    let o = run(&[
        "run",
        bundled("ci_smoke").to_str().expect("utf-8"),
        "--out",
        out.to_str().expect("utf-8"),
        "-q",
        "--inject-bug",
        "keep-reservation-on-decline",
    ]);
    assert_eq!(o.status.code(), Some(3));
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(
        stderr.contains("invariant I3 no_leaked_reservations violated"),
        "{stderr}"
    );
    assert!(
        stderr.contains("replay with: ecsim run") && stderr.contains("--seed 1"),
        "{stderr}"
    );
    let inv = read_csv(&out.join("invariants.csv"));
    assert!(
        num(row(&inv, "invariant", "I3"), "violations") > 0.0,
        "the report records it"
    );
}

#[test]
fn admins_work_the_order_lifecycle_and_the_money_still_adds_up() {
    let s = Scratch::new();
    let dir = s.run_ok(&bundled("steady_state"), "ss", &[]);
    assert_invariants_hold(&dir);
    let b = business(&dir);
    for stage in [
        "orders_shipped",
        "orders_delivered",
        "orders_cancelled",
        "orders_refunded",
    ] {
        assert!(metric(&b, stage) > 100.0, "{stage}: {}", metric(&b, stage));
    }
    // Every order placed is in exactly one state.
    let states: f64 = [
        "orders_awaiting_payment",
        "orders_cancelled",
        "orders_refunded",
    ]
    .iter()
    .map(|m| metric(&b, m))
    .sum::<f64>()
        + metric(&b, "orders_paid");
    let unpaid_shipped = metric(&b, "orders_placed") - states;
    assert!(
        (0.0..=metric(&b, "orders_shipped")).contains(&unpaid_shipped),
        "placed = paid + awaiting + cancelled + refunded + shipped cash on delivery"
    );
    // Cancellations of paid orders and returns give money back.
    assert!(metric(&b, "refunded") > 0.0);
    let summary = read_csv(&dir.join("summary.csv"));
    for op in [
        "ship_order",
        "deliver_order",
        "cancel_order",
        "refund_order",
    ] {
        let r = row(&summary, "operation", op);
        assert!(num(r, "count") > 0.0 && num(r, "errors") == 0.0, "{r:?}");
    }
}
