//! The valid scenarios every fuzz case starts from: the bundled ones with
//! a small setup, and small ones covering what they leave out (a closed
//! load, replications, faults of every kind, coupons of every kind,
//! thresholds, every route construct, pools, a sharded custom station, a
//! custom payment gateway).

use std::path::PathBuf;

use toml::{Table, Value};

const MINIMAL: &str = r#"
[scenario]
duration = "5s"
[load]
type = "open"
rate = 10.0
[behavior]
start = "home"
[behavior.transitions]
home = { leave = 1.0 }
"#;

const CLOSED_SHOP: &str = r#"
[scenario]
name = "fuzz_closed"
duration = "20s"
warmup = "1s"
report_interval = "2s"
seed = 3
replications = 2
[load]
type = "closed"
users = 50
ramp_up = "2s"
think_time = { dist = "gamma", mean = "500ms", cv = 0.5 }
[behavior]
start = { home = 0.6, search = 0.4 }
[behavior.transitions]
home = { view_product = 0.7, leave = 0.3 }
search = { view_product = 0.9, leave = 0.1 }
view_product = { add_to_cart = 0.5, leave = 0.5 }
add_to_cart = { checkout = 0.6, view_cart = 0.2, leave = 0.2 }
view_cart = { checkout = 0.5, leave = 0.5 }
checkout = { order_status = 0.5, leave = 0.5 }
order_status = { leave = 1.0 }
[catalog]
products = 200
categories = 5
popularity = { dist = "uniform" }
price = { dist = "uniform", min = 1.0, max = 90.0 }
stock = { dist = "constant", value = 20 }
doorbusters = { count = 2, stock = 5, discount_pct = 40 }
[shop]
shipping_fee = 3.5
free_shipping_over = 40.0
tax_pct = 20.0
password_iterations = 2
max_cart_lines = 4
[customers]
registered = 100
returning = 0.8
coupon_share = 0.5
quantity = { dist = "uniform", min = 1, max = 3 }
recently_viewed = 0.5
[[coupons]]
code = "TEN"
kind = "percent"
value = 10
global_limit = 30
per_customer_limit = 1
[[coupons]]
code = "SHIP"
kind = "free_shipping"
valid_from = "1s"
valid_until = "15s"
category = 2
weight = 2.0
[[coupons]]
code = "FIVE"
kind = "fixed"
value = 5.0
min_order = 20.0
[payments]
max_retries = 1
card = { share = 0.5, decline_rate = 0.1, timeout_rate = 0.1 }
cash_on_delivery = { share = 0.5 }
[admin]
restock_rate = 1.0
restock_quantity = 10
price_change_rate = 0.5
coupon_rate = 0.2
ship_rate = 2.0
deliver_rate = 1.0
cancel_rate = 0.5
refund_rate = 0.2
[cache]
capacity = 50
policy = "fifo"
ttl = "3s"
[stations.payment]
workers = 2
queue_limit = 5
timeout = "1s"
[[faults]]
kind = "slow"
station = "payment"
factor = 4.0
at = "2s"
for = "3s"
[[faults]]
kind = "outage"
station = "catalog_db"
mode = "hang"
at = "4s"
for = "1s"
[[faults]]
kind = "cache_flush"
at = "1s"
[[faults]]
kind = "payment_declines"
at = "0s"
for = "2s"
decline_rate = 0.5
[thresholds]
checkout.p99_ms = "< 2000"
"ALL.error_rate" = "<= 0.5"
cache.hit_rate = ">= 0"
"business.conversion_rate" = "> 0"
"#;

const CALL_GRAPH: &str = r#"
[scenario]
duration = "10s"
[load]
type = "open"
stages = [{ at = "0s", rate = 5.0 }, { at = "2s", rate = 50.0 }, { at = "5s", rate = 0.0 }]
[behavior]
start = { op_x = 0.5, checkout = 0.3, home = 0.2 }
[behavior.transitions]
op_x = { op_y = 0.3, leave = 0.7 }
op_y = { leave = 1.0 }
home = { leave = 1.0 }
checkout = { leave = 1.0 }
[operations.op_x]
route = [
  { visit = "svc_a", p = 0.5 },
  { parallel = [["svc_a"], ["svc_b", { route = ["svc_a"] }]], wait = "any", cancel = true },
  { fanout = "shards_a", n = 8, wait = 6 },
  { hedge = "svc_b", after = "5ms", max = 3, cancel = true },
]
[operations.op_y]
route = [{ hold = "pool_a", route = ["svc_b", { fanout = "svc_a", n = 3 }] }]
[routes.checkout]
hold = "pool_a"
prepend = ["svc_a"]
append = [{ visit = "svc_b", p = 0.1 }]
[payments]
card = { station = "svc_b" }
[stations.svc_a]
workers = 2
service_time = { dist = "lognormal", median = "2ms", sigma = 0.5 }
queue_limit = 100
discipline = "lifo"
max_wait = "20ms"
[stations.svc_b]
workers = 1
service_time = { dist = "constant", value = "1ms" }
timeout = "50ms"
fail_rate = 0.1
[stations.shards_a]
shards = 4
workers = 1
service_time = { dist = "exponential", mean = "1ms" }
[stations.pool_a]
kind = "pool"
size = 3
timeout = "100ms"
[stations.inventory]
shards = 3
workers = 2
"#;

/// The small bases, by name.
pub const SMALL: [(&str, &str); 3] = [
    ("minimal.toml", MINIMAL),
    ("closed_shop.toml", CLOSED_SHOP),
    ("call_graph.toml", CALL_GRAPH),
];

/// The bases: (label, text).
pub fn bases() -> Vec<(String, String)> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("scenarios");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("scenarios/ exists")
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .collect();
    files.sort();
    let mut out: Vec<(String, String)> = files
        .iter()
        .map(|p| {
            let text = std::fs::read_to_string(p).expect("read a bundled scenario");
            let name = p
                .file_name()
                .map_or(String::new(), |n| n.to_string_lossy().into());
            (name, scaled_down(&text))
        })
        .collect();
    for (name, text) in SMALL {
        out.push((name.to_string(), text.to_string()));
    }
    out
}

/// A bundled scenario with its setup made small, so that a short run of
/// it takes milliseconds: at most 5000 products and 1000 registered
/// customers (setup cost grows with both).
fn scaled_down(text: &str) -> String {
    let mut t: Table = text.parse().expect("a bundled scenario is TOML");
    let small = |t: &mut Table, section: &str, key: &str, max: i64| {
        if let Some(Value::Table(s)) = t.get_mut(section)
            && let Some(Value::Integer(v)) = s.get_mut(key)
        {
            *v = (*v).min(max);
        }
    };
    small(&mut t, "catalog", "products", 5000);
    small(&mut t, "catalog", "categories", 50);
    small(&mut t, "customers", "registered", 1000);
    toml::to_string(&t).expect("a parsed table serializes")
}
