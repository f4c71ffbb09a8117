//! `ecsim run`: load, simulate, write the report, map the outcome to an
//! exit code.

use std::path::PathBuf;

use super::progress::Reporter;
use super::{RunArgs, print_stdout};
use crate::exit;
use crate::report::{self, Report};
use crate::runner::simulate;
use crate::scenario;

/// Runs `ecsim run`.
pub fn run(args: &RunArgs) -> u8 {
    let sa = &args.scenario;
    let sets = with_replications(&sa.sets, &args.opts);
    let loaded = match scenario::load(&sa.scenario, &sets, sa.seed) {
        Ok(l) => l,
        Err(e) => {
            eprintln!("{e}");
            return exit::USAGE;
        }
    };
    let sc = &loaded.scenario;
    let out = args
        .opts
        .out
        .clone()
        .unwrap_or_else(|| PathBuf::from("reports").join(&sc.name));

    let reps = sc.replications;
    let reporter = Reporter::new(sc.duration, reps, args.opts.quiet);
    let runs = simulate(
        sc,
        args.opts.threads.get(),
        args.opts.inject_bug.map(|b| b.shop_bug()),
        &|i, p| reporter.tick(i, p),
    );
    reporter.finish();
    let runs = match runs {
        Ok(r) => r,
        Err(e) => {
            eprintln!("{}: {e}", sa.scenario.display());
            return exit::USAGE;
        }
    };
    let interrupted = runs.iter().any(|r| r.interrupted);
    let report = Report::build(
        sc,
        &runs,
        loaded.resolved_toml.clone(),
        reporter.elapsed_s(),
    );

    if let Err(e) = report::atomic::write_report(&out, &report.files(), report::is_report_file) {
        eprintln!("error: {e}; the previous report, if any, is unchanged");
        return exit::IO;
    }
    if !args.opts.quiet {
        print_stdout(&report::console::render(
            &report,
            &out.display().to_string(),
        ));
    }
    if !report.violations().is_empty() {
        report_violations(&report, &sa.scenario.display().to_string(), sc.seed, &sets);
        return exit::INVARIANT;
    }
    if interrupted {
        eprintln!("interrupted: partial report written to {}", out.display());
        return exit::INTERRUPTED;
    }
    if !report.thresholds_pass() {
        let failed: Vec<String> = report
            .thresholds
            .iter()
            .filter(|v| !v.pass)
            .map(|v| format!("{} {} (actual {:.3})", v.threshold, v.expected, v.actual))
            .collect();
        eprintln!("thresholds failed: {}", failed.join("; "));
        return exit::THRESHOLD;
    }
    exit::OK
}

/// The `--set` overrides plus `--replications`, if given.
pub fn with_replications(sets: &[String], opts: &super::RunOpts) -> Vec<String> {
    let mut sets = sets.to_vec();
    if let Some(n) = opts.replications {
        sets.push(format!("scenario.replications={n}"));
    }
    sets
}

/// Prints invariant violations with the seed and the command to replay.
pub fn report_violations(report: &Report, scenario: &str, seed: u64, sets: &[String]) {
    let mut shown: std::collections::BTreeMap<String, usize> = Default::default();
    for (id, msg) in report.violations() {
        let n = shown.entry(id.clone()).or_default();
        *n += 1;
        if *n <= 10 {
            eprintln!("invariant {id} violated: {msg}");
        }
    }
    for (id, n) in shown.iter().filter(|(_, n)| **n > 10) {
        eprintln!(
            "invariant {id}: {} more violations (see invariants.csv)",
            n - 10
        );
    }
    eprintln!(
        "this is a bug in ecsim; replay with: ecsim run {scenario} --seed {seed}{}",
        sets.iter()
            .map(|s| format!(" --set '{s}'"))
            .collect::<String>()
    );
}
