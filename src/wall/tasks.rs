//! The wall clock's tasks: the arrival generator, agents, closed users,
//! fault windows, the gauge ticker, stress loops, and the watcher that
//! ends the run.
//!
//! Every agent task is `calls::run`: it hands its agent to the model and
//! waits the way the model's commands say.

use std::sync::Arc;
use std::sync::atomic::Ordering::Relaxed;
use std::time::{Duration, Instant};

use super::calls::{Start, run, session};
use super::station::sleep_until;
use super::{Here, StressLimit, WallOptions, World};
use crate::backend::station::Degrade;
use crate::contract::business::Business;
use crate::kernel::time::{SimDuration, SimTime};
use crate::metrics::watch::Unstable;
use crate::model::arrivals::{Arrival, FaultWindow, closed_starts, fault_windows};
use crate::model::{Progress, Who};

/// Starts the run's tasks and watches it: progress and Ctrl-C every
/// 200 ms, the end as soon as every generator and every agent is done.
/// Returns whether it was interrupted, the most agents seen at once, why
/// the memory guard stopped it (if it did), and what the queue watch
/// flagged.
pub(super) async fn watch<B>(
    w: Arc<World<B>>,
    opts: &WallOptions,
    control: &(dyn Fn(u32, &Progress) -> bool + Sync),
) -> (bool, usize, Option<String>, Vec<Unstable>)
where
    B: Business + Send + Sync + 'static,
    B::Session: Send,
{
    let w2 = w.clone();
    let opts2 = opts.clone();
    let work = tokio::spawn(async move {
        match opts2.stress {
            Some((tasks, limit)) => stress(&w2, tasks, limit),
            None => {
                super::capacity::spawn(&w2);
                modelled(&w2, opts2.stall).await
            }
        }
    });
    let ticker = tokio::spawn(gauge_ticks(w.clone()));
    if opts.panic {
        tokio::spawn(async { panic!("injected panic in a wall-clock task") });
    }
    let mut interrupted = false;
    let mut diverged = None;
    let mut queues = w.model.queue_watch();
    let mut peak = 0;
    // Once stopped, calls in flight get this long to finish; the rest are
    // dropped with the runtime (nothing new starts after the stop).
    let mut grace: Option<Instant> = None;
    for tick in 1u64.. {
        tokio::time::sleep(Duration::from_millis(20)).await;
        let active = w.active.load(Relaxed);
        peak = peak.max(active);
        let queued = |i: usize| w.stations[i].queued.load(Relaxed) as u64;
        let flagged = queues.observe(w.now(), &queued);
        if active > opts.max_in_flight && diverged.is_none() {
            diverged =
                Some(
                    w.model
                        .diverged_in_flight(active, opts.max_in_flight, w.now(), &queued),
                );
            interrupted = true;
            w.stop.store(true, Relaxed);
            grace = Some(Instant::now() + Duration::from_millis(500));
        }
        if tick % 10 == 0 || flagged {
            let p = Progress {
                now: w.now(),
                events: w.model.sessions_started(),
                active: w.active.load(Relaxed),
                alert: flagged.then(|| queues.unstable.last()).flatten(),
            };
            if !control(0, &p) && !interrupted {
                interrupted = true;
                w.stop.store(true, Relaxed);
                grace = Some(Instant::now() + Duration::from_millis(500));
            }
        }
        if work.is_finished() && w.active.load(Relaxed) == 0 {
            break;
        }
        if grace.is_some_and(|g| Instant::now() >= g) {
            break;
        }
    }
    ticker.abort();
    (interrupted, peak, diverged, queues.unstable)
}

/// The modelled run: arrivals, closed users, faults; returns when every
/// generator is done (agents may still run).
async fn modelled<B>(w: &Arc<World<B>>, stall: Option<(SimDuration, Duration)>)
where
    B: Business + Send + Sync + 'static,
    B::Session: Send,
{
    let mut gens = vec![tokio::spawn(arrivals(w.clone(), stall))];
    for (user, at) in closed_starts(w.model.scenario()) {
        w.spawned();
        let w2 = w.clone();
        tokio::spawn(async move {
            session(&w2, Who::Closed(user), w2.instant(at), None).await;
            w2.finished();
        });
    }
    for win in fault_windows(w.model.scenario()) {
        gens.push(tokio::spawn(fault(w.clone(), win)));
    }
    for g in gens {
        let _ = g.await;
    }
}

/// Open-model sessions and admin operations, from the model's single
/// time-ordered merge of its arrival streams.
async fn arrivals<B>(w: Arc<World<B>>, stall: Option<(SimDuration, Duration)>)
where
    B: Business + Send + Sync + 'static,
    B::Session: Send,
{
    let mut stalled = false;
    for (at, arrival) in crate::model::arrivals::Arrivals::new(w.model.scenario()).merged() {
        if w.stop.load(Relaxed) {
            break;
        }
        let intended = w.instant(at);
        sleep_until(intended).await;
        if w.stop.load(Relaxed) {
            break;
        }
        if let Some((when, len)) = stall
            && !stalled
            && at >= SimTime::ZERO + when
        {
            // Deliberately block this worker thread: the generator falls
            // behind, and the sessions it then starts late must show it.
            stalled = true;
            std::thread::sleep(len);
        }
        w.spawned();
        let w2 = w.clone();
        match arrival {
            Arrival::Session(first) => {
                tokio::spawn(async move {
                    session(&w2, Who::Open, intended, first).await;
                    w2.finished();
                });
            }
            Arrival::Admin(op) => {
                let a = w.model.admin(op, at);
                tokio::spawn(async move {
                    run(&w2, a, Start::Admin(intended)).await;
                    w2.finished();
                });
            }
        }
    }
}

/// A fault window: the model says what it does when it opens and closes;
/// an outage that hangs holds every permit of its stations meanwhile, so
/// requests queue and time out exactly as on a dead backend.
async fn fault<B: Business>(w: Arc<World<B>>, win: FaultWindow) {
    sleep_until(w.instant(win.at)).await;
    let change = w
        .model
        .fault(win.index as usize, true, &mut Here(&w, &mut Vec::new()));
    let mut held = Vec::new();
    if let Some((instances, d)) = change {
        for st in &w.stations[instances] {
            st.degrade(d, true);
            if matches!(d, Degrade::Outage { hang: true })
                && let Some(p) = st.hold_all().await
            {
                held.push(p);
            }
        }
    }
    let Some(until) = win.until else { return };
    sleep_until(w.instant(until)).await;
    drop(held);
    if let Some((instances, d)) =
        w.model
            .fault(win.index as usize, false, &mut Here(&w, &mut Vec::new()))
    {
        for st in &w.stations[instances] {
            st.degrade(d, false);
        }
    }
}

/// Samples the gauges at the end of every report interval.
async fn gauge_ticks<B: Business>(w: Arc<World<B>>) {
    let step = w.model.scenario().report_interval;
    let mut t = w.model.warmup() + step;
    loop {
        sleep_until(w.instant(t)).await;
        w.sample_gauges(t);
        t += step;
    }
}

/// Stress: `tasks` tasks loop over sessions until the limit.
fn stress<B>(w: &Arc<World<B>>, tasks: usize, limit: StressLimit)
where
    B: Business + Send + Sync + 'static,
    B::Session: Send,
{
    let deadline = match limit {
        StressLimit::For(d) => Some(Instant::now() + d),
        StressLimit::Sessions(_) => None,
    };
    let more = move |w: &World<B>| match limit {
        StressLimit::For(_) => deadline.is_some_and(|d| Instant::now() < d),
        StressLimit::Sessions(n) => w.model.sessions_started() < n,
    };
    for _ in 0..tasks {
        w.spawned();
        let w2 = w.clone();
        tokio::spawn(async move {
            while more(&w2) && !w2.stop.load(Relaxed) {
                session(&w2, Who::Open, Instant::now(), None).await;
            }
            w2.finished();
        });
    }
}
