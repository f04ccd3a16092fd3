//! A report as plain content (title, facts, sections with bullets and tables, charts), and its
//! two renderings: Markdown and a self-contained HTML page (styles inline, charts as inline
//! SVG, no external resource).

/// A table: headers and rows of text.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Table {
    /// Column headers.
    pub headers: Vec<String>,
    /// Rows, each as long as `headers`.
    pub rows: Vec<Vec<String>>,
}

/// A titled part of the report.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Section {
    /// Heading.
    pub title: String,
    /// Heading level (2 for a top-level section, 3 below a model).
    pub level: u8,
    /// Bullet points.
    pub bullets: Vec<String>,
    /// An optional table after the bullets.
    pub table: Option<Table>,
}

/// A chart written beside the report.
#[derive(Clone, Debug, PartialEq)]
pub struct ChartRef {
    /// What it shows.
    pub title: String,
    /// The PNG's file name (relative to the report).
    pub png_file: String,
    /// The SVG document, embedded in the HTML.
    pub svg: String,
}

/// A whole report.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Document {
    /// Title.
    pub title: String,
    /// Key facts under the title.
    pub facts: Vec<String>,
    /// Sections in order.
    pub sections: Vec<Section>,
    /// Charts, shown last.
    pub charts: Vec<ChartRef>,
    /// Notes for the reader (warnings of the runs).
    pub notes: Vec<String>,
}

fn md_cell(s: &str) -> String {
    s.replace('|', "\\|").replace('\n', " ")
}

/// Renders Markdown.
pub fn markdown(d: &Document) -> String {
    let mut out = format!("# {}\n\n", d.title);
    for f in &d.facts {
        out.push_str(&format!("- {f}\n"));
    }
    for s in &d.sections {
        out.push_str(&format!(
            "\n{} {}\n\n",
            "#".repeat(usize::from(s.level)),
            s.title
        ));
        for b in &s.bullets {
            out.push_str(&format!("- {b}\n"));
        }
        if let Some(t) = &s.table {
            if !s.bullets.is_empty() {
                out.push('\n');
            }
            let row = |cells: &[String]| {
                let cells: Vec<String> = cells.iter().map(|c| md_cell(c)).collect();
                format!("| {} |\n", cells.join(" | "))
            };
            out.push_str(&row(&t.headers));
            out.push_str(&format!("|{}\n", "---|".repeat(t.headers.len())));
            for r in &t.rows {
                out.push_str(&row(r));
            }
        }
    }
    if !d.charts.is_empty() {
        out.push_str("\n## Charts\n\n");
        for c in &d.charts {
            out.push_str(&format!("![{}]({})\n\n", c.title, c.png_file));
        }
    }
    if !d.notes.is_empty() {
        out.push_str("\n## Notes\n\n");
        for n in &d.notes {
            out.push_str(&format!("- {}\n", md_cell(n)));
        }
    }
    out
}

/// Escapes text for HTML.
pub fn escape_html(s: &str) -> String {
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

/// Renders a self-contained HTML page (inline style, charts as inline SVG).
pub fn html(d: &Document) -> String {
    let mut out = format!(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>{}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n<h1>{}</h1>\n",
        escape_html(&d.title),
        escape_html(&d.title)
    );
    let list = |items: &[String], class: &str| {
        let lis: String = items
            .iter()
            .map(|i| format!("<li>{}</li>", escape_html(i)))
            .collect();
        format!("<ul{class}>{lis}</ul>\n")
    };
    out.push_str(&list(&d.facts, ""));
    for s in &d.sections {
        let h = s.level.clamp(2, 6);
        out.push_str(&format!("<h{h}>{}</h{h}>\n", escape_html(&s.title)));
        if !s.bullets.is_empty() {
            out.push_str(&list(&s.bullets, ""));
        }
        if let Some(t) = &s.table {
            out.push_str("<table>\n<tr>");
            for h in &t.headers {
                out.push_str(&format!("<th>{}</th>", escape_html(h)));
            }
            out.push_str("</tr>\n");
            for r in &t.rows {
                out.push_str("<tr>");
                for c in r {
                    out.push_str(&format!("<td>{}</td>", escape_html(c)));
                }
                out.push_str("</tr>\n");
            }
            out.push_str("</table>\n");
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
                escape_html(&c.title)
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
