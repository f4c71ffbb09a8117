//! `ecsim run`: load, simulate, write the report, map the outcome to an
//! exit code.

use std::path::PathBuf;
use std::sync::Mutex;

use super::progress::Reporter;
use super::{Clock, RunOpts};
use super::{Error, RunArgs, print_stdout};
use crate::kernel::time::SimDuration;
use crate::metrics::result::WallFacts;
use crate::model::Progress;
use crate::model::SetupError;
use crate::model::access::{AccessLog, parse_rfc3339};
use crate::report::atomic::{PendingFile, WriteError};
use crate::report::{self, Replicas, Report};
use crate::runner::simulate_logged;
use crate::scenario;
use crate::scenario::Scenario;
use crate::scenario::capacity::{self, CapacityPlan};
use crate::scenario::validate::parse_duration;
use crate::wall::{self, StressLimit, WallOptions};

/// Runs `ecsim run`.
pub fn run(args: &RunArgs) -> Result<(), Error> {
    let sa = &args.scenario;
    let sets = with_replications(&sa.sets, &args.opts);
    let loaded = scenario::load(&sa.scenario, &sets, sa.seed)?;
    let sc = &loaded.scenario;
    let out = args
        .opts
        .out
        .clone()
        .unwrap_or_else(|| PathBuf::from("reports").join(&sc.name));

    let plan = Plan::new(&args.opts, sc).map_err(Error::Usage)?;
    let log = access_log(args, &plan, sc)?;
    if let Some(spec) = &args.shard {
        let shard = super::shard::parse_shard(spec).map_err(Error::Usage)?;
        if plan.clock != Clock::Virtual {
            return Err(Error::Usage(
                "--shard needs the virtual clock: a wall run is one real run".into(),
            ));
        }
        return super::shard::run_shard(args, &plan, &loaded, shard);
    }
    // The capacity plan first: it needs nothing but the scenario. A stress
    // run drops the modelled delays, so the plan says nothing of it.
    let reporter = Reporter::new(plan.progress_span(sc), sc.replications, args.opts.quiet);
    let reporter = if !args.opts.quiet && plan.clock != Clock::Stress {
        let capacity = CapacityPlan::new(sc);
        print_stdout(&format!("{}\n", capacity::to_text(&capacity, "")));
        reporter.with_plan(capacity)
    } else {
        reporter.with_plan_of(sc)
    };
    let slot = log.as_ref().map(|(_, l)| l);
    let outcome = plan.execute(
        sc,
        args.opts.threads.get(),
        &|i, p| reporter.tick(i, p),
        slot,
    );
    reporter.finish();
    if let (Ok(_), Some((pending, slot))) = (&outcome, log) {
        let log = slot.into_inner().unwrap_or_else(|e| e.into_inner());
        let flushed = log.map_or(Ok(0), AccessLog::finish);
        let path = args.access_log.clone().unwrap_or_default();
        flushed
            .map_err(|source| Error::Write(WriteError { path, source }))
            .and_then(|_| pending.commit().map_err(Error::Write))?;
    }
    let (runs, wall) = outcome.map_err(|source| Error::Setup {
        scenario: sa.scenario.clone(),
        source,
    })?;
    let interrupted = runs.merged().interrupted;
    let mut report = Report::build_folded(
        sc,
        &runs,
        loaded.resolved_toml.clone(),
        reporter.elapsed_s(),
    );
    report.set_wall(wall);
    conclude(&report, &out, args.opts.quiet, interrupted, || {
        violations(
            &report,
            &sa.scenario.display().to_string(),
            sc.seed,
            &sets,
            &args.opts,
        )
    })
}

/// The access log `run --access-log` asks for: its pending file and the
/// log the first replication writes into it.
type LogSlot = (PendingFile, Mutex<Option<AccessLog>>);

/// Opens `--access-log`, if given (the virtual clock only).
fn access_log(args: &RunArgs, plan: &Plan, sc: &Scenario) -> Result<Option<LogSlot>, Error> {
    let Some(path) = &args.access_log else {
        return Ok(None);
    };
    if plan.clock != Clock::Virtual {
        return Err(Error::Usage(
            "--access-log needs the virtual clock (the wall clock does not write one)".into(),
        ));
    }
    if args.shard.is_some() {
        return Err(Error::Usage(
            "--access-log follows replication 0 of one run: not with --shard".into(),
        ));
    }
    let start =
        parse_rfc3339(&args.log_start).map_err(|e| Error::Usage(format!("--log-start: {e}")))?;
    let (pending, file) = PendingFile::create(path).map_err(Error::Write)?;
    let log = AccessLog::new(Box::new(file), sc, start);
    Ok(Some((pending, Mutex::new(Some(log)))))
}

/// Writes `report` to `out`, prints its summary unless `quiet`, and maps
/// what it says to the exit code (`on_violations` builds the invariant
/// error, which says how to replay the run).
pub(super) fn conclude(
    report: &Report,
    out: &std::path::Path,
    quiet: bool,
    interrupted: bool,
    on_violations: impl FnOnce() -> Error,
) -> Result<(), Error> {
    report::atomic::write_report(out, &report.files()).map_err(Error::Report)?;
    if !quiet {
        print_stdout(&report::console::render(report, &out.display().to_string()));
    }
    if !report.violations().is_empty() {
        return Err(on_violations());
    }
    if let Some(message) = &report.run.diverged {
        return Err(Error::Diverged {
            message: message.clone(),
            what: "report",
            dir: out.to_path_buf(),
        });
    }
    if interrupted {
        return Err(Error::Interrupted {
            what: "report",
            dir: out.to_path_buf(),
            code: super::signals::exit_code(),
        });
    }
    if !report.thresholds_pass() {
        let failed = report
            .thresholds
            .iter()
            .filter(|v| !v.pass)
            .map(|v| format!("{} {} (actual {:.3})", v.threshold, v.expected, v.actual))
            .collect();
        return Err(Error::Thresholds(failed));
    }
    Ok(())
}

/// The `--set` overrides plus `--replications`, if given.
pub fn with_replications(sets: &[String], opts: &super::RunOpts) -> Vec<String> {
    let mut sets = sets.to_vec();
    if let Some(n) = opts.replications {
        sets.push(format!("scenario.replications={n}"));
    }
    sets
}

/// The invariant violations of `report` (at most ten per invariant), the
/// seed and the command to replay the run.
pub fn violations(
    report: &Report,
    scenario: &str,
    seed: u64,
    sets: &[String],
    opts: &RunOpts,
) -> Error {
    let mut lines = Vec::new();
    let mut shown: std::collections::BTreeMap<String, usize> = Default::default();
    for (id, msg) in report.violations() {
        let n = shown.entry(id.clone()).or_default();
        *n += 1;
        if *n <= 10 {
            lines.push(format!("invariant {id} violated: {msg}"));
        }
    }
    for (id, n) in shown.iter().filter(|(_, n)| **n > 10) {
        lines.push(format!(
            "invariant {id}: {} more violations (see invariants.csv)",
            n - 10
        ));
    }
    let clock = match opts.clock {
        Clock::Virtual => String::new(),
        Clock::Wall => format!(" --clock wall --time-scale {}", opts.time_scale()),
        Clock::Stress => format!(
            " --clock stress --tasks {} --for {} --threads {}",
            opts.tasks(),
            opts.run_for(),
            opts.threads
        ),
    };
    lines.push(format!(
        "this is a bug in ecsim; replay with: ecsim run {scenario} --seed {seed}{clock}{}",
        sets.iter()
            .map(|s| format!(" --set '{s}'"))
            .collect::<String>()
    ));
    Error::Invariant(lines.join("\n"))
}

/// The smallest `--time-scale`: a model second in 0.1 ms of wall time,
/// below the timer's precision.
pub const MIN_TIME_SCALE: f64 = 1e-4;
/// The largest `--time-scale`: a model millisecond in a wall second.
pub const MAX_TIME_SCALE: f64 = 1e3;

/// A number as a user reads it: `1e300`, not three hundred digits.
fn readable(x: f64) -> String {
    if x != 0.0 && x.is_finite() && !(1e-4..1e6).contains(&x.abs()) {
        format!("{x:e}")
    } else {
        x.to_string()
    }
}

/// How a scenario will run, from the run options, checked up front.
pub struct Plan {
    pub(super) clock: Clock,
    wall: WallOptions,
    pub(super) bug: Option<crate::shop::InjectedBug>,
    /// Test only: a worker thread panics.
    panic: bool,
    /// The memory guard.
    pub(super) max_in_flight: usize,
}

impl Plan {
    /// Checks the clock options against the scenario.
    pub fn new(opts: &RunOpts, sc: &Scenario) -> Result<Plan, String> {
        let given = |flag: &str, present: bool, clocks: &[Clock], which: &str| {
            if present && !clocks.contains(&opts.clock) {
                Err(format!(
                    "{flag} only applies to {which}; this run uses --clock {}",
                    opts.clock.name()
                ))
            } else {
                Ok(())
            }
        };
        given(
            "--time-scale",
            opts.time_scale.is_some(),
            &[Clock::Wall],
            "--clock wall",
        )?;
        given(
            "--tasks",
            opts.tasks.is_some(),
            &[Clock::Stress],
            "--clock stress (ecsim stress)",
        )?;
        given(
            "--for",
            opts.run_for.is_some(),
            &[Clock::Stress],
            "--clock stress (ecsim stress)",
        )?;
        if !(MIN_TIME_SCALE..=MAX_TIME_SCALE).contains(&opts.time_scale()) {
            return Err(format!(
                "--time-scale must be between {MIN_TIME_SCALE} and {MAX_TIME_SCALE} wall seconds per model second, found {}",
                readable(opts.time_scale())
            ));
        }
        if opts.clock != Clock::Virtual && sc.replications > 1 {
            return Err("replications need the virtual clock: a wall run is one real run".into());
        }
        if opts.tasks() == 0 {
            return Err("--tasks must be at least 1".into());
        }
        let run_for = parse_duration(opts.run_for()).map_err(|e| format!("--for: {e}"))?;
        let stall = match &opts.inject_stall {
            None => None,
            Some(text) => {
                let (at, len) = text
                    .split_once(':')
                    .ok_or("--inject-stall: expected AT:LEN, e.g. 30s:500ms")?;
                let at = parse_duration(at).map_err(|e| format!("--inject-stall: {e}"))?;
                let len = parse_duration(len).map_err(|e| format!("--inject-stall: {e}"))?;
                Some((at, std::time::Duration::from_nanos(len.as_nanos())))
            }
        };
        Ok(Plan {
            clock: opts.clock,
            wall: WallOptions {
                time_scale: opts.time_scale(),
                threads: opts.threads.get(),
                stress: (opts.clock == Clock::Stress).then(|| {
                    (
                        opts.tasks(),
                        StressLimit::For(std::time::Duration::from_nanos(run_for.as_nanos())),
                    )
                }),
                stall,
                bug: opts.inject_bug.and_then(|b| b.shop_bug()),
                panic: opts.inject_bug == Some(super::InjectBug::PanicInWorker),
                max_in_flight: opts.max_in_flight,
            },
            bug: opts.inject_bug.and_then(|b| b.shop_bug()),
            panic: opts.inject_bug == Some(super::InjectBug::PanicInWorker),
            max_in_flight: opts.max_in_flight,
        })
    }

    /// The model-time span the progress bar covers.
    pub fn progress_span(&self, sc: &Scenario) -> SimDuration {
        match &self.wall.stress {
            Some((_, StressLimit::For(d))) => SimDuration::from_nanos(d.as_nanos() as u64),
            _ => sc.duration,
        }
    }

    /// Runs the scenario: its replications on the virtual clock, folded as
    /// they finish (replication 0 writing `log`), or one wall-clock run.
    pub fn execute(
        &self,
        sc: &Scenario,
        threads: usize,
        control: &(dyn Fn(u32, &Progress) -> bool + Sync),
        log: Option<&Mutex<Option<AccessLog>>>,
    ) -> Result<(Replicas, Option<WallFacts>), SetupError> {
        if self.panic && self.clock == Clock::Virtual {
            // A worker thread that panics, as a replication's could.
            let _ = std::thread::spawn(|| panic!("injected panic in a worker thread")).join();
        }
        match self.clock {
            Clock::Virtual => {
                let mut folded = None;
                let n = simulate_logged(
                    sc,
                    threads,
                    self.bug,
                    self.max_in_flight,
                    control,
                    &mut |run| Replicas::fold(&mut folded, sc, run),
                    log,
                )?;
                // Cannot fail: the first replication always runs, and a
                // setup error returned above.
                let mut folded = folded.expect("the first replication ran");
                if n < sc.replications.max(1) {
                    // Fewer replications than asked: the report is partial.
                    folded.mark_partial();
                }
                Ok((folded, None))
            }
            Clock::Wall | Clock::Stress => {
                let (r, facts) = wall::run(sc, &self.wall, control)?;
                Ok((Replicas::new(sc, r), Some(facts)))
            }
        }
    }
}
