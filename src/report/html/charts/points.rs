//! From a [`Line`]'s data to plotting coordinates: split at gaps, and
//! downsampled when longer than [`MAX_POINTS`].
//!
//! A point the axes cannot show (a non-finite value, or one ≤ 0 on a log
//! axis) ends the piece before it rather than joining its neighbours;
//! downsampling keeps each piece's first and last points and, with
//! largest-triangle-three-buckets, its peaks and dips.

use super::super::ticks::Plan;
use super::{Line, MAX_POINTS, Points};

/// The line in plotting coordinates, split at gaps, each piece
/// downsampled to its share of [`MAX_POINTS`].
pub(super) fn segments(line: &Line, xp: &Plan, yp: &Plan) -> Vec<Points> {
    let mut segs: Vec<Points> = vec![Vec::new()];
    for &(x, y) in &line.points {
        match (xp.to(x), yp.to(y)) {
            (Some(x), Some(y)) => {
                if let Some(last) = segs.last_mut() {
                    last.push((x, y));
                }
            }
            _ => {
                if segs.last().is_some_and(|s| !s.is_empty()) {
                    segs.push(Vec::new());
                }
            }
        }
    }
    segs.retain(|s| !s.is_empty());
    let total: usize = segs.iter().map(Vec::len).sum();
    if total <= MAX_POINTS {
        return segs;
    }
    segs.iter()
        .map(|s| lttb(s, (MAX_POINTS * s.len() / total).max(3)))
        .collect()
}

/// Largest-triangle-three-buckets: `n` of `points` (first and last kept)
/// that best preserve the line's visual shape.
pub fn lttb(points: &[(f64, f64)], n: usize) -> Vec<(f64, f64)> {
    let len = points.len();
    if len <= n || n < 3 {
        return points.to_vec();
    }
    let every = (len - 2) as f64 / (n - 2) as f64;
    // Bucket i (of n − 2) covers points[edge(i)..edge(i + 1)].
    let edge = |i: usize| ((i as f64 * every) as usize + 1).min(len - 1);
    let mut out = Vec::with_capacity(n);
    out.push(points[0]);
    let mut a = points[0];
    for i in 0..n - 2 {
        let next = &points[edge(i + 1)..edge(i + 2).max(edge(i + 1) + 1).min(len)];
        let k = next.len() as f64;
        let c = (
            next.iter().map(|p| p.0).sum::<f64>() / k,
            next.iter().map(|p| p.1).sum::<f64>() / k,
        );
        let here = &points[edge(i)..edge(i + 1).max(edge(i) + 1)];
        let area = |p: &(f64, f64)| ((a.0 - c.0) * (p.1 - a.1) - (a.0 - p.0) * (c.1 - a.1)).abs();
        let best = here
            .iter()
            .copied()
            .reduce(|b, p| if area(&p) > area(&b) { p } else { b });
        if let Some(p) = best {
            out.push(p);
            a = p;
        }
    }
    out.push(points[len - 1]);
    out
}
