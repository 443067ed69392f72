//! The File object of contract §5: what is recorded about a stored upload and how it is shown
//! to clients. Facts come from the bytes (type sniffed, image size from the header alone),
//! never from the name or what the client claimed.

use std::io::Read;
use std::path::Path;

use serde::{Deserialize, Serialize};

use super::UploadError;
use crate::render::decode;
use crate::source::StorageKey;

/// Bytes read to sniff the type and find an image's header (JPEG headers can sit behind
/// large EXIF and ICC segments).
const INSPECT_BYTES: u64 = 1024 * 1024;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    Image,
    Video,
    Audio,
    Other,
}

/// What the bytes say about an upload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Facts {
    pub kind: Kind,
    /// MIME type from the bytes; `application/octet-stream` when unknown.
    pub mime: String,
    /// Upright size for images whose header could be read.
    pub size: Option<(u32, u32)>,
    pub filesize: u64,
}

/// The stored record of one file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileRecord {
    /// `file_` + 20 of `[0-9a-z]`; one per path, kept when the file is replaced.
    pub id: String,
    /// The storage key.
    pub key: String,
    pub kind: Kind,
    pub mime: String,
    pub width: Option<u32>,
    pub height: Option<u32>,
    pub filesize: u64,
    /// Unix seconds.
    pub created: u64,
    pub updated: u64,
}

impl FileRecord {
    /// The record of `key` now holding a file with these `facts`: `earlier` (the path's
    /// previous record) keeps its `created`.
    pub fn of(
        id: String,
        key: &StorageKey,
        facts: &Facts,
        earlier: Option<&FileRecord>,
        now: u64,
    ) -> FileRecord {
        FileRecord {
            id,
            key: key.to_string(),
            kind: facts.kind,
            mime: facts.mime.clone(),
            width: facts.size.map(|(w, _)| w),
            height: facts.size.map(|(_, h)| h),
            filesize: facts.filesize,
            created: earlier.map_or(now, |e| e.created),
            updated: now,
        }
    }
}

/// Reads what the first bytes of `path` say.
pub fn inspect(path: &Path) -> Result<Facts, UploadError> {
    let io = |e: std::io::Error| UploadError::Io(format!("inspecting an upload: {e}"));
    let file = std::fs::File::open(path).map_err(io)?;
    let filesize = file.metadata().map_err(io)?.len();
    let mut head = Vec::new();
    file.take(INSPECT_BYTES)
        .read_to_end(&mut head)
        .map_err(io)?;
    Ok(facts(&head, filesize))
}

/// Facts from the first bytes of a file of `filesize` bytes.
pub fn facts(head: &[u8], filesize: u64) -> Facts {
    let sniffed = infer::get(head);
    let mime = sniffed.map_or("application/octet-stream", |t| t.mime_type());
    let kind = match mime.split('/').next() {
        Some("image") => Kind::Image,
        Some("video") => Kind::Video,
        Some("audio") => Kind::Audio,
        _ => Kind::Other,
    };
    // Only formats pixgate decodes get a size, read from the header without decoding pixels.
    let size = decode::header(head, u64::MAX).ok().map(|h| h.upright);
    Facts {
        kind,
        mime: mime.to_string(),
        size,
        filesize,
    }
}

impl FileRecord {
    /// The File object as JSON; `url` fetches the file (signed when it is private).
    pub fn to_json(&self, url: &str) -> serde_json::Value {
        let (folder, filename) = self.key.rsplit_once('/').unwrap_or(("", &self.key));
        serde_json::json!({
            "id": self.id,
            "object": "file",
            "kind": self.kind,
            "type": self.mime,
            "width": self.width,
            "height": self.height,
            "filesize": self.filesize,
            "filename": filename,
            "folder": folder,
            "url": url,
            "created": rfc3339(self.created),
            "updated": rfc3339(self.updated),
        })
    }
}

/// `2026-11-23T10:00:00Z` for unix seconds (UTC, proleptic Gregorian).
pub fn rfc3339(unix: u64) -> String {
    let days = unix / 86_400;
    let seconds = unix % 86_400;
    let (year, month, day) = civil_from_days(days);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        seconds / 3600,
        seconds / 60 % 60,
        seconds % 60
    )
}

/// Howard Hinnant's `civil_from_days`, for days since 1970-01-01 (never negative here).
fn civil_from_days(days: u64) -> (u64, u64, u64) {
    let z = days + 719_468;
    let era = z / 146_097;
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + u64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc3339_matches_known_instants() {
        let cases = [
            (0, "1970-01-01T00:00:00Z"),
            (951_782_400, "2000-02-29T00:00:00Z"),
            (1_765_366_400, "2025-12-10T11:33:20Z"),
            (4_107_542_399, "2100-02-28T23:59:59Z"),
            (4_107_542_400, "2100-03-01T00:00:00Z"),
        ];
        for (unix, want) in cases {
            assert_eq!(rfc3339(unix), want, "{unix}");
        }
    }

    #[test]
    fn kind_and_type_come_from_the_bytes() {
        let mut png = Vec::new();
        image::RgbaImage::new(64, 40)
            .write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png)
            .unwrap();
        let f = facts(&png, 100);
        assert_eq!(
            (f.kind, f.mime.as_str(), f.size),
            (Kind::Image, "image/png", Some((64, 40)))
        );
        let mp4 = b"\0\0\0\x18ftypmp42\0\0\0\0mp42isom";
        let f = facts(mp4, 24);
        assert_eq!(
            (f.kind, f.mime.as_str(), f.size),
            (Kind::Video, "video/mp4", None)
        );
        let f = facts(b"ID3\x04\0\0\0\0\0\0", 10);
        assert_eq!((f.kind, f.mime.as_str()), (Kind::Audio, "audio/mpeg"));
        let f = facts(b"just some text", 14);
        assert_eq!(
            (f.kind, f.mime.as_str(), f.size),
            (Kind::Other, "application/octet-stream", None)
        );
    }
}
