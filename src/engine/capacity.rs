//! How the virtual clock moves a station's workers: scheduled changes,
//! the autoscaler's periodic decision, and cold starts ending.
//!
//! Adding a worker lets it take a waiting request at once; removing one
//! lowers `workers`, so that a busy worker past the new count finishes its
//! request and takes no other (nothing is dropped). An autoscaler's
//! decision is an event every `period` from the start of the run (warmup
//! included), until arrivals are over and the last agent has ended; the
//! rule itself is the model's ([`Scaler`](crate::model::capacity::Scaler)),
//! the same on the wall clock.

use super::{Engine, Event};
use crate::contract::business::Business;
use crate::model::capacity::{Decision, changes};

/// What is due for a station's capacity.
#[derive(Clone, Copy, Debug)]
pub(super) enum Due {
    /// A scheduled change: `station` has `workers` from now.
    Workers { station: u16, workers: u32 },
    /// Autoscaler `index`'s period ends: it decides.
    Scale { index: u16 },
    /// A worker of `station` may have finished its cold start.
    Ready { station: u16 },
}

impl<B: Business> Engine<B> {
    /// Gives every station whose workers move its [`Moving`] state, and
    /// schedules the changes and the first decisions.
    pub(super) fn prime_capacity(&mut self) {
        let sc = self.model.scenario();
        for (st, spec) in self.stations.iter_mut().zip(&sc.stations) {
            if spec.capacity.moves() {
                st.moving = Some(Box::default());
            }
        }
        for c in changes(sc) {
            self.queue.schedule(
                c.at,
                Event::Capacity(Due::Workers {
                    station: c.station,
                    workers: c.workers,
                }),
            );
        }
        for (i, s) in self.scalers.iter().enumerate() {
            self.queue.schedule(
                self.now + s.period,
                Event::Capacity(Due::Scale { index: i as u16 }),
            );
        }
    }

    /// A capacity event: a scheduled change, a decision, a cold start's
    /// end.
    pub(super) fn on_capacity(&mut self, due: Due) {
        match due {
            Due::Workers { station, workers } => self.set_workers(station, workers),
            Due::Scale { index } => self.on_scale(index),
            Due::Ready { station } => self.on_ready(station),
        }
    }

    /// Station `s` has `n` workers from now.
    fn set_workers(&mut self, s: u16, n: u32) {
        let st = &mut self.stations[s as usize];
        st.integrate(self.now, self.model.warmup());
        st.workers = n;
        self.serve_waiting(s);
    }

    /// The end of autoscaler `index`'s period: decide, and start or remove
    /// workers.
    fn on_scale(&mut self, index: u16) {
        let (now, warmup) = (self.now, self.model.warmup());
        let scaler = &mut self.scalers[index as usize];
        let s = scaler.station;
        let st = &mut self.stations[s as usize];
        st.integrate(now, warmup);
        let current = st.current();
        let Some(m) = st.moving.as_deref_mut() else {
            return;
        };
        match scaler.decide(now, current, m.since_mark()) {
            Decision::Hold => {}
            Decision::Add(k) => {
                for _ in 0..k {
                    let cold = scaler.cold_start();
                    if cold.as_nanos() == 0 {
                        st.workers += 1;
                    } else {
                        m.provisioning.push(now + cold);
                        self.queue
                            .schedule(now + cold, Event::Capacity(Due::Ready { station: s }));
                    }
                }
                self.serve_waiting(s);
            }
            Decision::Remove(k) => {
                let cancelled = k.min(m.provisioning.len() as u32);
                let left = m.provisioning.len() - cancelled as usize;
                m.provisioning.truncate(left);
                st.workers -= k - cancelled;
            }
        }
        let period = self.scalers[index as usize].period;
        let over = now >= self.model.end_of_arrivals() && self.active == 0;
        if !over {
            self.queue
                .schedule(now + period, Event::Capacity(Due::Scale { index }));
        }
    }

    /// A worker of station `s` may have finished its cold start: if it was
    /// not cancelled meanwhile, it serves from now.
    fn on_ready(&mut self, s: u16) {
        let (now, warmup) = (self.now, self.model.warmup());
        let st = &mut self.stations[s as usize];
        st.integrate(now, warmup);
        let Some(m) = st.moving.as_deref_mut() else {
            return;
        };
        if let Some(i) = m.provisioning.iter().position(|&t| t == now) {
            m.provisioning.remove(i);
            st.workers += 1;
            self.serve_waiting(s);
        }
    }
}
