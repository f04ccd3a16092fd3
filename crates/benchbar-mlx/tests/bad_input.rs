//! Broken checkpoints give one clear error naming the file and the problem, never a panic.

mod common;

use benchbar_mlx::{Error, Qwen3Runtime};
use std::path::{Path, PathBuf};

/// A copy of tiny-<variant> in a tempdir (weights symlinked), with `edit` applied.
fn broken(variant: &str, edit: impl FnOnce(&Path)) -> (tempfile::TempDir, PathBuf) {
    let src = common::model_dir(variant);
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("model");
    std::fs::create_dir(&dir).unwrap();
    for e in std::fs::read_dir(&src).unwrap() {
        let e = e.unwrap();
        let to = dir.join(e.file_name());
        if e.file_name().to_string_lossy().ends_with(".safetensors") {
            std::os::unix::fs::symlink(e.path(), &to).unwrap();
        } else {
            std::fs::copy(e.path(), &to).unwrap();
        }
    }
    edit(&dir);
    (tmp, dir)
}

fn edit_config(dir: &Path, f: impl FnOnce(&mut serde_json::Value)) {
    let p = dir.join("config.json");
    let mut v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&p).unwrap()).unwrap();
    f(&mut v);
    std::fs::write(&p, serde_json::to_string(&v).unwrap()).unwrap();
}

fn load_err(dir: &Path) -> String {
    match Qwen3Runtime::load(dir) {
        Ok(_) => panic!("{} loaded but should not", dir.display()),
        Err(e) => {
            let s = e.to_string();
            eprintln!("{s}");
            s
        }
    }
}

#[test]
fn missing_config() {
    let (_t, d) = broken("f32", |d| {
        std::fs::remove_file(d.join("config.json")).unwrap()
    });
    let e = load_err(&d);
    assert!(e.contains("config.json") && e.contains("missing"), "{e}");
}

#[test]
fn malformed_config() {
    let (_t, d) = broken("f32", |d| {
        std::fs::write(d.join("config.json"), "{ not json").unwrap()
    });
    let e = load_err(&d);
    assert!(e.contains("config.json") && e.contains("malformed"), "{e}");
    let (_t, d) = broken("f32", |d| {
        edit_config(d, |v| v["hidden_size"] = "big".into())
    });
    let e = load_err(&d);
    assert!(
        e.contains("config.json") && e.contains("hidden_size"),
        "{e}"
    );
}

#[test]
fn wrong_model_type() {
    let (_t, d) = broken("f32", |d| {
        edit_config(d, |v| v["model_type"] = "llama".into())
    });
    let e = load_err(&d);
    assert!(
        e.contains("config.json") && e.contains("llama") && e.contains("unsupported"),
        "{e}"
    );
    // the supported ones are named
    assert!(e.contains("qwen3, qwen3_moe"), "{e}");
}

#[test]
fn mixture_of_experts_mistakes_name_the_key() {
    // an expert count that disagrees with the tensors: the router's shape is named
    let (_t, d) = broken("moe", |d| edit_config(d, |v| v["num_experts"] = 4.into()));
    let e = load_err(&d);
    assert!(
        e.contains("model.safetensors") && e.contains("layers.1.mlp.gate.weight"),
        "{e}"
    );
    // the same for the stacked experts, with the router left alone
    let (_t, d) = broken("moe", |d| {
        edit_config(d, |v| v["moe_intermediate_size"] = 64.into())
    });
    let e = load_err(&d);
    assert!(
        e.contains("switch_mlp.gate_proj.weight") && e.contains("[8, 64, 64]"),
        "{e}"
    );
    // more experts per token than experts; no experts at all
    let (_t, d) = broken("moe", |d| {
        edit_config(d, |v| v["num_experts_per_tok"] = 9.into())
    });
    let e = load_err(&d);
    assert!(
        e.contains("config.json") && e.contains("num_experts_per_tok"),
        "{e}"
    );
    let (_t, d) = broken("moe", |d| edit_config(d, |v| v["num_experts"] = 0.into()));
    let e = load_err(&d);
    assert!(e.contains("num_experts"), "{e}");
    // per-expert (HF) tensors of the wrong width name the expert's tensor
    let (_t, d) = broken("moe-hf", |d| {
        edit_config(d, |v| v["moe_intermediate_size"] = 64.into())
    });
    let e = load_err(&d);
    assert!(
        e.contains("experts.0.gate_proj.weight") && e.contains("[64, 64]"),
        "{e}"
    );
}

#[test]
fn hybrid_mistakes_name_the_key() {
    // a vision-language config without its text model
    let (_t, d) = broken("qwen3_5", |d| {
        edit_config(d, |v| {
            v.as_object_mut().unwrap().remove("text_config");
            v["vision_config"] = serde_json::json!({"depth": 1});
        })
    });
    let e = load_err(&d);
    assert!(
        e.contains("config.json") && e.contains("text_config") && e.contains("unsupported"),
        "{e}"
    );
    // value heads that are not a multiple of the key heads
    let (_t, d) = broken("qwen3_5", |d| {
        edit_config(d, |v| v["text_config"]["linear_num_value_heads"] = 3.into())
    });
    let e = load_err(&d);
    assert!(
        e.contains("config.json") && e.contains("linear_num_value_heads"),
        "{e}"
    );
    // a convolution width the tensors do not have: the tensor and both shapes are named
    let (_t, d) = broken("qwen3_5", |d| {
        edit_config(d, |v| v["text_config"]["linear_conv_kernel_dim"] = 3.into())
    });
    let e = load_err(&d);
    assert!(
        e.contains("model.safetensors")
            && e.contains("layers.0.linear_attn.conv1d.weight")
            && e.contains("[192, 4, 1]")
            && e.contains("[192, 3, 1]"),
        "{e}"
    );
    // Qwen3-Next without a key mlx_lm requires
    let (_t, d) = broken("qwen3_next", |d| {
        edit_config(d, |v| {
            v.as_object_mut().unwrap().remove("partial_rotary_factor");
        })
    });
    let e = load_err(&d);
    assert!(
        e.contains("config.json") && e.contains("partial_rotary_factor"),
        "{e}"
    );
    // an expert count that disagrees with the router of a Qwen3.5-MoE
    let (_t, d) = broken("qwen3_5_moe", |d| {
        edit_config(d, |v| v["text_config"]["num_experts"] = 8.into())
    });
    let e = load_err(&d);
    assert!(
        e.contains("model.safetensors") && e.contains("layers.0.mlp.gate.weight"),
        "{e}"
    );
    // a missing shared expert gate
    let (_t, d) = broken("qwen3_5_moe", |d| {
        edit_config(d, |v| {
            v["text_config"]["shared_expert_intermediate_size"] = 0.into()
        })
    });
    let e = load_err(&d);
    assert!(
        e.contains("config.json") && e.contains("shared_expert_intermediate_size"),
        "{e}"
    );
}

#[test]
fn missing_weights() {
    let (_t, d) = broken("f32", |d| {
        std::fs::remove_file(d.join("model.safetensors")).unwrap()
    });
    let e = load_err(&d);
    assert!(
        e.contains("model.safetensors") && e.contains("missing"),
        "{e}"
    );
    let (_t, d) = broken("f32", |d| {
        std::fs::remove_file(d.join("model.safetensors")).unwrap();
        std::fs::remove_file(d.join("model.safetensors.index.json")).unwrap();
    });
    let e = load_err(&d);
    assert!(e.contains("no *.safetensors"), "{e}");
}

#[test]
fn truncated_weights() {
    let (_t, d) = broken("4bit", |d| {
        let p = d.join("model.safetensors");
        let bytes = std::fs::read(&p).unwrap();
        std::fs::remove_file(&p).unwrap();
        std::fs::write(&p, &bytes[..bytes.len() / 2]).unwrap();
    });
    let e = load_err(&d);
    assert!(
        e.contains("model.safetensors") && e.contains("truncated"),
        "{e}"
    );
}

#[test]
fn shape_mismatch() {
    let (_t, d) = broken("f32", |d| {
        edit_config(d, |v| v["intermediate_size"] = 256.into())
    });
    let e = load_err(&d);
    assert!(
        e.contains("model.safetensors") && e.contains("gate_proj") && e.contains("shape"),
        "{e}"
    );
    let (_t, d) = broken("f32", |d| {
        edit_config(d, |v| v["num_hidden_layers"] = 3.into())
    });
    let e = load_err(&d);
    assert!(e.contains("layers.2"), "{e}");
}

#[test]
fn tokenizer_vocab_mismatch() {
    let (_t, d) = broken("f32", |d| edit_config(d, |v| v["vocab_size"] = 1000.into()));
    let e = load_err(&d);
    assert!(
        e.contains("tokenizer.json") && e.contains("vocab_size"),
        "{e}"
    );
    let (_t, d) = broken("f32", |d| {
        std::fs::remove_file(d.join("tokenizer.json")).unwrap()
    });
    let e = load_err(&d);
    assert!(e.contains("tokenizer.json") && e.contains("missing"), "{e}");
}

#[test]
fn unsupported_quantization() {
    // bits and group sizes MLX lacks, and modes it lacks, are refused naming the key
    let (_t, d) = broken("4bit", |d| {
        edit_config(d, |v| v["quantization"]["bits"] = 7.into())
    });
    let e = load_err(&d);
    assert!(e.contains("config.json") && e.contains("7 bits"), "{e}");
    let (_t, d) = broken("4bit", |d| {
        edit_config(d, |v| v["quantization"]["mode"] = "mxfp4".into())
    });
    let e = load_err(&d);
    assert!(e.contains("mxfp4") && e.contains("groups of 64"), "{e}");
    let (_t, d) = broken("4bit", |d| {
        edit_config(d, |v| v["quantization"]["mode"] = "int3".into())
    });
    let e = load_err(&d);
    assert!(e.contains("quantization.mode") && e.contains("int3"), "{e}");
    let (_t, d) = broken("f32", |d| {
        edit_config(d, |v| {
            v["quantization_config"] = serde_json::json!({"quant_method": "gptq", "bits": 4})
        })
    });
    let e = load_err(&d);
    assert!(e.contains("gptq"), "{e}");
    // config says 8-bit but the tensors are 4-bit
    let (_t, d) = broken("4bit", |d| {
        edit_config(d, |v| v["quantization"]["bits"] = 8.into())
    });
    let e = load_err(&d);
    assert!(
        e.contains("model.safetensors") && e.contains("config.json says 8-bit affine"),
        "{e}"
    );
    // a module's own entry is checked against its tensors too
    let (_t, d) = broken("4bit", |d| {
        edit_config(d, |v| {
            v["quantization"]["model.layers.1.mlp.down_proj"] =
                serde_json::json!({"group_size": 32, "bits": 4})
        })
    });
    let e = load_err(&d);
    assert!(
        e.contains("layers.1.mlp.down_proj") && e.contains("group 32"),
        "{e}"
    );
}

#[test]
fn not_a_directory_and_resolve() {
    let e = load_err(Path::new("/nonexistent/model"));
    assert!(e.contains("/nonexistent/model"), "{e}");
    let err = benchbar_mlx::resolve_model("no-such-org/no-such-model").unwrap_err();
    assert!(matches!(err, Error::NotFound(_)), "{err}");
    let err = benchbar_mlx::resolve_model("builtin:huge").unwrap_err();
    assert!(err.to_string().contains("builtin:tiny"), "{err}");
}

#[test]
fn per_layer_quantization_entries_are_accepted() {
    // mlx-community mixed recipes list per-layer overrides; bits then come from tensor shapes.
    let (_t, d) = broken("4bit", |d| {
        edit_config(d, |v| {
            v["quantization"]["bits"] = 8.into();
            v["quantization"]["model.layers.0.mlp.up_proj"] =
                serde_json::json!({"group_size": 64, "bits": 4});
        })
    });
    let rt = Qwen3Runtime::load(&d).unwrap();
    assert!(rt.model().is_quantized());
}

#[test]
fn a_prompt_beyond_the_context_is_one_error_and_yarn_stretches_it() {
    let (_t, d) = broken("f32", |d| {
        edit_config(d, |v| v["max_position_embeddings"] = 24.into())
    });
    let mut rt = Qwen3Runtime::load(&d).unwrap();
    let prompt: Vec<u32> = (0..20).collect();
    let opts = benchbar_mlx::GenerateOptions {
        max_tokens: 8,
        ..Default::default()
    };
    let e = rt
        .generate(std::slice::from_ref(&prompt), &opts, &mut |_| {})
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("20 prompt tokens") && e.contains("context of 24"),
        "{e}"
    );
    let opts = benchbar_mlx::GenerateOptions {
        max_tokens: 4,
        suppress_eos: true,
        ..Default::default()
    };
    assert_eq!(
        rt.generate(&[prompt], &opts, &mut |_| {}).unwrap()[0].len(),
        4
    );
    // YaRN: factor 4 over 32,768 positions
    let rt = Qwen3Runtime::load(&common::model_dir("yarn")).unwrap();
    assert_eq!(rt.config().context_tokens(), 131_072);
    // a type mlx_lm does not know names the ones it does; a longrope block without its
    // factors names the key
    let (_t, d) = broken("f32", |d| {
        edit_config(d, |v| {
            v["rope_scaling"] = serde_json::json!({"rope_type": "su-v2", "factor": 2.0})
        })
    });
    let e = load_err(&d);
    assert!(
        e.contains("su-v2") && e.contains("default, linear, yarn") && e.contains("longrope"),
        "{e}"
    );
    let (_t, d) = broken("f32", |d| {
        edit_config(d, |v| {
            v["rope_scaling"] = serde_json::json!({"rope_type": "longrope", "factor": 2.0})
        })
    });
    let e = load_err(&d);
    assert!(
        e.contains("config.json") && e.contains("original_max_position_embeddings"),
        "{e}"
    );
    // dynamic NTK: up to factor times the trained context
    let rt = Qwen3Runtime::load(&common::model_dir("rope-dynamic")).unwrap();
    assert_eq!(rt.config().context_tokens(), 512);
}
