//! Resampling with `fast_image_resize`: a Lanczos3 convolution over a window of the source,
//! alpha premultiplied during the convolution so transparent pixels do not darken edges.

use fast_image_resize::images::Image;
use fast_image_resize::{FilterType, PixelType, ResizeAlg, ResizeOptions, Resizer};
use image::{DynamicImage, GrayImage, RgbImage, RgbaImage};

use super::RenderError;
use super::geometry::Window;

/// Resizes `window` of `src` (in `src`'s own pixels) to `size`. Returns the source unchanged
/// when the window is the whole image at the same size.
pub fn resize(
    src: DynamicImage,
    window: Window,
    size: (u32, u32),
) -> Result<DynamicImage, RenderError> {
    let (sw, sh) = (src.width(), src.height());
    let whole = window.x == 0.0
        && window.y == 0.0
        && window.width == f64::from(sw)
        && window.height == f64::from(sh);
    if whole && size == (sw, sh) {
        return Ok(src);
    }
    let (pixel_type, bytes) = match src {
        DynamicImage::ImageLuma8(img) => (PixelType::U8, img.into_raw()),
        DynamicImage::ImageRgb8(img) => (PixelType::U8x3, img.into_raw()),
        DynamicImage::ImageRgba8(img) => (PixelType::U8x4, img.into_raw()),
        other => (PixelType::U8x4, other.to_rgba8().into_raw()),
    };
    let source = Image::from_vec_u8(sw, sh, bytes, pixel_type).map_err(internal)?;
    let mut target = Image::new(size.0, size.1, pixel_type);
    let options = ResizeOptions::new()
        .resize_alg(ResizeAlg::Convolution(FilterType::Lanczos3))
        .crop(window.x, window.y, window.width, window.height);
    Resizer::new()
        .resize(&source, &mut target, &options)
        .map_err(internal)?;
    let (w, h) = size;
    let out = target.into_vec();
    let image = match pixel_type {
        PixelType::U8 => GrayImage::from_raw(w, h, out).map(DynamicImage::ImageLuma8),
        PixelType::U8x3 => RgbImage::from_raw(w, h, out).map(DynamicImage::ImageRgb8),
        _ => RgbaImage::from_raw(w, h, out).map(DynamicImage::ImageRgba8),
    };
    image.ok_or_else(|| RenderError::Internal("resized buffer has the wrong size".into()))
}

fn internal(e: impl std::fmt::Display) -> RenderError {
    RenderError::Internal(format!("resize: {e}"))
}
