//! The renderers on small documents: layout, and what each format escapes.

use super::*;

fn doc(text: &str) -> Document {
    Document {
        title: format!("Run of {text}"),
        facts: vec![format!("model: {text}")],
        sections: vec![Section::table(
            Some("Results".into()),
            Table {
                headers: vec!["Model".into(), "Delta".into(), "Missing".into()],
                rows: vec![vec![text.into(), "-5.0%".into(), "-".into()]],
            },
        )],
        notes: vec![format!("about {text}")],
        ..Document::default()
    }
}

#[test]
fn markdown_escapes_markup_and_html() {
    let md = markdown::render(&doc("<script>alert(1)</script> *b* _i_ `code` [l](x) a|b"));
    assert!(!md.contains("<script>"), "{md}");
    assert!(md.contains("\\<script\\>alert(1)\\</script\\>"), "{md}");
    assert!(
        md.contains("\\*b\\* \\_i\\_ \\`code\\` \\[l\\](x) a\\|b"),
        "{md}"
    );
    // The table row keeps its three cells.
    let row = md.lines().find(|l| l.starts_with("| \\<script")).unwrap();
    assert_eq!(row.matches(" | ").count(), 2, "{row}");
}

#[test]
fn a_line_break_in_text_stays_in_its_line() {
    let d = doc("evil\nmodel");
    let md = markdown::render(&d);
    assert!(md.starts_with("# Run of evil model\n"), "{md}");
    assert!(md.contains("| evil model | "), "{md}");
    let text = text::render(&d);
    assert!(
        text.starts_with("Run of evil model\nmodel: evil model\n"),
        "{text}"
    );
    let row = text.lines().find(|l| l.starts_with("evil")).unwrap();
    assert!(row.contains("-5.0%"), "{text}");
}

#[test]
fn csv_guards_formulas_in_text_fields_only() {
    let csv = csv::render(&doc("=HYPERLINK(\"http://x\",\"y\")"));
    assert_eq!(
        csv,
        "Model,Delta,Missing\n\"'=HYPERLINK(\"\"http://x\"\",\"\"y\"\")\",-5.0%,-\n"
    );
    for (cell, guarded) in [
        ("+cmd", "'+cmd"),
        ("-cmd", "'-cmd"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("-12.5", "-12.5"),
        ("+3.1%", "+3.1%"),
        ("plain", "plain"),
    ] {
        assert_eq!(csv::guard(cell), guarded);
    }
}

#[test]
fn html_escapes_text() {
    let html = html::render(&doc("<b>x</b> & \"q\""));
    assert!(
        html.contains("&lt;b&gt;x&lt;/b&gt; &amp; &quot;q&quot;"),
        "{html}"
    );
    assert!(!html.contains("<b>x"), "{html}");
}

#[test]
fn json_writes_the_data_when_given() {
    let mut d = doc("m");
    assert!(json::render(&d).contains("\"title\": \"Run of m\""));
    d.data = Some(serde_json::json!({"run_id": 7}));
    assert_eq!(json::render(&d), "{\n  \"run_id\": 7\n}\n");
}

#[test]
fn text_aligns_columns_under_a_rule() {
    let out = text::render(&doc("m"));
    assert!(
        out.contains("Results\nModel  Delta  Missing\n-----  -----  -------\nm      -5.0%  -\n"),
        "{out}"
    );
    assert!(out.ends_with("\nnote: about m\n"), "{out}");
}
