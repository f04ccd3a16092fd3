//! The JSON rendering: the document's data (the report contract for a run), or the document
//! itself where it has none; pretty, with a trailing newline.

use super::Document;

/// Renders JSON.
pub fn render(d: &Document) -> String {
    let text = match &d.data {
        Some(v) => serde_json::to_string_pretty(v),
        None => serde_json::to_string_pretty(d),
    };
    let mut s = text.expect("a document and a JSON value serialize");
    s.push('\n');
    s
}
