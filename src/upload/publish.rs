//! The atomic step: a complete, fsynced temp file becomes `<root>/<key>` by one `rename`, so
//! the path shows the old file or the new one, never a mix or a part, even if the process dies
//! half-way. Folders are created one segment at a time and every existing one is checked to
//! stay inside the root; `rename` replaces a symlink at the final name instead of writing
//! through it.

use std::io::ErrorKind;
use std::path::{Path, PathBuf};

use super::staging::Staged;
use super::{UploadError, io_error};
use crate::source::StorageKey;

/// Moves `staged` to `key` under `root` (canonical) and makes the rename durable.
pub fn publish(root: &Path, key: &StorageKey, staged: Staged, now: u64) -> Result<(), UploadError> {
    let folder = ensure_folder(root, key)?;
    let destination = folder.join(key.file_name());
    if std::fs::symlink_metadata(&destination).is_ok_and(|m| m.is_dir()) {
        return Err(UploadError::PathConflict);
    }
    match std::fs::rename(staged.path(), &destination) {
        Ok(()) => staged.keep(),
        // The folder is a mount point of its own: stage again beside the destination.
        Err(e) if e.kind() == ErrorKind::CrossesDevices => {
            let beside = Staged::new_in(&folder, now)?;
            std::fs::copy(staged.path(), beside.path()).map_err(io_error("copying into place"))?;
            std::fs::File::open(beside.path())
                .and_then(|f| f.sync_all())
                .map_err(io_error("syncing a copy"))?;
            std::fs::rename(beside.path(), &destination).map_err(rename_error)?;
            beside.keep();
        }
        Err(e) => return Err(rename_error(e)),
    }
    sync_dir(&folder)
}

/// The folder that will hold `key`, created as needed. Existing segments may be symlinks as
/// long as they resolve to a folder inside the root.
fn ensure_folder(root: &Path, key: &StorageKey) -> Result<PathBuf, UploadError> {
    let mut current = root.to_path_buf();
    let folder = key.folder();
    if folder.is_empty() {
        return Ok(current);
    }
    for segment in folder.split('/') {
        let next = current.join(segment);
        match std::fs::symlink_metadata(&next) {
            Ok(meta) if meta.is_dir() => current = next,
            Ok(meta) if meta.file_type().is_symlink() => {
                let real = std::fs::canonicalize(&next).map_err(|_| UploadError::PathConflict)?;
                if !real.starts_with(root) {
                    return Err(UploadError::OutsideRoot);
                }
                if !real.is_dir() {
                    return Err(UploadError::PathConflict);
                }
                current = real;
            }
            Ok(_) => return Err(UploadError::PathConflict),
            Err(e) if e.kind() == ErrorKind::NotFound => {
                match std::fs::create_dir(&next) {
                    Ok(()) => {}
                    // Another upload made it first; the rename below fails if it is no folder.
                    Err(e) if e.kind() == ErrorKind::AlreadyExists => {}
                    Err(e) => return Err(io_error("creating a folder")(e)),
                }
                current = next;
            }
            Err(e) => return Err(io_error("inspecting a folder")(e)),
        }
    }
    Ok(current)
}

/// Makes renames and creations inside `dir` durable.
pub fn sync_dir(dir: &Path) -> Result<(), UploadError> {
    std::fs::File::open(dir)
        .and_then(|f| f.sync_all())
        .map_err(io_error("syncing a folder"))
}

fn rename_error(e: std::io::Error) -> UploadError {
    match e.kind() {
        ErrorKind::IsADirectory | ErrorKind::DirectoryNotEmpty | ErrorKind::NotADirectory => {
            UploadError::PathConflict
        }
        _ => io_error("renaming into place")(e),
    }
}
