//! `benchbar serve`: the history as Prometheus metrics over HTTP until SIGINT or SIGTERM.

use std::net::SocketAddr;
use std::path::Path;
use std::process::ExitCode;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;

use anyhow::{Context, Result};
use benchbar_service::metrics::server::{describe, ServeOptions, Server, DEFAULT_LISTEN};

/// `benchbar serve` arguments.
#[derive(Debug, clap::Args)]
pub struct ServeArgs {
    /// Address to listen on. Loopback by default; another address is reachable from other
    /// machines (a warning says so).
    #[arg(long, default_value = DEFAULT_LISTEN, value_name = "ADDR")]
    pub listen: SocketAddr,
    /// Name of an environment variable holding a bearer token that scrapes must send
    /// (`Authorization: Bearer ...`); the token itself is never taken on the command line.
    #[arg(long, value_name = "NAME")]
    pub token_env: Option<String>,
}

/// Serves until stopped.
pub fn serve(db: Option<&Path>, args: ServeArgs) -> Result<ExitCode> {
    let token = match &args.token_env {
        Some(name) => Some(
            std::env::var(name)
                .ok()
                .filter(|t| !t.trim().is_empty())
                .with_context(|| format!("--token-env {name}: the variable is not set or empty"))?,
        ),
        None => None,
    };
    let db = super::db_path(db)?;
    let server = Server::bind(&ServeOptions {
        token,
        ..ServeOptions::new(args.listen, db.clone())
    })?;
    let stop = Arc::new(AtomicBool::new(false));
    crate::signals::on_stop_signals(&stop)?;
    eprintln!("{}", describe(&db, server.local_addr()));
    if let Some(w) = server.exposure_warning() {
        eprintln!("warning: {w}");
    }
    server.run(&stop)?;
    Ok(ExitCode::SUCCESS)
}
