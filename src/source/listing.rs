//! A bounded walk of a local root that names its files as storage keys, for the playground's
//! picker. It never follows symlinks, never enters pixgate's reserved `.pixgate…` folders and
//! stops at its bounds, so a huge or hostile tree costs a fixed amount of work.

use std::path::Path;

use super::{LocalStore, StorageKey};

/// How far a listing may go.
#[derive(Debug, Clone, Copy)]
pub struct ListBounds {
    /// Folders below the root entered; 0 lists the root's own files only.
    pub max_depth: usize,
    /// Keys returned at most.
    pub max_files: usize,
    /// Directory entries looked at, wanted or not: bounds the walk's time on huge trees. A
    /// folder cut short by it lists the entries the file system yielded first.
    pub max_entries: usize,
}

impl LocalStore {
    /// Storage keys of regular files under the root whose names `wanted` accepts, in sorted
    /// path order, within `bounds`. Unreadable folders are skipped; names that could not be
    /// requested (not UTF-8, refused as keys) are left out.
    pub async fn list(&self, bounds: ListBounds, wanted: fn(&str) -> bool) -> Vec<StorageKey> {
        let root = self.root().to_path_buf();
        tokio::task::spawn_blocking(move || {
            let mut walk = Walk {
                bounds,
                wanted,
                seen: 0,
                found: Vec::new(),
            };
            walk.folder(&root, "", 0);
            walk.found
        })
        .await
        .unwrap_or_default()
    }
}

struct Walk {
    bounds: ListBounds,
    wanted: fn(&str) -> bool,
    seen: usize,
    found: Vec<StorageKey>,
}

impl Walk {
    /// `dir` is the folder at key prefix `at` (`""` or `a/b/`), `depth` folders below the root.
    fn folder(&mut self, dir: &Path, at: &str, depth: usize) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        // Sorted so that the same tree always lists the same first files.
        let mut entries: Vec<_> = entries
            .take(self.bounds.max_entries.saturating_sub(self.seen))
            .filter_map(Result::ok)
            .collect();
        self.seen += entries.len();
        entries.sort_by_key(std::fs::DirEntry::file_name);
        for entry in entries {
            if self.found.len() >= self.bounds.max_files {
                return;
            }
            let Ok(name) = entry.file_name().into_string() else {
                continue;
            };
            let Ok(key) = StorageKey::from_decoded(&format!("{at}{name}")) else {
                // Reserved (`.pixgate…`) or otherwise unrequestable names.
                continue;
            };
            // The entry's own type: a symlink is neither a file nor a folder here.
            let Ok(kind) = entry.file_type() else {
                continue;
            };
            if kind.is_file() && (self.wanted)(&name) {
                self.found.push(key);
            } else if kind.is_dir() && depth < self.bounds.max_depth {
                self.folder(&entry.path(), &format!("{}/", key.as_str()), depth + 1);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    const WIDE: ListBounds = ListBounds {
        max_depth: 8,
        max_files: 100,
        max_entries: 1000,
    };

    fn pngs(name: &str) -> bool {
        name.ends_with(".png")
    }

    fn tree(files: &[&str]) -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        for file in files {
            let path = dir.path().join(file);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, b"x").unwrap();
        }
        dir
    }

    async fn listed(dir: &tempfile::TempDir, bounds: ListBounds) -> Vec<String> {
        let store = LocalStore::new(dir.path()).unwrap();
        let keys = store.list(bounds, pngs).await;
        keys.iter().map(|k| k.as_str().to_string()).collect()
    }

    #[tokio::test]
    async fn lists_wanted_files_sorted_skipping_reserved_folders() {
        let dir = tree(&[
            "b.png",
            "a.png",
            "notes.txt",
            "x/y/c.png",
            ".pixgate/files/d.png",
        ]);
        assert_eq!(listed(&dir, WIDE).await, ["a.png", "b.png", "x/y/c.png"]);
    }

    #[tokio::test]
    async fn stops_at_its_bounds() {
        let dir = tree(&["a.png", "b.png", "c.png", "deep/d.png"]);
        let two = ListBounds {
            max_files: 2,
            ..WIDE
        };
        assert_eq!(listed(&dir, two).await, ["a.png", "b.png"]);
        let flat = ListBounds {
            max_depth: 0,
            ..WIDE
        };
        assert_eq!(listed(&dir, flat).await, ["a.png", "b.png", "c.png"]);
        let few_entries = ListBounds {
            max_entries: 2,
            ..WIDE
        };
        // Which two entries a folder yields first is the file system's choice.
        assert!(listed(&dir, few_entries).await.len() <= 2);
    }

    #[cfg(unix)]
    #[tokio::test]
    async fn symlinks_are_not_followed() {
        let outside = tree(&["secret.png"]);
        let dir = tree(&["a.png"]);
        std::os::unix::fs::symlink(outside.path(), dir.path().join("out")).unwrap();
        std::os::unix::fs::symlink(
            outside.path().join("secret.png"),
            dir.path().join("link.png"),
        )
        .unwrap();
        assert_eq!(listed(&dir, WIDE).await, ["a.png"]);
    }
}
