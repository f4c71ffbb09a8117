//! Windows on the run's time axis: how long each time-series interval was
//! measured, the divisor of every per-interval rate (`timeseries.csv`'s
//! `goodput_per_s`, the charts of `report.html`), and when the scenario's
//! `[[faults]]` were open ([`FaultMark`], for the charts).
//!
//! An interval starts at `t_s` (seconds of virtual time, as in
//! `timeseries.csv`) and lasts `report_interval`, except the last: a run
//! measures until its last event, so its last interval is usually shorter
//! and a rate there divides by that real length. Replications each measure
//! an interval once and their counts add, so [`Intervals::seconds`] is the
//! sum of their lengths: a rate of an interval is then the same pooled
//! average as `summary.csv`'s `throughput_per_s` (counts and windows both
//! add), and a replication that ended earlier adds nothing to the later
//! intervals.

use crate::contract::fault::FaultKind;
use crate::scenario::Scenario;

/// The measured length of every interval.
#[derive(Clone, Debug, PartialEq)]
pub struct Intervals {
    /// `report_interval`, seconds.
    interval_s: f64,
    /// Each replication's last event, seconds.
    ends_s: Vec<f64>,
}

impl Intervals {
    /// Intervals of `interval_s` seconds, measured by replications that
    /// ended at `ends_s` (one for a plain run).
    pub fn new(interval_s: f64, ends_s: Vec<f64>) -> Intervals {
        Intervals { interval_s, ends_s }
    }

    /// Replications merged.
    pub fn runs(&self) -> usize {
        self.ends_s.len()
    }

    /// Seconds the interval starting at `t_s` was measured, summed over
    /// the replications.
    pub fn seconds(&self, t_s: f64) -> f64 {
        self.ends_s
            .iter()
            .map(|end| (end - t_s).clamp(0.0, self.interval_s))
            .sum()
    }

    /// `n` (a count summed over the replications) per measured second of
    /// the interval starting at `t_s`; 0 when it was not measured at all.
    pub fn per_s(&self, n: u64, t_s: f64) -> f64 {
        let s = self.seconds(t_s);
        if s > 0.0 { n as f64 / s } else { 0.0 }
    }
}

/// A fault of the scenario on the time axis.
#[derive(Clone, Debug, PartialEq)]
pub struct FaultMark {
    /// What and where, in the scenario's words: `slow payment ×5`,
    /// `outage payment`, `outage payment (hang)`, `cache_flush`,
    /// `payment_declines 20%`.
    pub label: String,
    /// When it opens, seconds of virtual time (`at`).
    pub at_s: f64,
    /// When it closes (`at + for`); `None` for an instant fault (a cache
    /// flush).
    pub until_s: Option<f64>,
}

/// The faults of `sc`, in file order.
pub fn fault_marks(sc: &Scenario) -> Vec<FaultMark> {
    let group = |g: &u16| sc.groups.get(*g as usize).map_or("?", |g| g.name.as_str());
    sc.faults
        .iter()
        .map(|f| FaultMark {
            label: match &f.kind {
                FaultKind::Slow { group: g, factor } => {
                    format!("slow {} ×{}", group(g), short(*factor))
                }
                FaultKind::Outage { group: g, hang } => {
                    format!("outage {}{}", group(g), if *hang { " (hang)" } else { "" })
                }
                FaultKind::CacheFlush => "cache_flush".to_owned(),
                FaultKind::PaymentDeclines { rate } => {
                    format!("payment_declines {}%", short(rate * 100.0))
                }
            },
            at_s: f.at.as_secs_f64(),
            until_s: f.lasts.map(|d| (f.at + d).as_secs_f64()),
        })
        .collect()
}

/// `v` with at most 3 decimals and no trailing zeros: `5`, `2.5`, `20`.
fn short(v: f64) -> String {
    let s = format!("{v:.3}");
    s.trim_end_matches('0').trim_end_matches('.').to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_last_interval_ends_at_each_replications_last_event() {
        let one = Intervals::new(10.0, vec![25.0]);
        assert_eq!(one.seconds(0.0), 10.0);
        assert_eq!(one.seconds(20.0), 5.0, "the last interval is short");
        assert_eq!(one.per_s(15, 20.0), 3.0);
        let two = Intervals::new(10.0, vec![25.0, 12.0]);
        assert_eq!(two.seconds(0.0), 20.0);
        assert_eq!(two.seconds(10.0), 12.0, "10 s + the second's last 2 s");
        assert_eq!(two.seconds(20.0), 5.0, "the second run ended before");
        assert_eq!(two.per_s(7, 30.0), 0.0, "measured by none");
    }

    #[test]
    fn faults_are_marked_with_their_kind_target_and_window() {
        let sc = super::super::fixture::scenario(
            r#"
[stations.payment]
workers = 1
[[faults]]
kind = "slow"
station = "payment"
factor = 2.5
at = "5s"
for = "3s"
[[faults]]
kind = "cache_flush"
at = "12s"
[[faults]]
kind = "payment_declines"
at = "1s"
for = "500ms"
decline_rate = 0.2
"#,
        );
        let marks = fault_marks(&sc);
        let got: Vec<(&str, f64, Option<f64>)> = marks
            .iter()
            .map(|m| (m.label.as_str(), m.at_s, m.until_s))
            .collect();
        assert_eq!(
            got,
            [
                ("slow payment ×2.5", 5.0, Some(8.0)),
                ("cache_flush", 12.0, None),
                ("payment_declines 20%", 1.0, Some(1.5)),
            ]
        );
    }
}
