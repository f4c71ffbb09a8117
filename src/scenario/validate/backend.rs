//! The backend: `[cache]`, `[stations.*]`, `[routes.*]` (compiled into
//! each action's route) and `[[faults]]`.

use super::*;

pub(super) fn cache(c: &mut Checker, f: Option<&CacheFile>) -> Option<CacheSpec> {
    let d = CacheFile::default();
    let f = f.unwrap_or(&d);
    let capacity = match f.capacity {
        Some(n) => c.count("cache.capacity", n, 1, MAX_COUNT),
        None => Some(DEFAULT_CACHE_CAPACITY),
    };
    let policy = match f.policy.as_deref() {
        None => Some(Policy::Lru),
        Some(p) => {
            let v = Policy::from_name(p);
            if v.is_none() {
                c.issue(
                    "cache.policy",
                    format!(
                        "unknown policy \"{p}\": expected one of {}",
                        Policy::NAMES.join(", ")
                    ),
                );
            }
            v
        }
    };
    let ttl = match f.ttl.as_deref() {
        None => Some(None),
        Some(t) => match c.duration("cache.ttl", t) {
            Some(SimDuration::ZERO) => {
                c.issue(
                    "cache.ttl",
                    "must be greater than zero (leave it out for no expiry)",
                );
                None
            }
            other => other.map(Some),
        },
    };
    Some(CacheSpec {
        enabled: f.enabled.unwrap_or(true),
        capacity: capacity?,
        policy: policy?,
        ttl: ttl?,
    })
}

pub(super) fn stations(
    c: &mut Checker,
    files: &BTreeMap<String, StationFile>,
) -> (Vec<StationSpec>, Vec<StationGroup>) {
    let builtins = builtin_stations();
    let mut stations = Vec::new();
    let mut groups = Vec::new();
    // Built-ins first, in their documented order; then custom ones by name.
    let custom = files
        .keys()
        .filter(|k| !builtins.iter().any(|b| b.name == k.as_str()));
    let order: Vec<(String, Option<&_>)> = builtins
        .iter()
        .map(|b| (b.name.to_owned(), Some(b)))
        .chain(custom.map(|k| (k.clone(), None)))
        .collect();
    for (name, builtin) in order {
        let path = format!("stations.{name}");
        let f = files.get(&name).cloned().unwrap_or_default();
        let name_ok = !name.is_empty()
            && name
                .chars()
                .all(|ch| ch.is_ascii_alphanumeric() || ch == '_' || ch == '-');
        if !name_ok {
            c.issue(
                &path,
                format!("station name \"{name}\" must use only letters, digits, `_` and `-`"),
            );
        }
        let kind = match f.kind.as_deref() {
            None | Some("servers") => Some(StationKind::Servers),
            Some("pool") if builtin.is_some() => {
                c.issue(format!("{path}.kind"), format!("the built-in station \"{name}\" serves requests; declare a pool under a name of its own"));
                None
            }
            Some("pool") => Some(StationKind::Pool),
            Some(k) => {
                c.issue(
                    format!("{path}.kind"),
                    format!("unknown station kind \"{k}\": expected \"servers\" or \"pool\""),
                );
                None
            }
        };
        if kind == Some(StationKind::Pool) {
            for (key, present) in [
                ("workers", f.workers.is_some()),
                ("service_time", f.service_time.is_some()),
                ("shards", f.shards.is_some()),
            ] {
                if present {
                    c.issue(format!("{path}.{key}"), format!("a pool takes `size` (its permits) and no `{key}`: its cost is the route it is held around"));
                }
            }
            if f.size.is_none() {
                c.issue(
                    &path,
                    "a pool needs `size`, its number of permits, e.g. size = 20",
                );
            }
        } else if f.size.is_some() {
            c.issue(
                format!("{path}.size"),
                "only a pool (kind = \"pool\") has `size`; a station has `workers`",
            );
        }
        let pool = kind == Some(StationKind::Pool);
        let workers = match (f.workers, f.size) {
            (_, Some(n)) if pool => c.count(&format!("{path}.size"), n, 1, MAX_COUNT),
            _ if pool => None,
            (Some(w), _) => c.count(&format!("{path}.workers"), w, 1, MAX_COUNT),
            (None, _) => Some(builtin.map_or(1, |b| b.workers)),
        };
        let shards = match (f.shards, builtin) {
            (Some(s), Some(b)) if b.shards > 1 => c
                .count(&format!("{path}.shards"), s, 1, MAX_SHARDS)
                .map(|s| s as u16),
            (Some(s), None) => c
                .count(&format!("{path}.shards"), s, 1, MAX_SHARDS)
                .map(|s| s as u16),
            (Some(_), Some(_)) => {
                c.issue(
                    format!("{path}.shards"),
                    "of the built-in stations only `inventory` is sharded (a custom station may be, for a fanout)",
                );
                None
            }
            (None, b) => Some(b.map_or(1, |b| b.shards)),
        };
        let service_time = match (&f.service_time, builtin) {
            _ if pool => Some(Dist::Constant { value: 0.0 }),
            (Some(d), _) => c.dist(&format!("{path}.service_time"), d, Unit::Time),
            (None, Some(b)) => Some(b.service_time.clone()),
            (None, None) => {
                c.issue(&path, format!("custom station \"{name}\" needs `service_time`, e.g. {{ dist = \"exponential\", mean = \"5ms\" }}"));
                None
            }
        };
        let queue_limit = match f.queue_limit {
            Some(q) => c
                .count(&format!("{path}.queue_limit"), q, 0, MAX_COUNT)
                .map(Some),
            None => Some(None),
        };
        let timeout = match f.timeout.as_deref() {
            Some(t) => match c.duration(&format!("{path}.timeout"), t) {
                Some(SimDuration::ZERO) => {
                    c.issue(
                        format!("{path}.timeout"),
                        "must be greater than zero (leave it out to wait for ever)",
                    );
                    None
                }
                other => other.map(Some),
            },
            None => Some(None),
        };
        let (
            Some(kind),
            Some(workers),
            Some(shards),
            Some(service_time),
            Some(queue_limit),
            Some(timeout),
        ) = (kind, workers, shards, service_time, queue_limit, timeout)
        else {
            continue;
        };
        let gi = groups.len() as u16;
        groups.push(StationGroup {
            name: name.clone(),
            first: stations.len() as u16,
            shards,
            builtin: builtin.is_some(),
        });
        for s in 0..shards {
            stations.push(StationSpec {
                name: if builtin.is_some_and(|b| b.shards > 1) || shards > 1 {
                    format!("{name}[{s}]")
                } else {
                    name.clone()
                },
                group: gi,
                kind,
                workers,
                service_time: service_time.clone(),
                queue_limit,
                timeout,
            });
        }
    }
    if stations.len() > u16::MAX as usize {
        c.issue(
            "stations",
            format!(
                "{} station instances is too many (at most {})",
                stations.len(),
                u16::MAX
            ),
        );
    }
    (stations, groups)
}

pub(super) fn route_edits(
    c: &mut Checker,
    files: &BTreeMap<String, RouteFile>,
    groups: &[StationGroup],
    stations: &[StationSpec],
) -> [RouteEdit; N_ACTIONS] {
    let g = Groups { groups, stations };
    let mut edits: [RouteEdit; N_ACTIONS] = Default::default();
    for (name, f) in files {
        let path = format!("routes.{name}");
        let Some(action) = Action::from_name(name) else {
            c.issue(
                &path,
                format!(
                    "unknown operation \"{name}\": expected one of {} (a custom operation has its own `route` under [operations.{name}])",
                    Action::all_names()
                ),
            );
            continue;
        };
        let mut around = |key: &str, steps: &RouteSteps| -> Vec<RouteNode> {
            if steps.is_empty() {
                return Vec::new();
            }
            route(c, &format!("{path}.{key}"), steps, &g, 1).unwrap_or_default()
        };
        let prepend = around("prepend", &f.prepend);
        let append = around("append", &f.append);
        let hold = f
            .hold
            .as_deref()
            .and_then(|p| g.pool(c, &format!("{path}.hold"), p));
        edits[action.index()] = RouteEdit {
            prepend,
            append,
            hold,
        };
    }
    edits
}

pub(super) fn check_custom_stations_used(
    c: &mut Checker,
    groups: &[StationGroup],
    edits: &[RouteEdit; N_ACTIONS],
    operations: &[Operation],
    gateways: &[u16],
) {
    let mut used = gateways.to_vec();
    for e in edits {
        groups_of(&e.prepend, &mut used);
        groups_of(&e.append, &mut used);
        used.extend(e.hold);
    }
    for op in operations {
        groups_of(&op.route, &mut used);
    }
    for (gi, g) in groups.iter().enumerate() {
        if !g.builtin && !used.contains(&(gi as u16)) {
            c.issue(
                format!("stations.{}", g.name),
                format!(
                    "station \"{}\" is not a built-in station ({}) and nothing uses it: add it to a route ([routes.ACTION] append = [\"{}\"], an [operations.NAME] route, a `hold`) or as a payment method's `station`",
                    g.name,
                    builtin_stations().iter().map(|b| b.name).collect::<Vec<_>>().join(", "),
                    g.name
                ),
            );
        }
    }
}

/// The route table: each built-in action's route (its edits around the
/// default route, held in a pool if asked), then each custom operation's,
/// then the routes nested in them.
pub(super) fn build_routes(
    groups: &[StationGroup],
    edits: &[RouteEdit; N_ACTIONS],
    operations: &[Operation],
    cache: bool,
) -> (Vec<Vec<Step>>, Vec<crate::contract::policy::CallPolicy>) {
    let find = |name: &str| {
        groups
            .iter()
            .find(|g| g.name == name)
            .map_or((0, 1), |g| (g.first, g.shards))
    };
    let mut t = Table {
        groups,
        routes: vec![Vec::new(); N_ACTIONS + operations.len()],
        policies: Vec::new(),
    };
    for a in Action::ALL {
        let e = &edits[a.index()];
        let mut steps = t.compile(&e.prepend);
        steps.extend(default_route(a, find, cache));
        let append = t.compile(&e.append);
        steps.extend(append);
        if let Some(pool) = e.hold {
            let route = t.push(steps);
            steps = vec![Step::Hold {
                pool: groups[pool as usize].first,
                route,
            }];
        }
        t.routes[a.index()] = steps;
    }
    for (i, op) in operations.iter().enumerate() {
        let steps = t.compile(&op.route);
        t.routes[N_ACTIONS + i] = steps;
    }
    (t.routes, t.policies)
}

pub(super) const FAULT_KINDS: &str = "slow, outage, cache_flush, payment_declines";

pub(super) fn faults(
    c: &mut Checker,
    files: &[FaultFile],
    groups: &[StationGroup],
    duration: Option<SimDuration>,
) -> Vec<Fault> {
    let mut out = Vec::new();
    for (i, f) in files.iter().enumerate() {
        let p = format!("faults.{i}");
        let at = match &f.at {
            Some(t) => c.duration(&format!("{p}.at"), t),
            None => {
                c.issue(&p, "a fault needs `at`, e.g. at = \"45m\"");
                None
            }
        };
        if let (Some(at), Some(d)) = (at, duration)
            && at >= d
        {
            c.issue(
                format!("{p}.at"),
                format!("fault at {at} starts after the run's duration {d}"),
            );
        }
        let lasts = match &f.lasts {
            Some(t) => c.duration(&format!("{p}.for"), t).filter(|d| {
                let ok = *d > SimDuration::ZERO;
                if !ok {
                    c.issue(format!("{p}.for"), "`for` must be greater than zero");
                }
                ok
            }),
            None => None,
        };
        let group = |c: &mut Checker| -> Option<u16> {
            let Some(name) = &f.station else {
                c.issue(&p, "this fault needs `station`");
                return None;
            };
            let g = groups
                .iter()
                .position(|g| &g.name == name)
                .map(|g| g as u16);
            if g.is_none() {
                c.issue(
                    format!("{p}.station"),
                    format!(
                        "unknown station \"{name}\": expected one of {}",
                        groups
                            .iter()
                            .map(|g| g.name.as_str())
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                );
            }
            g
        };
        let stray = |c: &mut Checker, key: &str, present: bool, kind: &str| {
            if present {
                let a = if kind.starts_with(['a', 'e', 'i', 'o', 'u']) {
                    "an"
                } else {
                    "a"
                };
                c.issue(
                    format!("{p}.{key}"),
                    format!("{a} `{kind}` fault does not take `{key}`"),
                );
            }
        };
        let kind = match f.kind.as_deref() {
            Some("slow") => {
                stray(c, "mode", f.mode.is_some(), "slow");
                stray(c, "decline_rate", f.decline_rate.is_some(), "slow");
                let g = group(c);
                let factor = match f.factor {
                    Some(x) => c.at_most(&format!("{p}.factor"), x, false, MAX_SLOWDOWN, "times"),
                    None => {
                        c.issue(&p, "a `slow` fault needs `factor`, e.g. factor = 5.0");
                        None
                    }
                };
                g.zip(factor)
                    .map(|(group, factor)| FaultKind::Slow { group, factor })
            }
            Some("outage") => {
                stray(c, "factor", f.factor.is_some(), "outage");
                stray(c, "decline_rate", f.decline_rate.is_some(), "outage");
                let g = group(c);
                let hang = match f.mode.as_deref() {
                    None | Some("fail_fast") => Some(false),
                    Some("hang") => Some(true),
                    Some(m) => {
                        c.issue(
                            format!("{p}.mode"),
                            format!(
                                "unknown outage mode \"{m}\": expected \"fail_fast\" or \"hang\""
                            ),
                        );
                        None
                    }
                };
                g.zip(hang)
                    .map(|(group, hang)| FaultKind::Outage { group, hang })
            }
            Some("cache_flush") => {
                for (key, present) in [
                    ("station", f.station.is_some()),
                    ("factor", f.factor.is_some()),
                    ("mode", f.mode.is_some()),
                    ("decline_rate", f.decline_rate.is_some()),
                    ("for", f.lasts.is_some()),
                ] {
                    stray(c, key, present, "cache_flush");
                }
                Some(FaultKind::CacheFlush)
            }
            Some("payment_declines") => {
                for (key, present) in [
                    ("station", f.station.is_some()),
                    ("factor", f.factor.is_some()),
                    ("mode", f.mode.is_some()),
                ] {
                    stray(c, key, present, "payment_declines");
                }
                match f.decline_rate {
                    Some(r) if (0.0..=1.0).contains(&r) => {
                        Some(FaultKind::PaymentDeclines { rate: r })
                    }
                    Some(r) => {
                        c.issue(
                            format!("{p}.decline_rate"),
                            format!("`decline_rate` must be between 0 and 1, found {r}"),
                        );
                        None
                    }
                    None => {
                        c.issue(&p, "a `payment_declines` fault needs `decline_rate`, e.g. decline_rate = 0.4");
                        None
                    }
                }
            }
            Some(other) => {
                c.issue(
                    format!("{p}.kind"),
                    format!("unknown fault kind \"{other}\": expected one of {FAULT_KINDS}"),
                );
                None
            }
            None => {
                c.issue(&p, format!("a fault needs `kind`: one of {FAULT_KINDS}"));
                None
            }
        };
        if kind.as_ref().is_some_and(|k| *k != FaultKind::CacheFlush) && f.lasts.is_none() {
            c.issue(&p, "this fault needs `for`, e.g. for = \"10m\"");
        }
        if let (Some(at), Some(kind)) = (at, kind) {
            out.push(Fault { at, lasts, kind });
        }
    }
    out
}
