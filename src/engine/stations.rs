//! How the virtual clock waits at a station: queues (FIFO or LIFO),
//! workers, pool permits, give-up tokens, cancellation, shedding, failed
//! services, and what faults do to a station.
//!
//! A call that waits gets a unique token, kept in its agent's cookie for
//! its place; giving up or being cancelled is O(1): the entry stays in the
//! queue, marked abandoned by the token no longer matching, and is skipped
//! when reached. A call served is never also timed out: being served clears
//! the token, so its give-up event finds no match and does nothing. A pool
//! grants a permit like a worker starting a service, with a zero-time end
//! of service that tells the model; the permit stays busy until the model
//! gives it back.
//!
//! A free worker takes the oldest live entry (FIFO) or the newest (LIFO).
//! If that entry has waited `max_wait` or longer, it is shed instead: it
//! leaves the queue unserved, the worker takes the next one, and an event
//! at the same instant tells the model (its commands run on their own
//! turn, never inside another agent's). A service fails with the
//! station's `fail_rate`, drawn from the agent's stream right after the
//! service time (no draw when the rate is 0), and the failure is told at
//! the end of the service. Every call reaching the station counts in
//! `arrivals`; at the end of a measured service, its time counts in
//! `wasted_ns` when the caller has gone ([`Agent::gone`](crate::model::Agent::gone)).

use super::{Engine, Event, Here, here};
use crate::backend::station::{Degrade, Queued};
use crate::contract::ErrorKind;
use crate::contract::business::Business;
use crate::kernel::time::{SimDuration, SimTime};
use crate::model::Place;

impl<B: Business> Engine<B> {
    /// The call at `place` of agent `id` fails with `kind`.
    pub(super) fn fail(&mut self, id: u32, place: Place, kind: ErrorKind) {
        let a = &mut self.slots[id as usize];
        self.model.fail(a, place, kind, here!(self));
    }

    /// The call at `place` of agent `id` arrives at station `s`.
    #[inline]
    pub(super) fn arrive(&mut self, id: u32, place: Place, s: u16) {
        let now = self.now;
        let warmup = self.model.warmup();
        let measured = now >= warmup;
        let st = &mut self.stations[s as usize];
        st.integrate(now, warmup);
        if measured {
            st.stats.arrivals += 1;
        }
        if st.health.fail_fast > 0 {
            self.fail(id, place, ErrorKind::Unavailable);
        } else if st.can_serve() {
            st.busy += 1;
            self.start_service(id, place, s, now);
        } else if st.live >= st.queue_limit {
            if measured {
                st.stats.rejected += 1;
            }
            self.fail(id, place, ErrorKind::Rejected);
        } else {
            let token = self.next_token;
            self.next_token += 1;
            st.queue.push_back(Queued {
                agent: id,
                place: place.0,
                token,
                since: now,
            });
            st.live += 1;
            if measured {
                st.stats.max_queue = st.stats.max_queue.max(st.live);
            }
            if st.lifo && st.queue.len() > 2 * st.live as usize + 64 {
                // Under overload a LIFO queue may never reach its oldest
                // entries: drop the abandoned ones before they pile up.
                let slots = &self.slots;
                st.queue
                    .retain(|q| slots[q.agent as usize].token(Place(q.place)) == q.token);
            }
            let timeout = st.timeout;
            *self.slots[id as usize].cookie(place) = crate::model::Cookie { token, station: s };
            if let Some(t) = timeout {
                self.queue.schedule(
                    now + t,
                    Event::GiveUp {
                        agent: id,
                        place,
                        token,
                    },
                );
            }
        }
    }

    /// A worker of `s` (already counted busy) starts serving the call at
    /// `place` of `id`, which arrived at `since`; a pool grants its permit.
    #[inline]
    fn start_service(&mut self, id: u32, place: Place, s: u16, since: SimTime) {
        let warmup = self.model.warmup();
        let measured = since >= warmup;
        let st = &mut self.stations[s as usize];
        if measured {
            st.stats.served += 1;
        }
        if let Some(wait) = st.count_wait(since, self.now, warmup) {
            self.tap.wait(s as usize, wait);
        }
        let st = &mut self.stations[s as usize];
        let (service, failed) = if st.pool {
            (0, false)
        } else {
            let a = &mut self.slots[id as usize];
            let mut service = st.service.sample_nanos(&mut a.rng);
            if st.health.slowdown != 1.0 {
                service = slowed(service, st.health.slowdown);
            }
            // Drawn only when the station can fail, so that a scenario
            // without `fail_rate` keeps its random sequence.
            let failed = st.fail_rate > 0.0 && fails(st.fail_rate, &mut a.rng);
            (service, failed)
        };
        self.queue.schedule(
            self.now + SimDuration::from_nanos(service),
            Event::Done {
                agent: id,
                place,
                station: s,
                failed,
                took: Took::from_nanos(if measured { service } else { 0 }),
            },
        );
    }

    /// Hands free workers of `s` to waiting calls (the oldest, or for LIFO
    /// the newest), skipping abandoned entries and shedding those that
    /// waited `max_wait`.
    pub(super) fn serve_waiting(&mut self, s: u16) {
        if self.stations[s as usize].lifo {
            self.serve_from::<true>(s);
        } else {
            self.serve_from::<false>(s);
        }
    }

    /// [`serve_waiting`](Self::serve_waiting) from the back of the queue
    /// (`LIFO`) or its front; one copy each, so a FIFO station's loop
    /// tests no discipline.
    #[inline]
    fn serve_from<const LIFO: bool>(&mut self, s: u16) {
        loop {
            let st = &mut self.stations[s as usize];
            if !st.can_serve() {
                return;
            }
            let next = loop {
                let q = if LIFO {
                    st.queue.pop_back()
                } else {
                    st.queue.pop_front()
                };
                match q {
                    Some(q) if self.slots[q.agent as usize].token(Place(q.place)) == q.token => {
                        break Some(q);
                    }
                    Some(_) => continue,
                    None => break None,
                }
            };
            let Some(q) = next else { return };
            st.live -= 1;
            self.slots[q.agent as usize].cookie(Place(q.place)).token = 0;
            // `since` is never after now.
            if self.now.0.wrapping_sub(q.since.0) >= st.max_wait.0 {
                self.queue.schedule(
                    self.now,
                    Event::Shed {
                        agent: q.agent,
                        place: Place(q.place),
                    },
                );
                continue;
            }
            st.busy += 1;
            self.start_service(q.agent, Place(q.place), s, q.since);
        }
    }

    /// The call at `place` of `id` finished service at `s` (or got a
    /// pool's permit, which it keeps), `failed` or not: the worker takes
    /// the next call, the agent goes on. A measured service (`took`) whose
    /// caller has gone was wasted.
    pub(super) fn on_done(&mut self, id: u32, place: Place, s: u16, failed: bool, took: Took) {
        let st = &mut self.stations[s as usize];
        if !st.pool {
            st.integrate(self.now, self.model.warmup());
            st.busy -= 1;
            self.serve_waiting(s);
        }
        let a = &mut self.slots[id as usize];
        if a.gone(place) {
            self.stations[s as usize].stats.wasted_ns += u128::from(took.nanos());
        }
        if failed {
            self.fail(id, place, ErrorKind::Failed);
        } else {
            self.model.served(a, place, here!(self));
        }
        self.run_commands(id);
    }

    /// The call at `place` of `id` was shed.
    pub(super) fn on_shed(&mut self, id: u32, place: Place) {
        self.fail(id, place, ErrorKind::Shed);
        self.run_commands(id);
    }

    /// A pool's permit comes back: the next waiting call takes it.
    pub(super) fn release_permit(&mut self, pool: u16) {
        let st = &mut self.stations[pool as usize];
        st.integrate(self.now, self.model.warmup());
        st.busy -= 1;
        self.serve_waiting(pool);
    }

    /// The cancelled call at `place` of `id` leaves its queue if it waits
    /// there; one in service finishes it (its end tells the model).
    pub(super) fn cancel(&mut self, id: u32, place: Place) {
        let cookie = *self.slots[id as usize].cookie(place);
        if cookie.token == 0 {
            return;
        }
        let st = &mut self.stations[cookie.station as usize];
        st.integrate(self.now, self.model.warmup());
        st.live -= 1;
        self.slots[id as usize].cookie(place).token = 0;
        let a = &mut self.slots[id as usize];
        self.model.dropped(a, place, here!(self));
    }

    /// The call at `place` of `id` (entry `token`) reached its timeout.
    pub(super) fn on_give_up(&mut self, id: u32, place: Place, token: u64) {
        if self.slots[id as usize].token(place) != token {
            return; // already served, or cancelled
        }
        let cookie = *self.slots[id as usize].cookie(place);
        let now = self.now;
        let warmup = self.model.warmup();
        let st = &mut self.stations[cookie.station as usize];
        st.integrate(now, warmup);
        st.live -= 1;
        let since = SimTime(now.as_nanos() - st.timeout.unwrap_or_default().as_nanos());
        if since >= warmup {
            st.stats.timed_out += 1;
        }
        if let Some(wait) = st.count_wait(since, now, warmup) {
            self.tap.wait(cookie.station as usize, wait);
        }
        self.slots[id as usize].cookie(place).token = 0;
        self.fail(id, place, ErrorKind::Timeout);
        self.run_commands(id);
    }

    /// Fault `index` opens or closes: the model says what it does, the
    /// stations of its group keep count; when an outage ends, the workers
    /// take the calls that waited.
    pub(super) fn on_fault(&mut self, index: usize, start: bool) {
        let Some((instances, d)) = self.model.fault(index, start, here!(self)) else {
            return;
        };
        let (now, warmup) = (self.now, self.model.warmup());
        for i in instances {
            let st = &mut self.stations[i];
            st.integrate(now, warmup);
            st.health.apply(d, start);
            if !start && matches!(d, Degrade::Outage { .. }) {
                self.serve_waiting(i as u16);
            }
        }
    }
}

/// Whether a service at a station of `fail_rate` fails: one draw from the
/// agent's stream. Kept out of line: the common station never fails.
#[inline(never)]
fn fails(fail_rate: f64, rng: &mut crate::kernel::rng::SimRng) -> bool {
    use rand::RngExt;
    rng.random::<f64>() < fail_rate
}

/// A service time stretched by an active slowdown. Kept out of line: the
/// common station is not slowed, and a branch to a call stays a branch.
#[cold]
#[inline(never)]
fn slowed(service: u64, slowdown: f64) -> u64 {
    (service as f64 * slowdown) as u64
}

/// A service time carried in an event, in 48 bits of nanoseconds (78
/// hours; a longer one saturates), 2-byte aligned, so that an [`Event`]
/// stays 16 bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(C, packed(2))]
pub(super) struct Took {
    lo: u32,
    hi: u16,
}

impl Took {
    #[inline]
    pub(super) fn from_nanos(ns: u64) -> Took {
        let ns = ns.min((1 << 48) - 1);
        Took {
            lo: ns as u32,
            hi: (ns >> 32) as u16,
        }
    }

    #[inline]
    pub(super) fn nanos(self) -> u64 {
        u64::from(self.lo) | u64::from(self.hi) << 32
    }
}
