//! `ecsim sweep`: a grid of scenario variants, run in parallel, one report
//! per point plus `sweep.csv` and `sweep.html`, and the cheapest point
//! that passes.

use std::fmt::Write;
use std::path::PathBuf;

use super::Clock;
use super::progress::Reporter;
use super::run::Plan;
use super::run::{violations, with_replications};
use super::{Error, SweepArgs, print_stdout};
use crate::contract::names;
use crate::model::SetupError;
use crate::report::atomic::{ReportFile, write_report};
use crate::report::shard::{SweepPoint, SweepSpec};
use crate::report::sweep::{self, CostOf, Point, SWEEP_METRICS};
use crate::report::{Report, html};
use crate::runner::parallel_map;
use crate::scenario::{self, Loaded, Scenario};

/// `KEY=V1,V2,...` into the key and its values: no empty value, none twice.
fn parse_vary(arg: &str) -> Result<(String, Vec<String>), String> {
    let usage =
        || format!("--vary {arg}: expected KEY=V1,V2,..., e.g. stations.payment.workers=8,16,32");
    let (k, vs) = arg.split_once('=').ok_or_else(usage)?;
    let values: Vec<String> = vs.split(',').map(|v| v.trim().to_owned()).collect();
    if k.trim().is_empty() || vs.trim().is_empty() {
        return Err(usage());
    }
    if values.iter().any(String::is_empty) {
        return Err(format!(
            "--vary {arg}: an empty value (two commas, or one at an end)"
        ));
    }
    for (i, v) in values.iter().enumerate() {
        if values[..i].contains(v) {
            return Err(format!("--vary {arg}: the value {v} is given twice"));
        }
    }
    Ok((k.trim().to_owned(), values))
}

/// Every `--vary`, each key once.
fn parse_varies(args: &[String]) -> Result<Vec<(String, Vec<String>)>, String> {
    let mut out: Vec<(String, Vec<String>)> = Vec::new();
    for a in args {
        let (k, vs) = parse_vary(a)?;
        if out.iter().any(|(o, _)| *o == k) {
            return Err(format!(
                "--vary {k} is given twice: list all its values in one --vary {k}=V1,V2,..."
            ));
        }
        out.push((k, vs));
    }
    Ok(out)
}

/// Every combination, the first key varying slowest.
fn grid(varies: &[(String, Vec<String>)]) -> Vec<Vec<(String, String)>> {
    let mut points = vec![Vec::new()];
    for (k, vs) in varies {
        points = points
            .into_iter()
            .flat_map(|p| {
                vs.iter().map(move |v| {
                    let mut q = p.clone();
                    q.push((k.clone(), v.clone()));
                    q
                })
            })
            .collect();
    }
    points
}

/// Total workers of the stations some route uses.
fn total_workers(sc: &Scenario) -> f64 {
    sc.stations
        .iter()
        .zip(sc.used_stations())
        .filter(|(_, used)| *used)
        .map(|(s, _)| s.workers as f64)
        .sum()
}

/// The numeric value of scenario key `key` in the resolved scenario.
fn key_value(loaded: &Loaded, key: &str) -> Result<f64, String> {
    let table: toml::Table = toml::from_str(&loaded.resolved_toml).map_err(|e| e.to_string())?;
    let mut v = toml::Value::Table(table);
    for seg in key.split('.') {
        v = v
            .get(seg)
            .cloned()
            .ok_or_else(|| format!("--cost {key}: no such scenario key"))?;
    }
    v.as_float()
        .or_else(|| v.as_integer().map(|i| i as f64))
        .ok_or_else(|| format!("--cost {key}: the value {v} is not a number"))
}

/// What `--cost KEY` names in scenario `l`: a scenario key with a
/// numeric value, else a `business.` or `stations.` metric of its report.
fn cost_of(l: &Loaded, key: Option<&str>) -> Result<CostOf, String> {
    let Some(key) = key else {
        return Ok(CostOf::Workers);
    };
    let as_key = key_value(l, key);
    if as_key.is_ok() {
        return Ok(CostOf::Key(key.to_owned()));
    }
    let metrics: Vec<String> = l
        .scenario
        .metric_names()
        .into_iter()
        .filter(|m| m.starts_with("business.") || m.starts_with("stations."))
        .collect();
    if metrics.iter().any(|m| m == key) {
        return Ok(CostOf::Metric(key.to_owned()));
    }
    let business: Vec<&str> = metrics
        .iter()
        .map(String::as_str)
        .filter(|m| m.starts_with("business."))
        .collect();
    Err(format!(
        "--cost {key}: neither a numeric scenario key ({}) nor a report metric of this scenario; its business metrics are {} (and stations.NAME.COLUMN for each station and stations.csv column)",
        as_key.err().unwrap_or_default(),
        business.join(", ")
    ))
}

/// Runs `ecsim sweep`.
pub fn sweep(args: &SweepArgs) -> Result<(), Error> {
    let sa = &args.scenario;
    let varies = parse_varies(&args.vary).map_err(Error::Usage)?;
    let keys: Vec<String> = varies.iter().map(|v| v.0.clone()).collect();
    let base_sets = with_replications(&sa.sets, &args.opts);

    // Load and check every point before running any.
    let mut points = Vec::new();
    let mut failed = Vec::new();
    for values in grid(&varies) {
        let mut sets = base_sets.clone();
        sets.extend(values.iter().map(|(k, v)| format!("{k}={v}")));
        let label = values
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join(" ");
        match scenario::load(&sa.scenario, &sets, sa.seed) {
            Ok(l) => {
                let cost = cost_of(&l, args.cost.as_deref()).and_then(|by| match by {
                    CostOf::Workers => Ok(total_workers(&l.scenario)),
                    CostOf::Key(k) => key_value(&l, &k),
                    // Measured by the run.
                    CostOf::Metric(_) => Ok(f64::NAN),
                });
                match cost {
                    Ok(c) => points.push((values, sets, l, c)),
                    Err(e) => failed.push(format!("point {label}: {e}")),
                }
            }
            Err(e) => failed.push(format!("point {label}:\n{e}")),
        }
    }
    if !failed.is_empty() || points.is_empty() {
        return Err(Error::Points(failed));
    }

    let first = &points[0].2.scenario;
    let cost_of = cost_of(&points[0].2, args.cost.as_deref()).map_err(Error::Usage)?;
    let out = args
        .opts
        .out
        .clone()
        .unwrap_or_else(|| PathBuf::from("reports").join(format!("{}-sweep", first.name)));
    let plan = Plan::new(&args.opts, first).map_err(Error::Usage)?;
    if let Some(spec) = &args.shard {
        let shard = super::shard::parse_shard(spec).map_err(Error::Usage)?;
        if args.opts.clock != Clock::Virtual {
            return Err(Error::Usage(
                "--shard needs the virtual clock: a wall run is one real run".into(),
            ));
        }
        let out = args.opts.out.clone().unwrap_or_else(|| {
            PathBuf::from("reports").join(format!("{}-sweep-shard-{}", first.name, shard.index))
        });
        let grid = SweepSpec {
            keys: keys.clone(),
            points: points
                .iter()
                .map(|(values, _, _, cost)| SweepPoint {
                    values: values.clone(),
                    cost: *cost,
                })
                .collect(),
            cost_of,
        };
        let loaded: Vec<&Loaded> = points.iter().map(|p| &p.2).collect();
        let run = super::shard::ShardRun {
            plan: &plan,
            threads: args.opts.threads.get(),
            quiet: args.opts.quiet,
            scenario: &sa.scenario,
        };
        return run.write(&out, &loaded, Some(grid), shard);
    }
    // Virtual points run side by side; wall-clock points one after the
    // other, each with every thread, so they do not disturb each other.
    let point_threads = if args.opts.clock == Clock::Virtual {
        args.opts.threads.get()
    } else {
        1
    };
    let reps = first.replications;
    let reporter = Reporter::new(
        plan.progress_span(first),
        points.len() as u32 * reps,
        args.opts.quiet,
    );
    let reports = parallel_map(points.len(), point_threads, |i| {
        let sc = &points[i].2.scenario;
        let (runs, wall) =
            plan.execute(sc, 1, &|r, p| reporter.tick(i as u32 * reps + r, p), None)?;
        let mut report = Report::build_folded(
            sc,
            &runs,
            points[i].2.resolved_toml.clone(),
            reporter.elapsed_s(),
        );
        report.set_wall(wall);
        Ok(report)
    });
    reporter.finish();
    let reports: Vec<Report> = reports
        .into_iter()
        .collect::<Result<_, SetupError>>()
        .map_err(|source| Error::Setup {
            scenario: sa.scenario.clone(),
            source,
        })?;

    let done: Vec<Done> = points
        .iter()
        .zip(reports)
        .map(|((values, _, _, cost), rep)| (values.clone(), *cost, rep))
        .collect();
    finish(
        &out,
        &keys,
        first,
        &cost_of,
        &done,
        args.opts.quiet,
        |i, rep| {
            let (_, sets, l, _) = &points[i];
            violations(
                rep,
                &sa.scenario.display().to_string(),
                l.scenario.seed,
                sets,
                &args.opts,
            )
        },
    )
}

/// A point run: its `(key, value)`s, its cost, its report.
pub(super) type Done = (Vec<(String, String)>, f64, Report);

/// Writes the sweep directory (each point's report, sweep.csv,
/// sweep.html; `first` is the first point's scenario; `cost_of` says what
/// the cost is, a measured one read from each report), prints its summary
/// unless `quiet`, and maps the outcome to the exit code (`violation(i,
/// report)` builds the error of point `i`'s broken invariants).
pub(super) fn finish(
    out: &std::path::Path,
    keys: &[String],
    first: &Scenario,
    cost_of: &CostOf,
    done: &[Done],
    quiet: bool,
    violation: impl Fn(usize, &Report) -> Error,
) -> Result<(), Error> {
    let mut rows = Vec::new();
    let mut files = Vec::new();
    for (i, (values, cost, rep)) in done.iter().enumerate() {
        let name = format!("point-{:03}", i + 1);
        files.extend(rep.files().into_iter().map(|f| ReportFile {
            path: format!("{name}/{}", f.path),
            bytes: f.bytes,
        }));
        let mut p = Point::new(name, values.clone(), cost_of.cost(*cost, rep), rep);
        p.cost_of = cost_of.label();
        rows.push(p);
    }
    files.push(ReportFile {
        path: names::SWEEP_CSV.into(),
        bytes: sweep::csv(keys, &rows),
    });
    files.push(ReportFile {
        path: names::SWEEP_HTML.into(),
        bytes: html::sweep::render(&first.name, keys, &rows, &first.thresholds).into_bytes(),
    });
    write_report(out, &files).map_err(Error::Report)?;
    let best = sweep::cheapest(&rows);
    if !quiet {
        print_stdout(&console(keys, &rows, best, &out.display().to_string()));
    }
    for (i, (_, _, rep)) in done.iter().enumerate() {
        if !rep.violations().is_empty() {
            return Err(violation(i, rep));
        }
    }
    for (row, (_, _, rep)) in rows.iter().zip(done) {
        if let Some(why) = &rep.run.diverged {
            eprintln!(
                "{}: {why} (stopped early; this point does not pass)",
                row.name
            );
        }
    }
    // A point that diverged stopped early by design; only an interrupt
    // makes the sweep partial.
    if done
        .iter()
        .any(|(_, _, r)| r.run.partial && r.run.diverged.is_none())
    {
        return Err(Error::Interrupted {
            what: "reports",
            dir: out.to_path_buf(),
            code: super::signals::exit_code(),
        });
    }
    if best.is_none() {
        return Err(Error::NoPointPasses);
    }
    Ok(())
}

fn console(keys: &[String], rows: &[Point], best: Option<&Point>, out: &str) -> String {
    let mut s = String::new();
    let p99 = SWEEP_METRICS
        .iter()
        .position(|m| *m == "ALL.p99_ms")
        .unwrap_or(0);
    let err = SWEEP_METRICS
        .iter()
        .position(|m| *m == "ALL.error_rate")
        .unwrap_or(0);
    // Writing to a String cannot fail.
    let _ = writeln!(
        s,
        "{:<10} {:<40} {:>10} {:>12} {:>10} {:>6}",
        "point",
        keys.join(" "),
        "cost",
        "ALL.p99_ms",
        "errors",
        "pass"
    );
    for p in rows {
        let vals = p
            .values
            .iter()
            .map(|(_, v)| v.as_str())
            .collect::<Vec<_>>()
            .join(" ");
        let pass = match p.pass {
            Some(true) => "✓",
            Some(false) => "✗",
            None => "-",
        };
        let _ = writeln!(
            s,
            "{:<10} {:<40} {:>10} {:>12.3} {:>9.2}% {:>6}",
            p.name,
            vals,
            // Whole worker counts stay whole; money shows its cents.
            (p.cost * 1000.0).round() / 1000.0,
            p.metrics[p99],
            p.metrics[err] * 100.0,
            pass
        );
    }
    match best {
        Some(b) => {
            let what = b
                .values
                .iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect::<Vec<_>>()
                .join(", ");
            let _ = writeln!(
                s,
                "\ncheapest point passing every threshold: {} ({what}), cost {}",
                b.name, b.cost
            );
        }
        None => {
            let _ = writeln!(s, "\nno point passes every threshold");
        }
    }
    let _ = writeln!(s, "sweep: {out}/sweep.csv, {out}/sweep.html");
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grid_is_the_cartesian_product_first_key_slowest() {
        let v = vec![
            ("a".to_string(), vec!["1".to_string(), "2".to_string()]),
            (
                "b".to_string(),
                vec!["x".to_string(), "y".to_string(), "z".to_string()],
            ),
        ];
        let g = grid(&v);
        assert_eq!(g.len(), 6);
        assert_eq!(
            g[0],
            vec![
                ("a".to_string(), "1".to_string()),
                ("b".to_string(), "x".to_string())
            ]
        );
        assert_eq!(
            g[3],
            vec![
                ("a".to_string(), "2".to_string()),
                ("b".to_string(), "x".to_string())
            ]
        );
    }

    #[test]
    fn vary_needs_a_key_and_values() {
        assert_eq!(
            parse_vary("k=1, 2 ,3"),
            Ok(("k".into(), vec!["1".into(), "2".into(), "3".into()]))
        );
        assert!(parse_vary("k").is_err());
        assert!(parse_vary("k=").is_err());
        assert!(parse_vary("=1").is_err());
        assert!(parse_vary("k=4,,8").is_err(), "an empty value");
        assert!(parse_vary("k=4,8,4").is_err(), "a value twice");
        let twice = parse_varies(&["k=1".to_owned(), "k=2".to_owned()]);
        assert!(twice.is_err_and(|e| e.contains("given twice")));
    }
}
