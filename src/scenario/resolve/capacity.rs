//! Writing a station's moving capacity back: its `schedule` or its
//! `[stations.NAME.autoscale]` with every default filled in.

use super::{dist_file, dur};
use crate::scenario::file::{AutoscaleFile, ScheduleFile};
use crate::scenario::model::Capacity;

/// The `schedule` and `autoscale` keys of a station moving as `c` says.
pub(super) fn files(c: &Capacity) -> (Option<Vec<ScheduleFile>>, Option<AutoscaleFile>) {
    match c {
        Capacity::Fixed => (None, None),
        Capacity::Schedule(steps) => (
            Some(
                steps
                    .iter()
                    .map(|s| ScheduleFile {
                        at: Some(dur(s.at)),
                        workers: Some(s.workers as i64),
                    })
                    .collect(),
            ),
            None,
        ),
        Capacity::Autoscale(a) => {
            let r = &a.rule;
            (
                None,
                Some(AutoscaleFile {
                    metric: Some(a.metric.name().to_owned()),
                    target: Some(r.target),
                    period: Some(dur(a.period)),
                    tolerance: Some(r.tolerance),
                    min: Some(r.min as i64),
                    max: Some(r.max as i64),
                    max_step_up: r.max_step_up.map(i64::from),
                    max_step_down: r.max_step_down.map(i64::from),
                    scale_down_stabilization: Some(dur(r.stabilization)),
                    provisioning: Some(dist_file(&a.provisioning, true)),
                }),
            )
        }
    }
}
