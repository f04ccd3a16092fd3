//! The decode orders (`EngineOptions::decode_order`) produce the same greedy tokens and the same
//! events as the strict loop, left-padded batches included.

mod common;

use benchbar_mlx::{DecodeOrder, EngineOptions, GenerateOptions, Qwen3Runtime, TokenEvent};

fn run(rt: &mut Qwen3Runtime, ps: &[Vec<u32>], opts: &GenerateOptions) -> (Vec<Vec<u32>>, usize) {
    let mut events: Vec<TokenEvent> = Vec::new();
    let out = rt.generate(ps, opts, &mut |e| events.push(e)).unwrap();
    for w in events.windows(2) {
        assert!(w[0].step <= w[1].step && w[0].at <= w[1].at);
    }
    (out, events.len())
}

fn load(variant: &str, decode_order: DecodeOrder) -> Qwen3Runtime {
    let options = EngineOptions {
        decode_order,
        ..EngineOptions::default()
    };
    Qwen3Runtime::load_with(&common::model_dir(variant), &options).unwrap()
}

#[test]
fn every_decode_order_matches_the_strict_loop() {
    for variant in ["f32", "4bit"] {
        let mut strict = load(variant, DecodeOrder::Strict);
        let ps: Vec<Vec<u32>> = ["Hi", "The quick brown fox jumps over the lazy dog."]
            .iter()
            .map(|t| strict.encode(t, true).unwrap())
            .collect();
        let opts = GenerateOptions {
            max_tokens: 20,
            suppress_eos: true,
            prefill_chunk: 7,
            ..Default::default()
        };
        let want = run(&mut strict, &ps, &opts);
        assert_eq!(want.1, 2 * 20);
        for order in [DecodeOrder::default(), DecodeOrder::Thread] {
            let mut rt = load(variant, order);
            let got = run(&mut rt, &ps, &opts);
            assert_eq!(got, want, "{variant} order={order:?}");
        }
        // Without EOS suppression the ids are needed at every step (a row may stop there).
        let free = GenerateOptions {
            suppress_eos: false,
            ..opts.clone()
        };
        let want = run(&mut strict, &ps, &free);
        let mut default = load(variant, DecodeOrder::default());
        assert_eq!(
            run(&mut default, &ps, &free),
            want,
            "{variant} default, EOS allowed"
        );
    }
}

#[test]
fn the_cli_spellings_of_the_options_read_as_documented() {
    use benchbar_mlx::options::parse_switch;
    for (value, order) in [
        (None, DecodeOrder::Thread),
        (Some("thread"), DecodeOrder::Thread),
        (Some("default"), DecodeOrder::Thread),
        (Some("0"), DecodeOrder::Strict),
        (Some("off"), DecodeOrder::Strict),
        (Some("strict"), DecodeOrder::Strict),
        (Some("1"), DecodeOrder::Thread),
        (Some("read"), DecodeOrder::Thread),
        (Some("defer"), DecodeOrder::Thread),
    ] {
        assert_eq!(DecodeOrder::parse(value), order, "{value:?}");
    }
    for (value, default, want) in [
        (None, true, true),
        (None, false, false),
        (Some("0"), true, false),
        (Some("false"), true, false),
        (Some("off"), true, false),
        (Some("1"), false, true),
        (Some("true"), false, true),
        (Some("on"), false, true),
        (Some("maybe"), true, true),
    ] {
        assert_eq!(parse_switch(value, default), want, "{value:?}");
    }
    let d = EngineOptions::default();
    assert_eq!(
        (d.kernels, d.fuse, d.decode_order, d.trace),
        (
            benchbar_mlx::KernelSet::ALL,
            true,
            DecodeOrder::Thread,
            None
        )
    );
}
