//! Generation after a context in the cache (`prefill_context` + `generate_after`): the tokens
//! are those of generating from the context and prompt as one sequence, the cache holds the
//! whole sequence afterwards, a set flag stops the context's prefill, and prompts that cannot
//! follow a context are refused.

mod common;

use std::sync::atomic::AtomicBool;

use benchbar_mlx::{Error, GenerateOptions, KvQuant, Qwen3Runtime};

fn ids(rt: &Qwen3Runtime, text: &str) -> Vec<u32> {
    rt.encode(text, false).unwrap()
}

fn opts(max_tokens: usize) -> GenerateOptions {
    GenerateOptions {
        max_tokens,
        prefill_chunk: 32,
        ..Default::default()
    }
}

#[test]
fn generating_after_a_context_continues_the_same_sequence() {
    let mut rt = Qwen3Runtime::load(&common::model_dir("f32")).unwrap();
    let context = ids(
        &rt,
        &"A long system prompt about measuring tokens. ".repeat(12),
    );
    let prompt = ids(&rt, "Now tell me the time to first token:");
    assert!(context.len() > 64, "a context of several chunks");
    let whole: Vec<u32> = context.iter().chain(&prompt).copied().collect();
    let no = AtomicBool::new(false);
    let expect = rt
        .generate_cancellable(&[whole.clone(), whole], &opts(12), &no, &mut |_| {})
        .unwrap();
    let mut ctx = rt
        .prefill_context(&context, 2, prompt.len() + 12, &opts(12), &no)
        .unwrap();
    assert_eq!((ctx.tokens(), ctx.rows()), (context.len(), 2));
    let before = ctx.cache_bytes();
    assert!(before > 0, "the context's keys and values are allocated");
    let mut steps = Vec::new();
    let got = rt
        .generate_after(
            &mut ctx,
            &[prompt.clone(), prompt.clone()],
            &opts(12),
            &no,
            &mut |e| steps.push(e.step),
        )
        .unwrap();
    assert_eq!(got, expect, "greedy tokens as from the whole sequence");
    assert_eq!(steps.len(), 2 * got[0].len());
    // The caches now hold context, prompt and all but the last generated token.
    assert_eq!(
        ctx.tokens(),
        context.len() + prompt.len() + got[0].len() - 1
    );
    assert!(ctx.cache_bytes() >= before);
}

#[test]
fn a_deeper_context_holds_more_cache() {
    let rt = Qwen3Runtime::load(&common::model_dir("f32")).unwrap();
    let no = AtomicBool::new(false);
    let bytes = |n: usize| {
        let context: Vec<u32> = (0..n as u32).map(|i| 100 + i % 1000).collect();
        rt.prefill_context(&context, 1, 8, &opts(8), &no)
            .unwrap()
            .cache_bytes()
    };
    // Allocation is rounded up (to 32 positions, at least 256), so compare 512 with 2048.
    let (shallow, deep) = (bytes(512), bytes(2048));
    assert!(
        deep > 3 * shallow,
        "{shallow} bytes at 512 tokens, {deep} at 2048"
    );
}

#[test]
fn a_set_flag_stops_the_context_prefill() {
    let rt = Qwen3Runtime::load(&common::model_dir("f32")).unwrap();
    let context: Vec<u32> = (0..256).collect();
    let r = rt.prefill_context(&context, 1, 8, &opts(8), &AtomicBool::new(true));
    assert!(matches!(r, Err(Error::Cancelled)), "{r:?}");
}

#[test]
fn prompts_that_cannot_follow_a_context_are_refused() {
    let mut rt = Qwen3Runtime::load(&common::model_dir("f32")).unwrap();
    let no = AtomicBool::new(false);
    let context: Vec<u32> = (0..40).collect();
    let limit = rt.config().context_tokens();
    let mut ctx = rt.prefill_context(&context, 2, 16, &opts(4), &no).unwrap();
    let msg = |r: Result<Vec<Vec<u32>>, Error>| r.unwrap_err().to_string();
    let uneven = rt.generate_after(&mut ctx, &[vec![1, 2], vec![3]], &opts(4), &no, &mut |_| {});
    assert!(msg(uneven).contains("of one length"));
    let rows = rt.generate_after(&mut ctx, &[vec![1, 2]], &opts(4), &no, &mut |_| {});
    assert!(msg(rows).contains("1 prompts after a context of 2 rows"));
    let long = opts(limit);
    let past = rt.generate_after(&mut ctx, &[vec![1], vec![2]], &long, &no, &mut |_| {});
    assert!(msg(past).contains("exceed the model's context"));
    let deep = rt.prefill_context(&vec![1; limit], 1, 1, &opts(1), &no);
    assert!(deep
        .unwrap_err()
        .to_string()
        .contains("exceed the model's context"));
}

#[test]
fn a_quantized_cache_holds_the_context_quantized() {
    let mut rt = Qwen3Runtime::load(&common::model_dir("hd64-f32")).unwrap();
    let no = AtomicBool::new(false);
    let context: Vec<u32> = (0..600).map(|i| 100 + (i * 7) % 900).collect();
    let prompt: Vec<u32> = vec![11, 12, 13, 14];
    let quant = |bits| GenerateOptions {
        kv_quant: Some(KvQuant {
            start_tokens: 0,
            ..KvQuant::bits(bits)
        }),
        ..opts(6)
    };
    let plain = rt.prefill_context(&context, 1, 16, &opts(6), &no).unwrap();
    let mut q8 = rt.prefill_context(&context, 1, 16, &quant(8), &no).unwrap();
    assert!(
        q8.cache_bytes() * 2 < plain.cache_bytes(),
        "8-bit {} bytes, unquantized {}",
        q8.cache_bytes(),
        plain.cache_bytes()
    );
    // The same tokens as the whole sequence generated with the same quantized cache.
    let whole: Vec<u32> = context.iter().chain(&prompt).copied().collect();
    let expect = rt
        .generate_cancellable(&[whole], &quant(8), &no, &mut |_| {})
        .unwrap();
    let got = rt
        .generate_after(&mut q8, &[prompt], &quant(8), &no, &mut |_| {})
        .unwrap();
    assert_eq!(got, expect);
}
