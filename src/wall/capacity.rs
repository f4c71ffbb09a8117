//! Capacity that moves on the wall clock: the same scheduled changes and
//! the same autoscaler rule as on the virtual clock
//! ([`crate::model::capacity`]), as tokio tasks.
//!
//! A scheduled change sleeps until its instant. An autoscaler wakes 16
//! times per period to sample its station's busy workers, waiting calls
//! and workers (present plus provisioning), and hands the sums, which
//! stand for the period's integrals, to the model's [`Scaler`] at the
//! period's end; each worker it adds is a task sleeping through its cold
//! start. These tasks end with the runtime: they never keep a run alive.

use std::sync::Arc;
use std::sync::atomic::Ordering::Relaxed;

use super::station::sleep_until;
use super::{World, lock};
use crate::contract::business::Business;
use crate::kernel::time::{SimDuration, SimTime};
use crate::metrics::StationStats;
use crate::model::capacity::{Change, Decision, Scaler, changes};

/// Samples per autoscaler period.
const SAMPLES: u64 = 16;

/// Spawns the scheduled changes and the autoscalers of the run.
pub(super) fn spawn<B: Business + Send + Sync + 'static>(w: &Arc<World<B>>) {
    for c in changes(w.model.scenario()) {
        tokio::spawn(scheduled(w.clone(), c));
    }
    for s in Scaler::all(w.model.scenario()) {
        tokio::spawn(autoscale(w.clone(), s));
    }
}

/// Station `s` has `n` workers from model time `at`.
fn set_workers<B: Business>(w: &World<B>, s: u16, n: u32, at: SimTime) {
    let st = &w.stations[s as usize];
    if let Some(log) = &st.moving {
        let mut log = lock(log);
        st.set_workers(n);
        log.record(at, n);
    }
}

async fn scheduled<B: Business>(w: Arc<World<B>>, c: Change) {
    sleep_until(w.instant(c.at)).await;
    set_workers(&w, c.station, c.workers, c.at);
}

async fn autoscale<B: Business + Send + Sync + 'static>(w: Arc<World<B>>, mut scaler: Scaler) {
    let s = scaler.station;
    let step = SimDuration::from_nanos((scaler.period.as_nanos() / SAMPLES).max(1));
    let mut t = SimTime::ZERO;
    loop {
        let mut areas = [0u128; 3];
        for _ in 0..SAMPLES {
            t += step;
            sleep_until(w.instant(t)).await;
            let st = &w.stations[s as usize];
            let provisioning = st.moving.as_ref().map_or(0, |l| lock(l).provisioning.len());
            areas[0] += u128::from(st.busy.load(Relaxed));
            areas[1] += u128::from(st.queued.load(Relaxed));
            areas[2] += u128::from(st.configured()) + provisioning as u128;
        }
        let over = t >= w.model.end_of_arrivals() && w.active.load(Relaxed) == 0;
        if w.stop.load(Relaxed) || over {
            return;
        }
        let st = &w.stations[s as usize];
        let Some(log) = &st.moving else { return };
        let current = st.configured() + lock(log).provisioning.len() as u32;
        match scaler.decide(t, current, areas) {
            Decision::Hold => {}
            Decision::Add(k) => {
                for _ in 0..k {
                    let cold = scaler.cold_start();
                    if cold.as_nanos() == 0 {
                        set_workers(&w, s, st.configured() + 1, t);
                    } else {
                        let ready = t + cold;
                        lock(log).provisioning.push(ready);
                        tokio::spawn(provisioned(w.clone(), s, ready));
                    }
                }
                let n = st.configured();
                lock(log).record(t, n);
            }
            Decision::Remove(k) => {
                let mut g = lock(log);
                let cancelled = (k as usize).min(g.provisioning.len());
                let left = g.provisioning.len() - cancelled;
                g.provisioning.truncate(left);
                let n = st.configured() - (k - cancelled as u32);
                st.set_workers(n);
                g.record(t, n);
            }
        }
    }
}

/// A worker of `s` ready at `ready` serves from then, unless it was
/// cancelled meanwhile.
async fn provisioned<B: Business>(w: Arc<World<B>>, s: u16, ready: SimTime) {
    sleep_until(w.instant(ready)).await;
    let st = &w.stations[s as usize];
    let Some(log) = &st.moving else { return };
    let mut g = lock(log);
    if let Some(i) = g.provisioning.iter().position(|&r| r == ready) {
        g.provisioning.remove(i);
        let n = st.configured() + 1;
        st.set_workers(n);
        g.record(ready, n);
    }
}

/// Station `i`'s worker integrals up to `t` (from the warmup), for the
/// gauges: `[workers, provisioning]`.
pub(super) fn areas_until<B: Business>(w: &World<B>, i: usize, t: SimTime) -> [u128; 2] {
    match &w.stations[i].moving {
        Some(log) => lock(log).areas(w.model.warmup(), t),
        None => [0; 2],
    }
}

/// Fills a station's worker columns at the end of a run ending at `end`.
pub(super) fn finish<B: Business>(w: &World<B>, i: usize, stats: &mut StationStats, end: SimTime) {
    let st = &w.stations[i];
    let warmup = w.model.warmup();
    match &st.moving {
        None => {
            let n = u128::from(st.workers);
            stats.worker_area = n * u128::from(end.since(warmup).as_nanos());
            stats.billed_area = n * u128::from(end.as_nanos());
            stats.max_workers = st.workers;
        }
        Some(log) => {
            let log = lock(log);
            let [workers, provisioning] = log.areas(warmup, end);
            let billed = log.areas(SimTime::ZERO, end);
            stats.worker_area = workers;
            stats.provisioning_area = provisioning;
            stats.billed_area = billed[0] + billed[1];
            stats.max_workers = log.max_workers(warmup, end);
        }
    }
}
