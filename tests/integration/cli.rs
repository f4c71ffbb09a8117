//! The command line: files written, determinism, overrides, exit codes.

use std::fs;
use std::path::Path;

use crate::util::*;

/// A short scenario touching every default station.
const SHOP: &str = r#"
[scenario]
name = "shop"
duration = "120s"
warmup = "10s"
report_interval = "10s"

[load]
type = "open"
rate = 50.0
think_time = { dist = "exponential", mean = "2s" }

[behavior]
start = { home = 0.6, search = 0.4 }
[behavior.transitions]
home = { browse = 0.5, search = 0.3, leave = 0.2 }
browse = { view_product = 0.8, leave = 0.2 }
search = { view_product = 0.9, leave = 0.1 }
view_product = { add_to_cart = 0.4, browse = 0.3, leave = 0.3 }
add_to_cart = { view_cart = 0.5, checkout = 0.3, view_product = 0.2 }
view_cart = { checkout = 0.7, leave = 0.3 }
checkout = { order_status = 0.5, leave = 0.5 }
order_status = { leave = 1.0 }

[cache]
capacity = 100
ttl = "30s"
"#;

const CSVS: [&str; 5] = [
    "summary.csv",
    "stations.csv",
    "cache.csv",
    "errors.csv",
    "timeseries.csv",
];

fn all_report_bytes(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut files: Vec<(String, Vec<u8>)> = CSVS
        .iter()
        .chain(["scenario.resolved.toml"].iter())
        .map(|f| (f.to_string(), fs::read(dir.join(f)).expect("report file")))
        .collect();
    let mut hgrms: Vec<_> = fs::read_dir(dir.join("histograms"))
        .expect("histograms dir")
        .flatten()
        .map(|e| e.path())
        .collect();
    hgrms.sort();
    for h in hgrms {
        files.push((
            h.file_name().expect("name").to_string_lossy().into_owned(),
            fs::read(&h).expect("read"),
        ));
    }
    files
}

#[test]
fn run_writes_the_whole_report_contract() {
    let s = Scratch::new();
    let sc = s.scenario("shop.toml", SHOP);
    let dir = s.run_ok(&sc, "out", &[]);
    let headers = [
        (
            "summary.csv",
            "operation,count,errors,error_rate,throughput_per_s,mean_ms,p50_ms,p90_ms,p95_ms,p99_ms,p999_ms,max_ms",
        ),
        (
            "stations.csv",
            "station,workers,served,rejected,timed_out,utilization,mean_wait_ms,p99_wait_ms,mean_queue_len,max_queue_len,arrivals,wasted_ms",
        ),
        (
            "cache.csv",
            "cache,lookups,hits,misses,hit_rate,evictions,expirations",
        ),
        ("errors.csv", "operation,kind,count"),
        (
            "timeseries.csv",
            "t_s,operation,count,errors,mean_ms,p50_ms,p99_ms,cache_hit_rate",
        ),
    ];
    // The contract's columns come first, in order; later issues may add
    // columns after them, never rename or reorder.
    for (file, header) in headers {
        let text = fs::read_to_string(dir.join(file)).expect(file);
        let first = text.lines().next().unwrap_or_default();
        assert!(first.starts_with(header), "{file}: {first}");
    }
    let summary = read_csv(&dir.join("summary.csv"));
    let ops: Vec<&str> = summary.iter().map(|r| r["operation"].as_str()).collect();
    assert_eq!(
        ops,
        [
            "home",
            "browse",
            "search",
            "view_product",
            "add_to_cart",
            "view_cart",
            "checkout",
            "order_status",
            "ALL"
        ]
    );
    // ALL is the sum of the operations.
    let total: f64 = summary[..8].iter().map(|r| num(r, "count")).sum();
    assert_eq!(total, num(&summary[8], "count"));
    for op in &ops {
        let h = fs::read_to_string(dir.join(format!("histograms/{op}.hgrm"))).expect("hgrm");
        assert!(h.contains("Total count"), "{op}.hgrm");
    }
    let stations: Vec<String> = read_csv(&dir.join("stations.csv"))
        .iter()
        .map(|r| r["station"].clone())
        .collect();
    assert!(
        stations.contains(&"inventory[0]".to_string()) && stations.contains(&"payment".to_string()),
        "{stations:?}"
    );
    let run: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(dir.join("run.json")).expect("run.json"))
            .expect("json");
    assert_eq!(run["partial"], false);
    assert_eq!(run["clock"], "virtual");
    assert!(run["events"].as_u64().expect("events") > 10_000);
    let cache = read_csv(&dir.join("cache.csv"));
    let c = row(&cache, "cache", "catalog");
    assert_eq!(num(c, "hits") + num(c, "misses"), num(c, "lookups"));
    assert!(
        num(c, "expirations") > 0.0,
        "a 30 s TTL expires entries in 2 minutes"
    );
}

#[test]
fn same_seed_gives_identical_bytes_on_one_thread_or_two_and_another_seed_differs() {
    let s = Scratch::new();
    let sc = s.scenario("shop.toml", SHOP);
    // With a second thread, one replication's histograms are filled and its
    // arrivals drawn (6,000 of them: two batches) on threads of their own.
    let a = all_report_bytes(&s.run_ok(&sc, "a", &["--threads", "1"]));
    let b = all_report_bytes(&s.run_ok(&sc, "b", &["--threads", "2"]));
    assert_eq!(a.len(), b.len());
    for ((name, x), (_, y)) in a.iter().zip(&b) {
        assert!(x == y, "{name} differs between two runs of the same seed");
    }
    let c = all_report_bytes(&s.run_ok(&sc, "c", &["--seed", "2"]));
    let summary =
        |v: &[(String, Vec<u8>)]| v.iter().find(|f| f.0 == "summary.csv").map(|f| f.1.clone());
    assert_ne!(summary(&a), summary(&c), "seed 2 gives another sample");
}

#[test]
fn the_resolved_scenario_reproduces_the_run() {
    let s = Scratch::new();
    let sc = s.scenario("shop.toml", SHOP);
    let first = s.run_ok(
        &sc,
        "first",
        &["--set", "stations.payment.workers=3", "--seed", "9"],
    );
    let resolved = fs::read_to_string(first.join("scenario.resolved.toml")).expect("resolved");
    assert!(resolved.contains("seed = 9"), "{resolved}");
    assert!(
        resolved.contains("[stations.payment]\nworkers = 3"),
        "{resolved}"
    );
    let again = s.scenario("again.toml", &resolved);
    let second = s.run_ok(&again, "second", &[]);
    for f in CSVS {
        assert_eq!(
            fs::read(first.join(f)).expect("a"),
            fs::read(second.join(f)).expect("b"),
            "{f}"
        );
    }
}

#[test]
fn validate_prints_the_resolved_scenario_and_writes_nothing() {
    let s = Scratch::new();
    let sc = s.scenario("shop.toml", SHOP);
    let o = ecsim()
        .current_dir(s.path(""))
        .args(["validate", "shop.toml", "--set", "cache.policy=lfu"])
        .output()
        .expect("run");
    assert_eq!(o.status.code(), Some(0));
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(out.contains("policy = \"lfu\""), "{out}");
    assert!(!s.path("reports").exists());
    let _ = sc;
}

#[test]
fn default_report_directory_is_named_after_the_scenario() {
    let s = Scratch::new();
    s.scenario("shop.toml", SHOP);
    let o = ecsim()
        .current_dir(s.path(""))
        .args(["run", "shop.toml", "-q"])
        .output()
        .expect("run");
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert!(s.path("reports/shop/summary.csv").exists());
    assert!(o.stdout.is_empty(), "--quiet prints nothing");
}

#[test]
fn console_summary_lists_operations_and_stations() {
    let s = Scratch::new();
    let sc = s.scenario("shop.toml", SHOP);
    let out = s.path("out");
    let o = run(&[
        "run",
        sc.to_str().expect("utf-8"),
        "--out",
        out.to_str().expect("utf-8"),
    ]);
    assert_eq!(o.status.code(), Some(0));
    let text = String::from_utf8_lossy(&o.stdout);
    for needle in [
        "scenario shop",
        "seed 1",
        "view_product",
        "ALL",
        "payment",
        "hit rate",
        "events/s",
        "bottleneck:",
    ] {
        assert!(text.contains(needle), "{needle:?} missing from:\n{text}");
    }
    // The capacity plan comes first, before anything runs.
    assert!(text.starts_with("capacity plan ("), "{text}");
}

#[test]
fn an_unwritable_report_directory_exits_4_and_keeps_nothing_half_written() {
    let s = Scratch::new();
    let sc = s.scenario("shop.toml", SHOP);
    // A file where the report directory should be.
    let blocker = s.path("blocked");
    fs::write(&blocker, "not a directory").expect("write");
    let o = run(&[
        "run",
        sc.to_str().expect("utf-8"),
        "--out",
        blocker.join("sub").to_str().expect("utf-8"),
        "-q",
    ]);
    assert_eq!(
        o.status.code(),
        Some(4),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert!(String::from_utf8_lossy(&o.stderr).contains("cannot write"));
    assert_eq!(
        fs::read_to_string(&blocker).expect("read"),
        "not a directory"
    );
}

#[test]
fn help_and_version() {
    let o = run(&["--help"]);
    assert_eq!(o.status.code(), Some(0));
    let help = String::from_utf8_lossy(&o.stdout);
    for needle in ["run", "validate", "Examples:", "Exit codes"] {
        assert!(help.contains(needle), "{needle:?} missing from --help");
    }
    let o = run(&["run", "--help"]);
    let help = String::from_utf8_lossy(&o.stdout);
    for needle in ["--seed", "--set", "--out", "--quiet", "Examples:"] {
        assert!(help.contains(needle), "{needle:?} missing from run --help");
    }
    let o = run(&["--version"]);
    assert!(String::from_utf8_lossy(&o.stdout).starts_with("ecsim "));
    let o = run(&["frobnicate"]);
    assert_eq!(o.status.code(), Some(2), "usage errors exit 2");
}

#[test]
fn ctrl_c_writes_a_partial_report_and_exits_130() {
    let s = Scratch::new();
    // Long enough that it is still running when interrupted.
    let sc = s.scenario(
        "long.toml",
        &SHOP
            .replace("duration = \"120s\"", "duration = \"100h\"")
            .replace("rate = 50.0", "rate = 500.0"),
    );
    let out = s.path("out");
    let mut child = ecsim()
        .args([
            "run",
            sc.to_str().expect("utf-8"),
            "--out",
            out.to_str().expect("utf-8"),
            "-q",
        ])
        .spawn()
        .expect("spawn");
    std::thread::sleep(std::time::Duration::from_millis(1500));
    let status = std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .expect("kill");
    assert!(status.success());
    let code = child.wait().expect("wait").code();
    assert_eq!(code, Some(130));
    let run: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(out.join("run.json")).expect("run.json"))
            .expect("json");
    assert_eq!(run["partial"], true);
    assert!(
        read_csv(&out.join("summary.csv")).len() > 1,
        "what was measured is kept"
    );
}

#[test]
fn every_bundled_scenario_validates_and_runs() {
    let s = Scratch::new();
    let dir = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("scenarios");
    let mut n = 0;
    for entry in fs::read_dir(&dir).expect("scenarios/").flatten() {
        let p = entry.path();
        if p.extension().is_none_or(|e| e != "toml") {
            continue;
        }
        let text = fs::read_to_string(&p).expect("read");
        assert!(
            text.starts_with('#'),
            "{} opens with a comment saying the question it answers",
            p.display()
        );
        let name = p.file_stem().expect("stem").to_string_lossy().into_owned();
        let out = s.run_ok(&p, &name, &[]);
        let summary = read_csv(&out.join("summary.csv"));
        assert!(
            num(row(&summary, "operation", "ALL"), "count") > 0.0,
            "{name} completed requests"
        );
        n += 1;
    }
    assert!(n >= 2, "bundled scenarios found: {n}");
}

#[test]
fn thresholds_pass_fail_and_reject_unknown_metrics() {
    let s = Scratch::new();
    let with = |t: &str| format!("{SHOP}\n[thresholds]\n{t}\n");
    // Passing thresholds: exit 0 and thresholds.csv with pass = true.
    let sc = s.scenario("pass.toml", &with("\"checkout.p99_ms\" = \"< 100000\"\nALL.error_rate = \"<= 0.01\"\ncache.hit_rate = \"> 0.1\""));
    let dir = s.run_ok(&sc, "pass", &[]);
    let rows = read_csv(&dir.join("thresholds.csv"));
    assert_eq!(rows.len(), 3);
    assert!(rows.iter().all(|r| r["pass"] == "true"), "{rows:?}");
    assert_eq!(
        row(&rows, "threshold", "checkout.p99_ms")["expected"],
        "< 100000"
    );

    // A failing one: exit 1, the report is still written, the verdict says why.
    let sc = s.scenario("fail.toml", &with("checkout.p99_ms = \"< 1\""));
    let out = s.path("fail");
    let o = run(&[
        "run",
        sc.to_str().expect("utf-8"),
        "--out",
        out.to_str().expect("utf-8"),
    ]);
    assert_eq!(o.status.code(), Some(1));
    let rows = read_csv(&out.join("thresholds.csv"));
    assert_eq!(rows[0]["pass"], "false");
    assert!(num(&rows[0], "actual") > 1.0);
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert!(stdout.contains("✗ checkout.p99_ms < 1"), "{stdout}");
    assert!(String::from_utf8_lossy(&o.stderr).contains("thresholds failed: checkout.p99_ms < 1"));

    // An unknown metric: exit 2 before running, naming valid ones.
    let sc = s.scenario("bad.toml", &with("checkout.p98_ms = \"< 800\""));
    let out = s.path("bad");
    let o = run(&[
        "run",
        sc.to_str().expect("utf-8"),
        "--out",
        out.to_str().expect("utf-8"),
    ]);
    assert_eq!(o.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(
        stderr.contains("unknown metric \"checkout.p98_ms\"") && stderr.contains("checkout.p99_ms"),
        "{stderr}"
    );
    assert!(
        stderr.contains("bad.toml:30:10:"),
        "points at the key: {stderr}"
    );
    assert!(!out.exists());
}
