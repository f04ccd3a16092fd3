//! `generate_cancellable`: the cancel flag is read before every prefill chunk and every decode
//! step, so neither a long prompt nor a long generation runs on after it is set; a model load
//! reads the flag between groups of weights.

mod common;

use std::sync::atomic::{AtomicBool, Ordering};

use benchbar_mlx::{Error, GenerateOptions, Qwen3Runtime};

fn long_prompt(rt: &Qwen3Runtime) -> Vec<u32> {
    let text = "Tokens per second, time to first token and memory. ".repeat(40);
    rt.encode(&text, true).unwrap()
}

#[test]
fn a_set_flag_stops_before_the_first_prefill_chunk() {
    let mut rt = Qwen3Runtime::load(&common::model_dir("f32")).unwrap();
    let prompt = long_prompt(&rt);
    assert!(prompt.len() > 100, "a prompt of several chunks");
    let opts = GenerateOptions {
        max_tokens: 8,
        prefill_chunk: 16,
        ..Default::default()
    };
    let mut tokens = 0;
    let cancel = AtomicBool::new(true);
    let r = rt.generate_cancellable(&[prompt], &opts, &cancel, &mut |_| tokens += 1);
    assert!(matches!(r, Err(Error::Cancelled)), "{r:?}");
    assert_eq!(tokens, 0, "no token after a cancel during prefill");
}

#[test]
fn a_flag_set_while_decoding_stops_at_the_next_step() {
    let mut rt = Qwen3Runtime::load(&common::model_dir("f32")).unwrap();
    let prompt = long_prompt(&rt);
    let opts = GenerateOptions {
        max_tokens: 64,
        suppress_eos: true,
        ..Default::default()
    };
    let cancel = AtomicBool::new(false);
    let mut tokens = 0;
    let r = rt.generate_cancellable(std::slice::from_ref(&prompt), &opts, &cancel, &mut |_| {
        tokens += 1;
        if tokens == 3 {
            cancel.store(true, Ordering::Relaxed);
        }
    });
    assert!(matches!(r, Err(Error::Cancelled)), "{r:?}");
    assert_eq!(tokens, 3, "the step after the cancel is not emitted");

    // The runtime is usable again afterwards, with a flag left unset.
    let cancel = AtomicBool::new(false);
    let out = rt
        .generate_cancellable(&[prompt], &opts, &cancel, &mut |_| {})
        .unwrap();
    assert_eq!(out[0].len(), 64);
}

#[test]
fn a_set_flag_stops_a_model_load_while_the_weights_are_read() {
    let cancel = AtomicBool::new(true);
    let r = Qwen3Runtime::load_cancellable(
        &common::model_dir("4bit"),
        &benchbar_mlx::EngineOptions::default(),
        &cancel,
    );
    assert!(matches!(r, Err(Error::Cancelled)), "{:?}", r.err());
    // With the flag unset the same load succeeds.
    let cancel = AtomicBool::new(false);
    let rt = Qwen3Runtime::load_cancellable(
        &common::model_dir("4bit"),
        &benchbar_mlx::EngineOptions::default(),
        &cancel,
    );
    assert!(rt.is_ok());
}
