//! The report's tables as HTML, cell for cell the CSV files.
//!
//! Every cell's text comes from the same field functions that write the
//! CSVs (`csv::summary_fields`, `csv::station_fields`, …), so a number on
//! the page is byte for byte the number in the file; headers are the CSV
//! headers. The page only adds looks: numeric columns right-aligned, a
//! bar behind ratios, the `ALL` row in bold, failed rows in red. The one
//! omission: the summary's confidence-interval columns when they are all
//! empty (a single run).

use std::fmt::Write;

use super::page::esc;
use crate::contract::names;
use crate::report::csv;
use crate::report::{Report, thresholds::Verdict};

/// One cell: its text (escaped when written) and looks.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Cell {
    /// The text, as in the CSV.
    pub text: String,
    /// A bar behind the number: the fraction of the cell to fill.
    pub bar: Option<f64>,
    /// A bar in red (a hot station, an error rate).
    pub hot: bool,
    /// An extra class: `bad` or `good`.
    pub class: Option<&'static str>,
    /// A relative link around the text.
    pub href: Option<String>,
}

impl Cell {
    fn bar(text: String, fraction: f64, hot: bool) -> Cell {
        Cell {
            text,
            bar: Some(fraction),
            hot,
            class: None,
            href: None,
        }
    }
}

impl From<String> for Cell {
    fn from(text: String) -> Cell {
        Cell {
            text,
            ..Cell::default()
        }
    }
}

/// A table row and its class (`all`, `pass`, `fail`).
pub type Row = (Vec<Cell>, Option<&'static str>);

fn numeric(s: &str) -> bool {
    let s = s.strip_suffix('%').unwrap_or(s);
    s == "n/a" || (!s.is_empty() && s.parse::<f64>().is_ok())
}

/// A table: `id` for links, a caption with a note, the header and rows.
/// Columns whose cells are numbers (or empty) are right-aligned.
pub fn table(id: &str, caption: &str, note: &str, header: &[&str], rows: &[Row]) -> String {
    let num_col: Vec<bool> = (0..header.len())
        .map(|c| {
            let cells = rows.iter().filter_map(|r| r.0.get(c));
            let mut any = false;
            for cell in cells {
                if numeric(&cell.text) {
                    any = true;
                } else if !cell.text.is_empty() {
                    return false;
                }
            }
            any
        })
        .collect();
    let mut s = String::new();
    // Writing to a String cannot fail.
    let _ = write!(
        s,
        "<div class=\"tablewrap\"><table id=\"{}\"><caption>{}<small>{}</small></caption>\n<thead><tr>",
        esc(id),
        esc(caption),
        esc(note)
    );
    for (h, n) in header.iter().zip(&num_col) {
        // Long dotted names may wrap after a dot or an underscore.
        let h = esc(h).replace('.', ".<wbr>").replace('_', "_<wbr>");
        let _ = write!(s, "<th{}>{h}</th>", if *n { " class=\"n\"" } else { "" });
    }
    s.push_str("</tr></thead>\n<tbody>\n");
    for (cells, class) in rows {
        match class {
            Some(c) => {
                let _ = write!(s, "<tr class=\"{c}\">");
            }
            None => s.push_str("<tr>"),
        }
        for (i, cell) in cells.iter().enumerate() {
            let mut classes = Vec::new();
            if num_col.get(i).copied().unwrap_or(false) {
                classes.push("n");
            }
            if cell.bar.is_some() {
                classes.push("bar");
                if cell.hot {
                    classes.push("hot");
                }
            }
            classes.extend(cell.class);
            s.push_str("<td");
            if !classes.is_empty() {
                let _ = write!(s, " class=\"{}\"", classes.join(" "));
            }
            if let Some(f) = cell.bar {
                let _ = write!(s, " style=\"--p:{:.1}%\"", (f * 100.0).clamp(0.0, 100.0));
            }
            match &cell.href {
                Some(h) => {
                    let _ = write!(s, "><a href=\"{}\">{}</a></td>", esc(h), esc(&cell.text));
                }
                None => {
                    let _ = write!(s, ">{}</td>", esc(&cell.text));
                }
            }
        }
        s.push_str("</tr>\n");
    }
    s.push_str("</tbody></table></div>\n");
    s
}

fn plain<const N: usize>(fields: [String; N]) -> Vec<Cell> {
    fields.into_iter().map(Cell::from).collect()
}

/// `summary.csv`.
pub fn summary(r: &Report) -> String {
    let header = names::summary_header();
    let with_ci = r.summary.iter().any(|s| s.ci95.is_some());
    // The columns shown: all of them, or all but the empty CI columns.
    let keep: Vec<usize> = (0..header.len())
        .filter(|&i| with_ci || !names::SUMMARY_CI.contains(&header[i]))
        .collect();
    let rate_col = keep
        .iter()
        .position(|&i| header[i] == "error_rate")
        .unwrap_or(0);
    let rows: Vec<Row> = r
        .summary
        .iter()
        .map(|s| {
            let fields = csv::summary_fields(s);
            let mut cells: Vec<Cell> = keep
                .iter()
                .filter_map(|&i| fields.get(i).cloned())
                .map(Cell::from)
                .collect();
            if s.error_rate > 0.0
                && let Some(c) = cells.get_mut(rate_col)
            {
                *c = Cell::bar(c.text.clone(), s.error_rate, true);
            }
            let class = (s.operation == crate::contract::names::ALL).then_some("all");
            (cells, class)
        })
        .collect();
    let note = if with_ci {
        "latency in ms; *_ci95 = 95% confidence half-width over replications"
    } else {
        "latency in ms, failed requests included; summary.csv"
    };
    let header: Vec<&str> = keep.iter().map(|&i| header[i]).collect();
    table("t-summary", "Operations", note, &header, &rows)
}

/// `stations.csv`.
pub fn stations(r: &Report) -> String {
    let rows: Vec<Row> = r
        .stations
        .iter()
        .map(|s| {
            let mut cells = plain(csv::station_fields(s));
            cells[5] = Cell::bar(cells[5].text.clone(), s.utilization, s.utilization >= 0.8);
            (cells, None)
        })
        .collect();
    table(
        "t-stations",
        "Stations",
        "utilization = busy worker-time / available; waits in ms; stations.csv",
        &names::STATIONS_HEADER,
        &rows,
    )
}

/// `cache.csv` (an empty string when the cache is off).
pub fn cache(r: &Report) -> String {
    if r.cache.is_empty() {
        return String::new();
    }
    let rows: Vec<Row> = r
        .cache
        .iter()
        .map(|c| {
            let mut cells = plain(csv::cache_fields(c));
            cells[4] = Cell::bar(cells[4].text.clone(), c.hit_rate, false);
            (cells, None)
        })
        .collect();
    table(
        "t-cache",
        "Cache",
        names::CACHE,
        &names::CACHE_HEADER,
        &rows,
    )
}

/// `errors.csv`.
pub fn errors(r: &Report) -> String {
    if r.errors.is_empty() {
        return "<p class=\"note\">No request failed.</p>\n".to_owned();
    }
    let rows: Vec<Row> = r
        .errors
        .iter()
        .map(|e| (plain(csv::error_fields(e)), None))
        .collect();
    table(
        "t-errors",
        "Errors",
        "by operation and kind; errors.csv",
        &names::ERRORS_HEADER,
        &rows,
    )
}

/// `business.csv`, in two tables side by side (first half, second half)
/// to keep the page short; rows and cells as in the file.
pub fn business(r: &Report) -> String {
    let rows: Vec<Row> = r
        .business
        .iter()
        .map(|b| (plain(csv::business_fields(b)), None))
        .collect();
    let half = rows.len().div_ceil(2);
    let (a, b) = rows.split_at(half);
    let mut s = table(
        "t-business",
        "Business",
        names::BUSINESS,
        &names::BUSINESS_HEADER,
        a,
    );
    s.push_str(&table(
        "t-business-2",
        "Business, continued",
        "revenue in currency units",
        &names::BUSINESS_HEADER,
        b,
    ));
    s
}

/// `thresholds.csv` rows.
pub fn threshold_rows(v: &[Verdict]) -> Vec<Row> {
    v.iter()
        .map(|t| {
            let mut cells = plain(csv::threshold_fields(t));
            cells[3].class = Some(if t.pass { "good" } else { "bad" });
            (cells, Some(if t.pass { "pass" } else { "fail" }))
        })
        .collect()
}

/// `thresholds.csv` (a note when the scenario has none).
pub fn thresholds(r: &Report) -> String {
    if r.thresholds.is_empty() {
        return "<p class=\"note\">The scenario sets no thresholds.</p>\n".to_owned();
    }
    table(
        "t-thresholds",
        "Thresholds",
        "[thresholds] of the scenario; thresholds.csv",
        &names::THRESHOLDS_HEADER,
        &threshold_rows(&r.thresholds),
    )
}

/// `invariants.csv`, then the first violations of each broken one.
pub fn invariants(r: &Report) -> String {
    let rows: Vec<Row> = r
        .invariants
        .iter()
        .map(|i| {
            let mut cells = plain(csv::invariant_fields(i));
            let ok = i.violations.is_empty();
            cells[2].class = Some(if ok { "good" } else { "bad" });
            (cells, (!ok).then_some("fail"))
        })
        .collect();
    let mut s = table(
        "t-invariants",
        "Invariants",
        "checked at the end of the run (INVARIANTS.md); invariants.csv",
        &names::INVARIANTS_HEADER,
        &rows,
    );
    for i in r.invariants.iter().filter(|i| !i.violations.is_empty()) {
        let _ = write!(
            s,
            "<div class=\"card\"><b>{} {} violated</b><ul>",
            esc(&i.id),
            esc(&i.name)
        );
        for v in i.violations.iter().take(10) {
            let _ = write!(s, "<li>{}</li>", esc(v));
        }
        if i.violations.len() > 10 {
            let _ = write!(s, "<li>… {} more</li>", i.violations.len() - 10);
        }
        s.push_str("</ul></div>\n");
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numeric_columns_align_right_and_text_is_escaped() {
        let rows: Vec<Row> = vec![
            (
                vec!["<a>".to_string().into(), "1.500".to_string().into()],
                None,
            ),
            (
                vec!["b".to_string().into(), String::new().into()],
                Some("all"),
            ),
        ];
        let t = table("x", "Cap", "note", &["name", "value_ms"], &rows);
        assert!(
            t.contains("<th>name</th><th class=\"n\">value_<wbr>ms</th>"),
            "{t}"
        );
        assert!(
            t.contains("<td>&lt;a&gt;</td><td class=\"n\">1.500</td>"),
            "{t}"
        );
        assert!(t.contains("<tr class=\"all\">"));
    }

    #[test]
    fn bars_fill_their_fraction() {
        let rows: Vec<Row> = vec![(vec![Cell::bar("0.651900".into(), 0.6519, false)], None)];
        let t = table("x", "c", "", &["utilization"], &rows);
        assert!(
            t.contains("class=\"n bar\" style=\"--p:65.2%\">0.651900<"),
            "{t}"
        );
    }
}
