//! Routes: what each operation does, as a list of steps; some steps are
//! call graphs of their own.
//!
//! A route is a short list of [`Step`]s compiled once per scenario into a
//! route table: route `i < ops` is operation `i`'s, nested routes (the
//! branches of a `parallel`, the body of a `hold` or a group) follow. The
//! default routes below are the documented model (docs/model.md); a scenario
//! can put steps before or after them (`[routes.ACTION]`) and define its own
//! operations. Steps that depend on the session (cache hit or miss, whether
//! a login or coupon check is needed, how many cart lines) are decided when
//! the step is reached, by the model and the business layer.

use super::action::Action;
use crate::kernel::dist::Dist;
use crate::kernel::time::SimDuration;

/// Index of a route in the scenario's route table.
pub type RouteId = u16;

/// Most branches of one `parallel` step.
pub const MAX_BRANCHES: usize = 64;

/// One step of a route. Station numbers index `Scenario::stations`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Step {
    /// Queue for, and be served by, this station.
    Visit(u16),
    /// Visit this station only when the condition holds for the session.
    VisitIf(Condition, u16),
    /// Visit the cache station, then look the action's key up: a hit skips
    /// the next `skip` steps (the miss path and the fill).
    CacheLookup {
        /// The cache's station.
        station: u16,
        /// Steps skipped on a hit.
        skip: u8,
    },
    /// Store the action's key in the cache (after the miss path).
    CacheFill,
    /// Visit one shard per cart line: the shard owning the line's SKU.
    PerLine {
        /// The first shard's station.
        first: u16,
        /// Number of shards.
        shards: u16,
    },
    /// Visit the shard owning the action's subject (a SKU).
    SubjectShard {
        /// The first shard's station.
        first: u16,
        /// Number of shards.
        shards: u16,
    },
    /// Visit the payment station of the session's payment method (this
    /// station when the method has none of its own).
    Payment(u16),
    /// A business step between stations: it may fail the request or send
    /// it back some steps (a retry).
    Effect(Effect),
    /// Visit this station with probability `p` (one uniform draw).
    VisitP {
        /// The station.
        station: u16,
        /// Probability, in `[0, 1]`.
        p: f64,
    },
    /// Routes `first..first + n` start together; the step completes when
    /// `need` of them have.
    Parallel {
        /// The first branch's route.
        first: RouteId,
        /// Branches.
        n: u16,
        /// Branches that must complete.
        need: u16,
        /// Cancel the branches still running once the step is over.
        cancel: bool,
    },
    /// `n` identical calls: call `i` visits station `first + i % shards`;
    /// the step completes when `need` of them have.
    Fanout {
        /// The first shard's station.
        first: u16,
        /// Shards (1: every call shares the station's queue).
        shards: u16,
        /// Calls.
        n: u16,
        /// Calls that must complete.
        need: u16,
        /// Cancel the calls still running once the step is over.
        cancel: bool,
    },
    /// Up to `max` copies of one call, copy `k + 1` sent `after` after
    /// copy `k` while none has succeeded; the first success wins.
    Hedge {
        /// The station.
        station: u16,
        /// Delay between copies.
        after: SimDuration,
        /// Copies, the first included.
        max: u16,
        /// Cancel the other copies once one has succeeded.
        cancel: bool,
    },
    /// Take a permit of pool station `pool`, run route `route`, release.
    Hold {
        /// The pool's station.
        pool: u16,
        /// The route run while the permit is held.
        route: RouteId,
    },
    /// Run route `route` as one step: one call to a layer of services,
    /// under the client policies `policy` of its call site (timeout,
    /// retries, breaker; [`NO_POLICY`](super::policy::NO_POLICY): none).
    Group {
        /// The route called.
        route: RouteId,
        /// The call site's policies.
        policy: super::policy::PolicyId,
    },
}

/// The nested routes a step runs, if any.
impl Step {
    /// The routes this step starts (its branches or its body).
    pub fn nested(&self) -> std::ops::Range<RouteId> {
        match *self {
            Step::Parallel { first, n, .. } => first..first + n,
            Step::Hold { route, .. } | Step::Group { route, .. } => route..route + 1,
            _ => 0..0,
        }
    }
}

/// A business step of a route (see [`Step::Effect`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Effect {
    /// Log in, or register first if the customer is new.
    Login,
    /// Check the cart (not empty, in stock, coupon valid) before paying.
    Validate,
    /// The checkout transaction, after the payment gateway answered.
    Checkout,
}

/// What a [`Step::Effect`] decided.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EffectOutcome {
    /// Go on with the next step.
    Continue,
    /// The request fails with this error.
    Fail(crate::contract::ErrorKind),
    /// Go back this many steps (e.g. to the payment station, to retry).
    Repeat(u8),
}

/// A per-session condition of a [`Step::VisitIf`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Condition {
    /// The customer is not logged in yet (login or registration).
    NeedsLogin,
    /// The customer applies a coupon code.
    HasCoupon,
}

/// A built-in station and its defaults.
#[derive(Clone, Debug)]
pub struct BuiltinStation {
    /// Name in scenarios and reports.
    pub name: &'static str,
    /// Default workers per instance.
    pub workers: u32,
    /// Default number of shards (1 unless sharded).
    pub shards: u16,
    /// Default service time, nanoseconds.
    pub service_time: Dist,
}

const MS: f64 = 1e6;

/// The stations of the default routes, with their defaults. Every default
/// service time is exponential except the search engine and the payment
/// gateway, whose latencies are heavy-tailed (log-normal).
pub fn builtin_stations() -> Vec<BuiltinStation> {
    let exp = |mean_ms: f64| Dist::Exponential { mean: mean_ms * MS };
    let st = |name, workers, shards, service_time| BuiltinStation {
        name,
        workers,
        shards,
        service_time,
    };
    vec![
        st("cache", 8, 1, exp(0.2)),
        st("catalog_db", 16, 1, exp(5.0)),
        st(
            "search",
            8,
            1,
            Dist::LogNormal {
                median: 20.0 * MS,
                sigma: 0.5,
            },
        ),
        st("cart_db", 16, 1, exp(3.0)),
        st("auth", 8, 1, exp(10.0)),
        st("coupons", 4, 1, exp(2.0)),
        st("inventory", 1, 16, exp(1.0)),
        st(
            "payment",
            32,
            1,
            Dist::LogNormal {
                median: 150.0 * MS,
                sigma: 0.4,
            },
        ),
        st("orders_db", 16, 1, exp(8.0)),
    ]
}

/// The default route of `action`. `group(name)` gives a built-in station's
/// first instance and shard count; `cache` says whether the cache is on.
pub fn default_route(action: Action, group: impl Fn(&str) -> (u16, u16), cache: bool) -> Vec<Step> {
    let station = |name| group(name).0;
    let read_through = |db: u16| {
        if cache {
            vec![
                Step::CacheLookup {
                    station: station("cache"),
                    skip: 2,
                },
                Step::Visit(db),
                Step::CacheFill,
            ]
        } else {
            vec![Step::Visit(db)]
        }
    };
    match action {
        Action::Home | Action::Browse | Action::ViewProduct => read_through(station("catalog_db")),
        Action::Search => vec![Step::Visit(station("search"))],
        Action::AddToCart | Action::ViewCart => vec![Step::Visit(station("cart_db"))],
        Action::Checkout => {
            let (first, shards) = group("inventory");
            vec![
                Step::VisitIf(Condition::NeedsLogin, station("auth")),
                Step::Effect(Effect::Login),
                Step::VisitIf(Condition::HasCoupon, station("coupons")),
                Step::PerLine { first, shards },
                Step::Effect(Effect::Validate),
                Step::Payment(station("payment")),
                Step::Effect(Effect::Checkout),
                Step::Visit(station("orders_db")),
            ]
        }
        Action::OrderStatus => vec![Step::Visit(station("orders_db"))],
        Action::Restock => {
            let (first, shards) = group("inventory");
            vec![
                Step::SubjectShard { first, shards },
                Step::Visit(station("catalog_db")),
            ]
        }
        Action::PriceChange => vec![Step::Visit(station("catalog_db"))],
        Action::CreateCoupon => vec![Step::Visit(station("coupons"))],
        Action::ShipOrder | Action::DeliverOrder | Action::CancelOrder => {
            vec![Step::Visit(station("orders_db"))]
        }
        Action::RefundOrder => vec![
            Step::Visit(station("payment")),
            Step::Visit(station("orders_db")),
        ],
    }
}
