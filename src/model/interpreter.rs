//! The interpreter: what happens next for a session and its request.
//!
//! One implementation of every step kind of a route, of business effects
//! and their repeats, of the end of a route (the action's effect, the
//! record of its latency), of think times, of choosing the next action and
//! of leaving. Each call runs until the agent must wait and returns the
//! [`Flow`] that says for what; the clock waits and calls back
//! ([`Model::served`] after a station, [`Model::begin`] after a think).
//!
//! Random draws happen in a fixed order on the agent's own stream, so a
//! session draws the same numbers on either clock and whatever others do.
//! A request counts in the statistics when it started at or after the end
//! of the warmup; so do its cache lookups.

use std::sync::atomic::Ordering::Relaxed;

use super::agent::{Agent, Request, Who};
use super::{Env, Flow, Model, choose};
use crate::contract::ErrorKind;
use crate::contract::action::Action;
use crate::contract::business::{Business, Cx, Invalidate};
use crate::contract::route::{EffectOutcome, Step};
use crate::kernel::rng::{SimRng, StreamKind, stream};
use crate::kernel::time::{SimDuration, SimTime};
use crate::scenario::model::Next;

impl<B: Business> Model<B> {
    fn cx<'a>(&'a self, now: SimTime, rng: &'a mut SimRng, cached: bool) -> Cx<'a> {
        Cx {
            now,
            rng,
            picker: &self.picker,
            cache: None,
            cached,
        }
    }

    /// A new session of `who`, arriving at `at`: its own random stream
    /// (sessions are numbered in the order they start) and its business
    /// state. [`Model::first`] then starts it.
    pub fn session<E: Env>(&self, who: Who, at: SimTime, env: &mut E) -> Agent<B::Session> {
        let n = self.sessions.fetch_add(1, Relaxed);
        if at >= self.warmup {
            self.measured.fetch_add(1, Relaxed);
        }
        let mut a = Agent {
            rng: stream(self.sc.seed, StreamKind::Session, n),
            session: B::Session::default(),
            who,
            req: Request::new(Action::Home, at),
        };
        let mut cx = self.cx(env.now(), &mut a.rng, false);
        self.business.start_session(&mut a.session, &mut cx);
        a
    }

    /// Chooses the session's first action and begins it at `at`.
    pub fn first<E: Env>(&self, a: &mut Agent<B::Session>, at: SimTime, env: &mut E) -> Flow {
        match choose(&self.sc.behavior.start, &mut a.rng) {
            Next::Act(action) => {
                a.req.action = action;
                self.begin(a, at, env)
            }
            // Validation forbids starting by leaving.
            Next::Leave => self.end_session(a, env),
        }
    }

    /// A new admin operation `op` arriving at `at`, on its own random
    /// stream (admin operations are numbered in arrival order, over all
    /// operations, apart from the customers' streams so that adding admins
    /// does not reshuffle the customers). [`Model::begin`] then starts it.
    pub fn admin(&self, op: Action, at: SimTime) -> Agent<B::Session> {
        let n = self.admins.fetch_add(1, Relaxed);
        Agent {
            rng: stream(self.sc.seed, StreamKind::Background, 1 << 32 | n),
            session: B::Session::default(),
            who: Who::Admin,
            req: Request::new(op, at),
        }
    }

    /// Begins the agent's current action, intended to start at `start`
    /// (its latency runs from there).
    #[inline]
    pub fn begin<E: Env>(&self, a: &mut Agent<B::Session>, start: SimTime, env: &mut E) -> Flow {
        let action = a.req.action;
        a.req = Request::new(action, start);
        let mut cx = self.cx(env.now(), &mut a.rng, false);
        a.req.subject = self.business.subject(action, &mut a.session, &mut cx);
        self.advance(a, env)
    }

    /// The station the route asked for served the agent: a cache lookup
    /// looks its key up (a hit skips the miss path), a per-line visit moves
    /// to the next line, any other visit to the next step.
    #[inline]
    pub fn served<E: Env>(&self, a: &mut Agent<B::Session>, env: &mut E) -> Flow {
        match self.sc.routes[a.req.action.index()][a.req.step as usize] {
            Step::CacheLookup { skip, .. } => {
                let (key, now) = (a.req.subject, env.now());
                let hit = env.with_cache(|c| c.is_some_and(|c| c.at(now).get(key, now.as_nanos())));
                if a.req.start >= self.warmup {
                    env.cache_lookup(hit);
                }
                a.req.cached = hit;
                a.req.step += 1 + if hit { skip } else { 0 };
            }
            // Stay on the step: the next line's shard comes next.
            Step::PerLine { .. } => {}
            _ => a.req.step += 1,
        }
        self.advance(a, env)
    }

    /// The request failed with `kind` (a station refused it, or it gave
    /// up waiting): its operation ends.
    pub fn fail<E: Env>(&self, a: &mut Agent<B::Session>, kind: ErrorKind, env: &mut E) -> Flow {
        a.req.error = Some(kind);
        self.finish(a, env)
    }

    /// Walks the route from the current step until the agent must wait at
    /// a station or the route ends.
    #[inline]
    fn advance<E: Env>(&self, a: &mut Agent<B::Session>, env: &mut E) -> Flow {
        let route = &self.sc.routes[a.req.action.index()];
        loop {
            let Some(&step) = route.get(a.req.step as usize) else {
                return self.finish(a, env);
            };
            match step {
                Step::Visit(s) | Step::CacheLookup { station: s, .. } => return Flow::Visit(s),
                Step::VisitIf(cond, s) => {
                    if self.business.condition(cond, &a.session) {
                        return Flow::Visit(s);
                    }
                    a.req.step += 1;
                }
                Step::Payment(default) => {
                    let s = self.business.payment_station(&a.session);
                    return Flow::Visit(s.unwrap_or(default));
                }
                Step::CacheFill => {
                    let (key, now) = (a.req.subject, env.now());
                    env.with_cache(|c| {
                        if let Some(c) = c {
                            c.at(now).put(key, now.as_nanos());
                        }
                    });
                    a.req.step += 1;
                }
                Step::PerLine { first, shards } => {
                    if a.req.line < self.business.lines(&a.session) {
                        let shard = self.business.line_shard(&a.session, a.req.line, shards);
                        a.req.line += 1;
                        return Flow::Visit(first + shard);
                    }
                    a.req.line = 0;
                    a.req.step += 1;
                }
                Step::SubjectShard { first, shards } => {
                    return Flow::Visit(first + self.business.sku_shard(a.req.subject, shards));
                }
                Step::Effect(effect) => {
                    let mut cx = self.cx(env.now(), &mut a.rng, false);
                    match self.business.effect(effect, &mut a.session, &mut cx) {
                        EffectOutcome::Continue => a.req.step += 1,
                        EffectOutcome::Repeat(back) => a.req.step = a.req.step.saturating_sub(back),
                        EffectOutcome::Fail(kind) => return self.fail(a, kind, env),
                    }
                }
            }
        }
    }

    /// The route ended (or failed): apply the effect, record, choose what
    /// comes next.
    fn finish<E: Env>(&self, a: &mut Agent<B::Session>, env: &mut E) -> Flow {
        let now = env.now();
        let error = match a.req.error {
            Some(e) => Some(e),
            None => self.complete(a, now, env).err(),
        };
        if a.req.start >= self.warmup {
            let latency = now.since(a.req.start).as_nanos();
            env.record(a.req.action.index(), latency, error);
        }
        if a.who == Who::Admin {
            return Flow::End;
        }
        let next = match &self.sc.behavior.transitions[a.req.action.index()] {
            Some(ch) => choose(ch, &mut a.rng),
            None => Next::Leave,
        };
        match next {
            Next::Act(action) => {
                a.req.action = action;
                let think = if self.think.is_zero() {
                    0
                } else {
                    self.think.sample_nanos(&mut a.rng)
                };
                Flow::Think(SimDuration::from_nanos(think))
            }
            Next::Leave => self.end_session(a, env),
        }
    }

    /// The action's effect on the business. Admin operations get the cache
    /// (to invalidate what they change); customer actions never touch it,
    /// so on the wall clock they never wait for its lock.
    fn complete<E: Env>(
        &self,
        a: &mut Agent<B::Session>,
        now: SimTime,
        env: &mut E,
    ) -> Result<(), ErrorKind> {
        let Request {
            action,
            subject,
            cached,
            ..
        } = a.req;
        if !action.is_admin() {
            let mut cx = self.cx(now, &mut a.rng, cached);
            return self
                .business
                .complete(action, subject, &mut a.session, &mut cx);
        }
        env.with_cache(|c| {
            let mut cx = self.cx(now, &mut a.rng, cached);
            cx.cache = c.map(|c| c.at(now) as &mut dyn Invalidate);
            self.business
                .complete(action, subject, &mut a.session, &mut cx)
        })
    }

    /// The session ends (it left, or the run was stopped): a closed-model
    /// user starts a new one while arrivals last.
    pub fn end_session<E: Env>(&self, a: &mut Agent<B::Session>, env: &mut E) -> Flow {
        let now = env.now();
        let mut cx = self.cx(now, &mut a.rng, false);
        self.business.end_session(&mut a.session, &mut cx);
        match a.who {
            Who::Closed(user) if now < self.end => Flow::Restart(user),
            _ => Flow::End,
        }
    }
}
