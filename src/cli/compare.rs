//! `ecsim compare BASE CAND`: print the comparison (and with `--html FILE`
//! write it as a page), exit 1 on regression.

use std::fmt::Write;

use super::{CompareArgs, Format, print_stdout};
use crate::exit;
use crate::report::atomic::write_file;
use crate::report::compare::{
    self, Comparison, num, parse_fail_if, pct, read_distributions, read_metrics, sig, signed,
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
pub fn compare(args: &CompareArgs) -> u8 {
    let rules = match args
        .fail_if
        .iter()
        .map(|r| parse_fail_if(r))
        .collect::<Result<Vec<_>, _>>()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("{e}");
            return exit::USAGE;
        }
    };
    let read = |d| read_metrics(d).map_err(|e| eprintln!("{e}"));
    let (Ok(base), Ok(cand)) = (read(&args.base), read(&args.candidate)) else {
        return exit::USAGE;
    };
    // The distributions only for the page, read before anything is printed
    // so that a malformed histogram is a usage error like a malformed CSV.
    let dists = if args.html.is_some() {
        let read = |d| read_distributions(d).map_err(|e| eprintln!("{e}"));
        let (Ok(b), Ok(c)) = (read(&args.base), read(&args.candidate)) else {
            return exit::USAGE;
        };
        Some((b, c))
    } else {
        None
    };
    let c = compare::compare(&base, &cand);
    print_stdout(&render(&c, args.format));
    let reg = match compare::regressions(&c, &rules) {
        Ok(reg) => reg,
        Err(e) => {
            eprintln!("{e}");
            return exit::USAGE;
        }
    };
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
        if let Err(e) = write_file(path, page.into_bytes()) {
            eprintln!("error: {e}");
            return exit::IO;
        }
    }
    if reg.is_empty() {
        return exit::OK;
    }
    for r in &reg {
        let shown = if r.rule.trim_end().ends_with('%') {
            format!("{:+.2}%", r.change * 100.0)
        } else {
            signed(r.change)
        };
        eprintln!("regression: {} (change {shown})", r.rule);
    }
    exit::THRESHOLD
}
