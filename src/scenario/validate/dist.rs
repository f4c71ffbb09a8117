//! Distributions as a scenario writes them (`{ dist = "...", ... }`),
//! checked key by key into a [`Dist`]: `constant`, `exponential`,
//! `uniform`, `lognormal` (by `sigma`, or by its `p99`), `gamma` and
//! `percentiles` (points of the quantile function).

use super::*;
use crate::kernel::dist::Table;

/// The standard normal's 99th percentile, z₀.₉₉.
const Z99: f64 = 2.326_347_874_040_841;

/// The lognormal `sigma` whose 99th percentile is `p99` given its
/// `median`: σ = ln(p99 / median) / z₀.₉₉ (z₀.₉₉ = 2.3263).
pub fn sigma_from_p99(median: f64, p99: f64) -> f64 {
    (p99 / median).ln() / Z99
}

impl Checker {
    /// A distribution in `unit`; reports unknown names, missing and stray
    /// parameters, and out-of-range values.
    pub(super) fn dist(&mut self, path: &str, d: &DistFile, unit: Unit) -> Option<Dist> {
        let dist = self.any_dist(path, d, unit)?;
        let given = match &dist {
            Dist::Percentiles { .. } => Some("percentiles".to_owned()),
            Dist::LogNormal { sigma, .. } if d.p99.is_some() => Some(format!(
                "lognormal (sigma {sigma:.4} from its median and p99)"
            )),
            Dist::Empirical(e) => Some(format!(
                "empirical ({}, {})",
                e.source.name,
                match &e.table {
                    Table::Samples(xs) => format!("{} samples", xs.len()),
                    Table::Quantiles { levels, .. } =>
                        format!("{} histogram rows", levels.len() - 1),
                }
            )),
            _ => None,
        };
        if let Some(given) = given {
            let mean = dist.mean();
            let mean = match unit {
                Unit::Time => format!("{:.4} ms", mean / 1e6),
                Unit::Number => format!("{mean:.4}"),
            };
            self.notes
                .push(format!("{path}: {given} implies a mean of {mean}"));
        }
        Some(dist)
    }

    fn any_dist(&mut self, path: &str, d: &DistFile, unit: Unit) -> Option<Dist> {
        let Some(name) = d.dist.as_deref() else {
            self.issue(path, format!("missing `dist`: one of {DIST_NAMES}"));
            return None;
        };
        let data_keys = [
            ("file", d.file.is_some()),
            ("column", d.column.is_some()),
            ("unit", d.unit.is_some()),
            ("sha256", d.sha256.is_some()),
        ];
        if name == "empirical" {
            return self
                .only_data_keys(path, d)
                .then(|| self.empirical(path, d, unit))?;
        }
        if let Some((key, _)) = data_keys.iter().find(|k| k.1) {
            self.issue(
                format!("{path}.{key}"),
                format!("`{name}` does not take `{key}`; data files are for dist = \"empirical\""),
            );
            return None;
        }
        if name == "percentiles" {
            return self.percentiles(path, d, unit);
        }
        let expected: &[&str] = match name {
            "constant" => &["value"],
            "exponential" => &["mean"],
            "uniform" => &["min", "max"],
            "lognormal" if d.p99.is_some() => &["median", "p99"],
            "lognormal" => &["median", "sigma"],
            "gamma" => &["mean", "cv"],
            other => {
                self.issue(
                    format!("{path}.dist"),
                    format!("unknown distribution \"{other}\": expected one of {DIST_NAMES}"),
                );
                return None;
            }
        };
        let present = d.parameters();
        let points = DistFile::PERCENTILES
            .iter()
            .map(|p| (p.0, d.percentile(p.0).is_some()));
        let mut ok = true;
        for (key, here) in present.into_iter().chain(points) {
            if here && !expected.contains(&key) {
                self.issue(
                    format!("{path}.{key}"),
                    format!(
                        "`{name}` does not take `{key}`; it takes {}",
                        expected.join(", ")
                    ),
                );
                ok = false;
            }
            if !here && expected.contains(&key) {
                self.issue(path, format!("`{name}` needs `{key}`"));
                ok = false;
            }
        }
        if !ok {
            return None;
        }
        let mut q = |key: &str, v: &Option<Quantity>| {
            v.as_ref()
                .and_then(|v| self.quantity(&format!("{path}.{key}"), v, unit))
        };
        let dist = match name {
            "constant" => Dist::Constant {
                value: q("value", &d.value)?,
            },
            "exponential" => Dist::Exponential {
                mean: q("mean", &d.mean)?,
            },
            "uniform" => {
                let (min, max) = (q("min", &d.min), q("max", &d.max));
                Dist::Uniform {
                    min: min?,
                    max: max?,
                }
            }
            "lognormal" => {
                let median = q("median", &d.median)?;
                let sigma = match &d.p99 {
                    None => d.sigma?,
                    Some(p99) => {
                        let p99 = q("p99", &Some(p99.clone()))?;
                        if p99 <= median {
                            self.issue(format!("{path}.p99"), "`p99` must be above `median`");
                            return None;
                        }
                        sigma_from_p99(median, p99)
                    }
                };
                Dist::LogNormal { median, sigma }
            }
            _ => Dist::Gamma {
                mean: q("mean", &d.mean)?,
                cv: d.cv?,
            },
        };
        match dist.sampler() {
            Ok(_) => Some(dist),
            Err(e) => {
                self.issue(format!("{path}.{}", e.param), e.to_string());
                None
            }
        }
    }

    /// False (with an issue per stray key) when an `empirical` distribution
    /// has keys other than its data file's.
    fn only_data_keys(&mut self, path: &str, d: &DistFile) -> bool {
        let mut stray: Vec<&str> = d.parameters().iter().filter(|k| k.1).map(|k| k.0).collect();
        stray.extend(
            DistFile::PERCENTILES
                .iter()
                .filter(|p| d.percentile(p.0).is_some())
                .map(|p| p.0),
        );
        for key in &stray {
            self.issue(
                format!("{path}.{key}"),
                format!("`empirical` does not take `{key}`; it takes file, column, unit, sha256"),
            );
        }
        stray.is_empty()
    }

    /// `{ dist = "percentiles", p50 = "180ms", p99 = "900ms", ... }`.
    fn percentiles(&mut self, path: &str, d: &DistFile, unit: Unit) -> Option<Dist> {
        let stray = d.parameters();
        let mut ok = true;
        // `min` and `max` are percentiles' points.
        let not_points = stray.iter().filter(|s| s.0 != "min" && s.0 != "max");
        for (key, _) in not_points.filter(|s| s.1) {
            self.issue(
                format!("{path}.{key}"),
                format!(
                    "`percentiles` does not take `{key}`; it takes min, p1 … p99, p999, p9999, max"
                ),
            );
            ok = false;
        }
        let given = std::iter::once(("min", 0.0, d.min.as_ref()))
            .chain(
                DistFile::PERCENTILES
                    .iter()
                    .map(|p| (p.0, p.1, d.percentile(p.0))),
            )
            .chain(std::iter::once(("max", 1.0, d.max.as_ref())));
        let mut points: Vec<(f64, f64)> = Vec::new();
        let mut last: Option<(&str, f64)> = None;
        for (key, level, v) in given {
            let Some(v) = v else { continue };
            let Some(x) = self.quantity(&format!("{path}.{key}"), v, unit) else {
                ok = false;
                continue;
            };
            if x <= 0.0 {
                self.issue(
                    format!("{path}.{key}"),
                    format!("`{key}` must be greater than zero (points are interpolated in ln t)"),
                );
                ok = false;
            } else if let Some((prev, px)) = last.filter(|l| x <= l.1) {
                self.issue(
                    format!("{path}.{key}"),
                    format!("`{key}` must be above `{prev}` ({px}): the points must increase"),
                );
                ok = false;
            }
            last = Some((key, x));
            points.push((level, x));
        }
        if points.len() < 2 && ok {
            self.issue(path, "`percentiles` needs at least two points among min, p1 … p99, p999, p9999, max, e.g. p50 and p99");
            return None;
        }
        if !ok {
            return None;
        }
        let dist = Dist::Percentiles { points };
        match dist.sampler() {
            Ok(_) => Some(dist),
            Err(e) => {
                self.issue(path, e.to_string());
                None
            }
        }
    }
}
