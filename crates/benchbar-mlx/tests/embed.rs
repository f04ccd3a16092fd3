//! `Qwen3Runtime::embed`: unit vectors of the hidden size, one per text, the tokens counted,
//! and the padding of a batch masked out (a text embeds the same alone and next to a longer one).

mod common;

use benchbar_mlx::embed::Pooling;
use benchbar_mlx::Qwen3Runtime;

#[test]
fn pooled_vectors_are_unit_length_and_independent_of_the_batch() {
    let rt = Qwen3Runtime::load(&common::model_dir("f32")).unwrap();
    let hidden = rt.config().hidden_size;
    let short = "A short text.".to_string();
    let long = "A much longer text that needs several more tokens than the short one.".to_string();
    let n_short = rt.encode(&short, false).unwrap().len() as u64;
    let n_long = rt.encode(&long, false).unwrap().len() as u64;
    for (pooling, extra) in [(Pooling::Mean, 0), (Pooling::LastToken, 1)] {
        let alone = rt.embed(std::slice::from_ref(&short), pooling).unwrap();
        let both = rt.embed(&[short.clone(), long.clone()], pooling).unwrap();
        assert_eq!(alone.tokens, n_short + extra);
        assert_eq!(both.tokens, n_short + n_long + 2 * extra);
        assert_eq!(both.vectors.len(), 2);
        for v in &both.vectors {
            assert_eq!(v.len(), hidden);
            let norm: f32 = v.iter().map(|x| x * x).sum::<f32>().sqrt();
            assert!((norm - 1.0).abs() < 1e-4, "{pooling:?}: |v| = {norm}");
        }
        let diff = alone.vectors[0]
            .iter()
            .zip(&both.vectors[0])
            .fold(0f32, |m, (a, b)| m.max((a - b).abs()));
        assert!(diff < 1e-4, "{pooling:?}: padded differs by {diff}");
    }
    let mean = rt
        .embed(std::slice::from_ref(&short), Pooling::Mean)
        .unwrap();
    let last = rt
        .embed(std::slice::from_ref(&short), Pooling::LastToken)
        .unwrap();
    assert_ne!(mean.vectors, last.vectors);
}
