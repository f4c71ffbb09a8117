//! The simulated backend: the catalog cache, the stations and their
//! groups, the route edits around the default routes, and the faults that
//! degrade them.
//!
//! Station and group indices here are positions in
//! [`Scenario::stations`](super::Scenario::stations) and
//! [`Scenario::groups`](super::Scenario::groups); validation
//! (`validate/backend.rs`) checked every one.

use crate::backend::cache::Policy;
use crate::contract::fault::FaultKind;
use crate::kernel::dist::Dist;
use crate::kernel::time::SimDuration;

/// Default cache capacity in entries.
pub const DEFAULT_CACHE_CAPACITY: u32 = 1000;

/// `[cache]`.
#[derive(Clone, Debug, PartialEq)]
pub struct CacheSpec {
    /// Whether catalog reads go through the cache (default true).
    pub enabled: bool,
    /// Entries (default [`DEFAULT_CACHE_CAPACITY`]).
    pub capacity: u32,
    /// Eviction policy (default LRU).
    pub policy: Policy,
    /// Entry lifetime (default: none).
    pub ttl: Option<SimDuration>,
}

/// One station instance: a pool of workers in front of a FIFO queue.
#[derive(Clone, Debug, PartialEq)]
pub struct StationSpec {
    /// Report name: the group's name, with `[shard]` for shards.
    pub name: String,
    /// Index of the group this instance belongs to.
    pub group: u16,
    /// Parallel servers, >= 1.
    pub workers: u32,
    /// Service time, in nanoseconds.
    pub service_time: Dist,
    /// Waiting room; `None` is unbounded, `Some(0)` rejects when all busy.
    pub queue_limit: Option<u32>,
    /// A request waiting longer gives up; `None` waits for ever.
    pub timeout: Option<SimDuration>,
}

/// A configured station: one entry, or a sharded group of entries.
#[derive(Clone, Debug, PartialEq)]
pub struct StationGroup {
    /// The `[stations.NAME]` name.
    pub name: String,
    /// Index of the first instance in [`Scenario::stations`](super::Scenario::stations).
    pub first: u16,
    /// Number of instances (shards); 1 unless sharded.
    pub shards: u16,
    /// True for the built-in stations of the default routes.
    pub builtin: bool,
}

/// Extra stations around an action's default route, by group index.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct RouteEdit {
    /// Visited before the default route, in order.
    pub prepend: Vec<u16>,
    /// Visited after the default route, in order.
    pub append: Vec<u16>,
}

/// A window of degraded service.
#[derive(Clone, Debug, PartialEq)]
pub struct Fault {
    /// Start.
    pub at: SimDuration,
    /// Length (`None` for an instant fault: a cache flush).
    pub lasts: Option<SimDuration>,
    /// What happens.
    pub kind: FaultKind,
}
