//! Launch at login through tauri-plugin-autostart, for real: on Linux the plugin writes an XDG
//! autostart entry (`~/.config/autostart/BenchBar.desktop`) naming the running executable. Off
//! by default; saving the setting adds and removes the entry; the saved setting is what a new
//! app reads. One test: it points HOME at a temporary folder for the whole process.

use serde_json::json;

mod common;

use common::Env;

#[test]
fn launch_at_login_adds_and_removes_the_login_item() {
    let home = tempfile::tempdir().unwrap();
    std::env::set_var("HOME", home.path());
    let entry = home.path().join(".config/autostart/BenchBar.desktop");

    let env = Env::new();
    let mut s = env.invoke("get_settings", json!({})).unwrap();
    assert_eq!(s["launch_at_login"], false, "off by default");
    assert!(!entry.exists());

    s["launch_at_login"] = json!(true);
    env.invoke("save_settings", json!({ "settings": s.clone() }))
        .unwrap();
    let text = std::fs::read_to_string(&entry).expect("an autostart entry");
    let exe = std::env::current_exe().unwrap();
    assert!(text.contains(&exe.display().to_string()), "{text}");
    assert!(text.contains("Name=BenchBar"), "{text}");
    let stored = std::fs::read_to_string(&env.config.settings_path).unwrap();
    assert!(stored.contains("\"launch_at_login\": true"), "{stored}");

    s["launch_at_login"] = json!(false);
    env.invoke("save_settings", json!({ "settings": s }))
        .unwrap();
    assert!(!entry.exists(), "removed");
}
