//! The backend: `[cache]`, `[stations.*]` and `[routes.*]` (compiled into
//! each action's route); `[[faults]]` are in `faults.rs`.

use super::*;
use crate::backend::station::{Discipline, StationPolicy};

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
        let policy = station_policy(c, &path, &f, pool);
        let found = super::capacity::capacity(c, &path, &f, workers, pool);
        let (
            Some(kind),
            Some(super::capacity::Found {
                capacity,
                workers,
                cost_per_hour,
            }),
            Some(shards),
            Some(service_time),
            Some(queue_limit),
            Some(timeout),
            Some(policy),
        ) = (
            kind,
            found,
            shards,
            service_time,
            queue_limit,
            timeout,
            policy,
        )
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
                policy,
                capacity: capacity.clone(),
                cost_per_hour,
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

/// A station's `discipline`, `max_wait` and `fail_rate`; a pool serves
/// nothing, so it takes only a discipline.
fn station_policy(
    c: &mut Checker,
    path: &str,
    f: &StationFile,
    pool: bool,
) -> Option<StationPolicy> {
    let discipline = match f.discipline.as_deref() {
        None => Some(Discipline::Fifo),
        Some(d) => {
            let v = Discipline::from_name(d);
            if v.is_none() {
                c.issue(
                    format!("{path}.discipline"),
                    format!(
                        "unknown discipline \"{d}\": expected \"{}\"",
                        Discipline::NAMES.join("\" or \"")
                    ),
                );
            }
            v
        }
    };
    if pool {
        for (key, present) in [
            ("max_wait", f.max_wait.is_some()),
            ("fail_rate", f.fail_rate.is_some()),
        ] {
            if present {
                c.issue(format!("{path}.{key}"), format!("a pool serves nothing, so it takes no `{key}`: set it on a station of the route the pool is held around"));
            }
        }
    }
    let max_wait = match f.max_wait.as_deref() {
        // Reported above; the pool itself stands, so routes holding it
        // are checked as usual.
        Some(_) if pool => Some(None),
        Some(t) => match c.duration(&format!("{path}.max_wait"), t) {
            Some(SimDuration::ZERO) => {
                c.issue(
                    format!("{path}.max_wait"),
                    "must be greater than zero (leave it out to serve a request however long it waited)",
                );
                None
            }
            other => other.map(Some),
        },
        None => Some(None),
    };
    let fail_rate = match f.fail_rate {
        Some(_) if pool => Some(0.0),
        // `-0.0` is 0: the resolved scenario says `0.0`.
        Some(r) if (0.0..=1.0).contains(&r) => Some(r + 0.0),
        Some(r) => {
            c.issue(
                format!("{path}.fail_rate"),
                format!("must be a probability between 0 and 1, found {r}"),
            );
            None
        }
        None => Some(0.0),
    };
    Some(StationPolicy {
        discipline: discipline?,
        max_wait: max_wait?,
        fail_rate: fail_rate?,
    })
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
