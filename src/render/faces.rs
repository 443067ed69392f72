//! Faces: found once per original (`detect`), then placed on each render: mapped through
//! orientation, `trim`, `rect`, `rot` and `flip` into the logical image, where `crop=faces`
//! centres its window on them, `fit=facearea` frames them, and `face-blur`/`face-pixel` hide
//! them (`hide`). Pure CPU; the model is loaded by the caller's [`FaceDetector`].

mod detect;
mod hide;

use image::metadata::Orientation;

pub use detect::{DETECT_SIDE, FaceDetector, detect, find, grey_copy};
pub use hide::hide;

use super::geometry::Window;
use crate::transform::{Faces, Flip, Rect, Rotation};

/// The faces found in an original: boxes in its stored pixels (before any EXIF orientation),
/// largest first, so they stay true whatever orientation a render applies.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Found {
    /// The stored image's size.
    pub stored: (u32, u32),
    pub boxes: Vec<Window>,
}

/// How a render arranges the upright image before fitting it: what `Steps` applies.
#[derive(Debug, Clone, Copy)]
pub(super) struct Arrangement {
    /// The orientation the render applies to the stored pixels.
    pub orientation: Orientation,
    pub trimmed: Option<Rect>,
    pub cropped: Rect,
    pub rotation: Rotation,
    pub flip: Flip,
}

impl Found {
    /// The boxes in the render's logical pixels (after orientation, `trim`, `rect`, `rot` and
    /// `flip`), cut to what is left of the image; a face cut away entirely is dropped.
    pub(super) fn logical(&self, a: &Arrangement) -> Vec<Window> {
        let stored = (f64::from(self.stored.0), f64::from(self.stored.1));
        let (rx, ry) = (f64::from(a.cropped.x), f64::from(a.cropped.y));
        let (trim_x, trim_y) = a
            .trimmed
            .map_or((0.0, 0.0), |t| (f64::from(t.x), f64::from(t.y)));
        let crop = (f64::from(a.cropped.width), f64::from(a.cropped.height));
        let turn = match a.rotation {
            Rotation::None => Orientation::NoTransforms,
            Rotation::Quarter => Orientation::Rotate90,
            Rotation::Half => Orientation::Rotate180,
            Rotation::ThreeQuarters => Orientation::Rotate270,
        };
        let turned = oriented_size(crop, turn);
        self.boxes
            .iter()
            .filter_map(|b| {
                let b = orient(*b, stored, a.orientation);
                let b = Window {
                    x: b.x - trim_x - rx,
                    y: b.y - trim_y - ry,
                    ..b
                };
                let b = intersect(b, crop)?;
                let mut b = orient(b, crop, turn);
                if a.flip.horizontal {
                    b.x = turned.0 - b.x - b.width;
                }
                if a.flip.vertical {
                    b.y = turned.1 - b.y - b.height;
                }
                Some(b)
            })
            .collect()
    }
}

/// The area `fit=facearea` frames in a logical image of `size`: the chosen face (or every
/// face's union) grown `pad` times around its centre, then widened or heightened to `aspect`
/// (width / height; `None` keeps the area's own), and kept inside the image. `None` when
/// there is no such face.
pub(super) fn face_area(
    boxes: &[Window],
    faces: &Faces,
    aspect: Option<f64>,
    size: (u32, u32),
) -> Option<Window> {
    let chosen = match faces.index {
        Some(i) => *boxes.get(usize::try_from(i).ok()?.checked_sub(1)?)?,
        None => union(boxes)?,
    };
    let (iw, ih) = (f64::from(size.0), f64::from(size.1));
    let pad = f64::from(faces.pad);
    let (mut w, mut h) = (chosen.width * pad, chosen.height * pad);
    if let Some(aspect) = aspect {
        if w / h < aspect {
            w = h * aspect;
        } else {
            h = w / aspect;
        }
    }
    // Too big for the image: shrink, keeping the shape, until it fits.
    let shrink = (iw / w).min(ih / h).min(1.0);
    let (w, h) = (w * shrink, h * shrink);
    Some(centred(chosen, w, h, (iw, ih)))
}

/// A `width`×`height` window centred on `on`, moved as little as needed to lie inside `size`.
pub(super) fn centred(on: Window, width: f64, height: f64, size: (f64, f64)) -> Window {
    let (cx, cy) = (on.x + on.width / 2.0, on.y + on.height / 2.0);
    Window {
        x: (cx - width / 2.0).clamp(0.0, (size.0 - width).max(0.0)),
        y: (cy - height / 2.0).clamp(0.0, (size.1 - height).max(0.0)),
        width,
        height,
    }
}

/// The smallest box holding every box; `None` for none.
pub(super) fn union(boxes: &[Window]) -> Option<Window> {
    let first = boxes.first()?;
    let (mut x0, mut y0) = (first.x, first.y);
    let (mut x1, mut y1) = (first.x + first.width, first.y + first.height);
    for b in &boxes[1..] {
        x0 = x0.min(b.x);
        y0 = y0.min(b.y);
        x1 = x1.max(b.x + b.width);
        y1 = y1.max(b.y + b.height);
    }
    Some(Window {
        x: x0,
        y: y0,
        width: x1 - x0,
        height: y1 - y0,
    })
}

/// `b` cut to a `size` image; `None` when nothing of it is left.
fn intersect(b: Window, size: (f64, f64)) -> Option<Window> {
    let (x0, y0) = (b.x.max(0.0), b.y.max(0.0));
    let (x1, y1) = ((b.x + b.width).min(size.0), (b.y + b.height).min(size.1));
    (x1 > x0 && y1 > y0).then_some(Window {
        x: x0,
        y: y0,
        width: x1 - x0,
        height: y1 - y0,
    })
}

/// The size of a `size` image once `o` is applied.
fn oriented_size(size: (f64, f64), o: Orientation) -> (f64, f64) {
    match o {
        Orientation::Rotate90
        | Orientation::Rotate270
        | Orientation::Rotate90FlipH
        | Orientation::Rotate270FlipH => (size.1, size.0),
        _ => size,
    }
}

/// Where box `b` of a `size` image lands once `o` is applied, as `image`'s
/// `apply_orientation` moves pixels (the flips of the combined codes come after the turn).
fn orient(b: Window, (w, h): (f64, f64), o: Orientation) -> Window {
    let point = |x: f64, y: f64| match o {
        Orientation::NoTransforms => (x, y),
        Orientation::Rotate90 => (h - y, x),
        Orientation::Rotate180 => (w - x, h - y),
        Orientation::Rotate270 => (y, w - x),
        Orientation::FlipHorizontal => (w - x, y),
        Orientation::FlipVertical => (x, h - y),
        Orientation::Rotate90FlipH => (y, x),
        Orientation::Rotate270FlipH => (h - y, w - x),
    };
    let (ax, ay) = point(b.x, b.y);
    let (bx, by) = point(b.x + b.width, b.y + b.height);
    Window {
        x: ax.min(bx),
        y: ay.min(by),
        width: (ax - bx).abs(),
        height: (ay - by).abs(),
    }
}

/// The inverse of [`orient`]: the stored box of a box in the image `o` makes of a `stored` one.
fn unorient(b: Window, stored: (f64, f64), o: Orientation) -> Window {
    let inverse = match o {
        Orientation::Rotate90 => Orientation::Rotate270,
        Orientation::Rotate270 => Orientation::Rotate90,
        other => other,
    };
    orient(b, oriented_size(stored, o), inverse)
}

#[cfg(test)]
mod tests;
