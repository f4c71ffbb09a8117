//! When things happen: open-model arrivals, admin operations, closed-model
//! starts and fault windows, written once for both clocks.
//!
//! Each Poisson stream (the open model's sessions, each admin operation
//! with a positive rate) has its own random stream and yields exact arrival
//! instants, rounded to the nanosecond and never before the instant the
//! previous one fired. The virtual clock schedules each stream's next
//! arrival when its previous one fires (with a core to spare, the open
//! model's instants are drawn ahead on a thread of their own:
//! [`Stream::draw_ahead`]); the wall clock walks the streams' time-ordered
//! merge ([`Arrivals::merged`]), so both number admin operations in the
//! same order.

use std::sync::Arc;

mod ahead;

use crate::contract::action::{Action, Op};
use crate::kernel::load::RateProfile;
use crate::kernel::rng::{SimRng, StreamKind, stream};
use crate::kernel::time::{SimDuration, SimTime, round_u64};
use crate::scenario::model::{Load, Scenario, Trace};

/// A stream of arrivals: Poisson (its rate profile, random stream and the
/// exact, unrounded time of its last arrival) or a replayed trace (the
/// index of its next arrival).
pub struct Stream {
    source: Source,
    end: SimTime,
}

enum Source {
    Poisson {
        profile: RateProfile,
        rng: SimRng,
        last: f64,
        /// The stream's end in ns, converted once.
        end: f64,
    },
    Trace {
        trace: Arc<Trace>,
        speed: f64,
        next: usize,
    },
    /// A Poisson stream drawn on another thread ([`Stream::draw_ahead`]),
    /// its instants rounded there.
    Ahead(ahead::Ahead<u64>),
}

impl Stream {
    fn new(profile: RateProfile, rng: SimRng, end: SimTime) -> Self {
        Stream {
            source: Source::Poisson {
                profile,
                rng,
                last: 0.0,
                end: end.as_nanos() as f64,
            },
            end,
        }
    }

    /// The next arrival, drawn when the previous one fires at `now`; `None`
    /// once arrivals stop (the scenario's duration, or the trace's end).
    pub fn next(&mut self, now: SimTime) -> Option<SimTime> {
        match &mut self.source {
            Source::Poisson {
                profile,
                rng,
                last,
                end,
            } => {
                let t = profile.next_after(*last, *end, rng)?;
                *last = t;
                // Arrival instants are exact reals; rounding to the ns can
                // only tie with, never precede, the current time.
                Some(SimTime(round_u64(t).max(now.as_nanos())))
            }
            Source::Ahead(ahead) => {
                let t = ahead.next()?;
                Some(SimTime(t.max(now.as_nanos())))
            }
            Source::Trace { trace, speed, next } => {
                if *next >= trace.times.len() {
                    return None;
                }
                let t = SimTime(trace.at(*next, *speed));
                (t < self.end).then(|| {
                    *next += 1;
                    t
                })
            }
        }
    }

    /// The first action the trace gives the arrival [`Stream::next`]
    /// returned last (`None`: `[behavior] start` chooses).
    pub fn first(&self) -> Option<Op> {
        match &self.source {
            Source::Trace { trace, next, .. } => trace
                .firsts
                .as_ref()
                .and_then(|f| f.get(next.checked_sub(1)?).copied()),
            Source::Poisson { .. } | Source::Ahead(_) => None,
        }
    }

    /// Draws a Poisson stream's instants on a thread of their own from
    /// now on, for a run with a core to spare: the same instants, read
    /// from batches. A trace, or a stream whose thread cannot start, stays
    /// as it is.
    pub fn draw_ahead(&mut self) {
        let Source::Poisson {
            profile,
            rng,
            last,
            end,
        } = &self.source
        else {
            return;
        };
        let (profile, mut rng, mut last, end) = (profile.clone(), rng.clone(), *last, *end);
        // Rounded on the drawing thread, as `next` rounds a stream drawn
        // here: the same instants, less work for the clock's thread.
        let draw = move || {
            let t = profile.next_after(last, end, &mut rng)?;
            last = t;
            Some(round_u64(t))
        };
        if let Some(ahead) = ahead::Ahead::start(draw) {
            self.source = Source::Ahead(ahead);
        }
    }
}

/// What arrives.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Arrival {
    /// An open-model session; a replayed trace may give its first action.
    Session(Option<Op>),
    /// An admin operation.
    Admin(Action),
}

/// Every Poisson stream of a run.
pub struct Arrivals {
    /// Open-model sessions (`None` for a closed model).
    pub open: Option<Stream>,
    /// One stream per admin operation with a positive rate, in operation
    /// order.
    pub admin: Vec<(Action, Stream)>,
}

impl Arrivals {
    /// The streams of `sc`.
    pub fn new(sc: &Scenario) -> Self {
        let end = SimTime::ZERO + sc.duration;
        let open = match &sc.load {
            Load::Open { stages, .. } => Some(Stream::new(
                RateProfile::new(stages.iter().map(|(at, r)| (at.as_nanos(), *r)).collect()),
                stream(sc.seed, StreamKind::Arrivals, 0),
                end,
            )),
            Load::Replay { trace, speed } => Some(Stream {
                source: Source::Trace {
                    trace: trace.clone(),
                    speed: *speed,
                    next: 0,
                },
                end,
            }),
            Load::Closed { .. } => None,
        };
        let admin = Action::ADMIN
            .iter()
            .copied()
            .filter(|op| sc.admin.rate(*op) > 0.0)
            .map(|op| {
                let s = Stream::new(
                    RateProfile::constant(sc.admin.rate(op)),
                    stream(sc.seed, StreamKind::Background, op.index() as u64),
                    end,
                );
                (op, s)
            })
            .collect();
        Arrivals { open, admin }
    }

    /// All arrivals in time order (ties: sessions first, then admin
    /// operations in operation order).
    pub fn merged(self) -> Merged {
        let mut streams: Vec<(Arrival, Stream)> = Vec::new();
        if let Some(s) = self.open {
            streams.push((Arrival::Session(None), s));
        }
        streams.extend(
            self.admin
                .into_iter()
                .map(|(op, s)| (Arrival::Admin(op), s)),
        );
        let heads = streams
            .iter_mut()
            .map(|(_, s)| s.next(SimTime::ZERO))
            .collect();
        Merged { streams, heads }
    }
}

/// The time-ordered merge of a run's arrival streams.
pub struct Merged {
    streams: Vec<(Arrival, Stream)>,
    heads: Vec<Option<SimTime>>,
}

impl Iterator for Merged {
    type Item = (SimTime, Arrival);

    fn next(&mut self) -> Option<(SimTime, Arrival)> {
        let (i, at) = self
            .heads
            .iter()
            .enumerate()
            .filter_map(|(i, h)| h.map(|t| (i, t)))
            .min_by_key(|&(i, t)| (t, i))?;
        let (what, stream) = &mut self.streams[i];
        let what = match *what {
            Arrival::Session(_) => Arrival::Session(stream.first()),
            admin => admin,
        };
        self.heads[i] = stream.next(at);
        Some((at, what))
    }
}

/// Closed-model users and when each starts (evenly over the ramp-up),
/// those starting before arrivals stop; empty for an open model.
pub fn closed_starts(sc: &Scenario) -> impl Iterator<Item = (u32, SimTime)> + '_ {
    let (users, ramp_up) = match sc.load {
        Load::Closed { users, ramp_up } => (users, ramp_up),
        Load::Open { .. } | Load::Replay { .. } => (0, SimDuration::ZERO),
    };
    let end = SimTime::ZERO + sc.duration;
    (0..users)
        .map(move |u| {
            let offset = (ramp_up.as_nanos() as u128 * u as u128 / users as u128) as u64;
            (u, SimTime::ZERO + SimDuration::from_nanos(offset))
        })
        .filter(move |&(_, at)| at < end)
}

/// A fault's window: when it opens and, unless it is instant, closes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FaultWindow {
    /// Index of the fault in the scenario.
    pub index: u16,
    /// When it opens.
    pub at: SimTime,
    /// When it closes (`None` for an instant fault: a cache flush).
    pub until: Option<SimTime>,
}

/// The fault windows of `sc`, in file order.
pub fn fault_windows(sc: &Scenario) -> impl Iterator<Item = FaultWindow> + '_ {
    sc.faults.iter().enumerate().map(|(i, f)| FaultWindow {
        index: i as u16,
        at: SimTime::ZERO + f.at,
        until: f.lasts.map(|d| SimTime::ZERO + f.at + d),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::load_str;

    #[test]
    fn a_stream_drawn_ahead_gives_the_same_instants() {
        let text = r#"
[scenario]
duration = "600s"
[load]
type = "open"
stages = [{ at = "0s", rate = 20.0 }, { at = "300s", rate = 60.0 }]
[behavior]
start = "home"
[behavior.transitions]
home = { leave = 1.0 }
"#;
        let sc = load_str("t.toml", "t", text, &[], None)
            .expect("valid")
            .scenario;
        let mut here = Arrivals::new(&sc).open.expect("open");
        let mut there = Arrivals::new(&sc).open.expect("open");
        // Drawn ahead after a few arrivals here: it goes on from there.
        let mut ahead = arrivals_of(&mut there, 5, SimTime::ZERO);
        there.draw_ahead();
        assert!(matches!(there.source, Source::Ahead(_)));
        ahead.extend(arrivals_of(&mut there, usize::MAX, ahead[4]));
        let expected = arrivals_of(&mut here, usize::MAX, SimTime::ZERO);
        // 20/s then 60/s: more arrivals than one batch of the thread.
        assert!(expected.len() > 5000, "{}", expected.len());
        assert_eq!(ahead, expected);
    }

    /// The next `n` arrivals of `s` (fewer if it ends), the last one
    /// having fired at `now`.
    fn arrivals_of(s: &mut Stream, n: usize, mut now: SimTime) -> Vec<SimTime> {
        let mut out = Vec::new();
        while out.len() < n
            && let Some(t) = s.next(now)
        {
            out.push(t);
            now = t;
        }
        out
    }

    #[test]
    fn the_merge_is_time_ordered_and_keeps_every_stream_whole() {
        let text = r#"
[scenario]
duration = "60s"
[load]
type = "open"
rate = 5.0
[behavior]
start = "home"
[behavior.transitions]
home = { leave = 1.0 }
[admin]
restock_rate = 2.0
price_change_rate = 3.0
"#;
        let sc = load_str("t.toml", "t", text, &[], None)
            .expect("valid")
            .scenario;
        let merged: Vec<(SimTime, Arrival)> = Arrivals::new(&sc).merged().collect();
        assert!(merged.windows(2).all(|w| w[0].0 <= w[1].0));
        // Each stream alone, as the virtual clock draws it.
        let mut a = Arrivals::new(&sc);
        let alone = |s: &mut Stream| arrivals_of(s, usize::MAX, SimTime::ZERO);
        let sessions = alone(a.open.as_mut().expect("open"));
        let pick = |what: Arrival| -> Vec<SimTime> {
            merged.iter().filter(|x| x.1 == what).map(|x| x.0).collect()
        };
        assert_eq!(pick(Arrival::Session(None)), sessions);
        for (op, s) in &mut a.admin {
            assert_eq!(pick(Arrival::Admin(*op)), alone(s), "{op}");
        }
        // About 5 + 2 + 3 per second over a minute.
        assert!((450..750).contains(&merged.len()), "{}", merged.len());
    }
}
