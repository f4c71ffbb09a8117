//! Reading a report directory into the metrics `compare` works on.
//!
//! Strict by design, so that a gate never passes on a report it did not
//! really read: summary.csv, stations.csv, `histograms/ALL.hgrm` and
//! run.json must all be there; every value must be a finite number, not
//! negative (business values excepted) and given once. Whether the run
//! was interrupted (`"partial"` in run.json) is carried along for the CLI
//! to refuse.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::contract::action::{Action, N_ACTIONS};
use crate::contract::names::{self, CACHE_HEADER, STATIONS_HEADER};
use crate::report::hgrm;
/// A report's metrics by name (`checkout.p99_ms`, `cache.hit_rate`,
/// `stations.payment.utilization`, `business.revenue`) and, where the
/// report has them, their 95% CI half-widths.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Metrics {
    /// Values.
    pub values: BTreeMap<String, f64>,
    /// CI half-widths, for the metrics that have them.
    pub ci95: BTreeMap<String, f64>,
    /// The report says it is partial (an interrupted run).
    pub partial: bool,
}

/// Why a report directory could not be read.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    /// summary.csv is missing: not a report directory.
    #[error("{0}: not an ecsim report directory (no summary.csv)")]
    NotAReport(PathBuf),
    /// A file could not be parsed.
    #[error("{path}: {message}")]
    Malformed {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
}

fn read_table(path: &Path) -> Result<Option<Vec<BTreeMap<String, String>>>, ReadError> {
    if !path.exists() {
        return Ok(None);
    }
    let bad = |message: String| ReadError::Malformed {
        path: path.to_path_buf(),
        message,
    };
    let mut r = ::csv::Reader::from_path(path).map_err(|e| bad(e.to_string()))?;
    let headers = r.headers().map_err(|e| bad(e.to_string()))?.clone();
    let mut rows = Vec::new();
    for rec in r.records() {
        let rec = rec.map_err(|e| bad(e.to_string()))?;
        rows.push(
            headers
                .iter()
                .zip(rec.iter())
                .map(|(h, v)| (h.to_owned(), v.to_owned()))
                .collect(),
        );
    }
    Ok(Some(rows))
}

/// Records metric `name` read as `raw`: a finite number, not negative
/// unless `signed` (business values may be), and given once.
fn put(
    m: &mut Metrics,
    path: &Path,
    name: String,
    raw: &str,
    signed: bool,
) -> Result<(), ReadError> {
    let bad = |message: String| ReadError::Malformed {
        path: path.to_path_buf(),
        message,
    };
    let v: f64 = raw
        .parse()
        .map_err(|_| bad(format!("`{name}` is {raw:?}, not a number")))?;
    if !v.is_finite() {
        return Err(bad(format!("`{name}` is {raw}, not a finite number")));
    }
    if v < 0.0 && !signed {
        return Err(bad(format!("`{name}` is {raw}: it cannot be negative")));
    }
    if m.values.insert(name.clone(), v).is_some() {
        return Err(bad(format!("`{name}` is given twice (a duplicate row)")));
    }
    Ok(())
}

/// Reads the metrics of the report in `dir`.
pub fn read_metrics(dir: &Path) -> Result<Metrics, ReadError> {
    let mut m = Metrics::default();
    let summary_path = dir.join(names::SUMMARY);
    let summary =
        read_table(&summary_path)?.ok_or_else(|| ReadError::NotAReport(dir.to_path_buf()))?;
    for row in &summary {
        let op = row.get("operation").cloned().unwrap_or_default();
        for col in names::summary_metrics() {
            if let Some(v) = row.get(col) {
                put(&mut m, &summary_path, format!("{op}.{col}"), v, false)?;
            }
            if let Some(ci) = row.get(&format!("{col}_ci95")).filter(|v| !v.is_empty())
                && let Ok(h) = ci.parse::<f64>()
            {
                m.ci95.insert(format!("{op}.{col}"), h);
            }
        }
    }
    let missing = |what: &str| ReadError::Malformed {
        path: dir.join(what),
        message: "missing: not a complete ecsim report".to_owned(),
    };
    let stations_path = dir.join(names::STATIONS);
    for row in read_table(&stations_path)?.ok_or_else(|| missing(names::STATIONS))? {
        let name = row.get("station").cloned().unwrap_or_default();
        for col in &STATIONS_HEADER[1..] {
            if let Some(v) = row.get(*col) {
                put(
                    &mut m,
                    &stations_path,
                    format!("stations.{name}.{col}"),
                    v,
                    false,
                )?;
            }
        }
    }
    if !dir.join(names::histogram(names::ALL)).is_file() {
        return Err(missing(&names::histogram(names::ALL)));
    }
    let run_path = dir.join(names::RUN_JSON);
    let run = std::fs::read_to_string(&run_path).map_err(|_| missing(names::RUN_JSON))?;
    let run: serde_json::Value = serde_json::from_str(&run).map_err(|e| ReadError::Malformed {
        path: run_path.clone(),
        message: e.to_string(),
    })?;
    m.partial = run
        .get("partial")
        .and_then(|p| p.as_bool())
        .unwrap_or(false);
    let cache_path = dir.join(names::CACHE);
    for row in read_table(&cache_path)?.unwrap_or_default() {
        for col in &CACHE_HEADER[1..] {
            if let Some(v) = row.get(*col) {
                put(&mut m, &cache_path, format!("cache.{col}"), v, false)?;
            }
        }
    }
    let business_path = dir.join(names::BUSINESS);
    for row in read_table(&business_path)?.unwrap_or_default() {
        if let (Some(k), Some(v)) = (row.get("metric"), row.get("value")) {
            put(&mut m, &business_path, format!("business.{k}"), v, true)?;
        }
    }
    Ok(m)
}

/// A report's latency distributions, `histograms/*.hgrm`: `(operation,
/// rows)` in action order, then `ALL`, then any other name. A report
/// without a `histograms/` directory has none.
pub fn read_distributions(dir: &Path) -> Result<Vec<(String, Vec<hgrm::Row>)>, ReadError> {
    let hdir = dir.join(names::HISTOGRAMS);
    let Ok(entries) = std::fs::read_dir(&hdir) else {
        return Ok(Vec::new());
    };
    let mut out = Vec::new();
    for entry in entries.flatten() {
        let path = entry.path();
        let Some(name) = path
            .file_name()
            .and_then(|n| n.to_str())
            .and_then(|n| n.strip_suffix(names::HGRM))
        else {
            continue;
        };
        let bad = |message: String| ReadError::Malformed {
            path: path.clone(),
            message,
        };
        let text = std::fs::read_to_string(&path).map_err(|e| bad(e.to_string()))?;
        out.push((
            name.to_owned(),
            hgrm::parse(&text).map_err(|e| bad(e.to_string()))?,
        ));
    }
    let rank = |n: &str| match Action::from_name(n) {
        Some(a) => a.index(),
        None if n == crate::contract::names::ALL => N_ACTIONS,
        None => N_ACTIONS + 1,
    };
    out.sort_by(|a, b| (rank(&a.0), &a.0).cmp(&(rank(&b.0), &b.0)));
    Ok(out)
}
