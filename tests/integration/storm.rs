//! `scenarios/retry_storm.toml`: a one-minute slowdown, client timeouts
//! and retries without backoff or budget keep the shop down long after the
//! trigger (a metastable failure); a retry budget, or cancellation with
//! exponential backoff and full jitter, bring it back. Goodput is
//! successful operations per report interval (10 s), from timeseries.csv.

use std::path::{Path, PathBuf};

use crate::util::*;

/// The slowdown: from 5 to 6 minutes.
const WINDOW: (f64, f64) = (300.0, 360.0);

fn storm() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("scenarios/retry_storm.toml")
}

/// `(interval start s, successes, operations)` of the ALL rows.
fn goodput(dir: &Path) -> Vec<(f64, f64, f64)> {
    read_csv(&dir.join("timeseries.csv"))
        .iter()
        .filter(|r| r["operation"] == "ALL")
        .map(|r| {
            let (count, errors) = (num(r, "count"), num(r, "errors"));
            (num(r, "t_s"), count - errors, count)
        })
        .collect()
}

/// Mean successes per interval, and the success share, before `trigger`.
fn baseline(g: &[(f64, f64, f64)], trigger: f64) -> (f64, f64) {
    let before: Vec<_> = g.iter().filter(|r| r.0 + 10.0 <= trigger).collect();
    assert!(
        before.len() >= 6,
        "{} intervals before the trigger",
        before.len()
    );
    let ok: f64 = before.iter().map(|r| r.1).sum();
    let all: f64 = before.iter().map(|r| r.2).sum();
    (ok / before.len() as f64, ok / all)
}

/// `--set` arguments giving every gateway call site `key=value`.
fn at_every_site(key: &str, value: &str) -> Vec<String> {
    ["home", "view_product", "add_to_cart", "checkout"]
        .iter()
        .flat_map(|a| {
            [
                "--set".to_owned(),
                format!("routes.{a}.prepend.0.{key}={value}"),
            ]
        })
        .collect()
}

fn run_storm(s: &Scratch, out: &str, extra: &[String]) -> Vec<(f64, f64, f64)> {
    let args: Vec<&str> = extra.iter().map(String::as_str).collect();
    goodput(&s.run_ok(&storm(), out, &args))
}

#[test]
fn the_storm_keeps_goodput_down_for_ten_minutes_after_the_slowdown() {
    let s = Scratch::new();
    let g = run_storm(&s, "storm", &[]);
    let (base, _) = baseline(&g, WINDOW.0);
    // Every interval from 1 to 10 minutes after the window closed.
    let after: Vec<_> = g
        .iter()
        .filter(|r| r.0 >= WINDOW.1 + 60.0 && r.0 + 10.0 <= WINDOW.1 + 600.0)
        .collect();
    assert_eq!(after.len(), 54);
    for r in after {
        assert!(
            r.1 < 0.1 * base,
            "goodput {} at {} s, baseline {base}",
            r.1,
            r.0
        );
    }
}

/// The success share is back within 2 points of its baseline from 2
/// minutes after the window on, and stays there.
fn recovers(g: &[(f64, f64, f64)], what: &str) {
    let (_, share) = baseline(g, WINDOW.0);
    let back: Vec<_> = g
        .iter()
        .filter(|r| r.0 >= WINDOW.1 + 120.0 && r.2 > 0.0 && r.0 + 10.0 <= 1020.0)
        .collect();
    assert!(back.len() > 50, "{what}: {} intervals", back.len());
    for r in back {
        let s = r.1 / r.2;
        assert!(
            s > share - 0.02,
            "{what}: success share {s:.3} at {} s, baseline {share:.3}",
            r.0
        );
    }
}

#[test]
fn a_retry_budget_prevents_the_storm() {
    let s = Scratch::new();
    let g = run_storm(
        &s,
        "budget",
        &at_every_site("retry.budget", "{ratio=0.1,min_per_s=10}"),
    );
    recovers(&g, "budget");
}

#[test]
fn cancellation_with_jittered_exponential_backoff_prevents_the_storm() {
    let s = Scratch::new();
    let mut args = at_every_site("cancel", "true");
    args.extend(at_every_site(
        "retry.backoff",
        "{base=\"50ms\",jitter=\"full\"}",
    ));
    let g = run_storm(&s, "cancel", &args);
    recovers(&g, "cancel + backoff");
}

#[test]
fn the_storm_happens_on_the_wall_clock_too() {
    // Compressed tenfold, and shorter: 100 s with a 20 s slowdown at 30 s.
    let s = Scratch::alone();
    let args: Vec<String> = [
        "--clock",
        "wall",
        "--time-scale",
        "0.1",
        "--set",
        "scenario.duration=100s",
        "--set",
        "scenario.warmup=0s",
        "--set",
        "faults.0.at=30s",
        "--set",
        "faults.0.for=20s",
    ]
    .map(str::to_owned)
    .to_vec();
    let g = run_storm(&s, "wall", &args);
    let before: Vec<_> = g.iter().filter(|r| r.0 + 10.0 <= 30.0).collect();
    let base = before.iter().map(|r| r.1).sum::<f64>() / before.len() as f64;
    assert!(
        base > 500.0,
        "a healthy start: {base} successes per interval"
    );
    for r in g.iter().filter(|r| r.0 >= 50.0 && r.0 + 10.0 <= 100.0) {
        assert!(
            r.1 < 0.5 * base,
            "goodput {} at {} s, baseline {base}",
            r.1,
            r.0
        );
    }
}

#[test]
fn impatient_customers_who_reload_keep_every_invariant_of_the_shop() {
    // The payment gateway slows and hangs: customers give up after 3 s,
    // and reload half the actions that fail. Money still adds up.
    let s = Scratch::new();
    let sc = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("scenarios/payment_outage.toml");
    let dir = s.run_ok(
        &sc,
        "impatient",
        &[
            "--set",
            r#"customers.patience={dist="constant",value="3s"}"#,
            "--set",
            r#"customers.retry_on_error={p=0.5,after={dist="constant",value="1s"}}"#,
        ],
    );
    for r in read_csv(&dir.join("invariants.csv")) {
        assert_eq!(r["violations"], "0", "{} violated", r["name"]);
    }
    let errors = read_csv(&dir.join("errors.csv"));
    assert!(num(row(&errors, "kind", "abandoned"), "count") > 1000.0);
}
