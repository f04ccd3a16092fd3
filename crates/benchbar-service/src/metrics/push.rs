//! `benchbar run --push URL`: a run's metrics sent to a Prometheus Pushgateway, for machines
//! that are not up when Prometheus scrapes. The group is the machine (`instance`, its host
//! name) and the configuration (`machine`, `model`, `engine`), so each configuration of each
//! machine keeps its latest run; a push replaces that group (HTTP PUT).

use std::time::Duration;

use benchbar_core::report::RunReport;

use crate::{Error, Result};

/// Longest wait for the Pushgateway.
pub const PUSH_TIMEOUT: Duration = Duration::from_secs(10);

/// Sends `report`'s metrics to the Pushgateway at `base_url` (e.g. `http://host:9091`), grouped
/// by `instance` (this machine's host name) and the run's configuration.
pub fn push(base_url: &str, instance: &str, report: &RunReport) -> Result<()> {
    let url = group_url(base_url, instance, report)?;
    let body = super::run_exposition(report);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| Error::Invalid(format!("push: {e}")))?;
    runtime.block_on(async {
        let client = reqwest::Client::builder()
            .timeout(PUSH_TIMEOUT)
            .build()
            .map_err(|e| Error::Invalid(format!("push to {base_url}: {e}")))?;
        let resp = client
            .put(&url)
            .header("Content-Type", "text/plain; version=0.0.4")
            .body(body)
            .send()
            .await
            .map_err(|e| Error::Invalid(format!("push to {base_url}: {}", cause(&e))))?;
        if !resp.status().is_success() {
            let status = resp.status();
            let text = resp.text().await.unwrap_or_default();
            let text = text.lines().next().unwrap_or("").trim();
            return Err(Error::Invalid(format!(
                "push to {base_url}: the Pushgateway answered {status}: {text}"
            )));
        }
        Ok(())
    })
}

/// The group's URL: `/metrics/job/benchbar` then each grouping label, base64url-encoded
/// (`label@base64/value`) so that values with `/` (model ids) survive.
fn group_url(base_url: &str, instance: &str, report: &RunReport) -> Result<String> {
    let base = base_url.trim_end_matches('/');
    if !(base.starts_with("http://") || base.starts_with("https://")) {
        return Err(Error::Invalid(format!(
            "--push {base_url}: expected an http:// or https:// URL of a Pushgateway"
        )));
    }
    let machine = report
        .machine
        .chip
        .clone()
        .unwrap_or_else(|| report.machine.cpu.clone());
    let mut url = format!("{base}/metrics/job/benchbar");
    for (label, value) in [
        ("instance", instance),
        ("machine", &machine),
        ("model", &report.model.id),
        ("engine", &report.engine.name),
    ] {
        url.push_str(&format!("/{label}@base64/{}", base64url(value.as_bytes())));
    }
    Ok(url)
}

/// The innermost cause of a request error (e.g. "Connection refused"), after reqwest's own
/// description.
fn cause(e: &reqwest::Error) -> String {
    let mut msg = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        msg = format!("{msg}: {s}");
        source = s.source();
    }
    msg
}

/// RFC 4648 base64url without padding (an empty value is `=`, as the Pushgateway wants).
fn base64url(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    if bytes.is_empty() {
        return "=".into();
    }
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, &b)| n | (u32::from(b) << (16 - 8 * i)));
        for i in 0..=chunk.len() {
            out.push(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize] as char);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64url_matches_rfc_4648_without_padding() {
        // RFC 4648 section 10 test vectors (padding dropped).
        for (plain, coded) in [
            ("f", "Zg"),
            ("fo", "Zm8"),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg"),
            ("fooba", "Zm9vYmE"),
            ("foobar", "Zm9vYmFy"),
        ] {
            assert_eq!(base64url(plain.as_bytes()), coded);
        }
        assert_eq!(
            base64url(b"mlx-community/Qwen3?>"),
            "bWx4LWNvbW11bml0eS9Rd2VuMz8-"
        );
        assert_eq!(base64url(b""), "=");
    }
}
