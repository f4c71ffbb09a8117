//! The virtual clock's guards: the memory guard (too many requests in
//! flight), the stalled clock (too many events at one instant) and the
//! queue watch that names an unstable station before either trips.

use super::Engine;
use crate::contract::business::Business;

impl<B: Business> Engine<B> {
    /// Sets the memory guard: the run stops, diverged, once more than `n`
    /// sessions and admin operations are in flight (default
    /// [`MAX_IN_FLIGHT`](crate::model::MAX_IN_FLIGHT)).
    pub fn max_in_flight(mut self, n: usize) -> Self {
        self.max_in_flight = n;
        self
    }

    /// Sets how many events in a row may happen at one instant before the
    /// run has diverged (default
    /// [`MAX_EVENTS_AT_ONE_INSTANT`](crate::model::MAX_EVENTS_AT_ONE_INSTANT));
    /// it is checked every few tens of thousands of events.
    pub fn max_events_at_one_instant(mut self, n: u64) -> Self {
        self.max_at_one_instant = n;
        self
    }

    /// The memory guard and the stalled-clock check, at each progress
    /// check: true (and why, in `diverged`) when the run must stop.
    pub(super) fn check_divergence(&mut self) -> bool {
        if self.active > self.max_in_flight {
            let stations = &self.stations;
            self.diverged = Some(self.model.diverged_in_flight(
                self.active,
                self.max_in_flight,
                self.now,
                &|i| stations[i].live as u64,
            ));
        } else if self.now > self.checked.0 {
            self.checked = (self.now, self.events);
        } else if self.events - self.checked.1 >= self.max_at_one_instant {
            self.diverged = Some(
                self.model
                    .diverged_stalled(self.now, self.events - self.checked.1),
            );
        }
        self.diverged.is_some()
    }

    /// Shows the queue watch every station's queue now.
    pub(super) fn observe_queues(&mut self) {
        let stations = &self.stations;
        self.watch.observe(self.now, &|i| stations[i].live as u64);
    }
}
