//! `ecsim run`: load, simulate, write the report, map the outcome to an
//! exit code.

use std::path::PathBuf;

use super::progress::Reporter;
use super::{RunArgs, print_stdout};
use crate::agent::business::ModelOnly;
use crate::exit;
use crate::report::{self, Report};
use crate::scenario;
use crate::sim::engine::Engine;

/// Runs `ecsim run`.
pub fn run(args: &RunArgs) -> u8 {
    let sa = &args.scenario;
    let loaded = match scenario::load(&sa.scenario, &sa.sets, sa.seed) {
        Ok(l) => l,
        Err(e) => {
            eprintln!("{e}");
            return exit::USAGE;
        }
    };
    let sc = &loaded.scenario;
    let out = args
        .out
        .clone()
        .unwrap_or_else(|| PathBuf::from("reports").join(&sc.name));

    let mut reporter = Reporter::new(sc.duration, args.quiet);
    let mut engine = Engine::new(sc, ModelOnly);
    let result = engine.run(&mut |p| reporter.tick(p));
    reporter.finish();
    let report = Report::build(
        sc,
        &result,
        loaded.resolved_toml.clone(),
        reporter.elapsed_s(),
    );

    if let Err(e) = report::atomic::write_report(&out, &report.files(), report::is_report_file) {
        eprintln!("error: {e}; the previous report, if any, is unchanged");
        return exit::IO;
    }
    if !args.quiet {
        print_stdout(&report::console::render(
            &report,
            &out.display().to_string(),
        ));
    }
    if !report.violations.is_empty() {
        for (id, msg) in &report.violations {
            eprintln!("invariant {id} violated: {msg}");
        }
        eprintln!(
            "this is a bug in ecsim; replay with: ecsim run {} --seed {}{}",
            sa.scenario.display(),
            sc.seed,
            sa.sets
                .iter()
                .map(|s| format!(" --set '{s}'"))
                .collect::<String>()
        );
        return exit::INVARIANT;
    }
    if result.interrupted {
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
