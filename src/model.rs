//! Layer 5, the model: one implementation of what happens, driven by
//! either clock.
//!
//! A [`Model`] owns the scenario and the business and decides everything
//! the two clocks must agree on: a session's random stream, its first and
//! next actions and its think times, every step of every route (the
//! interpreter), when arrivals happen and faults open ([`arrivals`]), what a
//! fault does, the catalog cache and its warmup baseline ([`cache`]), how
//! station capacity moves ([`capacity`]), the gauges and the run's
//! result. A clock only decides *how to wait*: the
//! interpreter answers each call with [`Command`]s (queue at this station,
//! think this long, done), the clock waits its way (an event in the queue,
//! or a tokio sleep and permit) and calls back. What the model needs of the
//! clock while it decides (the time, the cache, where to record) is the
//! [`Env`] the clock passes in.
//!
//! [`shopper::ShopBusiness`] is the business of a full run (customers and
//! admins using the real shop); [`ModelOnly`] is the business of a pure
//! capacity model.

pub mod access;
mod agent;
pub mod arrivals;
pub mod cache;
mod calls;
pub mod capacity;
mod interpreter;
mod model_only;
mod patience;
mod policy;
pub mod shopper;
mod sites;
pub mod world;

use std::sync::atomic::{AtomicU64, Ordering::Relaxed};

pub use access::{Access, AccessLog};
pub use agent::{Agent, Cookie, Place, Who};
pub use cache::CatalogCache;
pub use model_only::{MODEL_CART_LINES, ModelOnly, ModelSession};

use crate::contract::ErrorKind;
use crate::contract::business::Business;
use crate::kernel::dist::Sampler;
use crate::kernel::popularity::CatalogPicker;
use crate::kernel::rng::{SimRng, StreamKind, Streams};
use crate::kernel::time::{SimDuration, SimTime};
use crate::scenario::model::{Choice, Next, Scenario};

/// What the clock must do for an agent, as the interpreter decided. One
/// call to the model may ask for several (a fan-out's calls); the clock
/// does them in order.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Command {
    /// Queue `place` at station `station`; answer with [`Model::served`]
    /// (a pool answers when it grants a permit) or [`Model::fail`].
    Visit {
        /// Who waits.
        place: Place,
        /// Where.
        station: u16,
    },
    /// `place` was cancelled: if it still waits in a queue, take it out
    /// and answer [`Model::dropped`]; if it is in service, let the service
    /// finish and answer as usual.
    Cancel {
        /// Who.
        place: Place,
    },
    /// `place` gives its permit of pool `pool` back.
    Release {
        /// Who held it.
        place: Place,
        /// The pool's station.
        pool: u16,
    },
    /// After `after`, call [`Model::timer`] with `place` and `token`.
    Timer {
        /// Whose timer.
        place: Place,
        /// When, from now.
        after: SimDuration,
        /// Handed back.
        token: u32,
    },
    /// The operation ended and the next one is chosen: wait this long (the
    /// think time), then call [`Model::begin`].
    Think(SimDuration),
    /// Closed-model user `.0` starts a new session now.
    Restart(u32),
    /// The agent is done: forget it.
    End,
}

/// What the model needs of the clock while it decides.
pub trait Env {
    /// Model time now.
    fn now(&self) -> SimTime;
    /// Runs `f` with the catalog cache (`None` when it is disabled).
    fn with_cache<R>(&mut self, f: impl FnOnce(Option<&mut CatalogCache>) -> R) -> R;
    /// Records a measured operation `op` (an action index) completing now.
    fn record(&mut self, op: usize, latency_ns: u64, error: Option<ErrorKind>);
    /// Records a measured cache lookup now.
    fn cache_lookup(&mut self, hit: bool);
    /// Records a retry sent now on behalf of a measured request of
    /// operation `op` (an action index).
    fn retried(&mut self, op: usize);
    /// Something for the clock to do once the model returns.
    fn command(&mut self, c: Command);
    /// Is an access log being written? The model builds [`Access`]
    /// records only then.
    fn logging(&self) -> bool {
        false
    }
    /// A request ended now (warmup and admins included): its access-log
    /// record.
    fn access(&mut self, _a: &Access) {}
}

/// The default memory guard: a run stops, diverged, once more requests
/// (sessions and admin operations) than this are in flight at once. Each
/// holds a few hundred bytes, so this is about 1.5 GB.
pub const MAX_IN_FLIGHT: usize = 5_000_000;

/// A run whose virtual time has not moved for this many events has
/// diverged: something happens again and again at one instant.
pub const MAX_EVENTS_AT_ONE_INSTANT: u64 = 100_000_000;

/// Progress, as reported to the caller's control callback.
#[derive(Clone, Copy, Debug)]
pub struct Progress<'a> {
    /// Model time reached.
    pub now: SimTime,
    /// Events processed.
    pub events: u64,
    /// Sessions in flight.
    pub active: usize,
    /// A station the queue watch has just flagged unstable: the clock
    /// calls back at once with it, so the user hears of it while the run
    /// goes on.
    pub alert: Option<&'a crate::metrics::watch::Unstable>,
}

/// Why a run could not be set up. Each variant keeps its typed cause
/// ([`std::error::Error::source`]).
#[derive(Debug, thiserror::Error)]
pub enum SetupError {
    /// The shop rejected the configuration the scenario describes.
    #[error("cannot set the run up: {0}")]
    Config(#[from] crate::shop::ConfigError),
    /// The shop refused an account of the setup (registering the
    /// customers, logging the admin in).
    #[error("cannot set the run up: {0}")]
    Shop(#[from] crate::shop::ShopError),
    /// The wall clock's tokio runtime could not start.
    #[error("cannot set the run up: cannot start the tokio runtime: {0}")]
    Runtime(#[source] std::io::Error),
}

/// The model of one run: a scenario and the business its actions use.
/// Shared by reference between the wall clock's threads (`Sync` when the
/// business is).
pub struct Model<B: Business> {
    sc: Scenario,
    business: B,
    picker: CatalogPicker,
    think: Sampler,
    warmup: SimTime,
    end: SimTime,
    used: Vec<bool>,
    sessions: AtomicU64,
    /// Session `n` draws from `session_streams.at(n)`.
    session_streams: Streams,
    measured: AtomicU64,
    admins: AtomicU64,
    /// How long customers wait for one action (none: for ever).
    patience: Option<Sampler>,
    /// A customer's reload after an error: its probability and pause.
    reload: Option<(f64, Sampler)>,
    /// The call sites' budgets and breakers.
    sites: sites::Sites,
    /// Measured sessions abandoned by an impatient customer.
    abandoned: AtomicU64,
    /// Reloads by customers of measured sessions after an error.
    reloads: AtomicU64,
}

impl<B: Business> Model<B> {
    /// The model of `sc` with `business`.
    pub fn new(sc: &Scenario, business: B) -> Self {
        let c = &sc.catalog;
        Model {
            sc: sc.clone(),
            business,
            picker: CatalogPicker::with(c.products, c.categories, c.popularity),
            think: sc.think_time.sampler().unwrap_or(Sampler::Constant(0.0)),
            warmup: SimTime::ZERO + sc.warmup,
            end: SimTime::ZERO + sc.duration,
            used: sc.used_stations(),
            sessions: AtomicU64::new(0),
            session_streams: Streams::new(sc.seed, StreamKind::Session),
            measured: AtomicU64::new(0),
            admins: AtomicU64::new(0),
            patience: sc
                .customers
                .patience
                .as_ref()
                .and_then(|d| d.sampler().ok()),
            reload: sc.customers.retry_on_error.as_ref().map(|r| {
                let after = r.after.sampler().unwrap_or(Sampler::Constant(0.0));
                (r.p, after)
            }),
            sites: sites::Sites::new(&sc.policies, SimTime::ZERO + sc.warmup),
            abandoned: AtomicU64::new(0),
            reloads: AtomicU64::new(0),
        }
    }

    /// The scenario.
    pub fn scenario(&self) -> &Scenario {
        &self.sc
    }

    /// The business layer (to read its state after a run).
    pub fn business(&self) -> &B {
        &self.business
    }

    /// The business layer, taking the model apart.
    pub fn into_business(self) -> B {
        self.business
    }

    /// The end of the warmup: statistics count what started from here.
    pub fn warmup(&self) -> SimTime {
        self.warmup
    }

    /// Arrivals stop here (the scenario's duration).
    pub fn end_of_arrivals(&self) -> SimTime {
        self.end
    }

    /// Sessions started so far.
    pub fn sessions_started(&self) -> u64 {
        self.sessions.load(Relaxed)
    }

    /// Sessions started since the end of the warmup.
    pub fn sessions_measured(&self) -> u64 {
        self.measured.load(Relaxed)
    }

    /// Measured sessions abandoned by an impatient customer.
    pub fn sessions_abandoned(&self) -> u64 {
        self.abandoned.load(Relaxed)
    }

    /// Reloads after an error, by customers of measured sessions.
    pub fn customer_retries(&self) -> u64 {
        self.reloads.load(Relaxed)
    }
}

/// Draws from a discrete choice; a single certain option draws nothing.
#[inline]
pub fn choose(ch: &Choice, rng: &mut SimRng) -> Next {
    use rand::RngExt;
    if let [(only, _)] = ch.options.as_slice() {
        return *only;
    }
    let u: f64 = rng.random();
    let mut acc = 0.0;
    for &(next, p) in &ch.options {
        acc += p;
        if u < acc {
            return next;
        }
    }
    // Rounding left `u` above the sum: take the last option with weight.
    ch.options
        .iter()
        .rev()
        .find(|o| o.1 > 0.0)
        .map_or(Next::Leave, |o| o.0)
}
