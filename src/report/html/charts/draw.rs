//! Drawing a [`Chart`] with plotters' SVG backend: its colours and font,
//! the mesh, the bands, and the lines with their markers and dashes.
//!
//! Drawing follows a fixed order (background, mesh, bands, then the lines
//! in chart order), so the same chart gives the same bytes; the axes map
//! data through the ticks' [`Plan`], never through plotters' own ranges.

use plotters::coord::ranged1d::{DefaultFormatting, KeyPointHint};
use plotters::prelude::*;

use super::super::ticks::{Plan, plan};
use super::points::segments;
use super::{Chart, Line, Points};

const TEXT: RGBColor = RGBColor(75, 85, 99);
const GRID: RGBColor = RGBColor(226, 230, 236);
const FAINT: RGBColor = RGBColor(243, 245, 248);
const AXIS: RGBColor = RGBColor(156, 163, 175);
const FONT: &str = "sans-serif";
const FONT_SIZE: u32 = 16;

impl Chart {
    pub(super) fn draw(&self, buf: &mut String) -> Result<(), String> {
        let err = |e: plotters::drawing::DrawingAreaErrorKind<std::io::Error>| e.to_string();
        let mut xp = plan(
            &self.x,
            self.lines.iter().flat_map(|l| l.points.iter().map(|p| p.0)),
        );
        let mut yp = plan(
            &self.y,
            self.lines
                .iter()
                .flat_map(|l| l.points.iter().filter(|p| p.0.is_finite()).map(|p| p.1)),
        );
        let segments: Vec<(&Line, Vec<Points>)> = self
            .lines
            .iter()
            .map(|l| (l, segments(l, &xp, &yp)))
            .collect();

        let root = SVGBackend::with_string(buf, self.size).into_drawing_area();
        root.fill(&WHITE).map_err(err)?;
        let y_area = 34 + 9 * yp.label_chars() as u32;
        // Label sizes in SVG pixels: plotters draws FONT_SIZE / 1.24.
        let char_px = f64::from(FONT_SIZE) / 1.24 * 0.6;
        let plot_w = f64::from(self.size.0.saturating_sub(y_area + 4 + 40));
        let plot_h = f64::from(self.size.1.saturating_sub(48 + 12 + 4));
        xp.thin(plot_w, true, char_px, 0.0);
        yp.thin(plot_h, false, char_px, f64::from(FONT_SIZE));
        let (x_range, y_range) = (Coord(&xp), Coord(&yp));
        let mut chart = ChartBuilder::on(&root)
            .margin_top(12)
            .margin_right(40)
            .margin_bottom(4)
            .margin_left(4)
            .x_label_area_size(48)
            .y_label_area_size(y_area)
            .build_cartesian_2d(x_range, y_range)
            .map_err(err)?;
        let fx = |v: &f64| xp.label(*v);
        let fy = |v: &f64| yp.label(*v);
        let font = (FONT, FONT_SIZE).into_font().color(&TEXT);
        let band_font = (FONT, FONT_SIZE - 3).into_font().color(&AXIS);
        chart
            .configure_mesh()
            .bold_line_style(GRID.stroke_width(1))
            .light_line_style(FAINT.stroke_width(1))
            .axis_style(AXIS.stroke_width(1))
            .set_all_tick_mark_size(4)
            .label_style(font.clone())
            .axis_desc_style(font.clone())
            .x_desc(self.x.label.as_str())
            .y_desc(self.y.label.as_str())
            .x_label_formatter(&fx)
            .y_label_formatter(&fy)
            .draw()
            .map_err(err)?;

        // Labels already drawn: (left, right) in pixels, per row.
        let mut rows: Vec<Vec<(i32, i32)>> = Vec::new();
        let band_char_px = f64::from(FONT_SIZE - 3) / 1.24 * 0.6;
        for b in &self.bands {
            let (Some(x0), Some(x1)) = (xp.to(b.from), xp.to(b.to)) else {
                continue;
            };
            let (cr, cg, cb) = b.color;
            if b.from == b.to {
                // An instant: a line, if it is on the chart.
                if x0 < xp.lo || x0 > xp.hi {
                    continue;
                }
                chart
                    .draw_series(std::iter::once(PathElement::new(
                        vec![(x0, yp.lo), (x0, yp.hi)],
                        RGBAColor(cr, cg, cb, 0.7).stroke_width(1),
                    )))
                    .map_err(err)?;
            } else {
                let (x0, x1) = (x0.max(xp.lo), x1.min(xp.hi));
                if x1 <= x0 {
                    continue;
                }
                chart
                    .draw_series(std::iter::once(Rectangle::new(
                        [(x0, yp.lo), (x1, yp.hi)],
                        RGBAColor(cr, cg, cb, 0.08).filled(),
                    )))
                    .map_err(err)?;
            }
            let x0 = x0.max(xp.lo);
            let left = chart.backend_coord(&(x0, yp.hi)).0 + 4;
            let right = left + (b.label.chars().count() as f64 * band_char_px).ceil() as i32;
            let row = rows
                .iter()
                .position(|row| row.iter().all(|&(l, r)| right < l || r < left))
                .unwrap_or(rows.len());
            if row == rows.len() {
                rows.push(Vec::new());
            }
            rows[row].push((left, right));
            let label = EmptyElement::at((x0, yp.hi))
                + Text::new(b.label.clone(), (4, 4 + 15 * row as i32), band_font.clone());
            chart.draw_series(std::iter::once(label)).map_err(err)?;
        }
        for (line, segs) in &segments {
            let (r, g, b) = line.color;
            let style = RGBColor(r, g, b).stroke_width(line.width);
            for seg in segs {
                if seg.len() == 1 || line.markers {
                    chart
                        .draw_series(
                            seg.iter()
                                .map(|p| Circle::new(*p, line.width + 1, style.filled())),
                        )
                        .map_err(err)?;
                }
                if seg.len() < 2 || !line.connect {
                    continue;
                }
                if line.dashed {
                    chart
                        .draw_series(DashedLineSeries::new(seg.iter().copied(), 7, 5, style))
                        .map_err(err)?;
                } else {
                    chart
                        .draw_series(LineSeries::new(seg.iter().copied(), style))
                        .map_err(err)?;
                }
            }
        }
        root.present().map_err(err)?;
        Ok(())
    }
}

/// An axis for plotters: the plan's range, mapped linearly (log axes are
/// planned in `log10`), with the plan's ticks. (plotters' own
/// `WithKeyPoints` over `f64` lacks the formatter its mesh needs.)
struct Coord<'a>(&'a Plan);

impl Ranged for Coord<'_> {
    type FormatOption = DefaultFormatting;
    type ValueType = f64;

    fn map(&self, v: &f64, limit: (i32, i32)) -> i32 {
        let (lo, hi) = (self.0.lo, self.0.hi);
        let span = limit.1 - limit.0;
        if hi == lo || span == 0 {
            return limit.0 + span / 2;
        }
        let f = ((v - lo) / (hi - lo)).clamp(-1.0, 2.0);
        if span > 0 {
            limit.0 + (f64::from(span) * f + 1e-3).floor() as i32
        } else {
            limit.0 + (f64::from(span) * f - 1e-3).ceil() as i32
        }
    }

    fn key_points<H: KeyPointHint>(&self, hint: H) -> Vec<f64> {
        if hint.weight().allow_light_points() {
            self.0.light.clone()
        } else {
            self.0.bold.clone()
        }
    }

    fn range(&self) -> std::ops::Range<f64> {
        self.0.lo..self.0.hi
    }
}
