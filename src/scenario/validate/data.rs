//! Data files a scenario reads: an empirical distribution's `.hgrm` or
//! CSV samples, a replayed load's trace of arrivals.
//!
//! A path is relative to the scenario file's directory. Each file is read
//! once, at most [`MAX_DATA_BYTES`] of it, hashed (SHA-256) and kept in
//! [`Scenario::data`](crate::scenario::Scenario::data) under a name unique
//! in the run, so the report can keep a copy under `data/` and the
//! resolved scenario can refer to that copy and its hash. A `sha256` given
//! in the scenario (the resolved file writes one) must match the file.
//! A problem inside a data file is reported with that file's line.

use std::path::Path;
use std::sync::Arc;

use sha2::{Digest, Sha256};

use super::*;
use crate::kernel::dist::{DataRef, Empirical, Table};

/// The largest data file a scenario may read.
pub const MAX_DATA_BYTES: u64 = 256 << 20;

/// The unit names of an empirical time distribution and their scale to
/// nanoseconds.
const UNITS: [(&str, f64); 4] = [("ns", 1.0), ("us", 1e3), ("ms", 1e6), ("s", 1e9)];

/// A data file just read: its place in the run and its text.
pub(super) struct Read {
    /// The name of its copy and its hash.
    pub name: String,
    pub sha256: String,
    /// The file as the user named it, for messages.
    pub shown: String,
    pub text: Arc<str>,
}

fn hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

impl Checker {
    /// Reads data file `file` (relative to the scenario's directory) for
    /// the key at `path`, checking it against `sha256` when given.
    pub(super) fn read_data(
        &mut self,
        path: &str,
        file: &str,
        sha256: Option<&str>,
    ) -> Option<Read> {
        use std::io::Read as _;
        let full = self.base.join(file);
        let shown = full.display().to_string();
        let mut bytes = Vec::new();
        let read = std::fs::File::open(&full)
            .and_then(|f| f.take(MAX_DATA_BYTES + 1).read_to_end(&mut bytes));
        if let Err(e) = read {
            self.issue(
                format!("{path}.file"),
                format!("cannot read the data file {shown}: {e}"),
            );
            return None;
        }
        if bytes.len() as u64 > MAX_DATA_BYTES {
            self.issue(
                format!("{path}.file"),
                format!(
                    "the data file {shown} is larger than the limit of {} MiB",
                    MAX_DATA_BYTES >> 20
                ),
            );
            return None;
        }
        let hash = hex(&bytes);
        if let Some(want) = sha256
            && !want.eq_ignore_ascii_case(&hash)
        {
            self.issue(
                format!("{path}.sha256"),
                format!("the data file {shown} is not the one this scenario was written with: its SHA-256 is {hash}, the scenario says {want}"),
            );
            return None;
        }
        let text: Arc<str> = match String::from_utf8(bytes) {
            Ok(t) => t.into(),
            Err(e) => {
                let at = e.utf8_error().valid_up_to();
                let line = e.as_bytes()[..at].iter().filter(|&&b| b == b'\n').count() + 1;
                self.issue(
                    format!("{path}.file"),
                    format!("{shown}:{line}: the data file is not UTF-8 text"),
                );
                return None;
            }
        };
        let base = Path::new(file)
            .file_name()
            .map_or_else(|| "data".to_owned(), |n| n.to_string_lossy().into_owned());
        let name = self.data_name(&base, &hash);
        if !self.data.iter().any(|d| d.name == name) {
            self.data.push(DataFile {
                name: name.clone(),
                sha256: hash.clone(),
                bytes: Arc::from(text.as_bytes()),
            });
        }
        Some(Read {
            name,
            sha256: hash,
            shown,
            text,
        })
    }

    /// The name of a file's copy: its own name, unless another file of
    /// the run already has it (then its hash's first digits are added).
    fn data_name(&self, base: &str, hash: &str) -> String {
        match self.data.iter().find(|d| d.name == base) {
            None => base.to_owned(),
            Some(d) if d.sha256 == hash => base.to_owned(),
            Some(_) => {
                let p = Path::new(base);
                let stem = p
                    .file_stem()
                    .map_or_else(String::new, |s| s.to_string_lossy().into_owned());
                match p.extension() {
                    Some(ext) => format!("{stem}-{}.{}", &hash[..8], ext.to_string_lossy()),
                    None => format!("{stem}-{}", &hash[..8]),
                }
            }
        }
    }

    /// `{ dist = "empirical", file = "x.hgrm" | "x.csv", column, unit }`.
    pub(super) fn empirical(&mut self, path: &str, d: &DistFile, unit: Unit) -> Option<Dist> {
        let Some(file) = d.file.as_deref() else {
            self.issue(
                path,
                "`empirical` needs `file`: an HdrHistogram `.hgrm` file or a `.csv` of samples",
            );
            return None;
        };
        let scale = match (unit, d.unit.as_deref()) {
            (Unit::Number, None) => 1.0,
            (Unit::Number, Some(_)) => {
                self.issue(
                    format!("{path}.unit"),
                    "`unit` is for durations; this distribution is of plain numbers",
                );
                return None;
            }
            (Unit::Time, u) => {
                let u = u.unwrap_or("ms");
                match UNITS.iter().find(|x| x.0 == u) {
                    Some(x) => x.1,
                    None => {
                        self.issue(
                            format!("{path}.unit"),
                            format!("unknown unit \"{u}\": expected one of ns, us, ms, s"),
                        );
                        return None;
                    }
                }
            }
        };
        let hgrm = file.ends_with(".hgrm");
        if !hgrm && !file.ends_with(".csv") {
            self.issue(format!("{path}.file"), format!("\"{file}\" is neither a `.hgrm` (HdrHistogram percentile distribution) nor a `.csv` (samples) file"));
            return None;
        }
        if hgrm && d.column.is_some() {
            self.issue(
                format!("{path}.column"),
                "`column` is for a `.csv` of samples; a `.hgrm` file has one distribution",
            );
            return None;
        }
        let read = self.read_data(path, file, d.sha256.as_deref())?;
        let parsed = if hgrm {
            histogram(&read.text, scale)
        } else {
            samples(&read.text, d.column.as_deref(), scale)
        };
        let table = match parsed {
            Ok(t) => t,
            Err((line, message)) => {
                self.issue(
                    format!("{path}.file"),
                    format!("{}:{line}: {message}", read.shown),
                );
                return None;
            }
        };
        let source = DataRef {
            name: read.name,
            sha256: read.sha256,
            unit: (unit == Unit::Time).then(|| d.unit.clone().unwrap_or_else(|| "ms".into())),
            column: d.column.clone(),
        };
        Some(Dist::Empirical(Arc::new(Empirical { source, table })))
    }
}

/// The quantile rows of `.hgrm` text, values times `scale`; a problem is
/// `(line, message)`.
fn histogram(text: &str, scale: f64) -> Result<Table, (usize, String)> {
    let rows = crate::metrics::hgrm::parse(text).map_err(|e| (e.line, e.message))?;
    let lines = text.lines().count().max(1);
    let Some(last) = rows.last() else {
        return Err((
            lines,
            "the histogram holds no rows (VALUE PERCENTILE TOTALCOUNT)".into(),
        ));
    };
    if last.quantile < 1.0 {
        return Err((
            lines,
            format!(
                "the histogram is truncated: its last row is at percentile {}, not 1.0",
                last.quantile
            ),
        ));
    }
    let (mut levels, mut values) = (vec![0.0], vec![rows[0].value_ms * scale]);
    for (i, r) in rows.iter().enumerate() {
        if i > 0 && (r.quantile < rows[i - 1].quantile || r.value_ms < rows[i - 1].value_ms) {
            return Err((
                row_line(text, i),
                "rows must rise in value and percentile".into(),
            ));
        }
        if r.quantile > 0.0 {
            levels.push(r.quantile);
            values.push(r.value_ms * scale);
        }
    }
    Ok(Table::Quantiles { levels, values })
}

/// The 1-based line of the `i`th row of `.hgrm` text.
fn row_line(text: &str, i: usize) -> usize {
    text.lines()
        .enumerate()
        .filter(|(_, l)| {
            let t = l.trim();
            !(t.is_empty() || t.starts_with('#') || t.starts_with("Value"))
        })
        .nth(i)
        .map_or(1, |(n, _)| n + 1)
}

/// The samples of CSV text (a header line, then one sample per row) in
/// `column`, or in its only column; values times `scale`.
fn samples(text: &str, column: Option<&str>, scale: f64) -> Result<Table, (usize, String)> {
    let mut r = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    let headers = r
        .headers()
        .map_err(|e| (1, format!("cannot read the header: {e}")))?
        .clone();
    let names: Vec<&str> = headers.iter().collect();
    let col = match column {
        Some(c) => names.iter().position(|h| *h == c).ok_or_else(|| {
            (
                1,
                format!("no column \"{c}\": the header has {}", names.join(", ")),
            )
        })?,
        None if names.len() == 1 => 0,
        None => {
            return Err((
                1,
                format!("give `column`: the file has several ({})", names.join(", ")),
            ));
        }
    };
    let mut xs = Vec::new();
    for rec in r.records() {
        let rec =
            rec.map_err(|e| (e.position().map_or(1, |p| p.line() as usize), e.to_string()))?;
        let line = rec.position().map_or(1, |p| p.line() as usize);
        let cell = rec.get(col).unwrap_or("");
        match cell.parse::<f64>() {
            Ok(x) if x.is_finite() && x >= 0.0 => xs.push(x * scale),
            _ => {
                return Err((
                    line,
                    format!("\"{cell}\" is not a sample (a finite number, zero or more)"),
                ));
            }
        }
    }
    if xs.is_empty() {
        return Err((1, "the file holds no samples".into()));
    }
    xs.sort_by(f64::total_cmp);
    Ok(Table::Samples(xs))
}
