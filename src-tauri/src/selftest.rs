//! `benchbar-app --self-test`: proves an installed app works on its own, without a window: it
//! makes (or finds) `builtin:tiny`, loads it on MLX's default device (Metal on a Mac: this needs
//! the bundle's mlx.metallib) and generates a few tokens. One line and exit 0 when it works;
//! one `error:` line and exit 1 when not. scripts/package-macos.sh runs it on the built .app.

use std::time::Instant;

use benchbar_mlx::{resolve_model, GenerateOptions, Qwen3Runtime};

/// Tokens the self-test generates.
const TOKENS: usize = 8;

/// Runs the self-test and returns the process exit code.
pub fn run() -> i32 {
    match check() {
        Ok(line) => {
            println!("self-test: ok: {line}");
            0
        }
        Err(e) => {
            eprintln!("error: self-test: {e}");
            1
        }
    }
}

fn check() -> Result<String, benchbar_mlx::Error> {
    let dir = resolve_model("builtin:tiny")?;
    let mut rt = Qwen3Runtime::load(&dir)?;
    let prompt = rt.encode("Hello from the menu bar", true)?;
    let opts = GenerateOptions {
        max_tokens: TOKENS,
        suppress_eos: true,
        ..GenerateOptions::default()
    };
    let start = Instant::now();
    let out = rt.generate(&[prompt], &opts, &mut |_| {})?;
    let took = start.elapsed();
    Ok(format!(
        "builtin:tiny generated {} tokens in {:.0} ms on {} ({})",
        out[0].len(),
        took.as_secs_f64() * 1e3,
        benchbar_mlx::device_name(),
        dir.display()
    ))
}
