//! Animated WebP through libwebp's animation encoder (`WebPAnimEncoder`, which keeps only what
//! changes between frames, as `gif2webp` does), quality from `q`, lossless with `lossless=1`.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::time::Duration;

use image::DynamicImage;
use webp::{AnimEncoder, AnimFrame, WebPConfig};

use super::{EncodeOptions, failed};
use crate::render::RenderError;

/// WebP's frame duration field: 24 bits of milliseconds.
const MAX_DURATION_MS: u32 = (1 << 24) - 1;

/// An animated WebP of `frames` (all of one size), each shown for its delay; `loops` is how
/// often the animation plays again after the first time (`None`: forever).
pub fn animated_webp(
    frames: Vec<(DynamicImage, Duration)>,
    loops: Option<u16>,
    options: &EncodeOptions,
) -> Result<Vec<u8>, RenderError> {
    let Some((first, _)) = frames.first() else {
        return Err(RenderError::Internal("an animation without frames".into()));
    };
    let (width, height) = (first.width(), first.height());
    // libwebp reads `width × height` pixels from each frame: a smaller one would be read past.
    if frames
        .iter()
        .any(|(f, _)| (f.width(), f.height()) != (width, height))
    {
        return Err(RenderError::Internal(
            "animation frames differ in size".into(),
        ));
    }
    let pixels: Vec<(DynamicImage, u32)> = frames
        .into_iter()
        .map(|(image, delay)| {
            let ms = u32::try_from(delay.as_millis()).unwrap_or(u32::MAX);
            (
                DynamicImage::ImageRgba8(image.into_rgba8()),
                ms.min(MAX_DURATION_MS),
            )
        })
        .collect();
    let starts = start_times(pixels.iter().map(|(_, ms)| *ms));
    let mut config = WebPConfig::new().map_err(|()| failed("WebPConfig"))?;
    config.lossless = i32::from(options.lossless);
    config.quality = if options.lossless {
        // For lossless, quality is effort: libwebp's default.
        75.0
    } else {
        f32::from(options.quality)
    };
    config.method = i32::from(options.webp_method);
    let run = || {
        let mut encoder = AnimEncoder::new(width, height, &config);
        // WebP counts every play, 0 meaning forever.
        let plays = loops.map_or(0, |again| i32::from(again).saturating_add(1).min(0xffff));
        encoder.set_loop_count(plays);
        for ((image, _), start) in pixels.iter().zip(&starts) {
            let frame = AnimFrame::from_image(image, *start).map_err(failed)?;
            encoder.add_frame(frame);
        }
        encoder
            .try_encode()
            .map(|memory| memory.to_vec())
            .map_err(|e| failed(format!("{e:?}")))
    };
    catch_unwind(AssertUnwindSafe(run)).unwrap_or_else(|_| {
        Err(RenderError::Internal(
            "WebP animation encoder failed".into(),
        ))
    })
}

/// Each frame's start time in milliseconds, shifted so that the animation ends at 0.
///
/// The `webp` crate closes the animation with libwebp's end-of-stream call at timestamp 0, and
/// libwebp takes the last frame's duration from it (its timestamps may wrap around: only the
/// differences count). Had the animation started at 0, that call would fail and libwebp would
/// give the last frame the mean duration of the others instead of its own.
fn start_times(durations: impl Iterator<Item = u32> + Clone) -> Vec<i32> {
    let total = durations.clone().fold(0u32, |sum, ms| sum.wrapping_add(ms));
    let mut at = total.wrapping_neg();
    durations
        .map(|ms| {
            let start = at;
            at = at.wrapping_add(ms);
            // Reinterpreted, not converted: libwebp subtracts timestamps as unsigned 32 bits.
            i32::from_ne_bytes(start.to_ne_bytes())
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use std::io::Cursor;

    use image::codecs::webp::WebPDecoder;
    use image::{AnimationDecoder, Rgba, RgbaImage};

    use super::*;
    use crate::render::SourceFormat;

    #[test]
    fn every_frame_keeps_its_duration_the_last_one_too() {
        let frame =
            |red| DynamicImage::ImageRgba8(RgbaImage::from_pixel(8, 4, Rgba([red, 0, 0, 255])));
        let frames = vec![
            (frame(0), Duration::from_millis(70)),
            (frame(120), Duration::from_millis(230)),
            (frame(250), Duration::from_millis(500)),
        ];
        let options = EncodeOptions {
            quality: 75,
            ..EncodeOptions::default()
        };
        let bytes = animated_webp(frames, Some(3), &options).unwrap();
        let decoder = WebPDecoder::new(Cursor::new(&bytes)).unwrap();
        let scanned = crate::render::decode::animation::scan(&bytes, SourceFormat::Webp, 10);
        assert_eq!(
            scanned,
            Ok(crate::render::decode::animation::Animation {
                frames: 3,
                loops: Some(3)
            })
        );
        let delays: Vec<u32> = decoder
            .into_frames()
            .map(|f| {
                let (numer, denom) = f.unwrap().delay().numer_denom_ms();
                numer / denom
            })
            .collect();
        assert_eq!(delays, vec![70, 230, 500]);
    }

    #[test]
    fn frames_of_different_sizes_are_refused_before_libwebp_reads_them() {
        let frames = vec![
            (DynamicImage::new_rgba8(8, 4), Duration::ZERO),
            (DynamicImage::new_rgba8(4, 4), Duration::ZERO),
        ];
        let refused = animated_webp(frames, None, &EncodeOptions::default());
        assert!(matches!(refused, Err(RenderError::Internal(_))));
    }

    #[test]
    fn the_last_frame_ends_at_zero() {
        let starts = start_times([70u32, 230, 500].into_iter());
        assert_eq!(starts, vec![-800, -730, -500]);
        assert_eq!(start_times([5u32].into_iter()), vec![-5]);
    }
}
