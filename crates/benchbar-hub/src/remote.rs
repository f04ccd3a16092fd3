//! Talking to the hub: the repo-info call (through hf-hub), per-file metadata (`HEAD` on
//! `/{repo}/resolve/{commit}/{file}`, the headers huggingface_hub reads) and ranged `GET`s.

use std::time::Duration;

use hf_hub::api::tokio::{Api, ApiBuilder};
use hf_hub::{Cache, Repo, RepoType};
use reqwest::header::{
    HeaderMap, HeaderValue, AUTHORIZATION, CONTENT_LENGTH, ETAG, LOCATION, RANGE,
};
use reqwest::{redirect::Policy, Client, Response, StatusCode};
use serde::Deserialize;

use crate::{Error, HubConfig, Result};

/// A file of the repo as the info call lists it (`?blobs=true` adds size and LFS sha256).
#[derive(Debug, Clone, Deserialize)]
pub(crate) struct Sibling {
    /// Path in the repo.
    pub rfilename: String,
    /// Size in bytes, when listed.
    pub size: Option<u64>,
}

/// The repo at one revision.
#[derive(Debug, Deserialize)]
pub(crate) struct RepoInfo {
    /// The commit the revision points to.
    pub sha: String,
    /// Its files.
    pub siblings: Vec<Sibling>,
}

/// What a `HEAD` on a file tells.
#[derive(Debug, Clone)]
pub(crate) struct FileMeta {
    /// The file in the repo.
    pub file: String,
    /// sha256 (LFS files) or git blob sha1 (others), unquoted.
    pub etag: String,
    /// The file's size.
    pub size_bytes: u64,
    /// Where to `GET` it.
    pub url: String,
}

/// Clients for one repo.
pub(crate) struct Remote {
    api: Api,
    /// No redirects: metadata is read from the hub's own answer, not the CDN's.
    head_client: Client,
    /// Follows redirects (reqwest drops the token when the host changes).
    get_client: Client,
    endpoint: String,
    repo_id: String,
}

const USER_AGENT: &str = concat!("benchbar/", env!("CARGO_PKG_VERSION"), "; hf-hub/0.4");

impl Remote {
    /// Clients for `repo_id` on `config.endpoint` with `config.token`.
    pub fn new(config: &HubConfig, repo_id: &str) -> Result<Remote> {
        let api = ApiBuilder::from_cache(Cache::new(config.cache_dir.clone()))
            .with_endpoint(config.endpoint.clone())
            .with_token(config.token.clone())
            .with_progress(false)
            .build()
            .map_err(|e| Error::Hub(e.to_string()))?;
        let mut headers = HeaderMap::new();
        if let Some(t) = &config.token {
            let v = HeaderValue::from_str(&format!("Bearer {t}")).map_err(|_| {
                Error::Hub("HF_TOKEN holds characters not allowed in a header".into())
            })?;
            headers.insert(AUTHORIZATION, v);
        }
        let build = |policy: Policy| {
            Client::builder()
                .user_agent(USER_AGENT)
                .default_headers(headers.clone())
                .redirect(policy)
                .connect_timeout(Duration::from_secs(10))
                .read_timeout(Duration::from_secs(60))
                .build()
                .map_err(|e| Error::Hub(e.to_string()))
        };
        Ok(Remote {
            api,
            head_client: build(Policy::none())?,
            get_client: build(Policy::limited(10))?,
            endpoint: config.endpoint.clone(),
            repo_id: repo_id.to_string(),
        })
    }

    /// `GET /api/models/{repo}/revision/{revision}?blobs=true`.
    pub async fn info(&self, revision: &str) -> Result<RepoInfo> {
        let repo = Repo::with_revision(self.repo_id.clone(), RepoType::Model, revision.into());
        let resp = self
            .api
            .repo(repo)
            .info_request()
            .query(&[("blobs", "true")])
            .send()
            .await
            .map_err(|e| self.transport(e))?;
        let resp = self.check(resp, revision, None)?;
        resp.json()
            .await
            .map_err(|e| Error::Hub(format!("{}: unreadable repo info: {e}", self.repo_id)))
    }

    /// `HEAD /{repo}/resolve/{commit}/{file}`: etag and size (`X-Linked-*` for LFS files,
    /// which the hub answers with a redirect to its CDN; relative redirects are followed).
    pub async fn file_meta(&self, commit: &str, file: &str) -> Result<FileMeta> {
        let url = format!("{}/{}/resolve/{commit}/{file}", self.endpoint, self.repo_id);
        let mut target = url.clone();
        for _ in 0..5 {
            let resp = self
                .head_client
                .head(&target)
                .header("Accept-Encoding", "identity")
                .send()
                .await
                .map_err(|e| self.transport(e))?;
            let h = resp.headers();
            let location = h.get(LOCATION).and_then(|v| v.to_str().ok());
            if resp.status().is_redirection() && h.get("x-repo-commit").is_none() {
                if let Some(rel) = location.filter(|l| l.starts_with('/')) {
                    target = format!("{}{rel}", self.endpoint);
                    continue;
                }
            }
            let resp = if resp.status().is_redirection() {
                resp
            } else {
                self.check(resp, commit, Some(file))?
            };
            let h = resp.headers();
            let text = |name: &str| h.get(name).and_then(|v| v.to_str().ok());
            let etag = text("x-linked-etag")
                .or_else(|| text(ETAG.as_str()))
                .map(|e| e.trim_start_matches("W/").trim_matches('"').to_string())
                .ok_or_else(|| Error::Hub(format!("{file}: the hub sent no ETag")))?;
            let size_bytes = text("x-linked-size")
                .or_else(|| text(CONTENT_LENGTH.as_str()))
                .and_then(|s| s.parse().ok())
                .ok_or_else(|| Error::Hub(format!("{file}: the hub sent no size")))?;
            if etag.is_empty() || !etag.chars().all(|c| c.is_ascii_alphanumeric()) {
                return Err(Error::Hub(format!("{file}: unusable ETag \"{etag}\"")));
            }
            return Ok(FileMeta {
                file: file.to_string(),
                etag,
                size_bytes,
                url,
            });
        }
        Err(Error::Hub(format!("{file}: too many redirects")))
    }

    /// `GET` of a file from byte `from_byte` on (`Range: bytes=N-` when N > 0).
    pub async fn get(&self, meta: &FileMeta, from_byte: u64) -> Result<Response> {
        let mut req = self.get_client.get(&meta.url);
        if from_byte > 0 {
            req = req.header(RANGE, format!("bytes={from_byte}-"));
        }
        let resp = req.send().await.map_err(|e| self.transport(e))?;
        self.check(resp, "", Some(&meta.file))
    }

    /// A failed request: no connection means offline.
    fn transport(&self, e: reqwest::Error) -> Error {
        if e.is_connect() || e.is_timeout() {
            let detail = std::error::Error::source(&e)
                .map(|s| s.to_string())
                .unwrap_or_else(|| e.to_string());
            Error::Offline {
                repo: self.repo_id.clone(),
                endpoint: self.endpoint.clone(),
                detail,
            }
        } else {
            Error::Hub(format!("{}: {e}", self.repo_id))
        }
    }

    /// Maps error statuses the way huggingface_hub does (`X-Error-Code` first).
    fn check(&self, resp: Response, revision: &str, file: Option<&str>) -> Result<Response> {
        let status = resp.status();
        if status.is_success() {
            return Ok(resp);
        }
        let code = resp
            .headers()
            .get("x-error-code")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        let repo = self.repo_id.clone();
        Err(match (code, status) {
            ("GatedRepo", _) | (_, StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN) => {
                Error::Gated {
                    repo,
                    status: status.as_u16(),
                }
            }
            ("RevisionNotFound", _) => Error::RevisionNotFound {
                repo,
                revision: revision.to_string(),
            },
            ("EntryNotFound", _) => Error::Hub(format!(
                "{repo}: {} not found in the repo",
                file.unwrap_or("file")
            )),
            (_, StatusCode::NOT_FOUND) if file.is_none() || code == "RepoNotFound" => {
                Error::RepoNotFound {
                    repo,
                    endpoint: self.endpoint.clone(),
                }
            }
            _ => Error::Hub(format!(
                "{repo}: HTTP {status} for {}",
                file.unwrap_or("the repo info")
            )),
        })
    }
}
