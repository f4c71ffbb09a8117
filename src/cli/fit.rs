//! `ecsim fit LOG --map MAP.toml`: a starting scenario from an access log
//! (docs/calibrate.md). The scenario goes to `--out` (atomically) or to
//! stdout; rejected lines, unmapped requests and lines out of order are
//! reported on stderr.

use std::fs::File;
use std::io::{BufReader, IsTerminal};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use super::{Error, FitArgs, LogFormat, print_stdout};
use crate::fit::{self, FitError, Format, Options, map::Map};
use crate::report::atomic::write_file;
use crate::scenario::validate::parse_duration;

/// Logs at least this large show a progress bar (on a terminal).
const BAR_FROM_BYTES: u64 = 16 << 20;

/// The most arrival intervals a fitted scenario has (two stages each).
const MAX_INTERVALS: i64 = 20_000;

/// Runs `ecsim fit`.
pub fn fit(args: &FitArgs) -> Result<(), Error> {
    let ms = |flag: &str, text: &str| -> Result<i64, Error> {
        let d = parse_duration(text).map_err(|e| Error::Usage(format!("{flag}: {e}")))?;
        let ms = (d.as_nanos() / 1_000_000) as i64;
        if ms < 1 {
            return Err(Error::Usage(format!("{flag} must be at least 1ms")));
        }
        Ok(ms)
    };
    let gap_ms = ms("--session-gap", &args.session_gap)?;
    let interval_ms = ms("--interval", &args.interval)?;
    let map_file = args.map.display().to_string();
    let map_text = std::fs::read_to_string(&args.map)
        .map_err(|e| Error::Usage(format!("{map_file}: cannot read the map: {e}")))?;
    let map = Map::parse(&map_file, &map_text)?;
    let log = args.log.display().to_string();
    let file = File::open(&args.log)
        .map_err(|e| Error::Usage(format!("{log}: cannot read the log: {e}")))?;
    let size = file.metadata().map(|m| m.len()).unwrap_or(0);
    let name = args.name.clone().unwrap_or_else(|| {
        let stem = args
            .log
            .file_stem()
            .map_or("fitted".into(), |s| s.to_string_lossy());
        stem.chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || "-_.".contains(c) {
                    c
                } else {
                    '_'
                }
            })
            .collect()
    });
    let opts = Options {
        format: match args.log_format {
            LogFormat::Combined => Format::Combined,
            LogFormat::Csv => Format::Csv,
        },
        gap_ms,
        interval_ms,
        name,
        source: args
            .log
            .file_name()
            .map_or(log.clone(), |n| n.to_string_lossy().into_owned()),
    };
    let bar =
        (!args.quiet && size >= BAR_FROM_BYTES && std::io::stderr().is_terminal()).then(|| {
            let b = ProgressBar::with_draw_target(Some(size), ProgressDrawTarget::stderr());
            b.set_style(
                ProgressStyle::with_template(
                    "{spinner} [{elapsed_precise}] {bar:30} {bytes}/{total_bytes} {bytes_per_sec}",
                )
                .unwrap_or_else(|_| ProgressStyle::default_bar()),
            );
            b
        });
    let input = BufReader::with_capacity(1 << 18, file);
    let read = fit::read(input, &map, &opts, &mut |bytes| {
        if let Some(b) = &bar {
            b.set_position(bytes);
        }
    });
    if let Some(b) = &bar {
        b.finish_and_clear();
    }
    let (sessions, tally) = match read {
        Ok(r) => r,
        Err(FitError::Io(e)) => {
            return Err(Error::Usage(format!("{log}: cannot read the log: {e}")));
        }
        Err(FitError::NoUsable(t)) => {
            let mut msg = format!(
                "{log}: no usable line: {} lines read, {} rejected, {} not mapped by {map_file}",
                t.lines, t.bad, t.unmapped
            );
            for b in &t.bad_shown {
                msg.push_str(&format!(
                    "\n{log}:{}:{}: expected {}",
                    b.line, b.col, b.what
                ));
            }
            return Err(Error::Usage(msg));
        }
    };
    if tally.bad > 0 {
        eprintln!(
            "{log}: {} of {} lines rejected (not counted):",
            tally.bad, tally.lines
        );
        for b in &tally.bad_shown {
            eprintln!("{log}:{}:{}: expected {}", b.line, b.col, b.what);
        }
    }
    if !args.quiet {
        eprintln!(
            "{log}: {} lines, {} requests in {} sessions, {} not mapped by {map_file}",
            tally.lines,
            sessions.requests,
            sessions.sessions(),
            tally.unmapped
        );
    }
    if sessions.out_of_order > 0 {
        eprintln!(
            "{log}: warning: {} requests start more than --session-gap before a line read earlier; \
             fit assumes the log is in time order to within the session gap",
            sessions.out_of_order
        );
    }
    if let (Some(a), Some(b)) = (
        sessions.arrivals.keys().next(),
        sessions.arrivals.keys().next_back(),
    ) && b - a >= MAX_INTERVALS
    {
        return Err(Error::Usage(format!(
            "{log}: sessions start over {} intervals of {}; give a longer --interval (at most {MAX_INTERVALS} intervals)",
            b - a + 1,
            args.interval
        )));
    }
    let text = fit::write::scenario(&sessions, &tally, &map, &opts)
        .map_err(|e| Error::Internal(format!("the fitted scenario does not validate: {e}")))?;
    match &args.out {
        Some(path) => write_file(path, text.into_bytes()).map_err(Error::Write),
        None => {
            print_stdout(&text);
            Ok(())
        }
    }
}
