//! `ecsim compare BASE CAND`: print the comparison (and with `--html FILE`
//! write it as a page), exit 1 on regression.

use std::fmt::Write;

use super::{CompareArgs, Error, Format, print_stdout};
use crate::report::atomic::write_file;
use crate::report::compare::{
    self, Comparison, ReadError, num, parse_fail_if, pct, read_distributions, read_metrics, sig,
    signed,
};
use crate::report::html;

/// Renders the comparison in `format`.
pub fn render(c: &Comparison, format: Format) -> String {
    let mut out = String::new();
    let any_ci = c.rows.iter().any(|r| r.significant.is_some());
    // Writing to a String cannot fail.
    match format {
        Format::Csv => {
            let _ = writeln!(out, "metric,base,candidate,change,change_pct,significant");
            for r in &c.rows {
                let s = r.significant.map_or(String::new(), |b| b.to_string());
                let rel = r
                    .relative
                    .filter(|v| v.is_finite())
                    .map_or(String::new(), |v| format!("{:.4}", v * 100.0));
                let _ = writeln!(
                    out,
                    "{},{},{},{},{},{}",
                    r.metric, r.base, r.candidate, r.change, rel, s
                );
            }
        }
        Format::Markdown => {
            let _ = writeln!(
                out,
                "| metric | base | candidate | change | change % |{}",
                if any_ci { " significance |" } else { "" }
            );
            let _ = writeln!(
                out,
                "|---|---:|---:|---:|---:|{}",
                if any_ci { "---|" } else { "" }
            );
            for r in &c.rows {
                let _ = write!(
                    out,
                    "| `{}` | {} | {} | {} | {} |",
                    r.metric,
                    num(r.base),
                    num(r.candidate),
                    signed(r.change),
                    pct(r.relative)
                );
                let _ = writeln!(
                    out,
                    "{}",
                    if any_ci {
                        format!(" {} |", sig(r.significant))
                    } else {
                        String::new()
                    }
                );
            }
        }
        Format::Text => {
            let w = c
                .rows
                .iter()
                .map(|r| r.metric.len())
                .max()
                .unwrap_or(6)
                .max(6);
            let _ = writeln!(
                out,
                "{:<w$} {:>14} {:>14} {:>14} {:>9}  {}",
                "metric",
                "base",
                "candidate",
                "change",
                "change%",
                if any_ci { "significance" } else { "" }
            );
            for r in &c.rows {
                let _ = writeln!(
                    out,
                    "{:<w$} {:>14} {:>14} {:>14} {:>9}  {}",
                    r.metric,
                    num(r.base),
                    num(r.candidate),
                    signed(r.change),
                    pct(r.relative),
                    sig(r.significant)
                );
            }
        }
    }
    if format != Format::Csv {
        for (label, list) in [
            ("only in base", &c.only_base),
            ("only in candidate", &c.only_candidate),
        ] {
            if !list.is_empty() {
                let _ = writeln!(out, "\n{label}: {}", list.join(", "));
            }
        }
    }
    out
}

/// Runs `ecsim compare`.
pub fn compare(args: &CompareArgs) -> Result<(), Error> {
    let rules = args
        .fail_if
        .iter()
        .map(|r| parse_fail_if(r))
        .collect::<Result<Vec<_>, _>>()
        .map_err(Error::Usage)?;
    let (base, cand) = both(read_metrics(&args.base), read_metrics(&args.candidate))?;
    for (dir, m) in [(&args.base, &base), (&args.candidate, &cand)] {
        if m.partial && !args.allow_partial {
            return Err(Error::Usage(format!(
                "{}: the report is partial (its run was interrupted); compare it anyway with --allow-partial",
                dir.display()
            )));
        }
    }
    // The distributions only for the page, read before anything is printed
    // so that a malformed histogram is a usage error like a malformed CSV.
    let dists = if args.html.is_some() {
        Some(both(
            read_distributions(&args.base),
            read_distributions(&args.candidate),
        )?)
    } else {
        None
    };
    let c = compare::compare(&base, &cand);
    print_stdout(&render(&c, args.format));
    let reg = compare::regressions(&c, &rules).map_err(Error::Usage)?;
    let blind = compare::blind_rules(&c, &rules);
    for (rule, bound, band) in &blind {
        eprintln!(
            "warning: --fail-if '{rule}' cannot fail inside the noise band: its bound ({}) is within the metric's 95% band (±{}); run more replications to narrow it{}",
            signed(*bound),
            num(*band),
            if args.strict {
                ""
            } else {
                ", or use --strict to fail on it"
            }
        );
    }
    if let (Some(path), Some((db, dc))) = (&args.html, &dists) {
        let (lb, lc) = (
            args.base.display().to_string(),
            args.candidate.display().to_string(),
        );
        let page = html::compare::render(&html::compare::Input {
            base: html::compare::Side {
                label: &lb,
                distributions: db,
            },
            candidate: html::compare::Side {
                label: &lc,
                distributions: dc,
            },
            comparison: &c,
            rules: &rules,
            regressions: &reg,
        });
        write_file(path, page.into_bytes()).map_err(Error::Write)?;
    }
    if reg.is_empty() && (blind.is_empty() || !args.strict) {
        return Ok(());
    }
    let blind_lines = blind
        .iter()
        .filter(|_| args.strict)
        .map(|(rule, _, _)| format!("{rule} (cannot fail inside the noise band; --strict)"));
    let lines = reg
        .iter()
        .map(|r| {
            let shown = if r.rule.trim_end().ends_with('%') {
                format!("{:+.2}%", r.change * 100.0)
            } else {
                signed(r.change)
            };
            format!("{} (change {shown})", r.rule)
        })
        .chain(blind_lines)
        .collect();
    Err(Error::Regressions(lines))
}

/// Both sides read, or every side's error.
fn both<T>(base: Result<T, ReadError>, cand: Result<T, ReadError>) -> Result<(T, T), Error> {
    match (base, cand) {
        (Ok(b), Ok(c)) => Ok((b, c)),
        (b, c) => Err(Error::Read(
            [b.err(), c.err()].into_iter().flatten().collect(),
        )),
    }
}
