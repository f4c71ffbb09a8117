//! The metric names of `business.csv`, in the order a shop run reports
//! them. The shop's business layer writes its rows with these names, and
//! scenario validation accepts a `business.NAME` threshold only for them.

/// Sessions started after the warmup (every run reports it, first).
pub const SESSIONS: &str = "sessions";
/// Of those, sessions an impatient customer abandoned (every run reports
/// it, second).
pub const SESSIONS_ABANDONED: &str = "sessions_abandoned";
/// Actions customers repeated after an error (a reload), in those sessions
/// (every run reports it, third).
pub const CUSTOMER_RETRIES: &str = "customer_retries";
/// Accounts created during the run.
pub const REGISTRATIONS: &str = "registrations";
/// Logins during the run.
pub const LOGINS: &str = "logins";
/// Sessions of new visitors.
pub const NEW_VISITORS: &str = "new_visitors";
/// Checkouts that placed an order.
pub const ORDERS_PLACED: &str = "orders_placed";
/// Orders paid (or settled on delivery).
pub const ORDERS_PAID: &str = "orders_paid";
/// Orders awaiting payment (bank transfers).
pub const ORDERS_AWAITING_PAYMENT: &str = "orders_awaiting_payment";
/// Orders shipped.
pub const ORDERS_SHIPPED: &str = "orders_shipped";
/// Orders delivered.
pub const ORDERS_DELIVERED: &str = "orders_delivered";
/// Orders cancelled.
pub const ORDERS_CANCELLED: &str = "orders_cancelled";
/// Orders refunded.
pub const ORDERS_REFUNDED: &str = "orders_refunded";
/// Checkouts that failed.
pub const CHECKOUTS_FAILED: &str = "checkouts_failed";
/// Money of paid orders, currency units.
pub const REVENUE: &str = "revenue";
/// Revenue per paid order.
pub const AVERAGE_ORDER_VALUE: &str = "average_order_value";
/// Orders per session.
pub const CONVERSION_RATE: &str = "conversion_rate";
/// Sessions that put something in the cart.
pub const SESSIONS_WITH_CART: &str = "sessions_with_cart";
/// Of which left without buying.
pub const CARTS_ABANDONED: &str = "carts_abandoned";
/// Abandoned carts per session with a cart.
pub const CART_ABANDONMENT: &str = "cart_abandonment";
/// SKUs that sold out.
pub const SKUS_SOLD_OUT: &str = "skus_sold_out";
/// Doorbusters that sold out (when the catalog has some).
pub const DOORBUSTERS_SOLD_OUT: &str = "doorbusters_sold_out";
/// When the first doorbuster sold out, seconds.
pub const FIRST_DOORBUSTER_SOLD_OUT_S: &str = "first_doorbuster_sold_out_s";
/// Coupon redemptions in total.
pub const COUPON_REDEMPTIONS: &str = "coupon_redemptions";
/// Declined payments.
pub const PAYMENT_DECLINES: &str = "payment_declines";
/// Gateway timeouts.
pub const GATEWAY_TIMEOUTS: &str = "gateway_timeouts";
/// Payments retried after a gateway timeout.
pub const PAYMENT_RETRIES: &str = "payment_retries";
/// Retries answered from the idempotency record.
pub const IDEMPOTENT_REPLAYS: &str = "idempotent_replays";
/// Money refunded, currency units.
pub const REFUNDED: &str = "refunded";

/// What the stations' workers cost over the whole run (warmup and drain
/// included), currency units: reported when a station has a
/// `cost_per_hour`.
pub const COST: &str = "cost";
/// That cost per order placed (left out when no order was placed).
pub const COST_PER_ORDER: &str = "cost_per_order";
/// The rows of a scenario whose workers have a price, last.
pub const COST_ROWS: [&str; 2] = [COST, COST_PER_ORDER];

/// The rows every run reports, first, whatever the scenario: the
/// sessions and how customers gave up or retried in them.
pub const SESSION_ROWS: [&str; 3] = [SESSIONS, SESSIONS_ABANDONED, CUSTOMER_RETRIES];

/// The rows every shop run reports after [`SESSION_ROWS`], in order.
pub const HEAD: [&str; 18] = [
    REGISTRATIONS,
    LOGINS,
    NEW_VISITORS,
    ORDERS_PLACED,
    ORDERS_PAID,
    ORDERS_AWAITING_PAYMENT,
    ORDERS_SHIPPED,
    ORDERS_DELIVERED,
    ORDERS_CANCELLED,
    ORDERS_REFUNDED,
    CHECKOUTS_FAILED,
    REVENUE,
    AVERAGE_ORDER_VALUE,
    CONVERSION_RATE,
    SESSIONS_WITH_CART,
    CARTS_ABANDONED,
    CART_ABANDONMENT,
    SKUS_SOLD_OUT,
];

/// The rows of a catalog with doorbusters, after [`HEAD`].
pub const DOORBUSTERS: [&str; 2] = [DOORBUSTERS_SOLD_OUT, FIRST_DOORBUSTER_SOLD_OUT_S];

/// The payment rows, last.
pub const TAIL: [&str; 5] = [
    PAYMENT_DECLINES,
    GATEWAY_TIMEOUTS,
    PAYMENT_RETRIES,
    IDEMPOTENT_REPLAYS,
    REFUNDED,
];

/// The redemptions of scenario coupon `code`.
pub fn coupon_redemptions(code: &str) -> String {
    format!("{COUPON_REDEMPTIONS}.{code}")
}

/// Every business metric a shop run can report, in order:
/// [`SESSION_ROWS`], [`HEAD`], [`DOORBUSTERS`] when there are some,
/// [`COUPON_REDEMPTIONS`] and one row per scenario coupon, then [`TAIL`].
pub fn names<'a>(doorbusters: bool, coupon_codes: impl Iterator<Item = &'a str>) -> Vec<String> {
    let mut n: Vec<String> = SESSION_ROWS
        .into_iter()
        .chain(HEAD)
        .map(String::from)
        .collect();
    if doorbusters {
        n.extend(DOORBUSTERS.map(String::from));
    }
    n.push(COUPON_REDEMPTIONS.into());
    n.extend(coupon_codes.map(coupon_redemptions));
    n.extend(TAIL.map(String::from));
    n
}
