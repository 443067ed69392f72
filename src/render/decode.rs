//! The only door to the decoders. It sniffs the format, reads the header, enforces the pixel
//! limit before any pixel buffer exists, decodes (JPEG at a reduced DCT scale when the output
//! is small) and returns upright 8-bit pixels with the EXIF orientation applied.

use std::io::Cursor;
use std::panic::{AssertUnwindSafe, catch_unwind};

use image::{DynamicImage, ImageDecoder, ImageFormat, ImageReader, Limits, metadata::Orientation};
use mozjpeg::{ColorSpace, Decompress, Marker};

use super::RenderError;

/// Image formats pixgate can decode, sniffed from the bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SourceFormat {
    Jpeg,
    Png,
    Gif,
    Webp,
    Bmp,
    Tiff,
}

impl SourceFormat {
    /// Recognises a decodable image from its first bytes; `None` for anything else.
    pub fn sniff(bytes: &[u8]) -> Option<SourceFormat> {
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

    fn image_format(self) -> ImageFormat {
        match self {
            SourceFormat::Jpeg => ImageFormat::Jpeg,
            SourceFormat::Png => ImageFormat::Png,
            SourceFormat::Gif => ImageFormat::Gif,
            SourceFormat::Webp => ImageFormat::WebP,
            SourceFormat::Bmp => ImageFormat::Bmp,
            SourceFormat::Tiff => ImageFormat::Tiff,
        }
    }
}

/// What the header says, read without decoding pixels.
#[derive(Debug, Clone, Copy)]
pub struct Header {
    pub format: SourceFormat,
    /// Size as displayed, i.e. after EXIF orientation.
    pub upright: (u32, u32),
    pub orientation: Orientation,
}

/// Reads the header and checks the pixel limit. Cheap: no pixel buffer is allocated.
pub fn header(bytes: &[u8], max_pixels: u64) -> Result<Header, RenderError> {
    let format = SourceFormat::sniff(bytes).ok_or(RenderError::NotAnImage)?;
    let ((w, h), orientation) = match format {
        SourceFormat::Jpeg => guarded(|| jpeg_header(bytes))?,
        _ => {
            let mut decoder = generic_decoder(bytes, format, None)?;
            let orientation = decoder.orientation().unwrap_or(Orientation::NoTransforms);
            (decoder.dimensions(), orientation)
        }
    };
    check_pixels(w, h, max_pixels)?;
    let upright = if swaps_axes(orientation) {
        (h, w)
    } else {
        (w, h)
    };
    Ok(Header {
        format,
        upright,
        orientation,
    })
}

/// Decodes upright pixels (L8, Rgb8 or Rgba8). `shrink` is a power of two up to 8 that the
/// caller allows the decoder to reduce by; only JPEG uses it, and the result may be larger
/// than `size / shrink` by rounding.
pub fn decode(
    bytes: &[u8],
    header: &Header,
    shrink: u32,
    max_alloc: u64,
) -> Result<DynamicImage, RenderError> {
    let mut image = match header.format {
        SourceFormat::Jpeg => guarded(|| decode_jpeg(bytes, shrink))?,
        format => {
            let decoder = generic_decoder(bytes, format, Some(max_alloc))?;
            let image = DynamicImage::from_decoder(decoder).map_err(corrupt)?;
            to_working_pixels(image)
        }
    };
    image.apply_orientation(header.orientation);
    Ok(image)
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

fn swaps_axes(o: Orientation) -> bool {
    matches!(
        o,
        Orientation::Rotate90
            | Orientation::Rotate270
            | Orientation::Rotate90FlipH
            | Orientation::Rotate270FlipH
    )
}

/// libjpeg reports fatal errors by unwinding; a panic in any decoder is a corrupt file to
/// the client, never a dropped connection.
fn guarded<T>(f: impl FnOnce() -> Result<T, RenderError>) -> Result<T, RenderError> {
    catch_unwind(AssertUnwindSafe(f)).unwrap_or_else(|panic| {
        let cause = panic
            .downcast_ref::<String>()
            .cloned()
            .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
            .unwrap_or_else(|| "decoder panicked".into());
        Err(RenderError::Corrupt(cause))
    })
}

fn corrupt(e: impl std::fmt::Display) -> RenderError {
    RenderError::Corrupt(e.to_string())
}

fn generic_decoder<'a>(
    bytes: &'a [u8],
    format: SourceFormat,
    max_alloc: Option<u64>,
) -> Result<impl ImageDecoder + 'a, RenderError> {
    let mut reader = ImageReader::with_format(Cursor::new(bytes), format.image_format());
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

const EXIF_MARKERS: &[Marker] = &[Marker::APP(1)];

fn jpeg_header(bytes: &[u8]) -> Result<((u32, u32), Orientation), RenderError> {
    let jpeg = Decompress::with_markers(EXIF_MARKERS)
        .from_mem(bytes)
        .map_err(corrupt)?;
    let size = (jpeg.width() as u32, jpeg.height() as u32);
    Ok((size, exif_orientation(&jpeg)))
}

fn exif_orientation(jpeg: &Decompress<&[u8]>) -> Orientation {
    jpeg.markers()
        .filter_map(|m| m.data.strip_prefix(b"Exif\0\0"))
        .find_map(Orientation::from_exif_chunk)
        .unwrap_or(Orientation::NoTransforms)
}

fn decode_jpeg(bytes: &[u8], shrink: u32) -> Result<DynamicImage, RenderError> {
    let mut jpeg = Decompress::new_mem(bytes).map_err(corrupt)?;
    // libjpeg scales by n/8 in the DCT domain: 1/2, 1/4 and 1/8 skip most of the IDCT work.
    let numerator = match shrink {
        s if s >= 8 => 1,
        4..=7 => 2,
        2 | 3 => 4,
        _ => 8,
    };
    jpeg.scale(numerator);
    let cmyk = matches!(
        jpeg.color_space(),
        ColorSpace::JCS_CMYK | ColorSpace::JCS_YCCK
    );
    let grey = jpeg.color_space() == ColorSpace::JCS_GRAYSCALE;
    let out = if cmyk {
        ColorSpace::JCS_CMYK
    } else if grey {
        ColorSpace::JCS_GRAYSCALE
    } else {
        ColorSpace::JCS_RGB
    };
    let mut started = jpeg.to_colorspace(out).map_err(corrupt)?;
    let (w, h) = (started.width() as u32, started.height() as u32);
    let pixels: Vec<u8> = started.read_scanlines().map_err(corrupt)?;
    started.finish().map_err(corrupt)?;
    let image = if cmyk {
        image::RgbImage::from_raw(w, h, cmyk_to_rgb(&pixels)).map(DynamicImage::ImageRgb8)
    } else if grey {
        image::GrayImage::from_raw(w, h, pixels).map(DynamicImage::ImageLuma8)
    } else {
        image::RgbImage::from_raw(w, h, pixels).map(DynamicImage::ImageRgb8)
    };
    image.ok_or_else(|| RenderError::Corrupt("short JPEG scanlines".into()))
}

/// Adobe writes CMYK JPEGs inverted (0 = full ink), which is what libjpeg hands back; the
/// naive conversion is then a product. Colour-managed conversion needs the ICC profile.
fn cmyk_to_rgb(cmyk: &[u8]) -> Vec<u8> {
    let mut rgb = Vec::with_capacity(cmyk.len() / 4 * 3);
    for px in cmyk.chunks_exact(4) {
        let k = u16::from(px[3]);
        for &c in &px[..3] {
            rgb.push(((u16::from(c) * k + 127) / 255) as u8);
        }
    }
    rgb
}
