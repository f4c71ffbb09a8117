//! A station: `workers` servers in front of one FIFO queue.
//!
//! The station only keeps state and statistics; the engine decides when
//! requests arrive, start and finish. Abandoned queue entries (a request
//! that timed out) stay in the queue and are skipped when reached, so
//! giving up is O(1); `live` counts the entries still waiting.

use std::collections::VecDeque;

use super::dist::Sampler;
use super::time::{SimDuration, SimTime};
use crate::metrics::StationStats;
use crate::scenario::model::StationSpec;

/// A request waiting in a station's queue.
#[derive(Clone, Copy, Debug)]
pub struct Queued {
    /// The session slot.
    pub agent: u32,
    /// Unique token of this wait (see the engine's `waiting`).
    pub token: u64,
    /// When it arrived.
    pub since: SimTime,
}

/// A station's state during a run.
pub struct Station {
    /// Servers.
    pub workers: u32,
    /// Servers busy now.
    pub busy: u32,
    /// FIFO queue, abandoned entries included.
    pub queue: VecDeque<Queued>,
    /// Entries in `queue` still waiting.
    pub live: u32,
    /// Largest `live` admitted (`u32::MAX`: unbounded).
    pub queue_limit: u32,
    /// Longest wait before giving up.
    pub timeout: Option<SimDuration>,
    /// Service time sampler (ns).
    pub service: Sampler,
    /// Product of the active slowdown factors (1 normally).
    pub slowdown: f64,
    /// Active outages failing fast.
    pub down_fail_fast: u32,
    /// Active outages that hang (requests queue, nothing is served).
    pub down_hang: u32,
    /// Time of the last integral update.
    pub last: SimTime,
    /// Statistics over the measured window.
    pub stats: StationStats,
}

impl Station {
    /// A station as configured.
    pub fn new(spec: &StationSpec) -> Station {
        Station {
            workers: spec.workers,
            busy: 0,
            queue: VecDeque::new(),
            live: 0,
            queue_limit: spec.queue_limit.unwrap_or(u32::MAX),
            timeout: spec.timeout,
            // Validation compiled every distribution once already.
            service: spec
                .service_time
                .sampler()
                .unwrap_or(Sampler::Constant(0.0)),
            slowdown: 1.0,
            down_fail_fast: 0,
            down_hang: 0,
            last: SimTime::ZERO,
            stats: StationStats::default(),
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
        self.last = now;
    }

    /// Can a free worker take a request now?
    #[inline]
    pub fn can_serve(&self) -> bool {
        self.busy < self.workers && self.down_hang == 0
    }

    /// Records the wait of a request that arrived at `since` and leaves the
    /// queue at `now` (served or given up), if it counts.
    #[inline]
    pub fn record_wait(&mut self, since: SimTime, now: SimTime, warmup: SimTime) {
        if since >= warmup {
            let wait = (now - since).as_nanos();
            self.stats.wait.saturating_record(wait.max(1));
            self.stats.wait_sum_ns += wait as u128;
        }
    }
}
