//! The page around the charts and tables: the shell with its one
//! `<style>`, escaping, figures with HTML legends, badges and key-number
//! tiles. Shared by `report.html`, `compare --html` and `sweep.html`.
//!
//! Guarantees: every string from outside ecsim (scenario name and
//! description, coupon codes, station names, paths) goes through [`esc`];
//! the page loads nothing — no script, no font, no stylesheet, no image
//! URL (the CSS uses only system fonts and inline values).

use std::fmt::Write;

use super::charts::{Chart, Line, hex};

/// HTML-escapes `s` for text and double-quoted attribute values.
pub fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

const CSS: &str = r#"
:root{--ink:#111827;--muted:#6b7280;--line:#e5e7eb;--bg:#f3f4f6;--card:#fff;
--ok:#15803d;--ok-bg:#dcfce7;--bad:#b91c1c;--bad-bg:#fee2e2;--warn:#92400e;--warn-bg:#fef3c7;--accent:#1d4ed8}
*{box-sizing:border-box}
body{margin:0;background:var(--bg);color:var(--ink);
font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue","DejaVu Sans",Arial,sans-serif}
main{max-width:1240px;margin:0 auto;padding:0 20px 40px}
header.top{background:#0f172a;color:#f8fafc;padding:22px 0 18px}
header.top .in{max-width:1240px;margin:0 auto;padding:0 20px}
header.top h1{margin:0 0 2px;font-size:26px;font-weight:650;letter-spacing:-.01em}
header.top .kind{font-size:12px;text-transform:uppercase;letter-spacing:.08em;color:#94a3b8}
header.top p.desc{margin:4px 0 10px;color:#cbd5e1;font-size:15px;max-width:900px}
dl.meta{display:flex;flex-wrap:wrap;gap:4px 22px;margin:8px 0 12px;font-size:13px}
dl.meta div{display:flex;gap:6px}dl.meta dt{color:#94a3b8}dl.meta dd{margin:0;color:#f1f5f9;font-variant-numeric:tabular-nums}
.badges{display:flex;flex-wrap:wrap;gap:8px}
.badge{display:inline-block;padding:3px 10px;border-radius:999px;font-size:13px;font-weight:600}
.badge.ok{background:var(--ok-bg);color:var(--ok)}.badge.bad{background:var(--bad-bg);color:var(--bad)}
.badge.warn{background:var(--warn-bg);color:var(--warn)}.badge.none{background:#e2e8f0;color:#334155}
nav{position:sticky;top:0;z-index:2;background:rgba(243,244,246,.96);border-bottom:1px solid var(--line);margin:0 0 8px;padding:9px 0;font-size:13.5px}
nav a{color:var(--accent);text-decoration:none;margin-right:16px}
h2{font-size:19px;margin:26px 0 10px;padding-bottom:4px;border-bottom:2px solid var(--line)}
h2 small{font-weight:400;color:var(--muted);font-size:13px;margin-left:8px}
.tiles{display:grid;grid-template-columns:repeat(4,minmax(0,1fr));gap:10px;margin:16px 0 14px}
.tile{background:var(--card);border:1px solid var(--line);border-radius:8px;padding:10px 12px}
.tile .v{font-size:22px;font-weight:650;font-variant-numeric:tabular-nums;white-space:nowrap}
.tile .k{font-size:12px;color:var(--muted);text-transform:uppercase;letter-spacing:.04em}
.tile .s{font-size:12px;color:var(--muted)}
.tile.bad{border-color:#fca5a5;background:#fff7f7}.tile.bad .v{color:var(--bad)}
.tile.ok .v{color:var(--ok)}
.grid{display:grid;grid-template-columns:repeat(2,minmax(0,1fr));gap:14px}
figure{margin:0;background:var(--card);border:1px solid var(--line);border-radius:8px;padding:12px 14px 8px}
figure.wide{grid-column:1/-1}
figcaption h3{margin:0;font-size:15px}
figcaption p{margin:2px 0 0;color:var(--muted);font-size:12.5px}
svg.chart{display:block;width:100%;height:auto;margin-top:6px}
svg.chart text{font-family:inherit}
svg.chart polyline{stroke-linejoin:round;stroke-linecap:round}
ul.legend{list-style:none;margin:8px 0 0;padding:0;display:flex;flex-wrap:wrap;gap:2px 14px;font-size:12.5px}
ul.legend li{display:flex;align-items:center;gap:6px}
ul.legend i{display:inline-block;width:18px;height:0;border-top:3px solid}
ul.legend i.d{border-top-style:dashed}
ul.legend i.o{width:9px;height:9px;border:4.5px solid;border-radius:50%}
.card{background:var(--card);border:1px solid var(--line);border-radius:8px;padding:12px 14px;margin:0 0 14px}
.op h3{margin:0 0 2px;font-size:16px;display:flex;align-items:center;gap:8px}
.op h3 .sw{width:12px;height:12px;border-radius:3px;display:inline-block}
.op .facts{color:var(--muted);font-size:12.5px;font-variant-numeric:tabular-nums}
.op .grid figure{border:0;padding:0}
.tablewrap{overflow-x:auto;background:var(--card);border:1px solid var(--line);border-radius:8px;margin:0 0 14px}
table{border-collapse:collapse;width:100%;font-size:13px}
caption{text-align:left;padding:10px 12px 4px;font-weight:650;font-size:14px}
caption small{font-weight:400;color:var(--muted);margin-left:6px}
th,td{padding:5px 9px;border-bottom:1px solid #f0f1f3;white-space:nowrap}
th{text-align:left;color:var(--muted);font-weight:600;font-size:12px;background:#fafafa;white-space:normal;vertical-align:bottom}
td.n,th.n{text-align:right;font-variant-numeric:tabular-nums}
td.bar{min-width:96px;background:linear-gradient(90deg,#60a5fa var(--p),#e5e7eb var(--p)) no-repeat left 10px bottom 3px/calc(100% - 20px) 3px}
td.bar.hot{background-image:linear-gradient(90deg,#ef4444 var(--p),#e5e7eb var(--p))}
tr.fail td{background:var(--bad-bg);color:var(--bad)}tr.pass td:last-child{color:var(--ok)}
tr.all td{font-weight:650;border-top:2px solid var(--line)}
td.bad{color:var(--bad);font-weight:600}td.good{color:var(--ok);font-weight:600}
.cols{display:grid;grid-template-columns:repeat(2,minmax(0,1fr));gap:14px;align-items:start}
.cols.pair{margin-top:14px}

p.note{color:var(--muted);font-size:13px;margin:6px 0}
footer{color:var(--muted);font-size:12.5px;margin-top:24px;border-top:1px solid var(--line);padding-top:10px}
footer a,td a{color:var(--accent)}
details{margin:0 0 14px}summary{cursor:pointer;color:var(--accent);margin:4px 0}
@media (max-width:900px){.grid,.cols{grid-template-columns:1fr}.tiles{grid-template-columns:repeat(2,minmax(0,1fr))}}
@media print{nav{display:none}body{background:#fff}}
"#;

/// A whole page: `title` in `<title>`, `header` above the content.
pub fn shell(title: &str, header: &str, body: &str) -> String {
    let mut s = String::with_capacity(body.len() + CSS.len() + 1024);
    s.push_str("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n");
    s.push_str("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n");
    s.push_str("<meta name=\"generator\" content=\"ecsim ");
    s.push_str(env!("CARGO_PKG_VERSION"));
    s.push_str("\">\n<title>");
    s.push_str(&esc(title));
    s.push_str("</title>\n<style>");
    s.push_str(CSS);
    s.push_str("</style>\n</head>\n<body>\n");
    s.push_str(header);
    s.push_str("<main>\n");
    s.push_str(body);
    s.push_str("</main>\n</body>\n</html>\n");
    s
}

/// The dark header band: a small `kind` line, the title, a description,
/// facts as `(term, value)` and badges (already HTML).
pub fn header(
    kind: &str,
    title: &str,
    desc: &str,
    facts: &[(&str, String)],
    badges: &str,
) -> String {
    let mut s = String::new();
    // Writing to a String cannot fail.
    let _ = write!(
        s,
        "<header class=\"top\"><div class=\"in\">\n<div class=\"kind\">{}</div>\n<h1>{}</h1>\n",
        esc(kind),
        esc(title)
    );
    if !desc.is_empty() {
        let _ = writeln!(s, "<p class=\"desc\">{}</p>", esc(desc));
    }
    s.push_str("<dl class=\"meta\">");
    for (k, v) in facts {
        let _ = write!(s, "<div><dt>{}</dt><dd>{}</dd></div>", esc(k), esc(v));
    }
    s.push_str("</dl>\n");
    let _ = writeln!(s, "<div class=\"badges\">{badges}</div>\n</div></header>");
    s
}

/// How a badge or tile reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tone {
    /// Good news.
    Ok,
    /// A failure.
    Bad,
    /// Worth a look.
    Warn,
    /// Neutral.
    None,
}

impl Tone {
    fn class(self) -> &'static str {
        match self {
            Tone::Ok => "ok",
            Tone::Bad => "bad",
            Tone::Warn => "warn",
            Tone::None => "none",
        }
    }
}

/// A pill: `✓ 14 invariants hold`.
pub fn badge(tone: Tone, text: &str) -> String {
    format!(
        "<span class=\"badge {}\">{}</span>",
        tone.class(),
        esc(text)
    )
}

/// A key-number tile: caption, value, small print.
pub fn tile(tone: Tone, key: &str, value: &str, sub: &str) -> String {
    format!(
        "<div class=\"tile {}\"><div class=\"k\">{}</div><div class=\"v\">{}</div><div class=\"s\">{}</div></div>\n",
        tone.class(),
        esc(key),
        esc(value),
        esc(sub)
    )
}

/// A section heading with an anchor and a side note.
pub fn section(id: &str, title: &str, note: &str) -> String {
    format!(
        "<h2 id=\"{}\">{}<small>{}</small></h2>\n",
        esc(id),
        esc(title),
        esc(note)
    )
}

/// The legend of `lines`, in order: a line, a dashed line or a dot.
pub fn legend(lines: &[Line]) -> String {
    let mut s = String::from("<ul class=\"legend\">");
    for l in lines {
        let class = if !l.connect {
            " class=\"o\""
        } else if l.dashed {
            " class=\"d\""
        } else {
            ""
        };
        let _ = write!(
            s,
            "<li><i{class} style=\"border-color:{}\"></i>{}</li>",
            hex(l.color),
            esc(&l.name)
        );
    }
    s.push_str("</ul>");
    s
}

/// A chart in a `<figure>` with its title, a note and its legend (none
/// for a single line). `wide` spans both grid columns. An empty chart
/// becomes a note.
pub fn figure(title: &str, note: &str, chart: &Chart, wide: bool) -> String {
    let body = if chart.is_empty() {
        "<p class=\"note\">nothing to draw: no data in the measured window</p>".to_owned()
    } else {
        chart.svg()
    };
    let legend = if chart.lines.len() > 1 {
        legend(&chart.lines)
    } else {
        String::new()
    };
    format!(
        "<figure{}><figcaption><h3>{}</h3><p>{}</p></figcaption>{legend}\n{body}</figure>\n",
        if wide { " class=\"wide\"" } else { "" },
        esc(title),
        esc(note),
    )
}

/// `1234567.8` → `1,234,568` (`decimals` = 0) or `1,234,567.80` (2).
pub fn thousands(v: f64, decimals: usize) -> String {
    if !v.is_finite() {
        return "–".to_owned();
    }
    let s = format!("{:.*}", decimals, v.abs());
    let (int, frac) = s.split_once('.').map_or((s.as_str(), ""), |(i, f)| (i, f));
    let mut out = String::new();
    for (i, c) in int.chars().enumerate() {
        if i > 0 && (int.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    if !frac.is_empty() {
        out.push('.');
        out.push_str(frac);
    }
    if v < 0.0 && s.chars().any(|c| c != '0' && c != '.') {
        out.insert(0, '-');
    }
    out
}

/// A latency for people: `0.644 ms`, `52.4 ms`, `324 ms`, `10.14 s`.
pub fn latency(ms: f64) -> String {
    if !ms.is_finite() {
        "–".to_owned()
    } else if ms >= 1000.0 {
        format!("{:.2} s", ms / 1000.0)
    } else if ms >= 100.0 {
        format!("{ms:.0} ms")
    } else if ms >= 10.0 {
        format!("{ms:.1} ms")
    } else {
        format!("{ms:.3} ms")
    }
}

/// A fraction as a percentage with two decimals: `2.85%`.
pub fn percent(f: f64) -> String {
    if f.is_finite() {
        format!("{:.2}%", f * 100.0)
    } else {
        "–".to_owned()
    }
}

/// Seconds for people: `45 s`, `5 min`, `2 h`, `1 h 30 min`.
pub fn duration(s: f64) -> String {
    let s = s.round() as u64;
    let (h, m, sec) = (s / 3600, s % 3600 / 60, s % 60);
    let mut parts = Vec::new();
    if h > 0 {
        parts.push(format!("{h} h"));
    }
    if m > 0 {
        parts.push(format!("{m} min"));
    }
    if sec > 0 || parts.is_empty() {
        parts.push(format!("{sec} s"));
    }
    parts.join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup_and_quotes() {
        assert_eq!(
            esc(r#"<script>alert("x" & 'y')</script>"#),
            "&lt;script&gt;alert(&quot;x&quot; &amp; &#39;y&#39;)&lt;/script&gt;"
        );
        let h = header("k", "<b>", "a&b", &[("seed", "<1>".into())], "");
        assert!(h.contains("&lt;b&gt;") && h.contains("a&amp;b") && h.contains("&lt;1&gt;"));
        assert!(!h.contains("<b>"));
    }

    #[test]
    fn numbers_for_people() {
        assert_eq!(thousands(8_452_741.0, 0), "8,452,741");
        assert_eq!(thousands(34_422_527.55, 2), "34,422,527.55");
        assert_eq!(thousands(999.0, 0), "999");
        assert_eq!(thousands(-1234.5, 1), "-1,234.5");
        assert_eq!(latency(0.6444), "0.644 ms");
        assert_eq!(latency(52.43), "52.4 ms");
        assert_eq!(latency(324.01), "324 ms");
        assert_eq!(latency(10_141.8), "10.14 s");
        assert_eq!(percent(0.0285), "2.85%");
        assert_eq!(duration(7200.0), "2 h");
        assert_eq!(duration(5400.0), "1 h 30 min");
        assert_eq!(duration(300.0), "5 min");
        assert_eq!(duration(0.0), "0 s");
    }

    #[test]
    fn the_shell_loads_nothing() {
        let p = shell("t<", "<header></header>", "<p>x</p>");
        assert!(p.starts_with("<!DOCTYPE html>"));
        assert!(p.contains("<title>t&lt;</title>"));
        assert_eq!(p.matches("<style>").count(), 1);
        for bad in ["<script", "http://", "https://", "@import", "url("] {
            assert!(!p.contains(bad), "{bad}");
        }
    }
}
