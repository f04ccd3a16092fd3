//! `TestHub`, a test double of the Hugging Face hub: a real HTTP server on 127.0.0.1 (std
//! threads) serving the file API the way the hub does, for this crate's and the CLI's tests.
//! Built only with the `testing` feature.
//!
//! - `GET /api/models/{repo}/revision/{rev}`: `sha` and `siblings` (with `size`, and `lfs`
//!   for `.safetensors` files).
//! - `HEAD`/`GET /{repo}/resolve/{rev}/{file}`: small files answer 200 with `ETag` (git blob
//!   sha1), `X-Repo-Commit`, `Content-Length`; `.safetensors` files (LFS) answer 302 to
//!   `/cdn-lfs/...` with `X-Linked-Etag` (sha256), `X-Linked-Size`, `X-Repo-Commit`.
//! - `Range: bytes=N-` → 206 + `Content-Range`. Errors carry `X-Error-Code` (RepoNotFound,
//!   RevisionNotFound, EntryNotFound, GatedRepo).
//! - Injected [`Fault`]s: a dropped connection, a stalled transfer, corrupted content.

use std::collections::{BTreeMap, HashMap};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

use sha1::{Digest, Sha1};

mod http;
use http::serve;

/// A fault injected into the transfer of one file's content.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fault {
    /// Announces the whole length, sends `after_bytes` bytes, then closes the connection
    /// (once: the next request is served normally).
    DropConnection {
        /// The file in the repo.
        file: String,
        /// Bytes of the file sent before the drop.
        after_bytes: u64,
    },
    /// Sends `after_bytes` bytes, then sends nothing more until the hub is dropped (once).
    Stall {
        /// The file in the repo.
        file: String,
        /// Bytes of the file sent before the stall.
        after_bytes: u64,
    },
    /// Serves the file with its last byte changed but the original's etag (always).
    Corrupt {
        /// The file in the repo.
        file: String,
    },
}

/// A request the hub received.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoggedRequest {
    /// "GET" or "HEAD".
    pub method: String,
    /// Path and query.
    pub path: String,
    /// The repo file whose content was sent, for content transfers.
    pub content_of: Option<String>,
    /// The `Range` header, if any.
    pub range: Option<String>,
}

struct FakeRepo {
    commit: String,
    files: BTreeMap<String, Vec<u8>>,
    /// A gated repo answers 401 unless the request carries this token.
    token: Option<String>,
}

#[derive(Default)]
struct State {
    repos: HashMap<String, FakeRepo>,
    log: Vec<LoggedRequest>,
    faults: Vec<Fault>,
}

/// The fake hub; stops when dropped.
pub struct TestHub {
    addr: SocketAddr,
    state: Arc<Mutex<State>>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl TestHub {
    /// Starts on a free port of 127.0.0.1.
    pub fn start() -> TestHub {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
        let addr = listener.local_addr().expect("local addr");
        let state = Arc::new(Mutex::new(State::default()));
        let stop = Arc::new(AtomicBool::new(false));
        let (st, sp) = (state.clone(), stop.clone());
        let thread = std::thread::spawn(move || {
            for conn in listener.incoming() {
                if sp.load(Ordering::SeqCst) {
                    break;
                }
                if let Ok(conn) = conn {
                    let (st, sp) = (st.clone(), sp.clone());
                    std::thread::spawn(move || serve(conn, addr, &st, &sp));
                }
            }
        });
        TestHub {
            addr,
            state,
            stop,
            thread: Some(thread),
        }
    }

    /// `http://127.0.0.1:PORT`, for HF_ENDPOINT.
    pub fn endpoint(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Publishes `repo_id` with `files` and returns its commit id.
    pub fn add_repo(&self, repo_id: &str, files: Vec<(String, Vec<u8>)>) -> String {
        let mut h = Sha1::new();
        for (name, bytes) in &files {
            h.update(name.as_bytes());
            h.update(bytes);
        }
        let commit = format!("{:x}", h.finalize());
        let repo = FakeRepo {
            commit: commit.clone(),
            files: files.into_iter().collect(),
            token: None,
        };
        self.lock().repos.insert(repo_id.to_string(), repo);
        commit
    }

    /// Publishes every file of `dir` (not recursive) as `repo_id`; returns the commit id.
    pub fn add_dir(&self, repo_id: &str, dir: &Path) -> String {
        let mut files = Vec::new();
        for e in std::fs::read_dir(dir).expect("fixture dir").flatten() {
            if e.path().is_file() {
                let name = e.file_name().to_string_lossy().into_owned();
                files.push((name, std::fs::read(e.path()).expect("fixture file")));
            }
        }
        self.add_repo(repo_id, files)
    }

    /// Makes `repo_id` gated: only requests with `Authorization: Bearer {token}` pass.
    pub fn gate(&self, repo_id: &str, token: &str) {
        if let Some(r) = self.lock().repos.get_mut(repo_id) {
            r.token = Some(token.to_string());
        }
    }

    /// Injects a fault.
    pub fn inject(&self, fault: Fault) {
        self.lock().faults.push(fault);
    }

    /// Every request so far.
    pub fn requests(&self) -> Vec<LoggedRequest> {
        self.lock().log.clone()
    }

    /// How many responses carried content of `file`.
    pub fn content_transfers(&self, file: &str) -> usize {
        let log = self.lock();
        log.log
            .iter()
            .filter(|r| r.content_of.as_deref() == Some(file))
            .count()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }
}

impl Drop for TestHub {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        let _ = TcpStream::connect(self.addr);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}
