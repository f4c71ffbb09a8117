//! The simulated backend: the catalog cache, the stations and their
//! groups, the route edits around the default routes, and the faults that
//! degrade them.
//!
//! Station and group indices here are positions in
//! [`Scenario::stations`](super::Scenario::stations) and
//! [`Scenario::groups`](super::Scenario::groups); validation
//! (`validate/backend.rs`) checked every one.

use crate::backend::cache::Policy;
use crate::backend::station::StationPolicy;
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

/// What a station is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StationKind {
    /// Workers that serve each request for a sampled service time.
    Servers,
    /// `kind = "pool"`: permits held around a nested route (a connection
    /// pool); no service time of its own.
    Pool,
}

/// One station instance: a pool of workers in front of a queue.
#[derive(Clone, Debug, PartialEq)]
pub struct StationSpec {
    /// Report name: the group's name, with `[shard]` for shards.
    pub name: String,
    /// Index of the group this instance belongs to.
    pub group: u16,
    /// Servers, or a pool of permits.
    pub kind: StationKind,
    /// Parallel servers (a pool's `size`), >= 1.
    pub workers: u32,
    /// Service time, in nanoseconds.
    pub service_time: Dist,
    /// Waiting room; `None` is unbounded, `Some(0)` rejects when all busy.
    pub queue_limit: Option<u32>,
    /// A request waiting longer gives up; `None` waits for ever.
    pub timeout: Option<SimDuration>,
    /// Queue discipline, shedding and failures (defaults: FIFO, never
    /// shed, never fail; a pool has only a discipline).
    pub policy: StationPolicy,
    /// How the workers move (default fixed: `workers` all along);
    /// `workers` is then the starting count.
    pub capacity: super::Capacity,
    /// Price of one worker-hour, in the shop's currency (default 0).
    pub cost_per_hour: f64,
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

/// How many calls of a `parallel` or `fanout` step must complete.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Wait {
    /// Every one.
    All,
    /// The first.
    Any,
    /// This many.
    K(u16),
}

impl Wait {
    /// Calls that must complete out of `n`.
    pub fn need(self, n: u16) -> u16 {
        match self {
            Wait::All => n,
            Wait::Any => 1,
            Wait::K(k) => k,
        }
    }
}

/// A step of a route as the scenario wrote it, validated, station groups
/// by index. Kept to write the resolved scenario; compiled into the route
/// table's steps.
#[derive(Clone, Debug, PartialEq)]
pub enum RouteNode {
    /// `"station"`, or `{ visit = "station", p = 0.3 }`.
    Visit {
        /// The station group.
        group: u16,
        /// Probability of the visit (`None`: always).
        p: Option<f64>,
    },
    /// `{ parallel = [[...], ...], wait = ..., cancel = ... }`.
    Parallel {
        /// The branches, each a route.
        branches: Vec<Vec<RouteNode>>,
        /// How many must complete.
        wait: Wait,
        /// Cancel the others once the step is over.
        cancel: bool,
    },
    /// `{ fanout = "station", n = 20, wait = ..., cancel = ... }`.
    Fanout {
        /// The station group (call `i` goes to shard `i mod shards`).
        group: u16,
        /// Calls.
        n: u16,
        /// How many must complete.
        wait: Wait,
        /// Cancel the others once the step is over.
        cancel: bool,
    },
    /// `{ hedge = "station", after = "10ms", max = 2, cancel = ... }`.
    Hedge {
        /// The station group.
        group: u16,
        /// Delay between copies.
        after: SimDuration,
        /// Copies, the first included.
        max: u16,
        /// Cancel the other copies once one has succeeded.
        cancel: bool,
    },
    /// `{ hold = "pool", route = [...] }`.
    Hold {
        /// The pool's group.
        pool: u16,
        /// The route run while a permit is held.
        route: Vec<RouteNode>,
    },
    /// `{ route = [...] }`: one step made of a route.
    Group(Vec<RouteNode>),
    /// A step with client policies (`timeout`, `retry`, `breaker`): one
    /// call site.
    Guarded {
        /// The step itself.
        inner: Box<RouteNode>,
        /// Its policies.
        policy: Box<crate::contract::policy::CallPolicy>,
    },
}

/// Extra steps around an action's default route, and a pool held around
/// all of it.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct RouteEdit {
    /// Run before the default route, in order.
    pub prepend: Vec<RouteNode>,
    /// Run after the default route, in order.
    pub append: Vec<RouteNode>,
    /// A pool (group) whose permit is held around the whole route.
    pub hold: Option<u16>,
}

/// `[operations.NAME]`: an operation of the scenario's own, whose cost is
/// its route (it touches no shop state).
#[derive(Clone, Debug, PartialEq)]
pub struct Operation {
    /// Name in behaviour and reports.
    pub name: String,
    /// What it does.
    pub route: Vec<RouteNode>,
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
