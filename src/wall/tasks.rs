//! The wall clock's tasks: the arrival generator, agents, closed users,
//! fault windows, the gauge ticker, stress loops, and the watcher that
//! ends the run.
//!
//! Every agent task hands its agent to the model and waits the way the
//! model's [`Flow`] says: a station visit, or a think time slept until the
//! next operation's intended start.

use std::sync::Arc;
use std::sync::atomic::Ordering::Relaxed;
use std::time::{Duration, Instant};

use super::station::sleep_until;
use super::{Here, StressLimit, WallOptions, World, wall};
use crate::backend::station::Degrade;
use crate::contract::ErrorKind;
use crate::contract::business::Business;
use crate::kernel::rng::SimRng;
use crate::kernel::time::{SimDuration, SimTime};
use crate::metrics::StationStats;
use crate::model::arrivals::{Arrival, FaultWindow, closed_starts, fault_windows};
use crate::model::{Agent, Flow, Progress, Who};

/// Starts the run's tasks and watches it: progress and Ctrl-C every
/// 200 ms, the end as soon as every generator and every agent is done.
/// Returns whether it was interrupted, and the most agents seen at once.
pub(super) async fn watch<B>(
    w: Arc<World<B>>,
    opts: &WallOptions,
    control: &(dyn Fn(u32, &Progress) -> bool + Sync),
) -> (bool, usize)
where
    B: Business + Send + Sync + 'static,
    B::Session: Send,
{
    let w2 = w.clone();
    let opts2 = opts.clone();
    let work = tokio::spawn(async move {
        match opts2.stress {
            Some((tasks, limit)) => stress(&w2, tasks, limit),
            None => modelled(&w2, opts2.stall).await,
        }
    });
    let ticker = tokio::spawn(gauge_ticks(w.clone()));
    let mut interrupted = false;
    let mut peak = 0;
    for tick in 1u64.. {
        tokio::time::sleep(Duration::from_millis(20)).await;
        peak = peak.max(w.active.load(Relaxed));
        if tick % 10 == 0 {
            let p = Progress {
                now: w.now(),
                events: w.model.sessions_started(),
                active: w.active.load(Relaxed),
            };
            if !control(0, &p) && !interrupted {
                interrupted = true;
                w.stop.store(true, Relaxed);
            }
        }
        if work.is_finished() && w.active.load(Relaxed) == 0 {
            break;
        }
    }
    ticker.abort();
    (interrupted, peak)
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
            let start = w2.instant(at);
            sleep_until(start).await;
            live(&w2, Who::Closed(user), start).await;
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
            Arrival::Session => {
                tokio::spawn(async move {
                    live(&w2, Who::Open, intended).await;
                    w2.finished();
                });
            }
            Arrival::Admin(op) => {
                let mut a = w.model.admin(op, at);
                tokio::spawn(async move {
                    let flow = w2.model.begin(&mut a, at, &mut Here(&w2));
                    visits(&w2, &mut a, flow).await;
                    w2.finished();
                });
            }
        }
    }
}

/// One agent of `who` arriving at `intended`, until it is done: its
/// session, and for a closed-model user every later one.
async fn live<B: Business>(w: &World<B>, who: Who, mut intended: Instant) {
    loop {
        if !w.stress {
            sleep_until(intended).await;
            w.record_lag(intended);
        }
        let at = w.model_at(intended);
        let mut a = w.model.session(who, at, &mut Here(w));
        let mut flow = w.model.first(&mut a, at, &mut Here(w));
        loop {
            flow = visits(w, &mut a, flow).await;
            match flow {
                Flow::Visit(_) | Flow::End => return,
                Flow::Restart(_) if w.stop.load(Relaxed) => return,
                Flow::Restart(_) => {
                    intended = Instant::now();
                    break;
                }
                Flow::Think(_) if w.stop.load(Relaxed) => {
                    w.model.end_session(&mut a, &mut Here(w));
                    return;
                }
                Flow::Think(d) => {
                    if w.stress {
                        tokio::task::yield_now().await;
                        intended = Instant::now();
                    } else {
                        intended = Instant::now() + wall(d.as_nanos() as f64, w.scale);
                        sleep_until(intended).await;
                        w.record_lag(intended);
                    }
                    flow = w.model.begin(&mut a, w.model_at(intended), &mut Here(w));
                }
            }
        }
    }
}

/// Makes the station visits `flow` asks for, until it asks for something
/// else.
async fn visits<B: Business>(w: &World<B>, a: &mut Agent<B::Session>, mut flow: Flow) -> Flow {
    while let Flow::Visit(s) = flow {
        flow = match visit(w, s, &mut a.rng).await {
            Ok(()) => w.model.served(a, &mut Here(w)),
            Err(kind) => w.model.fail(a, kind, &mut Here(w)),
        };
    }
    flow
}

/// A station visit; stress runs skip stations (no modelled delays).
async fn visit<B: Business>(w: &World<B>, i: u16, rng: &mut SimRng) -> Result<(), ErrorKind> {
    if w.stress {
        return Ok(());
    }
    let st = &w.stations[i as usize];
    let measured = w.now() >= w.model.warmup();
    let outcome = st.visit(rng, w.scale).await;
    w.recorders.with(w.model.scenario(), |r| {
        r.events += 1;
        if !measured {
            return;
        }
        let stats = &mut r.stations[i as usize];
        let record_wait = |stats: &mut StationStats, wait_ns: u64| {
            stats.wait.saturating_record(wait_ns.max(1));
            stats.wait_sum_ns += wait_ns as u128;
            // Little's law: the queue-length integral is the sum of waits.
            stats.queue_area += wait_ns as u128;
        };
        match &outcome {
            Ok(v) => {
                stats.served += 1;
                record_wait(stats, w.model_ns(v.wait));
                stats.busy_area += w.model_ns(v.service) as u128;
            }
            Err(e) if e.kind == ErrorKind::Timeout => {
                stats.timed_out += 1;
                record_wait(stats, w.model_ns(e.wait));
            }
            Err(e) if e.kind == ErrorKind::Rejected => stats.rejected += 1,
            Err(_) => {}
        }
    });
    outcome.map(|_| ()).map_err(|e| e.kind)
}

/// A fault window: the model says what it does when it opens and closes;
/// an outage that hangs holds every permit of its stations meanwhile, so
/// requests queue and time out exactly as on a dead backend.
async fn fault<B: Business>(w: Arc<World<B>>, win: FaultWindow) {
    sleep_until(w.instant(win.at)).await;
    let change = w.model.fault(win.index as usize, true, &mut Here(&w));
    let mut held = Vec::new();
    if let Some((instances, d)) = change {
        for st in &w.stations[instances] {
            st.degrade(d, true);
            if matches!(d, Degrade::Outage { hang: true })
                && let Ok(p) = st.permits.acquire_many(st.workers).await
            {
                held.push(p);
            }
        }
    }
    let Some(until) = win.until else { return };
    sleep_until(w.instant(until)).await;
    drop(held);
    if let Some((instances, d)) = w.model.fault(win.index as usize, false, &mut Here(&w)) {
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
                live(&w2, Who::Open, Instant::now()).await;
            }
            w2.finished();
        });
    }
}
