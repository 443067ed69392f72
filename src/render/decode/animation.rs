//! Animated GIF input: a cheap pre-scan that counts frames without decompressing them, and
//! the composited frames for animated output.

use std::io::Cursor;
use std::time::Duration;

use image::codecs::gif::GifDecoder;
use image::{AnimationDecoder, ImageDecoder, RgbaImage};

use super::corrupt;
use crate::render::RenderError;

/// What the pre-scan learns: how many frames, and how often the animation loops
/// (`None` = forever).
#[derive(Debug, Clone, Copy)]
pub struct Animation {
    pub frames: u32,
    pub loops: Option<u16>,
}

/// Walks the file's blocks, skipping the LZW data, and stops as soon as there are more
/// than `max_frames`: a GIF of a million 1×1 frames costs a few milliseconds, not a decode.
pub fn scan(bytes: &[u8], max_frames: u32) -> Result<Animation, RenderError> {
    let mut options = gif::DecodeOptions::new();
    options.skip_frame_decoding(true);
    // Frames reaching outside the logical screen (whose size passed the pixel limit) are
    // refused, so no frame can claim more memory than the screen.
    options.check_frame_consistency(true);
    let mut decoder = options.read_info(Cursor::new(bytes)).map_err(corrupt)?;
    let mut frames = 0u32;
    while decoder.read_next_frame().map_err(corrupt)?.is_some() {
        frames += 1;
        if frames > max_frames {
            return Err(RenderError::TooManyFrames { limit: max_frames });
        }
    }
    let loops = match decoder.repeat() {
        gif::Repeat::Infinite => None,
        gif::Repeat::Finite(n) => Some(n),
    };
    Ok(Animation { frames, loops })
}

/// One composited frame (the whole logical screen, disposal applied) and how long it shows.
pub struct Frame {
    pub image: RgbaImage,
    pub delay: Duration,
}

/// The frames in order, decoded one at a time so that memory holds one canvas at once.
pub fn frames(
    bytes: &[u8],
    max_alloc: u64,
) -> Result<impl Iterator<Item = Result<Frame, RenderError>> + '_, RenderError> {
    let mut decoder = GifDecoder::new(Cursor::new(bytes)).map_err(corrupt)?;
    let mut limits = image::Limits::default();
    limits.max_alloc = Some(max_alloc);
    decoder.set_limits(limits).map_err(corrupt)?;
    Ok(decoder.into_frames().map(|frame| {
        let frame = frame.map_err(corrupt)?;
        let delay = Duration::from(frame.delay());
        Ok(Frame {
            image: frame.into_buffer(),
            delay,
        })
    }))
}
