//! Structured extraction corpus: 500 semi-structured documents (technical specifications,
//! contracts, financial reports) and the JSON schema their extraction must follow. Each item's
//! `expected` is the correct extraction (JSON), so answers can also be compared field by field.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde_json::{json, Value};

use super::words::{date, name, pick};
use super::Item;

/// Document types, as the schema's `doc_type` enum.
pub const DOC_TYPES: [&str; 3] = ["technical_specification", "contract", "financial_report"];

/// The extraction schema (the subset of JSON Schema that [`crate::schema`] validates).
pub fn schema() -> Value {
    json!({
        "type": "object",
        "required": ["doc_type", "title", "date", "parties", "amounts"],
        "additionalProperties": false,
        "properties": {
            "doc_type": {"type": "string", "enum": DOC_TYPES},
            "title": {"type": "string", "minLength": 1},
            "date": {"type": "string", "minLength": 10, "maxLength": 10},
            "parties": {"type": "array", "items": {"type": "string", "minLength": 1}},
            "amounts": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["label", "value"],
                    "additionalProperties": false,
                    "properties": {
                        "label": {"type": "string"},
                        "value": {"type": "number"},
                        "unit": {"type": "string"}
                    }
                }
            }
        }
    })
}

const UNITS: [&str; 4] = ["W", "MHz", "GB", "mm"];
const SPEC_PARTS: [&str; 4] = ["Power draw", "Clock", "Memory", "Width"];

fn spec(rng: &mut ChaCha8Rng) -> (String, Value) {
    let product = format!("{} {}", name(rng), rng.gen_range(100..999));
    let (maker, d) = (name(rng), date(rng));
    let mut lines = vec![
        format!("TECHNICAL SPECIFICATION: {product}"),
        format!("Issued: {d}"),
        format!("Manufacturer: {maker} Devices"),
    ];
    let mut amounts = Vec::new();
    for (part, unit) in SPEC_PARTS.iter().zip(UNITS) {
        let v = rng.gen_range(1..500);
        lines.push(format!("- {part}: {v} {unit}"));
        amounts.push(json!({"label": part, "value": v, "unit": unit}));
    }
    lines.push("Notes: values are nominal at 25 C ambient.".into());
    let truth = json!({"doc_type": "technical_specification", "title": product, "date": d,
                       "parties": [format!("{maker} Devices")], "amounts": amounts});
    (lines.join("\n"), truth)
}

fn contract(rng: &mut ChaCha8Rng) -> (String, Value) {
    let (a, b, d) = (name(rng), name(rng), date(rng));
    let fee = rng.gen_range(1_000..90_000);
    let months = rng.gen_range(6..36);
    let title = format!(
        "{} Agreement",
        pick(rng, &["Service", "Supply", "Licence", "Consulting"])
    );
    let text = format!(
        "{title}\nThis agreement is made on {d} between {a} Ltd (the Provider) and {b} GmbH (the Client).\n\
         1. Term. The agreement runs for {months} months from the date above.\n\
         2. Fees. The Client pays the Provider a fee of {fee} EUR per month.\n\
         3. Termination. Either party may terminate with 30 days written notice.\n\
         Signed for {a} Ltd and for {b} GmbH."
    );
    let truth = json!({"doc_type": "contract", "title": title, "date": d,
        "parties": [format!("{a} Ltd"), format!("{b} GmbH")],
        "amounts": [{"label": "Monthly fee", "value": fee, "unit": "EUR"},
                    {"label": "Term", "value": months, "unit": "months"}]});
    (text, truth)
}

fn financial(rng: &mut ChaCha8Rng) -> (String, Value) {
    let (company, d) = (name(rng), date(rng));
    let q = rng.gen_range(1..=4);
    let revenue = rng.gen_range(10..900);
    let profit = rng.gen_range(1..revenue);
    let growth = rng.gen_range(-20..40);
    let title = format!("{company} Holdings Q{q} Financial Report");
    let text = format!(
        "{title}\nReporting date: {d}\n\
         | Metric | Value |\n|---|---|\n| Revenue | {revenue} million USD |\n\
         | Net profit | {profit} million USD |\n| Revenue growth | {growth} % |\n\
         Auditor: {} & Partners. Outlook: management expects stable demand.",
        name(rng)
    );
    let truth = json!({"doc_type": "financial_report", "title": title, "date": d,
        "parties": [format!("{company} Holdings")],
        "amounts": [{"label": "Revenue", "value": revenue, "unit": "million USD"},
                    {"label": "Net profit", "value": profit, "unit": "million USD"},
                    {"label": "Revenue growth", "value": growth, "unit": "%"}]});
    (text, truth)
}

/// `n` documents cycling through the three types.
pub fn extraction(n: usize) -> Vec<Item> {
    let mut rng = ChaCha8Rng::seed_from_u64(0x0E87_2AC7);
    (0..n)
        .map(|i| {
            let (text, truth) = match i % 3 {
                0 => spec(&mut rng),
                1 => contract(&mut rng),
                _ => financial(&mut rng),
            };
            Item {
                id: format!("extract-{i:03}"),
                text,
                expected: Some(truth.to_string()),
                kind: Some(DOC_TYPES[i % 3].into()),
            }
        })
        .collect()
}
