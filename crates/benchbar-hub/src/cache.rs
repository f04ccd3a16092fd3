//! The standard Hugging Face cache layout of one repo:
//! `models--ORG--NAME/{blobs/<etag>, snapshots/<commit>/<file> -> ../../blobs/<etag>, refs/<revision>}`.
//! Folder names and refs come from hf-hub.

use std::path::{Path, PathBuf};

use hf_hub::{Cache, Repo, RepoType};

use crate::{Error, HubConfig, Result};

/// Checks that `repo_id` is `ORG/NAME` with the characters the hub allows.
pub(crate) fn check_repo_id(repo_id: &str) -> Result<()> {
    let ok_part = |p: &str| {
        !p.is_empty()
            && !p.starts_with(['.', '-'])
            && p.chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
    };
    match repo_id.split_once('/') {
        Some((org, name)) if ok_part(org) && ok_part(name) => Ok(()),
        _ => Err(Error::BadRepoId(repo_id.to_string())),
    }
}

/// One repo's folder in the cache.
pub(crate) struct RepoCache {
    cache: Cache,
    repo: Repo,
    /// `<cache>/models--ORG--NAME`.
    pub dir: PathBuf,
}

impl RepoCache {
    /// The folder of `repo_id` in `cache_dir` (`revision` names the ref to write).
    pub fn new(cache_dir: &Path, repo_id: &str, revision: &str) -> RepoCache {
        let repo = Repo::with_revision(repo_id.to_string(), RepoType::Model, revision.to_string());
        let dir = cache_dir.join(repo.folder_name());
        RepoCache {
            cache: Cache::new(cache_dir.to_path_buf()),
            repo,
            dir,
        }
    }

    /// `blobs/<etag>`.
    pub fn blob(&self, etag: &str) -> PathBuf {
        self.dir.join("blobs").join(etag)
    }

    /// `snapshots/<commit>`.
    pub fn snapshot(&self, commit: &str) -> PathBuf {
        self.dir.join("snapshots").join(commit)
    }

    /// Links `snapshots/<commit>/<file>` to `blobs/<etag>` (relative, as huggingface_hub does).
    pub fn link(&self, commit: &str, file: &str, etag: &str) -> Result<()> {
        let pointer = self.snapshot(commit).join(file);
        let parent = pointer.parent().unwrap_or(&self.dir);
        std::fs::create_dir_all(parent).map_err(|e| Error::io(parent, e))?;
        let depth = file.split('/').count() - 1;
        let mut target = PathBuf::from("../..");
        for _ in 0..depth {
            target.push("..");
        }
        target.push("blobs");
        target.push(etag);
        if pointer.symlink_metadata().is_ok() {
            std::fs::remove_file(&pointer).map_err(|e| Error::io(&pointer, e))?;
        }
        make_link(&target, &self.blob(etag), &pointer).map_err(|e| Error::io(&pointer, e))
    }

    /// Writes `refs/<revision>` = `commit` (skipped when the revision is the commit itself).
    pub fn write_ref(&self, commit: &str) -> Result<()> {
        if self.repo.revision() == commit {
            return Ok(());
        }
        self.cache
            .repo(self.repo.clone())
            .create_ref(commit)
            .map_err(|e| Error::io(self.dir.join("refs"), e))
    }
}

impl RepoCache {
    /// The snapshot `revision` points to (`refs/<revision>`, or the revision if it is a commit),
    /// if it holds a loadable checkpoint: config.json, tokenizer.json and every weight file.
    pub fn complete_snapshot(&self, revision: &str) -> Option<PathBuf> {
        let commit = std::fs::read_to_string(self.dir.join("refs").join(revision))
            .map(|c| c.trim().to_string())
            .unwrap_or_else(|_| revision.to_string());
        let snap = self.snapshot(&commit);
        loadable(&snap).then_some(snap)
    }

    /// The most recently written loadable snapshot of any revision.
    pub fn newest_complete_snapshot(&self) -> Option<PathBuf> {
        let rd = std::fs::read_dir(self.dir.join("snapshots")).ok()?;
        rd.flatten()
            .filter(|e| loadable(&e.path()))
            .max_by_key(|e| e.metadata().and_then(|m| m.modified()).ok())
            .map(|e| e.path())
    }
}

/// config.json (Qwen3), tokenizer.json and every weight file present (links not dangling).
fn loadable(snap: &Path) -> bool {
    snap.join("tokenizer.json").exists() && benchbar_mlx::ModelInfo::from_dir(snap).is_ok()
}

#[cfg(unix)]
fn make_link(relative: &Path, _blob: &Path, pointer: &Path) -> std::io::Result<()> {
    std::os::unix::fs::symlink(relative, pointer)
}

#[cfg(not(unix))]
fn make_link(_relative: &Path, blob: &Path, pointer: &Path) -> std::io::Result<()> {
    std::fs::copy(blob, pointer).map(|_| ())
}

/// Bytes of the regular files under `dir` (links not followed: each blob counted once).
pub(crate) fn dir_bytes(dir: &Path) -> u64 {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return 0;
    };
    rd.flatten()
        .map(|e| match e.path().symlink_metadata() {
            Ok(m) if m.is_dir() => dir_bytes(&e.path()),
            Ok(m) if m.is_file() => m.len(),
            _ => 0,
        })
        .sum()
}

/// Deletes `repo_id` (every revision, blobs and partial downloads) from the cache and returns
/// the bytes freed.
pub fn remove(config: &HubConfig, repo_id: &str) -> Result<u64> {
    check_repo_id(repo_id)?;
    let dir = RepoCache::new(&config.cache_dir, repo_id, "main").dir;
    if !dir.is_dir() {
        return Err(Error::NotCached {
            repo: repo_id.to_string(),
            dir: config.cache_dir.clone(),
        });
    }
    let freed_bytes = dir_bytes(&dir);
    std::fs::remove_dir_all(&dir).map_err(|e| Error::io(&dir, e))?;
    Ok(freed_bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repo_ids_are_org_slash_name() {
        assert!(check_repo_id("mlx-community/Qwen3-1.7B-4bit").is_ok());
        for bad in ["", "qwen3", "a/b/c", "/x", "x/", "../etc", "a/..", "a b/c"] {
            assert!(check_repo_id(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn links_are_relative_to_the_blob_and_remove_frees_blobs_once() {
        let tmp = tempfile::tempdir().unwrap();
        let rc = RepoCache::new(tmp.path(), "org/name", "main");
        std::fs::create_dir_all(rc.dir.join("blobs")).unwrap();
        std::fs::write(rc.blob("e1"), b"12345").unwrap();
        rc.link("c0", "sub/dir/f.json", "e1").unwrap();
        rc.link("c0", "f.json", "e1").unwrap();
        rc.write_ref("c0").unwrap();
        let snap = rc.snapshot("c0");
        assert_eq!(
            std::fs::read(snap.join("sub/dir/f.json")).unwrap(),
            b"12345"
        );
        assert_eq!(std::fs::read(snap.join("f.json")).unwrap(), b"12345");
        assert_eq!(
            std::fs::read_to_string(rc.dir.join("refs/main")).unwrap(),
            "c0"
        );
        let config = HubConfig::new(tmp.path().into(), "http://127.0.0.1:9", None, true);
        let refs_bytes = 2;
        assert_eq!(remove(&config, "org/name").unwrap(), 5 + refs_bytes);
        assert!(!rc.dir.exists());
        assert!(matches!(
            remove(&config, "org/name"),
            Err(Error::NotCached { .. })
        ));
    }
}
