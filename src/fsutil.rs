//! The one way snipcheck writes a file: atomically, with the path in every error.
//!
//! Scratch manifests and sources, the result and registry caches, the baseline,
//! the lockfile, the reports and fixed documents are all written through
//! [`write_atomic`]: to a temporary file in the same folder that is then
//! renamed over the target, so a crash or an interrupt never leaves half a
//! file for the next run (or the user) to read.

use std::fs;
use std::io::Write;
use std::path::Path;

use crate::error::{Error, Result};

/// Writes `content` to `path` atomically, unless the file already holds exactly
/// that (so its modification time, which cargo's fingerprints read, stays).
pub fn write_if_changed(path: &Path, content: &str) -> Result<()> {
    if fs::read(path).is_ok_and(|old| old == content.as_bytes()) {
        return Ok(());
    }
    write_atomic(path, content.as_bytes())
}

/// Writes through a temporary file in the same folder (created if missing) and
/// renames it into place.
pub fn write_atomic(path: &Path, content: &[u8]) -> Result<()> {
    let dir = match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    };
    fs::create_dir_all(dir).map_err(|e| Error::io("create", dir, e))?;
    let mut file = tempfile::NamedTempFile::new_in(dir)
        .map_err(|e| Error::io("create a temporary file in", dir, e))?;
    // The temporary file is private (0600); the file it replaces keeps its
    // permissions, and a new file gets the usual ones.
    let permissions = match fs::metadata(path) {
        Ok(metadata) => Some(metadata.permissions()),
        Err(_) => new_file_permissions(),
    };
    if let Some(permissions) = permissions {
        file.as_file()
            .set_permissions(permissions)
            .map_err(|e| Error::io("set the permissions of", path, e))?;
    }
    file.write_all(content)
        .map_err(|e| Error::io("write", path, e))?;
    file.persist(path)
        .map_err(|e| Error::io("write", path, e.error))?;
    Ok(())
}

#[cfg(unix)]
fn new_file_permissions() -> Option<fs::Permissions> {
    use std::os::unix::fs::PermissionsExt;
    Some(fs::Permissions::from_mode(0o644))
}

#[cfg(not(unix))]
fn new_file_permissions() -> Option<fs::Permissions> {
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(unix)]
    #[test]
    fn atomic_writes_keep_the_permissions_of_the_file_they_replace() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().expect("tempdir");
        let fresh = dir.path().join("new.md");
        write_atomic(&fresh, b"a").expect("write");
        let mode = |p: &Path| fs::metadata(p).expect("metadata").permissions().mode() & 0o777;
        assert_eq!(mode(&fresh), 0o644);
        let script = dir.path().join("doc.md");
        fs::write(&script, "old").expect("write");
        fs::set_permissions(&script, fs::Permissions::from_mode(0o755)).expect("chmod");
        write_atomic(&script, b"new").expect("write");
        assert_eq!(mode(&script), 0o755);
        assert_eq!(fs::read_to_string(&script).expect("read"), "new");
    }

    #[test]
    fn atomic_writes_create_the_folder_and_leave_no_temporary_file() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("nested").join("out.json");
        write_atomic(&path, b"{}").expect("write");
        write_if_changed(&path, "{}").expect("unchanged");
        write_if_changed(&path, "[]").expect("changed");
        assert_eq!(fs::read_to_string(&path).expect("read"), "[]");
        let names: Vec<_> = fs::read_dir(path.parent().expect("parent"))
            .expect("read dir")
            .map(|entry| entry.expect("entry").file_name())
            .collect();
        assert_eq!(names, ["out.json"]);
    }

    #[test]
    fn a_failed_write_names_the_path() {
        let dir = tempfile::tempdir().expect("tempdir");
        let blocker = dir.path().join("file");
        fs::write(&blocker, "").expect("write");
        let error = write_atomic(&blocker.join("out.json"), b"x").expect_err("not a folder");
        assert!(
            error.to_string().contains(&blocker.display().to_string()),
            "{error}"
        );
    }
}
