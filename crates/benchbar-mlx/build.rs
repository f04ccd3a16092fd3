//! Build script: on Linux, find the MLX C++ library shipped in the PyPI `mlx` wheel, compile the
//! cxx bridge shim against it, link libmlx (+ Debian OpenBLAS when present) and set an rpath.
//!
//! MLX is found from, in order: `MLX_DIR` (the python package dir holding include/ and lib/),
//! the project venv (`<repo>/.venv/bin/python`), then `python3` on PATH.

use std::path::{Path, PathBuf};
use std::process::Command;

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-changed=shim/shim.h");
    println!("cargo:rerun-if-changed=shim/shim.cc");
    println!("cargo:rerun-if-changed=shim/kernels.cc");
    println!("cargo:rerun-if-changed=shim/kernels_cuda.h");
    println!("cargo:rerun-if-changed=shim/launch.cc");
    println!("cargo:rerun-if-changed=shim/launch.h");
    println!("cargo:rerun-if-changed=src/backend/linux.rs");
    println!("cargo:rerun-if-env-changed=MLX_DIR");
    println!("cargo:rerun-if-env-changed=BENCHBAR_NO_OPENBLAS");
    let target_os = std::env::var("CARGO_CFG_TARGET_OS").unwrap_or_default();
    let manifest = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("CARGO_MANIFEST_DIR"));
    let repo = manifest
        .parent()
        .and_then(Path::parent)
        .unwrap_or(&manifest)
        .to_path_buf();
    let venv_python = repo.join(".venv/bin/python");
    if venv_python.exists() {
        println!("cargo:rerun-if-changed={}", venv_python.display());
    }

    println!("cargo:rerun-if-changed=assets");

    if target_os != "linux" {
        return; // macOS uses mlx-rs (src/backend/macos.rs); nothing to build here.
    }

    let mlx_dir = find_mlx(&venv_python).unwrap_or_else(|why| {
        panic!(
            "\n\nbenchbar-mlx: cannot find the MLX C++ library ({why}).\n\
             Run `scripts/setup-python.sh` (creates <repo>/.venv with the pinned `mlx` + `mlx-cpu` \
             wheels), or set MLX_DIR to a python `mlx` package directory containing include/mlx \
             and lib/libmlx.so.\n\n"
        )
    });
    let include = mlx_dir.join("include");
    let lib = mlx_dir.join("lib");

    let openblas = Path::new("/usr/lib/x86_64-linux-gnu/libopenblas.so.0");
    let use_openblas = std::env::var_os("BENCHBAR_NO_OPENBLAS").is_none()
        && (openblas.exists() || Path::new("/usr/lib/aarch64-linux-gnu/libopenblas.so.0").exists());

    let mut build = cxx_build::bridge("src/backend/linux.rs");
    build
        .file("shim/shim.cc")
        .file("shim/kernels.cc")
        .file("shim/launch.cc")
        .include(&include)
        .flag_if_supported("-std=c++20")
        .flag_if_supported("-Wno-unused-parameter")
        .flag_if_supported("-Wno-deprecated-declarations")
        .opt_level(2);
    if use_openblas {
        build.define("BENCHBAR_OPENBLAS", None);
    }
    build.compile("benchbar_mlx_shim");

    // Link against a symlinked mirror of the wheel inside OUT_DIR: cargo puts link-search paths
    // that lie inside the target dir on LD_LIBRARY_PATH for `cargo run`/`cargo test`, so every
    // dependent crate's tests and binaries find libmlx.so (and, via libmlx's own
    // $ORIGIN/../../mlx_cpu.libs rpath, its BLAS) without an rpath of their own.
    let link_dir = mirror_site(&mlx_dir).unwrap_or_else(|| lib.clone());
    println!("cargo:rustc-link-search=native={}", link_dir.display());
    if use_openblas {
        // Must come before libmlx so its cblas_* symbols win over the wheel's reference BLAS.
        for dir in ["/usr/lib/x86_64-linux-gnu", "/usr/lib/aarch64-linux-gnu"] {
            if Path::new(dir).join("libopenblas.so.0").exists() {
                println!("cargo:rustc-link-search=native={dir}");
            }
        }
        println!("cargo:rustc-link-lib=dylib:+verbatim=libopenblas.so.0");
    }
    println!("cargo:rustc-link-lib=dylib=mlx");
    println!("cargo:rustc-link-lib=dylib=dl"); // dlsym (shim/launch.cc)
                                               // rpath for this crate's own tests/examples; dependents read DEP_BENCHBAR_MLX_LIB_DIR.
    println!("cargo:rustc-link-arg=-Wl,-rpath,{}", lib.display());
    println!("cargo:lib_dir={}", lib.display());
    println!("cargo:include={}", include.display());
}

fn find_mlx(venv_python: &Path) -> Result<PathBuf, String> {
    if let Some(dir) = std::env::var_os("MLX_DIR") {
        let dir = PathBuf::from(dir);
        return check(&dir).map_err(|e| format!("MLX_DIR={}: {e}", dir.display()));
    }
    let mut tried = Vec::new();
    for py in [venv_python.as_os_str(), "python3".as_ref()] {
        let out = Command::new(py)
            // `mlx` is a namespace package (no __init__.py, `mlx.__file__` is None): use __path__.
            .args(["-c", "import mlx.core, mlx; print(list(mlx.__path__)[0])"])
            .output();
        match out {
            Ok(o) if o.status.success() => {
                let dir = PathBuf::from(String::from_utf8_lossy(&o.stdout).trim());
                match check(&dir) {
                    Ok(d) => return Ok(d),
                    Err(e) => tried.push(format!("{}: {e}", Path::new(py).display())),
                }
            }
            Ok(_) => tried.push(format!("{}: `import mlx` failed", Path::new(py).display())),
            Err(e) => tried.push(format!("{}: {e}", Path::new(py).display())),
        }
    }
    Err(tried.join("; "))
}

fn check(dir: &Path) -> Result<PathBuf, String> {
    if dir.join("include/mlx/mlx.h").exists() && dir.join("lib/libmlx.so").exists() {
        Ok(dir.canonicalize().unwrap_or_else(|_| dir.to_path_buf()))
    } else {
        Err(format!(
            "{} lacks include/mlx/mlx.h or lib/libmlx.so",
            dir.display()
        ))
    }
}

/// `OUT_DIR/site/{mlx, mlx_cpu.libs}` as symlinks to the wheel's directories; returns the
/// mirrored `mlx/lib` (None if symlinking fails).
fn mirror_site(mlx_dir: &Path) -> Option<PathBuf> {
    let out = PathBuf::from(std::env::var_os("OUT_DIR")?).join("site");
    let site = mlx_dir.parent()?;
    std::fs::create_dir_all(&out).ok()?;
    for name in ["mlx", "mlx_cpu.libs"] {
        let link = out.join(name);
        let _ = std::fs::remove_file(&link);
        let target = site.join(name);
        if target.exists() {
            std::os::unix::fs::symlink(&target, &link).ok()?;
        }
    }
    Some(out.join("mlx").join("lib"))
}
