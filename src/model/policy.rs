//! Call sites: a group step under client policies (`timeout`, `retry`,
//! `breaker`), for both clocks.
//!
//! A call site makes *attempts*, each a call of its route in a frame of its
//! own with a fresh join id, so that an attempt the site has given up on
//! is an orphan: its answer, when it comes, is ignored.
//! - The breaker (if any) is asked before each attempt; when it refuses,
//!   the attempt fails at once with `circuit_open`, sending nothing.
//! - A timeout is a timer started with the attempt. When it fires first,
//!   the attempt fails with `timeout`; its calls run on (their stations
//!   still serve them) unless the site cancels them: then a queued call
//!   leaves its queue and one in service finishes, going no further.
//! - A failed attempt is retried when its error is one `retry.on` names,
//!   attempts remain and the budget (if any) has a token: the retry is
//!   sent after its backoff (at once without one), drawing its jitter from
//!   the session's stream when the failure is known. Otherwise the site
//!   fails with that last error.
//! - Each first attempt deposits into the budget; each outcome of an
//!   attempt that went through the breaker is reported to it (a timeout
//!   is a failure).

use rand::RngExt;

use super::agent::{Agent, Body, Place};
use super::sites::Admit;
use super::{Command, Env, Model};
use crate::contract::ErrorKind;
use crate::contract::business::Business;
use crate::contract::policy::{Jitter, PolicyId};
use crate::contract::route::Step;
use crate::kernel::time::SimDuration;

impl<B: Business> Model<B> {
    /// The call site at `place` (a group step under `policy`) starts.
    pub(super) fn call_site<E: Env>(
        &self,
        a: &mut Agent<B::Session>,
        place: Place,
        policy: PolicyId,
        env: &mut E,
    ) {
        let p = &self.sc.policies[policy as usize];
        if let Some(b) = p.retry.as_ref().and_then(|r| r.budget.as_ref()) {
            self.sites.deposit(policy, env.now(), b);
        }
        self.attempt(a, place, env);
    }

    /// The site at `place` and its policy index.
    fn site(&self, a: &mut Agent<B::Session>, place: Place) -> Option<(u16, PolicyId)> {
        let cur = *a.cursor(place);
        match self.sc.routes[cur.route as usize][cur.step as usize] {
            Step::Group { route, policy } => Some((route, policy)),
            _ => None,
        }
    }

    /// The next attempt of the site at `place`.
    fn attempt<E: Env>(&self, a: &mut Agent<B::Session>, place: Place, env: &mut E) {
        let Some((route, policy)) = self.site(a, place) else {
            return;
        };
        let p = &self.sc.policies[policy as usize];
        let j = a.join(place);
        j.sent += 1;
        j.backoff = false;
        j.probe = false;
        if let Some(b) = &p.breaker {
            match self.sites.admit(policy, env.now(), b) {
                Admit::Call => {}
                Admit::Probe => a.join(place).probe = true,
                Admit::Refuse => return self.attempt_failed(a, place, ErrorKind::CircuitOpen, env),
            }
        }
        let j = a.join(place);
        j.running = 1;
        let id = j.id;
        if let Some(after) = p.timeout {
            a.timers += 1;
            env.command(Command::Timer {
                place,
                after,
                token: id,
            });
        }
        let k = a.spawn(place, id, Body::Route(route));
        self.advance(a, k, env);
    }

    /// The current attempt of the site at `place` ended with `outcome`
    /// (`Err(None)`: cancelled, which only a cancelled site sees).
    pub(super) fn attempt_done<E: Env>(
        &self,
        a: &mut Agent<B::Session>,
        place: Place,
        outcome: Result<(), Option<ErrorKind>>,
        env: &mut E,
    ) {
        self.tell_breaker(a, place, outcome.is_ok(), env);
        match outcome {
            Ok(()) => self.join_done(a, place, Ok(()), env),
            Err(e) => self.attempt_failed(a, place, e.unwrap_or(ErrorKind::Unavailable), env),
        }
    }

    fn tell_breaker<E: Env>(&self, a: &mut Agent<B::Session>, place: Place, ok: bool, env: &mut E) {
        let Some((_, policy)) = self.site(a, place) else {
            return;
        };
        if let Some(b) = &self.sc.policies[policy as usize].breaker {
            let probe = a.join(place).probe;
            self.sites.outcome(policy, env.now(), b, probe, ok);
        }
    }

    /// A timer of the site at `place` fired (join `token` still current):
    /// the end of a backoff sends the retry; otherwise the attempt timed
    /// out.
    pub(super) fn site_timer<E: Env>(
        &self,
        a: &mut Agent<B::Session>,
        place: Place,
        token: u32,
        env: &mut E,
    ) {
        let Some((_, policy)) = self.site(a, place) else {
            return;
        };
        if a.join(place).backoff {
            return self.attempt(a, place, env);
        }
        if a.join(place).running == 0 {
            return;
        }
        // The attempt becomes an orphan (or is cancelled) under a new id.
        let fresh = a.next_join();
        let j = a.join(place);
        j.id = fresh;
        j.running = 0;
        if self.sc.policies[policy as usize].cancel {
            self.cancel_calls(a, place, token, env);
        }
        self.tell_breaker(a, place, false, env);
        self.attempt_failed(a, place, ErrorKind::Timeout, env);
    }

    /// An attempt of the site at `place` failed with `kind`: retry it, or
    /// fail the site with it.
    fn attempt_failed<E: Env>(
        &self,
        a: &mut Agent<B::Session>,
        place: Place,
        kind: ErrorKind,
        env: &mut E,
    ) {
        let Some((_, policy)) = self.site(a, place) else {
            return;
        };
        let p = &self.sc.policies[policy as usize];
        let sent = a.join(place).sent;
        let retry = p.retry.as_ref().filter(|r| {
            sent < r.attempts
                && r.retries(kind)
                && r.budget
                    .as_ref()
                    .is_none_or(|b| self.sites.withdraw(policy, env.now(), b))
        });
        let Some(r) = retry else {
            return self.join_done(a, place, Err(Some(kind)), env);
        };
        if a.req.start >= self.warmup {
            env.retried(a.req.action.index());
        }
        let delay = match &r.backoff {
            None => 0,
            Some(b) => {
                let u = if b.jitter == Jitter::None {
                    0.0
                } else {
                    a.rng.random()
                };
                b.delay(sent as u32, u, a.join(place).prev)
            }
        };
        let id = a.next_join();
        let j = a.join(place);
        j.id = id;
        j.running = 0;
        j.error = Some(kind);
        j.prev = delay;
        if delay == 0 {
            return self.attempt(a, place, env);
        }
        j.backoff = true;
        a.timers += 1;
        env.command(Command::Timer {
            place,
            after: SimDuration::from_nanos(delay),
            token: id,
        });
    }
}
