//! Resampling with `fast_image_resize`: a Lanczos3 convolution over a window of the source,
//! alpha premultiplied during the convolution so transparent pixels do not darken edges.

use fast_image_resize::images::{TypedImage, TypedImageRef};
use fast_image_resize::pixels::{U8, U8x3, U8x4};
use fast_image_resize::{FilterType, PixelTrait, ResizeAlg, ResizeOptions, Resizer};
use std::borrow::Cow;

use image::{DynamicImage, GrayImage, RgbImage, RgbaImage};

use super::RenderError;
use super::geometry::Window;

/// Resizes `window` of `src` (in `src`'s own pixels) to `size`. Returns the source unchanged
/// when the window is the whole image at the same size. `src` may be borrowed (pixels kept
/// for later renders): the resize only reads it.
pub fn resize(
    src: Cow<'_, DynamicImage>,
    window: Window,
    size: (u32, u32),
) -> Result<DynamicImage, RenderError> {
    let source = (src.width(), src.height());
    let whole = window.x == 0.0
        && window.y == 0.0
        && window.width == f64::from(source.0)
        && window.height == f64::from(source.1);
    if whole && size == source {
        return Ok(src.into_owned());
    }
    let options = ResizeOptions::new()
        .resize_alg(ResizeAlg::Convolution(FilterType::Lanczos3))
        .crop(window.x, window.y, window.width, window.height);
    let (w, h) = size;
    // Typed calls instantiate the convolution for the three working layouts only; the
    // dynamic `Resizer::resize` would compile it for all thirteen pixel types.
    let image = match &*src {
        DynamicImage::ImageLuma8(img) => {
            let out = resize_as::<U8>(img.as_raw(), source, size, &options)?;
            GrayImage::from_raw(w, h, out).map(DynamicImage::ImageLuma8)
        }
        DynamicImage::ImageRgb8(img) => {
            let out = resize_as::<U8x3>(img.as_raw(), source, size, &options)?;
            RgbImage::from_raw(w, h, out).map(DynamicImage::ImageRgb8)
        }
        DynamicImage::ImageRgba8(img) => {
            let out = resize_as::<U8x4>(img.as_raw(), source, size, &options)?;
            RgbaImage::from_raw(w, h, out).map(DynamicImage::ImageRgba8)
        }
        other => {
            let rgba = other.to_rgba8();
            let out = resize_as::<U8x4>(rgba.as_raw(), source, size, &options)?;
            RgbaImage::from_raw(w, h, out).map(DynamicImage::ImageRgba8)
        }
    };
    image.ok_or_else(|| RenderError::Internal("resized buffer has the wrong size".into()))
}

fn resize_as<P: PixelTrait>(
    pixels: &[u8],
    source: (u32, u32),
    size: (u32, u32),
    options: &ResizeOptions,
) -> Result<Vec<u8>, RenderError> {
    let src = TypedImageRef::<P>::from_buffer(source.0, source.1, pixels).map_err(internal)?;
    let mut out = vec![0u8; size.0 as usize * size.1 as usize * P::size()];
    let mut dst = TypedImage::<P>::from_buffer(size.0, size.1, &mut out).map_err(internal)?;
    Resizer::new()
        .resize_typed(&src, &mut dst, options)
        .map_err(internal)?;
    Ok(out)
}

fn internal(e: impl std::fmt::Display) -> RenderError {
    RenderError::Internal(format!("resize: {e}"))
}
