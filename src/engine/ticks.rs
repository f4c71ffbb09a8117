//! The end of each report interval (the gauges) and the end of the run
//! (what was measured, handed to the model to build the result).

use super::{Engine, Event};
use crate::contract::business::Business;
use crate::kernel::time::SimTime;
use crate::metrics::gauges::{Gauges, Levels};
use crate::metrics::result::RunResult;
use crate::metrics::tap::{Book, Tap};
use crate::model::world::Measured;
use crate::scenario::Scenario;

/// An empty book for `sc`, whose series starts at `warmup`.
pub(super) fn book(sc: &Scenario, warmup: SimTime) -> Book {
    Book::new(warmup, sc.report_interval, sc.op_count(), sc.stations.len())
}

impl<B: Business> Engine<B> {
    /// For a run with a core to spare: fills each operation's statistics,
    /// the time series and the stations' wait histograms on a thread of
    /// their own ([`Tap::aside`]), and draws the open model's arrival
    /// instants on another ([`Stream::draw_ahead`]); the result is the
    /// same. Called before [`Engine::run`].
    ///
    /// [`Stream::draw_ahead`]: crate::model::arrivals::Stream::draw_ahead
    pub fn use_spare_core(mut self) -> Self {
        self.tap = Tap::aside(book(self.model.scenario(), self.model.warmup()));
        if let Some(open) = self.arrivals.open.as_mut() {
            open.draw_ahead();
        }
        self
    }

    pub(super) fn on_tick(&mut self) {
        self.sample_gauges();
        self.observe_queues();
        // Keep ticking while anything else is pending; the run ends when
        // only the clock would be left.
        if !self.queue.is_empty() {
            let next = self.now + self.model.scenario().report_interval;
            self.queue.schedule(next, Event::Tick);
        }
    }

    /// Closes the gauge interval ending now.
    pub(super) fn sample_gauges(&mut self) {
        let (now, warmup) = (self.now, self.model.warmup());
        for st in &mut self.stations {
            st.integrate(now, warmup);
        }
        let stations = &self.stations;
        let levels = |i: usize| Levels {
            busy_area: stations[i].stats.busy_area,
            queue_area: stations[i].stats.queue_area,
            workers: stations[i].workers,
            worker_area: stations[i].stats.worker_area,
            provisioning_area: stations[i].stats.provisioning_area,
        };
        let errors = self.tap.errors_by_kind();
        self.model
            .sample_gauges(&mut self.gauges, now, &levels, errors);
    }

    pub(super) fn finish(&mut self, interrupted: bool) -> RunResult {
        let end = self.now;
        if end > self.gauges.last() {
            self.sample_gauges();
        }
        let warmup = self.model.warmup();
        let empty = Tap::new(book(self.model.scenario(), warmup));
        let Book { ops, series, waits } = std::mem::replace(&mut self.tap, empty).finish();
        let mut left = 0;
        let mut stations = Vec::with_capacity(self.stations.len());
        for (i, st) in self.stations.iter_mut().enumerate() {
            st.finish(end, warmup);
            left += st.live as u64;
            if let Some(w) = waits.get(i) {
                st.stats.wait.add(w);
            }
            stations.push(std::mem::take(&mut st.stats));
        }
        let measured = Measured {
            ops,
            stations,
            series: series.finish(end),
            gauges: std::mem::replace(&mut self.gauges, Gauges::new(warmup, Vec::new())),
            events: self.events,
            end,
            left_in_queues: left,
            interrupted,
            diverged: self.diverged.take(),
            unstable: std::mem::take(&mut self.watch.unstable),
        };
        self.model.result(measured, self.cache.as_ref())
    }
}
