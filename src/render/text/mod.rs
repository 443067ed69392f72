//! Text (`txt`): the words shaped in the font asked for (with fallback to any face that has
//! a character), fitted to the width allowed, and drawn over the image where `txt-align` or
//! `txt-x`/`txt-y` put them, with an optional outline and drop shadow. Sizes in px are
//! multiplied by `dpr`, like every other size.

mod fonts;
mod paint;
mod setter;

pub use fonts::Fonts;

use image::DynamicImage;

use super::mark::as_base;
use super::{Limits, RenderError};
use crate::transform::{Colour, MarkAlign, Text};
use paint::{Placement, Region};
use setter::{LINE_HEIGHT, Setter};

const SHADOW: Colour = Colour {
    r: 0,
    g: 0,
    b: 0,
    a: 255,
};

/// `base` with `text` drawn over it.
pub fn draw(
    base: DynamicImage,
    text: &Text,
    fonts: &Fonts,
    dpr: f32,
    limits: &Limits,
) -> Result<DynamicImage, RenderError> {
    let (w, h) = (base.width() as f32, base.height() as f32);
    let px = |v: u32| v as f32 * dpr;
    let pad = px(text.pad);
    let room = text.width.map_or(f32::MAX, px).min(w - 2.0 * pad);
    let attrs = fonts
        .attrs(&text.font)
        .map_err(|reason| RenderError::Parameter {
            name: "txt-font",
            reason,
        })?;
    if room < 1.0 {
        // No room between the paddings: as on a line cut to nothing, nothing is drawn.
        return Ok(base);
    }
    let mut setter = Setter {
        system: fonts.system(),
        attrs,
        lead: px(text.lead),
        track: text.track as f32 * dpr,
    };
    let lines: Vec<&str> = text.text.split('\n').collect();
    let (size, lines) = setter.fit(&lines, px(text.size), room, text.clip, text.shrink_to_fit);
    limits.check_deadline()?;
    let buffer = setter.shape(&lines.join("\n"), size);
    let block_w = buffer.layout_runs().map(|r| r.line_w).fold(0.0, f32::max);
    let block_h = lines.len() as f32 * (size * LINE_HEIGHT + setter.lead) - setter.lead;
    let share = |align: MarkAlign| match align {
        MarkAlign::Start => 0.0,
        MarkAlign::Middle => 0.5,
        MarkAlign::End => 1.0,
    };
    let at = |given: Option<i32>, align: MarkAlign, room: f32| match given {
        Some(v) => v as f32 * dpr,
        // Start: `pad` in; end: `pad` from the far edge; middle: centred.
        None => pad + (room - 2.0 * pad) * share(align),
    };
    let origin = (
        at(text.x, text.horizontal, w - block_w),
        at(text.y, text.vertical, h - block_h),
    );
    let line_share = share(text.horizontal);
    let shift = move |line_w: f32| (block_w - line_w) * line_share;
    let place = Placement {
        origin,
        shift: &shift,
    };
    let outline = px(text.line);
    let shadow = (text.shadow > 0.0).then(|| Shadow::new(text.shadow, size));
    let reach = outline + shadow.as_ref().map_or(0.0, Shadow::reach) + size;
    let Some(region) = region((w, h), origin, (block_w, block_h), reach) else {
        return Ok(base);
    };
    let masks = paint::rasterize(&mut setter.system, &buffer, &place, region, outline);
    limits.check_deadline()?;
    let opaque = !base.color().has_alpha();
    let mut canvas = base.into_rgba8();
    if let Some(shadow) = shadow {
        let cover = paint::shadow(&masks, shadow.sigma);
        let d = shadow.offset;
        paint::lay(&mut canvas, &cover, region, (d, d), SHADOW, shadow.opacity);
    }
    if let Some(line) = &masks.line {
        paint::lay(&mut canvas, line, region, (0, 0), text.line_color, 1.0);
    }
    paint::lay(&mut canvas, &masks.fill, region, (0, 0), text.color, 1.0);
    Ok(as_base(canvas, opaque))
}

/// The part of the canvas the text can touch: its block, `reach` px around, within the
/// canvas; `None` when that is nothing.
fn region(canvas: (f32, f32), origin: (f32, f32), block: (f32, f32), reach: f32) -> Option<Region> {
    let x0 = (origin.0 - reach).floor().max(0.0);
    let y0 = (origin.1 - reach).floor().max(0.0);
    let x1 = (origin.0 + block.0 + reach).ceil().min(canvas.0);
    let y1 = (origin.1 + block.1 + reach).ceil().min(canvas.1);
    (x1 > x0 && y1 > y0).then_some(Region {
        x: x0 as i64,
        y: y0 as i64,
        width: (x1 - x0) as u32,
        height: (y1 - y0) as u32,
    })
}

/// `txt-shad`'s drop shadow: black, down and right by a sixteenth of the size, blurred and
/// darker as the strength (0–10) grows.
struct Shadow {
    offset: i64,
    sigma: f32,
    opacity: f32,
}

impl Shadow {
    fn new(strength: f32, size: f32) -> Shadow {
        Shadow {
            offset: (size / 16.0).round().max(1.0) as i64,
            sigma: 0.5 + strength * size / 100.0,
            opacity: (0.4 + strength * 0.06).min(1.0),
        }
    }

    fn reach(&self) -> f32 {
        self.offset as f32 + 3.0 * self.sigma
    }
}
