//! What can be refused from the head of a file alone, before a render waits for a worker: a
//! file that is no image (415), one whose header declares more pixels than allowed (413), and
//! an animation with more frames than allowed within the head already, when the render would
//! count them (413). Answered at once, these never take a queue slot, so a flood of bombs
//! meets no `503`s and holds nothing while real renders wait. Anything the head cannot settle
//! (a JPEG whose size comes after a large EXIF block, a truncated header, frames past the
//! head) is left to the render, which sees the whole file and decides exactly as before.

use super::decode::{self, SourceFormat};
use super::{RenderError, animation, moving_format};
use crate::transform::{Negotiated, Transform};

/// How much of a file the early check reads.
pub const HEAD_BYTES: usize = 64 * 1024;

/// What the early check needs to know of the request and the limits.
#[derive(Debug, Clone, Copy)]
pub struct Asked<'a> {
    pub transform: &'a Transform,
    pub negotiated: Option<Negotiated>,
    pub max_pixels: u64,
    pub max_frames: u32,
}

/// `Err` only for what the whole file would be refused for too; `whole` says `head` is all of
/// it.
pub fn refuse_early(head: &[u8], whole: bool, asked: Asked<'_>) -> Result<(), RenderError> {
    let header = match SourceFormat::sniff(head) {
        // An SVG's root may come after a long prolog; its size needs the whole document.
        None if !whole && might_be_markup(head) => return Ok(()),
        None => return Err(RenderError::NotAnImage),
        Some(SourceFormat::Svg) if !whole => return Ok(()),
        Some(_) => match decode::header(head, asked.max_pixels) {
            Ok(header) => header,
            Err(refused @ (RenderError::TooManyPixels { .. } | RenderError::NotAnImage)) => {
                return Err(refused);
            }
            Err(_) => return Ok(()),
        },
    };
    let moving = moving_format(&header, asked.transform, asked.negotiated);
    if !animation::frames_matter(&header, asked.transform, moving) {
        return Ok(());
    }
    // The scan stops as soon as it has counted one frame too many, so a head holding that
    // many settles it; a head cut before (or a corrupt frame) is the render's to judge.
    match decode::animation::scan(head, header.format, asked.max_frames) {
        Err(refused @ RenderError::TooManyFrames { .. }) => Err(refused),
        _ => Ok(()),
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

    fn asked(t: &Transform) -> Asked<'_> {
        Asked {
            transform: t,
            negotiated: None,
            max_pixels: 1 << 26,
            max_frames: 4,
        }
    }

    /// A GIF of `frames` 1×1 frames, each an image descriptor and a minimal LZW stream.
    fn gif(frames: usize) -> Vec<u8> {
        let mut out = b"GIF89a\x01\0\x01\0\x80\0\0\0\0\0\xff\xff\xff".to_vec();
        for _ in 0..frames {
            out.extend_from_slice(b"\x2c\0\0\0\0\x01\0\x01\0\0\x02\x02\x44\x01\0");
        }
        out.push(0x3b);
        out
    }

    #[test]
    fn only_what_the_whole_file_would_be_refused_for_is_refused() {
        let t = Transform::default();
        let bomb = png_head(100_000, 100_000);
        assert!(matches!(
            refuse_early(&bomb, false, asked(&t)),
            Err(RenderError::TooManyPixels { .. })
        ));
        assert!(refuse_early(&png_head(100, 100), false, asked(&t)).is_ok());
        assert!(matches!(
            refuse_early(b"%PDF-1.7 not an image", true, asked(&t)),
            Err(RenderError::NotAnImage)
        ));
        // Truncated: a JPEG start with no frame header yet is for the render to judge.
        assert!(refuse_early(b"\xff\xd8\xff\xe1\x10\x00Exif", false, asked(&t)).is_ok());
        // Maybe an SVG behind a long comment: unknown from the head.
        assert!(refuse_early(b"<?xml version=\"1.0\"?><!-- ...", false, asked(&t)).is_ok());
        assert!(refuse_early(b"<html>", true, asked(&t)).is_err());
    }

    #[test]
    fn frames_are_refused_only_when_the_render_would_count_them() {
        let t = Transform::default();
        let many = gif(5);
        assert!(matches!(
            refuse_early(&many, true, asked(&t)),
            Err(RenderError::TooManyFrames { limit: 4 })
        ));
        // Cut after the fifth frame: still settled by the head.
        assert!(refuse_early(&many[..many.len() - 1], false, asked(&t)).is_err());
        assert!(refuse_early(&gif(4), true, asked(&t)).is_ok());
        // A still output of the first frame never counts them.
        let still = Transform {
            format: Some(crate::transform::OutputFormat::Png),
            ..Transform::default()
        };
        assert!(refuse_early(&many, true, asked(&still)).is_ok());
    }
}
