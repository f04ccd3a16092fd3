//! One file into `blobs/<etag>`: resumed from `blobs/<etag>.incomplete` with `Range`, written
//! through [`BlobWriter`] (the boundary where tests inject write errors), checked against the
//! etag (sha256 for LFS files, git blob sha1 for the others) and the size, then renamed.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};

use reqwest::StatusCode;
use sha1::Sha1;
use sha2::{Digest, Sha256};

use crate::remote::{FileMeta, Remote};
use crate::{Error, Result};

/// Opens partial files for writing: the one place downloaded bytes reach the disk.
pub trait BlobWriter: Send + Sync {
    /// Opens `path` to write from byte `offset_bytes` on (0: create or truncate; else append
    /// to a file of exactly that length).
    fn open(&self, path: &Path, offset_bytes: u64) -> std::io::Result<Box<dyn Write + Send>>;
}

/// [`BlobWriter`] on the real file system.
#[derive(Debug, Clone, Copy, Default)]
pub struct FsBlobWriter;

impl BlobWriter for FsBlobWriter {
    fn open(&self, path: &Path, offset_bytes: u64) -> std::io::Result<Box<dyn Write + Send>> {
        let f = if offset_bytes == 0 {
            std::fs::File::create(path)?
        } else {
            let f = std::fs::OpenOptions::new().append(true).open(path)?;
            f.set_len(offset_bytes)?;
            f
        };
        // Unbuffered: what arrived is on disk, so a killed pull resumes from every byte.
        Ok(Box::new(f))
    }
}

/// The checksum an etag stands for.
enum Checker {
    Sha256(Sha256),
    /// sha1 of `blob <size>\0<content>` (git's object id).
    GitSha1(Sha1),
    /// An etag that is neither: only the size is checked.
    SizeOnly,
}

impl Checker {
    fn new(etag: &str, size_bytes: u64) -> Checker {
        let hex = etag.chars().all(|c| c.is_ascii_hexdigit());
        match etag.len() {
            64 if hex => Checker::Sha256(Sha256::new()),
            40 if hex => {
                let mut h = Sha1::new();
                h.update(format!("blob {size_bytes}\0").as_bytes());
                Checker::GitSha1(h)
            }
            _ => Checker::SizeOnly,
        }
    }

    fn update(&mut self, bytes: &[u8]) {
        match self {
            Checker::Sha256(h) => h.update(bytes),
            Checker::GitSha1(h) => h.update(bytes),
            Checker::SizeOnly => {}
        }
    }

    /// `(algorithm, hex digest)`, or `None` when only the size is checked.
    fn finish(self) -> Option<(&'static str, String)> {
        match self {
            Checker::Sha256(h) => Some(("sha256", format!("{:x}", h.finalize()))),
            Checker::GitSha1(h) => Some(("git-sha1", format!("{:x}", h.finalize()))),
            Checker::SizeOnly => None,
        }
    }
}

/// Hashes the first `len` bytes of `path` into `checker`, reporting progress.
fn hash_file(path: &Path, checker: &mut Checker, progress: &mut dyn FnMut(u64)) -> Result<u64> {
    let mut f = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
    let mut buf = vec![0u8; 1 << 20];
    let mut total = 0u64;
    loop {
        let n = f.read(&mut buf).map_err(|e| Error::io(path, e))?;
        if n == 0 {
            return Ok(total);
        }
        checker.update(&buf[..n]);
        total += n as u64;
        progress(n as u64);
    }
}

/// Checks a blob already in the cache; `Err(detail)` when it does not match `meta`.
pub(crate) fn verify_cached(
    blob: &Path,
    meta: &FileMeta,
    progress: &mut dyn FnMut(u64),
) -> Result<std::result::Result<(), String>> {
    let len = std::fs::metadata(blob)
        .map_err(|e| Error::io(blob, e))?
        .len();
    if len != meta.size_bytes {
        return Ok(Err(format!(
            "{len} bytes, the hub says {}",
            meta.size_bytes
        )));
    }
    let mut checker = Checker::new(&meta.etag, meta.size_bytes);
    hash_file(blob, &mut checker, progress)?;
    Ok(match checker.finish() {
        Some((alg, got)) if got != meta.etag => Err(format!("{alg} {got}, expected {}", meta.etag)),
        _ => Ok(()),
    })
}

/// Where a download stands, for progress reports.
pub(crate) trait Sink {
    /// `n` more bytes are on disk (downloaded or found in a partial file).
    fn bytes(&mut self, n: u64);
    /// `n` bytes of an interrupted download are on disk already (not transferred again).
    fn resumed(&mut self, n: u64);
    /// The `n` resumed bytes were dropped (the server ignored the range).
    fn rewind(&mut self, n: u64);
}

/// Downloads `meta` into `blob`, resuming `blob.incomplete`; the blob appears only verified.
pub(crate) async fn download_blob(
    remote: &Remote,
    meta: &FileMeta,
    blob: &Path,
    writer: &dyn BlobWriter,
    cancel: &AtomicBool,
    sink: &mut dyn Sink,
) -> Result<()> {
    let part = partial_path(blob);
    let size = meta.size_bytes;
    let mut have = std::fs::metadata(&part).map(|m| m.len()).unwrap_or(0);
    if have > size {
        have = 0;
    }
    let mut checker = Checker::new(&meta.etag, size);
    if have > 0 {
        have = hash_file(&part, &mut checker, &mut |n| sink.resumed(n))?.min(have);
    }
    if have < size {
        let mut resp = remote.get(meta, have).await?;
        if have > 0 && resp.status() != StatusCode::PARTIAL_CONTENT {
            // The server ignored the range: start over.
            sink.rewind(have);
            have = 0;
            checker = Checker::new(&meta.etag, size);
        }
        let mut out = writer.open(&part, have).map_err(|source| Error::Write {
            path: part.clone(),
            source,
        })?;
        let interrupted = |have: u64, detail: String| Error::Interrupted {
            file: meta.file.clone(),
            received_bytes: have,
            expected_bytes: size,
            detail,
        };
        loop {
            let next = tokio::select! {
                c = resp.chunk() => Some(c),
                _ = cancelled(cancel) => None,
            };
            let Some(next) = next else {
                let _ = out.flush();
                return Err(Error::Cancelled);
            };
            let chunk = match next {
                Ok(Some(c)) => c,
                Ok(None) => break,
                Err(e) => {
                    let _ = out.flush();
                    return Err(interrupted(have, transport_detail(&e)));
                }
            };
            if have + chunk.len() as u64 > size {
                drop(out);
                let _ = std::fs::remove_file(&part);
                return Err(Error::Hub(format!(
                    "{}: more bytes than the hub announced",
                    meta.file
                )));
            }
            out.write_all(&chunk).map_err(|source| Error::Write {
                path: part.clone(),
                source,
            })?;
            checker.update(&chunk);
            have += chunk.len() as u64;
            sink.bytes(chunk.len() as u64);
        }
        out.flush().map_err(|source| Error::Write {
            path: part.clone(),
            source,
        })?;
        if have < size {
            return Err(interrupted(have, "connection closed early".into()));
        }
    }
    if let Some((algorithm, actual)) = checker.finish() {
        if actual != meta.etag {
            let _ = std::fs::remove_file(&part);
            return Err(Error::ChecksumMismatch {
                file: meta.file.clone(),
                algorithm,
                expected: meta.etag.clone(),
                actual,
            });
        }
    }
    std::fs::rename(&part, blob).map_err(|e| Error::io(blob, e))
}

/// Resolves once `cancel` is set (polled every 50 ms, so a stalled transfer stops too).
async fn cancelled(cancel: &AtomicBool) {
    while !cancel.load(Ordering::Relaxed) {
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

/// `blobs/<etag>.incomplete`, huggingface_hub's name for a partial download.
pub(crate) fn partial_path(blob: &Path) -> PathBuf {
    let mut name = blob.file_name().unwrap_or_default().to_os_string();
    name.push(".incomplete");
    blob.with_file_name(name)
}

/// The innermost cause of a transport error (e.g. "connection reset").
fn transport_detail(e: &reqwest::Error) -> String {
    let mut cause: &dyn std::error::Error = e;
    while let Some(next) = cause.source() {
        cause = next;
    }
    cause.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn git_sha1_is_the_blob_object_id() {
        // `printf 'hello\n' | git hash-object --stdin`
        let mut c = Checker::new("ce013625030ba8dba906f756967f9e9ca394464a", 6);
        c.update(b"hello\n");
        let (alg, hex) = c.finish().unwrap();
        assert_eq!(
            (alg, hex.as_str()),
            ("git-sha1", "ce013625030ba8dba906f756967f9e9ca394464a")
        );
    }

    #[test]
    fn sha256_etags_are_checked_and_others_only_by_size() {
        let mut c = Checker::new(&"a".repeat(64), 3);
        c.update(b"abc");
        let (alg, hex) = c.finish().unwrap();
        assert_eq!(alg, "sha256");
        assert_eq!(
            hex,
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert!(Checker::new("not-a-digest", 3).finish().is_none());
    }

    #[test]
    fn fs_writer_appends_at_the_offset() {
        let tmp = tempfile::tempdir().unwrap();
        let p = tmp.path().join("x.incomplete");
        FsBlobWriter
            .open(&p, 0)
            .unwrap()
            .write_all(b"abcdef")
            .unwrap();
        // A resume from byte 3 drops what followed it.
        FsBlobWriter.open(&p, 3).unwrap().write_all(b"XY").unwrap();
        assert_eq!(std::fs::read(&p).unwrap(), b"abcXY");
        assert_eq!(
            partial_path(Path::new("/c/blobs/e1")),
            Path::new("/c/blobs/e1.incomplete")
        );
    }
}
