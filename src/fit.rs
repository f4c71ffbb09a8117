//! `ecsim fit`: a starting scenario from an access log.
//!
//! The log is streamed line by line (memory: the open sessions, see
//! [`sessions`]); each line is parsed ([`line`]), its request mapped to an
//! action by the map ([`map`]; unmapped requests are counted and ignored),
//! and counted: sessions per interval, start and transition counts, think
//! times, admin operations. [`write`] turns the counts into a scenario
//! whose every estimate carries its sample size as a comment, and checks
//! that it validates. Bad lines are counted, the first few kept with their
//! line numbers; a log without one usable line is an error.

pub mod csvlog;
pub mod line;
pub mod map;
pub mod sessions;
pub mod write;

use std::io::BufRead;

use crate::contract::action::Action;
use line::{Bad, ClfClock};
use map::{Map, Target};
use sessions::Sessions;

/// How many bad lines are reported with their line numbers.
pub const BAD_SHOWN: usize = 5;

/// The log's format.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// Combined (or Common) Log Format, optionally with `$request_time
    /// $msec` (see [`line`]).
    Combined,
    /// CSV with a header: `time` (epoch seconds or RFC 3339), `client`,
    /// `path`, optionally `method`, `duration_s`, `user_agent`.
    Csv,
}

/// What `fit` is asked to do.
#[derive(Clone, Debug)]
pub struct Options {
    /// The log's format.
    pub format: Format,
    /// Sessions are cut at gaps longer than this, ms.
    pub gap_ms: i64,
    /// Arrival stages are counted per interval of this, ms.
    pub interval_ms: i64,
    /// The fitted scenario's name.
    pub name: String,
    /// The log, as named in the scenario's comments.
    pub source: String,
}

/// A rejected line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BadLine {
    /// Line number, from 1.
    pub line: u64,
    /// Column, from 1.
    pub col: usize,
    /// What was expected.
    pub what: String,
}

/// What reading the log found.
#[derive(Debug, Default)]
pub struct Tally {
    /// Lines read (blank ones not counted).
    pub lines: u64,
    /// Lines rejected.
    pub bad: u64,
    /// The first [`BAD_SHOWN`] of them.
    pub bad_shown: Vec<BadLine>,
    /// Well-formed lines the map does not map.
    pub unmapped: u64,
    /// Requests of each admin operation of the map.
    pub admin: Vec<(Action, u64)>,
}

/// Why `fit` produced no scenario.
#[derive(Debug, thiserror::Error)]
pub enum FitError {
    /// The log could not be read.
    #[error("cannot read the log: {0}")]
    Io(#[from] std::io::Error),
    /// No line of the log was usable (exit 2).
    #[error("{}", no_usable(.0))]
    NoUsable(Tally),
}

fn no_usable(t: &Tally) -> String {
    let mut s = format!(
        "no usable line: {} lines read, {} rejected, {} not mapped, no session found",
        t.lines, t.bad, t.unmapped
    );
    for b in &t.bad_shown {
        s.push_str(&format!("\nline {}:{}: expected {}", b.line, b.col, b.what));
    }
    s
}

/// Reads the log from `input` and counts it: the sessions and the tally.
/// `progress(bytes)` is called every few thousand lines with the bytes
/// read so far.
pub fn read(
    input: impl BufRead,
    map: &Map,
    opts: &Options,
    progress: &mut dyn FnMut(u64),
) -> Result<(Sessions, Tally), FitError> {
    let n = map
        .targets
        .iter()
        .filter(|t| matches!(t, Target::Session(_)))
        .count();
    let mut s = Sessions::new(n, opts.gap_ms, opts.interval_ms);
    let mut tally = Tally {
        admin: map
            .targets
            .iter()
            .filter_map(|t| match t {
                Target::Admin(a) => Some((*a, 0)),
                Target::Session(_) => None,
            })
            .collect(),
        ..Tally::default()
    };
    let mut key = Vec::with_capacity(128);
    let mut handle = |number: u64, parsed: Result<line::Request<'_>, Bad>| {
        tally.lines += 1;
        let r = match parsed {
            Ok(r) => r,
            Err(bad) => {
                tally.bad += 1;
                if tally.bad_shown.len() < BAD_SHOWN {
                    tally.bad_shown.push(BadLine {
                        line: number,
                        col: bad.col,
                        what: bad.what.to_owned(),
                    });
                }
                return;
            }
        };
        let Some(t) = map.find(r.method, r.path) else {
            tally.unmapped += 1;
            return;
        };
        if t >= n {
            tally.admin[t - n].1 += 1;
            return;
        }
        key.clear();
        key.extend_from_slice(r.host);
        key.push(0);
        key.extend_from_slice(r.agent);
        s.request(&key, t as u16, r.start_ms, r.took_ms);
    };
    match opts.format {
        Format::Combined => read_combined(input, &mut handle, progress)?,
        Format::Csv => csvlog::read(input, &mut handle, progress)?,
    }
    s.sweep(i64::MAX);
    if s.sessions() == 0 {
        return Err(FitError::NoUsable(tally));
    }
    Ok((s, tally))
}

/// What to do with each non-blank line: its number and what it says.
pub type Handler<'h> = dyn FnMut(u64, Result<line::Request<'_>, Bad>) + 'h;

/// Reads a combined-format log line by line into `handle`.
fn read_combined(
    mut input: impl BufRead,
    handle: &mut Handler<'_>,
    progress: &mut dyn FnMut(u64),
) -> std::io::Result<()> {
    let mut buf = Vec::with_capacity(512);
    let (mut clock, mut number, mut bytes) = (ClfClock::default(), 0u64, 0u64);
    loop {
        buf.clear();
        let got = input.read_until(b'\n', &mut buf)?;
        if got == 0 {
            break;
        }
        bytes += got as u64;
        number += 1;
        let mut l = buf.as_slice();
        while let [rest @ .., b'\n' | b'\r'] = l {
            l = rest;
        }
        if !l.is_empty() {
            handle(number, line::combined(l, &mut clock));
        }
        if number.is_multiple_of(1 << 14) {
            progress(bytes);
        }
    }
    progress(bytes);
    Ok(())
}
