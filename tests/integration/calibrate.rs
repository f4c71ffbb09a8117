//! Calibrating from production (issue 15): `run --access-log` and `fit`.
//! The round trip runs a bundled scenario with its access log, fits the
//! log and checks every estimate against the scenario that made it, with
//! tolerances from each estimate's own sample size.

use std::collections::BTreeMap;
use std::path::Path;

use crate::util::{Scratch, num, ok, read_csv, row, run};

/// A table of the scenario text: `name → { key → value }` from lines
/// `name = { ... } # n = N` (the `n`, when there is one).
fn tables(text: &str, section: &str) -> BTreeMap<String, (toml::Table, Option<f64>)> {
    let mut out = BTreeMap::new();
    let mut inside = false;
    for l in text.lines() {
        if l.starts_with('[') {
            inside = l == format!("[{section}]");
            continue;
        }
        if !inside || l.starts_with('#') || !l.contains('{') {
            continue;
        }
        let (def, n) = match l.split_once(" # n = ") {
            Some((d, n)) => (d, n.trim().parse::<f64>().ok()),
            None => (l, None),
        };
        let t: toml::Table = toml::from_str(def).expect("a TOML line");
        for (k, v) in t {
            let inner = v.as_table().cloned().unwrap_or_default();
            out.insert(k, (inner, n));
        }
    }
    out
}

fn prob(t: &toml::Table, k: &str) -> f64 {
    t.get(k)
        .and_then(|v| v.as_float().or(v.as_integer().map(|i| i as f64)))
        .unwrap_or(0.0)
}

/// Asserts every share of `fitted` is within 3 binomial standard errors
/// of `truth`, for sample size `n`; returns the largest |z|.
fn within_3_se(what: &str, truth: &toml::Table, fitted: &toml::Table, n: f64) -> f64 {
    let mut worst: f64 = 0.0;
    let keys: std::collections::BTreeSet<&String> = truth.keys().chain(fitted.keys()).collect();
    for k in keys {
        let (p, q) = (prob(truth, k), prob(fitted, k));
        let se = (p * (1.0 - p) / n).sqrt();
        if se == 0.0 {
            assert!(
                (q - p).abs() < 1e-6,
                "{what} → {k}: {q} where the truth is {p}"
            );
            continue;
        }
        let z = (q - p) / se;
        assert!(
            z.abs() <= 3.0,
            "{what} → {k}: {q} vs {p}, n = {n}: {z:.2} SE"
        );
        worst = worst.max(z.abs());
    }
    worst
}

/// Runs `ecsim fit LOG --map MAP EXTRA…`.
fn fit(log: &Path, map: &Path, extra: &[&str]) -> std::process::Output {
    let mut args = vec![
        "fit",
        log.to_str().expect("utf-8"),
        "--map",
        map.to_str().expect("utf-8"),
    ];
    args.extend_from_slice(extra);
    run(&args)
}

#[test]
fn fit_recovers_the_scenario_that_wrote_the_access_log() {
    let s = Scratch::new();
    let original = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/steady_state.toml");
    let log = s.path("access.log");
    let short = ["--set", "scenario.duration=30m"];
    let mut extra = vec!["--access-log", log.to_str().expect("utf-8")];
    extra.extend_from_slice(&short);
    let first = s.run_ok(&original, "original", &extra);
    let fitted = s.path("fitted.toml");
    let map = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/data/ecsim_map.toml");
    ok(&[
        "fit",
        log.to_str().expect("utf-8"),
        "--map",
        map.to_str().expect("utf-8"),
        "--out",
        fitted.to_str().expect("utf-8"),
        "-q",
    ]);
    let text = std::fs::read_to_string(&fitted).expect("fitted");
    let truth = std::fs::read_to_string(&original).expect("original");

    // Transitions: each row within 3 SE of its own sample size.
    let want = tables(&truth, "behavior.transitions");
    let got = tables(&text, "behavior.transitions");
    assert_eq!(
        want.keys().collect::<Vec<_>>(),
        got.keys().collect::<Vec<_>>()
    );
    let mut worst: f64 = 0.0;
    for (from, (t, _)) in &want {
        let (f, n) = &got[from];
        let n = n.expect("every row has its sample size");
        worst = worst.max(within_3_se(from, t, f, n));
    }
    // Start probabilities, n = sessions.
    let sessions: f64 = text
        .lines()
        .find_map(|l| {
            l.strip_prefix("# n = ")?
                .strip_suffix(" sessions")?
                .parse()
                .ok()
        })
        .expect("the sessions comment");
    let start = |t: &str| -> toml::Table {
        let l = t
            .lines()
            .find(|l| l.starts_with("start = "))
            .expect("start");
        let t: toml::Table = toml::from_str(l).expect("start line");
        t["start"].as_table().cloned().expect("a table")
    };
    worst = worst.max(within_3_se(
        "start",
        &start(&truth),
        &start(&text),
        sessions,
    ));
    eprintln!("worst transition or start share: {worst:.2} SE; {sessions} sessions");

    // Think time: lognormal, median 5 s.
    let think = text
        .lines()
        .find(|l| l.starts_with("think_time = "))
        .expect("think time");
    let p50 = think
        .split("p50 = \"")
        .nth(1)
        .and_then(|r| r.split("ms\"").next())
        .and_then(|v| v.parse::<f64>().ok())
        .expect("p50 in ms");
    eprintln!("think-time median {p50} ms (truth 5000 ms)");
    assert!((p50 / 5000.0 - 1.0).abs() <= 0.02, "median {p50} ms");

    // Stages: each interval's rate within 4 SE of its count (the truth:
    // 60 sessions/s, 3,600 per minute).
    let mut stages = 0;
    for l in text
        .lines()
        .filter(|l| l.starts_with("  { at = ") && l.contains(" # n = "))
    {
        let (def, n) = l.split_once(" # n = ").expect("n");
        let n: f64 = n.trim().parse().expect("count");
        let rate: f64 = def
            .split("rate = ")
            .nth(1)
            .and_then(|r| r.trim_end_matches([' ', '}', ',']).parse().ok())
            .expect("rate");
        assert!(((rate - 60.0) * 60.0).abs() <= 4.0 * n.sqrt(), "{l}");
        stages += 1;
    }
    assert_eq!(stages, 30);

    // The fitted scenario runs as it is, with the original's throughput
    // for every operation of at least 1,000 requests (same measurement
    // window: the warmup is the original's).
    let second = s.run_ok(&fitted, "fitted", &["--set", "scenario.warmup=5m"]);
    let (a, b) = (
        read_csv(&first.join("summary.csv")),
        read_csv(&second.join("summary.csv")),
    );
    let mut compared = 0;
    for r in &a {
        let op = &r["operation"];
        if num(r, "count") < 1000.0 || op == "ALL" {
            continue;
        }
        let (x, y) = (
            num(r, "throughput_per_s"),
            num(row(&b, "operation", op), "throughput_per_s"),
        );
        eprintln!("{op}: {x} vs {y} per s ({:+.2}%)", (y / x - 1.0) * 100.0);
        assert!((y / x - 1.0).abs() <= 0.05, "{op}: {x} vs {y}");
        compared += 1;
    }
    assert_eq!(compared, 10, "8 customer actions, ship and deliver");
}

#[test]
fn the_access_log_is_deterministic_follows_replication_0_and_leaves_the_report_alone() {
    let s = Scratch::new();
    let smoke = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/ci_smoke.toml");
    let log = |name: &str| s.path(name).to_str().expect("utf-8").to_owned();
    let (a, b, c) = (log("a.log"), log("b.log"), log("c.log"));
    let plain = s.run_ok(&smoke, "plain", &[]);
    let with = s.run_ok(&smoke, "with", &["--access-log", &a]);
    s.run_ok(&smoke, "again", &["--access-log", &b]);
    s.run_ok(
        &smoke,
        "reps",
        &["--access-log", &c, "--replications", "3", "--threads", "2"],
    );
    for f in [
        "summary.csv",
        "errors.csv",
        "stations.csv",
        "timeseries.csv",
    ] {
        let read = |d: &Path| std::fs::read(d.join(f)).expect("report file");
        assert_eq!(read(&plain), read(&with), "{f}");
    }
    let bytes = |p: &str| std::fs::read(p).expect("log");
    assert_eq!(bytes(&a), bytes(&b));
    assert_eq!(
        bytes(&a),
        bytes(&c),
        "replication 0 alone, whatever the threads"
    );
    let text = String::from_utf8(bytes(&a)).expect("utf-8");
    // Every request, the warmup and the admins' included.
    let count: f64 = read_csv(&plain.join("summary.csv"))
        .iter()
        .filter(|r| r["operation"] == "ALL")
        .map(|r| num(r, "count"))
        .sum();
    let lines = text.lines().count();
    assert_eq!(lines, 14300);
    assert!(
        lines as f64 > count,
        "{lines} lines, {count} measured requests"
    );
    assert_eq!(
        text.lines().next(),
        Some(
            "10.0.0.1 - - [27/Nov/2026:00:00:00 +0000] \"GET / HTTP/1.1\" 200 - \"-\" \"ecsim/0.1.0\" 0.002 1795737600.008"
        )
    );
    assert!(text.lines().any(|l| l.starts_with("127.0.0.1 - admin ")));
    assert!(text.contains("\"POST /checkout HTTP/1.1\" 402 "));
    // --log-start moves the clock; an unwritable log exits 4.
    let d = log("d.log");
    s.run_ok(
        &smoke,
        "later",
        &[
            "--access-log",
            &d,
            "--log-start",
            "2027-01-01T12:00:00+01:00",
        ],
    );
    let first = String::from_utf8(bytes(&d)).expect("utf-8");
    assert!(
        first.starts_with("10.0.0.1 - - [01/Jan/2027:11:00:00 +0000]"),
        "{}",
        &first[..80]
    );
    let out = run(&[
        "run",
        smoke.to_str().expect("utf-8"),
        "-q",
        "--out",
        &log("r"),
        "--access-log",
        "/proc/ecsim/x.log",
    ]);
    assert_eq!(out.status.code(), Some(4));
    let out = run(&[
        "run",
        smoke.to_str().expect("utf-8"),
        "-q",
        "--out",
        &log("r"),
        "--access-log",
        &d,
        "--log-start",
        "yesterday",
    ]);
    assert_eq!(out.status.code(), Some(2));
    // The wall clock writes no log: refused before anything runs.
    let out = run(&[
        "run",
        smoke.to_str().expect("utf-8"),
        "-q",
        "--out",
        &log("w"),
        "--access-log",
        &log("w.log"),
        "--clock",
        "wall",
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--access-log needs the virtual clock"));
    assert!(!s.path("w.log").exists() && !s.path("w").exists());
}

#[test]
fn fit_rejects_a_garbage_log_and_a_malformed_map_with_positions() {
    let s = Scratch::new();
    let map = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/data/ecsim_map.toml");
    let garbage = s.scenario("garbage.log", "hello world\n\n\u{1}\u{2}\u{3}\n<html>\n127.0.0.1 - - [99/Nov/2026:00:00:00 +0000] \"GET / HTTP/1.1\" 200 -\n");
    let out = fit(&garbage, &map, &[]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("no usable line: 4 lines read, 4 rejected, 0 not mapped"),
        "{err}"
    );
    assert!(
        err.contains("garbage.log:1:12: expected a user field"),
        "{err}"
    );
    assert!(
        err.contains("garbage.log:3:4: expected an ident field"),
        "{err}"
    );
    assert!(
        err.contains("garbage.log:5:16: expected a timestamp"),
        "{err}"
    );
    assert!(out.stdout.is_empty());

    // A few bad lines among good ones: reported, not fatal.
    let good = "10.0.0.1 - - [27/Nov/2026:00:00:00 +0000] \"GET / HTTP/1.1\" 200 - \"-\" \"a\" 0.001 1795737600.000\n\
                10.0.0.1 - - [27/Nov/2026:00:00:02 +0000] \"GET /product/3 HTTP/1.1\" 200 - \"-\" \"a\" 0.001 1795737602.001\n\
                10.0.0.1 - - [27/Nov/2026:00:00:02 +0000] \"GET /favicon.ico HTTP/1.1\" 200 - \"-\" \"a\" 0.001 1795737602.500\n\
                oops\n";
    let mixed = s.scenario("mixed.log", good);
    let out = fit(&mixed, &map, &["-q"]);
    assert_eq!(out.status.code(), Some(0));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("mixed.log: 1 of 4 lines rejected"), "{err}");
    assert!(
        err.contains("mixed.log:4:5: expected an ident field"),
        "{err}"
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("start = { home = 1 }"), "{text}");
    assert!(
        text.contains("home = { view_product = 1 } # n = 1"),
        "{text}"
    );
    assert!(
        text.contains("think_time = { dist = \"constant\", value = \"2s\" }"),
        "{text}"
    );

    let bad_map = s.scenario(
        "map.toml",
        "routes = [\n  { match = \"GET /\", action = \"hom e\" },\n]\n",
    );
    let out = fit(&mixed, &bad_map, &[]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("map.toml:2:31: \"hom e\" is not an action"),
        "{err}"
    );
}

#[test]
fn fit_reads_a_csv_log_and_writes_a_scenario_that_runs() {
    let s = Scratch::new();
    let map = s.scenario(
        "map.toml",
        "routes = [\n  { match = \"/\", action = \"home\" },\n  { match = \"/p/*\", action = \"view_product\" },\n  { match = \"/recs\", action = \"recs\" },\n]\n",
    );
    let csv = s.scenario(
        "log.csv",
        "client,time,path,duration_s\n\
         a,1795737600.0,/,0.1\n\
         b,2026-11-27T00:00:01Z,/p/7,0.2\n\
         a,1795737601.1,/p/1,0.1\n\
         a,1795737603.2,/recs,0.05\n\
         b,1795737602.2,/p/8,0.2\n\
         c,1795737650,/nowhere,\n\
         c,not-a-time,/,\n",
    );
    let out_file = s.path("fitted.toml");
    let out = run(&[
        "fit",
        csv.to_str().expect("utf-8"),
        "--log-format",
        "csv",
        "--map",
        map.to_str().expect("utf-8"),
        "--out",
        out_file.to_str().expect("utf-8"),
        "-q",
    ]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("log.csv:8:2: expected a time"), "{err}");
    let text = std::fs::read_to_string(&out_file).expect("fitted");
    assert!(
        text.contains("start = { home = 0.5, view_product = 0.5 }"),
        "{text}"
    );
    assert!(
        text.contains("home = { view_product = 1 } # n = 1"),
        "{text}"
    );
    assert!(
        text.contains(
            "view_product = { view_product = 0.333333, recs = 0.333333, leave = 0.333334 } # n = 3"
        ),
        "{text}"
    );
    assert!(text.contains("recs = { leave = 1 } # n = 1"), "{text}");
    // a: 1.0 s and 2.0 s after its responses; b: 1.0 s.
    assert!(
        text.contains("think_time = { dist = \"percentiles\", p1 = \"1s\""),
        "{text}"
    );
    assert!(
        text.contains("[operations.recs]\nroute = [\"recs_service\"]"),
        "{text}"
    );
    s.run_ok(&out_file, "run", &[]);
}
