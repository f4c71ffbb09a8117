//! Call graphs: the composite steps of a route, for both clocks.
//!
//! A composite step (`parallel`, `fanout`, `hedge`, `hold`, a nested
//! group) starts calls, each a [`Frame`](super::agent::Frame) of the
//! agent's arena, and waits for them in a join: parallel branches and
//! fan-out calls until `need` succeed (an error fails the step under `wait
//! = all`, with the first branch error; under `any` or K once too few can
//! still succeed, with the last), hedge copies until one succeeds (a copy
//! sent every `after` while none has, up to `max`; an error is ignored
//! while another copy runs or is due), a held body or a group until it
//! ends. A step's latency is the time until its join is satisfied.
//!
//! Calls still running when their step is over are orphans: they keep
//! going (and keep their stations busy) unless the step cancels them. A
//! cancelled call leaves its queue, or finishes the service it is in and
//! goes no further; a cancelled hold gives its permit back. An agent ends
//! only when its last call does. Calls start in their order in the step:
//! branch 0 first.

use super::agent::{Agent, Body, Join, NONE, Place};
use super::{Command, Env, Model};
use crate::contract::ErrorKind;
use crate::contract::business::Business;
use crate::contract::policy::NO_POLICY;
use crate::contract::route::{MAX_BRANCHES, Step};

/// How a call ended: `Err(None)` when it was cancelled.
type Outcome = Result<(), Option<ErrorKind>>;

impl<B: Business> Model<B> {
    /// The composite step `step` at `place` starts its calls.
    pub(super) fn start_calls<E: Env>(
        &self,
        a: &mut Agent<B::Session>,
        place: Place,
        step: Step,
        env: &mut E,
    ) {
        let id = a.next_join();
        *a.join(place) = Join {
            id,
            ..Join::default()
        };
        match step {
            Step::Parallel { first, n, .. } => {
                let mut kids = [Place::ROOT; MAX_BRANCHES];
                for (i, k) in kids.iter_mut().enumerate().take(n as usize) {
                    *k = a.spawn(place, id, Body::Route(first + i as u16));
                }
                let j = a.join(place);
                (j.sent, j.running) = (n, n);
                // A branch may end at once and satisfy the step: the rest
                // still start (they are orphans, or cancelled, by then).
                for &k in &kids[..n as usize] {
                    if a.frame(k).in_use && a.frame(k).parent_join == id && !a.frame(k).cancelled {
                        self.advance(a, k, env);
                    }
                }
            }
            Step::Fanout {
                first, shards, n, ..
            } => {
                let j = a.join(place);
                (j.sent, j.running) = (n, n);
                for i in 0..n {
                    let s = first + i % shards.max(1);
                    let k = a.spawn(place, id, Body::Call(s));
                    self.visit(a, k, s, env);
                }
            }
            Step::Hedge {
                station,
                after,
                max,
                ..
            } => {
                let j = a.join(place);
                (j.sent, j.running) = (1, 1);
                let k = a.spawn(place, id, Body::Call(station));
                self.visit(a, k, station, env);
                if max > 1 {
                    a.timers += 1;
                    env.command(Command::Timer {
                        place,
                        after,
                        token: id,
                    });
                }
            }
            // The place itself queues for a permit; `granted` goes on.
            Step::Hold { pool, .. } => self.visit(a, place, pool, env),
            Step::Group { policy, .. } if policy != NO_POLICY => {
                self.call_site(a, place, policy, env);
            }
            Step::Group { route, .. } => {
                let j = a.join(place);
                (j.sent, j.running) = (1, 1);
                let k = a.spawn(place, id, Body::Route(route));
                self.advance(a, k, env);
            }
            _ => {}
        }
    }

    /// A hold at `place` got its permit: its body runs.
    pub(super) fn granted<E: Env>(&self, a: &mut Agent<B::Session>, place: Place, env: &mut E) {
        let cur = *a.cursor(place);
        let Step::Hold { route, .. } = self.sc.routes[cur.route as usize][cur.step as usize] else {
            return;
        };
        let j = a.join(place);
        j.holding = true;
        (j.sent, j.running) = (1, 1);
        let id = j.id;
        let k = a.spawn(place, id, Body::Route(route));
        self.advance(a, k, env);
    }

    /// A station answered frame `place`. Handles (and returns true for) a
    /// cancelled frame and a single call; a frame running a route goes on
    /// like the request does.
    pub(super) fn call_answered<E: Env>(
        &self,
        a: &mut Agent<B::Session>,
        place: Place,
        result: Result<(), ErrorKind>,
        env: &mut E,
    ) -> bool {
        let f = *a.frame(place);
        if f.cancelled {
            a.set_waiting(place, false);
            // A hold granted its permit just after it was cancelled gives
            // it back at once.
            if f.call == NONE
                && result.is_ok()
                && let Step::Hold { pool, .. } =
                    self.sc.routes[f.cursor.route as usize][f.cursor.step as usize]
                && !f.join.holding
            {
                env.command(Command::Release { place, pool });
            }
            self.child_done(a, place, Err(None), env);
            return true;
        }
        if f.call != NONE {
            a.set_waiting(place, false);
            self.child_done(a, place, result.map_err(Some), env);
            return true;
        }
        false
    }

    /// The clock took cancelled frame `place` out of its queue.
    pub fn dropped<E: Env>(&self, a: &mut Agent<B::Session>, place: Place, env: &mut E) {
        a.set_waiting(place, false);
        self.child_done(a, place, Err(None), env);
    }

    /// A timer of `place` (join `token`) fired: a hedge's next copy goes
    /// out if none has succeeded yet; a call site's backoff or timeout is
    /// over (`policy.rs`).
    pub fn timer<E: Env>(&self, a: &mut Agent<B::Session>, place: Place, token: u32, env: &mut E) {
        a.timers -= 1;
        if token & super::patience::PATIENCE != 0 {
            return self.patience_over(a, token, env);
        }
        let gone = place != Place::ROOT && {
            let f = a.frame(place);
            !f.in_use || f.cancelled
        };
        if gone || a.join(place).id != token {
            // The step is over (or cancelled): an agent whose session
            // ended may end now.
            return self.maybe_end(a, env);
        }
        let cur = *a.cursor(place);
        let (station, after, max) = match self.sc.routes[cur.route as usize][cur.step as usize] {
            Step::Hedge {
                station,
                after,
                max,
                ..
            } => (station, after, max),
            Step::Group { .. } => return self.site_timer(a, place, token, env),
            _ => return,
        };
        let j = a.join(place);
        if j.sent >= max {
            return;
        }
        j.sent += 1;
        j.running += 1;
        let more = j.sent < max;
        let k = a.spawn(place, token, Body::Call(station));
        self.visit(a, k, station, env);
        if more {
            a.timers += 1;
            env.command(Command::Timer {
                place,
                after,
                token,
            });
        }
    }

    /// Frame `child` ended with `outcome`: it goes back to the arena, and
    /// its parent's join counts it (unless the parent moved on: an orphan).
    pub(super) fn child_done<E: Env>(
        &self,
        a: &mut Agent<B::Session>,
        child: Place,
        outcome: Outcome,
        env: &mut E,
    ) {
        let f = *a.frame(child);
        a.release(child);
        let parent = f.parent;
        let alive = parent == Place::ROOT || a.frame(parent).in_use;
        if !alive || a.join(parent).id != f.parent_join {
            return self.maybe_end(a, env);
        }
        let cancelled = parent != Place::ROOT && a.frame(parent).cancelled;
        let cur = *a.cursor(parent);
        let step = self.sc.routes[cur.route as usize][cur.step as usize];
        let j = a.join(parent);
        j.running -= 1;
        let running = j.running;
        match step {
            Step::Hold { pool, .. } => {
                env.command(Command::Release {
                    place: parent,
                    pool,
                });
                if cancelled {
                    self.child_done(a, parent, Err(None), env);
                } else {
                    self.join_done(a, parent, outcome, env);
                }
            }
            _ if cancelled => {
                if running == 0 {
                    self.child_done(a, parent, Err(None), env);
                }
            }
            Step::Group { policy, .. } if policy != NO_POLICY => {
                self.attempt_done(a, parent, outcome, env);
            }
            Step::Group { .. } => self.join_done(a, parent, outcome, env),
            Step::Parallel { n, need, .. } | Step::Fanout { n, need, .. } => match outcome {
                Ok(()) => {
                    j.ok += 1;
                    if j.ok >= need {
                        self.join_done(a, parent, Ok(()), env);
                    }
                }
                Err(e) => {
                    j.failed += 1;
                    if need == n {
                        let first = j.error.or(e);
                        self.join_done(a, parent, Err(first), env);
                    } else {
                        j.error = e.or(j.error);
                        if n - j.failed < need {
                            let last = j.error;
                            self.join_done(a, parent, Err(last), env);
                        }
                    }
                }
            },
            Step::Hedge { max, .. } => match outcome {
                Ok(()) => self.join_done(a, parent, Ok(()), env),
                Err(e) => {
                    j.error = e.or(j.error);
                    if running == 0 && j.sent >= max {
                        let last = j.error;
                        self.join_done(a, parent, Err(last), env);
                    }
                }
            },
            _ => self.maybe_end(a, env),
        }
    }

    /// The composite step at `place` is over with `outcome`: cancel its
    /// other calls if it says so, then go on (or fail).
    pub(super) fn join_done<E: Env>(
        &self,
        a: &mut Agent<B::Session>,
        place: Place,
        outcome: Outcome,
        env: &mut E,
    ) {
        let cur = *a.cursor(place);
        let cancel = match self.sc.routes[cur.route as usize][cur.step as usize] {
            Step::Parallel { cancel, .. }
            | Step::Fanout { cancel, .. }
            | Step::Hedge { cancel, .. } => cancel,
            _ => false,
        };
        let id = a.join(place).id;
        *a.join(place) = Join::default();
        if cancel {
            self.cancel_calls(a, place, id, env);
        }
        match outcome {
            Ok(()) => {
                a.cursor(place).step += 1;
                self.advance(a, place, env);
            }
            // A step fails only on a call's error: `None` (a cancelled
            // call) never reaches a join still waiting.
            Err(e) => self.failed(a, place, e.unwrap_or(ErrorKind::Unavailable), env),
        }
    }

    /// Cancels the calls of `parent`'s join `id`.
    pub(super) fn cancel_calls<E: Env>(
        &self,
        a: &mut Agent<B::Session>,
        parent: Place,
        id: u32,
        env: &mut E,
    ) {
        for i in 0..a.frames().len() {
            let f = &a.frames()[i];
            if f.in_use && f.parent == parent && f.parent_join == id && !f.cancelled {
                self.cancel(a, Place(i as u16), env);
            }
        }
    }

    /// Cancels frame `place`: out of its queue, or no further than its
    /// current service; a frame waiting for calls of its own cancels them.
    fn cancel<E: Env>(&self, a: &mut Agent<B::Session>, place: Place, env: &mut E) {
        let f = a.frame(place);
        f.cancelled = true;
        if f.waiting {
            env.command(Command::Cancel { place });
            return;
        }
        let (id, running) = (f.join.id, f.join.running);
        if id != 0 && running > 0 {
            self.cancel_calls(a, place, id, env);
        } else {
            // Nothing in flight (a hedge waiting for its next copy).
            self.child_done(a, place, Err(None), env);
        }
    }

    /// An agent whose session is over ends with its last call.
    pub(super) fn maybe_end<E: Env>(&self, a: &mut Agent<B::Session>, env: &mut E) {
        if a.ended && !a.busy() {
            env.command(Command::End);
        }
    }
}
