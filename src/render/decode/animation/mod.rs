//! Animated input, GIF and WebP: a cheap pre-scan that counts frames without decompressing
//! them, and the composited frames (disposal and blending applied), decoded one at a time.

mod gif;
mod webp;

use std::io::Cursor;
use std::time::Duration;

use image::codecs::gif::GifDecoder;
use image::codecs::webp::WebPDecoder;
use image::{AnimationDecoder, ImageDecoder, RgbaImage};

use super::{SourceFormat, corrupt, guarded};
use crate::render::RenderError;

/// What the pre-scan learns: how many frames, and how often the animation plays again after
/// the first time (`None` = forever).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Animation {
    pub frames: u32,
    pub loops: Option<u16>,
}

/// A file that is not an animation: one frame.
const STILL: Animation = Animation {
    frames: 1,
    loops: None,
};

/// Counts the frames of a GIF or WebP without decoding them, refusing more than `max_frames`;
/// any other format is one frame.
pub fn scan(bytes: &[u8], format: SourceFormat, max_frames: u32) -> Result<Animation, RenderError> {
    match format {
        SourceFormat::Gif => gif::scan(bytes, max_frames),
        SourceFormat::Webp => webp::scan(bytes, max_frames),
        _ => Ok(STILL),
    }
}

/// Whether files of `format` may hold more than one frame that pixgate reads.
pub fn may_animate(format: SourceFormat) -> bool {
    matches!(format, SourceFormat::Gif | SourceFormat::Webp)
}

/// One composited frame (the whole canvas, disposal applied) and how long it shows.
pub struct Frame {
    pub image: RgbaImage,
    pub delay: Duration,
}

/// The frames of an animated GIF or WebP in order, decoded one at a time (memory holds one
/// canvas at once), each under `catch_unwind`: a decoder panic is a corrupt file.
pub fn frames(
    bytes: &[u8],
    format: SourceFormat,
    max_alloc: u64,
) -> Result<impl Iterator<Item = Result<Frame, RenderError>> + '_, RenderError> {
    let mut limits = image::Limits::default();
    limits.max_alloc = Some(max_alloc);
    let mut frames = guarded(|| match format {
        SourceFormat::Gif => {
            let mut decoder = GifDecoder::new(Cursor::new(bytes)).map_err(corrupt)?;
            decoder.set_limits(limits).map_err(corrupt)?;
            Ok(decoder.into_frames())
        }
        SourceFormat::Webp => {
            let mut decoder = WebPDecoder::new(Cursor::new(bytes)).map_err(corrupt)?;
            decoder.set_limits(limits).map_err(corrupt)?;
            Ok(decoder.into_frames())
        }
        _ => Err(RenderError::Internal(format!(
            "{format:?} files are not read as animations"
        ))),
    })?;
    Ok(std::iter::from_fn(move || {
        let next = guarded(|| Ok(frames.next()));
        let frame = match next {
            Ok(frame) => frame?,
            Err(e) => return Some(Err(e)),
        };
        Some(frame.map_err(corrupt).map(|frame| {
            let delay = Duration::from(frame.delay());
            Frame {
                image: frame.into_buffer(),
                delay,
            }
        }))
    }))
}
