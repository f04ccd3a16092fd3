//! Property-based fuzzing of the parsers that read a checkpoint folder from outside: the
//! `config.json` reader (with its `quantization` block), safetensors headers and
//! `tokenizer.json` loading. Inputs are valid documents mutated byte by byte, structured JSON
//! with hostile values, and random bytes. Properties: no input panics; a rejected input gives
//! one line naming the file; an accepted one satisfies what the loader promises. Bounded case
//! counts and fixed seeds keep the run short and reproducible in CI.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use benchbar_mlx::tokenizer::Tokenizer;
use benchbar_mlx::weights::read_header;
use benchbar_mlx::Qwen3Config;
use proptest::prelude::*;
use proptest::test_runner::{Config, RngSeed};
use serde_json::{json, Value};

/// `cases` cases from a fixed seed, no regression files written.
fn config(cases: u32, seed: u64) -> Config {
    Config {
        cases,
        rng_seed: RngSeed::Fixed(seed),
        failure_persistence: None,
        ..Config::default()
    }
}

/// A fresh empty folder for one case (removed on drop).
struct CaseDir(PathBuf);

impl CaseDir {
    fn new() -> CaseDir {
        static NEXT: AtomicU64 = AtomicU64::new(0);
        let dir = std::env::temp_dir().join(format!(
            "benchbar-mlx-fuzz-{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        ));
        std::fs::create_dir_all(&dir).unwrap();
        CaseDir(dir)
    }

    fn write(&self, name: &str, bytes: &[u8]) -> PathBuf {
        let p = self.0.join(name);
        std::fs::write(&p, bytes).unwrap();
        p
    }
}

impl Drop for CaseDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A rejected input is one line that names the file.
fn assert_one_line_naming(err: &benchbar_mlx::Error, file: &Path) {
    let msg = err.to_string();
    assert_eq!(msg.lines().count(), 1, "{msg}");
    let name = file.file_name().unwrap().to_string_lossy();
    assert!(msg.contains(name.as_ref()), "{msg} should name {name}");
}

fn fixtures() -> PathBuf {
    std::env::var_os("BENCHBAR_FIXTURES")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../.fixtures"))
}

/// A valid 4-bit Qwen3 config (the tiny fixture's shape, written here).
fn valid_config() -> Value {
    json!({
        "architectures": ["Qwen3ForCausalLM"],
        "model_type": "qwen3",
        "hidden_size": 64,
        "intermediate_size": 128,
        "num_attention_heads": 4,
        "num_hidden_layers": 2,
        "num_key_value_heads": 2,
        "head_dim": 16,
        "rms_norm_eps": 1e-6,
        "rope_theta": 1000000,
        "max_position_embeddings": 40960,
        "tie_word_embeddings": true,
        "vocab_size": 151936,
        "eos_token_id": 151645,
        "quantization": {"group_size": 64, "bits": 4, "mode": "affine"}
    })
}

#[derive(Clone, Debug)]
enum Edit {
    Set(usize, u8),
    Delete(usize, usize),
    Insert(usize, Vec<u8>),
    Truncate(usize),
}

fn edits() -> impl Strategy<Value = Vec<Edit>> {
    let edit = prop_oneof![
        (any::<usize>(), any::<u8>()).prop_map(|(i, b)| Edit::Set(i, b)),
        (any::<usize>(), 1usize..32).prop_map(|(i, n)| Edit::Delete(i, n)),
        (
            any::<usize>(),
            prop_oneof![
                Just(b"-1".to_vec()),
                Just(b"1e309".to_vec()),
                Just(b"18446744073709551616".to_vec()),
                Just(b"null".to_vec()),
                Just(b"\xff\xfe".to_vec()),
                Just(b"{\"a\":".to_vec()),
                proptest::collection::vec(any::<u8>(), 1..8),
            ]
        )
            .prop_map(|(i, b)| Edit::Insert(i, b)),
        any::<usize>().prop_map(Edit::Truncate),
    ];
    proptest::collection::vec(edit, 1..6)
}

fn apply(mut bytes: Vec<u8>, edits: &[Edit]) -> Vec<u8> {
    for e in edits {
        let len = bytes.len().max(1);
        match e {
            Edit::Set(i, b) if !bytes.is_empty() => bytes[i % len] = *b,
            Edit::Delete(i, n) if !bytes.is_empty() => {
                let at = i % len;
                let end = (at + n).min(bytes.len());
                bytes.drain(at..end);
            }
            Edit::Insert(i, b) => {
                let at = i % (bytes.len() + 1);
                bytes.splice(at..at, b.iter().copied());
            }
            Edit::Truncate(i) => bytes.truncate(i % (bytes.len() + 1)),
            _ => {}
        }
    }
    bytes
}

/// A hostile JSON value for a config key.
fn hostile_value() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        any::<u64>().prop_map(|n| json!(n)),
        (0u64..5).prop_map(|n| json!(n)),
        any::<f64>().prop_map(|x| json!(x)),
        "\\PC{0,12}".prop_map(Value::String),
        Just(json!([])),
        Just(json!({})),
        Just(json!({"bits": 3, "group_size": 0})),
        Just(json!({"mode": "mxfp4", "bits": 4, "group_size": 32})),
        Just(
            json!({"group_size": 64, "bits": 4, "model.layers.0.mlp": {"bits": 8, "group_size": 64}})
        ),
        Just(json!({"group_size": 64, "bits": 4, "lm_head": false})),
    ]
}

fn config_keys() -> impl Strategy<Value = &'static str> {
    prop_oneof![
        Just("model_type"),
        Just("hidden_size"),
        Just("intermediate_size"),
        Just("num_attention_heads"),
        Just("num_hidden_layers"),
        Just("num_key_value_heads"),
        Just("head_dim"),
        Just("rms_norm_eps"),
        Just("rope_theta"),
        Just("vocab_size"),
        Just("eos_token_id"),
        Just("tie_word_embeddings"),
        Just("max_position_embeddings"),
        Just("quantization"),
    ]
}

/// Reads `dir/config.json` written from `bytes`: Ok, or one line naming config.json.
fn check_config(bytes: &[u8]) {
    let dir = CaseDir::new();
    let path = dir.write("config.json", bytes);
    match Qwen3Config::from_dir(&dir.0) {
        Ok(cfg) => {
            // What the loader promises the model: a shape it can build.
            assert!(cfg.hidden_size > 0 && cfg.num_hidden_layers > 0, "{cfg:?}");
            assert!(cfg.num_attention_heads > 0 && cfg.num_key_value_heads > 0);
        }
        Err(e) => assert_one_line_naming(&e, &path),
    }
}

/// A safetensors file: the 8-byte header length, the header, the data.
fn safetensors(header: &[u8], data_len: usize) -> Vec<u8> {
    let mut out = (header.len() as u64).to_le_bytes().to_vec();
    out.extend_from_slice(header);
    out.resize(out.len() + data_len, 0);
    out
}

fn check_header(bytes: &[u8]) {
    let dir = CaseDir::new();
    let path = dir.write("model.safetensors", bytes);
    match read_header(&path) {
        Ok(tensors) => {
            const SUPPORTED: [&str; 11] = [
                "F32", "U32", "I32", "BF16", "F16", "U8", "I8", "BOOL", "F64", "I64", "U64",
            ];
            for (name, t) in tensors {
                assert!(
                    SUPPORTED.contains(&t.dtype.as_str()),
                    "{name}: {t:?} accepted"
                );
            }
        }
        Err(e) => assert_one_line_naming(&e, &path),
    }
}

/// A tensor entry with hostile dtype, shape and offsets.
fn tensor_entry() -> impl Strategy<Value = Value> {
    (
        prop_oneof![
            Just("F32"),
            Just("BF16"),
            Just("U32"),
            Just("U8"),
            Just("F8_E4M3"),
            Just("")
        ],
        proptest::collection::vec(
            prop_oneof![0u64..8, any::<u64>(), Just(u64::MAX), Just(1 << 32)],
            0..4
        ),
        proptest::collection::vec(
            prop_oneof![0u64..64, any::<u64>(), Just(u64::MAX)],
            0..3
        ),
    )
        .prop_map(|(dtype, shape, offsets)| {
            json!({"dtype": dtype, "shape": shape, "data_offsets": offsets})
        })
}

/// Loads `dir/tokenizer.json` written from `bytes`: Ok, or one line naming tokenizer.json.
fn check_tokenizer(bytes: &[u8]) {
    let dir = CaseDir::new();
    let path = dir.write("tokenizer.json", bytes);
    match Tokenizer::from_dir(&dir.0, 151_936) {
        Ok(t) => {
            // An accepted tokenizer can encode and decode without panicking.
            if let Ok(ids) = t.encode("Hello, world") {
                let _ = t.decode(&ids);
            }
        }
        Err(e) => assert_one_line_naming(&e, &path),
    }
}

/// A small WordLevel tokenizer document with hostile vocab ids.
fn small_tokenizer() -> impl Strategy<Value = Value> {
    proptest::collection::btree_map(
        "[a-z]{1,4}",
        prop_oneof![
            0u64..100,
            Just(151_935),
            Just(151_936),
            Just(u64::from(u32::MAX))
        ],
        0..8,
    )
    .prop_map(|vocab| {
        json!({
            "version": "1.0",
            "truncation": null,
            "padding": null,
            "added_tokens": [],
            "normalizer": null,
            "pre_tokenizer": {"type": "Whitespace"},
            "post_processor": null,
            "decoder": null,
            "model": {"type": "WordLevel", "vocab": vocab, "unk_token": "a"}
        })
    })
}

proptest! {
    #![proptest_config(config(192, 0x00C0_F1C0))]

    #[test]
    fn config_json_mutated_bytes(e in edits()) {
        let valid = serde_json::to_vec_pretty(&valid_config()).unwrap();
        check_config(&apply(valid, &e));
    }

    #[test]
    fn config_json_hostile_values(changes in proptest::collection::vec((config_keys(), hostile_value()), 1..4), remove in proptest::option::of(config_keys())) {
        let mut v = valid_config();
        for (k, x) in changes {
            v[k] = x;
        }
        if let Some(k) = remove {
            v.as_object_mut().unwrap().remove(k);
        }
        check_config(&serde_json::to_vec(&v).unwrap());
    }

    #[test]
    fn config_json_random_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..256)) {
        check_config(&bytes);
    }
}

proptest! {
    #![proptest_config(config(256, 0x005A_FE7E))]

    // Shapes up to 2^62 elements: the byte count of such a header overflows u64 (read_header
    // checks the product instead of wrapping or panicking).
    #[test]
    fn safetensors_structured_headers(tensors in proptest::collection::btree_map("[a-z.]{0,12}", tensor_entry(), 0..4), data_len in 0usize..128, meta in any::<bool>()) {
        let mut header: serde_json::Map<String, Value> = tensors.into_iter().collect();
        if meta {
            header.insert("__metadata__".into(), json!({"format": "mlx"}));
        }
        let header = serde_json::to_vec(&Value::Object(header)).unwrap();
        check_header(&safetensors(&header, data_len));
    }

    #[test]
    fn safetensors_mutated_files(e in edits()) {
        let header = br#"{"__metadata__":{"format":"mlx"},"model.norm.weight":{"dtype":"F32","shape":[4],"data_offsets":[0,16]},"lm_head.scales":{"dtype":"BF16","shape":[2,2],"data_offsets":[16,24]}}"#;
        check_header(&apply(safetensors(header, 24), &e));
    }

    #[test]
    fn safetensors_random_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..96), claimed in prop_oneof![Just(None), any::<u64>().prop_map(Some)]) {
        let mut bytes = bytes;
        if let (Some(n), true) = (claimed, bytes.len() >= 8) {
            bytes[..8].copy_from_slice(&n.to_le_bytes());
        }
        check_header(&bytes);
    }
}

proptest! {
    #![proptest_config(config(64, 0x7043_E41E))]

    #[test]
    fn tokenizer_json_small_documents(doc in small_tokenizer(), e in proptest::option::of(edits())) {
        let bytes = serde_json::to_vec(&doc).unwrap();
        let bytes = match e {
            Some(e) => apply(bytes, &e),
            None => bytes,
        };
        check_tokenizer(&bytes);
    }

    #[test]
    fn tokenizer_json_random_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..128)) {
        check_tokenizer(&bytes);
    }
}

proptest! {
    // The real Qwen3 tokenizer (5 MB): few cases, each a cut or an edit in its first 64 KiB.
    #![proptest_config(config(12, 0x0051_CE5E))]

    #[test]
    fn tokenizer_json_cut_qwen3(cut in 0usize..65_536, e in proptest::option::of(edits())) {
        let path = fixtures().join("tiny-f32/tokenizer.json");
        let Ok(full) = std::fs::read(&path) else {
            // Fixtures absent (scripts/fixtures.sh not run): the small documents above still run.
            return Ok(());
        };
        let mut bytes = full[..cut.min(full.len())].to_vec();
        if let Some(e) = e {
            bytes = apply(bytes, &e);
        }
        check_tokenizer(&bytes);
    }
}
