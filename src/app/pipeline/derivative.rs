//! A rendered image as the derivative cache holds it: its bytes and what a response needs to
//! describe them. The validators are made once, when the image is rendered, so that a cache
//! hit copies nothing: the response layer turns these shared buffers into header values.

use std::time::SystemTime;

use bytes::Bytes;
use sha2::{Digest, Sha256};

use crate::cache::Weighed;
use crate::cache::disk::Record;

/// Where a derivative's bytes came from when it was loaded into memory.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tier {
    Rendered,
    Disk,
    Shared,
}

/// The content types pixgate answers derivatives with: a record naming another is not one of
/// ours and is not served.
const CONTENT_TYPES: [&str; 8] = [
    "image/jpeg",
    "image/png",
    "image/webp",
    "image/avif",
    "image/gif",
    "application/json",
    "text/plain; charset=utf-8",
    "text/css; charset=utf-8",
];

/// A rendered image.
#[derive(Debug)]
pub struct Derivative {
    pub tier: Tier,
    pub bytes: Bytes,
    pub content_type: &'static str,
    /// The strong validator: a hash of the bytes, quoted (`"…"`), as `ETag` carries it.
    pub etag: Bytes,
    /// The original's modification time, for `Last-Modified` and `If-Modified-Since`.
    pub modified: Option<SystemTime>,
    /// `modified` as an HTTP date (`Sun, 06 Nov 1994 08:49:37 GMT`).
    pub modified_text: Option<Bytes>,
}

impl Derivative {
    /// `bytes` keeps exactly its length: encoders grow their output by doubling and the cache
    /// charges the length, so a full cache could otherwise hold up to twice its budget.
    pub fn new(
        mut bytes: Vec<u8>,
        content_type: &'static str,
        modified: Option<SystemTime>,
    ) -> Derivative {
        bytes.shrink_to_fit();
        Derivative::described(bytes.into(), content_type, modified, Tier::Rendered)
    }

    fn described(
        bytes: Bytes,
        content_type: &'static str,
        modified: Option<SystemTime>,
        tier: Tier,
    ) -> Derivative {
        let digest = Sha256::digest(&bytes);
        let etag = format!("\"{}\"", crate::hex::lower(&digest[..16]));
        Derivative {
            tier,
            bytes,
            content_type,
            etag: etag.into(),
            modified,
            modified_text: modified.map(|at| httpdate::fmt_http_date(at).into()),
        }
    }

    /// A derivative read back from a cache tier; `None` if its content type is not one
    /// pixgate answers with.
    pub fn from_record(record: Record, tier: Tier) -> Option<Derivative> {
        let content_type = CONTENT_TYPES
            .into_iter()
            .find(|known| *known == record.content_type)?;
        Some(Derivative::described(
            record.bytes,
            content_type,
            record.modified,
            tier,
        ))
    }

    /// What the disk tier keeps of it.
    pub fn to_record(&self) -> Record {
        Record {
            content_type: self.content_type.to_string(),
            modified: self.modified,
            bytes: self.bytes.clone(),
        }
    }

    /// The `ETag` as text, for comparing with the client's validators.
    pub fn etag_text(&self) -> &str {
        std::str::from_utf8(&self.etag).unwrap_or_default()
    }
}

impl Weighed for Derivative {
    fn weight(&self) -> u64 {
        let validators = self.etag.len() + self.modified_text.as_ref().map_or(0, Bytes::len);
        (self.bytes.len() + validators) as u64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The cache charges a derivative's length; it must hold no more than that (an encoder's
    /// output vector is often twice its length).
    #[test]
    fn a_derivative_keeps_no_spare_capacity() {
        let mut encoded = Vec::with_capacity(64 * 1024);
        encoded.extend_from_slice(&[7u8; 30_000]);
        let d = Derivative::new(encoded, "image/webp", None);
        // The bytes and the 34-character quoted ETag; no date without a modification time.
        assert_eq!(d.weight(), 30_000 + 34);
        let Derivative { bytes, .. } = d;
        let held = bytes.try_into_mut().map(|b| b.capacity());
        assert_eq!(held, Ok(30_000));
    }

    #[test]
    fn validators_are_the_hash_of_the_bytes_and_an_http_date() {
        let at = SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(784_111_777);
        let d = Derivative::new(b"abc".to_vec(), "image/png", Some(at));
        // SHA-256("abc"), first 16 bytes.
        assert_eq!(d.etag_text(), "\"ba7816bf8f01cfea414140de5dae2223\"");
        assert_eq!(
            d.modified_text.as_deref(),
            Some(&b"Sun, 06 Nov 1994 08:49:37 GMT"[..])
        );
    }
}
