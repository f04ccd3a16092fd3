//! The HTML rendering: a self-contained page (styles inline, charts as inline SVG, no
//! external resource); every piece of text is escaped.

use super::{Document, Table};

/// Escapes text for HTML.
pub fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

const STYLE: &str = "body{font-family:-apple-system,'Segoe UI',Helvetica,Arial,sans-serif;\
max-width:1100px;margin:2em auto;padding:0 1em;color:#1d1d1f}\
table{border-collapse:collapse;margin:.5em 0 1em}th,td{border:1px solid #d2d2d7;\
padding:.3em .6em;text-align:left}th{background:#f5f5f7}\
h1{font-size:1.6em}h2{border-bottom:1px solid #d2d2d7;padding-bottom:.2em}\
figure{margin:1em 0}figure svg{max-width:100%;height:auto}\
.notes li{color:#6e6e73}";

fn list(items: &[String], class: &str) -> String {
    let lis: String = items
        .iter()
        .map(|i| format!("<li>{}</li>", escape(i)))
        .collect();
    format!("<ul{class}>{lis}</ul>\n")
}

fn table(t: &Table, out: &mut String) {
    out.push_str("<table>\n<tr>");
    for h in &t.headers {
        out.push_str(&format!("<th>{}</th>", escape(h)));
    }
    out.push_str("</tr>\n");
    for r in &t.rows {
        out.push_str("<tr>");
        for c in r {
            out.push_str(&format!("<td>{}</td>", escape(c)));
        }
        out.push_str("</tr>\n");
    }
    out.push_str("</table>\n");
}

/// Renders a self-contained HTML page.
pub fn render(d: &Document) -> String {
    let mut out = format!(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>{}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n<h1>{}</h1>\n",
        escape(&d.title),
        escape(&d.title)
    );
    out.push_str(&list(&d.facts, ""));
    for s in &d.sections {
        if let Some(title) = &s.title {
            let h = s.level.clamp(2, 6);
            out.push_str(&format!("<h{h}>{}</h{h}>\n", escape(title)));
        }
        if !s.bullets.is_empty() {
            out.push_str(&list(&s.bullets, ""));
        }
        if let Some(t) = &s.table {
            table(t, &mut out);
        }
    }
    if !d.charts.is_empty() {
        out.push_str("<h2>Charts</h2>\n");
        for c in &d.charts {
            let svg = c.svg.trim_start_matches(|ch| ch != '<');
            let svg = svg
                .strip_prefix("<?xml")
                .and_then(|rest| rest.split_once("?>").map(|(_, s)| s))
                .unwrap_or(svg);
            out.push_str(&format!(
                "<figure>\n{}\n<figcaption>{}</figcaption>\n</figure>\n",
                svg.trim(),
                escape(&c.title)
            ));
        }
    }
    if !d.notes.is_empty() {
        out.push_str("<h2>Notes</h2>\n");
        out.push_str(&list(&d.notes, " class=\"notes\""));
    }
    out.push_str("</body>\n</html>\n");
    out
}
