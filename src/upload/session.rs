//! Resumable uploads on disk, one folder per pending upload under `<root>/.pixgate/uploads/`:
//! `session.json` (key, total, last activity) and one `part-START-END` file per accepted
//! chunk. Each part is complete and fsynced before it gets that name, so after a crash the
//! folder lists exactly the bytes that were acknowledged. Sync code: callers run it on the
//! blocking pool, holding the upload's key lock.

use std::fs::File;
use std::io::{ErrorKind, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::publish::sync_dir;
use super::ranges::RangeSet;
use super::staging::Staged;
use super::{UploadError, io_error};
use crate::source::StorageKey;

const SESSION_FILE: &str = "session.json";
/// Bytes compared at a time when a chunk overlaps parts already received.
const COMPARE_BLOCK: usize = 64 * 1024;

/// What `session.json` records.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SessionFile {
    pub key: String,
    pub total: u64,
    /// Unix seconds of the last chunk or status query; the sweep's clock.
    pub touched: u64,
}

/// One accepted chunk: bytes `start..=end`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Part {
    start: u64,
    end: u64,
}

impl Part {
    fn name(self) -> String {
        format!("part-{}-{}", self.start, self.end)
    }

    fn parse(name: &str) -> Option<Part> {
        let (start, end) = name.strip_prefix("part-")?.split_once('-')?;
        Some(Part {
            start: start.parse().ok()?,
            end: end.parse().ok()?,
        })
    }
}

/// The folder of `key`'s pending upload (which may not exist): named by a hash, so any key
/// maps to one safe, fixed-length name.
pub fn folder(uploads: &Path, key: &StorageKey) -> PathBuf {
    let digest = Sha256::digest(key.as_str().as_bytes());
    uploads.join(crate::hex::lower(&digest[..16]))
}

/// The pending upload's record, if there is one.
pub fn read(folder: &Path) -> Result<Option<SessionFile>, UploadError> {
    match std::fs::read(folder.join(SESSION_FILE)) {
        Ok(bytes) => serde_json::from_slice(&bytes)
            .map(Some)
            .map_err(|e| UploadError::Io(format!("reading {SESSION_FILE}: {e}"))),
        Err(e) if e.kind() == ErrorKind::NotFound => Ok(None),
        Err(e) => Err(UploadError::Io(format!("reading {SESSION_FILE}: {e}"))),
    }
}

/// Refuses a `total` other than the pending upload's.
pub fn check_total(pending: Option<&SessionFile>, total: u64) -> Result<(), UploadError> {
    match pending {
        Some(s) if s.total != total => Err(UploadError::TotalMismatch {
            pending: s.total,
            given: total,
        }),
        _ => Ok(()),
    }
}

/// Starts the upload if it is new (its folder appears whole, by rename) or records activity.
pub fn open_or_create(
    folder: &Path,
    tmp: &Path,
    key: &StorageKey,
    total: u64,
    now: u64,
) -> Result<(), UploadError> {
    let pending = read(folder)?;
    check_total(pending.as_ref(), total)?;
    let record = SessionFile {
        key: key.to_string(),
        total,
        touched: now,
    };
    if pending.is_some() {
        return write_record(folder, tmp, &record, now);
    }
    let fresh = Staged::new_in(tmp, now)?;
    std::fs::create_dir(fresh.path()).map_err(io_error("creating an upload folder"))?;
    let built = write_record(fresh.path(), tmp, &record, now).and_then(|()| {
        std::fs::rename(fresh.path(), folder).map_err(io_error("starting an upload"))
    });
    match built {
        Ok(()) => {
            fresh.keep();
            folder.parent().map_or(Ok(()), sync_dir)
        }
        Err(e) => {
            let _ = std::fs::remove_dir_all(fresh.path());
            fresh.keep();
            Err(e)
        }
    }
}

/// Records `touched = now` if the upload exists (a status query keeps it alive).
pub fn touch(folder: &Path, tmp: &Path, now: u64) -> Result<(), UploadError> {
    match read(folder)? {
        Some(mut record) => {
            record.touched = now;
            write_record(folder, tmp, &record, now)
        }
        None => Ok(()),
    }
}

fn write_record(
    folder: &Path,
    tmp: &Path,
    record: &SessionFile,
    now: u64,
) -> Result<(), UploadError> {
    let staged = Staged::new_in(tmp, now)?;
    let json = serde_json::to_vec(record).map_err(|e| UploadError::Io(e.to_string()))?;
    std::fs::write(staged.path(), json).map_err(io_error("writing session.json"))?;
    std::fs::rename(staged.path(), folder.join(SESSION_FILE))
        .map_err(io_error("writing session.json"))?;
    staged.keep();
    Ok(())
}

/// Adds a received chunk (`staged`, exactly `start..=end`). Where it overlaps parts already
/// there, the bytes must be identical (a retry): otherwise `RangeConflict` and nothing
/// changes. A chunk that brings nothing new is dropped.
pub fn add_part(folder: &Path, staged: Staged, start: u64, end: u64) -> Result<(), UploadError> {
    let mut incoming = File::open(staged.path()).map_err(io_error("reading a chunk"))?;
    let mut overlap = RangeSet::default();
    for part in parts(folder)? {
        let (from, to) = (start.max(part.start), end.min(part.end));
        if from > to {
            continue;
        }
        let mut existing =
            File::open(folder.join(part.name())).map_err(io_error("reading a part"))?;
        let same = same_bytes(
            (&mut incoming, from - start),
            (&mut existing, from - part.start),
            to - from + 1,
        )
        .map_err(io_error("comparing a chunk"))?;
        if !same {
            return Err(UploadError::RangeConflict);
        }
        overlap.insert(from, to);
    }
    if overlap.ranges() == [(start, end)] {
        return Ok(());
    }
    let part = Part { start, end };
    std::fs::rename(staged.path(), folder.join(part.name()))
        .map_err(io_error("storing a chunk"))?;
    staged.keep();
    sync_dir(folder)
}

/// The bytes received so far.
pub fn received(folder: &Path) -> Result<RangeSet, UploadError> {
    Ok(parts(folder)?
        .into_iter()
        .map(|p| (p.start, p.end))
        .collect())
}

/// Joins the parts of a complete upload into one staged file. A single part holding every
/// byte is hard-linked rather than copied; the parts stay until the caller removes the folder.
pub fn assemble(folder: &Path, tmp: &Path, total: u64, now: u64) -> Result<Staged, UploadError> {
    let mut parts = parts(folder)?;
    parts.sort_by_key(|p| (p.start, std::cmp::Reverse(p.end)));
    let staged = Staged::new_in(tmp, now)?;
    if let Some(whole) = parts.iter().find(|p| p.start == 0 && p.end + 1 == total) {
        std::fs::hard_link(folder.join(whole.name()), staged.path())
            .map_err(io_error("linking an upload"))?;
        return Ok(staged);
    }
    let mut out = File::create_new(staged.path()).map_err(io_error("assembling an upload"))?;
    let mut written: u64 = 0;
    for part in parts {
        if part.end < written {
            continue;
        }
        let mut file = File::open(folder.join(part.name())).map_err(io_error("reading a part"))?;
        file.seek(SeekFrom::Start(written - part.start))
            .map_err(io_error("reading a part"))?;
        let wanted = part.end + 1 - written;
        let copied = std::io::copy(&mut file.take(wanted), &mut out)
            .map_err(io_error("assembling an upload"))?;
        if copied != wanted {
            return Err(UploadError::Io(
                "a part is shorter than its name says".into(),
            ));
        }
        written = part.end + 1;
    }
    if written != total {
        return Err(UploadError::Io("the parts do not cover the upload".into()));
    }
    out.sync_all().map_err(io_error("syncing an upload"))?;
    Ok(staged)
}

/// Removes a finished or abandoned upload.
pub fn remove(folder: &Path) -> Result<(), UploadError> {
    match std::fs::remove_dir_all(folder) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == ErrorKind::NotFound => Ok(()),
        Err(e) => Err(io_error("removing an upload")(e)),
    }
}

fn parts(folder: &Path) -> Result<Vec<Part>, UploadError> {
    let entries = match std::fs::read_dir(folder) {
        Ok(entries) => entries,
        Err(e) if e.kind() == ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(io_error("listing parts")(e)),
    };
    let mut parts = Vec::new();
    for entry in entries {
        let entry = entry.map_err(io_error("listing parts"))?;
        if let Some(part) = entry.file_name().to_str().and_then(Part::parse) {
            parts.push(part);
        }
    }
    Ok(parts)
}

/// Whether `len` bytes at the two offsets are equal.
fn same_bytes(a: (&mut File, u64), b: (&mut File, u64), len: u64) -> std::io::Result<bool> {
    let (a, a_at) = a;
    let (b, b_at) = b;
    a.seek(SeekFrom::Start(a_at))?;
    b.seek(SeekFrom::Start(b_at))?;
    let mut left = len;
    let (mut block_a, mut block_b) = (vec![0u8; COMPARE_BLOCK], vec![0u8; COMPARE_BLOCK]);
    while left > 0 {
        let n = COMPARE_BLOCK.min(usize::try_from(left).unwrap_or(COMPARE_BLOCK));
        a.read_exact(&mut block_a[..n])?;
        b.read_exact(&mut block_b[..n])?;
        if block_a[..n] != block_b[..n] {
            return Ok(false);
        }
        left -= n as u64;
    }
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Dirs {
        _root: tempfile::TempDir,
        folder: PathBuf,
        tmp: PathBuf,
    }

    fn dirs() -> Dirs {
        let root = tempfile::tempdir().unwrap();
        let tmp = root.path().join("tmp");
        std::fs::create_dir(&tmp).unwrap();
        let uploads = root.path().join("uploads");
        std::fs::create_dir(&uploads).unwrap();
        let key = StorageKey::from_decoded("a/b.bin").unwrap();
        let folder = folder(&uploads, &key);
        open_or_create(&folder, &tmp, &key, 10, 100).unwrap();
        Dirs {
            _root: root,
            folder,
            tmp,
        }
    }

    fn chunk(d: &Dirs, bytes: &[u8]) -> Staged {
        let staged = Staged::new_in(&d.tmp, 100).unwrap();
        std::fs::write(staged.path(), bytes).unwrap();
        staged
    }

    const FILE: &[u8; 10] = b"0123456789";

    #[test]
    fn overlapping_parts_assemble_into_the_file() {
        let d = dirs();
        add_part(&d.folder, chunk(&d, &FILE[6..]), 6, 9).unwrap();
        add_part(&d.folder, chunk(&d, &FILE[..4]), 0, 3).unwrap();
        assert!(!received(&d.folder).unwrap().covers(10));
        add_part(&d.folder, chunk(&d, &FILE[2..8]), 2, 7).unwrap();
        assert!(received(&d.folder).unwrap().covers(10));
        let whole = assemble(&d.folder, &d.tmp, 10, 100).unwrap();
        assert_eq!(std::fs::read(whole.path()).unwrap(), FILE);
    }

    #[test]
    fn a_contradicting_overlap_is_refused_and_changes_nothing() {
        let d = dirs();
        add_part(&d.folder, chunk(&d, &FILE[..5]), 0, 4).unwrap();
        let before = received(&d.folder).unwrap();
        let refused = add_part(&d.folder, chunk(&d, b"3X567"), 3, 7);
        assert_eq!(refused, Err(UploadError::RangeConflict));
        assert_eq!(received(&d.folder).unwrap(), before);
        assert_eq!(std::fs::read_dir(&d.tmp).unwrap().count(), 0, "temp left");
    }

    #[test]
    fn an_identical_retry_adds_no_part() {
        let d = dirs();
        add_part(&d.folder, chunk(&d, &FILE[..5]), 0, 4).unwrap();
        add_part(&d.folder, chunk(&d, &FILE[..5]), 0, 4).unwrap();
        add_part(&d.folder, chunk(&d, &FILE[1..3]), 1, 2).unwrap();
        assert_eq!(parts(&d.folder).unwrap(), [Part { start: 0, end: 4 }]);
    }

    #[test]
    fn one_part_holding_everything_is_linked_not_copied() {
        let d = dirs();
        add_part(&d.folder, chunk(&d, FILE), 0, 9).unwrap();
        let whole = assemble(&d.folder, &d.tmp, 10, 100).unwrap();
        let part = d.folder.join(Part { start: 0, end: 9 }.name());
        #[cfg(unix)]
        {
            use std::os::unix::fs::MetadataExt;
            let ino = |p: &Path| std::fs::metadata(p).unwrap().ino();
            assert_eq!(ino(whole.path()), ino(&part));
        }
        assert_eq!(std::fs::read(whole.path()).unwrap(), FILE);
    }

    #[test]
    fn the_total_is_fixed_by_the_first_chunk() {
        let d = dirs();
        let key = StorageKey::from_decoded("a/b.bin").unwrap();
        let refused = open_or_create(&d.folder, &d.tmp, &key, 11, 100);
        assert_eq!(
            refused,
            Err(UploadError::TotalMismatch {
                pending: 10,
                given: 11
            })
        );
    }
}
