//! `benchbar`: the BenchBar command-line interface.

mod cli;
mod cmd;
mod engines;
/// The exporters live in the service crate (shared with the app).
pub(crate) use benchbar_service::export;
mod progress;

use std::process::ExitCode;

use clap::Parser;

/// Exit code for bad input and every other error.
const EXIT_ERROR: u8 = 2;

fn main() -> ExitCode {
    let cli = match cli::Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let code = e.exit_code();
            let _ = e.print();
            return ExitCode::from(u8::try_from(code).unwrap_or(EXIT_ERROR));
        }
    };
    match cmd::dispatch(cli) {
        Ok(code) => code,
        Err(e) => {
            // One clear line: the error and its causes.
            let chain: Vec<String> = e.chain().map(|c| c.to_string()).collect();
            eprintln!("error: {}", chain.join(": "));
            ExitCode::from(EXIT_ERROR)
        }
    }
}
