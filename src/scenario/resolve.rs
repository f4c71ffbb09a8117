//! `scenario.resolved.toml`: exactly what ran.
//!
//! The validated scenario written back in the scenario grammar with every
//! default filled in and every override applied, so loading it again gives
//! the same scenario (and the same report, byte for byte).

use std::collections::BTreeMap;

mod capacity;
mod dist;
mod policy;

pub use dist::dist_file;

use super::file::*;
use super::model::*;
use crate::contract::action::{Action, LEAVE, Op};
use crate::contract::fault::FaultKind;
use crate::kernel::popularity::Popularity;
use crate::kernel::time::SimDuration;

fn dur(d: SimDuration) -> String {
    d.to_string()
}

fn next_name(s: &Scenario, n: Next) -> String {
    match n {
        Next::Act(op) => s.op_name(op).to_owned(),
        Next::Leave => LEAVE.to_owned(),
    }
}

fn choice_table(s: &Scenario, c: &Choice) -> BTreeMap<String, f64> {
    c.options
        .iter()
        .map(|(n, p)| (next_name(s, *n), *p))
        .collect()
}

/// A route as the route language writes it, every default filled in.
fn route_value(s: &Scenario, nodes: &[RouteNode]) -> Vec<toml::Value> {
    use toml::Value;
    let name = |g: &u16| Value::String(s.groups[*g as usize].name.clone());
    let wait = |w: &Wait| match w {
        Wait::All => Value::String("all".into()),
        Wait::Any => Value::String("any".into()),
        Wait::K(k) => Value::Integer(*k as i64),
    };
    let table = |pairs: Vec<(&str, Value)>| {
        Value::Table(pairs.into_iter().map(|(k, v)| (k.to_owned(), v)).collect())
    };
    nodes
        .iter()
        .map(|n| match n {
            RouteNode::Visit { group, p: None } => name(group),
            RouteNode::Visit { group, p: Some(p) } => {
                table(vec![("visit", name(group)), ("p", Value::Float(*p))])
            }
            RouteNode::Parallel {
                branches,
                wait: w,
                cancel,
            } => table(vec![
                (
                    "parallel",
                    Value::Array(
                        branches
                            .iter()
                            .map(|b| Value::Array(route_value(s, b)))
                            .collect(),
                    ),
                ),
                ("wait", wait(w)),
                ("cancel", Value::Boolean(*cancel)),
            ]),
            RouteNode::Fanout {
                group,
                n,
                wait: w,
                cancel,
            } => table(vec![
                ("fanout", name(group)),
                ("n", Value::Integer(*n as i64)),
                ("wait", wait(w)),
                ("cancel", Value::Boolean(*cancel)),
            ]),
            RouteNode::Hedge {
                group,
                after,
                max,
                cancel,
            } => table(vec![
                ("hedge", name(group)),
                ("after", Value::String(dur(*after))),
                ("max", Value::Integer(*max as i64)),
                ("cancel", Value::Boolean(*cancel)),
            ]),
            RouteNode::Hold { pool, route } => table(vec![
                ("hold", name(pool)),
                ("route", Value::Array(route_value(s, route))),
            ]),
            RouteNode::Group(route) => table(vec![("route", Value::Array(route_value(s, route)))]),
            RouteNode::Guarded { inner, policy: p } => {
                let mut t = match route_value(s, std::slice::from_ref(inner)).pop() {
                    Some(Value::Table(t)) => t,
                    // A plain visit: `"station"` becomes `{ visit = "station" }`.
                    Some(v) => [("visit".to_owned(), v)].into_iter().collect(),
                    None => toml::map::Map::new(),
                };
                policy::write(&mut t, p);
                Value::Table(t)
            }
        })
        .collect()
}

fn money(cents: i64) -> f64 {
    cents as f64 / 100.0
}

fn coupon_file(c: &Coupon) -> CouponFile {
    let (kind, value) = match c.value {
        CouponValue::Percent(p) => ("percent", Some(p as f64)),
        CouponValue::Fixed(v) => ("fixed", Some(money(v))),
        CouponValue::FreeShipping => ("free_shipping", None),
    };
    CouponFile {
        code: Some(c.code.clone()),
        kind: Some(kind.into()),
        value,
        min_order: Some(money(c.min_order_cents)),
        valid_from: Some(dur(c.valid_from)),
        valid_until: c.valid_until.map(dur),
        category: c.category.map(|k| k as i64),
        global_limit: c.global_limit.map(|n| n as i64),
        per_customer_limit: c.per_customer_limit.map(|n| n as i64),
        weight: Some(c.weight),
    }
}

fn payments_file(s: &Scenario) -> PaymentsFile {
    let method = |kind: MethodKind| {
        Some(match s.payments.methods.iter().find(|m| m.kind == kind) {
            Some(m) => MethodFile {
                share: Some(m.share),
                decline_rate: Some(m.decline_rate),
                timeout_rate: Some(m.timeout_rate),
                station: m.station.map(|g| s.groups[g as usize].name.clone()),
            },
            None => MethodFile {
                share: Some(0.0),
                ..Default::default()
            },
        })
    };
    PaymentsFile {
        max_retries: Some(s.payments.max_retries as i64),
        card: method(MethodKind::Card),
        wallet: method(MethodKind::Wallet),
        bank_transfer: method(MethodKind::BankTransfer),
        cash_on_delivery: method(MethodKind::CashOnDelivery),
    }
}

/// The scenario as a raw file with every default filled in.
pub fn to_file(s: &Scenario) -> ScenarioFile {
    let load = match &s.load {
        Load::Open { stages, constant } => LoadFile {
            kind: Some("open".into()),
            rate: constant.then(|| stages[0].1),
            stages: (!constant).then(|| {
                stages
                    .iter()
                    .map(|(at, rate)| StageFile {
                        at: Some(dur(*at)),
                        rate: Some(*rate),
                    })
                    .collect()
            }),
            think_time: Some(dist_file(&s.think_time, true)),
            ..Default::default()
        },
        Load::Replay { trace, speed } => LoadFile {
            kind: Some("replay".into()),
            file: Some(format!(
                "{}/{}",
                crate::contract::names::DATA_DIR,
                trace.name
            )),
            sha256: Some(trace.sha256.clone()),
            speed: Some(*speed),
            think_time: Some(dist_file(&s.think_time, true)),
            ..Default::default()
        },
        Load::Closed { users, ramp_up } => LoadFile {
            kind: Some("closed".into()),
            users: Some(*users as i64),
            ramp_up: Some(dur(*ramp_up)),
            think_time: Some(dist_file(&s.think_time, true)),
            ..Default::default()
        },
    };
    let start = match s.behavior.start.options.as_slice() {
        [(n, p)] if *p == 1.0 => StartFile::One(next_name(s, *n)),
        _ => StartFile::Mix(choice_table(s, &s.behavior.start)),
    };
    let transitions = (0..s.op_count() as u16)
        .map(Op)
        .filter_map(|op| {
            s.behavior.transitions[op.index()]
                .as_ref()
                .map(|c| (s.op_name(op).to_owned(), choice_table(s, c)))
        })
        .collect();
    let stations = s
        .groups
        .iter()
        .map(|g| {
            let st = &s.stations[g.first as usize];
            let pool = st.kind == StationKind::Pool;
            let (schedule, autoscale) = capacity::files(&st.capacity);
            (
                g.name.clone(),
                StationFile {
                    kind: pool.then(|| "pool".to_owned()),
                    size: pool.then_some(st.workers as i64),
                    workers: (!pool).then_some(st.workers as i64),
                    shards: (g.shards > 1 || g.name == "inventory").then_some(g.shards as i64),
                    service_time: (!pool).then(|| dist_file(&st.service_time, true)),
                    queue_limit: st.queue_limit.map(|q| q as i64),
                    timeout: st.timeout.map(dur),
                    discipline: Some(st.policy.discipline.name().to_owned()),
                    max_wait: st.policy.max_wait.map(dur),
                    fail_rate: (!pool).then_some(st.policy.fail_rate),
                    schedule,
                    cost_per_hour: Some(st.cost_per_hour),
                    autoscale,
                },
            )
        })
        .collect();
    let routes = Action::ALL
        .iter()
        .filter_map(|a| {
            let e = &s.route_edits[a.index()];
            (!e.prepend.is_empty() || !e.append.is_empty() || e.hold.is_some()).then(|| {
                (
                    a.name().to_owned(),
                    RouteFile {
                        prepend: route_value(s, &e.prepend),
                        append: route_value(s, &e.append),
                        hold: e.hold.map(|g| s.groups[g as usize].name.clone()),
                    },
                )
            })
        })
        .collect();
    ScenarioFile {
        scenario: Some(ScenarioSection {
            name: Some(s.name.clone()),
            description: Some(s.description.clone()),
            seed: Some(s.seed as i64),
            duration: Some(dur(s.duration)),
            warmup: Some(dur(s.warmup)),
            report_interval: Some(dur(s.report_interval)),
            replications: Some(s.replications as i64),
        }),
        load: Some(load),
        behavior: Some(BehaviorFile {
            start: Some(start),
            transitions,
        }),
        catalog: Some(CatalogFile {
            products: Some(s.catalog.products as i64),
            categories: Some(s.catalog.categories as i64),
            popularity: Some(match s.catalog.popularity {
                Popularity::Zipf { exponent } => PopularityFile {
                    dist: Some("zipf".into()),
                    exponent: Some(exponent),
                },
                Popularity::Uniform => PopularityFile {
                    dist: Some("uniform".into()),
                    exponent: None,
                },
            }),
            price: Some(dist_file(&s.catalog.price, false)),
            stock: Some(dist_file(&s.catalog.stock, false)),
            doorbusters: Some(DoorbustersFile {
                count: Some(s.catalog.doorbusters.count as i64),
                stock: Some(s.catalog.doorbusters.stock as i64),
                discount_pct: Some(s.catalog.doorbusters.discount_pct),
            }),
        }),
        shop: Some(ShopFile {
            shipping_fee: Some(money(s.shop.shipping_fee_cents)),
            free_shipping_over: s.shop.free_shipping_over_cents.map(money),
            tax_pct: Some(s.shop.tax_bps as f64 / 100.0),
            password_iterations: Some(s.shop.password_iterations as i64),
            max_cart_lines: Some(s.shop.max_cart_lines as i64),
        }),
        customers: Some(CustomersFile {
            registered: Some(s.customers.registered as i64),
            returning: Some(s.customers.returning),
            coupon_share: Some(s.customers.coupon_share),
            quantity: Some(dist_file(&s.customers.quantity, false)),
            recently_viewed: Some(s.customers.recently_viewed),
            patience: s.customers.patience.as_ref().map(|d| dist_file(d, true)),
            retry_on_error: s
                .customers
                .retry_on_error
                .as_ref()
                .map(|r| RetryOnErrorFile {
                    p: Some(r.p),
                    after: Some(dist_file(&r.after, true)),
                }),
        }),
        coupons: s.coupons.iter().map(coupon_file).collect(),
        payments: Some(payments_file(s)),
        cache: Some(CacheFile {
            enabled: Some(s.cache.enabled),
            capacity: Some(s.cache.capacity as i64),
            policy: Some(s.cache.policy.name().to_owned()),
            ttl: s.cache.ttl.map(dur),
        }),
        stations,
        routes,
        operations: s
            .operations
            .iter()
            .map(|o| {
                (
                    o.name.clone(),
                    OperationFile {
                        route: route_value(s, &o.route),
                    },
                )
            })
            .collect(),
        admin: Some(AdminFile {
            restock_rate: Some(s.admin.restock_rate),
            restock_quantity: Some(s.admin.restock_quantity as i64),
            price_change_rate: Some(s.admin.price_change_rate),
            price_change_pct: Some(s.admin.price_change_pct),
            coupon_rate: Some(s.admin.coupon_rate),
            coupon_percent: Some(s.admin.coupon_percent as i64),
            coupon_limit: Some(s.admin.coupon_limit as i64),
            ship_rate: Some(s.admin.ship_rate),
            deliver_rate: Some(s.admin.deliver_rate),
            cancel_rate: Some(s.admin.cancel_rate),
            refund_rate: Some(s.admin.refund_rate),
        }),
        faults: s
            .faults
            .iter()
            .map(|f| {
                let mut ff = FaultFile {
                    at: Some(dur(f.at)),
                    lasts: f.lasts.map(dur),
                    ..Default::default()
                };
                let name = |g: &u16| s.groups[*g as usize].name.clone();
                match &f.kind {
                    FaultKind::Slow { group, factor } => {
                        ff.kind = Some("slow".into());
                        ff.station = Some(name(group));
                        ff.factor = Some(*factor);
                    }
                    FaultKind::Outage { group, hang } => {
                        ff.kind = Some("outage".into());
                        ff.station = Some(name(group));
                        ff.mode = Some(if *hang { "hang" } else { "fail_fast" }.into());
                    }
                    FaultKind::CacheFlush => ff.kind = Some("cache_flush".into()),
                    FaultKind::PaymentDeclines { rate } => {
                        ff.kind = Some("payment_declines".into());
                        ff.decline_rate = Some(*rate);
                    }
                }
                ff
            })
            .collect(),
        thresholds: s
            .thresholds
            .iter()
            .map(|t| (t.metric.clone(), ThresholdFile::Expr(t.expected())))
            .collect(),
    }
}

/// The resolved scenario as TOML text.
pub fn to_toml(s: &Scenario) -> String {
    // Cannot fail: every map key is a string and validation rejected
    // non-finite numbers, the only values TOML cannot represent.
    let body = toml::to_string(&to_file(s)).expect("a validated scenario serializes to TOML");
    format!(
        "# Resolved by ecsim {}: exactly what ran, every default filled in.\n\n{body}",
        env!("CARGO_PKG_VERSION")
    )
}

#[cfg(test)]
mod tests {
    use crate::scenario::load_str;

    #[test]
    fn the_route_language_resolves_to_itself() {
        let text = r#"
[scenario]
duration = "10s"
[load]
type = "open"
rate = 10.0
[behavior]
start = { page = 0.5, checkout = 0.5 }
[behavior.transitions]
page = { leave = 1.0 }
checkout = { leave = 1.0 }
[operations.page]
route = [
  { visit = "search", p = 0.25 },
  { parallel = [["pricing"], ["search", { route = ["pricing"] }]], wait = "any", cancel = true },
  { fanout = "inventory", n = 32, wait = 30 },
  { hedge = "pricing", after = "20ms" },
  { visit = "pricing", timeout = "50ms", cancel = true, breaker = { min_requests = 5 },
    retry = { attempts = 3, backoff = { base = "10ms", jitter = "decorrelated" }, budget = {} } },
  { route = ["search"], retry = { attempts = 2, on = ["timeout"] } },
]
[customers]
patience = { dist = "exponential", mean = "8s" }
retry_on_error = { p = 0.3 }
[routes.checkout]
hold = "db"
prepend = [{ hold = "db", route = ["pricing"] }]
[stations.pricing]
service_time = { dist = "exponential", mean = "5ms" }
[stations.db]
kind = "pool"
size = 8
timeout = "1s"
"#;
        let first = match load_str("t.toml", "t", text, &[], None) {
            Ok(l) => l,
            Err(e) => panic!("{e}"),
        };
        let again = match load_str("r.toml", "t", &first.resolved_toml, &[], None) {
            Ok(l) => l,
            Err(e) => panic!("{e}\n{}", first.resolved_toml),
        };
        assert_eq!(first.resolved_toml, again.resolved_toml);
        assert_eq!(first.scenario.routes, again.scenario.routes);
        assert_eq!(first.scenario.policies, again.scenario.policies);
        assert_eq!(first.scenario.customers, again.scenario.customers);
        assert_eq!(first.scenario.policies.len(), 2);
        let r = &first.resolved_toml;
        assert!(
            r.contains("kind = \"pool\"") && r.contains("size = 8"),
            "{r}"
        );
        assert!(
            r.contains("max = 2") && r.contains("cancel = false"),
            "defaults filled: {r}"
        );
        for default in [
            "multiplier = 2.0",
            "ratio = 0.2",
            "open_for = \"5s\"",
            "after = ",
        ] {
            assert!(r.contains(default), "{default} filled: {r}");
        }
    }
}
