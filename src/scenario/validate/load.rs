//! `[load]` and `[behavior]`: the arrival process, think time and the
//! session's Markov chain (every action reachable can leave).

use super::*;

pub(super) fn load(
    c: &mut Checker,
    l: Option<&LoadFile>,
    custom: &[String],
) -> (Option<Load>, Option<Dist>) {
    let Some(l) = l else {
        c.issue("load", "missing [load] table: set type = \"open\" with `rate` or `stages`, type = \"closed\" with `users`, or type = \"replay\" with `file`");
        return (None, None);
    };
    let think = match &l.think_time {
        Some(d) => c.dist("load.think_time", d, Unit::Time),
        None => Some(Dist::Constant { value: 0.0 }),
    };
    let load = match l.kind.as_deref() {
        Some("open") => open_load(c, l),
        Some("closed") => closed_load(c, l),
        Some("replay") => super::replay::replay_load(c, l, &SessionOps { custom }),
        Some(other) => {
            c.issue(
                "load.type",
                format!(
                    "unknown load type \"{other}\": expected \"open\", \"closed\" or \"replay\""
                ),
            );
            None
        }
        None => {
            c.issue("load", "missing `type`: \"open\", \"closed\" or \"replay\"");
            None
        }
    };
    (load, think)
}

/// Replay's keys in another load type.
fn no_replay_keys(c: &mut Checker, l: &LoadFile, kind: &str) {
    for (key, here) in [
        ("file", l.file.is_some()),
        ("speed", l.speed.is_some()),
        ("sha256", l.sha256.is_some()),
    ] {
        if here {
            c.issue(
                format!("load.{key}"),
                format!("`{key}` belongs to type = \"replay\", not \"{kind}\""),
            );
        }
    }
}

pub(super) fn open_load(c: &mut Checker, l: &LoadFile) -> Option<Load> {
    no_replay_keys(c, l, "open");
    if l.users.is_some() {
        c.issue(
            "load.users",
            "`users` belongs to type = \"closed\"; an open load uses `rate` or `stages`",
        );
    }
    if l.ramp_up.is_some() {
        c.issue(
            "load.ramp_up",
            "`ramp_up` belongs to type = \"closed\"; ramp an open load with `stages`",
        );
    }
    match (&l.rate, &l.stages) {
        (Some(_), Some(_)) => {
            c.issue("load.stages", "give either `rate` or `stages`, not both");
            None
        }
        (None, None) => {
            c.issue(
                "load",
                "an open load needs `rate` (sessions per second) or `stages`",
            );
            None
        }
        (Some(rate), None) => {
            let r = c.rate("load.rate", *rate, false)?;
            Some(Load::Open {
                stages: vec![(SimDuration::ZERO, r)],
                constant: true,
            })
        }
        (None, Some(stages)) => {
            if stages.is_empty() {
                c.issue(
                    "load.stages",
                    "needs at least one stage, e.g. [{ at = \"0s\", rate = 10.0 }]",
                );
                return None;
            }
            let mut out = Vec::new();
            let mut prev: Option<SimDuration> = None;
            for (i, st) in stages.iter().enumerate() {
                let p = format!("load.stages.{i}");
                let at = match &st.at {
                    Some(t) => c.duration(&format!("{p}.at"), t),
                    None => {
                        c.issue(&p, "stage needs `at`");
                        None
                    }
                };
                let rate = match st.rate {
                    Some(r) => c.rate(&format!("{p}.rate"), r, true),
                    None => {
                        c.issue(&p, "stage needs `rate`");
                        None
                    }
                };
                if let Some(at) = at {
                    if i == 0 && at != SimDuration::ZERO {
                        c.issue(
                            format!("{p}.at"),
                            format!("the first stage must be at \"0s\", found {at}"),
                        );
                    }
                    if let Some(pr) = prev
                        && at <= pr
                    {
                        c.issue(
                            format!("{p}.at"),
                            format!(
                                "stages must be in increasing time order: {at} is not after {pr}"
                            ),
                        );
                    }
                    prev = Some(at);
                }
                if let (Some(at), Some(rate)) = (at, rate) {
                    out.push((at, rate));
                }
            }
            if out.len() == stages.len() && out.iter().all(|s| s.1 == 0.0) {
                c.issue(
                    "load.stages",
                    "every stage has rate 0: no session would ever arrive",
                );
            }
            (out.len() == stages.len()).then_some(Load::Open {
                stages: out,
                constant: false,
            })
        }
    }
}

pub(super) fn closed_load(c: &mut Checker, l: &LoadFile) -> Option<Load> {
    no_replay_keys(c, l, "closed");
    if l.rate.is_some() || l.stages.is_some() {
        c.issue(
            if l.rate.is_some() {
                "load.rate"
            } else {
                "load.stages"
            },
            "`rate` and `stages` belong to type = \"open\"; a closed load uses `users`",
        );
    }
    let users = match l.users {
        Some(u) => c.count("load.users", u, 1, MAX_COUNT),
        None => {
            c.issue("load", "a closed load needs `users`");
            None
        }
    };
    let ramp_up = match &l.ramp_up {
        Some(t) => c.duration("load.ramp_up", t),
        None => Some(SimDuration::ZERO),
    };
    Some(Load::Closed {
        users: users?,
        ramp_up: ramp_up?,
    })
}

/// The operations a session can take: the customer actions, then the
/// scenario's own (`custom`, in name order).
pub struct SessionOps<'a> {
    pub(super) custom: &'a [String],
}

impl SessionOps<'_> {
    pub(super) fn find(&self, name: &str) -> Option<Op> {
        Action::customer_from_name(name)
            .map(Op::from)
            .or_else(|| self.custom.iter().position(|c| c == name).map(Op::custom))
    }

    pub(super) fn names(&self) -> String {
        std::iter::once(Action::names())
            .chain(self.custom.iter().cloned())
            .collect::<Vec<_>>()
            .join(", ")
    }

    fn count(&self) -> usize {
        N_ACTIONS + self.custom.len()
    }

    fn name(&self, op: Op) -> String {
        match op.action() {
            Some(a) => a.name().to_owned(),
            None => self.custom[op.index() - N_ACTIONS].clone(),
        }
    }
}

pub(super) fn next_of(
    c: &mut Checker,
    path: &str,
    name: &str,
    ops: &SessionOps<'_>,
) -> Option<Next> {
    if name == LEAVE {
        return Some(Next::Leave);
    }
    match ops.find(name) {
        Some(op) => Some(Next::Act(op)),
        None => {
            c.issue(
                path,
                format!(
                    "unknown action \"{name}\": expected one of {}, {LEAVE}",
                    ops.names()
                ),
            );
            None
        }
    }
}

pub(super) fn choice(
    c: &mut Checker,
    path: &str,
    table: &BTreeMap<String, f64>,
    allow_leave: bool,
    ops: &SessionOps<'_>,
) -> Option<Choice> {
    let mut options = Vec::new();
    let mut ok = true;
    for (name, &p) in table {
        let kp = format!("{path}.{name}");
        let next = next_of(c, &kp, name, ops);
        if next == Some(Next::Leave) && !allow_leave {
            c.issue(&kp, "a session cannot start by leaving");
            ok = false;
        }
        let prob = if p.is_finite() && (0.0..=1.0).contains(&p) {
            Some(p)
        } else {
            c.issue(
                &kp,
                format!("probability must be between 0 and 1, found {p}"),
            );
            None
        };
        match (next, prob) {
            (Some(n), Some(p)) => options.push((n, p)),
            _ => ok = false,
        }
    }
    if table.is_empty() {
        c.issue(path, "needs at least one next action with its probability");
        return None;
    }
    if !ok {
        return None;
    }
    let sum: f64 = options.iter().map(|o| o.1).sum();
    if (sum - 1.0).abs() > SUM_TOLERANCE {
        c.issue(path, format!("probabilities must sum to 1, found {sum}"));
        return None;
    }
    Some(Choice { options })
}

pub(super) fn behavior(
    c: &mut Checker,
    b: Option<&BehaviorFile>,
    custom: &[String],
    also_starts: &[Op],
) -> Option<Behavior> {
    let ops = SessionOps { custom };
    let Some(b) = b else {
        c.issue(
            "behavior",
            "missing [behavior] table: it needs `start` and [behavior.transitions]",
        );
        return None;
    };
    let start = match &b.start {
        None => {
            c.issue("behavior", "missing `start`: the first action of a session");
            None
        }
        Some(StartFile::One(name)) => match next_of(c, "behavior.start", name, &ops) {
            Some(Next::Leave) => {
                c.issue("behavior.start", "a session cannot start by leaving");
                None
            }
            Some(n) => Some(Choice {
                options: vec![(n, 1.0)],
            }),
            None => None,
        },
        Some(StartFile::Mix(m)) => choice(c, "behavior.start", m, false, &ops),
    };
    let n = ops.count();
    let mut given: Vec<Option<Choice>> = vec![None; n];
    let mut all_ok = true;
    for (name, table) in &b.transitions {
        let path = format!("behavior.transitions.{name}");
        let Some(action) = ops.find(name) else {
            c.issue(
                &path,
                format!("unknown action \"{name}\": expected one of {}", ops.names()),
            );
            all_ok = false;
            continue;
        };
        match choice(c, &path, table, true, &ops) {
            Some(ch) => given[action.index()] = Some(ch),
            None => all_ok = false,
        }
    }
    let start = start?;
    if !all_ok {
        return None;
    }
    // Reachability from the start; every reachable action needs transitions
    // and must be able to reach `leave`.
    let mut reachable = vec![false; n];
    let mut stack: Vec<Op> = start
        .options
        .iter()
        .filter(|o| o.1 > 0.0)
        .filter_map(|o| match o.0 {
            Next::Act(a) => Some(a),
            Next::Leave => None,
        })
        .chain(also_starts.iter().copied())
        .collect();
    while let Some(a) = stack.pop() {
        if std::mem::replace(&mut reachable[a.index()], true) {
            continue;
        }
        match &given[a.index()] {
            Some(ch) => {
                stack.extend(
                    ch.options
                        .iter()
                        .filter(|o| o.1 > 0.0)
                        .filter_map(|o| match o.0 {
                            Next::Act(n) => Some(n),
                            Next::Leave => None,
                        }),
                )
            }
            None => {
                let a = ops.name(a);
                c.issue(
                    "behavior.transitions",
                    format!("action \"{a}\" can be reached but has no transitions: add `{a} = {{ ..., leave = ... }}`"),
                )
            }
        }
    }
    let mut can_leave = vec![false; n];
    let all: Vec<Op> = (0..n as u16).map(Op).collect();
    loop {
        let mut changed = false;
        for &a in &all {
            if can_leave[a.index()] {
                continue;
            }
            if let Some(ch) = &given[a.index()] {
                let leaves = ch.options.iter().filter(|o| o.1 > 0.0).any(|o| match o.0 {
                    Next::Leave => true,
                    Next::Act(n) => can_leave[n.index()],
                });
                if leaves {
                    can_leave[a.index()] = true;
                    changed = true;
                }
            }
        }
        if !changed {
            break;
        }
    }
    for &op in &all {
        if reachable[op.index()] && given[op.index()].is_some() && !can_leave[op.index()] {
            let a = ops.name(op);
            c.issue(
                format!("behavior.transitions.{a}"),
                format!("sessions that reach \"{a}\" can never leave: give some path from it a `leave` probability"),
            );
        }
    }
    let transitions = all
        .iter()
        .map(|a| {
            if reachable[a.index()] {
                given[a.index()].take()
            } else {
                None
            }
        })
        .collect();
    Some(Behavior { start, transitions })
}
