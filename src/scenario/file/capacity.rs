//! A station's moving capacity as the file writes it: `schedule` entries
//! and `[stations.NAME.autoscale]`, every key checked
//! (`deny_unknown_fields`); `validate/capacity.rs` gives them meaning.

use serde::{Deserialize, Serialize};

use super::DistFile;

/// One entry of a station's `schedule`.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ScheduleFile {
    /// From when (a duration from the start of the run).
    pub at: Option<String>,
    /// Workers from then on.
    pub workers: Option<i64>,
}

/// `[stations.NAME.autoscale]`: the Kubernetes HPA's rule.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct AutoscaleFile {
    /// `"utilization"` (default), `"queue_per_worker"` or
    /// `"in_flight_per_worker"`.
    pub metric: Option<String>,
    /// The metric's target (required).
    pub target: Option<f64>,
    /// Averaging period and time between decisions (default 15s).
    pub period: Option<String>,
    /// No change within this relative distance of the target (default 0.1).
    pub tolerance: Option<f64>,
    /// Fewest workers (default 1).
    pub min: Option<i64>,
    /// Most workers (required).
    pub max: Option<i64>,
    /// Most workers added per period (absent: no limit).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_step_up: Option<i64>,
    /// Most workers removed per period (absent: no limit).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_step_down: Option<i64>,
    /// A scale-down keeps the highest recommendation of this window
    /// (default 5m).
    pub scale_down_stabilization: Option<String>,
    /// Each added worker's cold start (default constant 0s).
    pub provisioning: Option<DistFile>,
}
