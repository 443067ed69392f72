//! A bucket source's resumable uploads, with their state in the bucket rather than on one
//! instance's disk, so the chunks of one upload may reach any instance in any order. Under
//! the reserved prefix no storage key can name, per upload (`<h>`, the key's hash):
//!
//! - `uploads/<h>/<total>/<start>-<end>`: each chunk, as received;
//! - `uploads/<h>/<total>.commit`: the claim of the one instance that commits, created with
//!   `If-None-Match: *` and read back, so two instances that complete the last two chunks at
//!   once cannot both commit: the bucket lets one create it and refuses the other;
//! - `uploads/<h>/<total>.done`: the File object once committed, for the other instances
//!   and later status queries.
//!
//! The file is assembled from the chunks on the committing instance, checked, and written
//! with one `PutObject` as before: the bucket never holds half an upload.

use std::io::{Seek, SeekFrom, Write};
use std::path::Path;
use std::time::Duration;

use sha2::{Digest, Sha256};

use super::bucket_records::failed;
use super::file_object::FileRecord;
use super::staging::Staged;
use super::{Progress, RangeSet, UploadError, io_error as io};
use crate::source::remote::Bucket;
use crate::source::{RESERVED_SEGMENT_PREFIX, RemoteStore, StorageKey};

/// Chunks, claims and records are small or were just received: the bucket has this long.
const TIMEOUT: Duration = Duration::from_secs(60);
/// How long a claimant waits before reading its claim back.
const CLAIM_SETTLE: Duration = Duration::from_millis(250);
/// How long an instance that lost the claim waits for the winner's record.
const WAIT_FOR_COMMIT: Duration = Duration::from_secs(10);

/// One received chunk in the bucket.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Part {
    pub total: u64,
    pub start: u64,
    pub end: u64,
}

/// The upload of `key` in `store`'s bucket.
pub struct Upload<'a> {
    bucket: &'a Bucket,
    client: &'a reqwest::Client,
    /// `.pixgate/uploads/<h>/`.
    folder: String,
}

impl<'a> Upload<'a> {
    pub fn of(store: &'a RemoteStore, key: &StorageKey) -> Result<Upload<'a>, UploadError> {
        let bucket = store
            .bucket()
            .ok_or_else(|| UploadError::Io("the source is not a bucket".into()))?;
        let hash = crate::hex::lower(&Sha256::digest(key.as_str().as_bytes()));
        Ok(Upload {
            bucket,
            client: store.client(),
            folder: format!("{RESERVED_SEGMENT_PREFIX}/uploads/{hash}/"),
        })
    }

    /// The chunks received so far, of any total.
    pub async fn parts(&self) -> Result<Vec<Part>, UploadError> {
        let names = self
            .bucket
            .list(self.client, &self.folder, TIMEOUT)
            .await
            .map_err(failed("listing an upload's chunks"))?;
        Ok(names
            .iter()
            .filter_map(|n| part(n.strip_prefix(self.folder.as_str())?))
            .collect())
    }

    /// Stores the chunk `staged` (exactly `start..=end` of `total`). Where it overlaps
    /// chunks already there, the bytes must be the same (a retry), else `RangeConflict` and
    /// nothing is stored.
    pub async fn add(
        &self,
        parts: &[Part],
        staged: &Staged,
        chunk: Part,
    ) -> Result<(), UploadError> {
        let bytes = std::fs::read(staged.path()).map_err(io("reading a chunk"))?;
        for other in parts.iter().filter(|p| p.total == chunk.total) {
            let (from, to) = (chunk.start.max(other.start), chunk.end.min(other.end));
            if from > to {
                continue;
            }
            let existing = self.get(&self.part_name(other)).await?.unwrap_or_default();
            let theirs = existing.get(span(from - other.start, to - from));
            let ours = bytes.get(span(from - chunk.start, to - from));
            if theirs.is_none() || theirs != ours {
                return Err(UploadError::RangeConflict);
            }
        }
        self.bucket
            .put_bytes(self.client, &self.part_name(&chunk), bytes, TIMEOUT)
            .await
            .map_err(failed("storing a chunk"))
    }

    /// A chunk of a new upload to a key whose last upload of this size was committed: the
    /// old claim and record go first, so the new one is not taken for done.
    pub async fn restart_if_finished(&self, parts: &[Part], total: u64) -> Result<(), UploadError> {
        if parts.iter().any(|p| p.total == total) || self.record(total).await?.is_none() {
            return Ok(());
        }
        for marker in ["done", "commit"] {
            let name = format!("{}{total}.{marker}", self.folder);
            self.bucket
                .delete(self.client, &name, TIMEOUT)
                .await
                .map_err(failed("clearing a finished upload"))?;
        }
        Ok(())
    }

    /// Where the upload of `total` bytes stands; `None` once every byte is there and this
    /// instance should commit it (its claim is made), or `Some(Complete)` if another did.
    pub async fn progress(&self, total: u64) -> Result<Option<Progress>, UploadError> {
        if let Some(record) = self.record(total).await? {
            return Ok(Some(Progress::Complete(record)));
        }
        let received = received(&self.parts().await?, total);
        if !received.covers(total) {
            return Ok(Some(Progress::Partial { total, received }));
        }
        if self.claim(total).await? {
            return Ok(None);
        }
        // Another instance commits: its record shows when it is done.
        let started = std::time::Instant::now();
        while started.elapsed() < WAIT_FOR_COMMIT {
            tokio::time::sleep(Duration::from_millis(100)).await;
            if let Some(record) = self.record(total).await? {
                return Ok(Some(Progress::Complete(record)));
            }
        }
        Ok(Some(Progress::Partial { total, received }))
    }

    /// Claims the commit: creates the claim with `If-None-Match: *`, then reads it back after
    /// a moment. A store whose conditional write is atomic (S3, MinIO, R2) refuses the second
    /// claimant at once; one that only checks and then writes lets both write, and the read
    /// back leaves the claim with the last writer alone.
    async fn claim(&self, total: u64) -> Result<bool, UploadError> {
        let name = format!("{}{total}.commit", self.folder);
        let mut token = [0u8; 16];
        getrandom::fill(&mut token).map_err(|e| UploadError::Io(e.to_string()))?;
        let created = self
            .bucket
            .put_bytes_if_absent(self.client, &name, token.to_vec(), TIMEOUT)
            .await
            .map_err(failed("claiming the commit"))?;
        if !created {
            return Ok(false);
        }
        tokio::time::sleep(CLAIM_SETTLE).await;
        Ok(self.get(&name).await?.as_deref() == Some(token.as_slice()))
    }

    /// The whole file, from the chunks, into a staged file in `tmp`.
    pub async fn assemble(&self, tmp: &Path, total: u64, now: u64) -> Result<Staged, UploadError> {
        let staged = Staged::new_in(tmp, now)?;
        let mut file = std::fs::File::create(staged.path()).map_err(io("assembling an upload"))?;
        for chunk in self.parts().await?.iter().filter(|p| p.total == total) {
            let bytes = self.get(&self.part_name(chunk)).await?.unwrap_or_default();
            file.seek(SeekFrom::Start(chunk.start))
                .and_then(|_| file.write_all(&bytes))
                .map_err(io("assembling an upload"))?;
        }
        file.sync_all().map_err(io("assembling an upload"))?;
        Ok(staged)
    }

    /// Records the committed file for the other instances, then clears the chunks (a chunk
    /// left behind by a failed delete is cleared by the bucket's lifecycle rule).
    pub async fn finish(&self, total: u64, record: &FileRecord) -> Result<(), UploadError> {
        let json = serde_json::to_vec(record).map_err(|e| UploadError::Io(e.to_string()))?;
        let done = format!("{}{total}.done", self.folder);
        self.bucket
            .put_bytes(self.client, &done, json, TIMEOUT)
            .await
            .map_err(failed("recording the committed upload"))?;
        for chunk in self.parts().await?.iter().filter(|p| p.total == total) {
            let _ = self
                .bucket
                .delete(self.client, &self.part_name(chunk), TIMEOUT)
                .await;
        }
        Ok(())
    }

    async fn record(&self, total: u64) -> Result<Option<FileRecord>, UploadError> {
        let done = format!("{}{total}.done", self.folder);
        let Some(json) = self.get(&done).await? else {
            return Ok(None);
        };
        Ok(serde_json::from_slice(&json).ok())
    }

    async fn get(&self, name: &str) -> Result<Option<Vec<u8>>, UploadError> {
        let bytes = self
            .bucket
            .get_bytes(self.client, name, TIMEOUT)
            .await
            .map_err(failed("reading an upload"))?;
        Ok(bytes.map(|b| b.to_vec()))
    }

    fn part_name(&self, p: &Part) -> String {
        format!("{}{}/{}-{}", self.folder, p.total, p.start, p.end)
    }
}

/// `pending` is the total of the chunks already there, if any: another one is refused
/// before its body is read.
pub fn check_total(parts: &[Part], total: u64) -> Result<(), UploadError> {
    match parts.iter().find(|p| p.total != total) {
        Some(p) => Err(UploadError::TotalMismatch {
            pending: p.total,
            given: total,
        }),
        None => Ok(()),
    }
}

/// The bytes of `total` received.
pub fn received(parts: &[Part], total: u64) -> RangeSet {
    let mut set = RangeSet::default();
    for p in parts.iter().filter(|p| p.total == total) {
        set.insert(p.start, p.end);
    }
    set
}

/// `<total>/<start>-<end>`; claims, records and anything else are no chunk.
fn part(name: &str) -> Option<Part> {
    let (total, range) = name.split_once('/')?;
    let (start, end) = range.split_once('-')?;
    let part = Part {
        total: total.parse().ok()?,
        start: start.parse().ok()?,
        end: end.parse().ok()?,
    };
    (part.start <= part.end && part.end < part.total).then_some(part)
}

/// The byte range `offset..=offset + len` as a slice range.
fn span(offset: u64, len: u64) -> std::ops::RangeInclusive<usize> {
    let start = usize::try_from(offset).unwrap_or(usize::MAX);
    start..=start.saturating_add(usize::try_from(len).unwrap_or(usize::MAX))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunk_names_round_trip_and_markers_are_no_chunks() {
        assert_eq!(
            part("100/0-49"),
            Some(Part {
                total: 100,
                start: 0,
                end: 49
            })
        );
        for not_a_chunk in ["100.commit", "100.done", "100/50-20", "100/0-100", "x/0-1"] {
            assert_eq!(part(not_a_chunk), None, "{not_a_chunk}");
        }
        let parts = [part("100/0-49").unwrap(), part("100/40-99").unwrap()];
        assert!(received(&parts, 100).covers(100));
        assert!(check_total(&parts, 100).is_ok());
        assert!(matches!(
            check_total(&parts, 90),
            Err(UploadError::TotalMismatch {
                pending: 100,
                given: 90
            })
        ));
    }
}
