//! Where the cache is and which hub to talk to, from the same environment variables as
//! `huggingface_hub` and mlx_lm: HF_HUB_CACHE, HF_HOME, HF_ENDPOINT, HF_TOKEN, HF_HUB_OFFLINE.

use std::path::PathBuf;

use crate::{Error, Result};

/// The public hub, used when `HF_ENDPOINT` is not set.
pub const DEFAULT_ENDPOINT: &str = "https://huggingface.co";

/// Cache folder, hub endpoint, token and offline switch.
#[derive(Clone, PartialEq, Eq)]
pub struct HubConfig {
    /// The hub cache (`models--ORG--NAME/` folders live here).
    pub cache_dir: PathBuf,
    /// Base URL of the hub, without a trailing slash.
    pub endpoint: String,
    /// Bearer token for gated or private repos.
    pub token: Option<String>,
    /// Never touch the network (HF_HUB_OFFLINE=1): only what the cache holds.
    pub offline: bool,
}

impl std::fmt::Debug for HubConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The token stays out of logs.
        f.debug_struct("HubConfig")
            .field("cache_dir", &self.cache_dir)
            .field("endpoint", &self.endpoint)
            .field("token", &self.token.as_ref().map(|_| "<set>"))
            .field("offline", &self.offline)
            .finish()
    }
}

impl HubConfig {
    /// From the environment: the cache is `$HF_HUB_CACHE`, `$HF_HOME/hub` or
    /// `~/.cache/huggingface/hub` (the folder `benchbar run` looks in); the endpoint
    /// `$HF_ENDPOINT`; the token `$HF_TOKEN`, else the `token` file `huggingface-cli login`
    /// writes under `$HF_HOME`.
    pub fn from_env() -> Result<HubConfig> {
        let cache_dir = benchbar_mlx::hf_cache_dir().ok_or(Error::NoCacheDir)?;
        let endpoint = std::env::var("HF_ENDPOINT")
            .ok()
            .filter(|e| !e.trim().is_empty())
            .unwrap_or_else(|| DEFAULT_ENDPOINT.to_string());
        let token = std::env::var("HF_TOKEN")
            .ok()
            .map(|t| t.trim().to_string())
            .filter(|t| !t.is_empty())
            .or_else(token_file);
        let offline = std::env::var("HF_HUB_OFFLINE")
            .map(|v| matches!(v.to_ascii_lowercase().as_str(), "1" | "on" | "yes" | "true"))
            .unwrap_or(false);
        Ok(HubConfig::new(cache_dir, &endpoint, token, offline))
    }

    /// An explicit configuration (the endpoint's trailing slashes are dropped).
    pub fn new(cache_dir: PathBuf, endpoint: &str, token: Option<String>, offline: bool) -> Self {
        HubConfig {
            cache_dir,
            endpoint: endpoint.trim().trim_end_matches('/').to_string(),
            token,
            offline,
        }
    }
}

/// `$HF_HOME/token` (default `~/.cache/huggingface/token`), read by hf-hub.
fn token_file() -> Option<String> {
    let home = match std::env::var_os("HF_HOME") {
        Some(h) => PathBuf::from(h),
        None => dirs_home()?.join(".cache").join("huggingface"),
    };
    hf_hub::Cache::new(home.join("hub")).token()
}

fn dirs_home() -> Option<PathBuf> {
    std::env::var_os("HOME").map(PathBuf::from)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoint_loses_trailing_slashes() {
        let c = HubConfig::new("/tmp/x".into(), "http://127.0.0.1:9/ ", None, false);
        assert_eq!(c.endpoint, "http://127.0.0.1:9");
        assert!(!format!("{c:?}").contains("secret"));
        let c = HubConfig::new("/tmp/x".into(), "http://h", Some("secret".into()), false);
        assert!(!format!("{c:?}").contains("secret"));
    }
}
