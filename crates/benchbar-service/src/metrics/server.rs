//! The exporter's HTTP server (`benchbar serve`, the app's setting): read-only, `GET /metrics`
//! (the history's exposition) and `GET /` (a short page), nothing else. Each connection gets one
//! response and is closed; a request head is read for at most the request timeout
//! ([`REQUEST_TIMEOUT`] by default) and [`MAX_REQUEST_BYTES`]; at most [`MAX_CONNECTIONS`] are
//! served at once (more get 503); an optional bearer token guards `/metrics`.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use benchbar_core::sync::lock_unpoisoned;
use benchbar_store::Store;

use crate::{Error, Result};

/// The default address: loopback, the port Prometheus' exporter list gives BenchBar's kind.
pub const DEFAULT_LISTEN: &str = "127.0.0.1:9464";

/// Default longest time to receive a request's head.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(5);

/// Largest request head read (request line and headers; no body is read).
pub const MAX_REQUEST_BYTES: usize = 8 * 1024;

/// Connections served at once.
pub const MAX_CONNECTIONS: usize = 8;

/// What to serve and how.
#[derive(Clone, Debug)]
pub struct ServeOptions {
    /// Address to listen on.
    pub listen: SocketAddr,
    /// The history database.
    pub db: PathBuf,
    /// When set, `/metrics` needs `Authorization: Bearer <token>`.
    pub token: Option<String>,
    /// Longest time to receive a request's head (then 408).
    pub request_timeout: Duration,
}

impl ServeOptions {
    /// Serving `db` on `listen`, no token, the default request timeout.
    pub fn new(listen: SocketAddr, db: PathBuf) -> ServeOptions {
        ServeOptions {
            listen,
            db,
            token: None,
            request_timeout: REQUEST_TIMEOUT,
        }
    }
}

/// A bound exporter.
pub struct Server {
    listener: TcpListener,
    state: Arc<State>,
}

struct State {
    store: Mutex<Store>,
    /// The last exposition and the runs version it was made from: a scrape while no run was
    /// stored or removed answers from here.
    cache: Mutex<Option<((i64, i64), String)>>,
    token: Option<String>,
    busy: AtomicUsize,
    request_timeout: Duration,
}

impl Server {
    /// Opens the database (creating or upgrading it as any BenchBar command would), then
    /// listens. A port in use or an unopenable database is one error line.
    pub fn bind(opts: &ServeOptions) -> Result<Server> {
        drop(Store::open(&opts.db)?);
        let store = Store::open_read_only(&opts.db)?;
        let listener = TcpListener::bind(opts.listen)
            .map_err(|e| Error::Invalid(format!("cannot listen on {}: {e}", opts.listen)))?;
        Ok(Server {
            listener,
            state: Arc::new(State {
                store: Mutex::new(store),
                cache: Mutex::new(None),
                token: opts.token.clone().filter(|t| !t.is_empty()),
                busy: AtomicUsize::new(0),
                request_timeout: opts.request_timeout,
            }),
        })
    }

    /// The address listened on (the port chosen when 0 was asked for).
    pub fn local_addr(&self) -> SocketAddr {
        self.listener
            .local_addr()
            .expect("a bound listener has an address")
    }

    /// A warning for an address other machines can reach, None for loopback.
    pub fn exposure_warning(&self) -> Option<String> {
        let addr = self.local_addr();
        (!addr.ip().is_loopback()).then(|| {
            format!(
                "serving on {addr}, reachable from other machines{}",
                if self.state.token.is_some() {
                    " (bearer token required)"
                } else {
                    ": anyone who can reach it reads your benchmark history (set a token)"
                }
            )
        })
    }

    /// Serves until `stop` is set (noticed within 100 ms).
    pub fn run(&self, stop: &AtomicBool) -> Result<()> {
        let port = self.local_addr().port();
        let ended = AtomicBool::new(false);
        std::thread::scope(|scope| {
            // accept() blocks (no polling delay on a scrape); this watcher wakes it with a
            // connection of its own once `stop` is set.
            scope.spawn(|| {
                while !stop.load(Ordering::Relaxed) && !ended.load(Ordering::Relaxed) {
                    std::thread::sleep(Duration::from_millis(100));
                }
                let _ = TcpStream::connect_timeout(
                    &SocketAddr::from(([127, 0, 0, 1], port)),
                    Duration::from_secs(1),
                );
            });
            let result = self.accept_until(stop);
            ended.store(true, Ordering::Relaxed);
            result
        })
    }

    fn accept_until(&self, stop: &AtomicBool) -> Result<()> {
        loop {
            match self.listener.accept() {
                Ok(_) if stop.load(Ordering::Relaxed) => return Ok(()),
                Ok((stream, _)) => {
                    let state = self.state.clone();
                    if state.busy.fetch_add(1, Ordering::SeqCst) >= MAX_CONNECTIONS {
                        state.busy.fetch_sub(1, Ordering::SeqCst);
                        let _ = respond(stream, 503, "text/plain", b"busy\n", false);
                        continue;
                    }
                    std::thread::spawn(move || {
                        handle(stream, &state);
                        state.busy.fetch_sub(1, Ordering::SeqCst);
                    });
                }
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => return Err(Error::Invalid(format!("exporter: {e}"))),
            }
        }
    }
}

/// The history's exposition, from the cache while the runs are unchanged.
fn exposition(state: &State) -> Result<String> {
    let store = lock_unpoisoned(&state.store);
    let version = store.runs_version()?;
    let mut cache = lock_unpoisoned(&state.cache);
    if let Some((v, text)) = cache.as_ref() {
        if *v == version {
            return Ok(text.clone());
        }
    }
    let text = super::history_exposition(&store)?;
    *cache = Some((version, text.clone()));
    Ok(text)
}

/// Reads one request head and answers it.
fn handle(mut stream: TcpStream, state: &State) {
    let _ = stream.set_write_timeout(Some(state.request_timeout));
    let head = match read_head(&mut stream, state.request_timeout) {
        Ok(h) => h,
        Err(status) => {
            let _ = respond(stream, status, "text/plain", b"bad request\n", false);
            return;
        }
    };
    let mut lines = head.lines();
    let request = lines.next().unwrap_or_default();
    let mut parts = request.split(' ');
    let (method, target) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""));
    let head_only = method == "HEAD";
    if method != "GET" && !head_only {
        let _ = respond(stream, 405, "text/plain", b"only GET\n", false);
        return;
    }
    let path = target.split('?').next().unwrap_or("");
    match path {
        "/" => {
            let page = b"<html><head><title>BenchBar exporter</title></head><body>\
                <h1>BenchBar exporter</h1><p><a href=\"/metrics\">/metrics</a>: the benchmark \
                history in the Prometheus text format.</p></body></html>\n";
            let _ = respond(stream, 200, "text/html; charset=utf-8", page, head_only);
        }
        "/metrics" => {
            if let Some(token) = &state.token {
                let given = lines
                    .filter_map(|l| l.split_once(':'))
                    .find(|(k, _)| k.trim().eq_ignore_ascii_case("authorization"))
                    .and_then(|(_, v)| v.trim().strip_prefix("Bearer "))
                    .unwrap_or("");
                if !same(given.trim().as_bytes(), token.as_bytes()) {
                    let _ = respond(stream, 401, "text/plain", b"unauthorized\n", false);
                    return;
                }
            }
            match exposition(state) {
                Ok(t) => {
                    let kind = "text/plain; version=0.0.4; charset=utf-8";
                    let _ = respond(stream, 200, kind, t.as_bytes(), head_only);
                }
                Err(e) => {
                    let body = format!("cannot read the history: {e}\n");
                    let _ = respond(stream, 500, "text/plain", body.as_bytes(), false);
                }
            }
        }
        _ => {
            let _ = respond(stream, 404, "text/plain", b"not found\n", false);
        }
    }
}

/// The request head (up to the blank line), within the size and time limits; else the status
/// to answer (400, 408 or 431).
fn read_head(stream: &mut TcpStream, timeout: Duration) -> std::result::Result<String, u16> {
    let deadline = Instant::now() + timeout;
    let mut buf = Vec::with_capacity(1024);
    let mut chunk = [0u8; 1024];
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err(408);
        }
        let _ = stream.set_read_timeout(Some(left));
        match stream.read(&mut chunk) {
            Ok(0) => return Err(400),
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) =>
            {
                return Err(408)
            }
            Err(_) => return Err(400),
        }
        if let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            buf.truncate(end);
            return String::from_utf8(buf).map_err(|_| 400);
        }
        if buf.len() > MAX_REQUEST_BYTES {
            return Err(431);
        }
    }
}

fn respond(
    mut stream: TcpStream,
    status: u16,
    kind: &str,
    body: &[u8],
    head_only: bool,
) -> std::io::Result<()> {
    let reason = match status {
        200 => "OK",
        400 => "Bad Request",
        401 => "Unauthorized",
        404 => "Not Found",
        405 => "Method Not Allowed",
        408 => "Request Timeout",
        431 => "Request Header Fields Too Large",
        503 => "Service Unavailable",
        _ => "Internal Server Error",
    };
    let auth = if status == 401 {
        "WWW-Authenticate: Bearer\r\n"
    } else {
        ""
    };
    let head = format!(
        "HTTP/1.1 {status} {reason}\r\nContent-Type: {kind}\r\nContent-Length: {}\r\n{auth}\
         Cache-Control: no-store\r\nConnection: close\r\n\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes())?;
    if !head_only {
        stream.write_all(body)?;
    }
    stream.flush()
}

/// Compares a given token with the expected one in time independent of where they differ.
fn same(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// The database path as served, for messages.
pub fn describe(db: &Path, addr: SocketAddr) -> String {
    format!(
        "serving {} as Prometheus metrics on http://{addr}/metrics",
        db.display()
    )
}
