//! What can be refused from the head of a file alone, before a render waits for a worker: a
//! file that is no image (415) and one whose header declares more pixels than allowed (413).
//! Answered at once, these never take a queue slot, so a flood of bombs meets no `503`s and
//! holds nothing while real renders wait. Anything the head cannot settle (a JPEG whose size
//! comes after a large EXIF block, a truncated header, frame counts) is left to the render,
//! which sees the whole file and decides exactly as before.

use super::RenderError;
use super::decode::{self, SourceFormat};

/// How much of a file the early check reads.
pub const HEAD_BYTES: usize = 64 * 1024;

/// `Err` only for what the whole file would be refused for too; `whole` says `head` is all of
/// it.
pub fn refuse_early(head: &[u8], whole: bool, max_pixels: u64) -> Result<(), RenderError> {
    match SourceFormat::sniff(head) {
        // An SVG's root may come after a long prolog; its size needs the whole document.
        None if !whole && might_be_markup(head) => Ok(()),
        None => Err(RenderError::NotAnImage),
        Some(SourceFormat::Svg) if !whole => Ok(()),
        Some(_) => match decode::header(head, max_pixels) {
            Err(refused @ (RenderError::TooManyPixels { .. } | RenderError::NotAnImage)) => {
                Err(refused)
            }
            _ => Ok(()),
        },
    }
}

/// Text that could still be an XML prolog: a byte-order mark, whitespace or `<` first.
fn might_be_markup(head: &[u8]) -> bool {
    let head = head.strip_prefix(b"\xef\xbb\xbf").unwrap_or(head);
    head.iter()
        .find(|b| !b.is_ascii_whitespace())
        .is_none_or(|b| *b == b'<')
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A PNG signature and IHDR declaring `w`×`h`, and nothing more.
    fn png_head(w: u32, h: u32) -> Vec<u8> {
        let mut out = b"\x89PNG\r\n\x1a\n\0\0\0\x0dIHDR".to_vec();
        out.extend_from_slice(&w.to_be_bytes());
        out.extend_from_slice(&h.to_be_bytes());
        out.extend_from_slice(&[8, 6, 0, 0, 0, 0, 0, 0, 0]);
        out
    }

    #[test]
    fn only_what_the_whole_file_would_be_refused_for_is_refused() {
        let bomb = png_head(100_000, 100_000);
        assert!(matches!(
            refuse_early(&bomb, false, 1 << 26),
            Err(RenderError::TooManyPixels { .. })
        ));
        assert!(refuse_early(&png_head(100, 100), false, 1 << 26).is_ok());
        assert!(matches!(
            refuse_early(b"%PDF-1.7 not an image", true, 1 << 26),
            Err(RenderError::NotAnImage)
        ));
        // Truncated: a JPEG start with no frame header yet is for the render to judge.
        assert!(refuse_early(b"\xff\xd8\xff\xe1\x10\x00Exif", false, 1 << 26).is_ok());
        // Maybe an SVG behind a long comment: unknown from the head.
        assert!(refuse_early(b"<?xml version=\"1.0\"?><!-- ...", false, 1 << 26).is_ok());
        assert!(refuse_early(b"<html>", true, 1 << 26).is_err());
    }
}
