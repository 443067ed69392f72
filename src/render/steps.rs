//! One image (or animation frame) from decoded pixels to pixels ready to encode: arrange
//! (`trim`, `rect`, `rot`, `flip`), the crop window, the resize, colour, effects, layers,
//! padding, mask, frame and flattening.

use std::borrow::Cow;

use image::{DynamicImage, RgbaImage};

use super::geometry::{Plan, Window};
use super::{
    Fonts, Limits, RenderError, adjustments, blend, colour, effects, faces, fill, frame, mark,
    mask, resize, stylize, text,
};
use crate::transform::{Colour, Crop, Fit, OutputFormat, Rect, Rotation, Transform};

/// Everything from decoded pixels to pixels ready to encode, for one image or frame.
pub(super) struct Steps<'a> {
    pub(super) t: &'a Transform,
    /// The deadline's checkpoints inside the text.
    pub(super) limits: &'a Limits,
    /// The font set, for `txt`.
    pub(super) fonts: Option<Cow<'a, Fonts>>,
    pub(super) plan: Plan,
    /// The source's upright size, before `trim`.
    pub(super) original: (u32, u32),
    /// What `trim` keeps, in the source's upright pixels.
    pub(super) trimmed: Option<Rect>,
    /// The size the rest works from: the trimmed part's, or the source's.
    pub(super) upright: (u32, u32),
    pub(super) cropped: Rect,
    pub(super) logical: (u32, u32),
    pub(super) format: OutputFormat,
    /// The watermark's decoded pixels, for `mark`.
    pub(super) mark: Option<RgbaImage>,
    /// The blended image's decoded pixels, for an image `blend`.
    pub(super) blend: Option<RgbaImage>,
    /// The faces found, in logical pixels, when the transform needs them.
    pub(super) faces: Vec<Window>,
}

impl Steps<'_> {
    /// A still image from decoded pixels to pixels ready to encode.
    pub(super) fn still(
        &self,
        decoded: Cow<'_, DynamicImage>,
        icc: Option<&[u8]>,
    ) -> Result<DynamicImage, RenderError> {
        let arranged = self.arrange(decoded);
        let window = self.window(&arranged);
        self.finish(arranged, window, icc)
    }

    /// `trim`, `rect`, `rot` and `flip`. Borrowed pixels (a decode kept for later renders)
    /// stay borrowed when none of them applies.
    pub(super) fn arrange<'i>(&self, image: Cow<'i, DynamicImage>) -> Cow<'i, DynamicImage> {
        let image = match self.trimmed {
            Some(keep) => Cow::Owned(crop_scaled(&image, self.original, keep)),
            None => image,
        };
        arrange(image, self.upright, self.cropped, self.t)
    }

    /// The part of the arranged image that the resize reads: `crop=faces` centres it on the
    /// faces where there are any.
    pub(super) fn window(&self, arranged: &DynamicImage) -> Window {
        let window = scaled_window(&self.plan, self.logical, arranged, self.t.crop);
        let crops = matches!(self.t.fit, Fit::Crop | Fit::Min);
        let on_faces = crops && matches!(self.t.crop, Crop::Faces { .. });
        match faces::union(&self.faces).filter(|_| on_faces) {
            Some(all) => {
                let (kx, ky) = self.scale_of(arranged);
                let all = Window {
                    x: all.x * kx,
                    y: all.y * ky,
                    width: all.width * kx,
                    height: all.height * ky,
                };
                let size = (f64::from(arranged.width()), f64::from(arranged.height()));
                faces::centred(all, window.width, window.height, size)
            }
            None => window,
        }
    }

    /// Decoded pixels per logical pixel of the arranged image, across and down.
    fn scale_of(&self, arranged: &DynamicImage) -> (f64, f64) {
        (
            f64::from(arranged.width()) / f64::from(self.logical.0),
            f64::from(arranged.height()) / f64::from(self.logical.1),
        )
    }

    /// The faces in pixels of the resized image cut from `window` of `arranged`.
    fn resized_faces(&self, arranged: &DynamicImage, window: Window) -> Vec<Window> {
        let (kx, ky) = self.scale_of(arranged);
        let sx = f64::from(self.plan.resized.0) / window.width;
        let sy = f64::from(self.plan.resized.1) / window.height;
        self.faces
            .iter()
            .map(|b| Window {
                x: (b.x * kx - window.x) * sx,
                y: (b.y * ky - window.y) * sy,
                width: b.width * kx * sx,
                height: b.height * ky * sy,
            })
            .collect()
    }

    /// Resize, colour conversion to sRGB, effects, padding and alpha flattening.
    pub(super) fn finish(
        &self,
        arranged: Cow<'_, DynamicImage>,
        window: Window,
        icc: Option<&[u8]>,
    ) -> Result<DynamicImage, RenderError> {
        let hidden = if self.t.faces.hides() {
            self.resized_faces(&arranged, window)
        } else {
            Vec::new()
        };
        let mut image = resize::resize(arranged, window, self.plan.resized)?;
        // After the resize, so the conversion costs output pixels, not source pixels; the
        // resize itself works on gamma-encoded values either way.
        if let Some(icc) = icc {
            image = colour::to_srgb(image, icc);
        }
        // Before any effect, so none can bring back what is hidden.
        image = faces::hide(image, &hidden, &self.t.faces);
        image = adjustments::apply(image, &self.t.adjust);
        image = stylize::colour_effects(image, &self.t.stylize);
        image = effects::adjust(image, self.t.blur, self.t.sharpen);
        image = stylize::texture_effects(image, &self.t.stylize);
        if let Crop::FocalPoint(fp) = self.t.crop
            && fp.debug
        {
            // Where the focal point landed: its logical position through the window's scale.
            let (w, size) = (&self.plan.window, self.plan.resized);
            let x =
                (f64::from(fp.x) * f64::from(self.logical.0) - w.x) * f64::from(size.0) / w.width;
            let y =
                (f64::from(fp.y) * f64::from(self.logical.1) - w.y) * f64::from(size.1) / w.height;
            image = effects::cross(image, (x, y));
        }
        let t = self.t;
        // Padding, `fit=fill`'s and the frame's: `bg`, else see-through where the format can.
        let fill = t.background.unwrap_or(if self.format.has_alpha() {
            Colour::TRANSPARENT
        } else {
            Colour::WHITE
        });
        if self.plan.canvas != self.plan.resized {
            image = match &t.fill {
                Some(paint) => fill::paint(image, &self.plan, paint, t.dpr.unwrap_or(1.0)),
                None => effects::pad(image, self.plan.canvas, self.plan.offset, fill),
            };
        }
        if let Some(blend) = &t.blend {
            image = blend::apply(image, blend, self.blend.as_ref(), t.dpr.unwrap_or(1.0))?;
        }
        if let (Some(mark), Some(pixels)) = (&t.mark, &self.mark) {
            image = mark::draw(image, pixels, mark, t.dpr.unwrap_or(1.0))?;
        }
        if let (Some(words), Some(fonts)) = (&t.text, &self.fonts) {
            image = text::draw(image, words, fonts, t.dpr.unwrap_or(1.0), self.limits)?;
        }
        if let Some(mask) = &t.mask {
            image = mask::apply(image, mask, t.dpr.unwrap_or(1.0));
        }
        if !t.frame.is_none() {
            image = frame::draw(image, &self.plan, &t.frame, t.dpr.unwrap_or(1.0), fill);
        }
        if !self.format.has_alpha() && image.color().has_alpha() {
            image = effects::flatten(image, t.background.unwrap_or(Colour::WHITE));
        }
        if let Some(colours) = t.output.colours {
            image = effects::quantize(image, colours);
        }
        Ok(image)
    }
}

/// Applies `rect`, `rot` and `flip` to the decoded image, whose scale relative to the
/// upright source may be below 1 after shrink-on-load.
fn arrange<'i>(
    mut image: Cow<'i, DynamicImage>,
    upright: (u32, u32),
    rect: Rect,
    t: &Transform,
) -> Cow<'i, DynamicImage> {
    if (rect.width, rect.height) != upright {
        image = Cow::Owned(crop_scaled(&image, upright, rect));
    }
    image = match t.rotation {
        Rotation::None => image,
        Rotation::Quarter => Cow::Owned(image.rotate90()),
        Rotation::Half => Cow::Owned(image.rotate180()),
        Rotation::ThreeQuarters => Cow::Owned(image.rotate270()),
    };
    if t.flip.horizontal {
        image = Cow::Owned(image.fliph());
    }
    if t.flip.vertical {
        image = Cow::Owned(image.flipv());
    }
    image
}

/// Crops `rect` (in pixels of an image `full` in size) from `image`, which may be smaller
/// than `full` after shrink-on-load.
fn crop_scaled(image: &DynamicImage, full: (u32, u32), rect: Rect) -> DynamicImage {
    let kx = f64::from(image.width()) / f64::from(full.0);
    let ky = f64::from(image.height()) / f64::from(full.1);
    let x = ((f64::from(rect.x) * kx).floor() as u32).min(image.width() - 1);
    let y = ((f64::from(rect.y) * ky).floor() as u32).min(image.height() - 1);
    let w = ((f64::from(rect.width) * kx).round() as u32).clamp(1, image.width() - x);
    let h = ((f64::from(rect.height) * ky).round() as u32).clamp(1, image.height() - y);
    image.crop_imm(x, y, w, h)
}

/// Maps the plan's window from logical source pixels onto the decoded image, and lets
/// `crop=entropy` choose its position from the pixels.
fn scaled_window(plan: &Plan, logical: (u32, u32), image: &DynamicImage, crop: Crop) -> Window {
    let kx = f64::from(image.width()) / f64::from(logical.0);
    let ky = f64::from(image.height()) / f64::from(logical.1);
    let w = &plan.window;
    let window = Window {
        x: w.x * kx,
        y: w.y * ky,
        width: (w.width * kx).min(f64::from(image.width())),
        height: (w.height * ky).min(f64::from(image.height())),
    };
    match crop {
        Crop::Entropy => effects::busiest_window(image, window, effects::Busyness::Entropy),
        Crop::Detail => effects::busiest_window(image, window, effects::Busyness::Detail),
        Crop::Edges { .. } | Crop::FocalPoint(_) | Crop::Faces { .. } => window,
    }
}
