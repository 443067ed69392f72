//! Bodies land in temp files under `<root>/.pixgate/tmp/` first: nothing reaches a final name
//! until it is complete, checked and fsynced. A temp file is removed when its guard drops, so
//! a refused body, a client that disconnects or a handler that is cancelled leaves nothing.

use std::path::{Path, PathBuf};

use bytes::Bytes;
use futures_util::{Stream, StreamExt};
use tokio::io::AsyncWriteExt;

use super::{BodyError, UploadError};
use crate::source::RESERVED_SEGMENT_PREFIX;

/// Writes go to disk in blocks this large, whatever the size of the body's frames (64 KiB
/// made 8 MB uploads 15 % slower). Every upload in flight holds its block twice, here and in
/// tokio's file buffer.
const WRITE_BUFFER_BYTES: usize = 256 * 1024;

/// A temp file that is deleted on drop unless [`Staged::keep`] was called (after a rename).
#[derive(Debug)]
pub struct Staged {
    path: PathBuf,
    kept: bool,
}

impl Staged {
    /// A fresh, unique name in `dir`: `.pixgate-<unix time>-<random>`. The reserved prefix
    /// keeps it unreachable by URL even beside a destination; the time lets a sweep tell its
    /// age from the name alone.
    pub fn new_in(dir: &Path, now: u64) -> Result<Staged, UploadError> {
        let mut random = [0u8; 8];
        getrandom::fill(&mut random).map_err(|e| UploadError::Io(format!("random: {e}")))?;
        let name = format!(
            "{RESERVED_SEGMENT_PREFIX}-{now}-{}",
            crate::hex::lower(&random)
        );
        Ok(Staged {
            path: dir.join(name),
            kept: false,
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The file now lives under another name (or was consumed): do not delete.
    pub fn keep(mut self) {
        self.kept = true;
    }
}

impl Drop for Staged {
    fn drop(&mut self) {
        if !self.kept {
            // Best effort: a leftover is swept by age later.
            let _ = std::fs::remove_file(&self.path);
        }
    }
}

/// What a body must amount to.
#[derive(Debug, Clone, Copy)]
pub enum Expected {
    /// Exactly this many bytes (a chunk): more or fewer is `LengthMismatch`.
    Exactly(u64),
    /// Anything up to this many bytes (a whole file): more is `TooLarge`.
    AtMost(u64),
}

/// Streams `body` into `staged`, enforcing `expected` while reading (a body that runs over
/// is cut off at once, not read to its end), then flushes and fsyncs. Returns the length.
pub async fn receive<S>(body: S, staged: &Staged, expected: Expected) -> Result<u64, UploadError>
where
    S: Stream<Item = Result<Bytes, BodyError>>,
{
    let limit = match expected {
        Expected::Exactly(n) | Expected::AtMost(n) => n,
    };
    let file = tokio::fs::File::create_new(staged.path())
        .await
        .map_err(|e| UploadError::Io(format!("creating {}: {e}", staged.path().display())))?;
    let mut out = file;
    // Grown as the body arrives, so a small body holds about its own size, not a whole block.
    let mut block: Vec<u8> = Vec::new();
    let mut received: u64 = 0;
    let mut body = std::pin::pin!(body);
    while let Some(frame) = body.next().await {
        let frame = frame?;
        received += frame.len() as u64;
        if received > limit {
            return Err(overrun(expected, received));
        }
        if block.len() + frame.len() > WRITE_BUFFER_BYTES {
            out.write_all(&block).await.map_err(write_error)?;
            block.clear();
        }
        if frame.len() >= WRITE_BUFFER_BYTES {
            out.write_all(&frame).await.map_err(write_error)?;
        } else {
            block.extend_from_slice(&frame);
        }
    }
    out.write_all(&block).await.map_err(write_error)?;
    if let Expected::Exactly(n) = expected
        && received != n
    {
        return Err(UploadError::LengthMismatch {
            expected: n,
            received,
        });
    }
    out.flush().await.map_err(write_error)?;
    out.sync_all().await.map_err(write_error)?;
    Ok(received)
}

fn overrun(expected: Expected, received: u64) -> UploadError {
    match expected {
        Expected::Exactly(n) => UploadError::LengthMismatch {
            expected: n,
            received,
        },
        Expected::AtMost(limit) => UploadError::TooLarge { limit },
    }
}

fn write_error(e: std::io::Error) -> UploadError {
    UploadError::Io(format!("writing an upload: {e}"))
}

/// The unix time a staged name was made at, if `name` is one.
pub fn staged_at(name: &str) -> Option<u64> {
    let rest = name
        .strip_prefix(RESERVED_SEGMENT_PREFIX)?
        .strip_prefix('-')?;
    rest.split('-').next()?.parse().ok()
}
