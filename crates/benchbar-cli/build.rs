//! Sets an rpath to the MLX library benchbar-mlx linked against (Linux), so `benchbar` runs
//! without LD_LIBRARY_PATH. benchbar-mlx exports the directory as `DEP_BENCHBAR_MLX_LIB_DIR`.

fn main() {
    println!("cargo:rerun-if-env-changed=DEP_BENCHBAR_MLX_LIB_DIR");
    if let Ok(dir) = std::env::var("DEP_BENCHBAR_MLX_LIB_DIR") {
        println!("cargo:rustc-link-arg=-Wl,-rpath,{dir}");
    }
}
