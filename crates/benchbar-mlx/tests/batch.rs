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
    // the mixture-of-experts model too: its router and expert gathers see every row's tokens;
    // the hybrids: the padding must leave the Gated DeltaNet's convolution and state untouched
    for variant in [
        "f32",
        "4bit",
        "moe",
        "moe-4bit",
        "qwen3_5",
        "qwen3_5_moe",
        "qwen3_next",
    ] {
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
    // Declare as EOS (generation_config.json) a token the model emits greedily at step k > 0.
    let src = common::model_dir("f32");
    let mut rt = Qwen3Runtime::load(&src).unwrap();
    let ps = prompts(&rt);
    let opts = GenerateOptions {
        max_tokens: 16,
        suppress_eos: true,
        ..Default::default()
    };
    let full = rt.generate(&ps, &opts, &mut |_| {}).unwrap();
    let (row, k) = (0..ps.len())
        .find_map(|r| {
            (1..16)
                .find(|&k| !full[r][..k].contains(&full[r][k]))
                .map(|k| (r, k))
        })
        .expect("some row emits a new token after step 0");
    let eos = full[row][k];
    let tmp = tempfile::tempdir().unwrap();
    for e in std::fs::read_dir(&src).unwrap() {
        let e = e.unwrap();
        std::os::unix::fs::symlink(e.path(), tmp.path().join(e.file_name())).unwrap();
    }
    std::fs::remove_file(tmp.path().join("generation_config.json")).unwrap();
    std::fs::write(
        tmp.path().join("generation_config.json"),
        format!("{{\"eos_token_id\": [{eos}]}}"),
    )
    .unwrap();
    let mut rt = Qwen3Runtime::load(tmp.path()).unwrap();
    assert!(
        rt.eos_ids().contains(&eos)
            && rt.eos_ids().contains(&151645)
            && rt.eos_ids().contains(&151643)
    );

    // not suppressed: the row stops before the EOS token; other rows run on unchanged
    let mut events = Vec::new();
    let opts_eos = GenerateOptions {
        suppress_eos: false,
        ..opts.clone()
    };
    let out = rt
        .generate(&ps, &opts_eos, &mut |e| events.push(e))
        .unwrap();
    assert_eq!(out[row], full[row][..k]);
    assert_eq!(events.iter().filter(|e| e.row == row).count(), k);
    for r in 0..ps.len() {
        let cut = full[r].iter().position(|&t| t == eos).unwrap_or(16);
        assert_eq!(out[r], full[r][..cut], "row {r}");
    }
    // suppressed: exactly max_tokens per row and never the EOS id
    let sup = rt.generate(&ps, &opts, &mut |_| {}).unwrap();
    assert!(sup.iter().all(|r| r.len() == 16 && !r.contains(&eos)));
    assert_eq!(sup[row][..k], full[row][..k]);
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
        kv_quant: None,
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
fn every_quantization_is_named_and_counted() {
    // the parameters of the fixture each was made from, whatever the bits per weight (mixed:
    // per module)
    let params = |v: &str| {
        benchbar_mlx::ModelInfo::from_dir(&common::model_dir(v))
            .unwrap()
            .param_count
    };
    for (variant, label) in [
        ("6bit", "6bit"),
        ("5bit-g32", "5bit"),
        ("mxfp4", "mxfp4"),
        ("nvfp4", "nvfp4"),
        ("mxfp8", "mxfp8"),
        ("mixed-2-6", "4bit-mixed"),
        ("mixed-3-6", "4bit-mixed"),
    ] {
        let info = benchbar_mlx::ModelInfo::from_dir(&common::model_dir(variant)).unwrap();
        assert_eq!(info.quantization.as_deref(), Some(label), "{variant}");
        let base = common::QUANTIZED
            .iter()
            .find(|(v, _)| *v == variant)
            .unwrap()
            .1;
        assert_eq!(info.param_count, params(base), "{variant}");
        assert_eq!(info.decode_read_bytes, info.size_bytes, "{variant}: dense");
    }
    // A mixture of experts reads its routed experts only: 2 of 8 in the tiny Qwen3-MoE, whose
    // one MoE layer holds 3 x 8 experts of 64 x 128 f32 weights (786,432 bytes).
    let moe = benchbar_mlx::ModelInfo::from_dir(&common::model_dir("moe")).unwrap();
    assert_eq!(moe.size_bytes - moe.decode_read_bytes, 786_432 * 6 / 8);
}

#[test]
fn runtime_and_arrays_are_send() {
    fn is_send<T: Send>() {}
    is_send::<Qwen3Runtime>();
    is_send::<benchbar_mlx::ops::Array>();
}
