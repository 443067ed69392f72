//! Fit and crop arithmetic: from the logical source size and a `Transform` to the window of
//! the source that is kept, the size it is resized to, and the canvas it lands on. Pure math.

use crate::transform::{Crop, Dimension, Fit, Sides, Transform};

/// A rectangle in logical source pixels (after orientation, `rect` and rotation).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Window {
    pub x: f64,
    pub y: f64,
    pub width: f64,
    pub height: f64,
}

/// Where the pixels go.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Plan {
    /// The part of the source that is kept. For `crop=entropy` it is centred here and moved
    /// by the renderer, which alone sees the pixels.
    pub window: Window,
    /// The size the window is resized to.
    pub resized: (u32, u32),
    /// The output size: equal to `resized` except for `fit=fill`, which pads.
    pub canvas: (u32, u32),
    /// Top-left of the resized image on the canvas.
    pub offset: (u32, u32),
    /// Padding and border around the canvas, in output pixels: top, right, bottom, left.
    pub frame: Sides,
    /// The output size: the canvas and the frame.
    pub outer: (u32, u32),
}

/// Why a transform cannot be planned: a 400 naming the parameter.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid value for `{name}`: {reason}")]
pub struct GeometryError {
    pub name: &'static str,
    pub reason: String,
}

/// Plans a transform on a source of `source` logical pixels. `max_dimension` bounds each side
/// of the output (`limits.max_output_dimension`).
pub fn plan(source: (u32, u32), t: &Transform, max_dimension: u32) -> Result<Plan, GeometryError> {
    let (sw, sh) = (f64::from(source.0.max(1)), f64::from(source.1.max(1)));
    let full = Window {
        x: 0.0,
        y: 0.0,
        width: sw,
        height: sh,
    };
    let frame = frame_pixels(t);
    let (frame_x, frame_y) = (
        frame[1].saturating_add(frame[3]),
        frame[0].saturating_add(frame[2]),
    );
    // A box holds the frame too: the image is fitted into what the frame leaves of it.
    let (bw, bh) = bounded(t, target_box(t, sw, sh), sw, sh);
    let (bw, bh) = (inside_frame(bw, frame_x, t)?, inside_frame(bh, frame_y, t)?);
    let mut plan = match (bw, bh) {
        (None, None) => same_size(full),
        (Some(w), None) => proportional(full, w / sw, t.fit),
        (None, Some(h)) => proportional(full, h / sh, t.fit),
        (Some(w), Some(h)) => boxed(full, w, h, t),
    };
    plan.frame = frame;
    plan.outer = (
        plan.canvas.0.saturating_add(frame_x),
        plan.canvas.1.saturating_add(frame_y),
    );
    // Name the side the caller set when both overflow: `h=9000` alone is about `h`; and the
    // frame when the image alone would fit.
    let mut sides = [
        (plan.outer.0, plan.canvas.0, "w"),
        (plan.outer.1, plan.canvas.1, "h"),
    ];
    if t.width.is_none() {
        sides.reverse();
    }
    for (side, image, name) in sides {
        let name = if image <= max_dimension {
            frame_name(t)
        } else {
            size_name(t, source, name)
        };
        if side > max_dimension {
            return Err(GeometryError {
                name,
                reason: format!(
                    "the output would be {side} px, above the limit of {max_dimension}"
                ),
            });
        }
    }
    Ok(plan)
}

/// `fit=crop`'s box within `max-w`/`max-h` and then at least `min-w`/`min-h`, its shape kept;
/// a side not given is the one the source's shape implies, and without a box the source's own
/// size is bounded.
fn bounded(
    t: &Transform,
    (bw, bh): (Option<f64>, Option<f64>),
    sw: f64,
    sh: f64,
) -> (Option<f64>, Option<f64>) {
    let Some(b) = bounds(t, (bw, bh), sw, sh).filter(|b| b.scale != 1.0) else {
        return (bw, bh);
    };
    match (bw, bh) {
        (None, None) => (Some(b.width * b.scale), Some(b.height * b.scale)),
        _ => (bw.map(|v| v * b.scale), bh.map(|v| v * b.scale)),
    }
}

/// What the bounds do to a box: the box they apply to, its scale, and the minimum that
/// enlarged it, if one did.
struct Bounded {
    width: f64,
    height: f64,
    scale: f64,
    grown_by: Option<&'static str>,
}

/// `None` when no bounds apply (they are for `fit=crop` only).
fn bounds(
    t: &Transform,
    (bw, bh): (Option<f64>, Option<f64>),
    sw: f64,
    sh: f64,
) -> Option<Bounded> {
    let b = &t.bounds;
    if t.fit != Fit::Crop || b.is_none() {
        return None;
    }
    let (w, h) = match (bw, bh) {
        (Some(w), Some(h)) => (w, h),
        (Some(w), None) => (w, w * sh / sw),
        (None, Some(h)) => (h * sw / sh, h),
        (None, None) => (sw, sh),
    };
    let dpr = f64::from(t.dpr.unwrap_or(1.0));
    let limit = |v: Option<u32>| v.map(|v| f64::from(v) * dpr);
    let mut k: f64 = 1.0;
    for (max, side) in [(limit(b.max_width), w), (limit(b.max_height), h)] {
        if let Some(max) = max {
            k = k.min(max / side);
        }
    }
    let (mut grow, mut grown_by): (f64, Option<&'static str>) = (1.0, None);
    for (min, side, name) in [
        (limit(b.min_width), w, "min-w"),
        (limit(b.min_height), h, "min-h"),
    ] {
        if let Some(min) = min
            && min / (side * k) > grow
        {
            grow = min / (side * k);
            grown_by = Some(name);
        }
    }
    Some(Bounded {
        width: w,
        height: h,
        scale: k * grow,
        grown_by,
    })
}

/// The parameter to name when the image itself (not its frame) is too large for the limits:
/// `min-w`/`min-h` when one of them enlarged `fit=crop`'s box, else `side` (`w` or `h`).
pub fn size_name(t: &Transform, source: (u32, u32), side: &'static str) -> &'static str {
    let (sw, sh) = (f64::from(source.0.max(1)), f64::from(source.1.max(1)));
    bounds(t, target_box(t, sw, sh), sw, sh)
        .and_then(|b| b.grown_by)
        .unwrap_or(side)
}

/// Padding and border per side in output pixels (`dpr` applied).
fn frame_pixels(t: &Transform) -> Sides {
    let dpr = f64::from(t.dpr.unwrap_or(1.0));
    let border = t.frame.border.map_or([0; 4], |(sides, _)| sides);
    let px = |css: f64| (css * dpr).round().min(f64::from(u32::MAX)) as u32;
    // The stroke is scaled on its own, as the renderer draws it.
    let stroke = px(f64::from(t.frame.stroke.map_or(0, |(width, _)| width)));
    let mut out = [0; 4];
    for (i, side) in out.iter_mut().enumerate() {
        let css = f64::from(t.frame.pad[i]) + f64::from(border[i]);
        *side = px(css).saturating_add(stroke);
    }
    out
}

/// A side of the box less the frame across it; the frame must leave at least a pixel.
fn inside_frame(
    side: Option<f64>,
    frame: u32,
    t: &Transform,
) -> Result<Option<f64>, GeometryError> {
    let Some(side) = side else {
        return Ok(None);
    };
    let inner = side - f64::from(frame);
    if inner < 1.0 {
        return Err(GeometryError {
            name: frame_name(t),
            reason: format!(
                "the padding and border ({frame} px) leave no room in the {side:.0} px box"
            ),
        });
    }
    Ok(Some(inner))
}

/// The parameter to name when the frame is what does not fit.
pub fn frame_name(t: &Transform) -> &'static str {
    if t.frame.pad != [0; 4] {
        "pad"
    } else if t.frame.border.is_some() {
        "border"
    } else {
        "border-stroke-size"
    }
}

/// The requested box in output pixels, `dpr` applied, `ar` filling in a missing side.
fn target_box(t: &Transform, sw: f64, sh: f64) -> (Option<f64>, Option<f64>) {
    let dpr = f64::from(t.dpr.unwrap_or(1.0));
    let side = |d: Option<Dimension>, source: f64| {
        d.map(|d| match d {
            Dimension::Pixels(px) => f64::from(px) * dpr,
            Dimension::Fraction(share) => f64::from(share) * source * dpr,
        })
    };
    let (w, h) = (side(t.width, sw), side(t.height, sh));
    match (t.aspect.map(|a| a.ratio()), w, h) {
        (Some(r), Some(w), None) => (Some(w), Some(w / r)),
        (Some(r), None, Some(h)) => (Some(h * r), Some(h)),
        // `ar` alone: the largest box of that shape inside the source.
        (Some(r), None, None) => {
            let (w, h) = if sw / sh > r {
                (sh * r, sh)
            } else {
                (sw, sw / r)
            };
            (Some(w * dpr), Some(h * dpr))
        }
        _ => (w, h),
    }
}

/// The output's shape when the transform fixes it whatever the source's: `ar`, or `w` and `h`
/// both in pixels. `fit=facearea` frames the faces at that shape.
pub fn aspect(t: &Transform) -> Option<f64> {
    if let Some(ar) = t.aspect {
        return Some(ar.ratio());
    }
    match (t.width, t.height) {
        (Some(Dimension::Pixels(w)), Some(Dimension::Pixels(h))) => {
            Some(f64::from(w) / f64::from(h))
        }
        _ => None,
    }
}

fn px(v: f64) -> u32 {
    v.round().clamp(1.0, f64::from(u32::MAX)) as u32
}

fn same_size(full: Window) -> Plan {
    let size = (px(full.width), px(full.height));
    Plan {
        window: full,
        resized: size,
        canvas: size,
        offset: (0, 0),
        frame: [0; 4],
        outer: size,
    }
}

/// One side given: every mode keeps the aspect ratio; `max`/`min` never enlarge.
fn proportional(full: Window, scale: f64, fit: Fit) -> Plan {
    let scale = match fit {
        Fit::Max | Fit::Min | Fit::FillMax => scale.min(1.0),
        _ => scale,
    };
    let size = (px(full.width * scale), px(full.height * scale));
    Plan {
        window: full,
        resized: size,
        canvas: size,
        offset: (0, 0),
        frame: [0; 4],
        outer: size,
    }
}

fn boxed(full: Window, w: f64, h: f64, t: &Transform) -> Plan {
    let (sw, sh) = (full.width, full.height);
    let inside = (w / sw).min(h / sh);
    let cover = (w / sw).max(h / sh);
    match t.fit {
        Fit::Clip => proportional(full, inside, Fit::Clip),
        Fit::Max => proportional(full, inside, Fit::Max),
        Fit::Scale => {
            let size = (px(w), px(h));
            Plan {
                window: full,
                resized: size,
                canvas: size,
                offset: (0, 0),
                frame: [0; 4],
                outer: size,
            }
        }
        // `fit=facearea` is planned as a crop of the area around the faces (render::plan).
        Fit::Crop | Fit::FaceArea => cropped(full, (w, h), cover, t.crop),
        Fit::Min if cover > 1.0 => {
            // Never enlarge: keep the box's shape at the largest size the source allows.
            let shrink = (sw / w).min(sh / h);
            cropped(full, (w * shrink, h * shrink), 1.0, t.crop)
        }
        Fit::Min => cropped(full, (w, h), cover, t.crop),
        Fit::Fill | Fit::FillMax => {
            let inside = if t.fit == Fit::FillMax {
                inside.min(1.0)
            } else {
                inside
            };
            let resized = (px(sw * inside), px(sh * inside));
            let canvas = (px(w), px(h));
            let (hg, vg) = alignment(t.crop);
            let offset = (
                (f64::from(canvas.0.saturating_sub(resized.0)) * hg).round() as u32,
                (f64::from(canvas.1.saturating_sub(resized.1)) * vg).round() as u32,
            );
            Plan {
                window: full,
                resized,
                canvas,
                offset,
                frame: [0; 4],
                outer: canvas,
            }
        }
    }
}

/// Covers the box at `scale` and cuts the overflow where `crop` says.
fn cropped(full: Window, out: (f64, f64), scale: f64, crop: Crop) -> Plan {
    let size = (px(out.0), px(out.1));
    // `fp-z` narrows the window around the focal point: that much closer.
    let zoom = match crop {
        Crop::FocalPoint(fp) => f64::from(fp.zoom),
        _ => 1.0,
    };
    let width = (f64::from(size.0) / scale / zoom).min(full.width);
    let height = (f64::from(size.1) / scale / zoom).min(full.height);
    let (spare_x, spare_y) = (full.width - width, full.height - height);
    let (x, y) = match crop {
        Crop::FocalPoint(fp) => (
            (f64::from(fp.x) * full.width - width / 2.0).clamp(0.0, spare_x),
            (f64::from(fp.y) * full.height - height / 2.0).clamp(0.0, spare_y),
        ),
        _ => {
            let (hg, vg) = alignment(crop);
            (spare_x * hg, spare_y * vg)
        }
    };
    Plan {
        window: Window {
            x,
            y,
            width,
            height,
        },
        resized: size,
        canvas: size,
        offset: (0, 0),
        frame: [0; 4],
        outer: size,
    }
}

/// Horizontal and vertical share (0 = left/top, 1 = right/bottom) for edge gravities;
/// centre for the modes that are not edges.
fn alignment(crop: Crop) -> (f64, f64) {
    match crop {
        // `crop=faces` is placed by its fallback here, and moved onto the faces by the
        // renderer, which alone knows them.
        Crop::Edges {
            horizontal,
            vertical,
        }
        | Crop::Faces {
            horizontal,
            vertical,
        } => (f64::from(horizontal.share()), f64::from(vertical.share())),
        Crop::FocalPoint(fp) => (f64::from(fp.x), f64::from(fp.y)),
        Crop::Entropy | Crop::Detail => (0.5, 0.5),
    }
}

#[cfg(test)]
mod tests;
