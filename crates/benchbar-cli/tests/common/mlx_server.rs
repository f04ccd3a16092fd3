//! A real `mlx_lm.server` serving a tiny fixture model, started on 127.0.0.1 at a free port and
//! killed on drop (even when a test panics).
//!
//! Needs the venv of scripts/setup-python.sh (`BENCHBAR_PYTHON` overrides the interpreter) and
//! the fixtures of scripts/fixtures.sh (`BENCHBAR_FIXTURES`, default `<repo>/.fixtures`).

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command as StdCommand, Stdio};
use std::time::{Duration, Instant};

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The model fixtures (`BENCHBAR_FIXTURES`, else `<repo>/.fixtures`).
pub fn fixtures() -> PathBuf {
    std::env::var_os("BENCHBAR_FIXTURES")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo().join(".fixtures"))
}

fn python() -> PathBuf {
    std::env::var_os("BENCHBAR_PYTHON")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo().join(".venv/bin/python"))
}

/// A running `mlx_lm.server`; killed on drop.
pub struct MlxServer {
    child: Child,
    /// The API's base URL, `http://127.0.0.1:PORT/v1`.
    pub base: String,
    dir: tempfile::TempDir,
}

impl MlxServer {
    /// Serves `.fixtures/tiny-f32`; panics with the server's log when it does not come up.
    pub fn start() -> MlxServer {
        let model = fixtures().join("tiny-f32");
        assert!(
            model.join("config.json").exists(),
            "no tiny fixture model at {} (run scripts/fixtures.sh)",
            model.display()
        );
        let dir = tempfile::tempdir().unwrap();
        let hf = dir.path().join("hf-cache");
        std::fs::create_dir_all(&hf).unwrap();
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let log = std::fs::File::create(dir.path().join("server.log")).unwrap();
        let child = StdCommand::new(python())
            .args(["-m", "mlx_lm.server", "--host", "127.0.0.1", "--port"])
            .arg(port.to_string())
            .arg("--model")
            .arg(&model)
            .env("HF_HUB_CACHE", &hf)
            .env("HF_HUB_OFFLINE", "1")
            .stdin(Stdio::null())
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .unwrap_or_else(|e| {
                panic!("cannot start {} -m mlx_lm.server: {e}", python().display())
            });
        let mut server = MlxServer {
            child,
            base: format!("http://127.0.0.1:{port}/v1"),
            dir,
        };
        server.wait_ready(port, Duration::from_secs(120));
        server
    }

    /// What the server wrote so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("server.log")).unwrap_or_default()
    }

    fn wait_ready(&mut self, port: u16, limit: Duration) {
        let start = Instant::now();
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                panic!("mlx_lm.server exited ({status}):\n{}", self.log());
            }
            if let Ok(mut s) = TcpStream::connect(("127.0.0.1", port)) {
                let _ = s.set_read_timeout(Some(Duration::from_secs(5)));
                let _ =
                    s.write_all(b"GET /v1/models HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
                let mut buf = String::new();
                let _ = s.read_to_string(&mut buf);
                if buf.starts_with("HTTP/1.0 200") || buf.starts_with("HTTP/1.1 200") {
                    return;
                }
            }
            assert!(
                start.elapsed() < limit,
                "mlx_lm.server not ready within {limit:?}:\n{}",
                self.log()
            );
            std::thread::sleep(Duration::from_millis(250));
        }
    }
}

impl Drop for MlxServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
