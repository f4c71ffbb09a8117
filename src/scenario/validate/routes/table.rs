//! Compiling validated routes into the scenario's route table: each
//! construct becomes one [`Step`], its nested routes (a `parallel`'s
//! branches, with consecutive ids; a `hold`'s body; a group) are appended
//! to the table as they are met.

use super::*;
use crate::contract::policy::{CallPolicy, NO_POLICY, PolicyId};

/// The route table under construction: operations' routes first, nested
/// routes appended as they are met.
pub(in crate::scenario::validate) struct Table<'a> {
    pub(in crate::scenario::validate) groups: &'a [StationGroup],
    pub(in crate::scenario::validate) routes: Vec<Vec<Step>>,
    /// The call sites' policies, in the order their steps are met.
    pub(in crate::scenario::validate) policies: Vec<CallPolicy>,
}

impl Table<'_> {
    /// A new route holding `steps`; its id.
    pub(in crate::scenario::validate) fn push(&mut self, steps: Vec<Step>) -> RouteId {
        self.routes.push(steps);
        (self.routes.len() - 1) as RouteId
    }

    /// The steps of `nodes`, their nested routes added to the table.
    pub(in crate::scenario::validate) fn compile(&mut self, nodes: &[RouteNode]) -> Vec<Step> {
        nodes.iter().map(|n| self.step(n)).collect()
    }

    fn step(&mut self, n: &RouteNode) -> Step {
        let first = |g: u16| self.groups[g as usize].first;
        match n {
            RouteNode::Visit { group, p: None } => Step::Visit(first(*group)),
            RouteNode::Visit { group, p: Some(p) } => Step::VisitP {
                station: first(*group),
                p: *p,
            },
            RouteNode::Fanout {
                group,
                n,
                wait,
                cancel,
            } => Step::Fanout {
                first: first(*group),
                shards: self.groups[*group as usize].shards,
                n: *n,
                need: wait.need(*n),
                cancel: *cancel,
            },
            RouteNode::Hedge {
                group,
                after,
                max,
                cancel,
            } => Step::Hedge {
                station: first(*group),
                after: *after,
                max: *max,
                cancel: *cancel,
            },
            RouteNode::Parallel {
                branches,
                wait,
                cancel,
            } => {
                // Branches take consecutive ids: reserve them, then fill.
                let start = self.routes.len() as RouteId;
                self.routes.extend(branches.iter().map(|_| Vec::new()));
                for (i, b) in branches.iter().enumerate() {
                    let steps = self.compile(b);
                    self.routes[start as usize + i] = steps;
                }
                let n = branches.len() as u16;
                Step::Parallel {
                    first: start,
                    n,
                    need: wait.need(n),
                    cancel: *cancel,
                }
            }
            RouteNode::Hold { pool, route } => {
                let pool = first(*pool);
                let steps = self.compile(route);
                Step::Hold {
                    pool,
                    route: self.push(steps),
                }
            }
            RouteNode::Group(route) => {
                let steps = self.compile(route);
                Step::Group {
                    route: self.push(steps),
                    policy: NO_POLICY,
                }
            }
            RouteNode::Guarded { inner, policy } => {
                // A group is called as it is; any other step is called as
                // a route of one step.
                let steps = match &**inner {
                    RouteNode::Group(route) => self.compile(route),
                    step => vec![self.step(step)],
                };
                let route = self.push(steps);
                self.policies.push((**policy).clone());
                Step::Group {
                    route,
                    policy: (self.policies.len() - 1) as PolicyId,
                }
            }
        }
    }
}
