//! The Markdown rendering (GitHub-flavoured tables). Every piece of text is escaped, so a
//! model name or a warning cannot add markup, HTML or table cells: `\`, `` ` ``, `*`, `_`,
//! `[`, `]`, `<`, `>`, `|`, `~` and `#` get a backslash and line breaks become spaces; in
//! headings and list items a leading `-`, `+` or `1.` (which would start a list) too.

use super::{one_line, Document, Table};

/// Escapes inline text for Markdown (a table cell: one line, no markup).
pub fn escape(s: &str) -> String {
    let s = one_line(s);
    let mut out = String::with_capacity(s.len());
    for ch in s.chars() {
        if matches!(
            ch,
            '\\' | '`' | '*' | '_' | '[' | ']' | '<' | '>' | '|' | '~' | '#'
        ) {
            out.push('\\');
        }
        out.push(ch);
    }
    out
}

/// Escapes the text of a heading or a list item: as [`escape`], and a leading list marker
/// (`-`, `+`, or digits then `.` or `)`) loses its meaning.
pub fn escape_block(s: &str) -> String {
    let s = escape(s);
    let digits = s.chars().take_while(|c| c.is_ascii_digit()).count();
    match s[digits..].chars().next() {
        Some('-' | '+') if digits == 0 => format!("\\{s}"),
        Some('.' | ')') if digits > 0 => format!("{}\\{}", &s[..digits], &s[digits..]),
        _ => s,
    }
}

fn table(t: &Table, out: &mut String) {
    let row = |cells: &[String]| {
        let cells: Vec<String> = cells.iter().map(|c| escape(c)).collect();
        format!("| {} |\n", cells.join(" | "))
    };
    out.push_str(&row(&t.headers));
    out.push_str(&format!("|{}\n", "---|".repeat(t.headers.len())));
    for r in &t.rows {
        out.push_str(&row(r));
    }
}

/// Renders Markdown.
pub fn render(d: &Document) -> String {
    let mut out = String::new();
    if !d.title.is_empty() {
        out.push_str(&format!("# {}\n\n", escape_block(&d.title)));
    }
    for f in &d.facts {
        out.push_str(&format!("- {}\n", escape_block(f)));
    }
    for s in &d.sections {
        out.push('\n');
        if let Some(title) = &s.title {
            out.push_str(&format!(
                "{} {}\n\n",
                "#".repeat(usize::from(s.level.clamp(1, 6))),
                escape_block(title)
            ));
        }
        for b in &s.bullets {
            out.push_str(&format!("- {}\n", escape_block(b)));
        }
        if let Some(t) = &s.table {
            if !s.bullets.is_empty() {
                out.push('\n');
            }
            table(t, &mut out);
        }
    }
    if !d.charts.is_empty() {
        out.push_str("\n## Charts\n\n");
        for c in &d.charts {
            out.push_str(&format!("![{}]({})\n\n", escape(&c.title), c.png_file));
        }
    }
    if !d.notes.is_empty() {
        out.push_str("\n## Notes\n\n");
        for n in &d.notes {
            out.push_str(&format!("- {}\n", escape_block(n)));
        }
    }
    out
}
