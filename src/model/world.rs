//! The rest of the world, once for both clocks: what a fault does, the
//! gauges of an interval, and the run's result.

use std::ops::Range;

use super::{CatalogCache, Env, Model};
use crate::backend::station::Degrade;
use crate::contract::N_ERROR_KINDS;
use crate::contract::business::Business;
use crate::contract::fault::FaultKind;
use crate::kernel::time::SimTime;
use crate::metrics::gauges::{GaugeGroup, Gauges, Levels, Totals};
use crate::metrics::result::{RunResult, StationResult};
use crate::metrics::series::SeriesRow;
use crate::metrics::watch::{QueueWatch, Unstable, Watched};
use crate::metrics::{OpStats, StationStats};

/// What a clock measured itself, for [`Model::result`].
pub struct Measured {
    /// Per operation (by action index).
    pub ops: Vec<OpStats>,
    /// Per station instance, in scenario order.
    pub stations: Vec<StationStats>,
    /// The time series, closed at `end`.
    pub series: Vec<SeriesRow>,
    /// The gauges, closed at `end`.
    pub gauges: Gauges,
    /// Events processed.
    pub events: u64,
    /// When the run ended.
    pub end: SimTime,
    /// Requests left in station queues.
    pub left_in_queues: u64,
    /// The run was stopped early.
    pub interrupted: bool,
    /// Why the memory guard stopped the run, if it did.
    pub diverged: Option<String>,
    /// What the queue watch flagged.
    pub unstable: Vec<Unstable>,
}

impl<B: Business> Model<B> {
    /// The station instances of a group.
    fn instances(&self, group: u16) -> Range<usize> {
        let g = &self.sc.groups[group as usize];
        g.first as usize..(g.first + g.shards) as usize
    }

    /// Fault `index` opens (`open`) or closes. The model flushes the cache
    /// and tells the business; what the fault does to stations is returned
    /// for the clock to apply to each of them.
    pub fn fault<E: Env>(
        &self,
        index: usize,
        open: bool,
        env: &mut E,
    ) -> Option<(Range<usize>, Degrade)> {
        let kind = &self.sc.faults[index].kind;
        let change = match *kind {
            FaultKind::Slow { group, factor } => {
                Some((self.instances(group), Degrade::Slow(factor)))
            }
            FaultKind::Outage { group, hang } => {
                Some((self.instances(group), Degrade::Outage { hang }))
            }
            FaultKind::CacheFlush => {
                let now = env.now();
                env.with_cache(|c| {
                    if let Some(c) = c {
                        c.at(now).flush();
                    }
                });
                None
            }
            FaultKind::PaymentDeclines { .. } => None,
        };
        self.business.fault(kind, open);
        change
    }

    /// The station groups some route uses, with their instances.
    fn used_groups(&self) -> impl Iterator<Item = (u16, Range<usize>)> + '_ {
        (0..self.sc.groups.len() as u16)
            .map(|g| (g, self.instances(g)))
            .filter(|(_, r)| self.used[r.clone()].iter().any(|u| *u))
    }

    /// Gauges for this run, from the end of the warmup: one group per
    /// station group some route uses.
    pub fn gauges(&self) -> Gauges {
        let groups = self
            .used_groups()
            .map(|(g, stations)| GaugeGroup {
                name: self.sc.groups[g as usize].name.clone(),
                moves: self.sc.stations[stations.start].capacity.moves(),
                stations,
            })
            .collect();
        Gauges::new(self.warmup, groups)
    }

    /// The queue watch for this run: one entry per station group some
    /// route uses, like the gauges.
    pub fn queue_watch(&self) -> QueueWatch {
        let groups = self
            .used_groups()
            .map(|(g, stations)| Watched {
                name: self.sc.groups[g as usize].name.clone(),
                workers: stations.clone().map(|i| self.sc.stations[i].workers).sum(),
                stations,
            })
            .collect();
        QueueWatch::new(groups)
    }

    /// Closes the gauge interval ending at `now`: `station` gives each
    /// station's integrals so far, `errors` the failed requests by kind.
    pub fn sample_gauges(
        &self,
        gauges: &mut Gauges,
        now: SimTime,
        station: &dyn Fn(usize) -> Levels,
        errors: [u64; N_ERROR_KINDS],
    ) {
        let mut business = Vec::new();
        self.business.gauges(&mut business);
        self.sites.gauges(&self.sc.policies, now, &mut business);
        gauges.sample(
            now,
            Totals {
                station,
                errors,
                sessions: self.sessions_measured(),
                business,
            },
        );
    }

    /// Why the memory guard stops a run: `in_flight` requests passed
    /// `max` at `now`; `queued(i)` is what station instance `i` holds
    /// waiting. Names the station whose queue grew most (the group, summed
    /// over its shards), the one to blame.
    pub fn diverged_in_flight(
        &self,
        in_flight: usize,
        max: usize,
        now: SimTime,
        queued: &dyn Fn(usize) -> u64,
    ) -> String {
        let worst = (0..self.sc.groups.len() as u16)
            .map(|g| (self.instances(g).map(queued).sum::<u64>(), g))
            .max_by_key(|&(q, g)| (q, std::cmp::Reverse(g)))
            .filter(|&(q, _)| q > 0);
        let blame = match worst {
            Some((q, g)) => {
                let group = &self.sc.groups[g as usize];
                let workers: u32 = self
                    .instances(g)
                    .map(|i| self.sc.stations[i].workers)
                    .sum();
                format!(
                    "station {}'s queue grew without bound ({q} waiting for {workers} workers)",
                    group.name
                )
            }
            None => "no station queue holds them: sessions start faster than they end (check the arrival rate and think times)".to_owned(),
        };
        format!(
            "the model diverged: {in_flight} requests in flight at t={:.3}s passed --max-in-flight {max}; {blame}",
            now.as_secs_f64()
        )
    }

    /// Why a run whose virtual time stopped at `now` for `events` events
    /// has diverged.
    pub fn diverged_stalled(&self, now: SimTime, events: u64) -> String {
        format!(
            "the model diverged: virtual time stopped at t={:.3}s for {events} events in a row (something repeats at one instant: a rate too high for nanosecond time, or a zero think time after a step that fails at once)",
            now.as_secs_f64()
        )
    }

    /// The run's result from what the clock measured, the cache and the
    /// business (its facts and invariant checks, read now).
    pub fn result(&self, m: Measured, cache: Option<&CatalogCache>) -> RunResult {
        let stations = self
            .sc
            .stations
            .iter()
            .zip(m.stations)
            .zip(&self.used)
            .filter(|(_, used)| **used)
            .map(|((spec, stats), _)| StationResult {
                name: spec.name.clone(),
                workers: spec.workers,
                cost_per_hour: spec.cost_per_hour,
                stats,
            })
            .collect();
        let interrupted = m.interrupted || m.diverged.is_some();
        RunResult {
            ops: m.ops,
            stations,
            cache: cache.map(|c| c.measured()),
            cache_problems: cache.map(|c| c.check()).unwrap_or_default(),
            series: m.series,
            gauges: m.gauges.rows,
            unstable: m.unstable,
            diverged: m.diverged,
            business: self.business.finish(m.end),
            sessions: self.sessions_measured(),
            sessions_abandoned: self.sessions_abandoned(),
            customer_retries: self.customer_retries(),
            events: m.events,
            end: m.end,
            window_ns: m.end.since(self.warmup).as_nanos(),
            runs: 1,
            left_in_queues: m.left_in_queues,
            interrupted,
        }
    }
}
