//! The route language: `[operations.NAME] route = [...]` and the
//! `prepend` / `append` / `hold` of `[routes.ACTION]`, read step by step
//! from the raw TOML values (every key checked, so a typo is an error with
//! its position), then compiled into the scenario's route table.
//!
//! A step is a station name (a visit), or a table whose one kind key says
//! what it is: `visit` (with `p`), `parallel` (`wait`, `cancel`), `fanout`
//! (`n`, `wait`, `cancel`), `hedge` (`after`, `max`, `cancel`), `hold`
//! (`route`), or `route` alone (a nested group). Any step may also carry
//! client policies (`timeout`, `cancel`, `retry`, `breaker`: `policy.rs`).

use toml::Value;

use super::*;

mod policy;
mod table;

pub(super) use table::Table;

/// How deep constructs may nest.
pub(super) const MAX_DEPTH: usize = 8;
/// Most calls of one `fanout`.
const MAX_FANOUT: i64 = 10_000;
/// Most copies of one `hedge`.
const MAX_HEDGE: i64 = 100;
/// Names a custom operation may not take (metric names share one
/// namespace: `cache.*`, `stations.*`, `business.*`, `ALL.*`).
const RESERVED: [&str; 5] = [LEAVE, "ALL", "cache", "stations", "business"];

/// The step kinds and the keys each takes besides its kind key.
const KINDS: [(&str, &[&str]); 5] = [
    ("visit", &["p"]),
    ("parallel", &["wait", "cancel"]),
    ("fanout", &["n", "wait", "cancel"]),
    ("hedge", &["after", "max", "cancel"]),
    ("hold", &["route"]),
];

/// A valid operation name: `^[a-z][a-z0-9_]{0,31}$`.
fn valid_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars.next().is_some_and(|c| c.is_ascii_lowercase())
        && name.len() <= 32
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

/// The valid names of `[operations.*]`, in name order (operation
/// `N_ACTIONS + i` is the `i`-th); each invalid one is an issue.
pub(super) fn operation_names(
    c: &mut Checker,
    files: &BTreeMap<String, OperationFile>,
) -> Vec<String> {
    let mut names = Vec::new();
    for name in files.keys() {
        let path = format!("operations.{name}");
        if !valid_name(name) {
            c.issue(
                &path,
                format!("operation name \"{name}\" must match ^[a-z][a-z0-9_]{{0,31}}$: a lower-case letter, then up to 31 lower-case letters, digits and `_`"),
            );
        } else if Action::from_name(name).is_some() {
            c.issue(
                &path,
                format!("\"{name}\" is a built-in operation: reshape it with [routes.{name}] prepend/append, or give yours another name"),
            );
        } else if RESERVED.contains(&name.as_str()) {
            c.issue(
                &path,
                format!(
                    "\"{name}\" is reserved ({}): metric names share one namespace",
                    RESERVED.join(", ")
                ),
            );
        } else {
            names.push(name.clone());
        }
    }
    names
}

/// The custom operations called `names`, with their routes.
pub(super) fn operations(
    c: &mut Checker,
    files: &BTreeMap<String, OperationFile>,
    names: &[String],
    groups: &[StationGroup],
    stations: &[StationSpec],
) -> Vec<Operation> {
    let g = Groups { groups, stations };
    files
        .iter()
        .filter(|(name, _)| names.contains(name))
        .filter_map(|(name, f)| {
            let path = format!("operations.{name}.route");
            let route = route(c, &path, &f.route, &g, 1)?;
            Some(Operation {
                name: name.clone(),
                route,
            })
        })
        .collect()
}

/// Station groups, to resolve the names a route uses.
pub(super) struct Groups<'a> {
    pub(super) groups: &'a [StationGroup],
    pub(super) stations: &'a [StationSpec],
}

impl Groups<'_> {
    fn names(&self) -> String {
        self.groups
            .iter()
            .map(|g| g.name.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    }

    fn is_pool(&self, g: usize) -> bool {
        self.stations[self.groups[g].first as usize].kind == StationKind::Pool
    }

    /// The group called `name`, with an issue at `path` when there is none.
    fn find(&self, c: &mut Checker, path: &str, name: &str) -> Option<usize> {
        let g = self.groups.iter().position(|g| g.name == name);
        if g.is_none() {
            c.issue(
                path,
                format!(
                    "unknown station \"{name}\": define it as [stations.{name}] or use one of {}",
                    self.names()
                ),
            );
        }
        g
    }

    /// A station that serves requests: not a pool, and unless `sharded_ok`
    /// (a fan-out spreads over shards) not sharded.
    fn server(&self, c: &mut Checker, path: &str, name: &str, sharded_ok: bool) -> Option<u16> {
        let g = self.find(c, path, name)?;
        if self.is_pool(g) {
            c.issue(
                path,
                format!("station \"{name}\" is a pool: hold it around a route with {{ hold = \"{name}\", route = [...] }}"),
            );
            None
        } else if self.groups[g].shards > 1 && !sharded_ok {
            c.issue(
                path,
                format!("station \"{name}\" is sharded: reach its shards with {{ fanout = \"{name}\", n = ... }} (call i goes to shard i mod shards)"),
            );
            None
        } else {
            Some(g as u16)
        }
    }

    /// A pool station.
    pub(super) fn pool(&self, c: &mut Checker, path: &str, name: &str) -> Option<u16> {
        let g = self.find(c, path, name)?;
        if !self.is_pool(g) {
            c.issue(
                path,
                format!("station \"{name}\" is not a pool: declare it with kind = \"pool\" and `size`, or visit it as a step"),
            );
            return None;
        }
        Some(g as u16)
    }
}

/// A route: its steps, each checked; `None` when any is wrong.
pub(super) fn route(
    c: &mut Checker,
    path: &str,
    steps: &[Value],
    g: &Groups<'_>,
    depth: usize,
) -> Option<Vec<RouteNode>> {
    if steps.is_empty() {
        c.issue(
            path,
            "a route needs at least one step, e.g. [\"catalog_db\"]",
        );
        return None;
    }
    if depth > MAX_DEPTH {
        c.issue(path, format!("routes nest at most {MAX_DEPTH} deep"));
        return None;
    }
    let nodes: Vec<Option<RouteNode>> = steps
        .iter()
        .enumerate()
        .map(|(i, v)| step(c, &format!("{path}.{i}"), v, g, depth))
        .collect();
    nodes.into_iter().collect()
}

/// One step.
fn step(c: &mut Checker, path: &str, v: &Value, g: &Groups<'_>, depth: usize) -> Option<RouteNode> {
    let t = match v {
        Value::String(name) => {
            return g
                .server(c, path, name, false)
                .map(|group| RouteNode::Visit { group, p: None });
        }
        Value::Table(t) => t,
        _ => {
            c.issue(path, "a route step is a station name, or a table such as { visit = \"search\", p = 0.5 } or { parallel = [[\"a\"], [\"b\"]] }");
            return None;
        }
    };
    let kinds: Vec<&str> = KINDS
        .iter()
        .map(|k| k.0)
        .filter(|k| t.contains_key(*k))
        .collect();
    let (kind, allowed): (&str, &[&str]) = match kinds.as_slice() {
        [k] => (k, KINDS.iter().find(|x| x.0 == *k).map_or(&[], |x| x.1)),
        [] if t.contains_key("route") => ("route", &[]),
        [] => {
            c.issue(
                path,
                format!(
                    "a route step table needs one of {}, route",
                    KINDS.map(|k| k.0).join(", ")
                ),
            );
            return None;
        }
        many => {
            c.issue(
                path,
                format!(
                    "a step is one thing: it has both `{}` and `{}`",
                    many[0], many[1]
                ),
            );
            return None;
        }
    };
    let mut ok = true;
    let policy_keys = || {
        let cancel = (!policy::owns_cancel(kind)).then_some("cancel");
        policy::POLICY_KEYS.into_iter().chain(cancel)
    };
    for key in t.keys() {
        if key != kind && !allowed.contains(&key.as_str()) && !policy_keys().any(|k| k == key) {
            let valid: Vec<&str> = std::iter::once(kind)
                .chain(allowed.iter().copied())
                .chain(policy_keys())
                .collect();
            c.issue(
                format!("{path}.{key}"),
                format!(
                    "unknown key `{key}` in a `{kind}` step: expected {}",
                    valid.join(", ")
                ),
            );
            ok = false;
        }
    }
    let kp = |k: &str| format!("{path}.{k}");
    let node = match kind {
        "visit" => {
            let group = name_of(c, &kp("visit"), &t["visit"])
                .and_then(|n| g.server(c, &kp("visit"), n, false));
            let p = match t.get("p") {
                None => Some(None),
                Some(v) => number(c, &kp("p"), v)
                    .and_then(|x| probability(c, &kp("p"), x))
                    .map(Some),
            };
            RouteNode::Visit {
                group: group?,
                p: p?,
            }
        }
        "parallel" => {
            let Value::Array(branches) = &t["parallel"] else {
                c.issue(kp("parallel"), "`parallel` is a list of branches, each a route: [[\"pricing\"], [\"stock\", \"reviews\"]]");
                return None;
            };
            let mut out = Vec::new();
            let mut all = true;
            for (i, b) in branches.iter().enumerate() {
                let bp = format!("{path}.parallel.{i}");
                match b {
                    Value::Array(steps) => match route(c, &bp, steps, g, depth + 1) {
                        Some(r) => out.push(r),
                        None => all = false,
                    },
                    _ => {
                        c.issue(&bp, "each branch of `parallel` is a route (a list of steps), e.g. [\"pricing\"]");
                        all = false;
                    }
                }
            }
            if branches.is_empty() {
                c.issue(kp("parallel"), "`parallel` needs at least one branch");
                all = false;
            }
            if branches.len() > MAX_BRANCHES {
                c.issue(kp("parallel"), format!("`parallel` takes at most {MAX_BRANCHES} branches, found {}; a `fanout` makes up to 10000 identical calls", branches.len()));
                all = false;
            }
            let n = branches.len();
            let wait = wait(c, &kp("wait"), t.get("wait"), n, "branches");
            let cancel = flag(c, &kp("cancel"), t.get("cancel"));
            if !all {
                return None;
            }
            RouteNode::Parallel {
                branches: out,
                wait: wait?,
                cancel: cancel?,
            }
        }
        "fanout" => {
            let group = name_of(c, &kp("fanout"), &t["fanout"])
                .and_then(|n| g.server(c, &kp("fanout"), n, true));
            let n = match t.get("n") {
                Some(v) => {
                    integer(c, &kp("n"), v).and_then(|n| c.count(&kp("n"), n, 1, MAX_FANOUT))
                }
                None => {
                    c.issue(
                        path,
                        "a `fanout` needs `n`, the number of calls, e.g. n = 20",
                    );
                    None
                }
            };
            let wait = n.and_then(|n| wait(c, &kp("wait"), t.get("wait"), n as usize, "calls"));
            let cancel = flag(c, &kp("cancel"), t.get("cancel"));
            RouteNode::Fanout {
                group: group?,
                n: n? as u16,
                wait: wait?,
                cancel: cancel?,
            }
        }
        "hedge" => {
            let group = name_of(c, &kp("hedge"), &t["hedge"])
                .and_then(|n| g.server(c, &kp("hedge"), n, false));
            let after = match t.get("after") {
                Some(Value::String(s)) => c.duration(&kp("after"), s),
                Some(_) => {
                    c.issue(kp("after"), "`after` is a duration such as \"10ms\"");
                    None
                }
                None => {
                    c.issue(path, "a `hedge` needs `after`, the delay before the next copy, e.g. after = \"10ms\"");
                    None
                }
            };
            let max = match t.get("max") {
                Some(v) => {
                    integer(c, &kp("max"), v).and_then(|m| c.count(&kp("max"), m, 1, MAX_HEDGE))
                }
                None => Some(2),
            };
            let cancel = flag(c, &kp("cancel"), t.get("cancel"));
            RouteNode::Hedge {
                group: group?,
                after: after?,
                max: max? as u16,
                cancel: cancel?,
            }
        }
        "hold" => {
            let pool = name_of(c, &kp("hold"), &t["hold"]).and_then(|n| g.pool(c, &kp("hold"), n));
            let body = match t.get("route") {
                Some(Value::Array(steps)) => route(c, &kp("route"), steps, g, depth + 1),
                Some(_) => {
                    c.issue(kp("route"), "`route` is a list of steps");
                    None
                }
                None => {
                    c.issue(
                        path,
                        "a `hold` needs `route`, the steps run while the permit is held",
                    );
                    None
                }
            };
            RouteNode::Hold {
                pool: pool?,
                route: body?,
            }
        }
        _ => match &t["route"] {
            Value::Array(steps) => RouteNode::Group(route(c, &kp("route"), steps, g, depth + 1)?),
            _ => {
                c.issue(kp("route"), "`route` is a list of steps");
                return None;
            }
        },
    };
    if !ok {
        return None;
    }
    policy::wrap(c, path, t, kind, node)
}

fn name_of<'v>(c: &mut Checker, path: &str, v: &'v Value) -> Option<&'v str> {
    match v {
        Value::String(s) => Some(s),
        _ => {
            c.issue(path, "expected a station name, e.g. \"search\"");
            None
        }
    }
}

fn number(c: &mut Checker, path: &str, v: &Value) -> Option<f64> {
    match v {
        Value::Float(x) => Some(*x),
        Value::Integer(i) => Some(*i as f64),
        _ => {
            c.issue(path, "expected a number");
            None
        }
    }
}

fn integer(c: &mut Checker, path: &str, v: &Value) -> Option<i64> {
    match v {
        Value::Integer(i) => Some(*i),
        _ => {
            c.issue(path, "expected a whole number");
            None
        }
    }
}

fn flag(c: &mut Checker, path: &str, v: Option<&Value>) -> Option<bool> {
    match v {
        None => Some(false),
        Some(Value::Boolean(b)) => Some(*b),
        Some(_) => {
            c.issue(path, "expected true or false");
            None
        }
    }
}

/// `wait = "all" | "any" | K` over `n` calls (default `"all"`).
fn wait(c: &mut Checker, path: &str, v: Option<&Value>, n: usize, what: &str) -> Option<Wait> {
    match v {
        None => Some(Wait::All),
        Some(Value::String(s)) if s == "all" => Some(Wait::All),
        Some(Value::String(s)) if s == "any" => Some(Wait::Any),
        Some(Value::Integer(k)) if (1..=n as i64).contains(k) => Some(Wait::K(*k as u16)),
        Some(Value::Integer(k)) => {
            c.issue(
                path,
                format!("must be between 1 and the {n} {what}, found {k}"),
            );
            None
        }
        Some(_) => {
            c.issue(
                path,
                format!("must be \"all\", \"any\" or a number of {what} (1 to {n})"),
            );
            None
        }
    }
}

/// Every station group a route names (for the unused-station check).
pub(super) fn groups_of(nodes: &[RouteNode], out: &mut Vec<u16>) {
    for n in nodes {
        match n {
            RouteNode::Visit { group, .. }
            | RouteNode::Fanout { group, .. }
            | RouteNode::Hedge { group, .. } => out.push(*group),
            RouteNode::Parallel { branches, .. } => {
                for b in branches {
                    groups_of(b, out);
                }
            }
            RouteNode::Hold { pool, route } => {
                out.push(*pool);
                groups_of(route, out);
            }
            RouteNode::Group(route) => groups_of(route, out),
            RouteNode::Guarded { inner, .. } => groups_of(std::slice::from_ref(inner), out),
        }
    }
}
