//! The GIF pre-scan: frames counted from the block structure, the LZW data skipped.

use std::io::Cursor;

use super::Animation;
use crate::render::RenderError;
use crate::render::decode::corrupt;

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
