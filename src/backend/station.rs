//! A station: `workers` servers in front of one queue, and what faults
//! do to it.
//!
//! The station only keeps state and statistics; the virtual clock decides
//! when requests arrive, start and finish. [`Health`] is a station's state
//! under faults, shared by both clocks: the model says what a fault does
//! ([`Degrade`]), `Health::apply` keeps the count. Abandoned queue entries (a request
//! that timed out) stay in the queue and are skipped when reached, so
//! giving up is O(1); `live` counts the entries still waiting. A free
//! worker takes the oldest waiting entry (FIFO, the front) or the newest
//! (LIFO, the back); a LIFO queue drops its abandoned entries once they
//! outnumber the live ones, since under overload its oldest entries may
//! never be reached. [`StationPolicy`] holds the station's own feedback
//! policies: the [`Discipline`], shedding after `max_wait`, `fail_rate`.
//! A station whose workers move (a schedule, an autoscaler) carries a
//! [`Moving`] with the integrals its autoscaler and its cost read; a
//! fixed station has none and pays one branch on `None` per update.
//! Lowering `workers` below `busy` retires the excess as they finish:
//! nobody's request is dropped.

mod deque;

pub use deque::ChunkDeque;

use crate::kernel::dist::Sampler;
use crate::kernel::time::{SimDuration, SimTime};
use crate::metrics::StationStats;

/// A request waiting in a station's queue.
#[derive(Clone, Copy, Debug)]
pub struct Queued {
    /// The session slot.
    pub agent: u32,
    /// Where in the agent the waiting call is (a model `Place`).
    pub place: u16,
    /// Unique token of this wait (the agent's cookie for the place holds
    /// it while the entry is live).
    pub token: u64,
    /// When it arrived.
    pub since: SimTime,
}

/// The order in which a free worker takes waiting requests.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Discipline {
    /// The oldest first (the default).
    #[default]
    Fifo,
    /// The newest first: under overload, fresh requests whose callers
    /// still wait are served, and the old ones wait on (or give up).
    Lifo,
}

impl Discipline {
    /// Scenario names, in documentation order.
    pub const NAMES: [&'static str; 2] = ["fifo", "lifo"];

    /// The discipline called `name` in a scenario.
    pub fn from_name(name: &str) -> Option<Discipline> {
        match name {
            "fifo" => Some(Discipline::Fifo),
            "lifo" => Some(Discipline::Lifo),
            _ => None,
        }
    }

    /// The scenario name.
    pub fn name(self) -> &'static str {
        match self {
            Discipline::Fifo => "fifo",
            Discipline::Lifo => "lifo",
        }
    }
}

/// A station's own feedback policies (issue 13), the same on both clocks.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct StationPolicy {
    /// Which waiting request a free worker takes.
    pub discipline: Discipline,
    /// A request that has waited this long when a worker takes it is
    /// dropped unserved (error `shed`); `None`: never.
    pub max_wait: Option<SimDuration>,
    /// Probability that a service fails (error `failed`) at its end; 0:
    /// never, and no random draw is made.
    pub fail_rate: f64,
}

/// A station's state during a run.
pub struct Station {
    /// Servers.
    pub workers: u32,
    /// Servers busy now.
    pub busy: u32,
    /// Waiting requests in arrival order, abandoned entries included.
    pub queue: ChunkDeque<Queued>,
    /// Entries in `queue` still waiting.
    pub live: u32,
    /// Largest `live` admitted (`u32::MAX`: unbounded).
    pub queue_limit: u32,
    /// Longest wait before giving up.
    pub timeout: Option<SimDuration>,
    /// Service time sampler (ns).
    pub service: Sampler,
    /// A pool: a worker is a permit, held until given back, not a service.
    pub pool: bool,
    /// Take the newest waiting request (LIFO), not the oldest.
    pub lifo: bool,
    /// Shed a request that waited this long when a worker takes it
    /// (`u64::MAX` ns: never).
    pub max_wait: SimDuration,
    /// Probability that a service fails at its end.
    pub fail_rate: f64,
    /// Active faults.
    pub health: Health,
    /// Time of the last integral update.
    pub last: SimTime,
    /// Statistics over the measured window.
    pub stats: StationStats,
    /// The integrals of a station whose workers move (`None`: fixed).
    pub moving: Option<Box<Moving>>,
    /// Measured waits of at most 1 ns (a request served at once), kept
    /// out of `stats.wait` until [`Station::finish`], where they count
    /// as 1 ns all at once: the histogram ends the same, with one record
    /// instead of one per request.
    pub short_waits: u64,
}

/// What a station whose workers move keeps beyond a fixed one: the
/// workers still provisioning, and time integrals over the whole run
/// (warmup and drain included), in worker·ns or request·ns.
#[derive(Clone, Debug, Default)]
pub struct Moving {
    /// When each provisioning worker becomes ready, in the order added.
    pub provisioning: Vec<SimTime>,
    /// ∫ busy workers.
    pub busy_all: u128,
    /// ∫ waiting requests.
    pub queue_all: u128,
    /// ∫ workers present (serving, or retiring while they finish) plus
    /// provisioning: the billed worker-time, and the autoscaler's
    /// denominator.
    pub billed_all: u128,
    /// The three integrals at the autoscaler's last decision.
    pub mark: [u128; 3],
}

impl Moving {
    /// The integrals' growth since the last call, which sets the mark:
    /// `[busy, queue, workers]`.
    pub fn since_mark(&mut self) -> [u128; 3] {
        let now = [self.busy_all, self.queue_all, self.billed_all];
        let d = [
            now[0] - self.mark[0],
            now[1] - self.mark[1],
            now[2] - self.mark[2],
        ];
        self.mark = now;
        d
    }
}

impl Station {
    /// A station of `workers` servers; `queue_limit` waiting requests at
    /// most (`u32::MAX`: unbounded); a request waiting longer than
    /// `timeout` gives up; service times (ns) drawn from `service`, or, for
    /// a `pool`, permits held until given back; waiting requests taken,
    /// shed and failed as `policy` says.
    pub fn new(
        workers: u32,
        queue_limit: u32,
        timeout: Option<SimDuration>,
        service: Sampler,
        pool: bool,
        policy: StationPolicy,
    ) -> Station {
        Station {
            workers,
            busy: 0,
            queue: ChunkDeque::new(),
            live: 0,
            queue_limit,
            timeout,
            service,
            pool,
            lifo: policy.discipline == Discipline::Lifo,
            max_wait: policy.max_wait.unwrap_or(SimDuration(u64::MAX)),
            fail_rate: policy.fail_rate,
            health: Health::default(),
            last: SimTime::ZERO,
            stats: StationStats::default(),
            moving: None,
            short_waits: 0,
        }
    }

    /// Workers present: serving, or removed but finishing a request.
    #[inline]
    pub fn present(&self) -> u32 {
        self.workers.max(self.busy)
    }

    /// Workers counted by the autoscaler: the configured ones (not those
    /// retiring) and those still provisioning.
    pub fn current(&self) -> u32 {
        self.workers
            + self
                .moving
                .as_ref()
                .map_or(0, |m| m.provisioning.len() as u32)
    }

    /// Closes the run at `end`: a fixed station's worker integrals are
    /// its workers times the window (and, billed, times the whole run).
    pub fn finish(&mut self, end: SimTime, warmup: SimTime) {
        self.integrate(end, warmup);
        if self.short_waits > 0 {
            self.stats.wait.record_n(1, self.short_waits);
            self.short_waits = 0;
        }
        if self.moving.is_none() {
            let w = u128::from(self.workers);
            self.stats.worker_area = w * u128::from(end.since(warmup).as_nanos());
            self.stats.billed_area = w * u128::from(end.as_nanos());
            self.stats.max_workers = self.workers;
        } else if self.stats.max_workers == 0 {
            self.stats.max_workers = self.present();
        }
    }

    /// Advances the busy and queue-length integrals to `now`, counting only
    /// time after `warmup`.
    #[inline]
    pub fn integrate(&mut self, now: SimTime, warmup: SimTime) {
        let a = self.last.max(warmup);
        let b = now.max(warmup);
        if b > a {
            let dt = (b - a).as_nanos() as u128;
            self.stats.busy_area += self.busy as u128 * dt;
            self.stats.queue_area += self.live as u128 * dt;
        }
        if self.moving.is_some() {
            self.integrate_moving(now, warmup);
        }
        self.last = now;
    }

    /// The integrals of a station whose workers move, to `now`. Kept out
    /// of line: a fixed station never comes here.
    #[inline(never)]
    fn integrate_moving(&mut self, now: SimTime, warmup: SimTime) {
        let present = self.present();
        let Some(m) = self.moving.as_deref_mut() else {
            return;
        };
        let provisioning = m.provisioning.len() as u128;
        let dt = u128::from(now.since(self.last).as_nanos());
        m.busy_all += u128::from(self.busy) * dt;
        m.queue_all += u128::from(self.live) * dt;
        m.billed_all += (u128::from(present) + provisioning) * dt;
        self.stats.billed_area = m.billed_all;
        let (a, b) = (self.last.max(warmup), now.max(warmup));
        if b > a {
            let dt = u128::from((b - a).as_nanos());
            self.stats.worker_area += u128::from(present) * dt;
            self.stats.provisioning_area += provisioning * dt;
        }
        if now >= warmup {
            self.stats.max_workers = self.stats.max_workers.max(present);
        }
    }

    /// Can a free worker take a request now?
    #[inline]
    pub fn can_serve(&self) -> bool {
        self.busy < self.workers && self.health.hang == 0
    }

    /// Counts the wait of a request that arrived at `since` and leaves the
    /// queue at `now` (served or given up), if it counts: its sum, and a
    /// wait of at most 1 ns in `stats.wait` once the station is
    /// [finished](Station::finish). Returns a longer wait, for the caller
    /// to record in a histogram it adds to `stats.wait` at the end.
    #[inline]
    pub fn count_wait(&mut self, since: SimTime, now: SimTime, warmup: SimTime) -> Option<u64> {
        if since < warmup {
            return None;
        }
        let wait = (now - since).as_nanos();
        self.stats.wait_sum_ns += wait as u128;
        if wait <= 1 {
            self.short_waits += 1;
            None
        } else {
            Some(wait)
        }
    }
}

/// What a fault does to each station of its group.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Degrade {
    /// Service times are multiplied by this factor.
    Slow(f64),
    /// The station is out: requests fail at once, or (`hang`) nothing is
    /// served and requests wait until it returns or they time out.
    Outage {
        /// Queue instead of failing fast.
        hang: bool,
    },
}

/// A station's state under faults; overlapping faults compose.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Health {
    /// Product of the active slowdown factors (1 normally).
    pub slowdown: f64,
    /// Active outages failing fast.
    pub fail_fast: u32,
    /// Active outages that hang.
    pub hang: u32,
}

impl Default for Health {
    fn default() -> Self {
        Health {
            slowdown: 1.0,
            fail_fast: 0,
            hang: 0,
        }
    }
}

impl Health {
    /// A fault doing `d` opens (`open`) or closes.
    pub fn apply(&mut self, d: Degrade, open: bool) {
        match d {
            Degrade::Slow(factor) => {
                self.slowdown = if open {
                    self.slowdown * factor
                } else {
                    self.slowdown / factor
                };
            }
            Degrade::Outage { hang } => {
                let counter = if hang {
                    &mut self.hang
                } else {
                    &mut self.fail_fast
                };
                *counter = if open {
                    *counter + 1
                } else {
                    counter.saturating_sub(1)
                };
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn overlapping_faults_compose_and_undo() {
        let mut h = Health::default();
        h.apply(Degrade::Slow(2.0), true);
        h.apply(Degrade::Slow(4.0), true);
        h.apply(Degrade::Outage { hang: true }, true);
        h.apply(Degrade::Outage { hang: false }, true);
        assert_eq!((h.slowdown, h.hang, h.fail_fast), (8.0, 1, 1));
        h.apply(Degrade::Slow(2.0), false);
        h.apply(Degrade::Outage { hang: true }, false);
        h.apply(Degrade::Outage { hang: true }, false);
        assert_eq!((h.slowdown, h.hang, h.fail_fast), (4.0, 0, 1));
    }
}
