//! SVG input, drawn as a browser draws an SVG in `<img>`: no scripts, nothing fetched, only
//! `data:` images. The text is parsed by roxmltree under pixgate's budgets (`budget`, and no
//! DTD internal subset, so no entity expansion) before usvg builds its tree, and resvg
//! rasterises it at the scale the output needs, within the pixel limit.

mod budget;
mod prolog;

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use image::{DynamicImage, RgbaImage};
use resvg::tiny_skia::{Pixmap, Transform};
use resvg::usvg::{self, ImageHrefResolver, ImageKind, Options};

use super::{RenderError, SourceFormat, corrupt};

pub use prolog::is_svg;

/// The largest SVG text pixgate parses.
pub const MAX_SVG_BYTES: usize = 4 << 20;
/// The XML nodes (elements, text, comments) roxmltree may build.
const MAX_NODES: u32 = 500_000;
/// A browser's size for an SVG that states neither width, height nor viewBox.
const DEFAULT_SIZE: (f32, f32) = (300.0, 150.0);

/// The intrinsic size in CSS pixels (from `width`/`height`, else the `viewBox`, else
/// 300x150), rounded, at least 1 a side. `max_pixels` bounds the images it embeds.
pub fn size(bytes: &[u8], max_pixels: u64) -> Result<(u32, u32), RenderError> {
    let (_, size) = tree(bytes, max_pixels)?;
    Ok((side(size.0), side(size.1)))
}

/// Draws the SVG at `scale` times its intrinsic size, or at the largest scale within
/// `max_pixels` (the resize then enlarges the rest of the way).
pub fn rasterise(bytes: &[u8], scale: f64, max_pixels: u64) -> Result<DynamicImage, RenderError> {
    let (tree, size) = tree(bytes, max_pixels)?;
    let (w, h) = raster_size((f64::from(size.0), f64::from(size.1)), scale, max_pixels);
    let mut pixmap = Pixmap::new(w, h)
        .ok_or_else(|| RenderError::Internal(format!("no {w}x{h} canvas for an SVG")))?;
    let transform = Transform::from_scale(w as f32 / size.0, h as f32 / size.1);
    resvg::render(&tree, transform, &mut pixmap.as_mut());
    let rgba = pixmap
        .pixels()
        .iter()
        .flat_map(|p| {
            let c = p.demultiply();
            [c.red(), c.green(), c.blue(), c.alpha()]
        })
        .collect();
    RgbaImage::from_raw(w, h, rgba)
        .map(DynamicImage::ImageRgba8)
        .ok_or_else(|| RenderError::Internal("SVG canvas of the wrong length".into()))
}

/// Parses and checks the SVG, then builds usvg's tree; with its intrinsic size.
fn tree(bytes: &[u8], max_pixels: u64) -> Result<(usvg::Tree, (f32, f32)), RenderError> {
    if bytes.len() > MAX_SVG_BYTES {
        return Err(RenderError::Unrenderable(format!(
            "the SVG is {} bytes, above the limit of {MAX_SVG_BYTES}",
            bytes.len()
        )));
    }
    let text = std::str::from_utf8(bytes).map_err(|_| {
        RenderError::Unrenderable("the SVG is not UTF-8 text, the only encoding read".into())
    })?;
    if prolog::has_internal_subset(bytes) {
        return Err(RenderError::Unrenderable(
            "the SVG declares a DTD internal subset (entities), which pixgate refuses".into(),
        ));
    }
    let options = roxmltree::ParsingOptions {
        allow_dtd: true,
        nodes_limit: MAX_NODES,
        ..Default::default()
    };
    let doc = roxmltree::Document::parse_with_options(text, options).map_err(|e| match e {
        roxmltree::Error::NodesLimitReached => {
            RenderError::Unrenderable(format!("the SVG has more than {MAX_NODES} XML nodes"))
        }
        other => corrupt(other),
    })?;
    budget::check(&doc)?;
    // Every image drawn is decoded, once per `<use>` of it too: their pixels share one budget.
    let drawn = Arc::new(AtomicU64::new(0));
    let counted = Arc::clone(&drawn);
    let options = Options {
        image_href_resolver: ImageHrefResolver {
            resolve_data: Box::new(move |_, data, _| embedded(data, &counted, max_pixels)),
            // Anything but a data URI would be a file or a URL: never read.
            resolve_string: Box::new(|_, _| None),
        },
        ..Options::default()
    };
    let tree = usvg::Tree::from_xmltree(&doc, &options).map_err(corrupt)?;
    let pixels = drawn.load(Ordering::Relaxed);
    if pixels > max_pixels {
        return Err(RenderError::Unrenderable(format!(
            "the SVG's embedded images add up to {pixels} pixels, above the limit of {max_pixels}"
        )));
    }
    let size =
        browser_size(doc.root_element()).unwrap_or((tree.size().width(), tree.size().height()));
    Ok((tree, size))
}

/// Without a `viewBox`, usvg sizes an SVG whose `width` or `height` is missing (or a
/// percentage) by its drawing's bounding box; a browser takes 300 and 150 for those sides,
/// and so does pixgate. `None` where usvg's size stands. The drawing keeps its user units.
fn browser_size(root: roxmltree::Node) -> Option<(f32, f32)> {
    if root.has_attribute("viewBox") {
        return None;
    }
    let pixels = |name| {
        let value: &str = root.attribute(name)?.trim();
        let number = value.strip_suffix("px").unwrap_or(value).trim();
        number
            .parse::<f32>()
            .ok()
            .filter(|n| n.is_finite() && *n > 0.0)
    };
    let (width, height) = (pixels("width"), pixels("height"));
    let relative = |name| root.attribute(name).is_none_or(|v| v.trim().ends_with('%'));
    (relative("width") || relative("height")).then(|| {
        (
            width.unwrap_or(DEFAULT_SIZE.0),
            height.unwrap_or(DEFAULT_SIZE.1),
        )
    })
}

/// A `data:` image resvg may draw: PNG, JPEG, GIF or WebP, its header read and its pixels
/// added to `drawn` (the caller refuses the SVG past `max_pixels`). Nested SVG is not loaded
/// (nor parsed): it would escape the budgets above.
fn embedded(data: Arc<Vec<u8>>, drawn: &AtomicU64, max_pixels: u64) -> Option<ImageKind> {
    if SourceFormat::sniff(&data) == Some(SourceFormat::Svg) {
        return None;
    }
    let header = super::header(&data, max_pixels).ok()?;
    let pixels = u64::from(header.upright.0) * u64::from(header.upright.1);
    drawn.fetch_add(pixels, Ordering::Relaxed);
    match header.format {
        SourceFormat::Png => Some(ImageKind::PNG(data)),
        SourceFormat::Jpeg => Some(ImageKind::JPEG(data)),
        SourceFormat::Gif => Some(ImageKind::GIF(data)),
        SourceFormat::Webp => Some(ImageKind::WEBP(data)),
        _ => None,
    }
}

fn side(length: f32) -> u32 {
    (length.round() as u32).max(1)
}

/// `size` times `scale`, shrunk to fit `max_pixels`, at least 1 a side.
fn raster_size(size: (f64, f64), scale: f64, max_pixels: u64) -> (u32, u32) {
    let fits = size.0 * size.1 * scale * scale <= max_pixels as f64;
    let (scale, round): (f64, fn(f64) -> f64) = if fits {
        (scale, f64::round)
    } else {
        // Floor, so that rounding never takes the area past the limit.
        ((max_pixels as f64 / (size.0 * size.1)).sqrt(), f64::floor)
    };
    let w = (round(size.0 * scale) as u32).max(1);
    let h = (round(size.1 * scale) as u32).max(1);
    (w, h)
}

#[cfg(test)]
mod tests {
    use super::raster_size;

    #[test]
    fn the_raster_follows_the_scale_within_the_pixel_limit() {
        assert_eq!(raster_size((100.0, 50.0), 20.0, 10_000_000), (2000, 1000));
        assert_eq!(raster_size((100.0, 50.0), 0.5, 10_000_000), (50, 25));
        let (w, h) = raster_size((100.0, 100.0), 1000.0, 1_000_000);
        assert_eq!((w, h), (1000, 1000));
        let (w, h) = raster_size((3.0, 7.0), 1e6, 1_000);
        assert!(u64::from(w) * u64::from(h) <= 1_000, "{w}x{h}");
        assert_eq!(raster_size((1e9, 1e9), 1e-12, 1_000), (1, 1));
    }
}
