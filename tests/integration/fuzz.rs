//! Fuzzing the front door: random scenario files, valid and broken, with
//! random `--set` overrides (see `fuzz/cases.rs` for what is generated).
//!
//! Properties, each over a fixed-seed stream of cases so that a failure
//! replays exactly:
//!
//! - loading never panics, and a rejection lists at least one problem,
//!   each one line, at `FILE:LINE:COL` inside the text or at a `--set`
//!   argument that was given;
//! - an accepted scenario's `scenario.resolved.toml` loads again to itself,
//!   and a short run of it (arrivals for ten virtual seconds at most,
//!   stopped by the runner's `control` after a bounded number of events)
//!   returns without
//!   panicking, with sessions in flight and the process's memory under a
//!   bound, and builds a report without invariant violations;
//! - the real binary, given rejected cases, exits 2, prints exactly the
//!   located problems on stderr and writes nothing.
//!
//! The library is called directly for speed; the binary only for the last.
//! This lives in the integration binary, not beside `scenario.rs`, because
//! it crosses layers (scenario, runner, report, the binary) as a user does.

mod bases;
mod budget;
mod cases;
mod tree;
mod vocabulary;

use std::collections::BTreeMap;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};

use ecsim::kernel::time::SimDuration;
use ecsim::model::Progress;
use ecsim::report::Report;
use ecsim::runner::simulate;
use ecsim::scenario::span::Location;
use ecsim::scenario::{Loaded, ScenarioError, load_str};
use proptest::strategy::{Strategy, ValueTree};
use proptest::test_runner::{Config, RngAlgorithm, RngSeed, TestCaseError, TestRng, TestRunner};

use crate::util::*;
use tree::Rendered;

/// The name the scenario text is loaded under.
const FILE: &str = "fuzz.toml";
/// A short run: arrivals stop after this much virtual time.
const SHORT_S: u64 = 10;
/// A short run is stopped once it has processed this many events (the
/// engine asks `control` every 65,536 events, so it may go one period on).
const MAX_EVENTS: u64 = 200_000;
const PROGRESS_EVERY: u64 = 1 << 16;
/// Most sessions in flight a short run may have.
const MAX_ACTIVE: usize = 100_000;
/// Most resident memory of this test process during a short run.
const MAX_RSS_KIB: u64 = 4 << 20;

/// A deterministic runner: fixed seed, no environment variables, no
/// regression files, bounded shrinking.
fn runner(cases: u32, seed: u8) -> TestRunner {
    let config = Config {
        cases,
        max_local_rejects: 65_536,
        max_global_rejects: 1024,
        max_flat_map_regens: 1_000_000,
        max_default_size_range: 100,
        failure_persistence: None,
        fork: false,
        timeout: 0,
        max_shrink_iters: 256,
        max_shrink_time: 30_000,
        verbose: 0,
        rng_algorithm: RngAlgorithm::ChaCha,
        rng_seed: RngSeed::Fixed(u64::from(seed)),
        ..Config::default()
    };
    let mut bytes = *b"ecsim fuzz: scenarios & --set!!!";
    bytes[0] = seed;
    TestRunner::new_with_rng(config, TestRng::from_seed(RngAlgorithm::ChaCha, &bytes))
}

/// What a case produced, for the tallies.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Outcome {
    Rejected,
    /// Loaded (not run by this test).
    Accepted,
    Ran,
    /// Accepted, but too big for a short run until the run-time limits
    /// exist (see `budget::too_big`).
    TooBig(&'static str),
}

fn load_case(r: &Rendered) -> Result<Result<Loaded, ScenarioError>, TestCaseError> {
    catch_unwind(|| load_str(FILE, "fuzz", &r.text, &r.sets, r.seed)).map_err(|p| {
        TestCaseError::fail(format!(
            "loading panicked: {}\n--- text ---\n{}\n--- sets: {:?} seed {:?}",
            panic_text(&p),
            r.text,
            r.sets,
            r.seed
        ))
    })
}

fn panic_text(p: &Box<dyn std::any::Any + Send>) -> String {
    p.downcast_ref::<String>()
        .cloned()
        .or_else(|| p.downcast_ref::<&str>().map(|s| (*s).to_owned()))
        .unwrap_or_default()
}

/// Every problem is one line at a position inside the text, or at a
/// `--set` that was given; the rendered error says so on every line.
fn check_located(e: &ScenarioError, r: &Rendered) -> Result<(), TestCaseError> {
    let fail = |why: String| {
        TestCaseError::fail(format!(
            "{why}\n--- error ---\n{e}\n--- text ---\n{}\n--- sets: {:?} seed {:?}",
            r.text, r.sets, r.seed
        ))
    };
    let mut args = r.sets.clone();
    args.extend(r.seed.map(|s| format!("scenario.seed={s}")));
    if e.file != FILE || e.problems.is_empty() {
        return Err(fail(
            "a rejection must name the file and list a problem".into(),
        ));
    }
    let lines: Vec<&str> = r.text.split('\n').collect();
    for p in &e.problems {
        if p.message.trim().is_empty() || p.message.contains(['\n', '\r']) {
            return Err(fail(format!("message {:?} is not one line", p.message)));
        }
        let inside = match &p.location {
            Location::File { line, col } => {
                (1..=lines.len()).contains(line)
                    && (1..=lines[line - 1].chars().count() + 1).contains(col)
            }
            Location::Set { arg } => args.contains(arg),
        };
        if !inside {
            return Err(fail(format!(
                "{:?} is not a place in the input",
                p.location
            )));
        }
    }
    let shown = e.to_string();
    let prefixes: Vec<String> = args.iter().map(|a| format!("--set {a}: ")).collect();
    let lines_ok = shown.lines().count() == e.problems.len()
        && shown
            .lines()
            .all(|l| prefixes.iter().any(|p| l.starts_with(p)) || file_position(l).is_some());
    if lines_ok {
        Ok(())
    } else {
        Err(fail(
            "a line of the error does not start with its position".into(),
        ))
    }
}

/// `(line, col)` when `l` starts with `fuzz.toml:LINE:COL: `.
fn file_position(l: &str) -> Option<(usize, usize)> {
    let rest = l.strip_prefix(FILE)?.strip_prefix(':')?;
    let (line, rest) = rest.split_once(':')?;
    let (col, _) = rest.split_once(": ")?;
    Some((line.parse().ok()?, col.parse().ok()?))
}

/// This process's resident memory, KiB (0 where /proc is not there).
fn rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("VmRSS:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        })
        .unwrap_or(0)
}

/// The resolved file loads to itself; a short run returns, bounded, and
/// its report builds without invariant violations.
fn check_runs(loaded: &Loaded, r: &Rendered) -> Result<Outcome, TestCaseError> {
    let fail = |why: String| {
        TestCaseError::fail(format!(
            "{why}\n--- text ---\n{}\n--- sets: {:?} seed {:?}",
            r.text, r.sets, r.seed
        ))
    };
    let again =
        catch_unwind(|| load_str("resolved.toml", "fuzz", &loaded.resolved_toml, &[], None));
    match again {
        Ok(Ok(a)) if a.resolved_toml == loaded.resolved_toml => {}
        Ok(Ok(a)) => {
            return Err(fail(format!(
                "the resolved scenario resolves differently:\n{}\n--- again ---\n{}",
                loaded.resolved_toml, a.resolved_toml
            )));
        }
        Ok(Err(e)) => {
            return Err(fail(format!(
                "the resolved scenario is rejected: {e}\n{}",
                loaded.resolved_toml
            )));
        }
        Err(p) => {
            return Err(fail(format!(
                "loading the resolved scenario panicked: {}",
                panic_text(&p)
            )));
        }
    }
    let mut sc = loaded.scenario.clone();
    if let Some(why) = budget::too_big(&sc) {
        return Ok(Outcome::TooBig(why));
    }
    sc.duration = sc.duration.min(SimDuration::from_secs(SHORT_S));
    if sc.warmup >= sc.duration {
        sc.warmup = SimDuration::ZERO;
    }
    sc.replications = 1;
    let peak = AtomicUsize::new(0);
    let rss = AtomicU64::new(0);
    let over = AtomicBool::new(false);
    let control = |_: u32, p: &Progress| {
        peak.fetch_max(p.active, Ordering::Relaxed);
        let now = rss_kib();
        rss.fetch_max(now, Ordering::Relaxed);
        let ok = p.active <= MAX_ACTIVE && now <= MAX_RSS_KIB;
        if !ok {
            over.store(true, Ordering::Relaxed);
        }
        ok && p.events < MAX_EVENTS
    };
    let mut runs = Vec::new();
    let fold = &mut |r| runs.push(r);
    let ran = catch_unwind(AssertUnwindSafe(|| {
        simulate(&sc, 1, None, MAX_ACTIVE, &control, fold)
    }));
    match ran {
        Ok(Ok(_)) => {}
        Ok(Err(e)) => {
            return Err(fail(format!(
                "accepted, then refused at setup without a position: {e}"
            )));
        }
        Err(p) => return Err(fail(format!("the short run panicked: {}", panic_text(&p)))),
    };
    let events: u64 = runs.iter().map(|r| r.events).sum();
    if over.load(Ordering::Relaxed) || events > MAX_EVENTS + PROGRESS_EVERY {
        return Err(fail(format!(
            "unbounded short run: {events} events, peak {} sessions in flight, {} KiB resident",
            peak.load(Ordering::Relaxed),
            rss.load(Ordering::Relaxed)
        )));
    }
    let report = catch_unwind(AssertUnwindSafe(|| {
        let report = Report::build(&sc, &runs, loaded.resolved_toml.clone(), 0.0);
        let files = report.files();
        (report.violations(), files.len())
    }));
    match report {
        Ok((violations, _)) if violations.is_empty() => Ok(Outcome::Ran),
        Ok((violations, _)) => Err(fail(format!("invariants violated: {violations:?}"))),
        Err(p) => Err(fail(format!(
            "building the report panicked: {}",
            panic_text(&p)
        ))),
    }
}

/// Runs `cases` generated cases through `check`, tallying outcomes.
fn fuzz(
    cases: u32,
    seed: u8,
    check: impl Fn(&Rendered) -> Result<Outcome, TestCaseError>,
) -> BTreeMap<Outcome, usize> {
    let bases = bases::bases();
    let tally = Mutex::new(BTreeMap::new());
    let result = runner(cases, seed).run(&cases::case(), |c| {
        let r = tree::render(&bases[c.base.index(bases.len())].1, &c);
        let o = check(&r)?;
        *tally
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .entry(o)
            .or_insert(0) += 1;
        Ok(())
    });
    if let Err(e) = result {
        panic!("{e}");
    }
    tally.into_inner().unwrap_or_else(|e| e.into_inner())
}

#[test]
fn every_base_of_the_fuzzer_is_a_valid_scenario() {
    for (name, text) in bases::bases() {
        if let Err(e) = load_str(&name, "base", &text, &[], None) {
            panic!("{name}: {e}");
        }
    }
}

#[test]
fn random_scenarios_and_overrides_never_panic_and_every_rejection_is_located() {
    let _cpu = Scratch::new(); // busy for seconds: never beside a wall-clock test
    let tally = fuzz(8000, 1, |r| match load_case(r)? {
        Ok(_) => Ok(Outcome::Accepted),
        Err(e) => check_located(&e, r).map(|_| Outcome::Rejected),
    });
    eprintln!("loading: {tally:?}");
    let rejected = tally.get(&Outcome::Rejected).copied().unwrap_or(0);
    let accepted = tally.get(&Outcome::Accepted).copied().unwrap_or(0);
    assert!(
        rejected >= 2000 && accepted >= 400,
        "the generator should make both valid and broken cases: {tally:?}"
    );
}

#[test]
fn every_accepted_random_scenario_runs_briefly_in_bounded_memory() {
    let _cpu = Scratch::new(); // busy for seconds: never beside a wall-clock test
    let tally = fuzz(1500, 2, |r| match load_case(r)? {
        Ok(loaded) => check_runs(&loaded, r),
        Err(_) => Ok(Outcome::Rejected),
    });
    eprintln!("short runs: {tally:?}");
    let ran = tally.get(&Outcome::Ran).copied().unwrap_or(0);
    assert!(ran >= 100, "too few cases ran: {tally:?}");
}

#[test]
fn the_binary_exits_2_on_random_rejections_with_every_problem_located_and_writes_nothing() {
    let bases = bases::bases();
    let mut runner = runner(0, 3);
    let strategy = cases::case();
    let s = Scratch::new();
    let (mut rejected, mut accepted) = (0, 0);
    for n in 0..400 {
        if rejected >= 25 && accepted >= 5 {
            break;
        }
        let c = strategy.new_tree(&mut runner).expect("a case").current();
        let r = tree::render(&bases[c.base.index(bases.len())].1, &c);
        let file = s.path(&format!("case-{n}.toml"));
        let mut bytes = r.text.clone().into_bytes();
        if n % 40 == 7 {
            bytes.insert(bytes.len() / 2, 0xff); // not UTF-8
        }
        std::fs::write(&file, &bytes).expect("write the case");
        let path = file.to_str().expect("utf-8 path").to_owned();
        let mut args: Vec<String> = r.sets.iter().map(|a| format!("--set={a}")).collect();
        args.extend(r.seed.map(|x| format!("--seed={x}")));
        let case = format!("{path}: sets {:?} seed {:?}\n{}", r.sets, r.seed, r.text);
        match ecsim::scenario::load(&file, &r.sets, r.seed) {
            Err(e) if rejected < 25 => {
                rejected += 1;
                let out = s.path(&format!("out-{n}"));
                let mut run_args = vec!["run".to_owned(), path.clone(), "--out".into()];
                run_args.extend([out.to_str().expect("utf-8 path").to_owned(), "-q".into()]);
                run_args.extend(args);
                let o = ecsim().args(&run_args).output().expect("ecsim starts");
                let stderr = String::from_utf8_lossy(&o.stderr);
                assert_eq!(o.status.code(), Some(2), "{case}\n{stderr}");
                assert_eq!(stderr, format!("{e}\n"), "{case}");
                for line in stderr.lines() {
                    let located = line.starts_with("--set ")
                        || line
                            .strip_prefix(&format!("{path}:"))
                            .and_then(|rest| rest.split_once(": "))
                            .and_then(|(pos, _)| pos.split_once(':'))
                            .is_some_and(|(l, c)| {
                                l.parse::<usize>().is_ok() && c.parse::<usize>().is_ok()
                            });
                    assert!(located, "{line:?} has no position\n{case}");
                }
                assert!(o.stdout.is_empty(), "{case}");
                assert!(!out.exists(), "a report was written\n{case}");
            }
            Ok(loaded) if accepted < 5 => {
                accepted += 1;
                let mut validate_args = vec!["validate".to_owned(), path.clone()];
                validate_args.extend(args);
                let o = ecsim().args(&validate_args).output().expect("ecsim starts");
                let stderr = String::from_utf8_lossy(&o.stderr);
                assert_eq!(o.status.code(), Some(0), "{case}\n{stderr}");
                // The resolved scenario, then its notes and capacity plan
                // as comments.
                let stdout = String::from_utf8_lossy(&o.stdout);
                let plan = ecsim::scenario::capacity::CapacityPlan::new(&loaded.scenario);
                assert_eq!(stdout, ecsim::cli::validate::text(&loaded, &plan), "{case}");
                assert!(stdout.starts_with(loaded.resolved_toml.as_str()), "{case}");
            }
            _ => {}
        }
    }
    assert!(
        rejected >= 25 && accepted >= 5,
        "{rejected} rejected, {accepted} accepted"
    );
    let left: Vec<String> = std::fs::read_dir(s.path(""))
        .expect("scratch")
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|f| !(f.starts_with("case-") && f.ends_with(".toml")))
        .collect();
    assert!(left.is_empty(), "written despite errors: {left:?}");
}
