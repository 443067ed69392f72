//! The only door to the decoders. It sniffs the format, reads the header, enforces the pixel
//! limit before any pixel buffer exists, decodes (JPEG at a reduced DCT scale when the output
//! is small) and returns upright 8-bit pixels with the EXIF orientation applied, plus the
//! embedded ICC profile still to be applied. Every decoder runs under `catch_unwind`: a
//! decoder panic is a corrupt file to the client, never a dropped connection. AVIF is read by
//! `avif` (container, sizes from `ispe`), `av1` (rav1d: the crate's only `unsafe`) and `yuv`;
//! JPEG XL by `jxl`; SVG is rasterised by `svg` at the scale the output needs.

pub mod animation;
mod av1;
pub mod av1_child;
mod avif;
mod jpeg;
mod jpeg_dc;
mod jxl;
mod png;
mod scale;
mod svg;

pub use jpeg::iptc_segments;
pub use scale::Scale;
mod yuv;

use std::io::Cursor;
use std::panic::{AssertUnwindSafe, catch_unwind};

use image::{
    DynamicImage, ImageDecoder, ImageFormat, ImageReader, Limits, RgbImage, RgbaImage,
    metadata::Orientation,
};

use super::RenderError;
use av1_child::Av1Decoding;

/// Image formats pixgate can decode, sniffed from the bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SourceFormat {
    Jpeg,
    Png,
    Gif,
    Webp,
    Bmp,
    Tiff,
    /// Still AVIF; of an animated one (`avis`), its primary still image.
    Avif,
    /// JPEG XL; of an animation, its first frame.
    Jxl,
    /// SVG, rasterised: its header size is the intrinsic one, in CSS pixels.
    Svg,
}

impl SourceFormat {
    /// Recognises a decodable image from its first bytes; `None` for anything else.
    pub fn sniff(bytes: &[u8]) -> Option<SourceFormat> {
        if avif::is_avif(bytes) {
            return Some(SourceFormat::Avif);
        }
        if jxl::is_jxl(bytes) {
            return Some(SourceFormat::Jxl);
        }
        if svg::is_svg(bytes) {
            return Some(SourceFormat::Svg);
        }
        Some(match image::guess_format(bytes).ok()? {
            ImageFormat::Jpeg => SourceFormat::Jpeg,
            ImageFormat::Png => SourceFormat::Png,
            ImageFormat::Gif => SourceFormat::Gif,
            ImageFormat::WebP => SourceFormat::Webp,
            ImageFormat::Bmp => SourceFormat::Bmp,
            ImageFormat::Tiff => SourceFormat::Tiff,
            _ => return None,
        })
    }

    /// The `image` crate's format, for the ones it reads; `None` for the others.
    fn image_format(self) -> Option<ImageFormat> {
        Some(match self {
            SourceFormat::Jpeg => ImageFormat::Jpeg,
            SourceFormat::Png => ImageFormat::Png,
            SourceFormat::Gif => ImageFormat::Gif,
            SourceFormat::Webp => ImageFormat::WebP,
            SourceFormat::Bmp => ImageFormat::Bmp,
            SourceFormat::Tiff => ImageFormat::Tiff,
            SourceFormat::Avif => ImageFormat::Avif,
            SourceFormat::Jxl | SourceFormat::Svg => return None,
        })
    }
}

/// What the header says, read without decoding pixels.
#[derive(Debug, Clone, Copy)]
pub struct Header {
    pub format: SourceFormat,
    /// Size as displayed, i.e. after EXIF orientation.
    pub upright: (u32, u32),
    pub orientation: Orientation,
    pub has_alpha: bool,
}

/// The width and height a PNG, BMP, WebP or JPEG XL header declares, read without a decoder;
/// `None` when the bytes are too short or the format is not one of these.
fn declared_size(b: &[u8], format: SourceFormat) -> Option<(u32, u32)> {
    let be32 = |at: usize| Some(u32::from_be_bytes(b.get(at..at + 4)?.try_into().ok()?));
    let le32 = |at: usize| Some(u32::from_le_bytes(b.get(at..at + 4)?.try_into().ok()?));
    let le24 = |at: usize| {
        let x = b.get(at..at + 3)?;
        Some(u32::from(x[0]) | u32::from(x[1]) << 8 | u32::from(x[2]) << 16)
    };
    let le16 = |at: usize| Some(u16::from_le_bytes(b.get(at..at + 2)?.try_into().ok()?));
    match format {
        // Signature (8), IHDR length and type (8), then width and height.
        SourceFormat::Png => Some((be32(16)?, be32(20)?)),
        SourceFormat::Bmp => {
            if le32(14)? == 12 {
                // BITMAPCOREHEADER: 16-bit sizes.
                Some((u32::from(le16(18)?), u32::from(le16(20)?)))
            } else {
                // Signed: a negative height means rows run top-down.
                let (w, h) = (le32(18)? as i32, le32(22)? as i32);
                Some((w.unsigned_abs(), h.unsigned_abs()))
            }
        }
        SourceFormat::Webp => match b.get(12..16)? {
            b"VP8X" => Some((le24(24)? + 1, le24(27)? + 1)),
            b"VP8L" => {
                let bits = le32(21)?;
                Some(((bits & 0x3fff) + 1, ((bits >> 14) & 0x3fff) + 1))
            }
            b"VP8 " => Some((u32::from(le16(26)? & 0x3fff), u32::from(le16(28)? & 0x3fff))),
            _ => None,
        },
        SourceFormat::Jxl => jxl::declared_size(b),
        _ => None,
    }
}

/// Decoded upright pixels (L8, Rgb8 or Rgba8) and the ICC profile they are in, if any.
pub struct Decoded {
    pub image: DynamicImage,
    pub icc: Option<Vec<u8>>,
}

/// Reads the header and checks the pixel limit. Cheap: no pixel buffer is allocated.
pub fn header(bytes: &[u8], max_pixels: u64) -> Result<Header, RenderError> {
    let format = SourceFormat::sniff(bytes).ok_or(RenderError::NotAnImage)?;
    // Some decoders refuse sizes above their own caps before they report them (BMP past
    // 65535, WebP canvases, PNG past its memory limit, a JPEG XL frame's TOC); read the
    // declared size first so a bomb is the 413 it is, not a 422.
    if let Some((w, h)) = declared_size(bytes, format) {
        check_pixels(w, h, max_pixels)?;
    }
    let ((w, h), orientation, has_alpha) = guarded(|| match format {
        SourceFormat::Jpeg => {
            let (size, orientation) = jpeg::header(bytes)?;
            Ok((size, orientation, false))
        }
        SourceFormat::Avif => {
            let info = avif::info(bytes)?;
            Ok((info.size, info.orientation, info.has_alpha))
        }
        SourceFormat::Jxl => {
            let info = jxl::info(bytes)?;
            Ok((info.size, info.orientation, info.has_alpha))
        }
        // Always with alpha: what the drawing leaves uncovered is transparent.
        SourceFormat::Svg => Ok((
            svg::size(bytes, max_pixels)?,
            Orientation::NoTransforms,
            true,
        )),
        _ => {
            let mut decoder = generic_decoder(bytes, format, None)?;
            let orientation = decoder.orientation().unwrap_or(Orientation::NoTransforms);
            let alpha = decoder.color_type().has_alpha();
            Ok((decoder.dimensions(), orientation, alpha))
        }
    })?;
    // An SVG's intrinsic size is nominal: the limit applies to the size it is rasterised at.
    if format != SourceFormat::Svg {
        check_pixels(w, h, max_pixels)?;
    }
    let upright = if swaps_axes(orientation) {
        (h, w)
    } else {
        (w, h)
    };
    Ok(Header {
        format,
        upright,
        orientation,
        has_alpha,
    })
}

/// Decodes the first (or only) frame at `scale`. `max_alloc` bounds the decoder's
/// allocations in bytes; an SVG is rasterised at no more than `max_alloc / 8` pixels.
pub fn decode(
    bytes: &[u8],
    header: &Header,
    scale: Scale,
    max_alloc: u64,
    av1: &Av1Decoding,
) -> Result<Decoded, RenderError> {
    let (mut image, icc) = guarded(|| match header.format {
        SourceFormat::Jpeg => jpeg::decode(bytes, scale.shrink),
        SourceFormat::Avif => avif::decode(bytes, &avif::info(bytes)?, av1),
        SourceFormat::Webp => generic(bytes, SourceFormat::Webp, max_alloc, || webp(bytes)),
        SourceFormat::Png => generic(bytes, SourceFormat::Png, max_alloc, || {
            png::decode(bytes, max_alloc)
        }),
        SourceFormat::Jxl => jxl::decode(bytes, max_alloc),
        SourceFormat::Svg => Ok((svg::rasterise(bytes, scale.vector, max_alloc / 8)?, None)),
        format => generic(bytes, format, max_alloc, || None),
    })?;
    image.apply_orientation(header.orientation);
    Ok(Decoded { image, icc })
}

/// Decodes through `image`, unless `fast` (pixgate's own path for the files it knows) gives
/// the pixels; a file `fast` does not finish goes through `image` too, which then names what
/// is wrong. The ICC profile comes from `image`'s reading of the container either way: that
/// parses chunks, not pixels.
fn generic(
    bytes: &[u8],
    format: SourceFormat,
    max_alloc: u64,
    fast: impl FnOnce() -> Option<DynamicImage>,
) -> Result<(DynamicImage, Option<Vec<u8>>), RenderError> {
    let mut decoder = generic_decoder(bytes, format, Some(max_alloc))?;
    let icc = decoder.icc_profile().ok().flatten();
    let image = match fast() {
        Some(image) => image,
        None => to_working_pixels(DynamicImage::from_decoder(decoder).map_err(corrupt)?),
    };
    Ok((image, icc))
}

/// WebP stills through libwebp, which decodes lossy files several times faster than
/// image-webp (one core: a 2560x1600 photo 75 ms against 195 ms, 1280x800 with alpha 14
/// against 39; lossless alike). Animations, and anything libwebp refuses, go through
/// image-webp.
fn webp(bytes: &[u8]) -> Option<DynamicImage> {
    ::webp::Decoder::new(bytes).decode().and_then(|decoded| {
        let (w, h, pixels) = (decoded.width(), decoded.height(), decoded.to_vec());
        if decoded.is_alpha() {
            RgbaImage::from_raw(w, h, pixels).map(DynamicImage::ImageRgba8)
        } else {
            RgbImage::from_raw(w, h, pixels).map(DynamicImage::ImageRgb8)
        }
    })
}

fn check_pixels(w: u32, h: u32, max_pixels: u64) -> Result<(), RenderError> {
    let pixels = u64::from(w) * u64::from(h);
    if pixels == 0 {
        return Err(RenderError::Corrupt("the image has no pixels".into()));
    }
    if pixels > max_pixels {
        return Err(RenderError::TooManyPixels {
            pixels,
            limit: max_pixels,
        });
    }
    Ok(())
}

impl Header {
    /// The header as if the file's orientation were EXIF `code` (imgix's `orient`): the stored
    /// pixels stay, the upright size follows the new orientation.
    pub fn reoriented(&self, code: u8) -> Header {
        let stored = if swaps_axes(self.orientation) {
            (self.upright.1, self.upright.0)
        } else {
            self.upright
        };
        let orientation = Orientation::from_exif(code).unwrap_or(Orientation::NoTransforms);
        let upright = if swaps_axes(orientation) {
            (stored.1, stored.0)
        } else {
            stored
        };
        Header {
            upright,
            orientation,
            ..*self
        }
    }
}

/// What `fm=json` reports of the stored pixels beyond the header, read without decoding them.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Traits {
    /// Bits per sample.
    pub depth: Option<u8>,
    /// `RGB`, `Gray` or `CMYK`.
    pub colour_model: Option<&'static str>,
    /// Dots per inch the container states (JFIF, PNG `pHYs`).
    pub dpi: Option<(f64, f64)>,
    pub progressive: Option<bool>,
    pub icc: Option<Vec<u8>>,
}

/// The [`Traits`] of a file whose header was read as `header`. What cannot be read is left
/// out rather than guessed.
pub fn traits(bytes: &[u8], header: &Header) -> Traits {
    guarded(|| Ok(read_traits(bytes, header))).unwrap_or_default()
}

fn read_traits(bytes: &[u8], header: &Header) -> Traits {
    match header.format {
        SourceFormat::Jpeg => {
            let frame = jpeg::frame(bytes);
            Traits {
                depth: frame.map(|f| f.precision),
                colour_model: frame.and_then(|f| match f.components {
                    1 => Some("Gray"),
                    3 => Some("RGB"),
                    4 => Some("CMYK"),
                    _ => None,
                }),
                dpi: frame.and_then(|f| f.dpi),
                progressive: frame.map(|f| f.progressive),
                icc: jpeg::icc_chunks(bytes),
            }
        }
        SourceFormat::Avif => Traits {
            colour_model: Some("RGB"),
            icc: avif::info(bytes).ok().and_then(|info| info.icc),
            ..Traits::default()
        },
        // Drawn in sRGB; a JPEG XL's model is not in what `jxl::info` reads.
        SourceFormat::Svg => Traits {
            colour_model: Some("RGB"),
            ..Traits::default()
        },
        SourceFormat::Jxl => Traits::default(),
        format => {
            let Ok(mut decoder) = generic_decoder(bytes, format, None) else {
                return Traits::default();
            };
            let colour = decoder.color_type();
            let depth = colour.bits_per_pixel() / u16::from(colour.channel_count());
            Traits {
                depth: u8::try_from(depth).ok(),
                colour_model: Some(if colour.has_color() { "RGB" } else { "Gray" }),
                dpi: if format == SourceFormat::Png {
                    png_dpi(bytes)
                } else {
                    None
                },
                progressive: None,
                icc: decoder.icc_profile().ok().flatten(),
            }
        }
    }
}

/// The `pHYs` chunk's density in dots per inch, when its unit is the metre.
fn png_dpi(bytes: &[u8]) -> Option<(f64, f64)> {
    let mut at = 8;
    while let Some(head) = bytes.get(at..at + 8) {
        let length = u32::from_be_bytes(head[..4].try_into().ok()?) as usize;
        match &head[4..8] {
            b"pHYs" => {
                let data = bytes.get(at + 8..at + 17)?;
                let x = u32::from_be_bytes(data[..4].try_into().ok()?);
                let y = u32::from_be_bytes(data[4..8].try_into().ok()?);
                return (data[8] == 1).then(|| (f64::from(x) * 0.0254, f64::from(y) * 0.0254));
            }
            b"IDAT" | b"IEND" => return None,
            _ => at = at.checked_add(12 + length)?,
        }
    }
    None
}

fn swaps_axes(o: Orientation) -> bool {
    matches!(
        o,
        Orientation::Rotate90
            | Orientation::Rotate270
            | Orientation::Rotate90FlipH
            | Orientation::Rotate270FlipH
    )
}

/// libjpeg reports fatal errors by unwinding, and any decoder may panic on hostile input.
pub(super) fn guarded<T>(f: impl FnOnce() -> Result<T, RenderError>) -> Result<T, RenderError> {
    catch_unwind(AssertUnwindSafe(f)).unwrap_or_else(|panic| {
        let cause = panic
            .downcast_ref::<String>()
            .cloned()
            .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
            .unwrap_or_else(|| "decoder panicked".into());
        Err(RenderError::Corrupt(cause))
    })
}

pub(super) fn corrupt(e: impl std::fmt::Display) -> RenderError {
    RenderError::Corrupt(e.to_string())
}

fn generic_decoder<'a>(
    bytes: &'a [u8],
    format: SourceFormat,
    max_alloc: Option<u64>,
) -> Result<impl ImageDecoder + 'a, RenderError> {
    let image_format = format.image_format().ok_or(RenderError::NotAnImage)?;
    let mut reader = ImageReader::with_format(Cursor::new(bytes), image_format);
    let mut limits = Limits::default();
    limits.max_alloc = max_alloc;
    reader.limits(limits);
    reader.into_decoder().map_err(corrupt)
}

/// The working pixel layouts: grey, RGB, RGBA, 8 bits each. Everything else is converted.
fn to_working_pixels(image: DynamicImage) -> DynamicImage {
    match image {
        DynamicImage::ImageLuma8(_) | DynamicImage::ImageRgb8(_) | DynamicImage::ImageRgba8(_) => {
            image
        }
        other if other.color().has_alpha() => DynamicImage::ImageRgba8(other.to_rgba8()),
        other if other.color().has_color() => DynamicImage::ImageRgb8(other.to_rgb8()),
        other => DynamicImage::ImageLuma8(other.to_luma8()),
    }
}
