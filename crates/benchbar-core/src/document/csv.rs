//! The CSV rendering (RFC 4180): the document's data table, or else every section's table,
//! separated by a blank line. Fields holding a comma, a quote or a line break are quoted.
//! Text fields that a spreadsheet would read as a formula (starting with `=`, `+`, `-`, `@`,
//! a tab or a carriage return) get a leading `'`, as OWASP advises; numbers (with an optional
//! `%`) and the `-` that marks a missing value are written as they are.

use super::{Document, Table};

/// True for a number, a percentage or the missing-value mark: not a text field.
fn is_number(s: &str) -> bool {
    s == "-" || s.trim_end_matches('%').parse::<f64>().is_ok()
}

/// A text field made safe for spreadsheets.
pub fn guard(s: &str) -> String {
    let risky = s.starts_with(['=', '+', '-', '@', '\t', '\r']);
    if risky && !is_number(s) {
        format!("'{s}")
    } else {
        s.to_string()
    }
}

fn field(s: &str) -> String {
    let s = guard(s);
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else if s.is_empty() {
        String::new()
    } else {
        s
    }
}

fn record(cells: &[String], out: &mut String) {
    let fields: Vec<String> = cells.iter().map(|c| field(c)).collect();
    let line = fields.join(",");
    // A record of one empty field is written `""`, so that it is not read as no record.
    out.push_str(if cells.len() == 1 && line.is_empty() {
        "\"\""
    } else {
        &line
    });
    out.push('\n');
}

fn table(t: &Table, out: &mut String) {
    record(&t.headers, out);
    for r in &t.rows {
        record(r, out);
    }
}

/// Renders CSV.
pub fn render(d: &Document) -> String {
    let mut out = String::new();
    match &d.data_table {
        Some(t) => table(t, &mut out),
        None => {
            for (i, t) in d
                .sections
                .iter()
                .filter_map(|s| s.table.as_ref())
                .enumerate()
            {
                if i > 0 {
                    out.push('\n');
                }
                table(t, &mut out);
            }
        }
    }
    out
}
