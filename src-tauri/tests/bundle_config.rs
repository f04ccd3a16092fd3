//! The macOS bundle cannot silently lose MLX's Metal library: tauri.conf.json puts
//! mlx.metallib in Contents/MacOS (where MLX, linked statically into the app, looks: next to
//! the executable), from the folder scripts/package-macos.sh has mlx-sys write it to
//! (MLX_RS_METAL_PATH); the minimum macOS matches the deployment target the metallib is built
//! for; and the macOS workflow runs that script, which self-tests the built bundle.

use serde_json::Value;

fn repo_file(path: &str) -> String {
    let p = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join(path);
    std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

#[test]
fn the_app_bundle_carries_the_metallib_next_to_its_executable() {
    let conf: Value = serde_json::from_str(&repo_file("src-tauri/tauri.conf.json")).unwrap();
    let mac = &conf["bundle"]["macOS"];
    let source = mac["files"]["MacOS/mlx.metallib"]
        .as_str()
        .expect("bundle.macOS.files names MacOS/mlx.metallib");
    assert_eq!(source, "../target/mlx-metal/mlx.metallib");
    // The CLI ships inside the app too, beside the same metallib (the Homebrew cask links it).
    assert_eq!(mac["files"]["MacOS/benchbar"], "../target/release/benchbar");
    let cask = repo_file("packaging/homebrew/benchbar.rb");
    assert!(cask.contains("BenchBar.app/Contents/MacOS/benchbar"));
    // macOS 14 is Sonoma: the cask asks for what the bundle's metallib runs on.
    assert_eq!(mac["minimumSystemVersion"], "14.0");
    assert!(cask.contains(r#"depends_on macos: ">= :sonoma""#));
    assert_eq!(conf["mainBinaryName"], "benchbar-app");

    let script = repo_file("scripts/package-macos.sh");
    assert!(
        script.contains(r#"export MLX_RS_METAL_PATH="$ROOT/target/mlx-metal""#),
        "package-macos.sh writes the metallib where the bundle takes it from"
    );
    let min = mac["minimumSystemVersion"].as_str().unwrap();
    assert!(
        script.contains(&format!("export MACOSX_DEPLOYMENT_TARGET={min}")),
        "the metallib is built for the app's minimum macOS ({min})"
    );
    assert!(script.contains("Contents/MacOS/benchbar-app\" --self-test"));

    let workflow = repo_file(".github/workflows/macos.yml");
    assert!(
        workflow.contains("scripts/package-macos.sh"),
        "the workflow packages"
    );
}

/// `--self-test` (what package-macos.sh runs on the built .app) makes builtin:tiny in an empty
/// models folder, generates on MLX's default device and exits 0 with one line, no window.
#[test]
fn the_self_test_makes_the_builtin_and_generates() {
    let models = tempfile::tempdir().unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_benchbar-app"))
        .arg("--self-test")
        .env("BENCHBAR_MODELS_DIR", models.path())
        .output()
        .unwrap();
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        said.starts_with("self-test: ok: builtin:tiny generated 8 tokens"),
        "{said}"
    );
    assert!(models.path().join("tiny-f32/config.json").exists());
}

/// Every command the app registers is allowed to its windows: listed in build.rs (which makes
/// its `allow-<name>` permission) and in the capability. A command missing there works under
/// the mock runtime but is refused by the real app's ACL.
#[test]
fn every_registered_command_is_permitted() {
    let lib = repo_file("src-tauri/src/lib.rs");
    let build = repo_file("src-tauri/build.rs");
    let cap: Value =
        serde_json::from_str(&repo_file("src-tauri/capabilities/default.json")).unwrap();
    let perms: Vec<&str> = cap["permissions"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|p| p.as_str())
        .collect();
    let start = lib.find("generate_handler![").expect("the handler list");
    let end = start + lib[start..].find("])").unwrap();
    let commands: Vec<&str> = lib[start..end]
        .split(',')
        .filter_map(|c| c.trim().rsplit("::").next())
        .filter(|c| !c.is_empty() && !c.contains('['))
        .collect();
    assert!(commands.len() > 20, "{commands:?}");
    for c in commands {
        assert!(
            build.contains(&format!("\"{c}\"")),
            "{c} is not in build.rs COMMANDS"
        );
        let perm = format!("allow-{}", c.replace('_', "-"));
        assert!(
            perms.contains(&perm.as_str()),
            "{perm} is not in the capability"
        );
    }
}
