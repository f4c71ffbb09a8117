//! A station on the wall clock: `workers` permits of a tokio semaphore.
//!
//! A call takes a permit at once if one is free; otherwise it waits (FIFO,
//! tokio's semaphore is fair), is rejected when `queue_limit` calls already
//! wait, or gives up after `timeout`; a cancelled call that still waits
//! leaves the queue (its waiting future is dropped). Holding the permit, it
//! sleeps its service time scaled to the wall clock; a pool's permit is
//! kept until the model gives it back. An outage that hangs takes every
//! permit away until it ends, so calls queue and time out exactly as on a
//! dead backend; one that fails fast makes arrivals fail at once.

use std::sync::Mutex;
use std::sync::atomic::{AtomicU32, Ordering::Relaxed};
use std::time::{Duration, Instant};

use tokio::sync::{Semaphore, SemaphorePermit};

use super::{lock, wall};
use crate::backend::station::{Degrade, Health};
use crate::contract::ErrorKind;
use crate::kernel::dist::Sampler;
use crate::kernel::time::SimDuration;
use crate::scenario::model::{StationKind, StationSpec};

/// One station's shared state.
pub struct WallStation {
    /// Free permits.
    pub permits: Semaphore,
    /// Configured workers (a pool's size).
    pub workers: u32,
    /// A pool: permits held around a route, not served.
    pub pool: bool,
    /// Calls waiting for a permit now.
    pub queued: AtomicU32,
    /// Most calls ever waiting at once.
    pub max_queued: AtomicU32,
    queue_limit: u32,
    timeout: Option<SimDuration>,
    /// Service times, model ns.
    pub service: Sampler,
    /// Active faults (an outage that hangs also holds every permit).
    health: Mutex<Health>,
}

/// Why a call was refused, and how long it waited first.
pub struct Refused {
    /// The error of the call.
    pub kind: ErrorKind,
    /// Time spent waiting before it failed.
    pub wait: Duration,
}

/// Counts a call in `queued` while it waits, whatever ends the wait
/// (a permit, the timeout, or the call being dropped when cancelled).
struct Waiting<'a>(&'a AtomicU32);

impl Drop for Waiting<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Relaxed);
    }
}

impl WallStation {
    /// A station as configured.
    pub fn new(spec: &StationSpec) -> Self {
        WallStation {
            permits: Semaphore::new(spec.workers as usize),
            workers: spec.workers,
            pool: spec.kind == StationKind::Pool,
            queued: AtomicU32::new(0),
            max_queued: AtomicU32::new(0),
            queue_limit: spec.queue_limit.unwrap_or(u32::MAX),
            timeout: spec.timeout,
            // Validation compiled every distribution once already.
            service: spec
                .service_time
                .sampler()
                .unwrap_or(Sampler::Constant(0.0)),
            health: Mutex::new(Health::default()),
        }
    }

    /// A fault doing `d` opens (`open`) or closes at this station.
    pub fn degrade(&self, d: Degrade, open: bool) {
        lock(&self.health).apply(d, open);
    }

    /// The product of the active slowdown factors.
    pub fn slowdown(&self) -> f64 {
        lock(&self.health).slowdown
    }

    /// Waits for a permit: `scale` wall seconds per model second. Returns
    /// it with the time waited.
    pub async fn acquire(&self, scale: f64) -> Result<(SemaphorePermit<'_>, Duration), Refused> {
        if lock(&self.health).fail_fast > 0 {
            return Err(Refused {
                kind: ErrorKind::Unavailable,
                wait: Duration::ZERO,
            });
        }
        let arrived = Instant::now();
        if let Ok(p) = self.permits.try_acquire() {
            return Ok((p, Duration::ZERO));
        }
        let waiting = self.queued.fetch_add(1, Relaxed) + 1;
        let _waiting = Waiting(&self.queued);
        if waiting > self.queue_limit {
            return Err(Refused {
                kind: ErrorKind::Rejected,
                wait: Duration::ZERO,
            });
        }
        self.max_queued.fetch_max(waiting, Relaxed);
        let acquire = self.permits.acquire();
        let got = match self.timeout {
            Some(t) => tokio::time::timeout(wall(t.as_nanos() as f64, scale), acquire)
                .await
                .ok(),
            None => Some(acquire.await),
        };
        match got {
            Some(Ok(p)) => Ok((p, arrived.elapsed())),
            // Timed out, or the semaphore closed (never: it lives as long
            // as the run).
            _ => Err(Refused {
                kind: ErrorKind::Timeout,
                wait: arrived.elapsed(),
            }),
        }
    }
}

/// Tokio's timer wakes on whole milliseconds; at compressed time scales a
/// millisecond is a long time in the model.
const TIMER_TICK: Duration = Duration::from_millis(1);

/// Sleeps until `deadline` precisely: the timer until two ticks before
/// (it may wake up to a tick late), then yielding (other tasks run
/// meanwhile) until the deadline passes.
pub async fn sleep_until(deadline: Instant) {
    let now = Instant::now();
    if deadline > now + 3 * TIMER_TICK {
        tokio::time::sleep_until((deadline - 2 * TIMER_TICK).into()).await;
    }
    while Instant::now() < deadline {
        tokio::task::yield_now().await;
    }
}
