//! The app's Prometheus exporter (Settings → "Serve metrics"): the same server as
//! `benchbar serve`, off by default and on loopback by default, started and stopped as the
//! settings change.

use std::net::SocketAddr;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

use benchbar_core::sync::lock_unpoisoned;
use benchbar_service::metrics::server::{ServeOptions, Server};

use crate::error::{CmdError, CmdResult};
use crate::settings::ExporterSettings;

/// The exporter of the running app, if on.
#[derive(Default)]
pub struct Exporter {
    running: Mutex<Option<Running>>,
}

struct Running {
    asked: SocketAddr,
    serving: SocketAddr,
    stop: Arc<AtomicBool>,
    thread: JoinHandle<()>,
}

impl Exporter {
    /// Makes the exporter follow `s`: starts it, moves it to another address, or stops it. A
    /// new address that cannot be bound (a port in use) is the error, and the exporter keeps
    /// serving where it did.
    pub fn apply(&self, s: &ExporterSettings, db: &Path) -> CmdResult<()> {
        let mut running = lock_unpoisoned(&self.running);
        let wanted = match (s.enabled, s.listen_addr()?) {
            (true, addr) => Some(addr),
            (false, _) => None,
        };
        let Some(addr) = wanted else {
            if let Some(r) = running.take() {
                r.stop();
            }
            return Ok(());
        };
        if running.as_ref().is_some_and(|r| r.asked == addr) {
            return Ok(());
        }
        let opts = ServeOptions::new(addr, db.to_path_buf());
        let server = match Server::bind(&opts) {
            Ok(server) => server,
            // Our own exporter may hold the port (e.g. 127.0.0.1:9464 -> 0.0.0.0:9464): free it
            // and try once more, putting it back if that fails too.
            Err(first) => match running.take() {
                None => return Err(CmdError::new(first.to_string())),
                Some(old) => {
                    let (old_asked, old_serving) = (old.asked, old.serving);
                    old.stop();
                    match Server::bind(&opts) {
                        Ok(server) => server,
                        Err(e) => {
                            let back = ServeOptions::new(old_serving, db.to_path_buf());
                            if let Ok(server) = Server::bind(&back) {
                                *running = Some(Running::start(old_asked, server)?);
                            }
                            return Err(CmdError::new(e.to_string()));
                        }
                    }
                }
            },
        };
        if let Some(old) = running.take() {
            old.stop();
        }
        *running = Some(Running::start(addr, server)?);
        Ok(())
    }

    /// Where it serves (`http://ADDR/metrics`), None when off.
    pub fn url(&self) -> Option<String> {
        lock_unpoisoned(&self.running)
            .as_ref()
            .map(|r| format!("http://{}/metrics", r.serving))
    }
}

impl Running {
    /// Serves `server` on a thread of its own.
    fn start(asked: SocketAddr, server: Server) -> CmdResult<Running> {
        let serving = server.local_addr();
        let stop = Arc::new(AtomicBool::new(false));
        let flag = stop.clone();
        let thread = std::thread::Builder::new()
            .name("benchbar-exporter".into())
            .spawn(move || {
                let _ = server.run(&flag);
            })
            .map_err(|e| CmdError::new(format!("cannot start the exporter: {e}")))?;
        Ok(Running {
            asked,
            serving,
            stop,
            thread,
        })
    }

    /// Stops serving and waits for the server to let go of its port.
    fn stop(self) {
        self.stop.store(true, Ordering::Relaxed);
        let _ = self.thread.join();
    }
}

impl Drop for Exporter {
    fn drop(&mut self) {
        if let Some(r) = lock_unpoisoned(&self.running).take() {
            r.stop();
        }
    }
}
