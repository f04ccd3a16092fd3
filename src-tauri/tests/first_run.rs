//! First run (mock runtime): with nothing in the Hugging Face cache or BenchBar's models folder,
//! `first_run` says so and offers the built-in model and the smallest of the seed's catalogue
//! models that fits this machine; once the built-in model exists it offers nothing. One test: it points the
//! model folders at empty temporary ones for the whole process.

use serde_json::{json, Value};

mod common;

use common::Env;

#[test]
fn no_model_on_disk_is_a_first_run_with_two_offers() {
    let empty = tempfile::tempdir().unwrap();
    std::env::set_var("BENCHBAR_MODELS_DIR", empty.path().join("models"));
    std::env::set_var("HF_HUB_CACHE", empty.path().join("hub"));
    let env = Env::new();

    let offer = env.invoke("first_run", json!({})).unwrap();
    assert_eq!(offer["no_model"], true);
    assert_eq!(offer["builtin"], "builtin:tiny");
    // The smallest download among the seed's catalogue entries that fit this machine.
    let catalogue = env.invoke("model_catalogue", json!({})).unwrap();
    let smallest = catalogue
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["seed"] == true && e["fits_memory"] == true && e["present"] == false)
        .min_by_key(|e| e["estimated_download_bytes"].as_u64().unwrap())
        .map(|e| e["repo_id"].clone())
        .unwrap_or(Value::Null);
    assert_eq!(offer["suggested"]["repo_id"], smallest);

    // The first run makes the built-in model; then it is no first run any more.
    benchbar_mlx::resolve_model("builtin:tiny").unwrap();
    assert_eq!(
        env.invoke("first_run", json!({})).unwrap()["no_model"],
        false
    );
}
