//! The client policies a route step may carry: `timeout` (with `cancel`),
//! `retry = { attempts, on, backoff, budget }` and `breaker = { ... }`,
//! read from the step's table with every key checked. A step with any of
//! them becomes a call site ([`RouteNode::Guarded`]).

use toml::Value;
use toml::map::Map;

use super::{flag, integer, number};
use crate::contract::ErrorKind;
use crate::contract::policy::{Backoff, Breaker, Budget, CallPolicy, Jitter, RETRYABLE, Retry};
use crate::kernel::time::SimDuration;
use crate::scenario::model::RouteNode;
use crate::scenario::validate::Checker;

/// The policy keys any step takes.
pub(super) const POLICY_KEYS: [&str; 3] = ["timeout", "retry", "breaker"];

/// Most calls one `retry` may make.
const MAX_ATTEMPTS: i64 = 100;
/// Most probes of a half-open breaker.
const MAX_PROBES: i64 = 1000;
/// The largest budget ratio: ten retries per first attempt.
const MAX_RATIO: f64 = 10.0;
/// The largest backoff multiplier.
const MAX_MULTIPLIER: f64 = 100.0;

/// Does step kind `kind` own a `cancel` key of its own (what to do with
/// its calls once the step is over)? Other kinds take `cancel` as a policy
/// key: what to do with an attempt that timed out.
pub(super) fn owns_cancel(kind: &str) -> bool {
    matches!(kind, "parallel" | "fanout" | "hedge")
}

/// Wraps `node` (a step of kind `kind`, read from `t` at `path`) in the
/// policies `t` gives it, if any.
pub(super) fn wrap(
    c: &mut Checker,
    path: &str,
    t: &Map<String, Value>,
    kind: &str,
    node: RouteNode,
) -> Option<RouteNode> {
    let kp = |k: &str| format!("{path}.{k}");
    if !POLICY_KEYS.iter().any(|k| t.contains_key(*k)) {
        if !owns_cancel(kind) && t.contains_key("cancel") {
            c.issue(
                kp("cancel"),
                "`cancel` on this step says what happens to an attempt that timed out: give the step a `timeout` too",
            );
            return None;
        }
        return Some(node);
    }
    let timeout = match t.get("timeout") {
        None => Some(None),
        Some(Value::String(s)) => c.duration(&kp("timeout"), s).and_then(|d| {
            if d == SimDuration::ZERO {
                c.issue(kp("timeout"), "must be longer than zero");
                None
            } else {
                Some(Some(d))
            }
        }),
        Some(_) => {
            c.issue(kp("timeout"), "`timeout` is a duration such as \"2s\"");
            None
        }
    };
    let cancel = match (owns_cancel(kind), t.get("cancel")) {
        (_, None) => Some(false),
        (true, v) => flag(c, &kp("cancel"), v),
        (false, v) if t.contains_key("timeout") => flag(c, &kp("cancel"), v),
        (false, _) => {
            c.issue(
                kp("cancel"),
                "`cancel` says what happens to an attempt that timed out: give the step a `timeout` too",
            );
            None
        }
    };
    let retry = match t.get("retry") {
        None => Some(None),
        Some(v) => retry(c, &kp("retry"), v).map(Some),
    };
    let breaker = match t.get("breaker") {
        None => Some(None),
        Some(v) => breaker(c, &kp("breaker"), v).map(Some),
    };
    let policy = CallPolicy {
        site: path.to_owned(),
        timeout: timeout?,
        cancel: cancel?,
        retry: retry?,
        breaker: breaker?,
    };
    Some(RouteNode::Guarded {
        inner: Box::new(node),
        policy: Box::new(policy),
    })
}

/// The keys of a policy table, checked against `allowed`.
fn table<'v>(
    c: &mut Checker,
    path: &str,
    v: &'v Value,
    what: &str,
    allowed: &[&str],
) -> Option<&'v Map<String, Value>> {
    let Value::Table(t) = v else {
        c.issue(
            path,
            format!("`{what}` is a table: {what} = {{ {} = ... }}", allowed[0]),
        );
        return None;
    };
    let mut ok = true;
    for key in t.keys() {
        if !allowed.contains(&key.as_str()) {
            c.issue(
                format!("{path}.{key}"),
                format!(
                    "unknown key `{key}` in `{what}`: expected {}",
                    allowed.join(", ")
                ),
            );
            ok = false;
        }
    }
    ok.then_some(t)
}

/// An optional duration key, longer than zero.
fn duration(
    c: &mut Checker,
    path: &str,
    v: Option<&Value>,
    default: SimDuration,
) -> Option<SimDuration> {
    match v {
        None => Some(default),
        Some(Value::String(s)) => {
            let d = c.duration(path, s)?;
            if d == SimDuration::ZERO {
                c.issue(path, "must be longer than zero");
                return None;
            }
            Some(d)
        }
        Some(_) => {
            c.issue(path, "expected a duration such as \"5s\"");
            None
        }
    }
}

/// An optional number key in `lo..=hi` (`lo` excluded unless `lo_ok`).
fn within(
    c: &mut Checker,
    path: &str,
    v: Option<&Value>,
    default: f64,
    (lo, lo_ok, hi): (f64, bool, f64),
) -> Option<f64> {
    let Some(v) = v else {
        return Some(default);
    };
    let x = number(c, path, v)?;
    if x.is_finite() && (x > lo || (lo_ok && x == lo)) && x <= hi {
        Some(x)
    } else {
        let from = if lo_ok { "from" } else { "above" };
        c.issue(path, format!("must be {from} {lo} to {hi}, found {x}"));
        None
    }
}

/// An optional whole-number key in `lo..=hi`.
fn whole(
    c: &mut Checker,
    path: &str,
    v: Option<&Value>,
    default: i64,
    lo: i64,
    hi: i64,
) -> Option<u32> {
    match v {
        None => Some(default as u32),
        Some(v) => integer(c, path, v).and_then(|n| c.count(path, n, lo, hi)),
    }
}

fn retry(c: &mut Checker, path: &str, v: &Value) -> Option<Retry> {
    let t = table(
        c,
        path,
        v,
        "retry",
        &["attempts", "on", "backoff", "budget"],
    )?;
    let kp = |k: &str| format!("{path}.{k}");
    let attempts = match t.get("attempts") {
        Some(v) => integer(c, &kp("attempts"), v)
            .and_then(|n| c.count(&kp("attempts"), n, 1, MAX_ATTEMPTS)),
        None => {
            c.issue(
                path,
                "a `retry` needs `attempts`, every call counted (4: up to 3 retries)",
            );
            None
        }
    };
    let on = match t.get("on") {
        None => Some(Retry::mask(&RETRYABLE)),
        Some(Value::Array(kinds)) => {
            let mut mask = 0;
            let mut ok = true;
            for (i, k) in kinds.iter().enumerate() {
                match k.as_str().and_then(ErrorKind::from_label) {
                    Some(k) => mask |= 1 << k.index(),
                    None => {
                        let valid: Vec<&str> = ErrorKind::ALL.iter().map(|k| k.name()).collect();
                        c.issue(
                            format!("{path}.on.{i}"),
                            format!(
                                "unknown error kind {k}: expected one of {}",
                                valid.join(", ")
                            ),
                        );
                        ok = false;
                    }
                }
            }
            ok.then_some(mask)
        }
        Some(_) => {
            c.issue(
                kp("on"),
                "`on` is a list of error kinds, e.g. [\"timeout\", \"rejected\"]",
            );
            None
        }
    };
    let backoff = match t.get("backoff") {
        None => Some(None),
        Some(v) => backoff(c, &kp("backoff"), v).map(Some),
    };
    let budget = match t.get("budget") {
        None => Some(None),
        Some(v) => budget(c, &kp("budget"), v).map(Some),
    };
    Some(Retry {
        attempts: attempts? as u16,
        on: on?,
        backoff: backoff?,
        budget: budget?,
    })
}

fn backoff(c: &mut Checker, path: &str, v: &Value) -> Option<Backoff> {
    let t = table(
        c,
        path,
        v,
        "backoff",
        &["base", "multiplier", "max", "jitter"],
    )?;
    let kp = |k: &str| format!("{path}.{k}");
    let base = match t.get("base") {
        Some(v) => duration(c, &kp("base"), Some(v), SimDuration::ZERO),
        None => {
            c.issue(
                path,
                "a `backoff` needs `base`, the first retry's delay, e.g. base = \"50ms\"",
            );
            None
        }
    };
    let multiplier = within(
        c,
        &kp("multiplier"),
        t.get("multiplier"),
        2.0,
        (1.0, true, MAX_MULTIPLIER),
    );
    let max = duration(c, &kp("max"), t.get("max"), SimDuration::from_secs(30));
    let jitter = match t.get("jitter") {
        None => Some(Jitter::None),
        Some(v) => match v.as_str().and_then(Jitter::from_name) {
            Some(j) => Some(j),
            None => {
                c.issue(
                    kp("jitter"),
                    format!(
                        "must be one of {}, found {v}",
                        Jitter::NAMES.map(|n| format!("\"{n}\"")).join(", ")
                    ),
                );
                None
            }
        },
    };
    let (base, max) = (base?, max?);
    if max < base {
        c.issue(
            kp("max"),
            format!("must be at least `base` ({:.3} s)", base.as_secs_f64()),
        );
        return None;
    }
    Some(Backoff {
        base,
        multiplier: multiplier?,
        max,
        jitter: jitter?,
    })
}

fn budget(c: &mut Checker, path: &str, v: &Value) -> Option<Budget> {
    let t = table(c, path, v, "budget", &["ratio", "min_per_s", "ttl"])?;
    let kp = |k: &str| format!("{path}.{k}");
    let ratio = within(c, &kp("ratio"), t.get("ratio"), 0.2, (0.0, true, MAX_RATIO));
    let min_per_s = within(
        c,
        &kp("min_per_s"),
        t.get("min_per_s"),
        10.0,
        (0.0, true, crate::scenario::validate::MAX_RATE_PER_S),
    );
    let ttl = duration(c, &kp("ttl"), t.get("ttl"), SimDuration::from_secs(10));
    Some(Budget {
        ratio: ratio?,
        min_per_s: min_per_s?,
        ttl: ttl?,
    })
}

fn breaker(c: &mut Checker, path: &str, v: &Value) -> Option<Breaker> {
    let keys = [
        "window",
        "min_requests",
        "failure_rate",
        "open_for",
        "half_open",
    ];
    let t = table(c, path, v, "breaker", &keys)?;
    let kp = |k: &str| format!("{path}.{k}");
    let window = duration(
        c,
        &kp("window"),
        t.get("window"),
        SimDuration::from_secs(10),
    );
    let min_requests = whole(
        c,
        &kp("min_requests"),
        t.get("min_requests"),
        20,
        1,
        1_000_000_000,
    );
    let failure_rate = within(
        c,
        &kp("failure_rate"),
        t.get("failure_rate"),
        0.5,
        (0.0, false, 1.0),
    );
    let open_for = duration(
        c,
        &kp("open_for"),
        t.get("open_for"),
        SimDuration::from_secs(5),
    );
    let half_open = whole(c, &kp("half_open"), t.get("half_open"), 3, 1, MAX_PROBES);
    Some(Breaker {
        window: window?,
        min_requests: min_requests?,
        failure_rate: failure_rate?,
        open_for: open_for?,
        half_open: half_open? as u16,
    })
}

#[cfg(test)]
mod tests {
    use crate::scenario::load_str;

    /// The problems of an operation whose route is `route`.
    fn problems(route: &str) -> String {
        let text = format!(
            "[scenario]\nduration = \"10s\"\n[load]\ntype = \"open\"\nrate = 1.0\n\
             [behavior]\nstart = \"api\"\n[behavior.transitions]\napi = {{ leave = 1.0 }}\n\
             [operations.api]\nroute = {route}\n[stations.svc]\nworkers = 1\nservice_time = {{ dist = \"constant\", value = \"1ms\" }}\n"
        );
        match load_str("t.toml", "t", &text, &[], None) {
            Ok(_) => String::new(),
            Err(e) => e.to_string(),
        }
    }

    #[test]
    fn bad_policies_are_refused_with_their_position_and_the_valid_choices() {
        for (route, want) in [
            (r#"[{ visit = "svc", timeout = "0s" }]"#, "t.toml:11:"),
            (r#"[{ visit = "svc", timeout = "0s" }]"#, "longer than zero"),
            (
                r#"[{ visit = "svc", cancel = true }]"#,
                "give the step a `timeout` too",
            ),
            (
                r#"[{ visit = "svc", retry = { on = ["timeout"] } }]"#,
                "needs `attempts`",
            ),
            (
                r#"[{ visit = "svc", retry = { attempts = 0 } }]"#,
                "`attempts` must be at least 1",
            ),
            (
                r#"[{ visit = "svc", retry = { attempts = 2, on = ["slow"] } }]"#,
                "unknown error kind \"slow\": expected one of rejected, timeout",
            ),
            (
                r#"[{ visit = "svc", retry = { attempts = 2, tries = 3 } }]"#,
                "unknown key `tries` in `retry`: expected attempts, on, backoff, budget",
            ),
            (
                r#"[{ visit = "svc", retry = { attempts = 2, backoff = { base = "1s", max = "10ms" } } }]"#,
                "`max` must be at least `base`",
            ),
            (
                r#"[{ visit = "svc", retry = { attempts = 2, backoff = { base = "1s", jitter = "some" } } }]"#,
                "\"none\", \"full\", \"equal\", \"decorrelated\"",
            ),
            (
                r#"[{ visit = "svc", retry = { attempts = 2, budget = { ratio = -1 } } }]"#,
                "`ratio` must be from 0 to 10",
            ),
            (
                r#"[{ visit = "svc", breaker = { failure_rate = 0 } }]"#,
                "`failure_rate` must be above 0 to 1",
            ),
            (
                r#"[{ visit = "svc", breaker = { half_open = 0 } }]"#,
                "`half_open` must be at least 1",
            ),
            (
                r#"[{ visit = "svc", breaker = "on" }]"#,
                "`breaker` is a table",
            ),
            (
                r#"[{ visit = "svc", timeuot = "1s" }]"#,
                "expected visit, p, timeout, retry, breaker, cancel",
            ),
        ] {
            let p = problems(route);
            assert!(p.contains(want), "{route}: want {want:?} in {p}");
        }
    }

    #[test]
    fn policies_attach_to_every_kind_of_step() {
        for route in [
            r#"[{ parallel = [["svc"], ["svc"]], timeout = "1s", cancel = true }]"#,
            r#"[{ fanout = "svc", n = 3, retry = { attempts = 2 } }]"#,
            r#"[{ hedge = "svc", after = "1ms", breaker = {} }]"#,
            r#"[{ route = [{ route = ["svc"], timeout = "1s" }], retry = { attempts = 4 } }]"#,
        ] {
            assert_eq!(problems(route), "", "{route}");
        }
    }
}
