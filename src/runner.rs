//! Running a scenario: one world, or independent replications in parallel.
//!
//! Replication `i` is a fresh world whose seed derives from the run seed
//! (replication 0 uses the run seed itself, so one replication is exactly a
//! plain run). Replications run on `threads` worker threads, each taking the
//! next replication index; each result is folded into the caller's merge in
//! replication order as soon as the ones before it are (one that finishes
//! early waits), so the merged report is byte-identical whatever the
//! thread count, and memory holds a few results rather than all of them.

use std::collections::BTreeMap;
use std::panic::AssertUnwindSafe;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Condvar, Mutex};

use crate::contract::business::Business;
use crate::engine::Engine;
use crate::kernel::rng::{StreamKind, mix64};
use crate::kernel::time::SimTime;
use crate::metrics::result::RunResult;
use crate::model::shopper::{ShopBusiness, shop_config};
use crate::model::{AccessLog, Progress, SetupError};
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
    let mut out = Vec::with_capacity(n);
    parallel_fold(n, threads, f, |_, v| out.push(v));
    out
}

/// Computes `f(0..n)` on up to `threads` threads and hands each result to
/// `fold` in index order, as soon as every earlier one has been folded: a
/// result that finishes early waits in a buffer, and no thread starts an
/// index more than `2 × threads` ahead of the next one to fold, so at
/// most that many results are held at once, whatever `n` is.
pub fn parallel_fold<T: Send>(
    n: usize,
    threads: usize,
    f: impl Fn(usize) -> T + Sync,
    mut fold: impl FnMut(usize, T) + Send,
) {
    struct State<T, G> {
        /// The next index to take.
        take: usize,
        /// The next index to fold.
        next: usize,
        /// Results waiting for an earlier one.
        pending: BTreeMap<usize, T>,
        fold: G,
    }
    let threads = threads.clamp(1, n.max(1));
    let ahead = 2 * threads;
    let state = Mutex::new(State {
        take: 0,
        next: 0,
        pending: BTreeMap::new(),
        fold: &mut fold,
    });
    let turn = Condvar::new();
    // A poisoned lock means another thread panicked; that panic propagates
    // from the scope below, so the guard is taken as it is.
    let lock = || state.lock().unwrap_or_else(|e| e.into_inner());
    let worker = || {
        loop {
            let i = {
                let mut s = lock();
                while s.take < n && s.take >= s.next + ahead {
                    s = turn.wait(s).unwrap_or_else(|e| e.into_inner());
                }
                if s.take >= n {
                    break;
                }
                s.take += 1;
                s.take - 1
            };
            let value = match std::panic::catch_unwind(AssertUnwindSafe(|| f(i))) {
                Ok(v) => v,
                Err(panic) => {
                    // Nothing more starts, nobody waits for index i, and
                    // the panic goes on up to the scope (and the caller).
                    lock().take = n;
                    turn.notify_all();
                    std::panic::resume_unwind(panic);
                }
            };
            let mut s = lock();
            s.pending.insert(i, value);
            while let Some(v) = {
                let k = s.next;
                s.pending.remove(&k)
            } {
                let k = s.next;
                (s.fold)(k, v);
                s.next += 1;
            }
            turn.notify_all();
        }
    };
    if threads == 1 {
        worker();
    } else {
        std::thread::scope(|s| {
            for _ in 0..threads {
                s.spawn(worker);
            }
        });
    }
}

/// Which replications a run makes: replication `r` of `0..R` belongs to
/// shard `r mod count` (`--shard index/count`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Shard {
    /// This shard, `0..count`.
    pub index: u32,
    /// Shards in all.
    pub count: u32,
}

impl Shard {
    /// Every replication: one machine.
    pub const WHOLE: Shard = Shard { index: 0, count: 1 };

    /// The replications of `0..total` this shard makes, in order (none
    /// when there are more shards than replications and this is a spare).
    pub fn replications(&self, total: u32) -> Vec<u32> {
        self.units(0, total)
    }

    /// The replications `r` of `0..total` whose unit `first + r` is this
    /// shard's (a sweep numbers its (point, replication) pairs point-major:
    /// point `p`'s first unit is `p × total`).
    pub fn units(&self, first: u32, total: u32) -> Vec<u32> {
        (0..total.max(1))
            .filter(|r| (first + r) % self.count.max(1) == self.index)
            .collect()
    }
}

/// Runs the replications `which` (of `replications` worlds of `sc`) on
/// up to `threads` threads and hands each result, with its replication
/// number, to `fold` in replication order as it finishes (so
/// memory holds a few results, not all of them). `make` builds each
/// world's business layer from its scenario (seed set); `control(i,
/// progress)` is called from replication `i`'s thread and stops it when it
/// returns false; `max_in_flight` is each world's memory guard. Returns how
/// many replications were folded: fewer than asked when the run was
/// stopped (by `control`, or because one world diverged, which stops the
/// others). The first setup error, in replication order, wins. `log`, if
/// given, is lent to replication 0 alone (the access log follows one
/// world) and put back when it ends.
#[allow(clippy::too_many_arguments)]
pub fn run_replications<B, E, F>(
    sc: &Scenario,
    replications: u32,
    which: &[u32],
    threads: usize,
    make: F,
    max_in_flight: usize,
    control: &(dyn Fn(u32, &Progress) -> bool + Sync),
    fold: &mut (dyn FnMut(u32, RunResult) + Send),
    log: Option<&Mutex<Option<AccessLog>>>,
) -> Result<u32, E>
where
    B: Business,
    E: Send,
    F: Fn(&Scenario) -> Result<B, E> + Sync,
{
    let before = Progress {
        now: SimTime::ZERO,
        events: 0,
        active: 0,
        alert: None,
    };
    // Set when a world diverges or fails to build: the others stop too.
    let halt = AtomicBool::new(false);
    let go_on = |i: u32, p: &Progress| !halt.load(Ordering::Relaxed) && control(i, p);
    let mut error = None;
    let mut folded = 0;
    debug_assert!(which.iter().all(|&r| r < replications.max(1)));
    parallel_fold(
        which.len(),
        threads,
        |k| {
            let i = which[k] as usize;
            // Once the run is asked to stop, replications not yet begun
            // are not begun (the first always is: it reports the stop).
            if k > 0 && !go_on(i as u32, &before) {
                return Ok(None);
            }
            let mut world = sc.clone();
            world.seed = replication_seed(sc.seed, i as u32);
            let business = make(&world).inspect_err(|_| halt.store(true, Ordering::Relaxed))?;
            let mut engine = Engine::new(&world, business).max_in_flight(max_in_flight);
            if threads >= 2 * which.len() {
                // A core to spare for each replication: its histograms
                // and arrivals.
                engine = engine.use_spare_core();
            }
            // Only replication 0 logs; a poisoned lock is a panic elsewhere,
            // which propagates, so the log is taken as it is.
            let lent = log
                .filter(|_| i == 0)
                .and_then(|m| m.lock().unwrap_or_else(|e| e.into_inner()).take());
            if let Some(l) = lent {
                engine = engine.access_log(l);
            }
            let run = engine.run(&mut |p| go_on(i as u32, p));
            if let (Some(m), Some(l)) = (log, engine.take_access_log()) {
                *m.lock().unwrap_or_else(|e| e.into_inner()) = Some(l);
            }
            if run.diverged.is_some() {
                halt.store(true, Ordering::Relaxed);
            }
            Ok(Some(run))
        },
        |k, r: Result<Option<RunResult>, E>| match r {
            Err(e) if error.is_none() => error = Some(e),
            Ok(Some(run)) if error.is_none() => {
                folded += 1;
                fold(which[k], run);
            }
            _ => {}
        },
    );
    match error {
        Some(e) => Err(e),
        None => Ok(folded),
    }
}

/// Runs `sc`, all its replications on up to `threads` threads, with
/// customers and admins using the real shop (broken on purpose by `bug`,
/// for tests of the invariant check), folding each result in replication
/// order (see [`run_replications`]).
pub fn simulate(
    sc: &Scenario,
    threads: usize,
    bug: Option<InjectedBug>,
    max_in_flight: usize,
    control: &(dyn Fn(u32, &Progress) -> bool + Sync),
    fold: &mut (dyn FnMut(RunResult) + Send),
) -> Result<u32, SetupError> {
    simulate_logged(sc, threads, bug, max_in_flight, control, fold, None)
}

/// [`simulate`], writing replication 0's requests to `log` (see
/// [`run_replications`]).
pub fn simulate_logged(
    sc: &Scenario,
    threads: usize,
    bug: Option<InjectedBug>,
    max_in_flight: usize,
    control: &(dyn Fn(u32, &Progress) -> bool + Sync),
    fold: &mut (dyn FnMut(RunResult) + Send),
    log: Option<&Mutex<Option<AccessLog>>>,
) -> Result<u32, SetupError> {
    let mut fold = |_, run| fold(run);
    let all = Shard::WHOLE.replications(sc.replications);
    let make = shop(bug);
    run_replications(
        sc,
        sc.replications,
        &all,
        threads,
        make,
        max_in_flight,
        control,
        &mut fold,
        log,
    )
}

/// Builds each world's shop, broken on purpose by `bug`.
fn shop(bug: Option<InjectedBug>) -> impl Fn(&Scenario) -> Result<ShopBusiness, SetupError> + Sync {
    move |world: &Scenario| {
        let mut config = shop_config(world);
        config.inject_bug = bug;
        ShopBusiness::with_config(world, config)
    }
}

/// [`simulate`] for the replications `which` only (in order); `fold` also
/// gets each replication's number.
pub fn simulate_some(
    sc: &Scenario,
    which: &[u32],
    threads: usize,
    bug: Option<InjectedBug>,
    max_in_flight: usize,
    control: &(dyn Fn(u32, &Progress) -> bool + Sync),
    fold: &mut (dyn FnMut(u32, RunResult) + Send),
) -> Result<u32, SetupError> {
    let make = shop(bug);
    run_replications(
        sc,
        sc.replications,
        which,
        threads,
        make,
        max_in_flight,
        control,
        fold,
        None,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicUsize;

    /// Counts the values alive at once.
    struct Counted<'a>(usize, &'a AtomicUsize);

    impl<'a> Counted<'a> {
        fn new(i: usize, live: &'a AtomicUsize, peak: &AtomicUsize) -> Self {
            let n = live.fetch_add(1, Ordering::SeqCst) + 1;
            peak.fetch_max(n, Ordering::SeqCst);
            Counted(i, live)
        }
    }

    impl Drop for Counted<'_> {
        fn drop(&mut self) {
            self.1.fetch_sub(1, Ordering::SeqCst);
        }
    }

    #[test]
    fn results_fold_in_index_order_and_only_a_few_are_held_at_once() {
        let (live, peak) = (AtomicUsize::new(0), AtomicUsize::new(0));
        let mut order = Vec::new();
        parallel_fold(
            200,
            2,
            |i| {
                if i % 17 == 0 {
                    // A slow index: later ones finish first and wait.
                    std::thread::sleep(std::time::Duration::from_millis(5));
                }
                Counted::new(i, &live, &peak)
            },
            |i, v| {
                assert_eq!(i, v.0);
                order.push(v.0);
            },
        );
        assert_eq!(order, (0..200).collect::<Vec<_>>());
        // At most 2 × threads started ahead of the next to fold, plus the
        // one being folded.
        let most = peak.load(Ordering::SeqCst);
        assert!(most <= 2 * 2 + 1, "{most} results held at once");
    }

    #[test]
    fn a_panic_in_one_index_reaches_the_caller_instead_of_hanging() {
        let caught = std::panic::catch_unwind(|| {
            parallel_fold(
                50,
                2,
                |i| {
                    if i == 3 {
                        panic!("index 3 fails");
                    }
                    i
                },
                |_, _| {},
            )
        });
        assert!(caught.is_err());
    }
}
