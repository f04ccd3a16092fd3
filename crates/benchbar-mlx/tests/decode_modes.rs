//! The decode-loop variants selected by environment (`BENCHBAR_MLX_COMPILE`,
//! `BENCHBAR_MLX_PIPELINE`) produce the same greedy tokens and the same events as the eager,
//! strict loop — including left-padded batches through the compiled fixed-capacity step.
//! One test in its own binary: it sets process environment variables, which no other test sees.

mod common;

use benchbar_mlx::{GenerateOptions, Qwen3Runtime, TokenEvent};

fn run(rt: &mut Qwen3Runtime, ps: &[Vec<u32>], opts: &GenerateOptions) -> (Vec<Vec<u32>>, usize) {
    let mut events: Vec<TokenEvent> = Vec::new();
    let out = rt.generate(ps, opts, &mut |e| events.push(e)).unwrap();
    for w in events.windows(2) {
        assert!(w[0].step <= w[1].step && w[0].at <= w[1].at);
    }
    (out, events.len())
}

#[test]
fn compiled_and_pipelined_match_the_default_loop() {
    for variant in ["f32", "4bit"] {
        let mut rt = Qwen3Runtime::load(&common::model_dir(variant)).unwrap();
        let ps: Vec<Vec<u32>> = ["Hi", "The quick brown fox jumps over the lazy dog."]
            .iter()
            .map(|t| rt.encode(t, true).unwrap())
            .collect();
        let opts = GenerateOptions {
            max_tokens: 20,
            suppress_eos: true,
            prefill_chunk: 7,
            ..Default::default()
        };
        std::env::remove_var("BENCHBAR_MLX_COMPILE");
        std::env::set_var("BENCHBAR_MLX_PIPELINE", "0");
        let want = run(&mut rt, &ps, &opts);
        assert_eq!(want.1, 2 * 20);
        for (compile, pipeline) in [
            ("0", "default"),
            ("1", "0"),
            ("1", "defer"),
            ("0", "defer"),
            ("0", "1"),
            ("0", "thread"),
            ("1", "thread"),
        ] {
            std::env::set_var("BENCHBAR_MLX_COMPILE", compile);
            std::env::set_var("BENCHBAR_MLX_PIPELINE", pipeline);
            let got = run(&mut rt, &ps, &opts);
            assert_eq!(got, want, "{variant} compile={compile} pipeline={pipeline}");
        }
        // Without EOS suppression the ids are needed at every step (a row may stop there).
        let free = GenerateOptions {
            suppress_eos: false,
            ..opts.clone()
        };
        std::env::remove_var("BENCHBAR_MLX_COMPILE");
        std::env::set_var("BENCHBAR_MLX_PIPELINE", "0");
        let want = run(&mut rt, &ps, &free);
        std::env::remove_var("BENCHBAR_MLX_PIPELINE");
        assert_eq!(
            run(&mut rt, &ps, &free),
            want,
            "{variant} default, EOS allowed"
        );
        std::env::remove_var("BENCHBAR_MLX_PIPELINE");
    }
}
