//! Markdown exporter.

use super::tabular::Layout;

fn escape(cell: &str) -> String {
    cell.replace('|', "\\|").replace('\n', " ")
}

/// Renders sections as Markdown tables.
pub fn render(layout: &Layout) -> String {
    let mut out = String::new();
    if let Some((title, rest)) = layout.preamble.split_first() {
        out.push_str(&format!("# {title}\n\n"));
        for l in rest {
            out.push_str(&format!("- {}\n", escape(l)));
        }
    }
    for s in &layout.sections {
        out.push('\n');
        if let Some(t) = &s.title {
            out.push_str(&format!("## {t}\n\n"));
        }
        let row = |cells: &[String]| {
            format!(
                "| {} |\n",
                cells
                    .iter()
                    .map(|c| escape(c))
                    .collect::<Vec<_>>()
                    .join(" | ")
            )
        };
        out.push_str(&row(&s.headers));
        out.push_str(&format!("|{}\n", "---|".repeat(s.headers.len())));
        for r in &s.rows {
            out.push_str(&row(r));
        }
        for n in &s.notes {
            out.push_str(&format!("\n{}\n", escape(n)));
        }
    }
    if !layout.notes.is_empty() {
        out.push('\n');
        for w in &layout.notes {
            out.push_str(&format!("> note: {}\n", escape(w)));
        }
    }
    out
}
