//! Model discovery: builtin:tiny generation, HF-cache repo ids, list_models. One test function,
//! because it sets process-wide environment variables.

mod common;

use benchbar_mlx::{list_models, resolve_model, Qwen3Runtime};

#[test]
fn builtin_hf_cache_and_listing() {
    let tmp = tempfile::tempdir().unwrap();
    let models = tmp.path().join("models");
    let hub = tmp.path().join("hub");
    // A fake HF cache holding the 4-bit fixture as mlx-community/Tiny-Qwen3-4bit.
    let snap = hub.join("models--mlx-community--Tiny-Qwen3-4bit/snapshots/0123abcd");
    std::fs::create_dir_all(snap.parent().unwrap()).unwrap();
    std::os::unix::fs::symlink(common::model_dir("4bit"), &snap).unwrap();
    std::env::set_var("BENCHBAR_MODELS_DIR", &models);
    std::env::set_var("HF_HUB_CACHE", &hub);

    // builtin:tiny is made on first use by the library itself
    let dir = resolve_model("builtin:tiny").unwrap();
    assert_eq!(dir, models.join("tiny-f32"));
    assert!(dir.join("model.safetensors").exists() && dir.join("tokenizer.json").exists());
    // ...and is the same deterministic model as the test fixture
    let a = std::fs::read(dir.join("model.safetensors")).unwrap();
    let b = std::fs::read(common::model_dir("f32").join("model.safetensors")).unwrap();
    assert!(a == b, "builtin:tiny differs from the fixture");

    // repo id from the HF cache
    let d = resolve_model("mlx-community/Tiny-Qwen3-4bit").unwrap();
    assert_eq!(d, snap);
    let rt = Qwen3Runtime::load(&d).unwrap();
    assert_eq!(rt.info().id, "mlx-community/Tiny-Qwen3-4bit");

    // plain path
    assert_eq!(
        resolve_model(dir.to_str().unwrap()).unwrap(),
        dir.canonicalize().unwrap()
    );

    let list = list_models();
    let ids: Vec<&str> = list.iter().map(|m| m.id.as_str()).collect();
    assert_eq!(
        ids,
        ["mlx-community/Tiny-Qwen3-4bit", "tiny-f32"],
        "{list:?}"
    );
    assert_eq!(list[0].quantization.as_deref(), Some("4bit"));
    assert_eq!(list[1].quantization.as_deref(), Some("f32"));
    assert_eq!(list[0].param_count, list[1].param_count);

    // An unknown builtin names the ones there are.
    let err = resolve_model("builtin:huge").unwrap_err().to_string();
    assert!(err.contains("builtin:tiny-4bit"), "{err}");
}

/// A first run killed half-way left an incomplete `tiny-f32` (no config.json) and a hidden
/// partial folder: the next creation replaces the one and the result is a whole model that
/// loads and generates.
#[test]
fn a_half_made_builtin_is_made_again() {
    use benchbar_mlx::builtin::Builtin;
    let models = tempfile::tempdir().unwrap();
    let half = models.path().join("tiny-f32");
    std::fs::create_dir(&half).unwrap();
    std::fs::write(half.join("tokenizer.json"), b"{").unwrap();
    let dir = Builtin::TinyF32.ensure(models.path()).unwrap();
    assert_eq!(dir, half);
    let mut rt = benchbar_mlx::Qwen3Runtime::load(&dir).unwrap();
    let ids = rt.encode("Hello", true).unwrap();
    let opts = benchbar_mlx::GenerateOptions {
        max_tokens: 4,
        suppress_eos: true,
        ..Default::default()
    };
    assert_eq!(rt.generate(&[ids], &opts, &mut |_| {}).unwrap()[0].len(), 4);
    // The same seed gives the same files.
    let again = tempfile::tempdir().unwrap();
    let other = Builtin::TinyF32.ensure(again.path()).unwrap();
    assert!(
        std::fs::read(dir.join("model.safetensors")).unwrap()
            == std::fs::read(other.join("model.safetensors")).unwrap()
    );
}
