//! Encoders: JPEG through libjpeg-turbo (mozjpeg), WebP through libwebp, AVIF through rav1e,
//! PNG and GIF through `image`. Input pixels are 8-bit grey, RGB or RGBA; output carries no
//! metadata.

mod avif;
mod webp_animation;

pub use webp_animation::animated_webp;

use std::borrow::Cow;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::time::Duration;

use image::codecs::gif::{GifEncoder, Repeat};
use image::codecs::png::{CompressionType, FilterType, PngEncoder};
use image::{Delay, DynamicImage, ImageEncoder};

use super::{RenderError, libjpeg};
use crate::transform::{Chroma, OutputFormat};

/// Encoder settings that matter for the bytes.
#[derive(Debug, Clone)]
pub struct EncodeOptions {
    /// 1–100.
    pub quality: u8,
    /// rav1e's speed preset for AVIF, 1 (slowest, smallest) to 10 (`encoding.avif_speed`).
    pub avif_speed: u8,
    /// libwebp's method, 0 (fastest) to 6 (smallest) (`encoding.webp_method`).
    pub webp_method: u8,
    /// zlib's level for PNG, 1 (fastest) to 9 (smallest) (`encoding.png_level`).
    pub png_level: u8,
    pub lossless: bool,
    /// JPEG's chroma subsampling; `None`: 4:2:0 below quality 90, 4:4:4 from 90.
    pub chroma: Option<Chroma>,
    /// Pixels per inch, written into JPEG (JFIF) and PNG (`pHYs`).
    pub dpi: Option<u32>,
    /// IPTC (APP13) payloads to write into a JPEG.
    pub iptc: Vec<Vec<u8>>,
}

impl Default for EncodeOptions {
    fn default() -> Self {
        let encoding = crate::config::EncodingConfig::default();
        EncodeOptions {
            quality: 75,
            avif_speed: encoding.avif_speed,
            webp_method: encoding.webp_method,
            png_level: encoding.png_level,
            lossless: false,
            chroma: None,
            dpi: None,
            iptc: Vec::new(),
        }
    }
}

/// Encodes `image`. Alpha must already be flattened for formats that cannot hold it.
pub fn encode(
    image: &DynamicImage,
    format: OutputFormat,
    options: &EncodeOptions,
) -> Result<Vec<u8>, RenderError> {
    match format {
        OutputFormat::Jpeg => jpeg(image, options, false),
        OutputFormat::Pjpeg => jpeg(image, options, true),
        OutputFormat::Png => {
            let mut out = Vec::new();
            let encoder = PngEncoder::new_with_quality(
                &mut out,
                CompressionType::Level(options.png_level),
                FilterType::Adaptive,
            );
            write_with(encoder, image)?;
            Ok(match options.dpi {
                Some(dpi) => with_png_density(out, dpi),
                None => out,
            })
        }
        OutputFormat::Webp => webp(image, options),
        OutputFormat::Avif => avif::avif(image, options),
        OutputFormat::Gif => animated_gif(vec![(image.clone(), Duration::ZERO)], Some(0)),
    }
}

/// NeuQuant's sampling factor (1 best … 30 fastest); 10 is the `gif` crate's recommended
/// balance, several times faster than 1 with no visible difference on photos.
const GIF_QUANTIZER_SPEED: i32 = 10;

/// A GIF of `frames`, each shown for its delay; `loops` is how often the animation plays
/// again after the first time (`None`: forever). A still image is one frame.
pub fn animated_gif(
    frames: Vec<(DynamicImage, Duration)>,
    loops: Option<u16>,
) -> Result<Vec<u8>, RenderError> {
    let mut out = Vec::new();
    {
        let mut encoder = GifEncoder::new_with_speed(&mut out, GIF_QUANTIZER_SPEED);
        let repeat = match loops {
            None => Repeat::Infinite,
            Some(n) => Repeat::Finite(n),
        };
        if frames.len() > 1 {
            encoder.set_repeat(repeat).map_err(failed)?;
        }
        for (image, delay) in frames {
            let delay = Delay::from_saturating_duration(delay);
            let frame = image::Frame::from_parts(image.into_rgba8(), 0, 0, delay);
            encoder.encode_frame(frame).map_err(failed)?;
        }
    }
    Ok(out)
}

fn failed(e: impl std::fmt::Display) -> RenderError {
    RenderError::Internal(format!("encode: {e}"))
}

fn write_with(encoder: impl ImageEncoder, image: &DynamicImage) -> Result<(), RenderError> {
    encoder
        .write_image(
            image.as_bytes(),
            image.width(),
            image.height(),
            image.color().into(),
        )
        .map_err(failed)
}

/// Grey widened to RGB for the encoders that take colour only; anything else as it is,
/// without a copy.
fn rgb_or_rgba(image: &DynamicImage) -> Cow<'_, DynamicImage> {
    match image {
        DynamicImage::ImageLuma8(_) => Cow::Owned(DynamicImage::ImageRgb8(image.to_rgb8())),
        _ => Cow::Borrowed(image),
    }
}

/// A `pHYs` chunk (pixels per metre, both ways) right after the PNG's `IHDR`.
fn with_png_density(png: Vec<u8>, dpi: u32) -> Vec<u8> {
    /// The signature (8 bytes) and `IHDR` (length, type, 13 bytes, CRC).
    const AFTER_IHDR: usize = 8 + 4 + 4 + 13 + 4;
    if png.len() < AFTER_IHDR {
        return png;
    }
    let per_metre = (f64::from(dpi) / 0.0254).round() as u32;
    let mut data = Vec::with_capacity(9);
    data.extend_from_slice(&per_metre.to_be_bytes());
    data.extend_from_slice(&per_metre.to_be_bytes());
    data.push(1);
    let mut chunk = Vec::with_capacity(21);
    chunk.extend_from_slice(&9u32.to_be_bytes());
    chunk.extend_from_slice(b"pHYs");
    chunk.extend_from_slice(&data);
    let crc = crc32fast::hash(&chunk[4..]);
    chunk.extend_from_slice(&crc.to_be_bytes());
    let mut out = Vec::with_capacity(png.len() + chunk.len());
    out.extend_from_slice(&png[..AFTER_IHDR]);
    out.extend_from_slice(&chunk);
    out.extend_from_slice(&png[AFTER_IHDR..]);
    out
}

fn jpeg(
    image: &DynamicImage,
    options: &EncodeOptions,
    progressive: bool,
) -> Result<Vec<u8>, RenderError> {
    let quality = options.quality;
    let (grey, samples) = match image {
        DynamicImage::ImageLuma8(img) => (true, img.as_raw().as_slice()),
        DynamicImage::ImageRgb8(img) => (false, img.as_raw().as_slice()),
        _ => {
            return Err(RenderError::Internal(
                "JPEG input must be grey or RGB".into(),
            ));
        }
    };
    // 4:2:0 halves chroma, invisible on photos at normal quality; at q ≥ 90 the user asked
    // for fidelity, so keep full chroma. `chromasub` decides when given.
    let chroma = match options.chroma {
        Some(Chroma::Full) => (1, 1),
        Some(Chroma::Half) => (2, 1),
        Some(Chroma::Quarter) => (2, 2),
        None if quality >= 90 => (1, 1),
        None => (2, 2),
    };
    let pixels = libjpeg::Pixels {
        samples,
        width: image.width(),
        height: image.height(),
        grey,
    };
    let settings = libjpeg::Settings {
        quality,
        progressive,
        chroma,
        dpi: options
            .dpi
            .map(|dpi| u16::try_from(dpi).unwrap_or(u16::MAX)),
        app13: &options.iptc,
    };
    catch_unwind(AssertUnwindSafe(|| libjpeg::compress(&pixels, &settings)))
        .map_err(|_| RenderError::Internal("JPEG encoder failed".into()))
}

fn webp(image: &DynamicImage, options: &EncodeOptions) -> Result<Vec<u8>, RenderError> {
    let image = rgb_or_rgba(image);
    let image = image.as_ref();
    let encoder = webp::Encoder::from_image(image).map_err(failed)?;
    // The settings of the crate's `encode`/`encode_lossless`, with the method added.
    let mut config = webp::WebPConfig::new().map_err(|()| failed("WebPConfig"))?;
    config.lossless = i32::from(options.lossless);
    config.alpha_compression = i32::from(!options.lossless);
    config.quality = if options.lossless {
        75.0
    } else {
        f32::from(options.quality)
    };
    config.method = i32::from(options.webp_method);
    let memory = encoder
        .encode_advanced(&config)
        .map_err(|e| failed(format!("{e:?}")))?;
    Ok(memory.to_vec())
}

#[cfg(test)]
mod tests;
