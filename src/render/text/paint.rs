//! Drawing set text: its glyphs rasterized (swash, unhinted, at their sub-pixel positions)
//! into coverage masks over the part of the image the text can reach, then the shadow, the
//! outline and the letters laid over the image, each in its colour.

use cosmic_text::{Buffer, FontSystem};
use image::{DynamicImage, GrayImage, RgbaImage};
use swash::scale::image::Content;
use swash::scale::{Render, ScaleContext, Source, StrikeWith};
use swash::zeno::{Format, Stroke, Vector};

use crate::transform::Colour;

/// A rectangle of the canvas, in px.
#[derive(Debug, Clone, Copy)]
pub(super) struct Region {
    pub x: i64,
    pub y: i64,
    pub width: u32,
    pub height: u32,
}

/// Where the set text goes: the block's top-left corner, and each line's shift within it.
pub(super) struct Placement<'a> {
    pub origin: (f32, f32),
    pub shift: &'a dyn Fn(f32) -> f32,
}

/// Coverage of the letters and, for `txt-line`, of their outline, over one region.
pub(super) struct Masks {
    pub fill: GrayImage,
    pub line: Option<GrayImage>,
}

/// The buffer's glyphs as coverage over `region`; `outline` px around each for the line.
pub(super) fn rasterize(
    system: &mut FontSystem,
    buffer: &Buffer,
    place: &Placement<'_>,
    region: Region,
    outline: f32,
) -> Masks {
    let mut fill = GrayImage::new(region.width, region.height);
    let mut line = (outline > 0.0).then(|| GrayImage::new(region.width, region.height));
    let mut context = ScaleContext::new();
    let letter_sources = [Source::Outline, Source::Bitmap(StrikeWith::BestFit)];
    for run in buffer.layout_runs() {
        let left = place.origin.0 + (place.shift)(run.line_w);
        let baseline = place.origin.1 + run.line_y;
        for glyph in run.glyphs {
            let size = glyph.font_size;
            let x = left + glyph.x + size * glyph.x_offset;
            let y = baseline + glyph.y - size * glyph.y_offset;
            // Well beyond any glyph's box: a glyph this far outside cannot touch the region.
            let reach = 3.0 * size + outline;
            if x + reach < region.x as f32
                || y + reach < region.y as f32
                || x - reach > (region.x + i64::from(region.width)) as f32
                || y - reach > (region.y + i64::from(region.height)) as f32
            {
                continue;
            }
            let Some(font) = system.get_font(glyph.font_id, glyph.font_weight) else {
                continue;
            };
            let mut scaler = context
                .builder(font.as_swash())
                .size(size)
                .hint(false)
                .build();
            let (ix, iy) = (x.floor(), y.floor());
            let offset = Vector::new(x - ix, y - iy);
            let at = (ix as i64, iy as i64);
            let mut letters = Render::new(&letter_sources);
            letters.format(Format::Alpha).offset(offset);
            if let Some(image) = letters.render(&mut scaler, glyph.glyph_id) {
                merge(&mut fill, region, at, &image);
            }
            if let Some(line) = line.as_mut() {
                let mut stroke = Render::new(&[Source::Outline]);
                // Centred on the contour: half of it lies outside the letter.
                stroke
                    .format(Format::Alpha)
                    .offset(offset)
                    .style(Stroke::new(outline * 2.0));
                if let Some(image) = stroke.render(&mut scaler, glyph.glyph_id) {
                    merge(line, region, at, &image);
                }
            }
        }
    }
    Masks { fill, line }
}

/// A glyph's coverage into `mask` (max of the two, so overlapping marks stay solid).
fn merge(mask: &mut GrayImage, region: Region, at: (i64, i64), image: &swash::scale::image::Image) {
    let p = image.placement;
    let stride = match image.content {
        Content::Mask => 1,
        Content::Color | Content::SubpixelMask => 4,
    };
    let x0 = at.0 + i64::from(p.left) - region.x;
    let y0 = at.1 - i64::from(p.top) - region.y;
    for row in 0..i64::from(p.height) {
        let y = y0 + row;
        if y < 0 || y >= i64::from(region.height) {
            continue;
        }
        for col in 0..i64::from(p.width) {
            let x = x0 + col;
            if x < 0 || x >= i64::from(region.width) {
                continue;
            }
            let i = (row * i64::from(p.width) + col) as usize * stride + (stride - 1);
            let coverage = image.data.get(i).copied().unwrap_or(0);
            let px = mask.get_pixel_mut(x as u32, y as u32);
            px.0[0] = px.0[0].max(coverage);
        }
    }
}

/// `mask`'s coverage of `colour` (faded by `opacity`) laid over `canvas`, the mask's
/// top-left at `region`'s plus `shift`.
pub(super) fn lay(
    canvas: &mut RgbaImage,
    mask: &GrayImage,
    region: Region,
    shift: (i64, i64),
    colour: Colour,
    opacity: f32,
) {
    let strength = f32::from(colour.a) / 255.0 * opacity;
    let (cw, ch) = (i64::from(canvas.width()), i64::from(canvas.height()));
    for (mx, my, coverage) in mask.enumerate_pixels() {
        if coverage.0[0] == 0 {
            continue;
        }
        let x = region.x + i64::from(mx) + shift.0;
        let y = region.y + i64::from(my) + shift.1;
        if x < 0 || y < 0 || x >= cw || y >= ch {
            continue;
        }
        let a = f32::from(coverage.0[0]) / 255.0 * strength;
        let dst = canvas.get_pixel_mut(x as u32, y as u32);
        let da = f32::from(dst.0[3]) / 255.0;
        let out = a + da * (1.0 - a);
        if out <= 0.0 {
            continue;
        }
        let mix =
            |s: u8, d: u8| ((f32::from(s) * a + f32::from(d) * da * (1.0 - a)) / out).round() as u8;
        dst.0 = [
            mix(colour.r, dst.0[0]),
            mix(colour.g, dst.0[1]),
            mix(colour.b, dst.0[2]),
            (out * 255.0).round() as u8,
        ];
    }
}

/// The shadow's coverage: the letters and their outline, blurred.
pub(super) fn shadow(masks: &Masks, sigma: f32) -> GrayImage {
    let mut both = masks.fill.clone();
    if let Some(line) = &masks.line {
        for (p, l) in both.pixels_mut().zip(line.pixels()) {
            p.0[0] = p.0[0].max(l.0[0]);
        }
    }
    super::super::blur::gaussian(DynamicImage::ImageLuma8(both), sigma).into_luma8()
}
