//! Hostile but realistic use: one regression test per defect found, named
//! after the behaviour it keeps.

use std::os::unix::fs::FileTypeExt;
use std::path::PathBuf;

use crate::util::*;

fn bundled(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("scenarios")
        .join(format!("{name}.toml"))
}

#[test]
fn output_paths_that_are_fifos_or_symlinks_are_refused_and_left_alone() {
    let s = Scratch::new();
    let report = s.run_ok(&bundled("ci_smoke"), "smoke", &[]);
    let r = report.to_str().expect("utf-8");
    let fifo = s.path("pipe.html");
    let made = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .expect("mkfifo runs");
    assert!(made.success());
    let target = s.path("target.html");
    std::fs::write(&target, "mine").expect("write");
    let link = s.path("link.html");
    std::os::unix::fs::symlink(&target, &link).expect("symlink");
    for (path, why) in [(&fifo, "not a regular file"), (&link, "symbolic link")] {
        let o = run(&["compare", r, r, "--html", path.to_str().expect("utf-8")]);
        assert_eq!(o.status.code(), Some(4), "{}", path.display());
        let stderr = String::from_utf8_lossy(&o.stderr);
        assert!(stderr.contains(why), "{stderr}");
    }
    let fifo_type = std::fs::symlink_metadata(&fifo)
        .expect("still there")
        .file_type();
    assert!(fifo_type.is_fifo(), "the FIFO is still a FIFO");
    assert!(
        std::fs::symlink_metadata(&link)
            .expect("there")
            .file_type()
            .is_symlink()
    );
    assert_eq!(std::fs::read_to_string(&target).expect("read"), "mine");
    // A report directory that is a link is refused too.
    let out = s.path("out-link");
    std::os::unix::fs::symlink(&report, &out).expect("symlink");
    let o = run(&[
        "run",
        bundled("ci_smoke").to_str().expect("utf-8"),
        "--out",
        out.to_str().expect("utf-8"),
        "-q",
    ]);
    assert_eq!(o.status.code(), Some(4));
}

#[test]
fn a_table_given_with_set_replaces_the_whole_table() {
    // black_friday's payment station is lognormal (median, sigma): a new
    // distribution of another kind must not inherit its keys.
    let o = run(&[
        "validate",
        bundled("black_friday").to_str().expect("utf-8"),
        "--set",
        "stations.payment.service_time={dist=\"exponential\",mean=\"100ms\"}",
        "--set",
        "load.stages.2.rate=500",
    ]);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let resolved = String::from_utf8_lossy(&o.stdout);
    assert!(
        resolved.contains(
            "[stations.payment.service_time]\ndist = \"exponential\"\nmean = \"100ms\"\n\n"
        ),
        "{resolved}"
    );
    // A dotted key still reaches into the tables along its path.
    assert!(resolved.contains("rate = 500.0"), "{resolved}");
    assert!(resolved.contains("duration = \"2h\""), "the rest is kept");
}

#[test]
fn a_time_scale_outside_its_range_is_refused_with_the_range() {
    let s = Scratch::new();
    for scale in ["1e300", "1e17", "1e-9", "1e-12", "NaN"] {
        let out = s.path("never");
        let o = run(&[
            "run",
            bundled("ci_smoke").to_str().expect("utf-8"),
            "--clock",
            "wall",
            "--time-scale",
            scale,
            "--out",
            out.to_str().expect("utf-8"),
        ]);
        assert_eq!(o.status.code(), Some(2), "--time-scale {scale}");
        let stderr = String::from_utf8_lossy(&o.stderr);
        assert!(stderr.contains("between 0.0001 and 1000"), "{stderr}");
        assert!(!out.exists(), "nothing written");
    }
}

#[test]
fn a_panicking_worker_thread_exits_70_never_0() {
    let s = Scratch::alone();
    let smoke = bundled("ci_smoke");
    for clock in [
        &["--clock", "virtual"][..],
        &["--clock", "wall", "--time-scale", "0.005"],
    ] {
        let out = s.path("panicked");
        let mut args = vec![
            "run",
            smoke.to_str().expect("utf-8"),
            "--inject-bug",
            "panic-in-worker",
            "-q",
            "--out",
            out.to_str().expect("utf-8"),
        ];
        args.extend_from_slice(clock);
        let o = run(&args);
        assert_eq!(o.status.code(), Some(70), "{clock:?}");
        let stderr = String::from_utf8_lossy(&o.stderr);
        assert!(stderr.contains("internal failure"), "{stderr}");
    }
}

#[test]
fn clock_options_are_refused_where_their_clock_does_not_run() {
    let smoke = bundled("ci_smoke");
    let sc = smoke.to_str().expect("utf-8");
    for (args, fragment) in [
        (
            vec!["run", sc, "--time-scale", "0.5"],
            "--time-scale only applies to --clock wall",
        ),
        (
            vec!["run", sc, "--tasks", "8"],
            "--tasks only applies to --clock stress",
        ),
        (
            vec!["run", sc, "--for", "5s"],
            "--for only applies to --clock stress",
        ),
        (
            vec!["run", sc, "--clock", "wall", "--tasks", "8"],
            "this run uses --clock wall",
        ),
        (
            vec!["stress", sc, "--time-scale", "2"],
            "this run uses --clock stress",
        ),
    ] {
        let o = run(&args);
        assert_eq!(o.status.code(), Some(2), "{args:?}");
        let stderr = String::from_utf8_lossy(&o.stderr);
        assert!(stderr.contains(fragment), "{args:?}: {stderr}");
    }
}

#[test]
fn a_sweep_refuses_a_key_twice_and_empty_or_repeated_values() {
    let smoke = bundled("ci_smoke");
    let sc = smoke.to_str().expect("utf-8");
    for (vary, fragment) in [
        (vec!["--vary", "cache.capacity=100,,400"], "an empty value"),
        (vec!["--vary", "cache.capacity=100,400,100"], "given twice"),
        (
            vec![
                "--vary",
                "cache.capacity=100",
                "--vary",
                "cache.capacity=400",
            ],
            "is given twice",
        ),
    ] {
        let mut args = vec!["sweep", sc];
        args.extend(vary.iter().copied());
        let o = run(&args);
        assert_eq!(o.status.code(), Some(2), "{args:?}");
        assert!(
            String::from_utf8_lossy(&o.stderr).contains(fragment),
            "{args:?}"
        );
    }
}

#[test]
fn any_file_name_runs_and_an_overlong_name_is_a_scenario_error() {
    let s = Scratch::new();
    let text = std::fs::read_to_string(bundled("ci_smoke")).expect("read");
    let unnamed = text.replace("name = \"ci_smoke\"\n", "");
    let odd = s.scenario("my scenario (copy).toml", &unnamed);
    let out = s.run_ok(&odd, "odd", &[]);
    let run_json = std::fs::read_to_string(out.join("run.json")).expect("run.json");
    assert!(run_json.contains("\"my_scenario_copy\""), "{run_json}");
    let long = s.scenario(
        "long.toml",
        &text.replace(
            "name = \"ci_smoke\"",
            &format!("name = \"{}\"", "x".repeat(300)),
        ),
    );
    let o = run(&["validate", long.to_str().expect("utf-8")]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("at most 100 characters"));
}

#[test]
fn the_replay_command_of_a_wall_run_keeps_its_clock() {
    let s = Scratch::alone();
    let smoke = bundled("ci_smoke");
    let out = s.path("bug");
    let o = run(&[
        "run",
        smoke.to_str().expect("utf-8"),
        "--clock",
        "wall",
        "--time-scale",
        "0.005",
        "--inject-bug",
        "keep-reservation-on-decline",
        "-q",
        "--out",
        out.to_str().expect("utf-8"),
    ]);
    assert_eq!(o.status.code(), Some(3));
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(
        stderr.contains("--seed 1 --clock wall --time-scale 0.005"),
        "{stderr}"
    );
}

/// Starts `ecsim args`, sends `signal` after `after`, and returns the exit
/// code and how long the process took to end after the signal.
fn signalled(
    args: &[&str],
    signal: &str,
    after: std::time::Duration,
) -> (Option<i32>, std::time::Duration) {
    let mut child = ecsim()
        .args(args)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("ecsim starts");
    std::thread::sleep(after);
    let sent = std::time::Instant::now();
    let killed = std::process::Command::new("kill")
        .args([signal, &child.id().to_string()])
        .status()
        .expect("kill runs");
    assert!(killed.success(), "the process was still running");
    // A process that ignores the signal is killed after a minute rather
    // than left to run the whole scenario.
    let status = loop {
        if let Some(status) = child.try_wait().expect("ecsim ends") {
            break status;
        }
        if sent.elapsed() > std::time::Duration::from_secs(60) {
            child.kill().expect("kill");
            panic!("still running a minute after {signal}");
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    };
    (status.code(), sent.elapsed())
}

fn partial(dir: &std::path::Path) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(dir.join("run.json")).expect("run.json"))
        .expect("json")
}

#[test]
fn ctrl_c_and_sigterm_stop_between_replications_with_a_partial_report() {
    let s = Scratch::alone();
    let smoke = bundled("ci_smoke");
    for (signal, code) in [("-INT", 130), ("-TERM", 143)] {
        let out = s.path(&format!("reps{code}"));
        let args = [
            "run",
            smoke.to_str().expect("utf-8"),
            "--replications",
            "300",
            "--threads",
            "1",
            "-q",
            "--out",
            out.to_str().expect("utf-8"),
        ];
        let (status, took) = signalled(&args, signal, std::time::Duration::from_millis(1500));
        assert_eq!(status, Some(code), "{signal}");
        assert!(
            took < std::time::Duration::from_secs(1),
            "stopped {took:?} after {signal}"
        );
        let run = partial(&out);
        assert_eq!(run["partial"], true);
        assert!(run["replications"].as_u64().expect("n") < 300, "{run}");
    }
}

/// `ecsim run ci_smoke OPTIONS -q --out OUT`, sent SIGINT `after` it
/// started: its exit code and how long it took to end after the signal.
fn ctrl_c_smoke(
    out: &std::path::Path,
    options: &[&str],
    after: std::time::Duration,
) -> (Option<i32>, std::time::Duration) {
    let smoke = bundled("ci_smoke");
    let mut args = vec!["run", smoke.to_str().expect("utf-8")];
    args.extend_from_slice(options);
    args.extend(["-q", "--out", out.to_str().expect("utf-8")]);
    signalled(&args, "-INT", after)
}

#[test]
fn ctrl_c_during_setup_exits_at_once_and_writes_nothing() {
    let s = Scratch::alone();
    let out = s.path("setup");
    // Setup registers the admin and logs it in: two PBKDF2 hashes of 10M
    // iterations, over a second each even with SHA instructions.
    let (status, took) = ctrl_c_smoke(
        &out,
        &["--set", "shop.password_iterations=10000000"],
        std::time::Duration::from_millis(800),
    );
    assert_eq!(status, Some(130));
    assert!(took < std::time::Duration::from_secs(1), "{took:?}");
    assert!(!out.exists(), "nothing was written");
}

#[test]
fn ctrl_c_stops_a_run_of_slow_events_within_a_second() {
    let s = Scratch::alone();
    let out = s.path("slow");
    // Every customer's first login hashes 300k PBKDF2 iterations, 30 to
    // 100 ms: the run would take minutes, and 65,536 events hours.
    let (status, took) = ctrl_c_smoke(
        &out,
        &["--set", "shop.password_iterations=300000"],
        std::time::Duration::from_millis(2500),
    );
    assert_eq!(status, Some(130));
    assert!(took < std::time::Duration::from_secs(1), "{took:?}");
    let run = partial(&out);
    assert_eq!(run["partial"], true);
}

#[test]
fn ctrl_c_stops_a_wall_clock_run_within_a_second() {
    let s = Scratch::alone();
    let out = s.path("wall");
    let (status, took) = ctrl_c_smoke(
        &out,
        &["--clock", "wall", "--time-scale", "1"],
        std::time::Duration::from_secs(2),
    );
    assert_eq!(status, Some(130));
    assert!(took < std::time::Duration::from_millis(1500), "{took:?}");
    assert_eq!(partial(&out)["partial"], true);
}

#[test]
fn a_report_directory_is_replaced_as_a_whole_and_only_if_it_is_a_report() {
    let s = Scratch::new();
    let smoke = bundled("ci_smoke");
    let sc = smoke.to_str().expect("utf-8");
    // A directory of the user's own is refused and kept.
    let mine = s.path("src");
    std::fs::create_dir_all(&mine).expect("mkdir");
    std::fs::write(mine.join("main.rs"), "fn main() {}").expect("write");
    let o = run(&["run", sc, "-q", "--out", mine.to_str().expect("utf-8")]);
    assert_eq!(o.status.code(), Some(4));
    assert!(String::from_utf8_lossy(&o.stderr).contains("not an ecsim report"));
    assert!(mine.join("main.rs").exists());
    // A previous report is replaced whole: nothing of it is left over, even
    // what a failed replacement would once have left (a directory at a
    // file's path).
    let out = s.run_ok(&smoke, "r", &[]);
    std::fs::remove_file(out.join("stations.csv")).expect("rm");
    std::fs::create_dir(out.join("stations.csv")).expect("a dir in the way");
    std::fs::write(out.join("histograms/gone.hgrm"), "stale").expect("write");
    let again = s.run_ok(&smoke, "r", &[]);
    assert!(again.join("stations.csv").is_file());
    assert!(!again.join("histograms/gone.hgrm").exists());
    // Sweeping again with fewer points leaves no point of the first sweep.
    let sweep = s.path("sweep");
    let w = sweep.to_str().expect("utf-8");
    for values in ["cache.capacity=100,200,300", "cache.capacity=100"] {
        let o = run(&["sweep", sc, "--vary", values, "-q", "--out", w]);
        assert_eq!(
            o.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&o.stderr)
        );
    }
    assert!(sweep.join("point-001").is_dir());
    assert!(!sweep.join("point-002").exists(), "no stale points");
    let leftovers: Vec<_> = std::fs::read_dir(s.path(""))
        .expect("ls")
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().contains("ecsim-"))
        .collect();
    assert!(leftovers.is_empty(), "no temporaries");
}

#[test]
fn compare_refuses_partial_non_finite_negative_duplicate_and_incomplete_reports() {
    let s = Scratch::new();
    let base = s.run_ok(&bundled("ci_smoke"), "base", &[]);
    let b = base.to_str().expect("utf-8");
    let copy = |name: &str| {
        let dir = s.path(name);
        std::fs::create_dir_all(dir.join("histograms")).expect("mkdir");
        for e in std::fs::read_dir(&base).expect("ls").flatten() {
            if e.path().is_file() {
                std::fs::copy(e.path(), dir.join(e.file_name())).expect("copy");
            }
        }
        for e in std::fs::read_dir(base.join("histograms"))
            .expect("ls")
            .flatten()
        {
            std::fs::copy(e.path(), dir.join("histograms").join(e.file_name())).expect("copy");
        }
        dir
    };
    let edit = |dir: &std::path::Path, file: &str, f: &dyn Fn(String) -> String| {
        let p = dir.join(file);
        let text = std::fs::read_to_string(&p).expect("read");
        std::fs::write(&p, f(text)).expect("write");
    };
    let partial = copy("partial");
    edit(&partial, "run.json", &|t| {
        t.replace("\"partial\": false", "\"partial\": true")
    });
    let nan = copy("nan");
    edit(&nan, "summary.csv", &|t| {
        let mut lines: Vec<String> = t.lines().map(String::from).collect();
        let cols: Vec<&str> = lines[1].split(',').collect();
        let mut cols: Vec<String> = cols.iter().map(|c| c.to_string()).collect();
        cols[5] = "NaN".into();
        lines[1] = cols.join(",");
        lines.join("\n") + "\n"
    });
    let negative = copy("negative");
    edit(&negative, "summary.csv", &|t| {
        let mut lines: Vec<String> = t.lines().map(String::from).collect();
        let mut cols: Vec<String> = lines[1].split(',').map(String::from).collect();
        cols[1] = "-5".into();
        lines[1] = cols.join(",");
        lines.join("\n") + "\n"
    });
    let duplicate = copy("duplicate");
    edit(&duplicate, "summary.csv", &|t| {
        let second = t.lines().nth(1).expect("a row").to_owned();
        format!("{t}{second}\n")
    });
    let incomplete = copy("incomplete");
    std::fs::remove_file(incomplete.join("run.json")).expect("rm");
    let no_stations = copy("no_stations");
    std::fs::remove_file(no_stations.join("stations.csv")).expect("rm");
    for (dir, fragment) in [
        (&partial, "partial"),
        (&nan, "not a finite number"),
        (&negative, "cannot be negative"),
        (&duplicate, "given twice"),
        (&incomplete, "run.json: missing"),
        (&no_stations, "stations.csv: missing"),
    ] {
        let o = run(&[
            "compare",
            b,
            dir.to_str().expect("utf-8"),
            "--fail-if",
            "ALL.p99_ms > +10%",
        ]);
        assert_eq!(o.status.code(), Some(2), "{}", dir.display());
        let stderr = String::from_utf8_lossy(&o.stderr);
        assert!(stderr.contains(fragment), "{}: {stderr}", dir.display());
    }
    let o = run(&[
        "compare",
        b,
        partial.to_str().expect("utf-8"),
        "--allow-partial",
    ]);
    assert_eq!(o.status.code(), Some(0), "--allow-partial compares it");
}

#[test]
fn a_rule_that_cannot_fail_inside_the_noise_band_is_warned_and_fails_under_strict() {
    let s = Scratch::new();
    let smoke = bundled("ci_smoke");
    let base = s.run_ok(&smoke, "base", &["--replications", "2"]);
    let cand = s.run_ok(&smoke, "cand", &["--replications", "2", "--seed", "5"]);
    let (b, c) = (base.to_str().expect("utf-8"), cand.to_str().expect("utf-8"));
    let rule = "checkout.p99_ms > +1%";
    let o = run(&["compare", b, c, "--fail-if", rule]);
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(
        stderr.contains("cannot fail inside the noise band"),
        "{stderr}"
    );
    assert!(stderr.contains(rule), "{stderr}");
    let strict = run(&["compare", b, c, "--fail-if", rule, "--strict"]);
    assert_eq!(strict.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&strict.stderr).contains("--strict"));
}

#[test]
fn an_overload_is_called_unstable_and_a_diverging_run_stops_with_exit_5_and_a_partial_report() {
    let s = Scratch::new();
    let mmc = bundled("mmc");
    // Ten times the M/M/8's capacity: catalog_db's queue grows ~6,500/s.
    for extra in [&[][..], &["--replications", "3"][..]] {
        let out = s.path(&format!("over{}", extra.len()));
        let mut args = vec![
            "run",
            mmc.to_str().expect("utf-8"),
            "--set",
            "load.rate=7200",
            "--max-in-flight",
            "100000",
            "--quiet",
            "--out",
            out.to_str().expect("utf-8"),
        ];
        args.extend(extra);
        let o = run(&args);
        let stderr = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(5), "{stderr}");
        assert!(
            stderr.contains("warning: the system is unstable: station catalog_db's queue grew"),
            "{stderr}"
        );
        // The warning quotes the capacity plan: 7200/s × 10 ms on 8
        // workers is rho = 9, the queue growing by 7200 − 800 per second.
        assert!(
            stderr.contains("the capacity plan predicted it: rho = 9.00 at 7200.0 sessions/s in stage 1, its queue growing by (lambda - c mu) = 6400/s; it sustains 800.0 sessions/s"),
            "{stderr}"
        );
        assert!(
            stderr.contains("the model diverged")
                && stderr.contains("passed --max-in-flight 100000")
                && stderr.contains("station catalog_db's queue grew without bound"),
            "{stderr}"
        );
        let run_json: serde_json::Value = serde_json::from_str(
            &std::fs::read_to_string(out.join("run.json")).expect("the partial report"),
        )
        .expect("json");
        assert_eq!(run_json["partial"], true);
        assert!(
            run_json["diverged"]
                .as_str()
                .is_some_and(|d| d.contains("catalog_db"))
        );
        assert_eq!(run_json["unstable"][0]["station"], "catalog_db");
        // Stopped long before the hour: at 100,000 in flight, t ≈ 15 s.
        assert!(run_json["sim_end_s"].as_f64().is_some_and(|t| t < 60.0));
    }
}

#[test]
fn scenarios_asking_past_the_documented_limits_are_refused_before_running() {
    let s = Scratch::new();
    let smoke = bundled("ci_smoke");
    let slow = s.scenario(
        "slow.toml",
        &std::fs::read_to_string(&smoke).expect("read")
            .replace("[scenario]", "[[faults]]\nkind = \"slow\"\nstation = \"payment\"\nfactor = 1e12\nat = \"0s\"\nfor = \"1s\"\n\n[scenario]"),
    );
    let cases: [(&[&str], &str); 5] = [
        (
            &["--set", "load.rate=1e300"],
            "load.rate=1e300: `rate` must be at most 1e6 per second",
        ),
        (
            &[
                "--set",
                "stations.payment.service_time={dist=\"lognormal\",median=\"10ms\",sigma=50}",
            ],
            "must be at most 5",
        ),
        (
            &["--set", "admin.restock_rate=1e300"],
            "`restock_rate` must be at most 1e6",
        ),
        (&[], "`factor` must be at most 1e4 times"),
        (&[], "larger than the limit of 8 MiB"),
    ];
    for (i, (sets, fragment)) in cases.iter().enumerate() {
        let file = match i {
            3 => slow.clone(),
            4 => PathBuf::from("/dev/zero"),
            _ => smoke.clone(),
        };
        let mut args = vec!["validate", file.to_str().expect("utf-8")];
        args.extend(sets.iter());
        let o = run(&args);
        let stderr = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{fragment}: {stderr}");
        assert!(stderr.contains(fragment), "{fragment}: {stderr}");
    }
}
