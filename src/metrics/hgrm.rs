//! Reading HdrHistogram percentile-distribution text (`.hgrm`): the rows
//! of `outputPercentileDistribution`, as ecsim's reports write them
//! (`report::hgrm`) and HdrHistogram's tools export them. The file carries
//! no unit; ecsim writes milliseconds.

/// Why `.hgrm` text could not be read: the line (1-based) and the problem.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
#[error("line {line}: {message}")]
pub struct HgrmError {
    /// 1-based line number.
    pub line: usize,
    /// What is wrong, lower-case.
    pub message: String,
}

/// One line of the percentile distribution.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Row {
    /// Latency at this percentile, ms.
    pub value_ms: f64,
    /// The quantile reached, in `[0, 1]`.
    pub quantile: f64,
    /// Requests at or below `value_ms`.
    pub total: u64,
}

/// Reads the rows back from `.hgrm` text (as [`render`] writes it, or
/// HdrHistogram's own `outputPercentileDistribution`): blank lines, the
/// header and `#[` footer lines are skipped; every other line must start
/// with a value, a quantile in `[0, 1]` and a count.
pub fn parse(text: &str) -> Result<Vec<Row>, HgrmError> {
    let mut rows = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let t = line.trim();
        if t.is_empty() || t.starts_with('#') || t.starts_with("Value") {
            continue;
        }
        let mut f = t.split_whitespace();
        let bad = || HgrmError {
            line: i + 1,
            message: format!("expected VALUE PERCENTILE TOTALCOUNT, got {t:?}"),
        };
        let value_ms: f64 = f.next().and_then(|v| v.parse().ok()).ok_or_else(bad)?;
        let quantile: f64 = f.next().and_then(|v| v.parse().ok()).ok_or_else(bad)?;
        let total: u64 = f.next().and_then(|v| v.parse().ok()).ok_or_else(bad)?;
        if !value_ms.is_finite() || !(0.0..=1.0).contains(&quantile) {
            return Err(bad());
        }
        rows.push(Row {
            value_ms,
            quantile,
            total,
        });
    }
    Ok(rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_rejects_garbage_with_its_line() {
        let e = parse("       Value     Percentile\n\n   1.0 0.5 3\n  oops\n").unwrap_err();
        assert_eq!(e.line, 4, "{e}");
        assert!(parse("1.0 1.5 3\n").is_err(), "a quantile above 1");
    }
}
