//! Axis plans: the range, tick positions and tick labels of one axis.
//!
//! Ticks are chosen here rather than by plotters so that labels read as
//! round numbers: linear axes step by 1, 2, 2.5 or 5 times a power of ten
//! and start and end on a tick; log axes put ticks on decades (and on 2 and
//! 5 when the axis spans two decades or less); a quantile axis, whose
//! values are `1/(1−p)`, labels its decades as percentiles (`90%`,
//! `99%`, `99.9%`); a category axis puts one tick on each index. A plan is
//! a pure function of the axis and the data values.

use super::charts::{Axis, Scale, Ticks};

/// The axis in plotting coordinates: log axes are planned in `log10`.
#[derive(Clone, Debug, PartialEq)]
pub struct Plan {
    /// Low end, plotting coordinates.
    pub lo: f64,
    /// High end, plotting coordinates.
    pub hi: f64,
    /// Ticks with a label and a grid line.
    pub bold: Vec<f64>,
    /// Ticks with only a faint grid line.
    pub light: Vec<f64>,
    /// The label of each bold tick, in order.
    pub labels: Vec<String>,
    /// True when plotting coordinates are `log10` of the values.
    pub log: bool,
}

impl Plan {
    /// A data value in plotting coordinates; `None` for values the axis
    /// cannot show (non-finite, or not positive on a log axis).
    pub fn to(&self, v: f64) -> Option<f64> {
        if !v.is_finite() || (self.log && v <= 0.0) {
            None
        } else if self.log {
            Some(v.log10())
        } else {
            Some(v)
        }
    }

    /// The label of the bold tick at `t` (plotting coordinates).
    pub fn label(&self, t: f64) -> String {
        let eps = (self.hi - self.lo).abs() * 1e-9;
        self.bold
            .iter()
            .position(|b| (b - t).abs() <= eps)
            .and_then(|i| self.labels.get(i).cloned())
            .unwrap_or_default()
    }

    /// Blanks labels that would overlap their neighbour when the axis is
    /// `pixels` long (grid lines stay): on a horizontal axis a label is
    /// about `char_px` per character wide and centred on its tick, on a
    /// vertical one `line_px` tall. The first label always stays.
    pub fn thin(&mut self, pixels: f64, horizontal: bool, char_px: f64, line_px: f64) {
        let span = self.hi - self.lo;
        if span <= 0.0 {
            return;
        }
        let mut last_end = f64::NEG_INFINITY;
        for (t, label) in self.bold.iter().zip(self.labels.iter_mut()) {
            if label.is_empty() {
                continue;
            }
            let at = (t - self.lo) / span * pixels;
            let half = if horizontal {
                label.chars().count() as f64 * char_px / 2.0
            } else {
                line_px / 2.0
            };
            if at - half < last_end + 10.0 {
                label.clear();
            } else {
                last_end = at + half;
            }
        }
    }

    /// The longest label, in characters.
    pub fn label_chars(&self) -> usize {
        self.labels
            .iter()
            .map(|l| l.chars().count())
            .max()
            .unwrap_or(1)
    }
}

/// Plans `axis` for the data `values` (those the axis cannot show are
/// ignored).
pub fn plan(axis: &Axis, values: impl IntoIterator<Item = f64>) -> Plan {
    let log = axis.scale == Scale::Log;
    let (mut lo, mut hi) = (f64::INFINITY, f64::NEG_INFINITY);
    for v in values {
        if v.is_finite() && (!log || v > 0.0) {
            lo = lo.min(v);
            hi = hi.max(v);
        }
    }
    if let Some((a, b)) = axis.range {
        (lo, hi) = (a, b);
    }
    match &axis.ticks {
        Ticks::Categories(names) => categories(names),
        Ticks::Quantiles => quantiles(if hi.is_finite() { hi } else { 100.0 }),
        Ticks::Numbers if log => {
            if lo.is_finite() {
                logarithmic(lo, hi)
            } else {
                logarithmic(1.0, 10.0)
            }
        }
        Ticks::Numbers => {
            if !lo.is_finite() {
                (lo, hi) = (0.0, 1.0);
            }
            if axis.from_zero {
                lo = lo.min(0.0);
                hi = hi.max(0.0);
            }
            linear(lo, hi, axis.range.is_some(), axis.from_zero)
        }
    }
}

/// 1, 2, 2.5 or 5 times a power of ten, at least `raw`.
fn nice_step(raw: f64) -> f64 {
    let mag = 10f64.powf(raw.log10().floor());
    let f = raw / mag;
    let n = [1.0, 2.0, 2.5, 5.0, 10.0]
        .into_iter()
        .find(|n| f <= n * (1.0 + 1e-9))
        .unwrap_or(10.0);
    n * mag
}

/// Decimals needed to print multiples of `step` exactly.
fn decimals(step: f64) -> usize {
    (0..10)
        .find(|d| {
            let s = step * 10f64.powi(*d as i32);
            (s - s.round()).abs() < 1e-6 * s.abs().max(1.0)
        })
        .unwrap_or(10)
}

/// `headroom`: leave a little room above the data (value axes, not time).
fn linear(mut lo: f64, mut hi: f64, fixed: bool, headroom: bool) -> Plan {
    let flat = hi - lo <= f64::EPSILON * hi.abs().max(1.0);
    if flat {
        if hi == 0.0 {
            hi = 1.0;
        } else {
            lo -= lo.abs() * 0.1;
            hi += hi.abs() * 0.1;
        }
    }
    let step = nice_step((hi - lo) / 5.0);
    if !fixed {
        // A little headroom, so a line at the maximum is not drawn on the
        // plot's top border (none for flat data, already padded).
        let pad = if flat || !headroom {
            0.0
        } else {
            (hi - lo) * 0.005
        };
        lo = (lo / step).floor() * step;
        hi = ((hi + pad) / step).ceil() * step;
    }
    let first = (lo / step - 1e-9).ceil() as i64;
    let last = (hi / step + 1e-9).floor() as i64;
    let bold: Vec<f64> = (first..=last).map(|i| i as f64 * step).collect();
    let big = lo.abs().max(hi.abs());
    let (div, suffix) = if big >= 1e6 {
        (1e6, "M")
    } else if big >= 1e4 {
        (1e3, "k")
    } else {
        (1.0, "")
    };
    let d = decimals(step / div);
    let labels = bold
        .iter()
        .map(|v| {
            if *v == 0.0 {
                "0".to_owned()
            } else {
                format!("{:.*}{suffix}", d, v / div)
            }
        })
        .collect();
    Plan {
        lo,
        hi,
        bold,
        light: Vec::new(),
        labels,
        log: false,
    }
}

/// A positive number in few characters: `0.02`, `5`, `250`, `2k`, `10M`.
fn short(v: f64) -> String {
    let (v, suffix) = if v >= 1e6 {
        (v / 1e6, "M")
    } else if v >= 1e4 {
        (v / 1e3, "k")
    } else {
        (v, "")
    };
    let d = if v >= 1.0 {
        0
    } else {
        (-v.log10().floor()) as usize
    };
    format!("{v:.d$}{suffix}")
}

fn logarithmic(lo: f64, hi: f64) -> Plan {
    const STEPS: [f64; 3] = [1.0, 2.0, 5.0];
    // Widen to 1-2-5 values around the data.
    let down = |v: f64| {
        let e = v.log10().floor();
        let m = v / 10f64.powf(e);
        let s = STEPS
            .iter()
            .rev()
            .find(|s| **s <= m * (1.0 + 1e-9))
            .unwrap_or(&1.0);
        s * 10f64.powf(e)
    };
    let up = |v: f64| {
        let e = v.log10().floor();
        let m = v / 10f64.powf(e);
        match STEPS.iter().find(|s| **s >= m * (1.0 - 1e-9)) {
            Some(s) => s * 10f64.powf(e),
            None => 10f64.powf(e + 1.0),
        }
    };
    let lo_v = down(lo);
    let mut hi_v = up(hi);
    if hi_v <= lo_v * (1.0 + 1e-9) {
        hi_v = up(lo_v * 1.5);
    }
    let (tlo, thi) = (lo_v.log10(), hi_v.log10());
    let span = thi - tlo;
    let mut bold = Vec::new();
    let mut labels = Vec::new();
    let mut light = Vec::new();
    let inside = |t: f64| t >= tlo - 1e-9 && t <= thi + 1e-9;
    for e in (tlo.floor() as i32)..=(thi.ceil() as i32) {
        for m in 1..=9 {
            let v = m as f64 * 10f64.powi(e);
            let t = v.log10();
            if !inside(t) {
                continue;
            }
            if m == 1 || (span <= 2.0 + 1e-9 && (m == 2 || m == 5)) {
                bold.push(t);
                labels.push(short(v));
            } else if span <= 5.0 + 1e-9 {
                light.push(t);
            }
        }
    }
    Plan {
        lo: tlo,
        hi: thi,
        bold,
        light,
        labels,
        log: true,
    }
}

/// The percentile `1 − 1/x` as a label: `0%`, `50%`, `90%`, `99.9%`.
fn percentile_label(x: f64) -> String {
    let p = 100.0 * (1.0 - 1.0 / x);
    let d = if x <= 10.0 {
        0
    } else {
        (x.log10().round() as usize).saturating_sub(2)
    };
    format!("{p:.d$}%")
}

fn quantiles(hi: f64) -> Plan {
    let decades = hi.max(10.0).log10().ceil().clamp(2.0, 9.0) as i32;
    let mut bold = vec![0.0, 2f64.log10()];
    bold.extend((1..=decades).map(f64::from));
    let labels = bold
        .iter()
        .map(|t| percentile_label(10f64.powf(*t)))
        .collect();
    Plan {
        lo: 0.0,
        hi: f64::from(decades),
        bold,
        light: Vec::new(),
        labels,
        log: true,
    }
}

fn categories(names: &[String]) -> Plan {
    let n = names.len().max(1);
    Plan {
        lo: -0.5,
        hi: n as f64 - 0.5,
        bold: (0..names.len()).map(|i| i as f64).collect(),
        light: Vec::new(),
        labels: names.to_vec(),
        log: false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn numbers(scale: Scale) -> Axis {
        match scale {
            Scale::Linear => Axis::linear("x"),
            Scale::Log => Axis::log("x"),
        }
    }

    #[test]
    fn linear_ticks_are_round_and_cover_the_data() {
        let p = plan(&numbers(Scale::Linear).from_zero(), [3.0, 1180.0]);
        assert_eq!((p.lo, p.hi), (0.0, 1250.0));
        assert_eq!(p.labels, ["0", "250", "500", "750", "1000", "1250"]);
        let p = plan(&numbers(Scale::Linear).from_zero(), [79.92]);
        assert_eq!(p.hi, 100.0, "headroom above a maximum on a tick");
        let p = plan(&numbers(Scale::Linear).from_zero(), [794.0]);
        assert_eq!(p.hi, 800.0, "but not a whole step for a peak below it");
        let p = plan(&numbers(Scale::Linear), [5.0, 60.0]);
        assert_eq!(p.hi, 60.0, "no headroom on a time axis");
        let p = plan(&numbers(Scale::Linear), [0.12, 0.31]);
        assert_eq!(p.labels, ["0.10", "0.15", "0.20", "0.25", "0.30", "0.35"]);
        let p = plan(&numbers(Scale::Linear).from_zero(), [2_179_318.0]);
        assert_eq!(p.labels.last().map(String::as_str), Some("2.5M"));
        let p = plan(&Axis::linear("%").range(0.0, 100.0), [12.0]);
        assert_eq!(p.labels, ["0", "20", "40", "60", "80", "100"]);
    }

    #[test]
    fn flat_and_empty_data_still_give_an_axis() {
        let p = plan(&numbers(Scale::Linear), [0.0, 0.0]);
        assert!(p.hi > p.lo && p.bold.len() >= 2);
        let p = plan(&numbers(Scale::Linear), []);
        assert!(p.hi > p.lo);
        let p = plan(&numbers(Scale::Log), [f64::NAN, 0.0, -1.0]);
        assert!(p.hi > p.lo && p.log);
    }

    #[test]
    fn log_ticks_sit_on_decades_and_label_short() {
        let p = plan(&numbers(Scale::Log), [0.17, 30668.0]);
        assert_eq!(p.labels, ["0.1", "1", "10", "100", "1000", "10k"]);
        assert_eq!(p.lo, -1.0);
        assert!((p.hi - 50_000f64.log10()).abs() < 1e-12);
        // Two decades or less: 1, 2 and 5 are labelled.
        let p = plan(&numbers(Scale::Log), [1.5, 40.0]);
        assert_eq!(p.labels, ["1", "2", "5", "10", "20", "50"]);
        assert_eq!(p.to(0.0), None);
        assert_eq!(p.to(100.0), Some(2.0));
    }

    #[test]
    fn quantile_axis_labels_percentiles() {
        let p = plan(&Axis::quantiles(), [1.0, 2.0, 8_452_741.0]);
        assert_eq!(
            p.labels,
            [
                "0%",
                "50%",
                "90%",
                "99%",
                "99.9%",
                "99.99%",
                "99.999%",
                "99.9999%",
                "99.99999%"
            ]
        );
        assert_eq!(p.label(3.0), "99.9%");
        assert_eq!(p.label(2.5), "", "no label between ticks");
    }

    #[test]
    fn crowded_labels_are_thinned_not_overlapped() {
        let mut p = plan(&Axis::quantiles(), [8_452_741.0]);
        p.thin(460.0, true, 7.0, 14.0);
        assert_eq!(p.labels[0], "0%");
        assert_eq!(p.labels[1], "", "50% is too close to 0%");
        assert_eq!(p.bold.len(), p.labels.len(), "grid lines stay");
        let kept: Vec<&String> = p.labels.iter().filter(|l| !l.is_empty()).collect();
        assert!(kept.len() >= 4 && kept.len() < p.labels.len(), "{kept:?}");
        let mut wide = plan(&Axis::quantiles(), [1000.0]);
        wide.thin(1000.0, true, 7.0, 14.0);
        assert!(wide.labels.iter().all(|l| !l.is_empty()), "room for all");
    }

    #[test]
    fn categories_tick_every_index() {
        let names = vec!["8".to_string(), "16".to_string(), "lru".to_string()];
        let p = plan(&Axis::categories("k", names.clone()), [0.0, 2.0]);
        assert_eq!((p.lo, p.hi), (-0.5, 2.5));
        assert_eq!(p.bold, [0.0, 1.0, 2.0]);
        assert_eq!(p.labels, names);
    }
}
