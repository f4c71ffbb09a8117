//! Loading scenarios: overrides, structural and semantic problems, and
//! how they are shown.

use super::*;
use crate::kernel::time::SimDuration;

#[test]
fn a_structural_error_does_not_hide_the_other_problems() {
    // An unknown key, a wrong type and a semantic error: all three
    // are listed, in file order, and the wrong-typed key is not also
    // reported as missing.
    let text = "[scenario]\nduration = \"1m\"\nbogus = 1\n[load]\ntype = \"open\"\n\
                    rate = -1.0\n[catalog]\nproducts = \"many\"\n";
    let e = match load_str("t.toml", "t", text, &[], None) {
        Ok(_) => panic!("rejected"),
        Err(e) => e.to_string(),
    };
    let lines: Vec<&str> = e.lines().collect();
    let at = |fragment: &str| {
        lines
            .iter()
            .position(|l| l.contains(fragment))
            .unwrap_or_else(|| panic!("no {fragment:?} in:\n{e}"))
    };
    let (bogus, rate, products) = (
        at("t.toml:3:1: unknown field `bogus`"),
        at("t.toml:6:1: `rate` must be a finite number greater than zero"),
        at("t.toml:8:12: invalid type: string \"many\", expected an integer"),
    );
    assert!(bogus < rate && rate < products, "{e}");
    assert!(!e.contains("products` "), "not also missing: {e}");
}

#[test]
fn parser_messages_name_toml_kinds_not_rust_types() {
    let cases = [
        ("[catalog]\nproducts = \"x\"\n", "expected an integer"),
        ("[stations.payment]\nworkers = 1.5\n", "expected an integer"),
        ("scenario = 5\n", "expected a table"),
        ("[behavior]\nstart = 5\n", "an action name, or a table"),
        (
            "[thresholds]\n\"ALL.p99_ms\" = 5\n",
            "an expression such as",
        ),
        (&format!("[{}b]\n", "a.".repeat(300)), "nest too deeply"),
    ];
    for (text, fragment) in cases {
        let e = match load_str("t.toml", "t", text, &[], None) {
            Ok(_) => panic!("{text} is rejected"),
            Err(e) => e.to_string(),
        };
        assert!(e.contains(fragment), "{text}: {e}");
        for rust in [
            "i64", "u32", "f64", "struct ", "untagged", "Section", "File",
        ] {
            assert!(!e.contains(rust), "{text}: {e}");
        }
    }
}

#[test]
fn a_newline_in_a_user_string_keeps_each_problem_on_one_line() {
    let text = "[scenario]\nduration = \"1s\"\n[load]\ntype = \"open\"\nrate = 1.0\n\
                    think_time = { dist = \"a\\nb\" }\n[behavior]\nstart = \"x\\ry\"\n";
    let e = match load_str("t.toml", "t", text, &[], None) {
        Ok(_) => panic!("an unknown distribution and action are rejected"),
        Err(e) => e,
    };
    let shown = e.to_string();
    assert_eq!(shown.lines().count(), e.problems.len(), "{shown}");
    assert!(shown.contains(r#"unknown distribution "a\nb""#), "{shown}");
    assert!(shown.contains(r#"unknown action "x\ry""#), "{shown}");
    assert!(shown.lines().all(|l| l.starts_with("t.toml:")), "{shown}");
}

const OK: &str = r#"[scenario]
duration = "10s"
[load]
type = "open"
stages = [{ at = "0s", rate = 10.0 }]
[behavior]
start = "home"
[behavior.transitions]
home = { leave = 1.0 }
"#;

/// `load_str` of `text` with `sets`: each problem as `WHERE: message`.
fn problems(text: &str, sets: &[&str]) -> Vec<String> {
    let sets: Vec<String> = sets.iter().map(|s| s.to_string()).collect();
    match load_str("t.toml", "t", text, &sets, None) {
        Ok(_) => Vec::new(),
        Err(e) => e
            .problems
            .iter()
            .map(|p| format!("{}: {}", p.location, p.message))
            .collect(),
    }
}

#[test]
fn an_override_without_a_key_is_refused() {
    assert_eq!(
        problems(OK, &["=5"]),
        ["--set =5: the key before `=` is empty"]
    );
}

#[test]
fn an_override_past_the_end_of_an_array_names_the_element() {
    assert_eq!(
        problems(OK, &["load.stages.3.rate=1"]),
        [
            "--set load.stages.3.rate=1: `load.stages.3` does not name an element of an existing array"
        ]
    );
}

#[test]
fn an_override_with_a_malformed_key_is_reported_at_the_override() {
    let p = problems(OK, &["scenario..seed=1"]);
    assert_eq!(p.len(), 1, "{p:?}");
    assert!(p[0].starts_with("--set scenario..seed=1: "), "{p:?}");
}

#[test]
fn a_problem_in_an_override_points_at_the_override() {
    assert_eq!(
        problems(OK, &["stations.payment.workers=0"]),
        [
            "--set stations.payment.workers=0: `workers` must be at least 1 and at most 100000000, found 0"
        ]
    );
}

#[test]
fn the_seed_option_overrides_the_file_and_shows_in_the_resolved_text() {
    let l = load_str("t.toml", "t", OK, &[], Some(42)).expect("valid");
    assert_eq!(l.scenario.seed, 42);
    assert!(l.resolved_toml.contains("seed = 42"), "{}", l.resolved_toml);
}

#[test]
fn a_missing_file_is_a_problem_at_its_start() {
    let e = load(Path::new("/nonexistent/dir/x.toml"), &[], None).expect_err("missing");
    assert_eq!(e.file, "/nonexistent/dir/x.toml");
    assert_eq!(e.problems.len(), 1);
    assert_eq!(e.problems[0].location, Location::File { line: 1, col: 1 });
    assert!(
        e.problems[0]
            .message
            .starts_with("cannot read the scenario file: "),
        "{:?}",
        e.problems
    );
}

#[test]
fn every_problem_prints_on_its_own_line() {
    let e = load_str(
        "t.toml",
        "t",
        "[scenario]\nduration = \"0s\"\n",
        &["cache.capacity=0".to_owned()],
        None,
    )
    .expect_err("invalid");
    let text = e.to_string();
    let lines: Vec<&str> = text.lines().collect();
    assert!(lines.len() >= 3, "{text}");
    assert_eq!(
        lines[0],
        "t.toml:1:1: missing [load] table: set type = \"open\" with `rate` or `stages`, type = \"closed\" with `users`, or type = \"replay\" with `file`"
    );
    assert!(
        lines.contains(
            &"--set cache.capacity=0: `capacity` must be at least 1 and at most 100000000, found 0"
        ),
        "{text}"
    );
}

#[test]
fn station_policies_resolve_to_themselves_with_their_defaults_filled_in() {
    let text = format!(
        "{OK}[stations.search]\ndiscipline = \"lifo\"\nmax_wait = \"250ms\"\nfail_rate = 0.05\n\
         [stations.payment]\nfail_rate = -0.0\n"
    );
    let first = load_str("t.toml", "t", &text, &[], None).expect("valid");
    let again = load_str("r.toml", "t", &first.resolved_toml, &[], None).expect("reloads");
    assert_eq!(first.resolved_toml, again.resolved_toml);
    assert_eq!(first.scenario.stations, again.scenario.stations);
    let policy = |name: &str| {
        let st = first.scenario.stations.iter().find(|s| s.name == name);
        st.expect("station").policy
    };
    let search = policy("search");
    assert_eq!(search.discipline, crate::backend::station::Discipline::Lifo);
    assert_eq!(search.max_wait, Some(SimDuration::from_millis(250)));
    assert_eq!(search.fail_rate, 0.05);
    assert_eq!(
        policy("cache"),
        Default::default(),
        "FIFO, never shed or fail"
    );
    let r = &first.resolved_toml;
    assert!(
        r.contains("discipline = \"lifo\"\nmax_wait = \"250ms\"\nfail_rate = 0.05"),
        "{r}"
    );
    assert!(
        r.contains("[stations.cache]") && r.contains("discipline = \"fifo\""),
        "defaults filled in: {r}"
    );
    assert!(!r.contains("-0.0"), "{r}");
}

#[test]
fn bad_station_policies_are_refused_naming_the_valid_choices() {
    assert_eq!(
        problems(
            OK,
            &[
                "stations.search.discipline=random",
                "stations.search.max_wait=0s",
                "stations.payment.fail_rate=2.0",
            ]
        ),
        [
            "--set stations.search.discipline=random: unknown discipline \"random\": expected \"fifo\" or \"lifo\"",
            "--set stations.search.max_wait=0s: `max_wait` must be greater than zero (leave it out to serve a request however long it waited)",
            "--set stations.payment.fail_rate=2.0: `fail_rate` must be a probability between 0 and 1, found 2",
        ]
    );
}

#[test]
fn a_pool_takes_a_discipline_but_neither_max_wait_nor_fail_rate() {
    let pool = "[routes.checkout]\nhold = \"db\"\n[stations.db]\nkind = \"pool\"\nsize = 2\n";
    let lifo = format!("{OK}{pool}discipline = \"lifo\"\n");
    assert_eq!(problems(&lifo, &[]), Vec::<String>::new());
    let p = problems(
        &format!("{OK}{pool}"),
        &["stations.db.max_wait=1s", "stations.db.fail_rate=0.5"],
    );
    assert_eq!(p.len(), 2, "{p:?}");
    assert!(
        p.iter()
            .all(|p| p.contains("a pool serves nothing, so it takes no `")),
        "{p:?}"
    );
}

/// A scenario whose think time is `dist`.
fn think(dist: &str) -> Result<crate::scenario::Loaded, String> {
    let text = format!(
        "[scenario]\nduration = \"10s\"\n[load]\ntype = \"open\"\nrate = 1.0\nthink_time = {dist}\n\
         [behavior]\nstart = \"home\"\n[behavior.transitions]\nhome = {{ leave = 1.0 }}\n"
    );
    load_str("t.toml", "t", &text, &[], None).map_err(|e| e.to_string())
}

/// Each think-time distribution is refused with a message holding its
/// `want`.
fn refused(cases: &[(&str, &str)]) {
    for (dist, want) in cases {
        let e = think(dist).expect_err(dist);
        assert!(e.contains(want), "{dist}: {e}");
    }
}

#[test]
fn a_lognormal_can_be_given_by_its_median_and_p99() {
    // σ = ln(800/200)/2.3263 = 0.5959; mean = 200 · e^(σ²/2) = 238.9 ms.
    let l = think(r#"{ dist = "lognormal", median = "200ms", p99 = "800ms" }"#).expect("valid");
    let crate::kernel::dist::Dist::LogNormal { median, sigma } = l.scenario.think_time else {
        panic!("{:?}", l.scenario.think_time);
    };
    assert_eq!(median, 200e6);
    assert!((sigma - 0.5959).abs() < 5e-5, "sigma {sigma}");
    let mean_ms = l.scenario.think_time.mean() / 1e6;
    assert!((mean_ms - 238.9).abs() < 0.05, "mean {mean_ms}");
    // Resolved as median and sigma, and reloaded to the same distribution.
    assert!(
        l.resolved_toml.contains("sigma = 0.595"),
        "{}",
        l.resolved_toml
    );
    let again = load_str("r.toml", "t", &l.resolved_toml, &[], None).expect("reloads");
    assert_eq!(again.scenario.think_time, l.scenario.think_time);
    refused(&[
        (
            r#"{ dist = "lognormal", median = "200ms", p99 = "100ms" }"#,
            "`p99` must be above `median`",
        ),
        (
            r#"{ dist = "lognormal", median = "200ms", p99 = "1s", sigma = 0.5 }"#,
            "does not take `sigma`; it takes median, p99",
        ),
        (
            r#"{ dist = "exponential", mean = "1s", p99 = "2s" }"#,
            "does not take `p99`",
        ),
    ]);
}

#[test]
fn percentiles_resolve_to_themselves_and_bad_points_are_named() {
    let l = think(r#"{ dist = "percentiles", p50 = "180ms", p90 = "400ms", p99 = "900ms", p999 = "2s", max = "5s" }"#)
        .expect("valid");
    let crate::kernel::dist::Dist::Percentiles { points } = &l.scenario.think_time else {
        panic!("{:?}", l.scenario.think_time);
    };
    assert_eq!(points.len(), 5);
    assert_eq!(points[3], (0.999, 2e9));
    let again = load_str("r.toml", "t", &l.resolved_toml, &[], None).expect("reloads");
    assert_eq!(again.scenario.think_time, l.scenario.think_time);
    refused(&[
        (
            r#"{ dist = "percentiles", p50 = "1s" }"#,
            "needs at least two points",
        ),
        (
            r#"{ dist = "percentiles", p50 = "1s", p90 = "500ms" }"#,
            "`p90` must be above `p50`",
        ),
        (
            r#"{ dist = "percentiles", p50 = "1s", p90 = "2s", mean = "1s" }"#,
            "does not take `mean`",
        ),
        (
            r#"{ dist = "percentiles", p50 = "1s", p95x = "2s" }"#,
            "p95x",
        ),
        (
            r#"{ dist = "exponential", mean = "1s", p90 = "2s" }"#,
            "does not take `p90`",
        ),
    ]);
}

#[test]
fn moving_capacity_resolves_to_itself_with_its_defaults_filled_in() {
    let text = format!(
        "{OK}[stations.search]\nschedule = [{{ at = \"0s\", workers = 2 }}, {{ at = \"30m\", workers = 6 }}]\n\
         [stations.inventory]\nschedule = [{{ at = \"0s\", workers = 1 }}, {{ at = \"1m\", workers = 2 }}]\n\
         [stations.payment]\ncost_per_hour = 0.9\n[stations.payment.autoscale]\ntarget = 0.6\nmax = 30\n\
         provisioning = {{ dist = \"constant\", value = \"90s\" }}\n"
    );
    let first = load_str("t.toml", "t", &text, &[], None).expect("valid");
    let again = load_str("r.toml", "t", &first.resolved_toml, &[], None).expect("reloads");
    assert_eq!(first.resolved_toml, again.resolved_toml);
    assert_eq!(first.scenario.stations, again.scenario.stations);
    let station = |name: &str| {
        let st = first.scenario.stations.iter().find(|s| s.name == name);
        st.expect("station").clone()
    };
    assert_eq!(station("search").workers, 2, "the schedule's first count");
    // Every shard follows the schedule.
    assert!(
        matches!(station("inventory[15]").capacity, crate::scenario::model::Capacity::Schedule(ref s) if s.len() == 2)
    );
    let payment = station("payment");
    assert_eq!(
        payment.workers, 1,
        "an autoscaler starts at min (default 1)"
    );
    assert_eq!(payment.cost_per_hour, 0.9);
    let crate::scenario::model::Capacity::Autoscale(a) = &payment.capacity else {
        panic!("autoscaled: {:?}", payment.capacity)
    };
    assert_eq!(a.period, SimDuration::from_secs(15));
    assert_eq!(a.rule.tolerance, 0.1);
    assert_eq!(a.rule.stabilization, SimDuration::from_secs(300));
    assert_eq!(a.rule.max_step_up, None);
    let r = &first.resolved_toml;
    assert!(r.contains("metric = \"utilization\""), "{r}");
    assert!(r.contains("scale_down_stabilization = \"5m\""), "{r}");
}
