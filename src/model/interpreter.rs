//! The interpreter: what happens next for a session and its request.
//!
//! One implementation of every step kind of a route, of business effects
//! and their repeats, of the end of a route (the action's effect, the
//! record of its latency), of think times, of choosing the next action and
//! of leaving. Each call runs until every part of the request waits, and
//! tells the clock what to wait for as [`Command`]s; the clock waits and
//! calls back ([`Model::served`] or [`Model::fail`] after a station,
//! [`Model::begin`] after a think). The call graphs (parallel branches,
//! fan-out calls, hedge copies, held bodies, groups) are in `calls.rs`.
//!
//! Random draws happen in a fixed order on the agent's own stream, so a
//! session draws the same numbers on either clock and whatever others do:
//! the session's start, each action's subject, a `visit` with `p` one
//! uniform when reached, each service time when it starts, the next action,
//! the think time. A request counts in the statistics when it started at
//! or after the end of the warmup; so do its cache lookups.

use std::sync::atomic::Ordering::Relaxed;

use rand::RngExt;

use super::agent::{Agent, Place, Request, Who};

use super::{Command, Env, Model, choose};
use crate::contract::ErrorKind;
use crate::contract::action::{Action, Op};
use crate::contract::business::{Business, Cx, Invalidate};
use crate::contract::route::{EffectOutcome, Step};
use crate::kernel::popularity::CatalogPicker;
use crate::kernel::rng::{SimRng, StreamKind, stream};
use crate::kernel::time::{SimDuration, SimTime};
use crate::scenario::model::Next;

/// The business context of a call: borrows only the picker of the model,
/// so that the business can be borrowed apart from it.
fn cx_of<'a>(picker: &'a CatalogPicker, now: SimTime, rng: &'a mut SimRng, cached: bool) -> Cx<'a> {
    Cx {
        now,
        rng,
        picker,
        cache: None,
        cached,
        reload: false,
    }
}

impl<B: Business> Model<B> {
    pub(super) fn cx<'a>(&'a self, now: SimTime, rng: &'a mut SimRng, cached: bool) -> Cx<'a> {
        cx_of(&self.picker, now, rng, cached)
    }

    /// A new session of `who`, arriving at `at`: its own random stream
    /// (sessions are numbered in the order they start) and its business
    /// state. [`Model::first`] then starts it.
    pub fn session<E: Env>(&self, who: Who, at: SimTime, env: &mut E) -> Agent<B::Session> {
        let n = self.count_session(at);
        let mut a = self.fresh(n, who, at);
        let mut cx = self.cx(env.now(), &mut a.rng, false);
        self.business.start_session(&mut a.session, &mut cx);
        a
    }

    /// [`Model::session`] for a clock that owns the model (the virtual
    /// clock): the same session, counted without atomic read-modify-writes.
    pub fn session_owned<E: Env>(
        &mut self,
        who: Who,
        at: SimTime,
        env: &mut E,
    ) -> Agent<B::Session> {
        let n = self.count_session_owned(at);
        let mut a = self.fresh(n, who, at);
        self.start_owned(&mut a, env.now());
        a
    }

    /// [`Model::session`] in the place of finished agent `a` (its slot
    /// and call arena reused).
    pub fn session_in<E: Env>(
        &self,
        a: &mut Agent<B::Session>,
        who: Who,
        at: SimTime,
        env: &mut E,
    ) {
        let n = self.count_session(at);
        self.renew(n, a, who, at);
        let mut cx = self.cx(env.now(), &mut a.rng, false);
        self.business.start_session(&mut a.session, &mut cx);
    }

    /// [`Model::session_in`] for a clock that owns the model (the virtual
    /// clock): the same session, counted without atomic read-modify-writes.
    pub fn session_in_owned<E: Env>(
        &mut self,
        a: &mut Agent<B::Session>,
        who: Who,
        at: SimTime,
        env: &mut E,
    ) {
        let n = self.count_session_owned(at);
        self.renew(n, a, who, at);
        self.start_owned(a, env.now());
    }

    /// Session number `n`'s agent, not yet started by the business.
    fn fresh(&self, n: u64, who: Who, at: SimTime) -> Agent<B::Session> {
        let (rng, req) = self.session_stream(n, at);
        let mut a = Agent::new(rng, B::Session::default(), who, req);
        a.serial = n;
        a
    }

    /// Session number `n` in the place of finished agent `a`, not yet
    /// started by the business.
    fn renew(&self, n: u64, a: &mut Agent<B::Session>, who: Who, at: SimTime) {
        let (rng, req) = self.session_stream(n, at);
        a.reset(rng, B::Session::default(), who, req);
        a.serial = n;
    }

    /// The business starts `a`'s session through `&mut` (its counters
    /// without locked adds).
    fn start_owned(&mut self, a: &mut Agent<B::Session>, now: SimTime) {
        let mut cx = cx_of(&self.picker, now, &mut a.rng, false);
        self.business.start_session_owned(&mut a.session, &mut cx);
    }

    /// Counts a session starting at `at`; its number.
    fn count_session(&self, at: SimTime) -> u64 {
        let n = self.sessions.fetch_add(1, Relaxed);
        if at >= self.warmup {
            self.measured.fetch_add(1, Relaxed);
        }
        n
    }

    /// [`Model::count_session`] through `&mut`: plain adds, no locked
    /// instructions (two of them cost a tenth of a one-visit session).
    fn count_session_owned(&mut self, at: SimTime) -> u64 {
        let n = *self.sessions.get_mut();
        *self.sessions.get_mut() += 1;
        if at >= self.warmup {
            *self.measured.get_mut() += 1;
        }
        n
    }

    /// Session `n`'s stream and empty request.
    fn session_stream(&self, n: u64, at: SimTime) -> (SimRng, Request) {
        let rng = self.session_streams.at(n);
        (rng, Request::new(Op::from(Action::Home), at))
    }

    /// Begins the session's first action at `at`: `given` (a replayed
    /// trace's), or one chosen by `[behavior] start`.
    pub fn first<E: Env>(
        &self,
        a: &mut Agent<B::Session>,
        at: SimTime,
        given: Option<Op>,
        env: &mut E,
    ) {
        let next = match given {
            Some(op) => Next::Act(op),
            None => choose(&self.sc.behavior.start, &mut a.rng),
        };
        match next {
            Next::Act(op) => {
                a.req.action = op;
                self.begin(a, at, env);
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
        let rng = self.admin_stream();
        Agent::new(
            rng,
            B::Session::default(),
            Who::Admin,
            Request::new(op.into(), at),
        )
    }

    /// [`Model::admin`] in the place of finished agent `a`.
    pub fn admin_in(&self, a: &mut Agent<B::Session>, op: Action, at: SimTime) {
        let rng = self.admin_stream();
        a.reset(
            rng,
            B::Session::default(),
            Who::Admin,
            Request::new(op.into(), at),
        );
    }

    fn admin_stream(&self) -> SimRng {
        let n = self.admins.fetch_add(1, Relaxed);
        stream(self.sc.seed, StreamKind::Background, 1 << 32 | n)
    }

    /// Begins the agent's current operation, intended to start at `start`
    /// (its latency runs from there).
    #[inline]
    pub fn begin<E: Env>(&self, a: &mut Agent<B::Session>, start: SimTime, env: &mut E) {
        let op = a.req.action;
        a.req = Request::new(op, start);
        a.clear_root_join();
        a.req.reload = std::mem::take(&mut a.reloading);
        if let Some(action) = op.action() {
            let mut cx = self.cx(env.now(), &mut a.rng, false);
            a.req.subject = self.business.subject(action, &mut a.session, &mut cx);
        }
        self.impatient(a, env);
        self.advance(a, Place::ROOT, env);
    }

    /// The station `place` asked for served it: a cache lookup looks its
    /// key up (a hit skips the miss path), a per-line visit moves to the
    /// next line, a pool grants its permit, any other visit moves to the
    /// next step.
    #[inline]
    pub fn served<E: Env>(&self, a: &mut Agent<B::Session>, place: Place, env: &mut E) {
        if place != Place::ROOT && self.call_answered(a, place, Ok(()), env) {
            return;
        }
        if place == Place::ROOT && a.req.abandoned {
            a.set_waiting(place, false);
            return self.maybe_end(a, env);
        }
        a.set_waiting(place, false);
        let cur = *a.cursor(place);
        match self.sc.routes[cur.route as usize][cur.step as usize] {
            Step::CacheLookup { skip, .. } => {
                let (key, now) = (a.req.subject, env.now());
                let hit = env.with_cache(|c| c.is_some_and(|c| c.at(now).get(key, now.as_nanos())));
                if a.req.start >= self.warmup {
                    env.cache_lookup(hit);
                }
                a.req.cached = hit;
                a.cursor(place).step += 1 + if hit { skip as u16 } else { 0 };
            }
            // Stay on the step: the next line's shard comes next.
            Step::PerLine { .. } => {}
            Step::Hold { .. } => return self.granted(a, place, env),
            _ => a.cursor(place).step += 1,
        }
        self.advance(a, place, env);
    }

    /// The station refused `place` with `kind` (full queue, timeout,
    /// outage).
    pub fn fail<E: Env>(
        &self,
        a: &mut Agent<B::Session>,
        place: Place,
        kind: ErrorKind,
        env: &mut E,
    ) {
        if place != Place::ROOT && self.call_answered(a, place, Err(kind), env) {
            return;
        }
        a.set_waiting(place, false);
        if place == Place::ROOT && a.req.abandoned {
            return self.maybe_end(a, env);
        }
        self.failed(a, place, kind, env);
    }

    /// `place` fails with `kind`: the request's error, or its call's.
    pub(super) fn failed<E: Env>(
        &self,
        a: &mut Agent<B::Session>,
        place: Place,
        kind: ErrorKind,
        env: &mut E,
    ) {
        if place == Place::ROOT {
            a.req.error = Some(kind);
            self.finish(a, env);
        } else {
            self.child_done(a, place, Err(Some(kind)), env);
        }
    }

    /// Asks the clock to queue `place` at station `s`.
    #[inline]
    pub(super) fn visit<E: Env>(
        &self,
        a: &mut Agent<B::Session>,
        place: Place,
        s: u16,
        env: &mut E,
    ) {
        a.set_waiting(place, true);
        env.command(Command::Visit { place, station: s });
    }

    /// Walks `place`'s route from its current step until it must wait or
    /// the route ends. The common cases, a step that visits a station and
    /// the end of the request's route, are taken here, without the walk's
    /// setup.
    #[inline(always)]
    pub(super) fn advance<E: Env>(&self, a: &mut Agent<B::Session>, place: Place, env: &mut E) {
        let cur = *a.cursor(place);
        match self.sc.routes[cur.route as usize].get(cur.step as usize) {
            Some(&(Step::Visit(s) | Step::CacheLookup { station: s, .. })) => {
                self.visit(a, place, s, env)
            }
            None if place == Place::ROOT => self.finish(a, env),
            _ => self.walk(a, place, env),
        }
    }

    /// [`Model::advance`] in general: every step kind, in a loop.
    #[inline(never)]
    fn walk<E: Env>(&self, a: &mut Agent<B::Session>, place: Place, env: &mut E) {
        let route = &self.sc.routes[a.cursor(place).route as usize];
        loop {
            let cur = *a.cursor(place);
            let Some(&step) = route.get(cur.step as usize) else {
                return if place == Place::ROOT {
                    self.finish(a, env)
                } else {
                    self.child_done(a, place, Ok(()), env)
                };
            };
            match step {
                Step::Visit(s) | Step::CacheLookup { station: s, .. } => {
                    return self.visit(a, place, s, env);
                }
                Step::VisitIf(cond, s) => {
                    if self.business.condition(cond, &a.session) {
                        return self.visit(a, place, s, env);
                    }
                    a.cursor(place).step += 1;
                }
                Step::VisitP { station, p } => {
                    let u: f64 = a.rng.random();
                    if u < p {
                        return self.visit(a, place, station, env);
                    }
                    a.cursor(place).step += 1;
                }
                Step::Payment(default) => {
                    let s = self.business.payment_station(&a.session);
                    return self.visit(a, place, s.unwrap_or(default), env);
                }
                Step::CacheFill => {
                    let (key, now) = (a.req.subject, env.now());
                    env.with_cache(|c| {
                        if let Some(c) = c {
                            c.at(now).put(key, now.as_nanos());
                        }
                    });
                    a.cursor(place).step += 1;
                }
                Step::PerLine { first, shards } => {
                    let line = cur.line;
                    if line < self.business.lines(&a.session) {
                        let shard = self.business.line_shard(&a.session, line, shards);
                        a.cursor(place).line += 1;
                        return self.visit(a, place, first + shard, env);
                    }
                    let c = a.cursor(place);
                    c.line = 0;
                    c.step += 1;
                }
                Step::SubjectShard { first, shards } => {
                    let s = first + self.business.sku_shard(a.req.subject, shards);
                    return self.visit(a, place, s, env);
                }
                Step::Effect(effect) => {
                    let mut cx = self.cx(env.now(), &mut a.rng, false);
                    cx.reload = a.req.reload;
                    match self.business.effect(effect, &mut a.session, &mut cx) {
                        EffectOutcome::Continue => a.cursor(place).step += 1,
                        EffectOutcome::Repeat(back) => {
                            let c = a.cursor(place);
                            c.step = c.step.saturating_sub(back as u16);
                        }
                        EffectOutcome::Fail(kind) => return self.failed(a, place, kind, env),
                    }
                }
                Step::Parallel { .. }
                | Step::Fanout { .. }
                | Step::Hedge { .. }
                | Step::Hold { .. }
                | Step::Group { .. } => return self.start_calls(a, place, step, env),
            }
        }
    }

    /// The request's route ended (or failed): apply the effect, record,
    /// choose what comes next.
    fn finish<E: Env>(&self, a: &mut Agent<B::Session>, env: &mut E) {
        a.req.patience = 0;
        let error = match a.req.error {
            Some(e) => Some(e),
            None => self.complete(a, env.now(), env).err(),
        };
        // After the effect: on the wall clock its real work counts.
        let now = env.now();
        if a.req.start >= self.warmup {
            let latency = now.since(a.req.start).as_nanos();
            env.record(a.req.action.index(), latency, error);
        }
        if env.logging() {
            env.access(&self.access(a, now, error));
        }
        if a.who() == Who::Admin {
            return self.leave(a, env);
        }
        if error.is_some() && self.reload(a, env) {
            return;
        }
        let next = match &self.sc.behavior.transitions[a.req.action.index()] {
            Some(ch) => choose(ch, &mut a.rng),
            None => Next::Leave,
        };
        match next {
            Next::Act(op) => {
                a.req.action = op;
                let think = if self.think.is_zero() {
                    0
                } else {
                    self.think.sample_nanos(&mut a.rng)
                };
                env.command(Command::Think(SimDuration::from_nanos(think)));
            }
            Next::Leave => self.end_session(a, env),
        }
    }

    /// The action's effect on the business (custom operations have none).
    /// Admin operations get the cache (to invalidate what they change);
    /// customer actions never touch it, so on the wall clock they never
    /// wait for its lock.
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
        let Some(action) = action.action() else {
            return Ok(());
        };
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
    pub fn end_session<E: Env>(&self, a: &mut Agent<B::Session>, env: &mut E) {
        let now = env.now();
        let mut cx = self.cx(now, &mut a.rng, false);
        self.business.end_session(&mut a.session, &mut cx);
        if let Who::Closed(user) = a.who()
            && now < self.end
        {
            env.command(Command::Restart(user));
        }
        self.leave(a, env);
    }

    /// The agent is done once its calls in flight are.
    fn leave<E: Env>(&self, a: &mut Agent<B::Session>, env: &mut E) {
        a.ended = true;
        if !a.busy() {
            env.command(Command::End);
        }
    }
}
