//! The fake hub's HTTP side: one request per connection, routed like the hub's file API.

use std::collections::{BTreeMap, HashMap};
use std::io::{BufRead, BufReader, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;
use std::time::Duration;

use sha1::{Digest, Sha1};
use sha2::Sha256;

use super::{Fault, LoggedRequest, State};

/// git's blob id of `bytes`.
fn git_sha1(bytes: &[u8]) -> String {
    let mut h = Sha1::new();
    h.update(format!("blob {}\0", bytes.len()).as_bytes());
    h.update(bytes);
    format!("{:x}", h.finalize())
}

fn sha256(bytes: &[u8]) -> String {
    format!("{:x}", Sha256::digest(bytes))
}

fn is_lfs(file: &str) -> bool {
    file.ends_with(".safetensors")
}

struct Request {
    method: String,
    path: String,
    headers: HashMap<String, String>,
}

fn read_request(conn: &TcpStream) -> Option<Request> {
    let mut r = BufReader::new(conn.try_clone().ok()?);
    let mut line = String::new();
    r.read_line(&mut line).ok()?;
    let mut parts = line.split_whitespace();
    let (method, path) = (parts.next()?.to_string(), parts.next()?.to_string());
    let mut headers = HashMap::new();
    loop {
        let mut h = String::new();
        if r.read_line(&mut h).ok()? == 0 || h.trim().is_empty() {
            break;
        }
        if let Some((k, v)) = h.split_once(':') {
            headers.insert(k.trim().to_ascii_lowercase(), v.trim().to_string());
        }
    }
    Some(Request {
        method,
        path,
        headers,
    })
}

/// A response: status, headers, body (content of a repo file, possibly faulted).
struct Reply {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
    content_of: Option<String>,
    fault: Option<Fault>,
}

fn reply(status: u16, headers: Vec<(&str, String)>, body: Vec<u8>) -> Reply {
    Reply {
        status,
        headers: headers
            .into_iter()
            .map(|(k, v)| (k.to_string(), v))
            .collect(),
        body,
        content_of: None,
        fault: None,
    }
}

fn error(status: u16, code: &str) -> Reply {
    let body = format!("{{\"error\":\"{code}\"}}").into_bytes();
    reply(status, vec![("X-Error-Code", code.to_string())], body)
}

pub(super) fn serve(
    mut conn: TcpStream,
    addr: SocketAddr,
    state: &Mutex<State>,
    stop: &AtomicBool,
) {
    let Some(req) = read_request(&conn) else {
        return;
    };
    let r = {
        let mut st = state.lock().unwrap_or_else(|p| p.into_inner());
        let r = route(&req, addr, &mut st);
        st.log.push(LoggedRequest {
            method: req.method.clone(),
            path: req.path.clone(),
            content_of: r.content_of.clone(),
            range: req.headers.get("range").cloned(),
        });
        r
    };
    let reason = match r.status {
        200 => "OK",
        206 => "Partial Content",
        302 => "Found",
        401 => "Unauthorized",
        404 => "Not Found",
        416 => "Range Not Satisfiable",
        _ => "Other",
    };
    let mut head = format!("HTTP/1.1 {} {reason}\r\nConnection: close\r\n", r.status);
    for (k, v) in &r.headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    head.push_str(&format!("Content-Length: {}\r\n\r\n", r.body.len()));
    let _ = conn.write_all(head.as_bytes());
    if req.method == "HEAD" {
        return;
    }
    let cut = match &r.fault {
        Some(Fault::DropConnection { after_bytes, .. } | Fault::Stall { after_bytes, .. }) => {
            (*after_bytes as usize).min(r.body.len())
        }
        _ => r.body.len(),
    };
    let _ = conn.write_all(&r.body[..cut]);
    let _ = conn.flush();
    if let Some(Fault::Stall { .. }) = r.fault {
        while !stop.load(Ordering::SeqCst) {
            std::thread::sleep(Duration::from_millis(20));
        }
    }
    let _ = conn.shutdown(std::net::Shutdown::Both);
}

fn route(req: &Request, addr: SocketAddr, st: &mut State) -> Reply {
    let path = req.path.split('?').next().unwrap_or("");
    let auth = req.headers.get("authorization").cloned();
    let find = |st: &State, repo: &str| -> Result<(String, BTreeMap<String, Vec<u8>>), Reply> {
        let r = st
            .repos
            .get(repo)
            .ok_or_else(|| error(404, "RepoNotFound"))?;
        match &r.token {
            Some(t) if auth.as_deref() != Some(&format!("Bearer {t}")) => {
                Err(error(401, "GatedRepo"))
            }
            _ => Ok((r.commit.clone(), r.files.clone())),
        }
    };
    if let Some(rest) = path.strip_prefix("/api/models/") {
        let Some((repo, rev)) = rest.rsplit_once("/revision/") else {
            return error(404, "RepoNotFound");
        };
        let (commit, files) = match find(st, repo) {
            Ok(x) => x,
            Err(e) => return e,
        };
        if rev != "main" && rev != commit {
            return error(404, "RevisionNotFound");
        }
        let siblings: Vec<_> = files
            .iter()
            .map(|(name, bytes)| {
                let mut s = serde_json::json!({"rfilename": name, "size": bytes.len(), "blobId": git_sha1(bytes)});
                if is_lfs(name) {
                    s["lfs"] = serde_json::json!({"sha256": sha256(bytes), "size": bytes.len(), "pointerSize": 134});
                }
                s
            })
            .collect();
        let body =
            serde_json::json!({"id": repo, "modelId": repo, "sha": commit, "siblings": siblings});
        return reply(
            200,
            vec![("Content-Type", "application/json".into())],
            body.to_string().into_bytes(),
        );
    }
    if let Some(rest) = path.strip_prefix("/cdn-lfs/") {
        let Some((repo, sha)) = rest.rsplit_once('/') else {
            return error(404, "EntryNotFound");
        };
        let hit = st.repos.get(repo).and_then(|r| {
            r.files
                .iter()
                .find(|(_, b)| sha256(b) == sha)
                .map(|(n, b)| (n.clone(), b.clone()))
        });
        return match hit {
            Some((name, bytes)) => content(req, st, &name, bytes),
            None => error(404, "EntryNotFound"),
        };
    }
    let Some((repo, rest)) = path.trim_start_matches('/').split_once("/resolve/") else {
        return error(404, "RepoNotFound");
    };
    let Some((rev, file)) = rest.split_once('/') else {
        return error(404, "EntryNotFound");
    };
    let (commit, files) = match find(st, repo) {
        Ok(x) => x,
        Err(e) => return e,
    };
    if rev != "main" && rev != commit {
        return error(404, "RevisionNotFound");
    }
    let Some(bytes) = files.get(file).cloned() else {
        return error(404, "EntryNotFound");
    };
    if is_lfs(file) {
        let sha = sha256(&bytes);
        let headers = vec![
            ("Location", format!("http://{addr}/cdn-lfs/{repo}/{sha}")),
            ("X-Linked-Etag", format!("\"{sha}\"")),
            ("X-Linked-Size", bytes.len().to_string()),
            ("X-Repo-Commit", commit),
            ("ETag", format!("\"{}\"", git_sha1(file.as_bytes()))),
        ];
        return reply(302, headers, Vec::new());
    }
    let mut r = content(req, st, file, bytes.clone());
    r.headers.push(("X-Repo-Commit".into(), commit));
    r.headers
        .push(("ETag".into(), format!("\"{}\"", git_sha1(&bytes))));
    r
}

/// The file's bytes (ranged, faulted) for a GET; headers only for a HEAD.
fn content(req: &Request, st: &mut State, file: &str, mut bytes: Vec<u8>) -> Reply {
    let total = bytes.len() as u64;
    let mut fault = None;
    if req.method == "GET" {
        if st.faults.contains(&Fault::Corrupt { file: file.into() }) {
            if let Some(b) = bytes.last_mut() {
                *b ^= 0xff;
            }
        }
        let once = st.faults.iter().position(|f| match f {
            Fault::DropConnection { file: f, .. } | Fault::Stall { file: f, .. } => f == file,
            Fault::Corrupt { .. } => false,
        });
        fault = once.map(|i| st.faults.remove(i));
    }
    let start = req
        .headers
        .get("range")
        .and_then(|r| r.strip_prefix("bytes="))
        .and_then(|r| r.split('-').next())
        .and_then(|s| s.parse::<u64>().ok());
    let mut headers = vec![("Accept-Ranges", "bytes".to_string())];
    let (status, body) = match start {
        Some(s) if s >= total => return error(416, "RangeNotSatisfiable"),
        Some(s) => {
            headers.push(("Content-Range", format!("bytes {s}-{}/{total}", total - 1)));
            (206, bytes.split_off(s as usize))
        }
        None => (200, bytes),
    };
    // A HEAD keeps the body here for its Content-Length; `serve` sends headers only.
    let mut r = reply(status, headers, body);
    r.content_of = (req.method == "GET").then(|| file.to_string());
    r.fault = fault;
    r
}
