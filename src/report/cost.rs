//! What the workers were and what they cost: stations.csv's worker
//! columns and business.csv's `cost` and `cost_per_order`.
//!
//! A station's worker time over the window is the time integral of its
//! workers present (those finishing a request after being removed
//! included), utilization's denominator; a fixed station's is its workers
//! times the window. The cost covers the whole run, warmup and drain
//! included, and bills workers still provisioning: Σ worker-hours × the
//! station's `cost_per_hour`. Replications add, like revenue.

use crate::contract::names::business::{COST, COST_PER_ORDER, ORDERS_PLACED};
use crate::metrics::result::{RunResult, StationResult};

/// Nanoseconds in an hour.
const NS_PER_HOUR: f64 = 3600e9;

/// A station's worker time over the window and its most workers.
pub struct Workers {
    /// Worker·ns over the window.
    pub area: f64,
    /// Most workers present at once.
    pub max: u32,
}

impl Workers {
    /// Of station `st` over a window of `window_ns` (summed over the
    /// replications, like its integrals). A result that recorded no worker
    /// time (written before workers could move) had its fixed workers.
    pub fn of(st: &StationResult, window_ns: f64) -> Workers {
        let s = &st.stats;
        if s.worker_area == 0 {
            Workers {
                area: st.workers as f64 * window_ns,
                max: st.workers,
            }
        } else {
            Workers {
                area: s.worker_area as f64,
                max: s.max_workers,
            }
        }
    }
}

/// `cost`, and `cost_per_order` when an order was placed.
pub fn rows(result: &RunResult) -> Vec<(String, f64)> {
    let cost: f64 = result
        .stations
        .iter()
        .map(|st| st.stats.billed_area as f64 / NS_PER_HOUR * st.cost_per_hour)
        .sum();
    let mut rows = vec![(COST.to_owned(), cost)];
    let orders = result
        .business
        .metrics
        .iter()
        .find(|m| m.name == ORDERS_PLACED)
        .map_or(0.0, |m| m.reported());
    if orders > 0.0 {
        rows.push((COST_PER_ORDER.to_owned(), cost / orders));
    }
    rows
}
