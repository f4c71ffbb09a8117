//! The state of each call site with client policies: its retry budget and
//! its circuit breaker, shared by every session of a run (behind a mutex
//! each: the wall clock's threads share them; on the virtual clock the lock
//! is never contended).
//!
//! **Budget** (after Finagle's `RetryBudget`): each first attempt deposits
//! `ratio` tokens, which expire `ttl` after the deposit; a retry takes one
//! token, from the oldest deposits first, or else one from a reserve that
//! fills at `min_per_s` tokens a second (starting empty, holding at most one
//! second's worth). Over any run of length T, retries are therefore at most
//! `ratio × first attempts + min_per_s × T`. Tokens are counted in
//! millionths, so ten deposits of 0.1 make exactly one.
//!
//! **Breaker**: closed, it counts the outcomes of its calls over a sliding
//! `window` (ten buckets); once the window holds `min_requests` calls of
//! which a share `failure_rate` failed, it opens for `open_for`: calls fail
//! at once with `circuit_open`. Then it is half-open: `half_open` probes go
//! through (others still fail); one probe failing reopens it, all of them
//! succeeding closes it with an empty window. Outcomes of calls that
//! started before a change of state are ignored.

use std::collections::VecDeque;
use std::sync::{Mutex, MutexGuard, PoisonError};

use crate::contract::policy::{Breaker, Budget, CallPolicy};
use crate::kernel::time::SimTime;

/// A millionth of a token.
const UNIT: u64 = 1_000_000;
/// Buckets of a breaker's window.
const BUCKETS: usize = 10;

/// What a breaker lets through.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Admit {
    /// A call of a closed breaker.
    Call,
    /// A probe of a half-open breaker.
    Probe,
    /// Refused: the call fails with `circuit_open`.
    Refuse,
}

/// Every call site's state, by policy index.
pub(super) struct Sites {
    sites: Vec<Mutex<Site>>,
}

#[derive(Default)]
struct Site {
    budget: BudgetState,
    breaker: BreakerState,
}

#[derive(Default)]
struct BudgetState {
    /// `(expiry ns, millitokens)`, oldest first.
    deposits: VecDeque<(u64, u64)>,
    /// Sum of `deposits`.
    balance: u64,
    /// The reserve, tokens, as of `filled` (ns).
    reserve: f64,
    filled: u64,
}

#[derive(Default)]
struct BreakerState {
    open: bool,
    half_open: bool,
    /// Open until (ns).
    until: u64,
    probes_sent: u16,
    probes_ok: u16,
    /// `(bucket index, ok, failed)`.
    window: [(u64, u32, u32); BUCKETS],
    /// Open time of the windows before the current one, ns; the start of
    /// the current (or last) one.
    open_before: u64,
    opened_at: Option<u64>,
    /// Open time by the previous gauge sample, and when that was.
    sampled: (u64, u64),
}

fn lock(m: &Mutex<Site>) -> MutexGuard<'_, Site> {
    // A panic elsewhere ends the run anyway; the state is still usable.
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Sites {
    /// Fresh state for `policies`; gauges start at `warmup`.
    pub(super) fn new(policies: &[CallPolicy], warmup: SimTime) -> Self {
        let site = || {
            let mut s = Site::default();
            s.breaker.sampled = (0, warmup.as_nanos());
            Mutex::new(s)
        };
        Sites {
            sites: policies.iter().map(|_| site()).collect(),
        }
    }

    /// A first attempt at site `i` deposits into its budget.
    pub(super) fn deposit(&self, i: u16, now: SimTime, b: &Budget) {
        let mut s = lock(&self.sites[i as usize]);
        let now = now.as_nanos();
        let d = &mut s.budget;
        d.expire(now);
        let amount = (b.ratio * UNIT as f64).round() as u64;
        // Deposits of one millisecond expire together.
        let expiry = (now + b.ttl.as_nanos()) / 1_000_000 * 1_000_000;
        match d.deposits.back_mut() {
            Some(last) if last.0 == expiry => last.1 += amount,
            _ => d.deposits.push_back((expiry, amount)),
        }
        d.balance += amount;
    }

    /// May a retry at site `i` be sent now? Takes its token if so.
    pub(super) fn withdraw(&self, i: u16, now: SimTime, b: &Budget) -> bool {
        let mut s = lock(&self.sites[i as usize]);
        let now = now.as_nanos();
        let d = &mut s.budget;
        d.expire(now);
        let earned = now.saturating_sub(d.filled) as f64 * b.min_per_s / 1e9;
        d.reserve = (d.reserve + earned).min(b.min_per_s);
        d.filled = now;
        if d.balance >= UNIT {
            let mut need = UNIT;
            while need > 0 {
                let Some(front) = d.deposits.front_mut() else {
                    break;
                };
                let take = front.1.min(need);
                front.1 -= take;
                need -= take;
                if front.1 == 0 {
                    d.deposits.pop_front();
                }
            }
            d.balance -= UNIT;
            true
        } else if d.reserve >= 1.0 {
            d.reserve -= 1.0;
            true
        } else {
            false
        }
    }

    /// Does site `i`'s breaker let a call through now?
    pub(super) fn admit(&self, i: u16, now: SimTime, b: &Breaker) -> Admit {
        let mut s = lock(&self.sites[i as usize]);
        let k = &mut s.breaker;
        let now = now.as_nanos();
        if k.open {
            if now < k.until {
                return Admit::Refuse;
            }
            k.open = false;
            k.half_open = true;
            k.probes_sent = 0;
            k.probes_ok = 0;
        }
        if k.half_open {
            if k.probes_sent < b.half_open {
                k.probes_sent += 1;
                return Admit::Probe;
            }
            return Admit::Refuse;
        }
        Admit::Call
    }

    /// A call (`probe` or not) let through site `i`'s breaker ended.
    pub(super) fn outcome(&self, i: u16, now: SimTime, b: &Breaker, probe: bool, ok: bool) {
        let mut s = lock(&self.sites[i as usize]);
        let k = &mut s.breaker;
        let now = now.as_nanos();
        if k.half_open {
            if !probe {
                return;
            }
            if !ok {
                k.trip(now, b);
            } else {
                k.probes_ok += 1;
                if k.probes_ok >= b.half_open {
                    k.half_open = false;
                    k.window = Default::default();
                }
            }
            return;
        }
        if k.open || probe {
            return;
        }
        let width = (b.window.as_nanos() / BUCKETS as u64).max(1);
        let index = now / width;
        let slot = &mut k.window[(index % BUCKETS as u64) as usize];
        if slot.0 != index {
            *slot = (index, 0, 0);
        }
        if ok {
            slot.1 += 1;
        } else {
            slot.2 += 1;
        }
        let live = k
            .window
            .iter()
            .filter(|w| w.0 + (BUCKETS as u64) > index && (w.1 + w.2) > 0);
        let (calls, failed) = live.fold((0u64, 0u64), |(c, f), w| {
            (c + (w.1 + w.2) as u64, f + w.2 as u64)
        });
        if calls >= b.min_requests as u64 && failed as f64 >= b.failure_rate * calls as f64 {
            k.trip(now, b);
        }
    }

    /// The gauges of the breakers: the share of the interval since the
    /// previous sample each was open, `breaker_open.SITE` (the first
    /// interval also counts time open during the warmup, up to all of it).
    pub(super) fn gauges(
        &self,
        policies: &[CallPolicy],
        now: SimTime,
        out: &mut Vec<(String, f64)>,
    ) {
        let now = now.as_nanos();
        for (p, m) in policies.iter().zip(&self.sites) {
            let Some(b) = &p.breaker else { continue };
            let mut s = lock(m);
            let k = &mut s.breaker;
            let open = k.open_by(now, b.open_for.as_nanos());
            let (before, at) = k.sampled;
            let share = if now > at {
                ((open - before) as f64 / (now - at) as f64).min(1.0)
            } else {
                0.0
            };
            k.sampled = (open, now);
            out.push((format!("breaker_open.{}", p.site), share));
        }
    }
}

impl BudgetState {
    fn expire(&mut self, now: u64) {
        while let Some(&(expiry, amount)) = self.deposits.front() {
            if expiry > now {
                break;
            }
            self.balance -= amount;
            self.deposits.pop_front();
        }
    }
}

impl BreakerState {
    fn trip(&mut self, now: u64, b: &Breaker) {
        if let Some(at) = self.opened_at {
            self.open_before += b.open_for.as_nanos().min(now - at);
        }
        self.opened_at = Some(now);
        self.open = true;
        self.half_open = false;
        self.until = now + b.open_for.as_nanos();
        self.window = Default::default();
    }

    /// Time spent open by `now`, ns.
    fn open_by(&self, now: u64, open_for: u64) -> u64 {
        self.open_before
            + self
                .opened_at
                .map_or(0, |at| open_for.min(now.saturating_sub(at)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kernel::time::SimDuration;

    fn policy() -> CallPolicy {
        CallPolicy {
            site: "s".into(),
            timeout: None,
            cancel: false,
            retry: None,
            breaker: Some(breaker()),
        }
    }

    fn breaker() -> Breaker {
        Breaker {
            window: SimDuration::from_secs(10),
            min_requests: 4,
            failure_rate: 0.5,
            open_for: SimDuration::from_secs(5),
            half_open: 2,
        }
    }

    fn at(s: f64) -> SimTime {
        SimTime::ZERO + SimDuration::from_secs_f64(s)
    }

    #[test]
    fn budget_allows_ratio_of_first_attempts_plus_the_reserve() {
        let sites = Sites::new(&[policy()], SimTime::ZERO);
        let b = Budget {
            ratio: 0.1,
            min_per_s: 0.0,
            ttl: SimDuration::from_secs(10),
        };
        for _ in 0..25 {
            sites.deposit(0, at(1.0), &b);
        }
        let granted = (0..10).filter(|_| sites.withdraw(0, at(1.5), &b)).count();
        assert_eq!(granted, 2, "25 deposits of 0.1 make two whole tokens");
        // Deposits expire after ttl.
        for _ in 0..10 {
            sites.deposit(0, at(2.0), &b);
        }
        assert!(!sites.withdraw(0, at(12.5), &b));
        // The reserve fills at min_per_s, up to one second's worth.
        let b = Budget {
            min_per_s: 4.0,
            ..b
        };
        let granted = (0..10).filter(|_| sites.withdraw(0, at(20.0), &b)).count();
        assert_eq!(granted, 4);
        let granted = (0..10).filter(|_| sites.withdraw(0, at(20.5), &b)).count();
        assert_eq!(granted, 2);
    }

    #[test]
    fn breaker_opens_probes_and_closes() {
        let (sites, b) = (Sites::new(&[policy()], SimTime::ZERO), breaker());
        for t in [1.0, 1.1, 1.2] {
            assert_eq!(sites.admit(0, at(t), &b), Admit::Call);
            sites.outcome(0, at(t), &b, false, false);
        }
        assert_eq!(
            sites.admit(0, at(1.3), &b),
            Admit::Call,
            "3 calls < min_requests"
        );
        sites.outcome(0, at(1.3), &b, false, true);
        // 4 calls, 3 failed: open for 5 s.
        assert_eq!(sites.admit(0, at(1.4), &b), Admit::Refuse);
        assert_eq!(sites.admit(0, at(6.2), &b), Admit::Refuse);
        assert_eq!(sites.admit(0, at(6.4), &b), Admit::Probe);
        assert_eq!(sites.admit(0, at(6.4), &b), Admit::Probe);
        assert_eq!(
            sites.admit(0, at(6.4), &b),
            Admit::Refuse,
            "two probes only"
        );
        sites.outcome(0, at(6.5), &b, false, false); // a call from before: ignored
        sites.outcome(0, at(6.5), &b, true, true);
        sites.outcome(0, at(6.6), &b, true, true);
        assert_eq!(sites.admit(0, at(6.7), &b), Admit::Call, "closed again");
        let mut g = Vec::new();
        sites.gauges(&[policy()], at(10.0), &mut g);
        assert_eq!(g[0].0, "breaker_open.s");
        assert!((g[0].1 - 0.5).abs() < 1e-9, "open 5 s of 10: {}", g[0].1);
    }

    #[test]
    fn a_failed_probe_reopens() {
        let (sites, b) = (Sites::new(&[policy()], SimTime::ZERO), breaker());
        for _ in 0..4 {
            sites.outcome(0, at(1.0), &b, false, false);
        }
        assert_eq!(sites.admit(0, at(6.0), &b), Admit::Probe);
        sites.outcome(0, at(6.1), &b, true, false);
        assert_eq!(sites.admit(0, at(11.0), &b), Admit::Refuse);
        assert_eq!(sites.admit(0, at(11.1), &b), Admit::Probe);
    }
}
