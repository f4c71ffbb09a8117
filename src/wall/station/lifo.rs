//! The permits of a LIFO station on the wall clock: a permit given back
//! goes to the newest waiter.
//!
//! Tokio's semaphore is fair (FIFO), so a `discipline = "lifo"` station
//! keeps its own count of free permits and a stack of waiters, each a
//! oneshot channel; a permit given back is sent to the top waiter, or
//! counted free when nobody waits. A waiter that leaves (its call was
//! cancelled, or gave up at the station's timeout) closes its channel: a
//! closed waiter is skipped when reached, and one that was sent a permit
//! just before it closed gives it back. Closed waiters buried under live
//! ones are swept out once they could outnumber them, so a stack that is
//! never reached under overload does not grow without bound. While an
//! outage that hangs holds the station, no permit is granted. Permits
//! are added and removed as a station's workers move: a removed permit is
//! taken from the free count, or else retired when it is next given back.

use std::sync::Mutex;

use tokio::sync::oneshot;

use crate::wall::lock;

/// Free permits and the waiters, newest last.
struct State {
    free: u32,
    /// Active outages that hang: grant nothing while above 0.
    hung: u32,
    waiters: Vec<oneshot::Sender<()>>,
    /// Permits to forget as they are given back (workers removed while
    /// busy).
    retire: u32,
    /// Sweep closed waiters out once the stack is this long.
    sweep_at: usize,
}

/// A LIFO handout of `n` permits.
pub struct LifoPermits {
    state: Mutex<State>,
}

/// The smallest stack that is swept for closed waiters.
const SWEEP_MIN: usize = 64;

impl LifoPermits {
    /// `n` free permits, nobody waiting.
    pub fn new(n: u32) -> Self {
        LifoPermits {
            state: Mutex::new(State {
                free: n,
                hung: 0,
                waiters: Vec::new(),
                retire: 0,
                sweep_at: SWEEP_MIN,
            }),
        }
    }

    /// Takes a free permit if there is one, without waiting.
    pub fn try_take(&self) -> bool {
        let mut s = lock(&self.state);
        let ok = s.free > 0 && s.hung == 0;
        if ok {
            s.free -= 1;
        }
        ok
    }

    /// Waits for a permit, after every waiter that came later; `false`
    /// only if the permits are gone (never during a run). Dropping the
    /// future leaves the stack.
    pub async fn take(&self) -> bool {
        let rx = {
            let mut s = lock(&self.state);
            if s.free > 0 && s.hung == 0 {
                s.free -= 1;
                return true;
            }
            let (tx, rx) = oneshot::channel();
            if s.waiters.len() >= s.sweep_at {
                s.waiters.retain(|w| !w.is_closed());
                s.sweep_at = (2 * s.waiters.len()).max(SWEEP_MIN);
            }
            s.waiters.push(tx);
            rx
        };
        let mut waiter = Waiter {
            permits: self,
            rx,
            granted: false,
        };
        waiter.granted = (&mut waiter.rx).await.is_ok();
        waiter.granted
    }

    /// Gives a permit back: to the newest live waiter, else to the free
    /// count.
    pub fn give_back(&self) {
        let mut s = lock(&self.state);
        if s.retire > 0 {
            s.retire -= 1;
            return;
        }
        Self::hand_out(&mut s, 1);
    }

    /// `n` more permits: first cancelling retirements still pending (those
    /// workers just keep serving), then to the newest waiters.
    pub fn add(&self, n: u32) {
        let mut s = lock(&self.state);
        let kept = n.min(s.retire);
        s.retire -= kept;
        Self::hand_out(&mut s, n - kept);
    }

    /// `n` fewer permits: free ones go at once, busy ones when given back.
    pub fn remove(&self, n: u32) {
        let mut s = lock(&self.state);
        let now = n.min(s.free);
        s.free -= now;
        s.retire += n - now;
    }

    /// An outage that hangs starts: nothing is granted until it ends.
    pub fn hang(&self) {
        lock(&self.state).hung += 1;
    }

    /// An outage that hangs ends: when none is left, the free permits go
    /// to the newest waiters.
    pub fn unhang(&self) {
        let mut s = lock(&self.state);
        s.hung = s.hung.saturating_sub(1);
        let free = std::mem::take(&mut s.free);
        Self::hand_out(&mut s, free);
    }

    /// Hands `n` permits to the newest live waiters, the rest to the free
    /// count (all of them while an outage hangs).
    fn hand_out(s: &mut State, mut n: u32) {
        while n > 0 && s.hung == 0 {
            let Some(w) = s.waiters.pop() else { break };
            if w.send(()).is_ok() {
                n -= 1;
            }
        }
        s.free += n;
    }
}

/// A waiter on the stack: if it leaves before it is granted, it closes its
/// channel, and gives back a permit sent to it meanwhile.
struct Waiter<'a> {
    permits: &'a LifoPermits,
    rx: oneshot::Receiver<()>,
    granted: bool,
}

impl Drop for Waiter<'_> {
    fn drop(&mut self) {
        if self.granted {
            return;
        }
        self.rx.close();
        if self.rx.try_recv().is_ok() {
            self.permits.give_back();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_permit_given_back_goes_to_the_newest_waiter() {
        let p = LifoPermits::new(1);
        assert!(p.try_take());
        let order = Mutex::new(Vec::new());
        let waiter = |i: u32| {
            let (p, order) = (&p, &order);
            async move {
                assert!(p.take().await);
                lock(order).push(i);
                p.give_back();
            }
        };
        let mut futures: Vec<_> = (0..3).map(|i| Box::pin(waiter(i))).collect();
        // Each joins the stack in turn.
        for f in &mut futures {
            assert!(futures::poll!(f.as_mut()).is_pending());
        }
        p.give_back();
        for f in futures.into_iter().rev() {
            f.await;
        }
        assert_eq!(*lock(&order), [2, 1, 0]);
        assert!(p.try_take(), "the permit is free again");
    }

    #[tokio::test]
    async fn a_waiter_that_leaves_takes_no_permit_and_loses_none() {
        let p = LifoPermits::new(1);
        assert!(p.try_take());
        let mut old = Box::pin(p.take());
        assert!(futures::poll!(old.as_mut()).is_pending());
        let mut gone = Box::pin(p.take());
        assert!(futures::poll!(gone.as_mut()).is_pending());
        drop(gone); // cancelled: skipped
        p.give_back();
        assert!(old.await);
        // Sent a permit, then dropped before it looked: it is given back.
        let mut late = Box::pin(p.take());
        assert!(futures::poll!(late.as_mut()).is_pending());
        p.give_back();
        drop(late);
        assert!(p.try_take());
        assert!(!p.try_take());
    }

    #[tokio::test]
    async fn an_outage_that_hangs_grants_nothing_until_it_ends() {
        let p = LifoPermits::new(2);
        p.hang();
        assert!(!p.try_take());
        let mut w = Box::pin(p.take());
        assert!(futures::poll!(w.as_mut()).is_pending());
        p.unhang();
        assert!(w.await);
        assert!(p.try_take());
        assert!(!p.try_take());
    }

    #[tokio::test]
    async fn removed_permits_retire_when_given_back_and_added_ones_serve_waiters() {
        let p = LifoPermits::new(2);
        assert!(p.try_take());
        // One free permit goes at once, the busy one when given back.
        p.remove(2);
        assert!(!p.try_take());
        p.give_back();
        assert!(!p.try_take(), "the busy permit retired");
        let mut w = Box::pin(p.take());
        assert!(futures::poll!(w.as_mut()).is_pending());
        p.add(1);
        assert!(w.await, "an added permit goes to the waiter");
        // Removing a busy permit then adding one back cancels the
        // retirement: the permit comes back when given back.
        p.remove(1);
        p.add(1);
        p.give_back();
        assert!(p.try_take());
    }

    #[test]
    fn closed_waiters_are_swept_out() {
        let p = LifoPermits::new(0);
        let rt = tokio::runtime::Builder::new_current_thread()
            .build()
            .expect("a runtime");
        rt.block_on(async {
            for _ in 0..1000 {
                let mut w = Box::pin(p.take());
                assert!(futures::poll!(w.as_mut()).is_pending());
            }
        });
        assert!(lock(&p.state).waiters.len() <= SWEEP_MIN + 1);
    }
}
