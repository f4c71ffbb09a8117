//! A station on the wall clock: `workers` permits of a tokio semaphore, or
//! for a LIFO station of its own stack ([`lifo`]).
//!
//! A call takes a permit at once if one is free; otherwise it waits (FIFO,
//! tokio's semaphore is fair; or LIFO, the newest waiter first), is
//! rejected when `queue_limit` calls already wait, or gives up after
//! `timeout`; a cancelled call that still waits leaves the queue (its
//! waiting future is dropped). A call that gets its permit after waiting
//! `max_wait` or longer is shed: it gives the permit straight back (to the
//! next waiter) unserved. Holding the permit, it sleeps its service time
//! scaled to the wall clock, and fails at the end if its `fail_rate` draw
//! said so; a pool's permit is kept until the model gives it back. An
//! outage that hangs takes every permit away until it ends, so calls queue
//! and time out exactly as on a dead backend; one that fails fast makes
//! arrivals fail at once.
//!
//! A station whose workers move ([`capacity`]) adds permits for added
//! workers and, for removed ones, takes free permits away at once or
//! forgets the next permits given back: work in flight is never
//! cancelled. It logs each change of its count, from which its worker
//! integrals are computed, and counts its busy workers for its
//! autoscaler.

pub mod capacity;
mod lifo;

use std::sync::Mutex;
use std::sync::atomic::{AtomicU32, Ordering::Relaxed};

use capacity::Log;
use std::time::{Duration, Instant};

use tokio::sync::{Semaphore, SemaphorePermit};

use lifo::LifoPermits;

use super::{lock, wall};
use crate::backend::station::{Degrade, Discipline, Health};
use crate::contract::ErrorKind;
use crate::kernel::dist::Sampler;
use crate::kernel::time::SimDuration;
use crate::scenario::model::{StationKind, StationSpec};

/// One station's shared state.
pub struct WallStation {
    /// Free permits (FIFO).
    permits: Semaphore,
    /// A LIFO station's permits, used instead of `permits`.
    lifo: Option<LifoPermits>,
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
    /// A call that waited this long is shed.
    max_wait: Option<SimDuration>,
    /// Probability that a service fails.
    pub fail_rate: f64,
    /// Service times, model ns.
    pub service: Sampler,
    /// Active faults (an outage that hangs also holds every permit).
    health: Mutex<Health>,
    /// Workers now (the configured count; those retiring excluded).
    configured: AtomicU32,
    /// FIFO permits to forget as they are given back.
    retire: AtomicU32,
    /// Services in progress (counted only where workers move).
    pub busy: AtomicU32,
    /// The log of a station whose workers move (`None`: fixed).
    pub moving: Option<Mutex<Log>>,
}

/// A permit of a station, given back when dropped unless forgotten.
pub enum Permit<'a> {
    /// Of a FIFO station, with its station's retire count.
    Fifo(Option<SemaphorePermit<'a>>, &'a AtomicU32),
    /// Of a LIFO station.
    Lifo(&'a LifoPermits),
}

impl Permit<'_> {
    /// Keeps the permit taken (a pool's, until
    /// [`WallStation::give_back`]).
    pub fn forget(self) {
        std::mem::forget(self);
    }
}

impl Drop for Permit<'_> {
    fn drop(&mut self) {
        match self {
            Permit::Lifo(p) => p.give_back(),
            Permit::Fifo(p, retire) => {
                if let Some(p) = p.take()
                    && take_one(retire)
                {
                    // A removed worker: its permit goes with it.
                    p.forget();
                }
            }
        }
    }
}

/// Takes one from `n` if it is above zero.
fn take_one(n: &AtomicU32) -> bool {
    n.fetch_update(Relaxed, Relaxed, |v| v.checked_sub(1))
        .is_ok()
}

/// Every permit of a station, held by an outage that hangs until dropped.
pub enum Hold<'a> {
    /// A FIFO station's permits, all taken.
    Fifo(SemaphorePermit<'a>),
    /// A LIFO station, granting nothing meanwhile.
    Lifo(&'a LifoPermits),
}

impl Drop for Hold<'_> {
    fn drop(&mut self) {
        if let Hold::Lifo(p) = self {
            p.unhang();
        }
    }
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
        let lifo = spec.policy.discipline == Discipline::Lifo;
        WallStation {
            permits: Semaphore::new(if lifo { 0 } else { spec.workers as usize }),
            lifo: lifo.then(|| LifoPermits::new(spec.workers)),
            workers: spec.workers,
            pool: spec.kind == StationKind::Pool,
            queued: AtomicU32::new(0),
            max_queued: AtomicU32::new(0),
            queue_limit: spec.queue_limit.unwrap_or(u32::MAX),
            timeout: spec.timeout,
            max_wait: spec.policy.max_wait,
            fail_rate: spec.policy.fail_rate,
            // Validation compiled every distribution once already.
            service: spec
                .service_time
                .sampler()
                .unwrap_or(Sampler::Constant(0.0)),
            health: Mutex::new(Health::default()),
            configured: AtomicU32::new(spec.workers),
            retire: AtomicU32::new(0),
            busy: AtomicU32::new(0),
            moving: spec
                .capacity
                .moves()
                .then(|| Mutex::new(Log::new(spec.workers))),
        }
    }

    /// Workers now (retiring ones excluded).
    pub fn configured(&self) -> u32 {
        self.configured.load(Relaxed)
    }

    /// The station has `n` workers from now: permits added (cancelling
    /// retirements first), or taken away (free ones at once, busy ones
    /// as they come back).
    pub fn set_workers(&self, n: u32) {
        let old = self.configured.swap(n, Relaxed);
        if n > old {
            let mut add = n - old;
            while add > 0 && take_one(&self.retire) {
                add -= 1;
            }
            match &self.lifo {
                None => self.permits.add_permits(add as usize),
                Some(p) => p.add(n - old),
            }
        } else if n < old {
            match &self.lifo {
                None => {
                    let gone = self.permits.forget_permits((old - n) as usize) as u32;
                    self.retire.fetch_add(old - n - gone, Relaxed);
                }
                Some(p) => p.remove(old - n),
            }
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

    /// A pool's permit, kept since its grant, comes back.
    pub fn give_back(&self) {
        match &self.lifo {
            None if take_one(&self.retire) => {}
            None => self.permits.add_permits(1),
            Some(p) => p.give_back(),
        }
    }

    /// Takes every permit away, until the hold is dropped (an outage
    /// that hangs).
    pub async fn hold_all(&self) -> Option<Hold<'_>> {
        match &self.lifo {
            None => self
                .permits
                .acquire_many(self.configured())
                .await
                .ok()
                .map(Hold::Fifo),
            Some(p) => {
                p.hang();
                Some(Hold::Lifo(p))
            }
        }
    }

    /// A free permit, without waiting.
    fn try_take(&self) -> Option<Permit<'_>> {
        match &self.lifo {
            None => self
                .permits
                .try_acquire()
                .ok()
                .map(|p| Permit::Fifo(Some(p), &self.retire)),
            Some(p) => p.try_take().then(|| Permit::Lifo(p)),
        }
    }

    /// Waits for a permit in the station's order.
    async fn take(&self) -> Option<Permit<'_>> {
        match &self.lifo {
            None => self
                .permits
                .acquire()
                .await
                .ok()
                .map(|p| Permit::Fifo(Some(p), &self.retire)),
            Some(p) => p.take().await.then(|| Permit::Lifo(p)),
        }
    }

    /// Waits for a permit: `scale` wall seconds per model second. Returns
    /// it with the time waited.
    pub async fn acquire(&self, scale: f64) -> Result<(Permit<'_>, Duration), Refused> {
        if lock(&self.health).fail_fast > 0 {
            return Err(Refused {
                kind: ErrorKind::Unavailable,
                wait: Duration::ZERO,
            });
        }
        let arrived = Instant::now();
        if let Some(p) = self.try_take() {
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
        let acquire = self.take();
        let got = match self.timeout {
            Some(t) => tokio::time::timeout(wall(t.as_nanos() as f64, scale), acquire)
                .await
                .ok(),
            None => Some(acquire.await),
        };
        let waited = arrived.elapsed();
        match got {
            Some(Some(p)) => match self.max_wait {
                Some(m) if waited >= wall(m.as_nanos() as f64, scale) => {
                    // Shed: the permit goes straight back, to the next
                    // waiter.
                    drop(p);
                    Err(Refused {
                        kind: ErrorKind::Shed,
                        wait: waited,
                    })
                }
                _ => Ok((p, waited)),
            },
            // Timed out, or the permits are gone (never: they live as
            // long as the run).
            _ => Err(Refused {
                kind: ErrorKind::Timeout,
                wait: waited,
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
