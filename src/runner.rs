//! Running a scenario: one world, or independent replications in parallel.
//!
//! Replication `i` is a fresh world whose seed derives from the run seed
//! (replication 0 uses the run seed itself, so one replication is exactly a
//! plain run). Replications run on `threads` worker threads, each taking the
//! next replication index; results are returned in replication order, so
//! the merged report is byte-identical whatever the thread count.

use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use crate::contract::business::Business;
use crate::engine::Engine;
use crate::kernel::rng::{StreamKind, mix64};
use crate::kernel::time::SimTime;
use crate::metrics::result::RunResult;
use crate::model::shopper::{ShopBusiness, shop_config};
use crate::model::{Progress, SetupError};
use crate::scenario::Scenario;
use crate::shop::InjectedBug;

/// The seed of replication `i` of a run seeded `seed`.
pub fn replication_seed(seed: u64, i: u32) -> u64 {
    if i == 0 {
        seed
    } else {
        mix64(mix64(seed ^ mix64(StreamKind::Replication as u64)) ^ i as u64)
    }
}

/// Computes `f(0..n)` on up to `threads` threads, each taking the next
/// index; results come back in index order whatever the scheduling.
pub fn parallel_map<T: Send>(n: usize, threads: usize, f: impl Fn(usize) -> T + Sync) -> Vec<T> {
    let next = AtomicUsize::new(0);
    let results: Mutex<Vec<Option<T>>> = Mutex::new((0..n).map(|_| None).collect());
    let worker = || {
        loop {
            let i = next.fetch_add(1, Ordering::Relaxed);
            if i >= n {
                break;
            }
            let value = f(i);
            // A poisoned lock means another task panicked; that panic
            // propagates from the scope below.
            if let Ok(mut r) = results.lock() {
                r[i] = Some(value);
            }
        }
    };
    let threads = threads.clamp(1, n.max(1));
    if threads == 1 {
        worker();
    } else {
        std::thread::scope(|s| {
            for _ in 0..threads {
                s.spawn(worker);
            }
        });
    }
    results
        .into_inner()
        .unwrap_or_else(|e| e.into_inner())
        .into_iter()
        .flatten()
        .collect()
}

/// Runs `replications` worlds of `sc` on up to `threads` threads. `make`
/// builds each world's business layer from its scenario (seed set);
/// `control(i, progress)` is called from replication `i`'s thread and
/// stops it when it returns false. The first setup error wins.
pub fn run_replications<B, E, F>(
    sc: &Scenario,
    replications: u32,
    threads: usize,
    make: F,
    control: &(dyn Fn(u32, &Progress) -> bool + Sync),
) -> Result<Vec<RunResult>, E>
where
    B: Business,
    E: Send,
    F: Fn(&Scenario) -> Result<B, E> + Sync,
{
    let before = Progress {
        now: SimTime::ZERO,
        events: 0,
        active: 0,
    };
    let results = parallel_map(replications.max(1) as usize, threads, |i| {
        // Once the run is asked to stop, replications not yet begun are
        // not begun (the first always is: it reports the stop).
        if i > 0 && !control(i as u32, &before) {
            return Ok(None);
        }
        let mut world = sc.clone();
        world.seed = replication_seed(sc.seed, i as u32);
        let business = make(&world)?;
        Ok(Some(
            Engine::new(&world, business).run(&mut |p| control(i as u32, p)),
        ))
    });
    let mut runs = Vec::new();
    for r in results {
        if let Some(run) = r? {
            runs.push(run);
        }
    }
    if runs.len() < replications.max(1) as usize
        && let Some(last) = runs.last_mut()
    {
        // Fewer replications than asked: the report is partial.
        last.interrupted = true;
    }
    Ok(runs)
}

/// Runs `sc`, all its replications on up to `threads` threads, with
/// customers and admins using the real shop (broken on purpose by `bug`,
/// for tests of the invariant check).
pub fn simulate(
    sc: &Scenario,
    threads: usize,
    bug: Option<InjectedBug>,
    control: &(dyn Fn(u32, &Progress) -> bool + Sync),
) -> Result<Vec<RunResult>, SetupError> {
    let make = |world: &Scenario| {
        let mut config = shop_config(world);
        config.inject_bug = bug;
        ShopBusiness::with_config(world, config)
    };
    run_replications(sc, sc.replications, threads, make, control)
}
