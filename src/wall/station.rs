//! A station on the wall clock: a pool of `workers` permits.
//!
//! A request takes a permit at once if one is free; otherwise it waits
//! (FIFO, tokio's semaphore is fair), is rejected when `queue_limit`
//! requests already wait, or gives up after `timeout`. Holding the permit,
//! it sleeps the sampled service time scaled to the wall clock. An outage
//! that hangs takes every permit away until it ends, so requests queue
//! and time out exactly as on a dead backend; one that fails fast makes
//! arrivals fail at once.

use std::sync::Mutex;
use std::sync::atomic::{AtomicU32, Ordering::Relaxed};
use std::time::{Duration, Instant};

use tokio::sync::Semaphore;

use super::{lock, wall};
use crate::backend::station::{Degrade, Health};
use crate::contract::ErrorKind;
use crate::kernel::dist::Sampler;
use crate::kernel::rng::SimRng;
use crate::kernel::time::SimDuration;
use crate::scenario::model::StationSpec;

/// One station's shared state.
pub struct WallStation {
    /// Free permits.
    pub permits: Semaphore,
    /// Configured workers.
    pub workers: u32,
    /// Requests waiting for a permit now.
    pub queued: AtomicU32,
    /// Most requests ever waiting at once.
    pub max_queued: AtomicU32,
    queue_limit: u32,
    timeout: Option<SimDuration>,
    service: Sampler,
    /// Active faults (an outage that hangs also holds every permit).
    health: Mutex<Health>,
}

/// How a visit went, in wall time.
pub struct Visit {
    /// Waiting for a permit.
    pub wait: Duration,
    /// Holding the permit (the service, as slept).
    pub service: Duration,
}

/// Why a visit failed, and how long it waited first.
pub struct Refused {
    /// The error of the request.
    pub kind: ErrorKind,
    /// Time spent waiting before it failed.
    pub wait: Duration,
}

impl WallStation {
    /// A station as configured.
    pub fn new(spec: &StationSpec) -> Self {
        WallStation {
            permits: Semaphore::new(spec.workers as usize),
            workers: spec.workers,
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

    /// Serves one request: `scale` wall seconds per model second.
    pub async fn visit(&self, rng: &mut SimRng, scale: f64) -> Result<Visit, Refused> {
        if lock(&self.health).fail_fast > 0 {
            return Err(Refused {
                kind: ErrorKind::Unavailable,
                wait: Duration::ZERO,
            });
        }
        let arrived = Instant::now();
        let permit = match self.permits.try_acquire() {
            Ok(p) => p,
            Err(_) => {
                let waiting = self.queued.fetch_add(1, Relaxed) + 1;
                if waiting > self.queue_limit {
                    self.queued.fetch_sub(1, Relaxed);
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
                self.queued.fetch_sub(1, Relaxed);
                match got {
                    Some(Ok(p)) => p,
                    // Timed out, or the semaphore closed (never: it lives
                    // as long as the run).
                    _ => {
                        return Err(Refused {
                            kind: ErrorKind::Timeout,
                            wait: arrived.elapsed(),
                        });
                    }
                }
            }
        };
        let wait = arrived.elapsed();
        let slowdown = lock(&self.health).slowdown;
        let model_ns = self.service.sample(rng) * slowdown;
        let started = Instant::now();
        if model_ns > 0.0 {
            sleep_until(started + wall(model_ns, scale)).await;
        }
        let service = started.elapsed();
        drop(permit);
        Ok(Visit { wait, service })
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
