//! How the virtual clock waits at a station: FIFO queues, workers, give-up
//! tokens, and what faults do to a station.
//!
//! A request that waits gets a unique token; giving up is O(1): the entry
//! stays in the queue, marked abandoned by the token no longer matching,
//! and is skipped when reached. A request served is never also timed out:
//! being served clears the agent's token, so its give-up event finds no
//! match and does nothing.

use super::{Engine, Event, Here, here};
use crate::backend::station::{Degrade, Queued};
use crate::contract::ErrorKind;
use crate::contract::business::Business;
use crate::kernel::time::{SimDuration, SimTime};

impl<B: Business> Engine<B> {
    /// Agent `id` arrives at station `s`.
    #[inline]
    pub(super) fn arrive(&mut self, id: u32, s: u16) {
        let now = self.now;
        let warmup = self.model.warmup();
        let measured = now >= warmup;
        let st = &mut self.stations[s as usize];
        st.integrate(now, warmup);
        if st.health.fail_fast > 0 {
            self.fail(id, ErrorKind::Unavailable);
        } else if st.can_serve() {
            st.busy += 1;
            self.start_service(id, s, now);
        } else if st.live >= st.queue_limit {
            if measured {
                st.stats.rejected += 1;
            }
            self.fail(id, ErrorKind::Rejected);
        } else {
            let token = self.next_token;
            self.next_token += 1;
            st.queue.push_back(Queued {
                agent: id,
                token,
                since: now,
            });
            st.live += 1;
            if measured {
                st.stats.max_queue = st.stats.max_queue.max(st.live);
            }
            self.slots[id as usize].waiting = token;
            if let Some(t) = st.timeout {
                self.queue.schedule(
                    now + t,
                    Event::GiveUp {
                        agent: id,
                        station: s,
                        token,
                    },
                );
            }
        }
    }

    /// A worker of `s` (already counted busy) starts serving `id`, which
    /// arrived at `since`.
    #[inline]
    fn start_service(&mut self, id: u32, s: u16, since: SimTime) {
        let warmup = self.model.warmup();
        let st = &mut self.stations[s as usize];
        if since >= warmup {
            st.stats.served += 1;
        }
        st.record_wait(since, self.now, warmup);
        let a = &mut self.slots[id as usize].agent;
        let mut service = st.service.sample_nanos(&mut a.rng);
        if st.health.slowdown != 1.0 {
            service = (service as f64 * st.health.slowdown) as u64;
        }
        self.queue.schedule(
            self.now + SimDuration::from_nanos(service),
            Event::Done {
                agent: id,
                station: s,
            },
        );
    }

    /// Hands free workers of `s` to waiting requests, skipping abandoned
    /// entries.
    fn serve_waiting(&mut self, s: u16) {
        loop {
            let st = &mut self.stations[s as usize];
            if !st.can_serve() {
                return;
            }
            let next = loop {
                match st.queue.pop_front() {
                    Some(q) if self.slots[q.agent as usize].waiting == q.token => break Some(q),
                    Some(_) => continue,
                    None => break None,
                }
            };
            let Some(q) = next else { return };
            st.live -= 1;
            st.busy += 1;
            self.slots[q.agent as usize].waiting = 0;
            self.start_service(q.agent, s, q.since);
        }
    }

    /// Agent `id` finished service at `s`: the worker takes the next
    /// request, the agent moves on along its route.
    pub(super) fn on_done(&mut self, id: u32, s: u16) {
        let st = &mut self.stations[s as usize];
        st.integrate(self.now, self.model.warmup());
        st.busy -= 1;
        self.serve_waiting(s);
        let a = &mut self.slots[id as usize].agent;
        let flow = self.model.served(a, here!(self));
        self.follow(id, flow);
    }

    /// Agent `id`'s wait at `s` (entry `token`) reached the timeout.
    pub(super) fn on_give_up(&mut self, id: u32, s: u16, token: u64) {
        if self.slots[id as usize].waiting != token {
            return; // already served
        }
        let now = self.now;
        let warmup = self.model.warmup();
        let st = &mut self.stations[s as usize];
        st.integrate(now, warmup);
        st.live -= 1;
        let since = SimTime(now.as_nanos() - st.timeout.unwrap_or_default().as_nanos());
        if since >= warmup {
            st.stats.timed_out += 1;
        }
        st.record_wait(since, now, warmup);
        self.slots[id as usize].waiting = 0;
        self.fail(id, ErrorKind::Timeout);
    }

    /// Fault `index` opens or closes: the model says what it does, the
    /// stations of its group keep count; when an outage ends, the workers
    /// take the requests that waited.
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
