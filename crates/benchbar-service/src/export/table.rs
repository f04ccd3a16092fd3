//! Plain-text table exporter.

use super::tabular::Layout;

/// Renders sections as aligned columns.
pub fn render(layout: &Layout) -> String {
    let mut out = String::new();
    for line in &layout.preamble {
        out.push_str(line);
        out.push('\n');
    }
    for s in &layout.sections {
        out.push('\n');
        if let Some(t) = &s.title {
            out.push_str(t);
            out.push('\n');
        }
        let widths: Vec<usize> = (0..s.headers.len())
            .map(|i| {
                s.rows
                    .iter()
                    .map(|r| r.get(i).map_or(0, |c| c.chars().count()))
                    .chain([s.headers[i].chars().count()])
                    .max()
                    .unwrap_or(0)
            })
            .collect();
        let line = |cells: &[String]| -> String {
            let padded: Vec<String> = cells
                .iter()
                .zip(&widths)
                .map(|(c, w)| format!("{c}{}", " ".repeat(w.saturating_sub(c.chars().count()))))
                .collect();
            padded.join("  ").trim_end().to_string() + "\n"
        };
        out.push_str(&line(&s.headers));
        out.push_str(&line(
            &widths.iter().map(|w| "-".repeat(*w)).collect::<Vec<_>>(),
        ));
        for r in &s.rows {
            out.push_str(&line(r));
        }
        for n in &s.notes {
            out.push_str(n);
            out.push('\n');
        }
    }
    for w in &layout.notes {
        out.push_str(&format!("\nnote: {w}"));
    }
    if !layout.notes.is_empty() {
        out.push('\n');
    }
    out
}
