//! Batched decode: left-padded batches give the same tokens per row as batch 1; events,
//! EOS handling, sampling determinism, memory stats.

mod common;

use benchbar_mlx::{GenerateOptions, Qwen3Runtime, Sampling, TokenEvent};

fn prompts(rt: &Qwen3Runtime) -> Vec<Vec<u32>> {
    [
        "Hi",
        "The quick brown fox jumps over the lazy dog.",
        "Benchmarks on a laptop: tokens per second, time to first token and memory.",
        "東京 🚀 12345",
    ]
    .iter()
    .map(|t| rt.encode(t, true).unwrap())
    .collect()
}

#[test]
fn batch4_left_padded_matches_batch1() {
    for variant in ["f32", "4bit"] {
        let mut rt = Qwen3Runtime::load(&common::model_dir(variant)).unwrap();
        let ps = prompts(&rt);
        let opts = GenerateOptions {
            max_tokens: 24,
            suppress_eos: true,
            prefill_chunk: 5,
            ..Default::default()
        };
        let mut events: Vec<TokenEvent> = Vec::new();
        let batched = rt.generate(&ps, &opts, &mut |e| events.push(e)).unwrap();
        for (row, p) in ps.iter().enumerate() {
            let single = rt
                .generate(std::slice::from_ref(p), &opts, &mut |_| {})
                .unwrap();
            assert_eq!(batched[row], single[0], "{variant} row {row}");
            assert_eq!(batched[row].len(), 24);
        }
        // one event per row per step, in step order, timestamps non-decreasing
        assert_eq!(events.len(), 4 * 24);
        for w in events.windows(2) {
            assert!(w[0].step <= w[1].step && w[0].at <= w[1].at);
        }
        assert!(events.iter().filter(|e| e.step == 0).count() == 4);
    }
}

#[test]
fn eos_stops_rows_unless_suppressed() {
    let mut rt = Qwen3Runtime::load(&common::model_dir("f32")).unwrap();
    let p = rt.encode("Hello", true).unwrap();
    // Make the greedy continuation's 3rd token an "EOS" by asking with suppress off and
    // checking the contract on whatever the model produces: with suppression, exactly N tokens
    // and no EOS id among them.
    let opts = GenerateOptions {
        max_tokens: 16,
        suppress_eos: true,
        ..Default::default()
    };
    let out = rt
        .generate(std::slice::from_ref(&p), &opts, &mut |_| {})
        .unwrap();
    assert_eq!(out[0].len(), 16);
    assert!(out[0].iter().all(|t| !rt.eos_ids().contains(t)));
    assert!(rt.eos_ids().contains(&151645) && rt.eos_ids().contains(&151643));
}

#[test]
fn sampling_is_seeded_and_respects_top_k() {
    let mut rt = Qwen3Runtime::load(&common::model_dir("f32")).unwrap();
    let p = rt.encode("Once upon a time", false).unwrap();
    let s = Sampling {
        temperature: 1.0,
        top_p: 0.9,
        top_k: 50,
        seed: 7,
    };
    let opts = GenerateOptions {
        max_tokens: 12,
        sampling: s,
        suppress_eos: true,
        prefill_chunk: 512,
    };
    let a = rt
        .generate(std::slice::from_ref(&p), &opts, &mut |_| {})
        .unwrap();
    let b = rt
        .generate(std::slice::from_ref(&p), &opts, &mut |_| {})
        .unwrap();
    assert_eq!(a, b, "same seed, same tokens");
    // top_k = 1 is greedy
    let g = GenerateOptions {
        max_tokens: 12,
        suppress_eos: true,
        ..Default::default()
    };
    let k1 = GenerateOptions {
        sampling: Sampling {
            temperature: 0.7,
            top_p: 1.0,
            top_k: 1,
            seed: 3,
        },
        ..g.clone()
    };
    assert_eq!(
        rt.generate(std::slice::from_ref(&p), &g, &mut |_| {})
            .unwrap(),
        rt.generate(std::slice::from_ref(&p), &k1, &mut |_| {})
            .unwrap()
    );
}

#[test]
fn info_memory_and_decode() {
    let rt = Qwen3Runtime::load(&common::model_dir("4bit")).unwrap();
    let info = rt.info();
    assert_eq!(info.quantization.as_deref(), Some("4bit"));
    assert!(
        info.param_count > 9_000_000 && info.param_count < 11_000_000,
        "{}",
        info.param_count
    );
    assert!(info.size_bytes > 1_000_000);
    let ids = rt.encode("Hello, world! 東京", false).unwrap();
    assert_eq!(rt.decode(&ids).unwrap(), "Hello, world! 東京");
    benchbar_mlx::reset_peak_memory();
    let m = benchbar_mlx::memory();
    assert!(m.active_bytes > 0);
    assert!(!benchbar_mlx::mlx_version().is_empty());
    assert!(["cpu", "gpu"].contains(&benchbar_mlx::device_name()));
    let f32_info = benchbar_mlx::ModelInfo::from_dir(&common::model_dir("f32")).unwrap();
    assert_eq!(f32_info.quantization.as_deref(), Some("f32"));
}

#[test]
fn runtime_and_arrays_are_send() {
    fn is_send<T: Send>() {}
    is_send::<Qwen3Runtime>();
    is_send::<benchbar_mlx::ops::Array>();
}
