//! Property tests (fuzzing) of the SSE parser and the chunk interpreter: no input panics, and
//! the events do not depend on how the bytes were split into reads.

use benchbar_engine::openai::sse::{parse_chunk, SseEvent, SseParser};
use proptest::prelude::*;

fn sse_like() -> impl Strategy<Value = Vec<u8>> {
    let piece = prop_oneof![
        Just(b"data: ".to_vec()),
        Just(b"data:".to_vec()),
        Just(b": keepalive 3/9".to_vec()),
        Just(b"\n".to_vec()),
        Just(b"\r\n".to_vec()),
        Just(b"\n\n".to_vec()),
        Just(b"[DONE]".to_vec()),
        Just(br#"{"choices":[{"delta":{"content":"x"},"finish_reason":null}]}"#.to_vec()),
        Just(br#"{"choices":[],"usage":{"prompt_tokens":1,"completion_tokens":2}}"#.to_vec()),
        Just(b"event: x".to_vec()),
        Just("\u{00e9}\u{4e07}".as_bytes().to_vec()),
        proptest::collection::vec(any::<u8>(), 0..16),
    ];
    proptest::collection::vec(piece, 0..40).prop_map(|v| v.concat())
}

proptest! {
    // Bounded and reproducible in CI: 512 cases from a fixed seed, no regression files.
    #![proptest_config(ProptestConfig {
        cases: 512,
        rng_seed: proptest::test_runner::RngSeed::Fixed(0x055E_F022),
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn parser_never_panics_and_is_split_invariant(bytes in sse_like(), cuts in proptest::collection::vec(any::<usize>(), 0..6)) {
        let whole = SseParser::new().feed(&bytes);
        let mut points: Vec<usize> = cuts.iter().map(|c| c % (bytes.len() + 1)).collect();
        points.sort_unstable();
        let mut p = SseParser::new();
        let mut events = Vec::new();
        let mut at = 0;
        for c in points {
            events.extend(p.feed(&bytes[at..c]));
            at = c;
        }
        events.extend(p.feed(&bytes[at..]));
        prop_assert_eq!(&events, &whole);
        for e in whole {
            if let SseEvent::Data(d) = e {
                let _ = parse_chunk(&d);
            }
        }
    }

    #[test]
    fn random_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
        let mut p = SseParser::new();
        for e in p.feed(&bytes) {
            if let SseEvent::Data(d) = e {
                let _ = parse_chunk(&d);
            }
        }
        let _ = p.has_pending();
    }

    #[test]
    fn chunk_interpreter_never_panics(s in "\\PC{0,200}") {
        let _ = parse_chunk(&s);
    }

    #[test]
    fn json_shaped_chunks_never_panic(content in "\\PC{0,20}", n in any::<i64>(), f in proptest::option::of("[a-z]{0,6}")) {
        let j = serde_json::json!({"choices":[{"delta":{"content":content},"finish_reason":f}],"usage":{"prompt_tokens":n,"completion_tokens":n}});
        let _ = parse_chunk(&j.to_string());
    }
}
