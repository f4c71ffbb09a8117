//! `[thresholds]`: pass/fail conditions on report metrics, each a
//! [`Threshold`] of a metric, a [`Cmp`] and a bound.
//!
//! The metric names were checked against the report's when the scenario
//! was validated; [`Cmp::symbol`] writes what [`Cmp::strip_prefix`] reads.

/// A comparison of a threshold.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Cmp {
    /// `<`
    Lt,
    /// `<=`
    Le,
    /// `>`
    Gt,
    /// `>=`
    Ge,
    /// `==`
    Eq,
}

impl Cmp {
    /// Does `actual CMP bound` hold?
    pub fn holds(self, actual: f64, bound: f64) -> bool {
        match self {
            Cmp::Lt => actual < bound,
            Cmp::Le => actual <= bound,
            Cmp::Gt => actual > bound,
            Cmp::Ge => actual >= bound,
            Cmp::Eq => actual == bound,
        }
    }

    /// Splits a leading operator off `text`: `"<= 5"` → `(Le, " 5")`.
    pub fn strip_prefix(text: &str) -> Option<(Cmp, &str)> {
        [
            ("<=", Cmp::Le),
            (">=", Cmp::Ge),
            ("==", Cmp::Eq),
            ("<", Cmp::Lt),
            (">", Cmp::Gt),
        ]
        .into_iter()
        .find_map(|(sym, cmp)| text.strip_prefix(sym).map(|rest| (cmp, rest)))
    }

    /// The operator as written.
    pub fn symbol(self) -> &'static str {
        match self {
            Cmp::Lt => "<",
            Cmp::Le => "<=",
            Cmp::Gt => ">",
            Cmp::Ge => ">=",
            Cmp::Eq => "==",
        }
    }
}

/// `METRIC = "CMP VALUE"` from `[thresholds]`.
#[derive(Clone, Debug, PartialEq)]
pub struct Threshold {
    /// Metric name, e.g. `checkout.p99_ms` (units as in the CSV column).
    pub metric: String,
    /// The comparison.
    pub cmp: Cmp,
    /// The bound.
    pub value: f64,
}

impl Threshold {
    /// The condition as written, normalised: `< 800`.
    pub fn expected(&self) -> String {
        format!("{} {}", self.cmp.symbol(), self.value)
    }
}
