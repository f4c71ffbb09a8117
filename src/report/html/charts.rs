//! Line charts as inline SVG, drawn with plotters' SVG backend.
//!
//! A [`Chart`] is lines of data plus two [`Axis`] descriptions;
//! [`Chart::svg`] draws it. Guarantees:
//! - the same chart gives the same bytes (a pure function of its input);
//! - no font is read: plotters is built without `ttf`, estimates text
//!   widths itself, and the browser draws the text in the page's font;
//! - the SVG references nothing: plotters' `xmlns` URL is dropped (inline
//!   SVG in HTML needs none) and plotters XML-escapes every text;
//! - a non-finite y, or a non-positive one on a log axis, breaks the line
//!   (a gap, never a drop to zero);
//! - a line of more than [`MAX_POINTS`] points is downsampled with
//!   largest-triangle-three-buckets, which keeps peaks and dips visible.
//!
//! Titles and legends are HTML around the SVG (see `page.rs`), so the SVG
//! holds only axes, grid and data.
//!
//! This file holds the chart's description and [`Chart::svg`]; the drawing
//! itself is in `draw`, and `points` turns lines into plotting coordinates
//! (gaps, downsampling).

use super::page::esc;
pub use super::palette::{PALETTE, hex, nth, op_color, tint};

mod draw;
mod points;

pub use points::lttb;

/// A colour, `(r, g, b)`.
pub type Rgb = (u8, u8, u8);

/// `(x, y)` points of a line, in data units.
pub type Points = Vec<(f64, f64)>;

/// Most points drawn per line: more than the pixels a chart is wide.
pub const MAX_POINTS: usize = 600;

/// A full-width chart, in SVG pixels (the page scales it to fit).
pub const WIDE: (u32, u32) = (1180, 340);
/// A chart in a two-column grid.
pub const HALF: (u32, u32) = (580, 290);

/// How values map to positions.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scale {
    /// Proportional.
    Linear,
    /// Proportional to `log10`; values ≤ 0 are not drawn.
    Log,
}

/// How an axis is ticked and labelled (see `ticks.rs`).
#[derive(Clone, Debug, PartialEq)]
pub enum Ticks {
    /// Round numbers.
    Numbers,
    /// Values are `1/(1−p)`, labelled as the percentile `p`.
    Quantiles,
    /// Values are indices into these names.
    Categories(Vec<String>),
}

/// One axis: its title (with the unit), scale and ticks.
#[derive(Clone, Debug, PartialEq)]
pub struct Axis {
    /// Title, with the unit: `latency (ms)`.
    pub label: String,
    /// Linear or log.
    pub scale: Scale,
    /// Tick style.
    pub ticks: Ticks,
    /// Linear axes: include zero.
    pub from_zero: bool,
    /// A fixed range instead of the data's.
    pub range: Option<(f64, f64)>,
}

impl Axis {
    fn new(label: &str, scale: Scale, ticks: Ticks) -> Axis {
        Axis {
            label: label.to_owned(),
            scale,
            ticks,
            from_zero: false,
            range: None,
        }
    }

    /// A linear axis of round numbers.
    pub fn linear(label: &str) -> Axis {
        Axis::new(label, Scale::Linear, Ticks::Numbers)
    }

    /// A log axis of round numbers.
    pub fn log(label: &str) -> Axis {
        Axis::new(label, Scale::Log, Ticks::Numbers)
    }

    /// Log when the positive `values` span more than 30×, else linear
    /// from zero: latencies of operations that differ by orders of
    /// magnitude stay readable, similar ones keep a plain scale.
    pub fn auto(label: &str, values: impl IntoIterator<Item = f64>) -> Axis {
        let (mut lo, mut hi) = (f64::INFINITY, 0f64);
        for v in values.into_iter().filter(|v| v.is_finite() && *v > 0.0) {
            lo = lo.min(v);
            hi = hi.max(v);
        }
        if hi > 30.0 * lo {
            Axis::log(&format!("{label}, log scale"))
        } else {
            Axis::linear(label).from_zero()
        }
    }

    /// The HdrHistogram percentile axis: values `1/(1−p)` on a log scale.
    pub fn quantiles() -> Axis {
        Axis::new("percentile", Scale::Log, Ticks::Quantiles)
    }

    /// One position per name.
    pub fn categories(label: &str, names: Vec<String>) -> Axis {
        Axis::new(label, Scale::Linear, Ticks::Categories(names))
    }

    /// Includes zero (linear axes).
    pub fn from_zero(mut self) -> Axis {
        self.from_zero = true;
        self
    }

    /// Shows exactly `lo..hi`.
    pub fn range(mut self, lo: f64, hi: f64) -> Axis {
        self.range = Some((lo, hi));
        self
    }
}

/// One line of data.
#[derive(Clone, Debug, PartialEq)]
pub struct Line {
    /// Legend name.
    pub name: String,
    /// Colour.
    pub color: Rgb,
    /// Stroke width, SVG pixels.
    pub width: u32,
    /// Dashed (a reference or a baseline).
    pub dashed: bool,
    /// A dot on every point (few points, e.g. a sweep).
    pub markers: bool,
    /// Join the points with a line (else only the dots).
    pub connect: bool,
    /// `(x, y)` in data units, x ascending; a NaN y is a gap.
    pub points: Vec<(f64, f64)>,
}

impl Line {
    /// A solid line two pixels wide.
    pub fn new(name: &str, color: Rgb, points: Vec<(f64, f64)>) -> Line {
        Line {
            name: name.to_owned(),
            color,
            width: 2,
            dashed: false,
            markers: false,
            connect: true,
            points,
        }
    }

    /// Dashed.
    pub fn dashed(mut self) -> Line {
        self.dashed = true;
        self
    }

    /// With a dot on every point.
    pub fn markers(mut self) -> Line {
        self.markers = true;
        self
    }

    /// Only dots, no line between them.
    pub fn dots(mut self) -> Line {
        self.markers = true;
        self.connect = false;
        self
    }
}

/// The colour of the warmup and drain bands.
pub const QUIET: Rgb = (100, 116, 139);
/// The colour of a fault's band.
pub const FAULT: Rgb = (220, 38, 38);

/// A shaded stretch of the x axis with a label (the drain, a fault); one
/// that starts where it ends marks an instant with a line.
#[derive(Clone, Debug, PartialEq)]
pub struct Band {
    /// Start, x data units.
    pub from: f64,
    /// End, x data units (`from` for an instant).
    pub to: f64,
    /// Label drawn at its top left; labels that would overlap are
    /// stacked.
    pub label: String,
    /// Colour (the shade is a light tint of it).
    pub color: Rgb,
}

/// A line chart.
#[derive(Clone, Debug, PartialEq)]
pub struct Chart {
    /// Width and height, SVG pixels.
    pub size: (u32, u32),
    /// The x axis.
    pub x: Axis,
    /// The y axis.
    pub y: Axis,
    /// The data.
    pub lines: Vec<Line>,
    /// Shaded stretches, drawn under the lines.
    pub bands: Vec<Band>,
}

impl Chart {
    /// A chart of `size` with no data yet.
    pub fn new(size: (u32, u32), x: Axis, y: Axis) -> Chart {
        Chart {
            size,
            x,
            y,
            lines: Vec::new(),
            bands: Vec::new(),
        }
    }

    /// Adds a line.
    pub fn line(mut self, line: Line) -> Chart {
        self.lines.push(line);
        self
    }

    /// Adds a shaded band.
    pub fn band(mut self, band: Band) -> Chart {
        self.bands.push(band);
        self
    }

    /// True when no line has a point the axes can show.
    pub fn is_empty(&self) -> bool {
        let log = self.y.scale == Scale::Log;
        !self
            .lines
            .iter()
            .flat_map(|l| &l.points)
            .any(|(x, y)| x.is_finite() && y.is_finite() && (!log || *y > 0.0))
    }

    /// The chart as an `<svg>` element (or a note saying why it could
    /// not be drawn).
    pub fn svg(&self) -> String {
        let mut buf = String::new();
        match self.draw(&mut buf) {
            Ok(()) => buf
                .replacen(" xmlns=\"http://www.w3.org/2000/svg\"", "", 1)
                .replacen("<svg ", "<svg class=\"chart\" role=\"img\" ", 1),
            Err(e) => format!("<p class=\"note\">chart not drawn: {}</p>", esc(&e)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::ticks::plan;
    use super::points::segments;
    use super::*;

    fn wave(n: usize) -> Vec<(f64, f64)> {
        (0..n).map(|i| (i as f64, (i as f64 / 7.0).sin())).collect()
    }

    #[test]
    fn svg_has_no_namespace_url_and_draws_every_line() {
        let c = Chart::new(HALF, Axis::linear("time (s)"), Axis::linear("y (ms)"))
            .line(Line::new("a", nth(0), wave(50)))
            .line(Line::new("b", nth(1), vec![(1.0, 2.0), (2.0, f64::NAN), (3.0, 1.0)]).dashed());
        let svg = c.svg();
        assert!(svg.starts_with("<svg class=\"chart\""), "{}", &svg[..80]);
        assert!(!svg.contains("http"), "no URL");
        assert!(svg.contains("time (s)") && svg.contains("y (ms)"));
        assert!(svg.contains(&hex(nth(0)).to_uppercase()), "line a drawn");
        assert_eq!(svg, c.svg(), "same chart, same bytes");
    }

    #[test]
    fn gaps_and_log_axes_break_lines() {
        let l = Line::new(
            "x",
            nth(0),
            vec![(0.0, 1.0), (1.0, 0.0), (2.0, 3.0), (3.0, 4.0)],
        );
        let lin = plan(&Axis::linear("x"), [0.0, 3.0]);
        let log_y = plan(&Axis::log("y"), [1.0, 4.0]);
        assert_eq!(segments(&l, &lin, &lin).len(), 1);
        let s = segments(&l, &lin, &log_y);
        assert_eq!(s.len(), 2, "zero is a gap on a log axis: {s:?}");
        assert_eq!(s[1].len(), 2);
    }

    #[test]
    fn lttb_keeps_ends_and_peaks() {
        let mut pts = wave(5000);
        pts[2500].1 = 50.0;
        let d = lttb(&pts, 300);
        assert_eq!(d.len(), 300);
        assert_eq!(d[0], pts[0]);
        assert_eq!(d[299], pts[4999]);
        assert!(d.iter().any(|p| p.1 == 50.0), "the spike survives");
        assert!(d.windows(2).all(|w| w[0].0 < w[1].0), "x ascending");
    }

    #[test]
    fn auto_axis_goes_log_across_orders_of_magnitude() {
        assert_eq!(Axis::auto("ms", [0.2, 10_000.0]).scale, Scale::Log);
        assert_eq!(Axis::auto("ms", [10.0, 90.0, 0.0]).scale, Scale::Linear);
        assert_eq!(Axis::auto("ms", []).scale, Scale::Linear);
    }
}
