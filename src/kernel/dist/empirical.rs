//! Empirical distributions: draws from data (raw samples, or a
//! histogram's quantile rows) and the data file they came from.

use super::{DistError, check};

/// An empirical distribution: its draws and where they came from.
#[derive(Debug, PartialEq)]
pub struct Empirical {
    /// The data file it was read from, as the scenario refers to it again.
    pub source: DataRef,
    /// What is drawn.
    pub table: Table,
}

/// A data file as a scenario names it once read: the name of its copy in
/// a report's `data/`, its content hash and how it was read. Kept so the
/// resolved scenario can refer to the copy.
#[derive(Clone, Debug, PartialEq)]
pub struct DataRef {
    /// File name of the copy under the report's `data/`.
    pub name: String,
    /// SHA-256 of the file's bytes, lower-case hex.
    pub sha256: String,
    /// The unit its numbers are in (`ns`, `us`, `ms`, `s`), for times.
    pub unit: Option<String>,
    /// The CSV column the samples were read from.
    pub column: Option<String>,
}

/// The draws of an [`Empirical`] distribution, in the quantity's base unit.
#[derive(Debug, PartialEq)]
pub enum Table {
    /// Raw samples, each drawn with probability 1/n.
    Samples(Vec<f64>),
    /// A quantile function given at increasing levels from 0 to 1 (a
    /// histogram's cumulative rows), linear in the value between them.
    Quantiles {
        /// Levels, `0` first and `1` last, non-decreasing.
        levels: Vec<f64>,
        /// The value at each level, non-decreasing.
        values: Vec<f64>,
    },
}

impl Table {
    /// The exact mean of the draws.
    pub fn mean(&self) -> f64 {
        match self {
            Table::Samples(xs) => xs.iter().sum::<f64>() / xs.len().max(1) as f64,
            Table::Quantiles { levels, values } => levels
                .windows(2)
                .zip(values.windows(2))
                .map(|(l, v)| (l[1] - l[0]) * (v[0] + v[1]) / 2.0)
                .sum(),
        }
    }

    /// The quantile at level `u` in `[0, 1)`.
    pub fn quantile(&self, u: f64) -> f64 {
        match self {
            Table::Samples(xs) => xs[((u * xs.len() as f64) as usize).min(xs.len() - 1)],
            Table::Quantiles { levels, values } => {
                let i = levels
                    .partition_point(|&l| l <= u)
                    .clamp(1, levels.len() - 1);
                let (l0, l1) = (levels[i - 1], levels[i]);
                let (v0, v1) = (values[i - 1], values[i]);
                if l1 > l0 {
                    v0 + (u - l0) * (v1 - v0) / (l1 - l0)
                } else {
                    v1
                }
            }
        }
    }

    /// Checks what a draw relies on: data present, levels from 0 to 1 in
    /// order, values finite, non-negative and in order.
    pub(super) fn check(&self) -> Result<(), DistError> {
        let ok = match self {
            Table::Samples(xs) => !xs.is_empty() && xs.iter().all(|x| x.is_finite() && *x >= 0.0),
            Table::Quantiles { levels, values } => {
                levels.len() >= 2
                    && levels.len() == values.len()
                    && levels.first() == Some(&0.0)
                    && levels.last() == Some(&1.0)
                    && levels.windows(2).all(|w| w[0] <= w[1])
                    && values.windows(2).all(|w| w[0] <= w[1])
                    && values.iter().all(|x| x.is_finite() && *x >= 0.0)
            }
        };
        check(
            ok,
            "file",
            "holds no usable data (samples must be finite, zero or more; a histogram must rise from level 0 to 1)",
        )
    }
}
