//! `--shard I/N` on `run` and `sweep` (a share of the replications, or of
//! a sweep's units, written as a shard directory) and `ecsim merge` (the
//! shards back into the report one machine would have written). Formats and checks: `report/shard.rs`.

use std::path::PathBuf;

use super::progress::Reporter;
use super::run::{Plan, conclude};
use super::{Error, MergeArgs, RunArgs};
use crate::report::shard::{MergeError, ShardWriter, Shards, SweepSpec};
use crate::report::{self, Replicas, Report};
use crate::runner::{Shard, simulate_some};
use crate::scenario::{self, Loaded};

/// Parses `I/N` or `auto/N` (I from the scheduler's environment).
pub fn parse_shard(spec: &str) -> Result<Shard, String> {
    let env = |k: &str| std::env::var(k).ok();
    parse_shard_with(spec, &env)
}

fn parse_shard_with(spec: &str, env: &dyn Fn(&str) -> Option<String>) -> Result<Shard, String> {
    let usage =
        || format!("--shard {spec}: expected I/N (0 <= I < N), or auto/N, e.g. --shard 2/8");
    let (i, n) = spec.split_once('/').ok_or_else(usage)?;
    let count: u32 = n.trim().parse().map_err(|_| usage())?;
    if count == 0 {
        return Err(format!("--shard {spec}: N must be at least 1"));
    }
    let index = if i.trim() == "auto" {
        auto_index(env).map_err(|e| format!("--shard {spec}: {e}"))?
    } else {
        i.trim().parse().map_err(|_| usage())?
    };
    if index >= count {
        return Err(format!(
            "--shard {spec}: the index {index} must be below N = {count}"
        ));
    }
    Ok(Shard { index, count })
}

/// The shard index the scheduler gives: a Kubernetes Indexed Job's
/// `JOB_COMPLETION_INDEX`, or a Slurm array's task id less its minimum.
fn auto_index(env: &dyn Fn(&str) -> Option<String>) -> Result<u32, String> {
    let number = |k: &str| -> Result<Option<u32>, String> {
        match env(k) {
            None => Ok(None),
            Some(v) => v
                .trim()
                .parse()
                .map(Some)
                .map_err(|_| format!("{k}={v} is not a whole number")),
        }
    };
    if let Some(i) = number("JOB_COMPLETION_INDEX")? {
        return Ok(i);
    }
    match (number("SLURM_ARRAY_TASK_ID")?, number("SLURM_ARRAY_TASK_MIN")?) {
        (Some(id), min) => id
            .checked_sub(min.unwrap_or(0))
            .ok_or_else(|| "SLURM_ARRAY_TASK_ID is below SLURM_ARRAY_TASK_MIN".to_owned()),
        (None, _) => Err("auto needs JOB_COMPLETION_INDEX (a Kubernetes Indexed Job) or SLURM_ARRAY_TASK_ID (a Slurm job array) in the environment".into()),
    }
}

/// Runs shard `shard` of `args`' replications and writes its directory.
pub(super) fn run_shard(
    args: &RunArgs,
    plan: &Plan,
    loaded: &Loaded,
    shard: Shard,
) -> Result<(), Error> {
    let out = args.opts.out.clone().unwrap_or_else(|| {
        PathBuf::from("reports").join(format!("{}-shard-{}", loaded.scenario.name, shard.index))
    });
    let run = ShardRun {
        plan,
        threads: args.opts.threads.get(),
        quiet: args.opts.quiet,
        scenario: &args.scenario.scenario,
    };
    run.write(&out, &[loaded], None, shard)
}

/// How to run the units of a shard.
pub(super) struct ShardRun<'a> {
    pub(super) plan: &'a Plan,
    pub(super) threads: usize,
    pub(super) quiet: bool,
    /// The scenario file, for messages.
    pub(super) scenario: &'a std::path::Path,
}

impl ShardRun<'_> {
    /// Runs shard `shard`'s units of `points` (one scenario, or a sweep's
    /// points with its grid) and writes the shard directory `out`.
    pub(super) fn write(
        &self,
        out: &std::path::Path,
        points: &[&Loaded],
        sweep: Option<SweepSpec>,
        shard: Shard,
    ) -> Result<(), Error> {
        let reps = points[0].scenario.replications.max(1);
        let work: Vec<Vec<u32>> = (0..points.len() as u32)
            .map(|p| shard.units(p * reps, reps))
            .collect();
        let units: u32 = work.iter().map(|w| w.len() as u32).sum();
        let reporter = Reporter::new(
            self.plan.progress_span(&points[0].scenario),
            units,
            self.quiet,
        );
        let resolved = points.iter().map(|l| l.resolved_toml.clone()).collect();
        let mut writer = ShardWriter::new(resolved, sweep, shard.index, shard.count, reps);
        writer.add_data(points.iter().flat_map(|l| &l.scenario.data));
        let (mut interrupted, mut diverged, mut done) = (false, None, 0);
        for (p, (loaded, which)) in points.iter().zip(&work).enumerate() {
            let first = p as u32 * reps;
            let n = simulate_some(
                &loaded.scenario,
                which,
                self.threads,
                self.plan.bug,
                self.plan.max_in_flight,
                &|r, progress| reporter.tick(first + r, progress),
                &mut |r, run| {
                    interrupted |= run.interrupted;
                    if diverged.is_none() {
                        diverged.clone_from(&run.diverged);
                    }
                    writer.add(first + r, run);
                },
            )
            .map_err(|source| Error::Setup {
                scenario: self.scenario.to_path_buf(),
                source,
            })?;
            done += n;
            if interrupted || n < which.len() as u32 {
                break;
            }
        }
        reporter.finish();
        report::atomic::write_report(out, &writer.files()).map_err(Error::Report)?;
        if let Some(message) = diverged {
            return Err(Error::Diverged {
                message,
                what: "shard",
                dir: out.to_path_buf(),
            });
        }
        if interrupted || done < units {
            return Err(Error::Interrupted {
                what: "shard",
                dir: out.to_path_buf(),
                code: super::signals::exit_code(),
            });
        }
        if !self.quiet {
            super::print_stdout(&format!(
                "shard {}/{}: {done} of {} replications written to {}\n",
                shard.index,
                shard.count,
                reps * points.len() as u32,
                out.display()
            ));
        }
        Ok(())
    }
}

fn refused(e: MergeError) -> Error {
    Error::Usage(format!("ecsim merge: {e}"))
}

/// Runs `ecsim merge`.
pub fn merge(args: &MergeArgs) -> Result<(), Error> {
    let started = std::time::Instant::now();
    let shards = Shards::open(&args.shards).map_err(refused)?;
    let reps = shards.replications.max(1);
    let units = shards.resolved.len() as u32 * reps;
    let missing: Vec<u32> = (0..units).filter(|u| !shards.holds(*u)).collect();
    if !args.allow_partial {
        shards.complete().map_err(refused)?;
        if let Some(u) = missing.first() {
            return Err(refused(MergeError::Missing {
                missing: format!(
                    "shard {} lacks unit {u} (was it interrupted?)",
                    u % shards.shards
                ),
            }));
        }
    }
    let mut points = Vec::new();
    for (p, text) in shards.resolved.iter().enumerate() {
        let name = format!(
            "{} (scenario {} of the shards)",
            args.shards[0].display(),
            p + 1
        );
        // Data files are read from the first shard's `data/`.
        let loaded = scenario::load_str_in(&args.shards[0], &name, "merged", text, &[], None)?;
        let mut folded = None;
        let mut held = 0;
        for u in p as u32 * reps..(p as u32 + 1) * reps {
            if shards.holds(u) {
                let run = shards.read(u).map_err(refused)?;
                Replicas::fold(&mut folded, &loaded.scenario, run);
                held += 1;
            }
        }
        let Some(mut runs) = folded else {
            return Err(refused(MergeError::Mismatch(format!(
                "the shards given hold no replication of {}",
                if shards.sweep.is_some() {
                    format!("point {}", p + 1)
                } else {
                    "the run".into()
                }
            ))));
        };
        if held < reps {
            runs.mark_partial();
        }
        let report = Report::build_folded(
            &loaded.scenario,
            &runs,
            loaded.resolved_toml.clone(),
            started.elapsed().as_secs_f64(),
        );
        points.push((loaded, report));
    }
    let first = &points[0].0.scenario;
    let invariant = |report: &Report| {
        let lines: Vec<String> = report
            .violations()
            .iter()
            .take(10)
            .map(|(id, msg)| format!("invariant {id} violated: {msg}"))
            .collect();
        Error::Invariant(lines.join("\n"))
    };
    let Some(spec) = &shards.sweep else {
        let out = args
            .out
            .clone()
            .unwrap_or_else(|| PathBuf::from("reports").join(&first.name));
        let report = &points[0].1;
        let interrupted = report.run.partial && missing.is_empty();
        return conclude(report, &out, args.quiet, interrupted, || invariant(report));
    };
    let out = args
        .out
        .clone()
        .unwrap_or_else(|| PathBuf::from("reports").join(format!("{}-sweep", first.name)));
    let done: Vec<_> = spec
        .points
        .iter()
        .zip(&points)
        .map(|(pt, (_, report))| (pt.values.clone(), pt.cost, report.clone()))
        .collect();
    let finished = super::sweep::finish(
        &out,
        &spec.keys,
        first,
        &spec.cost_of,
        &done,
        args.quiet,
        |_, r| invariant(r),
    );
    match finished {
        // Points merged from some of the shards are partial by request.
        Err(Error::Interrupted { .. }) if !missing.is_empty() => Ok(()),
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &'static [(&'static str, &'static str)]) -> impl Fn(&str) -> Option<String> {
        move |k| pairs.iter().find(|p| p.0 == k).map(|p| p.1.to_owned())
    }

    #[test]
    fn shard_specs_and_the_schedulers_environment() {
        let none = env(&[]);
        assert_eq!(
            parse_shard_with("2/8", &none),
            Ok(Shard { index: 2, count: 8 })
        );
        assert!(
            parse_shard_with("8/8", &none)
                .unwrap_err()
                .contains("below N = 8")
        );
        assert!(parse_shard_with("1/0", &none).is_err());
        assert!(
            parse_shard_with("x", &none)
                .unwrap_err()
                .contains("expected I/N")
        );
        assert!(
            parse_shard_with("auto/4", &none)
                .unwrap_err()
                .contains("JOB_COMPLETION_INDEX")
        );
        let k8s = env(&[("JOB_COMPLETION_INDEX", "3")]);
        assert_eq!(
            parse_shard_with("auto/4", &k8s),
            Ok(Shard { index: 3, count: 4 })
        );
        let slurm = env(&[
            ("SLURM_ARRAY_TASK_ID", "12"),
            ("SLURM_ARRAY_TASK_MIN", "10"),
        ]);
        assert_eq!(
            parse_shard_with("auto/4", &slurm),
            Ok(Shard { index: 2, count: 4 })
        );
    }
}
