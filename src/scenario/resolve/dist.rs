//! Distributions written back in the scenario grammar.

use super::dur;
use crate::contract::names::DATA_DIR;
use crate::kernel::dist::Dist;
use crate::kernel::time::SimDuration;
use crate::scenario::file::{DistFile, Quantity};

fn time_q(ns: f64) -> Quantity {
    Quantity::Text(dur(SimDuration::from_nanos(ns.round() as u64)))
}

/// A distribution in the file grammar; `time` says whether its parameters
/// are nanoseconds (written back as durations) or plain numbers.
pub fn dist_file(d: &Dist, time: bool) -> DistFile {
    let q = |v: f64| if time { time_q(v) } else { Quantity::Number(v) };
    let mut f = DistFile::default();
    match *d {
        Dist::Empirical(ref e) => {
            f.dist = Some("empirical".into());
            f.file = Some(format!("{DATA_DIR}/{}", e.source.name));
            f.column = e.source.column.clone();
            f.unit = e.source.unit.clone();
            f.sha256 = Some(e.source.sha256.clone());
        }
        Dist::Percentiles { ref points } => {
            f.dist = Some("percentiles".into());
            for &(level, value) in points {
                let key = match level {
                    0.0 => "min",
                    1.0 => "max",
                    _ => DistFile::PERCENTILES
                        .iter()
                        .find(|p| p.1 == level)
                        .map_or("", |p| p.0),
                };
                match key {
                    "min" => f.min = Some(q(value)),
                    "max" => f.max = Some(q(value)),
                    key => f.set_percentile(key, q(value)),
                }
            }
        }
        Dist::Constant { value } => {
            f.dist = Some("constant".into());
            f.value = Some(q(value));
        }
        Dist::Exponential { mean } => {
            f.dist = Some("exponential".into());
            f.mean = Some(q(mean));
        }
        Dist::Uniform { min, max } => {
            f.dist = Some("uniform".into());
            f.min = Some(q(min));
            f.max = Some(q(max));
        }
        Dist::LogNormal { median, sigma } => {
            f.dist = Some("lognormal".into());
            f.median = Some(q(median));
            f.sigma = Some(sigma);
        }
        Dist::Gamma { mean, cv } => {
            f.dist = Some("gamma".into());
            f.mean = Some(q(mean));
            f.cv = Some(cv);
        }
    }
    f
}
