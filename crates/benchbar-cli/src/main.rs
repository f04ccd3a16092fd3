//! `benchbar`: the BenchBar command-line interface.

mod cli;
mod cmd;
mod engines;
/// The exporters live in the service crate (shared with the app).
pub(crate) use benchbar_service::export;
mod progress;
mod signals;

use std::process::ExitCode;

/// Exit code for bad input and every other error.
pub(crate) const EXIT_ERROR: u8 = 2;

fn main() -> ExitCode {
    let cli = match cli::parse() {
        Ok(c) => c,
        Err(code) => return code,
    };
    match cmd::dispatch(cli) {
        Ok(code) => code,
        Err(e) => {
            // One clear line: the error and its causes, skipping a cause whose text the line
            // already holds (errors that embed their source would otherwise repeat it).
            let mut line = String::new();
            for cause in e.chain().map(|c| c.to_string()) {
                if !line.contains(&cause) {
                    if !line.is_empty() {
                        line.push_str(": ");
                    }
                    line.push_str(&cause);
                }
            }
            eprintln!("error: {line}");
            ExitCode::from(EXIT_ERROR)
        }
    }
}
