//! `ecsim run --shard I/N` (one shard of a run's replications, written as
//! a shard directory) and `ecsim merge` (the shards back into the report
//! one machine would have written). Formats and checks: `report/shard.rs`.

use std::path::PathBuf;

use super::progress::Reporter;
use super::run::{Plan, conclude};
use super::{Error, MergeArgs, RunArgs};
use crate::report::shard::{MergeError, ShardWriter, Shards};
use crate::report::{self, Replicas, Report};
use crate::runner::{Shard, simulate_shard};
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
    let sc = &loaded.scenario;
    let out = args.opts.out.clone().unwrap_or_else(|| {
        PathBuf::from("reports").join(format!("{}-shard-{}", sc.name, shard.index))
    });
    let held = shard.replications(sc.replications).len() as u32;
    let reporter = Reporter::new(plan.progress_span(sc), held, args.opts.quiet);
    let mut writer = ShardWriter::new(
        &loaded.resolved_toml,
        shard.index,
        shard.count,
        sc.replications.max(1),
    );
    let (mut interrupted, mut diverged) = (false, None);
    let outcome = simulate_shard(
        sc,
        shard,
        args.opts.threads.get(),
        plan.bug,
        plan.max_in_flight,
        &|i, p| reporter.tick(i, p),
        &mut |r, run| {
            interrupted |= run.interrupted;
            if diverged.is_none() {
                diverged.clone_from(&run.diverged);
            }
            writer.add(r, run);
        },
    );
    reporter.finish();
    let done = outcome.map_err(|source| Error::Setup {
        scenario: args.scenario.scenario.clone(),
        source,
    })?;
    report::atomic::write_report(&out, &writer.files()).map_err(Error::Report)?;
    if let Some(message) = diverged {
        return Err(Error::Diverged {
            message,
            what: "shard",
            dir: out,
        });
    }
    if interrupted || done < held {
        return Err(Error::Interrupted {
            what: "shard",
            dir: out,
            code: super::signals::exit_code(),
        });
    }
    if !args.opts.quiet {
        super::print_stdout(&format!(
            "shard {}/{}: {done} of {} replications written to {}\n",
            shard.index,
            shard.count,
            sc.replications.max(1),
            out.display()
        ));
    }
    Ok(())
}

fn refused(e: MergeError) -> Error {
    Error::Usage(format!("ecsim merge: {e}"))
}

/// Runs `ecsim merge`.
pub fn merge(args: &MergeArgs) -> Result<(), Error> {
    let started = std::time::Instant::now();
    let shards = Shards::open(&args.shards).map_err(refused)?;
    let total = shards.replications.max(1);
    let missing: Vec<u32> = (0..total)
        .filter(|r| !shards.held().any(|h| h == *r))
        .collect();
    if !args.allow_partial {
        shards.complete().map_err(refused)?;
        if let Some(r) = missing.first() {
            return Err(refused(MergeError::Missing {
                missing: format!(
                    "shard {} holds {} of its replications (replication {r} is not there: was it interrupted?)",
                    r % shards.shards,
                    total - missing.len() as u32
                ),
            }));
        }
    }
    let sc_file = args.shards[0].join(crate::report::shard::SCENARIO);
    let loaded = scenario::load_str(
        &sc_file.display().to_string(),
        "merged",
        &shards.resolved,
        &[],
        None,
    )?;
    let sc = &loaded.scenario;
    let mut folded = None;
    for r in shards.held().collect::<Vec<_>>() {
        let run = shards.read(r).map_err(refused)?;
        Replicas::fold(&mut folded, sc, run);
    }
    let Some(mut runs) = folded else {
        return Err(refused(MergeError::Mismatch(
            "the shards given hold no replication".into(),
        )));
    };
    if !missing.is_empty() {
        runs.mark_partial();
    }
    let interrupted = runs.merged().interrupted;
    let report = Report::build_folded(
        sc,
        &runs,
        loaded.resolved_toml.clone(),
        started.elapsed().as_secs_f64(),
    );
    let out = args
        .out
        .clone()
        .unwrap_or_else(|| PathBuf::from("reports").join(&sc.name));
    conclude(
        &report,
        &out,
        args.quiet,
        interrupted && missing.is_empty(),
        || {
            let lines: Vec<String> = report
                .violations()
                .iter()
                .take(10)
                .map(|(id, msg)| format!("invariant {id} violated: {msg}"))
                .collect();
            Error::Invariant(lines.join("\n"))
        },
    )
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
