//! Property-based fuzzing of the settings file reader (`settings.json`, written by the app and
//! by hand): mutated valid files, hostile field values and random bytes. Properties: no input
//! panics; a refused file gives one line naming it; an accepted one is valid and survives a
//! save and a reload unchanged. Bounded case counts, fixed seeds.

use benchbar_app::settings::{load, save, Settings};
use proptest::prelude::*;
use proptest::test_runner::{Config, RngSeed};
use serde_json::{json, Value};

fn config(cases: u32, seed: u64) -> Config {
    Config {
        cases,
        rng_seed: RngSeed::Fixed(seed),
        failure_persistence: None,
        ..Config::default()
    }
}

/// Writes `bytes` as settings.json in a fresh folder and checks what `load` makes of it.
fn check(bytes: &[u8]) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("settings.json");
    std::fs::write(&path, bytes).unwrap();
    match load(&path) {
        Ok(s) => {
            s.validate().expect("load returns only valid settings");
            let again = dir.path().join("again.json");
            save(&again, &s).unwrap();
            assert_eq!(load(&again).unwrap(), s);
        }
        Err(e) => {
            let msg = e.to_string();
            assert_eq!(msg.lines().count(), 1, "{msg}");
            assert!(msg.contains("settings.json"), "{msg}");
        }
    }
}

fn valid() -> Value {
    serde_json::to_value(Settings::default()).unwrap()
}

fn hostile() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        any::<u32>().prop_map(|n| json!(n)),
        (0u32..3).prop_map(|n| json!(n)),
        any::<f64>().prop_map(|x| json!(x)),
        "\\PC{0,16}".prop_map(Value::String),
        Just(json!("http://")),
        Just(json!("https://127.0.0.1:8080/v1")),
        Just(json!({"kind": "openai", "url": "ftp://x"})),
        Just(json!({"kind": "openai", "url": "http://127.0.0.1:8080/v1", "api_key_env": ""})),
        Just(json!({"kind": "gpu"})),
        Just(json!({"enabled": true, "interval_min": 0})),
        Just(json!({"enabled": true, "interval_min": 4_294_967_295u32, "retention_h": 1})),
        Just(json!([])),
    ]
}

fn keys() -> impl Strategy<Value = &'static str> {
    prop_oneof![
        Just("default_model"),
        Just("engine"),
        Just("quick_suite"),
        Just("reps"),
        Just("sample_power"),
        Just("monitor"),
        Just("unknown_key"),
    ]
}

proptest! {
    #![proptest_config(config(256, 0x5E77_1265))]

    #[test]
    fn hostile_values(changes in proptest::collection::vec((keys(), hostile()), 1..4)) {
        let mut v = valid();
        for (k, x) in changes {
            v[k] = x;
        }
        check(&serde_json::to_vec(&v).unwrap());
    }

    #[test]
    fn mutated_bytes(at in any::<usize>(), cut in any::<usize>(), b in any::<u8>()) {
        let mut bytes = serde_json::to_vec_pretty(&valid()).unwrap();
        let i = at % bytes.len();
        bytes[i] = b;
        bytes.truncate(cut % (bytes.len() + 1) + bytes.len() / 2);
        check(&bytes);
    }

    #[test]
    fn random_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
        check(&bytes);
    }
}
