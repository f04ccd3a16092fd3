//! Generates the mlx-sys 0.7.0 bindings for a check-only build; compiles and links nothing.
//!
//! Inputs (first hit wins):
//! - mlx-c sources: `$MLX_SYS_CHECK_MLX_C`, else
//!   `$CARGO_HOME/registry/src/*/mlx-sys-0.7.0/src/mlx-c` (`CARGO_HOME` defaults to `~/.cargo`).
//!   `cargo fetch` of anything that depends on `mlx-sys = "=0.7.0"` puts them there.
//! - clang builtin headers (`stddef.h`, `stdint.h`, `arm_fp16.h`, ...):
//!   `$MLX_SYS_CHECK_CLANG_INCLUDE`, else the newest `/usr/lib/llvm-*/lib/clang/*/include`.
//! - `stub-include/`: three one-line headers standing in for the macOS SDK's libc headers.

use std::env;
use std::fs;
use std::path::{Path, PathBuf};

const MLX_SYS_DIR: &str = "mlx-sys-0.7.0";

fn find_mlx_c() -> PathBuf {
    if let Some(dir) = env::var_os("MLX_SYS_CHECK_MLX_C") {
        return PathBuf::from(dir);
    }
    let cargo_home = env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| env::var_os("HOME").map(|h| PathBuf::from(h).join(".cargo")))
        .expect("neither CARGO_HOME nor HOME is set");
    let registry_src = cargo_home.join("registry").join("src");
    let mut candidates: Vec<PathBuf> = fs::read_dir(&registry_src)
        .into_iter()
        .flatten()
        .flatten()
        .map(|entry| entry.path().join(MLX_SYS_DIR).join("src").join("mlx-c"))
        .filter(|dir| dir.join("mlx/c/mlx.h").is_file())
        .collect();
    candidates.sort();
    candidates.into_iter().next().unwrap_or_else(|| {
        panic!(
            "mlx-c headers of {MLX_SYS_DIR} not found under {}/*/; run `cargo fetch` on a crate \
             that depends on mlx-sys = \"=0.7.0\" (scripts/check-macos.sh does), or set \
             MLX_SYS_CHECK_MLX_C",
            registry_src.display()
        )
    })
}

fn find_clang_include() -> PathBuf {
    if let Some(dir) = env::var_os("MLX_SYS_CHECK_CLANG_INCLUDE") {
        return PathBuf::from(dir);
    }
    let mut candidates: Vec<PathBuf> = fs::read_dir("/usr/lib")
        .into_iter()
        .flatten()
        .flatten()
        .map(|entry| entry.path())
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with("llvm-"))
        })
        .flat_map(|llvm| fs::read_dir(llvm.join("lib/clang")).into_iter().flatten().flatten())
        .map(|entry| entry.path().join("include"))
        .filter(|dir| dir.join("stddef.h").is_file())
        .collect();
    // Version directories sort lexically; good enough to prefer e.g. llvm-16 over llvm-14.
    candidates.sort();
    candidates.pop().expect(
        "clang builtin include dir not found (/usr/lib/llvm-*/lib/clang/*/include); install \
         Debian libclang-dev or set MLX_SYS_CHECK_CLANG_INCLUDE",
    )
}

fn headers(mlx_c: &Path) -> Vec<PathBuf> {
    let mut headers: Vec<PathBuf> = fs::read_dir(mlx_c.join("mlx/c"))
        .expect("reading mlx-c/mlx/c")
        .flatten()
        .map(|entry| entry.path())
        .filter(|p| p.extension().is_some_and(|e| e == "h"))
        .collect();
    headers.sort();
    headers
}

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-changed=stub-include");
    println!("cargo:rerun-if-env-changed=MLX_SYS_CHECK_MLX_C");
    println!("cargo:rerun-if-env-changed=MLX_SYS_CHECK_CLANG_INCLUDE");
    println!("cargo:rerun-if-env-changed=LIBCLANG_PATH");

    let manifest = PathBuf::from(env::var("CARGO_MANIFEST_DIR").unwrap());
    let stubs = manifest.join("stub-include");
    let mlx_c = find_mlx_c();
    let clang_include = find_clang_include();

    // Same as the real mlx-sys 0.7.0 (src/bindgen_config.rs): default builder, the mlx-c root on
    // the include path, every mlx/c/*.h, malloc/realloc blocklisted. Only the target and the
    // header environment differ: the macOS SDK is replaced by the stubs + clang's builtins.
    let builder = headers(&mlx_c).iter().fold(
        bindgen::Builder::default()
            .rust_target("1.73.0".parse().expect("rust-version"))
            .clang_arg("--target=aarch64-apple-darwin")
            .clang_arg("-nostdinc")
            .clang_arg(format!("-I{}", stubs.display()))
            .clang_arg("-isystem")
            .clang_arg(clang_include.display().to_string())
            .clang_args(["-Xclang", "-target-feature", "-Xclang", "+bf16"])
            .clang_args(["-Xclang", "-target-feature", "-Xclang", "+fullfp16"])
            .clang_arg(format!("-I{}", mlx_c.display()))
            .blocklist_function("malloc")
            .blocklist_function("realloc"),
        |builder, header| builder.header(header.to_string_lossy()),
    );
    let bindings = builder
        .generate()
        .expect("bindgen failed on the mlx-c headers");
    let out = PathBuf::from(env::var("OUT_DIR").unwrap()).join("bindings.rs");
    bindings.write_to_file(&out).expect("writing bindings.rs");

    // Mirror the real crate's `links = "mlx"` metadata so dependents' build scripts see it.
    println!("cargo::metadata=include={}", mlx_c.display());
    println!("cargo::metadata=defines=MLX_STATIC");
}
