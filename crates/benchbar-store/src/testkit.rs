//! For tests (the `testing` feature, enabled only from `[dev-dependencies]`): a database file
//! that refuses writes even when the tests run as root, as CI containers do.

use std::path::{Path, PathBuf};
use std::process::Command;

/// A file made read-only for as long as this lives: mode 0444, and where that does not bind
/// (root ignores modes) the immutable attribute (`chattr +i`, which binds root too). Dropping
/// it makes the file writable again, so its folder can be removed.
pub struct ReadOnlyFile {
    path: PathBuf,
    immutable: bool,
}

impl ReadOnlyFile {
    /// Makes `path` read-only. None when neither way binds here (no `chattr`, a filesystem
    /// without the attribute, or no right to set it): the caller then has nothing to test.
    pub fn new(path: &Path) -> Option<ReadOnlyFile> {
        let mut ro = ReadOnlyFile {
            path: path.to_path_buf(),
            immutable: false,
        };
        set_mode(path, 0o444);
        if writable(path) {
            ro.immutable = Command::new("chattr")
                .arg("+i")
                .arg(path)
                .status()
                .is_ok_and(|s| s.success());
        }
        (!writable(path)).then_some(ro)
    }
}

impl Drop for ReadOnlyFile {
    fn drop(&mut self) {
        if self.immutable {
            let _ = Command::new("chattr").arg("-i").arg(&self.path).status();
        }
        set_mode(&self.path, 0o644);
    }
}

fn writable(path: &Path) -> bool {
    std::fs::OpenOptions::new().append(true).open(path).is_ok()
}

#[cfg(unix)]
fn set_mode(path: &Path, mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    let _ = std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode));
}

#[cfg(not(unix))]
fn set_mode(path: &Path, mode: u32) {
    if let Ok(meta) = std::fs::metadata(path) {
        let mut p = meta.permissions();
        p.set_readonly(mode & 0o200 == 0);
        let _ = std::fs::set_permissions(path, p);
    }
}
