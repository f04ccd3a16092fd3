//! The powermetrics parser never panics: arbitrary bytes and mutated valid documents.

use crate::sources::powermetrics::{
    parse_powermetrics_document, parse_powermetrics_stream, PowermetricsCounters,
    PowermetricsStream,
};
use proptest::prelude::*;

fn valid_stream() -> Vec<u8> {
    std::fs::read(format!(
        "{}/tests/fixtures/powermetrics/m2_three_samples.plist",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap()
}

#[derive(Debug, Clone)]
enum Edit {
    Set(usize, u8),
    Delete(usize, usize),
    Insert(usize, Vec<u8>),
    Truncate(usize),
}

fn edit_strategy() -> impl Strategy<Value = Edit> {
    prop_oneof![
        (any::<usize>(), any::<u8>()).prop_map(|(i, b)| Edit::Set(i, b)),
        (any::<usize>(), 1usize..64).prop_map(|(i, n)| Edit::Delete(i, n)),
        (
            any::<usize>(),
            prop_oneof![
                proptest::collection::vec(any::<u8>(), 1..16),
                Just(b"<integer>-99999999999999999999999</integer>".to_vec()),
                Just(b"<real>nan</real>".to_vec()),
                Just(b"<key>processor</key><string>x</string>".to_vec()),
                Just(b"\0".to_vec()),
                Just(b"</dict>".to_vec()),
                Just(b"<dict>".to_vec()),
            ]
        )
            .prop_map(|(i, v)| Edit::Insert(i, v)),
        any::<usize>().prop_map(Edit::Truncate),
    ]
}

fn apply(mut doc: Vec<u8>, edits: &[Edit]) -> Vec<u8> {
    for e in edits {
        let len = doc.len().max(1);
        match e {
            Edit::Set(i, b) => {
                if !doc.is_empty() {
                    let i = i % doc.len();
                    doc[i] = *b;
                }
            }
            Edit::Delete(i, n) => {
                let i = i % len;
                let end = (i + n).min(doc.len());
                if i < end {
                    doc.drain(i..end);
                }
            }
            Edit::Insert(i, v) => {
                let i = i % (doc.len() + 1);
                doc.splice(i..i, v.iter().copied());
            }
            Edit::Truncate(i) => doc.truncate(i % len),
        }
    }
    doc
}

fn exercise(bytes: &[u8]) {
    let parsed = parse_powermetrics_stream(bytes);
    let mut c = PowermetricsCounters::default();
    for s in &parsed.samples {
        c.add(s);
    }
    let _ = c.rows();
    let _ = parse_powermetrics_document(bytes);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..4096)) {
        exercise(&bytes);
    }

    #[test]
    fn arbitrary_xmlish_text_never_panics(s in "(<[a-z/?!]{0,8}>|[a-z0-9 .\\-]{0,8}|\u{0}){0,64}") {
        exercise(s.as_bytes());
    }

    #[test]
    fn mutated_documents_never_panic(edits in proptest::collection::vec(edit_strategy(), 1..8)) {
        let doc = apply(valid_stream(), &edits);
        exercise(&doc);
    }

    #[test]
    fn chunking_does_not_change_the_result(
        edits in proptest::collection::vec(edit_strategy(), 0..3),
        chunk in 1usize..700,
    ) {
        let doc = apply(valid_stream(), &edits);
        let whole = parse_powermetrics_stream(&doc);
        let mut stream = PowermetricsStream::new();
        let mut ok = 0usize;
        for part in doc.chunks(chunk) {
            ok += stream.push(part).iter().filter(|r| r.is_ok()).count();
        }
        if let Some(Ok(_)) = stream.finish() {
            ok += 1;
        }
        prop_assert_eq!(ok, whole.samples.len());
    }
}

#[test]
fn unmodified_stream_has_three_samples() {
    assert_eq!(parse_powermetrics_stream(&valid_stream()).samples.len(), 3);
}
