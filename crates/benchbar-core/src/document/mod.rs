//! One document model for everything BenchBar prints or writes (a run, the history, a
//! comparison, the target matrix, the engines side by side, the performance report) and one
//! renderer per format, as hyperfine's `export/` does: [`text`] (the terminal table),
//! [`markdown`], [`html`], [`csv`] and [`json`]. Builders say what a document shows; the
//! renderers alone say how a format writes it, including what the format must escape.

pub mod csv;
pub mod html;
pub mod json;
pub mod markdown;
pub mod text;

use serde::Serialize;

/// A table: headers and rows of text.
#[derive(Clone, Debug, Default, PartialEq, Serialize, ts_rs::TS)]
pub struct Table {
    /// Column headers.
    pub headers: Vec<String>,
    /// Rows, each as long as `headers`.
    pub rows: Vec<Vec<String>>,
}

impl Table {
    /// A table with these headers and no rows.
    pub fn new<S: AsRef<str>>(headers: &[S]) -> Table {
        Table {
            headers: headers.iter().map(|h| h.as_ref().to_string()).collect(),
            rows: Vec::new(),
        }
    }
}

/// A part of a document: an optional heading, bullet points, then an optional table.
#[derive(Clone, Debug, PartialEq, Serialize, ts_rs::TS)]
pub struct Section {
    /// Heading; None for an untitled table.
    pub title: Option<String>,
    /// Heading level (2 for a top-level section, 3 below it).
    pub level: u8,
    /// Bullet points.
    pub bullets: Vec<String>,
    /// A table after the bullets.
    pub table: Option<Table>,
}

impl Default for Section {
    fn default() -> Section {
        Section {
            title: None,
            level: 2,
            bullets: Vec::new(),
            table: None,
        }
    }
}

impl Section {
    /// A top-level section holding one table.
    pub fn table(title: Option<String>, table: Table) -> Section {
        Section {
            title,
            table: Some(table),
            ..Section::default()
        }
    }
}

/// A chart written beside a document (the performance report's PNG and SVG files).
#[derive(Clone, Debug, PartialEq, Serialize, ts_rs::TS)]
pub struct ChartRef {
    /// What it shows.
    pub title: String,
    /// The PNG's file name (relative to the document).
    pub png_file: String,
    /// The SVG document, embedded in the HTML.
    #[serde(skip)]
    pub svg: String,
}

/// A whole document.
#[derive(Clone, Debug, Default, PartialEq, Serialize, ts_rs::TS)]
pub struct Document {
    /// Title.
    pub title: String,
    /// Key facts under the title.
    pub facts: Vec<String>,
    /// Sections in order.
    pub sections: Vec<Section>,
    /// Charts, shown after the sections.
    pub charts: Vec<ChartRef>,
    /// Notes for the reader (warnings), shown last.
    pub notes: Vec<String>,
    /// What JSON writes: the document's data (the report contract for a run); None writes the
    /// document itself.
    #[serde(skip)]
    pub data: Option<serde_json::Value>,
    /// What CSV writes: one long table of raw numbers; None writes every section's table.
    #[serde(skip)]
    pub data_table: Option<Table>,
}

/// Text of a single line: line breaks (which would end a table row, a heading or a list item
/// early) become spaces.
pub fn one_line(s: &str) -> String {
    if s.contains(['\n', '\r']) {
        s.replace("\r\n", " ").replace(['\n', '\r'], " ")
    } else {
        s.to_string()
    }
}

#[cfg(test)]
mod tests;
