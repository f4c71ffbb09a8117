//! One agent on the wall clock: the model's commands done for real.
//!
//! An agent is one tokio task. Each call the model sends to a station is a
//! future of that task (waiting for a permit, then sleeping the service),
//! so a fan-out's calls wait at their stations at the same time; hedge
//! delays and think times are sleeps among them. Answers go back to the
//! model in the order they come. A cancelled call still waiting for its
//! permit is dropped (it leaves the semaphore's queue); one in service
//! finishes. A pool's permit is kept until the model gives it back.
//!
//! Service times (and, at a station with a `fail_rate`, whether the
//! service fails) are drawn from the agent's stream when the call is sent
//! (several calls may wait at once), where the virtual clock draws them
//! when service starts; for a route of one call at a time that is the same
//! sequence of draws, as long as no call is refused or shed.
//!
//! Every call reaching a station counts in its `arrivals`; when a measured
//! service's answer arrives and the model says its caller has gone
//! ([`Agent::gone`]), the measured service time counts in `wasted_ns`.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::Ordering::Relaxed;
use std::time::Instant;

use futures::StreamExt;
use futures::stream::FuturesUnordered;
use tokio::sync::Notify;

use super::station::sleep_until;
use super::{Here, World, wall};
use crate::contract::ErrorKind;
use crate::contract::action::Op;
use crate::contract::business::Business;
use crate::metrics::StationStats;
use crate::model::{Agent, Command, Place, Who};

/// What woke an agent up.
enum Wake {
    /// A station answered the call at `place`; a pool's grant says which
    /// pool and when; a measured service, at which station and how long
    /// it took (model ns).
    Answer {
        place: Place,
        result: Result<(), ErrorKind>,
        granted: Option<(u16, Instant)>,
        took: Option<(u16, u64)>,
    },
    /// The cancelled call at `place` left its queue.
    Dropped(Place),
    /// A hedge's next copy is due.
    Timer(Place, u32),
    /// The think time is over: the next operation, intended now.
    Think(Instant),
}

type Pending<'w> = FuturesUnordered<Pin<Box<dyn Future<Output = Wake> + Send + 'w>>>;

/// How an agent starts.
pub(super) enum Start {
    /// A session intended at this instant; its first action when a
    /// replayed trace gives it.
    Session(Instant, Option<Op>),
    /// An admin operation, intended at this instant.
    Admin(Instant),
}

/// Runs agent `a` until it is done: its session, its calls in flight, and
/// for a closed-model user the next session (as a task of its own).
pub(super) async fn run<B>(w: &Arc<World<B>>, mut a: Agent<B::Session>, start: Start)
where
    B: Business + Send + Sync + 'static,
    B::Session: Send,
{
    let mut commands = Vec::new();
    match start {
        Start::Session(at, first) => {
            let at = w.model_at(at);
            w.model
                .first(&mut a, at, first, &mut Here(w, &mut commands));
        }
        Start::Admin(at) => {
            let at = w.model_at(at);
            w.model.begin(&mut a, at, &mut Here(w, &mut commands));
        }
    }
    let mut pending: Pending<'_> = FuturesUnordered::new();
    let mut cancels: Vec<(Place, Arc<Notify>)> = Vec::new();
    let mut held: Vec<(Place, u16, Instant)> = Vec::new();
    let mut ended = false;
    loop {
        for c in commands.drain(..) {
            match c {
                Command::Visit { place, station } => {
                    let st = &w.stations[station as usize];
                    if w.stress {
                        pending.push(Box::pin(async move {
                            Wake::Answer {
                                place,
                                result: Ok(()),
                                granted: None,
                                took: None,
                            }
                        }));
                        continue;
                    }
                    let (service, fails) = if st.pool {
                        (0.0, false)
                    } else {
                        let service = st.service.sample(&mut a.rng);
                        // Drawn only when the station can fail, as on the
                        // virtual clock.
                        let fails = st.fail_rate > 0.0 && {
                            use rand::RngExt;
                            a.rng.random::<f64>() < st.fail_rate
                        };
                        (service, fails)
                    };
                    let cancel = Arc::new(Notify::new());
                    cancels.retain(|(p, _)| *p != place);
                    cancels.push((place, cancel.clone()));
                    let call = Call {
                        place,
                        station,
                        service,
                        fails,
                    };
                    pending.push(Box::pin(visit(w, call, cancel)));
                }
                Command::Cancel { place } => {
                    if let Some((_, n)) = cancels.iter().find(|(p, _)| *p == place) {
                        n.notify_one();
                    }
                }
                Command::Release { place, pool } => {
                    if let Some(i) = held.iter().position(|h| h.0 == place && h.1 == pool) {
                        let (_, _, since) = held.swap_remove(i);
                        record_held(w, pool, since);
                    }
                    if !w.stress {
                        w.stations[pool as usize].give_back();
                    }
                }
                Command::Timer {
                    place,
                    after,
                    token,
                } => {
                    let due = Instant::now() + wall(after.as_nanos() as f64, w.scale);
                    pending.push(Box::pin(async move {
                        sleep_until(due).await;
                        Wake::Timer(place, token)
                    }));
                }
                Command::Think(d) => {
                    let stress = w.stress;
                    let intended = Instant::now() + wall(d.as_nanos() as f64, w.scale);
                    pending.push(Box::pin(async move {
                        if stress {
                            tokio::task::yield_now().await;
                            return Wake::Think(Instant::now());
                        }
                        sleep_until(intended).await;
                        Wake::Think(intended)
                    }));
                }
                Command::Restart(user) if !w.stop.load(Relaxed) => {
                    w.spawned();
                    tokio::spawn(next_session(w.clone(), user));
                }
                Command::Restart(_) => {}
                Command::End => ended = true,
            }
        }
        if ended && pending.is_empty() {
            return;
        }
        let Some(wake) = pending.next().await else {
            return; // nothing left to wait for
        };
        let here = &mut Here(w, &mut commands);
        match wake {
            Wake::Answer {
                place,
                result,
                granted,
                took,
            } => {
                cancels.retain(|(p, _)| *p != place);
                if let Some((s, ns)) = took
                    && a.gone(place)
                {
                    w.recorders.with(w.model.scenario(), |r| {
                        r.stations[s as usize].wasted_ns += u128::from(ns);
                    });
                }
                match result {
                    Ok(()) => {
                        if let Some((pool, at)) = granted {
                            held.push((place, pool, at));
                        }
                        w.model.served(&mut a, place, here);
                    }
                    Err(kind) => w.model.fail(&mut a, place, kind, here),
                }
            }
            Wake::Dropped(place) => {
                cancels.retain(|(p, _)| *p != place);
                w.model.dropped(&mut a, place, here);
            }
            Wake::Timer(place, token) => w.model.timer(&mut a, place, token, here),
            Wake::Think(intended) => {
                if w.stop.load(Relaxed) {
                    w.model.end_session(&mut a, here);
                } else {
                    if !w.stress {
                        w.record_lag(intended);
                    }
                    w.model.begin(&mut a, w.model_at(intended), here);
                }
            }
        }
    }
}

/// Closed-model user `user`'s next session, now, as a task of its own.
/// (Boxed with its type written out: the task spawns its successor.)
fn next_session<B>(w: Arc<World<B>>, user: u32) -> Pin<Box<dyn Future<Output = ()> + Send>>
where
    B: Business + Send + Sync + 'static,
    B::Session: Send,
{
    Box::pin(async move {
        session(&w, Who::Closed(user), Instant::now(), None).await;
        w.finished();
    })
}

/// One session of `who` arriving at `intended`, until its agent is done.
pub(super) async fn session<B>(w: &Arc<World<B>>, who: Who, intended: Instant, first: Option<Op>)
where
    B: Business + Send + Sync + 'static,
    B::Session: Send,
{
    if !w.stress {
        sleep_until(intended).await;
        w.record_lag(intended);
    }
    if w.stop.load(Relaxed) {
        return; // nothing starts after a stop
    }
    let at = w.model_at(intended);
    let a = w.model.session(who, at, &mut Here(w, &mut Vec::new()));
    run(w, a, Start::Session(intended, first)).await;
}

/// A call the model sent to a station, as drawn when it was sent.
struct Call {
    place: Place,
    station: u16,
    /// Service time, model ns (0 for a pool).
    service: f64,
    /// The service fails at its end (the station's `fail_rate`).
    fails: bool,
}

/// A call at its station: wait for a permit (unless cancelled first, shed
/// or refused), then serve its service time and answer, failed or not (a
/// pool keeps the permit instead).
async fn visit<B: Business>(w: &World<B>, call: Call, cancel: Arc<Notify>) -> Wake {
    let Call {
        place,
        station: s,
        service,
        fails,
    } = call;
    let st = &w.stations[s as usize];
    let measured = w.now() >= w.model.warmup();
    let record = |f: &dyn Fn(&mut StationStats)| {
        w.recorders.with(w.model.scenario(), |r| {
            r.events += 1;
            if measured {
                let stats = &mut r.stations[s as usize];
                stats.arrivals += 1;
                f(stats);
            }
        })
    };
    let outcome = tokio::select! {
        biased;
        r = st.acquire(w.scale) => r,
        () = cancel.notified() => {
            if measured {
                w.recorders.with(w.model.scenario(), |r| r.stations[s as usize].arrivals += 1);
            }
            return Wake::Dropped(place);
        }
    };
    let wait_ns = |d: std::time::Duration| w.model_ns(d);
    let (permit, waited) = match outcome {
        Ok(p) => p,
        Err(e) => {
            let kind = e.kind;
            let waited = wait_ns(e.wait);
            record(&|stats| match kind {
                ErrorKind::Timeout => {
                    stats.timed_out += 1;
                    record_wait(stats, waited);
                }
                ErrorKind::Rejected => stats.rejected += 1,
                // Its wait is queue time (Little's law), but not a wait
                // of `mean_wait_ms`, which covers served and timed-out
                // requests, as on the virtual clock.
                ErrorKind::Shed => stats.queue_area += waited as u128,
                _ => {}
            });
            return Wake::Answer {
                place,
                result: Err(kind),
                granted: None,
                took: None,
            };
        }
    };
    let waited = wait_ns(waited);
    if st.pool {
        permit.forget();
        record(&|stats| {
            stats.served += 1;
            record_wait(stats, waited);
        });
        return Wake::Answer {
            place,
            result: Ok(()),
            granted: Some((s, Instant::now())),
            took: None,
        };
    }
    let started = Instant::now();
    let model_ns = service * st.slowdown();
    let moving = st.moving.is_some();
    if moving {
        // Its autoscaler samples the busy workers.
        st.busy.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    }
    if model_ns > 0.0 {
        sleep_until(started + wall(model_ns, w.scale)).await;
    }
    let served = w.model_ns(started.elapsed());
    if moving {
        st.busy.fetch_sub(1, std::sync::atomic::Ordering::Relaxed);
    }
    drop(permit);
    record(&|stats| {
        stats.served += 1;
        record_wait(stats, waited);
        stats.busy_area += served as u128;
    });
    Wake::Answer {
        place,
        result: if fails {
            Err(ErrorKind::Failed)
        } else {
            Ok(())
        },
        granted: None,
        took: measured.then_some((s, served)),
    }
}

fn record_wait(stats: &mut StationStats, wait_ns: u64) {
    stats.wait.record(wait_ns.max(1));
    stats.wait_sum_ns += wait_ns as u128;
    // Little's law: the queue-length integral is the sum of waits.
    stats.queue_area += wait_ns as u128;
}

/// A pool's permit held since `since` is given back: its held time is the
/// pool's busy time.
fn record_held<B: Business>(w: &World<B>, pool: u16, since: Instant) {
    let held = w.model_ns(since.elapsed());
    let measured = w.model_at(since) >= w.model.warmup();
    w.recorders.with(w.model.scenario(), |r| {
        if measured {
            r.stations[pool as usize].busy_area += held as u128;
        }
    });
}
