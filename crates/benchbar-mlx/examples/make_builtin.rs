//! Writes the built-in models (`tiny-f32`, `tiny-4bit`, `tiny-8bit`) into a folder, as the
//! binary does on first use; scripts/fixtures.sh uses it so that the mlx_lm oracle checks the
//! very files `builtin:tiny` is.
//!
//! `cargo run -p benchbar-mlx --example make_builtin -- DIR [tiny|tiny-4bit|tiny-8bit]...`

use benchbar_mlx::builtin::Builtin;

fn main() {
    let mut args = std::env::args().skip(1);
    let Some(dir) = args.next() else {
        eprintln!("usage: make_builtin DIR [tiny|tiny-4bit|tiny-8bit]...");
        std::process::exit(2);
    };
    let names: Vec<String> = args.collect();
    let names = if names.is_empty() {
        vec!["tiny".into(), "tiny-4bit".into(), "tiny-8bit".into()]
    } else {
        names
    };
    for name in names {
        let Some(b) = Builtin::from_name(&name) else {
            eprintln!("make_builtin: unknown builtin '{name}'");
            std::process::exit(2);
        };
        match b.ensure(std::path::Path::new(&dir)) {
            Ok(path) => println!("{}", path.display()),
            Err(e) => {
                eprintln!("make_builtin: {e}");
                std::process::exit(1);
            }
        }
    }
}
