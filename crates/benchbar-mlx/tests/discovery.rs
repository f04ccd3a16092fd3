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
    std::env::set_var("BENCHBAR_PYTHON", common::python());

    // builtin:tiny is generated on first use with the embedded make_fixtures.py
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

    // no python -> clear error
    std::env::set_var("BENCHBAR_PYTHON", "/nonexistent/python");
    let err = resolve_model("builtin:tiny-8bit").unwrap_err().to_string();
    assert!(
        err.contains("setup-python.sh") && err.contains("/nonexistent/python"),
        "{err}"
    );
}
