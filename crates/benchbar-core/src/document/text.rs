//! The terminal rendering: title and facts as lines, each table in aligned columns under a
//! rule, notes last.

use super::{one_line, Document, Table};

fn table(t: &Table, out: &mut String) {
    let cell = |c: &String| one_line(c);
    let headers: Vec<String> = t.headers.iter().map(cell).collect();
    let rows: Vec<Vec<String>> = t
        .rows
        .iter()
        .map(|r| r.iter().map(cell).collect())
        .collect();
    let widths: Vec<usize> = (0..headers.len())
        .map(|i| {
            rows.iter()
                .map(|r| r.get(i).map_or(0, |c| c.chars().count()))
                .chain([headers[i].chars().count()])
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
    out.push_str(&line(&headers));
    out.push_str(&line(
        &widths.iter().map(|w| "-".repeat(*w)).collect::<Vec<_>>(),
    ));
    for r in &rows {
        out.push_str(&line(r));
    }
}

/// Renders a document for the terminal.
pub fn render(d: &Document) -> String {
    let mut out = String::new();
    for line in std::iter::once(&d.title)
        .filter(|t| !t.is_empty())
        .chain(&d.facts)
    {
        out.push_str(&one_line(line));
        out.push('\n');
    }
    for s in &d.sections {
        out.push('\n');
        if let Some(t) = &s.title {
            out.push_str(&one_line(t));
            out.push('\n');
        }
        for b in &s.bullets {
            out.push_str(&format!("- {}\n", one_line(b)));
        }
        if let Some(t) = &s.table {
            table(t, &mut out);
        }
    }
    for c in &d.charts {
        out.push_str(&format!("\nchart: {} ({})", one_line(&c.title), c.png_file));
    }
    for w in &d.notes {
        out.push_str(&format!("\nnote: {}", one_line(w)));
    }
    if !d.notes.is_empty() || !d.charts.is_empty() {
        out.push('\n');
    }
    out
}
