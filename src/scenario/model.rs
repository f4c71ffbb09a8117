//! The validated scenario: typed, complete, every default filled in.
//!
//! Built only by `validate.rs`, so holding a [`Scenario`] means every range
//! and cross-reference check passed. Defaults are documented here, where
//! they are defined; `docs/scenario.md` repeats them for users.

use crate::contract::action::{Action, N_ACTIONS};
use crate::contract::route::Step;
use crate::kernel::dist::Dist;
use crate::kernel::time::SimDuration;
use crate::shop::cache::Policy;

/// Default run seed: fixed, never random, so a run can always be replayed.
pub const DEFAULT_SEED: u64 = 1;
/// Default catalog size.
pub const DEFAULT_PRODUCTS: u32 = 1000;
/// Default number of categories.
pub const DEFAULT_CATEGORIES: u32 = 20;
/// Default Zipf exponent of product popularity.
pub const DEFAULT_ZIPF_EXPONENT: f64 = 1.0;
/// Default cache capacity in entries.
pub const DEFAULT_CACHE_CAPACITY: u32 = 1000;

/// A complete, validated scenario.
#[derive(Clone, Debug)]
pub struct Scenario {
    /// Report name (default: the scenario file's stem).
    pub name: String,
    /// What the scenario asks (default empty).
    pub description: String,
    /// Run seed (default [`DEFAULT_SEED`]).
    pub seed: u64,
    /// Arrival window: no session starts at or after it. Required.
    pub duration: SimDuration,
    /// Leading span excluded from every statistic (default zero).
    pub warmup: SimDuration,
    /// Time-series bucket (default: duration / 60, whole seconds, >= 1s).
    pub report_interval: SimDuration,
    /// Independent replications merged into the report (default 1).
    pub replications: u32,
    /// How sessions arrive.
    pub load: Load,
    /// Pause before each action after the first (default zero).
    pub think_time: Dist,
    /// What sessions do.
    pub behavior: Behavior,
    /// Products and popularity.
    pub catalog: Catalog,
    /// The catalog cache.
    pub cache: CacheSpec,
    /// Every station, by index; a sharded group is consecutive entries.
    pub stations: Vec<StationSpec>,
    /// Stations as configured (one per `[stations.NAME]`, shards folded).
    pub groups: Vec<StationGroup>,
    /// Per action (by index), the steps of its route.
    pub routes: [Vec<Step>; N_ACTIONS],
    /// Per action, extra station groups before/after the default route.
    pub route_edits: [RouteEdit; N_ACTIONS],
    /// `[shop]`.
    pub shop: ShopSpec,
    /// `[customers]`.
    pub customers: Customers,
    /// `[[coupons]]`, in file order.
    pub coupons: Vec<Coupon>,
    /// `[payments]`.
    pub payments: Payments,
    /// Background admin operations.
    pub admin: AdminSpec,
    /// Windows of degraded service, in file order.
    pub faults: Vec<Fault>,
    /// Pass/fail conditions on report metrics, in metric-name order.
    pub thresholds: Vec<Threshold>,
}

/// `[admin]`: Poisson streams of admin operations.
#[derive(Clone, Debug, PartialEq)]
pub struct AdminSpec {
    /// Restocks per second (default 0).
    pub restock_rate: f64,
    /// Units per restock (default 100).
    pub restock_quantity: u32,
    /// Price changes per second (default 0).
    pub price_change_rate: f64,
    /// Largest relative change of a price change, percent (default 10).
    pub price_change_pct: f64,
    /// Coupons created per second (default 0).
    pub coupon_rate: f64,
    /// Discount of a created coupon, percent (default 10).
    pub coupon_percent: u32,
    /// Global limit of a created coupon (default 100).
    pub coupon_limit: u32,
    /// Orders shipped per second, oldest first (default 0).
    pub ship_rate: f64,
    /// Shipped orders delivered per second, oldest first (default 0).
    pub deliver_rate: f64,
    /// Orders not yet shipped cancelled per second, at the customer's
    /// request (default 0).
    pub cancel_rate: f64,
    /// Delivered orders returned and refunded per second (default 0).
    pub refund_rate: f64,
}

impl Default for AdminSpec {
    fn default() -> Self {
        AdminSpec {
            restock_rate: 0.0,
            restock_quantity: 100,
            price_change_rate: 0.0,
            price_change_pct: 10.0,
            coupon_rate: 0.0,
            coupon_percent: 10,
            coupon_limit: 100,
            ship_rate: 0.0,
            deliver_rate: 0.0,
            cancel_rate: 0.0,
            refund_rate: 0.0,
        }
    }
}

impl AdminSpec {
    /// Operations per second of admin operation `op` (0 for customer actions).
    pub fn rate(&self, op: Action) -> f64 {
        match op {
            Action::Restock => self.restock_rate,
            Action::PriceChange => self.price_change_rate,
            Action::CreateCoupon => self.coupon_rate,
            Action::ShipOrder => self.ship_rate,
            Action::DeliverOrder => self.deliver_rate,
            Action::CancelOrder => self.cancel_rate,
            Action::RefundOrder => self.refund_rate,
            _ => 0.0,
        }
    }
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

/// What a fault does.
#[derive(Clone, Debug, PartialEq)]
pub enum FaultKind {
    /// Service times at a station group are multiplied by `factor`.
    Slow {
        /// Station group index.
        group: u16,
        /// Multiplier, > 0.
        factor: f64,
    },
    /// A station group is out: requests fail at once, or (`hang`) wait in
    /// its queue until it returns or they time out.
    Outage {
        /// Station group index.
        group: u16,
        /// Queue instead of failing fast.
        hang: bool,
    },
    /// The cache loses every entry.
    CacheFlush,
    /// Every payment method declines with this probability.
    PaymentDeclines {
        /// Decline probability in [0, 1].
        rate: f64,
    },
}

/// A comparison of a threshold.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Cmp {
    /// `<`
    Lt,
    /// `<=`
    Le,
    /// `>`
    Gt,
    /// `>=`
    Ge,
    /// `==`
    Eq,
}

impl Cmp {
    /// Does `actual CMP bound` hold?
    pub fn holds(self, actual: f64, bound: f64) -> bool {
        match self {
            Cmp::Lt => actual < bound,
            Cmp::Le => actual <= bound,
            Cmp::Gt => actual > bound,
            Cmp::Ge => actual >= bound,
            Cmp::Eq => actual == bound,
        }
    }

    /// Splits a leading operator off `text`: `"<= 5"` → `(Le, " 5")`.
    pub fn strip_prefix(text: &str) -> Option<(Cmp, &str)> {
        [
            ("<=", Cmp::Le),
            (">=", Cmp::Ge),
            ("==", Cmp::Eq),
            ("<", Cmp::Lt),
            (">", Cmp::Gt),
        ]
        .into_iter()
        .find_map(|(sym, cmp)| text.strip_prefix(sym).map(|rest| (cmp, rest)))
    }

    /// The operator as written.
    pub fn symbol(self) -> &'static str {
        match self {
            Cmp::Lt => "<",
            Cmp::Le => "<=",
            Cmp::Gt => ">",
            Cmp::Ge => ">=",
            Cmp::Eq => "==",
        }
    }
}

/// `METRIC = "CMP VALUE"` from `[thresholds]`.
#[derive(Clone, Debug, PartialEq)]
pub struct Threshold {
    /// Metric name, e.g. `checkout.p99_ms` (units as in the CSV column).
    pub metric: String,
    /// The comparison.
    pub cmp: Cmp,
    /// The bound.
    pub value: f64,
}

impl Threshold {
    /// The condition as written, normalised: `< 800`.
    pub fn expected(&self) -> String {
        format!("{} {}", self.cmp.symbol(), self.value)
    }
}

/// The arrival process.
#[derive(Clone, Debug, PartialEq)]
pub enum Load {
    /// Poisson arrivals with a piecewise-linear rate.
    Open {
        /// `(at, sessions per second)` knots; the first at zero.
        stages: Vec<(SimDuration, f64)>,
        /// True when written as a single `rate` (kept for the resolved file).
        constant: bool,
    },
    /// A fixed population, each starting a new session when one ends.
    Closed {
        /// Number of users.
        users: u32,
        /// Users start evenly spread over this span (default zero).
        ramp_up: SimDuration,
    },
}

/// The next step of a session: an action or leaving.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Next {
    /// Take this action.
    Act(Action),
    /// End the session.
    Leave,
}

/// A discrete choice of the next step, as cumulative probabilities.
#[derive(Clone, Debug, PartialEq)]
pub struct Choice {
    /// `(next, probability)` as written, in name order.
    pub options: Vec<(Next, f64)>,
}

/// The session's Markov chain.
#[derive(Clone, Debug)]
pub struct Behavior {
    /// How the first action is chosen.
    pub start: Choice,
    /// Per action (by index): the next step; `None` for actions no
    /// session can reach.
    pub transitions: [Option<Choice>; N_ACTIONS],
}

/// Product popularity by rank.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Popularity {
    /// P(rank i) proportional to 1 / i^exponent.
    Zipf {
        /// Exponent, >= 0 (default [`DEFAULT_ZIPF_EXPONENT`]).
        exponent: f64,
    },
    /// Every product equally likely.
    Uniform,
}

/// `[catalog]`.
#[derive(Clone, Debug, PartialEq)]
pub struct Catalog {
    /// Number of products (default [`DEFAULT_PRODUCTS`]).
    pub products: u32,
    /// Number of categories (default [`DEFAULT_CATEGORIES`]).
    pub categories: u32,
    /// Popularity (default Zipf with exponent 1).
    pub popularity: Popularity,
    /// Unit prices in currency units (default lognormal, median 25, sigma
    /// 0.8).
    pub price: Dist,
    /// Initial stock per SKU (default uniform 50 to 500).
    pub stock: Dist,
    /// The top-ranked products sold cheap from small stock (default none).
    pub doorbusters: Doorbusters,
}

/// Doorbusters: products of rank `0..count`.
#[derive(Clone, Debug, PartialEq)]
pub struct Doorbusters {
    /// How many (default 0).
    pub count: u32,
    /// Initial stock of each (default 100).
    pub stock: u32,
    /// Discount off the drawn price, percent (default 50).
    pub discount_pct: f64,
}

/// `[shop]`.
#[derive(Clone, Debug, PartialEq)]
pub struct ShopSpec {
    /// Flat shipping fee, cents (default 499).
    pub shipping_fee_cents: i64,
    /// Free shipping from this subtotal, cents (default 5000).
    pub free_shipping_over_cents: Option<i64>,
    /// Tax in basis points (default 800 = 8 %).
    pub tax_bps: u32,
    /// PBKDF2 iterations per password (default 1: simulation speed; a real
    /// shop uses hundreds of thousands).
    pub password_iterations: u32,
    /// Most distinct products per cart (default 32).
    pub max_cart_lines: u32,
}

/// `[customers]`.
#[derive(Clone, Debug, PartialEq)]
pub struct Customers {
    /// Registered customers at the start (default 10000).
    pub registered: u32,
    /// Share of sessions by a returning, registered customer (default 0.5).
    pub returning: f64,
    /// Share of sessions holding a coupon code (default 0).
    pub coupon_share: f64,
    /// Units per `add_to_cart` (default constant 1).
    pub quantity: Dist,
    /// Probability `add_to_cart` picks a recently viewed product (0.7).
    pub recently_viewed: f64,
}

/// What a coupon gives.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum CouponValue {
    /// Percent off, 1..=100.
    Percent(u8),
    /// An amount off, in cents.
    Fixed(i64),
    /// No shipping fee.
    FreeShipping,
}

/// `[[coupons]]`.
#[derive(Clone, Debug, PartialEq)]
pub struct Coupon {
    /// The code.
    pub code: String,
    /// What it gives.
    pub value: CouponValue,
    /// Minimum order subtotal, cents (default 0).
    pub min_order_cents: i64,
    /// Valid from (default the start).
    pub valid_from: SimDuration,
    /// Valid until (default never expires).
    pub valid_until: Option<SimDuration>,
    /// Only this category (index) is discounted.
    pub category: Option<u16>,
    /// Most redemptions in total (default unlimited).
    pub global_limit: Option<u32>,
    /// Most redemptions per customer (default unlimited).
    pub per_customer_limit: Option<u32>,
    /// Relative share among coupon holders (default 1).
    pub weight: f64,
}

/// A payment method kind.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MethodKind {
    /// `card`.
    Card,
    /// `wallet`.
    Wallet,
    /// `bank_transfer`.
    BankTransfer,
    /// `cash_on_delivery`.
    CashOnDelivery,
}

impl MethodKind {
    /// Every kind, in report order.
    pub const ALL: [MethodKind; 4] = [
        MethodKind::Card,
        MethodKind::Wallet,
        MethodKind::BankTransfer,
        MethodKind::CashOnDelivery,
    ];

    /// Scenario name.
    pub fn name(self) -> &'static str {
        match self {
            MethodKind::Card => "card",
            MethodKind::Wallet => "wallet",
            MethodKind::BankTransfer => "bank_transfer",
            MethodKind::CashOnDelivery => "cash_on_delivery",
        }
    }

    /// Can its gateway time out? (A wallet is in-house; cash is collected.)
    pub fn can_time_out(self) -> bool {
        matches!(self, MethodKind::Card | MethodKind::BankTransfer)
    }
}

/// One enabled payment method.
#[derive(Clone, Debug, PartialEq)]
pub struct Method {
    /// Which.
    pub kind: MethodKind,
    /// Relative share of checkouts.
    pub share: f64,
    /// Decline probability.
    pub decline_rate: f64,
    /// Gateway timeout probability.
    pub timeout_rate: f64,
    /// Station group of its gateway (`None`: the `payment` station).
    pub station: Option<u16>,
}

/// `[payments]`.
#[derive(Clone, Debug, PartialEq)]
pub struct Payments {
    /// Retries after a gateway timeout, same idempotency key (default 2).
    pub max_retries: u32,
    /// Methods with a positive share, in [`MethodKind::ALL`] order
    /// (defaults: card 0.7, wallet 0.15, bank transfer 0.1, cash 0.05).
    pub methods: Vec<Method>,
}

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
    /// Index of the first instance in [`Scenario::stations`].
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

impl Scenario {
    /// The group called `name`.
    pub fn group(&self, name: &str) -> Option<&StationGroup> {
        self.groups.iter().find(|g| g.name == name)
    }

    /// Per station instance: can some reachable action's route visit it?
    pub fn used_stations(&self) -> Vec<bool> {
        let mut used = vec![false; self.stations.len()];
        let mut mark = |first: u16, n: u16| {
            for i in first..first + n {
                used[i as usize] = true;
            }
        };
        for a in self.reachable_actions() {
            for step in &self.routes[a.index()] {
                match *step {
                    Step::Visit(s) | Step::VisitIf(_, s) | Step::CacheLookup { station: s, .. } => {
                        mark(s, 1)
                    }
                    Step::Payment(s) => {
                        // The default gateway, or each method's own.
                        for m in &self.payments.methods {
                            match m.station {
                                Some(g) => mark(self.groups[g as usize].first, 1),
                                None => mark(s, 1),
                            }
                        }
                    }
                    Step::PerLine { first, shards } | Step::SubjectShard { first, shards } => {
                        mark(first, shards)
                    }
                    Step::CacheFill | Step::Effect(_) => {}
                }
            }
        }
        used
    }

    /// Operations that happen in a run, in report order: actions some
    /// session can take, then admin operations with a positive rate.
    pub fn reachable_actions(&self) -> impl Iterator<Item = Action> + '_ {
        Action::ALL
            .into_iter()
            .filter(|a| self.behavior.transitions[a.index()].is_some() || self.admin.rate(*a) > 0.0)
    }
}
