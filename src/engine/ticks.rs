//! The end of each report interval (the gauges) and the end of the run
//! (what was measured, handed to the model to build the result).

use super::{Engine, Event};
use crate::contract::business::Business;
use crate::metrics::OpStats;
use crate::metrics::gauges::{Gauges, Levels};
use crate::metrics::result::RunResult;
use crate::metrics::series::Series;
use crate::model::world::Measured;

impl<B: Business> Engine<B> {
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
        let errors = OpStats::errors_by_kind_of(&self.ops);
        self.model
            .sample_gauges(&mut self.gauges, now, &levels, errors);
    }

    pub(super) fn finish(&mut self, interrupted: bool) -> RunResult {
        let end = self.now;
        if end > self.gauges.last() {
            self.sample_gauges();
        }
        let warmup = self.model.warmup();
        let mut left = 0;
        let mut stations = Vec::with_capacity(self.stations.len());
        for st in &mut self.stations {
            st.finish(end, warmup);
            left += st.live as u64;
            stations.push(std::mem::take(&mut st.stats));
        }
        let interval = self.model.scenario().report_interval;
        let ops = self.ops.len();
        let series = std::mem::replace(&mut self.series, Series::new(warmup, interval, ops));
        let measured = Measured {
            ops: std::mem::take(&mut self.ops),
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
