//! The raw scenario file: a dumb serde mirror of the TOML.
//!
//! Every table denies unknown keys, so a typo is an error with a position
//! rather than a silently ignored setting. Values keep the shapes the user
//! wrote (durations as strings, counts as integers); all meaning and every
//! range check lives in `validate.rs`. The same types serialize the
//! resolved scenario (`scenario.resolved.toml`), with every default filled.

use std::collections::BTreeMap;
use std::fmt;

use serde::de::{self, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

mod capacity;
mod dist;

pub use capacity::{AutoscaleFile, ScheduleFile};
pub use dist::DistFile;

/// The whole file.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ScenarioFile {
    /// `[scenario]`: name, seed, run length.
    pub scenario: Option<ScenarioSection>,
    /// `[load]`: how sessions arrive.
    pub load: Option<LoadFile>,
    /// `[behavior]`: what a session does.
    pub behavior: Option<BehaviorFile>,
    /// `[catalog]`: products and their popularity.
    pub catalog: Option<CatalogFile>,
    /// `[cache]`: the cache in front of the catalog.
    pub cache: Option<CacheFile>,
    /// `[stations.NAME]`: worker pools.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub stations: BTreeMap<String, StationFile>,
    /// `[routes.ACTION]`: extra steps around an action's default route.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub routes: BTreeMap<String, RouteFile>,
    /// `[operations.NAME]`: the scenario's own operations.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub operations: BTreeMap<String, OperationFile>,
    /// `[shop]`: prices, taxes, accounts.
    pub shop: Option<ShopFile>,
    /// `[customers]`: who the sessions are.
    pub customers: Option<CustomersFile>,
    /// `[[coupons]]`: coupon codes.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub coupons: Vec<CouponFile>,
    /// `[payments]`: method mix and gateways.
    pub payments: Option<PaymentsFile>,
    /// `[admin]`: background admin operations.
    pub admin: Option<AdminFile>,
    /// `[[faults]]`: windows of degraded service.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub faults: Vec<FaultFile>,
    /// `[thresholds]`: `METRIC = "< 800"`, checked after the run.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub thresholds: BTreeMap<String, ThresholdFile>,
}

/// `[admin]`: rates are per second of virtual time.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct AdminFile {
    /// Restocks per second (default 0).
    pub restock_rate: Option<f64>,
    /// Units added by one restock (default 100).
    pub restock_quantity: Option<i64>,
    /// Price changes per second (default 0).
    pub price_change_rate: Option<f64>,
    /// Largest change of one price change, percent (default 10).
    pub price_change_pct: Option<f64>,
    /// Coupons created per second (default 0).
    pub coupon_rate: Option<f64>,
    /// Discount of a created coupon, percent (default 10).
    pub coupon_percent: Option<i64>,
    /// Global usage limit of a created coupon (default 100).
    pub coupon_limit: Option<i64>,
    /// Orders shipped per second, oldest first (default 0).
    pub ship_rate: Option<f64>,
    /// Shipped orders delivered per second, oldest first (default 0).
    pub deliver_rate: Option<f64>,
    /// Orders cancelled before shipment per second (default 0).
    pub cancel_rate: Option<f64>,
    /// Delivered orders refunded (returned) per second (default 0).
    pub refund_rate: Option<f64>,
}

/// `[[faults]]`: one window of degraded service.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct FaultFile {
    /// `slow`, `outage`, `cache_flush` or `payment_declines`.
    pub kind: Option<String>,
    /// When it starts.
    pub at: Option<String>,
    /// How long it lasts (not for `cache_flush`).
    #[serde(rename = "for")]
    pub lasts: Option<String>,
    /// `slow`, `outage`: the station.
    pub station: Option<String>,
    /// `slow`: service times are multiplied by this.
    pub factor: Option<f64>,
    /// `outage`: `fail_fast` (requests fail at once) or `hang` (they queue
    /// and time out).
    pub mode: Option<String>,
    /// `payment_declines`: the decline probability of every method.
    pub decline_rate: Option<f64>,
}

/// A threshold: an expression such as `"< 800"`, or a table of them when
/// the metric was written as a dotted key (`checkout.p99_ms = "< 800"`).
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(untagged)]
pub enum ThresholdFile {
    /// `"< 800"`, `"<= 0.01"`, `"> 0.9"`.
    Expr(String),
    /// The rest of a dotted metric name.
    Nested(BTreeMap<String, ThresholdFile>),
}

/// `[scenario]`.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ScenarioSection {
    /// Report name (default: the file's stem).
    pub name: Option<String>,
    /// What question the scenario answers.
    pub description: Option<String>,
    /// Run seed (default 1).
    pub seed: Option<i64>,
    /// Arrival window, e.g. `"10m"`.
    pub duration: Option<String>,
    /// Excluded from statistics (default `"0s"`).
    pub warmup: Option<String>,
    /// Time-series bucket (default: duration / 60, at least 1s).
    pub report_interval: Option<String>,
    /// Independent replications, merged into one report (default 1).
    pub replications: Option<i64>,
}

/// `[load]`.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct LoadFile {
    /// `"open"`, `"closed"` or `"replay"`.
    #[serde(rename = "type")]
    pub kind: Option<String>,
    /// Replay: the CSV trace of arrivals (`t` in seconds, or an RFC 3339
    /// `timestamp`; an optional `action`), relative to the scenario file.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub file: Option<String>,
    /// Replay: the trace file's SHA-256, checked when given.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sha256: Option<String>,
    /// Replay: playback speed (default 1; 2 plays it twice as fast).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub speed: Option<f64>,
    /// Open: constant session arrival rate per second.
    pub rate: Option<f64>,
    /// Open: piecewise-linear rate profile.
    pub stages: Option<Vec<StageFile>>,
    /// Closed: number of concurrent users.
    pub users: Option<i64>,
    /// Closed: users start evenly spread over this span (default `"0s"`).
    pub ramp_up: Option<String>,
    /// Pause between a session's actions (default zero).
    pub think_time: Option<DistFile>,
}

/// One knot of a rate profile.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct StageFile {
    /// When this rate applies.
    pub at: Option<String>,
    /// Sessions per second at `at`.
    pub rate: Option<f64>,
}

/// `[behavior]`.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct BehaviorFile {
    /// The first action: a name, or a table of probabilities.
    pub start: Option<StartFile>,
    /// Per action, the probabilities of the next action (`leave` ends).
    #[serde(default)]
    pub transitions: BTreeMap<String, BTreeMap<String, f64>>,
}

/// `start = "home"` or `start = { home = 0.7, view_product = 0.3 }`.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(untagged)]
pub enum StartFile {
    /// Always this action.
    One(String),
    /// One of these, by probability.
    Mix(BTreeMap<String, f64>),
}

/// `[catalog]`.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct CatalogFile {
    /// Number of products (default 1000).
    pub products: Option<i64>,
    /// Number of categories (default 20).
    pub categories: Option<i64>,
    /// Product popularity by rank.
    pub popularity: Option<PopularityFile>,
    /// Unit price distribution, in currency units (plain numbers).
    pub price: Option<DistFile>,
    /// Initial stock per SKU distribution (units, plain numbers).
    pub stock: Option<DistFile>,
    /// The most popular products sold cheap from small stock.
    pub doorbusters: Option<DoorbustersFile>,
}

/// `doorbusters = { count = 10, stock = 150, discount_pct = 60 }`.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct DoorbustersFile {
    /// How many (the top-ranked products).
    pub count: Option<i64>,
    /// Initial stock of each.
    pub stock: Option<i64>,
    /// Discount off the drawn price, percent.
    pub discount_pct: Option<f64>,
}

/// `[shop]`: prices, taxes, accounts.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ShopFile {
    /// Flat shipping fee (currency units).
    pub shipping_fee: Option<f64>,
    /// Orders at or above this subtotal ship free (currency units).
    pub free_shipping_over: Option<f64>,
    /// Tax rate, percent.
    pub tax_pct: Option<f64>,
    /// PBKDF2 iterations per password hash.
    pub password_iterations: Option<i64>,
    /// Most distinct products in a cart.
    pub max_cart_lines: Option<i64>,
}

/// `[customers]`: who the sessions are.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct CustomersFile {
    /// Registered customers that exist when the run starts.
    pub registered: Option<i64>,
    /// Share of sessions by a registered (returning) customer.
    pub returning: Option<f64>,
    /// Share of sessions that hold a coupon code.
    pub coupon_share: Option<f64>,
    /// Units per `add_to_cart` (plain numbers).
    pub quantity: Option<DistFile>,
    /// Probability that `add_to_cart` takes a recently viewed product.
    pub recently_viewed: Option<f64>,
    /// How long a customer waits for one action before leaving (a time
    /// distribution; none: for ever).
    pub patience: Option<DistFile>,
    /// `{ p, after }`: a customer who gets an error repeats the action
    /// with probability `p`, after a pause drawn from `after`.
    pub retry_on_error: Option<RetryOnErrorFile>,
}

/// `[customers] retry_on_error = { p = 0.5, after = "2s" }`.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RetryOnErrorFile {
    /// Probability of a reload after an error.
    pub p: Option<f64>,
    /// The pause before it (a time distribution; default 1 s).
    pub after: Option<DistFile>,
}

/// `[[coupons]]`.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct CouponFile {
    /// The code customers type.
    pub code: Option<String>,
    /// `percent`, `fixed` or `free_shipping`.
    pub kind: Option<String>,
    /// Percent off (`percent`) or amount off in currency units (`fixed`).
    pub value: Option<f64>,
    /// Minimum order subtotal, currency units.
    pub min_order: Option<f64>,
    /// Valid from this time of the run.
    pub valid_from: Option<String>,
    /// Valid until this time of the run.
    pub valid_until: Option<String>,
    /// Only products of this category (index) are discounted.
    pub category: Option<i64>,
    /// Most redemptions in total.
    pub global_limit: Option<i64>,
    /// Most redemptions per customer.
    pub per_customer_limit: Option<i64>,
    /// Relative share of coupon-holding sessions that hold this code.
    pub weight: Option<f64>,
}

/// `[payments]`: method mix and gateway behaviour.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct PaymentsFile {
    /// Retries of a checkout after a gateway timeout, same idempotency key.
    pub max_retries: Option<i64>,
    /// `[payments.card]`.
    pub card: Option<MethodFile>,
    /// `[payments.wallet]`.
    pub wallet: Option<MethodFile>,
    /// `[payments.bank_transfer]`.
    pub bank_transfer: Option<MethodFile>,
    /// `[payments.cash_on_delivery]`.
    pub cash_on_delivery: Option<MethodFile>,
}

/// One payment method.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct MethodFile {
    /// Relative share of checkouts paying this way (0 disables it).
    pub share: Option<f64>,
    /// Probability the payment is declined.
    pub decline_rate: Option<f64>,
    /// Probability the gateway times out (not for wallet and cash).
    pub timeout_rate: Option<f64>,
    /// The station of this method's gateway (default `payment`).
    pub station: Option<String>,
}

/// `popularity = { dist = "zipf", exponent = 1.0 }` or `{ dist = "uniform" }`.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct PopularityFile {
    /// `"zipf"` or `"uniform"`.
    pub dist: Option<String>,
    /// Zipf exponent (default 1.0).
    pub exponent: Option<f64>,
}

/// `[cache]`.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct CacheFile {
    /// Whether reads go through the cache (default true).
    pub enabled: Option<bool>,
    /// Entries held (default 1000).
    pub capacity: Option<i64>,
    /// `"lru"`, `"lfu"` or `"fifo"` (default `"lru"`).
    pub policy: Option<String>,
    /// Entry lifetime in virtual time (absent: no expiry).
    pub ttl: Option<String>,
}

/// `[stations.NAME]`.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct StationFile {
    /// `"servers"` (default) or `"pool"`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    /// A pool's permits.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub size: Option<i64>,
    /// Parallel servers.
    pub workers: Option<i64>,
    /// Inventory only: number of lock shards, each a station of `workers`.
    pub shards: Option<i64>,
    /// Time to serve one request.
    pub service_time: Option<DistFile>,
    /// Waiting room size; a request arriving to a full queue is rejected.
    pub queue_limit: Option<i64>,
    /// A request waiting longer than this gives up (an error).
    pub timeout: Option<String>,
    /// `"fifo"` (default) or `"lifo"`: which waiting request a free worker
    /// takes.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub discipline: Option<String>,
    /// A request that has waited this long when a worker takes it is shed
    /// (absent: never).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_wait: Option<String>,
    /// Probability that a service fails at its end (default 0).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fail_rate: Option<f64>,
    /// Workers over time: `[{ at = "0s", workers = 8 }, ...]`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub schedule: Option<Vec<ScheduleFile>>,
    /// Price of a worker-hour (default 0).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cost_per_hour: Option<f64>,
    /// `[stations.NAME.autoscale]`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub autoscale: Option<AutoscaleFile>,
}

/// A route: a list of steps in the route language (docs/scenario.md). Each
/// step is a station name or an inline table; `validate/routes.rs` reads
/// them, checking every key, so a typo is still an error with a position.
pub type RouteSteps = Vec<toml::Value>;

/// `[routes.ACTION]`.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RouteFile {
    /// Steps run before the default route.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub prepend: RouteSteps,
    /// Steps run after the default route.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub append: RouteSteps,
    /// A pool whose permit is held around the whole route.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hold: Option<String>,
}

/// `[operations.NAME]`.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct OperationFile {
    /// What the operation does.
    #[serde(default)]
    pub route: RouteSteps,
}

/// A distribution parameter: a duration string (`"5ms"`) or a number.
#[derive(Clone, Debug, PartialEq)]
pub enum Quantity {
    /// As written, e.g. `"250us"`.
    Text(String),
    /// A plain number.
    Number(f64),
}

impl Serialize for Quantity {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Quantity::Text(t) => s.serialize_str(t),
            Quantity::Number(n) => s.serialize_f64(*n),
        }
    }
}

impl<'de> Deserialize<'de> for Quantity {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = Quantity;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a duration such as \"5ms\" or a number")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Quantity, E> {
                Ok(Quantity::Text(v.to_owned()))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Quantity, E> {
                Ok(Quantity::Number(v as f64))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Quantity, E> {
                Ok(Quantity::Number(v as f64))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Quantity, E> {
                Ok(Quantity::Number(v))
            }
        }
        d.deserialize_any(V)
    }
}
