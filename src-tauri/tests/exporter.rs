//! The app's Prometheus exporter through its settings (Tauri's mock runtime): off by default;
//! switched on it serves the history's `/metrics` on loopback; a port in use refuses the new
//! settings (nothing saved, still serving where it did); switched off it stops.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};

use serde_json::{json, Value};

mod common;

use common::Env;

fn metrics(url: &str) -> Option<String> {
    let addr = url.strip_prefix("http://")?.strip_suffix("/metrics")?;
    let mut s = TcpStream::connect(addr).ok()?;
    s.write_all(b"GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n")
        .ok()?;
    let mut text = String::new();
    s.read_to_string(&mut text).ok()?;
    text.starts_with("HTTP/1.1 200").then_some(text)
}

fn with_exporter(env: &Env, exporter: Value) -> Result<Value, String> {
    let mut s = env.invoke("get_settings", json!({})).unwrap();
    s["exporter"] = exporter;
    env.invoke("save_settings", json!({ "settings": s }))
}

#[test]
fn the_exporter_follows_the_settings() {
    let env = Env::new();
    assert_eq!(env.invoke("exporter_url", json!({})).unwrap(), Value::Null);
    let defaults = env.invoke("get_settings", json!({})).unwrap();
    assert_eq!(
        defaults["exporter"],
        json!({"enabled": false, "listen": "127.0.0.1:9464"})
    );

    env.run("test-double:decode_tps=90");
    with_exporter(&env, json!({"enabled": true, "listen": "127.0.0.1:0"})).unwrap();
    let url = env.invoke("exporter_url", json!({})).unwrap();
    let url = url.as_str().unwrap().to_string();
    assert!(url.starts_with("http://127.0.0.1:"), "{url}");
    let text = metrics(&url).expect("the exporter answers");
    assert!(
        text.contains("benchbar_decode_tokens_per_second{"),
        "{text}"
    );
    assert!(text.contains("benchbar_runs_total{status=\"completed\",origin=\"app\"} 1"));

    // A port in use: refused, the settings file keeps the running exporter's settings.
    let before = std::fs::read(&env.config.settings_path).unwrap();
    let taken = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap().to_string();
    let e = with_exporter(&env, json!({"enabled": true, "listen": addr})).unwrap_err();
    assert!(e.contains("cannot listen on"), "{e}");
    assert_eq!(std::fs::read(&env.config.settings_path).unwrap(), before);
    assert_eq!(env.invoke("exporter_url", json!({})).unwrap(), json!(url));
    assert!(metrics(&url).is_some(), "still serving where it did");
    // A bad address is refused before anything changes.
    let e = with_exporter(&env, json!({"enabled": true, "listen": "localhost"})).unwrap_err();
    assert!(e.contains("IP:PORT"), "{e}");

    with_exporter(&env, json!({"enabled": false, "listen": "127.0.0.1:0"})).unwrap();
    assert_eq!(env.invoke("exporter_url", json!({})).unwrap(), Value::Null);
    assert!(metrics(&url).is_none(), "stopped");
}
