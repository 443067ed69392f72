//! The render stage: original bytes + `Transform` → encoded derivative. Pure CPU and
//! synchronous; the pipeline runs it on its render workers (long-lived threads behind a bounded
//! queue), never on an async thread.
//!
//! Order of operations: EXIF orientation → `trim` → `rect` → `rot`/`flip` → fit/crop (on the
//! faces for `crop=faces`/`fit=facearea`) → resize → ICC profile to sRGB → `face-blur`/
//! `face-pixel` → adjustments (`exp` … `usm`) → `monochrome`/`duotone`/`sepia` →
//! `blur`/`sharp` → `htn` → `px` → `fit=fill` padding → `mask` → `pad` → `border` → alpha
//! flattening (JPEG) → encode. `w`/`h` therefore describe the image as the user finally
//! sees it.

mod adjustments;
mod animation;
mod blend;
mod blur;
mod colour;
mod data;
pub mod decode;
mod early;
mod effects;
/// Encoders per output format; public so the benches can time the stage alone.
pub mod encode;
pub mod faces;
mod fill;
mod frame;
pub mod geometry;
pub mod libjpeg;
mod mark;
mod mask;
/// A source's decoded pixels kept between renders.
pub mod mezzanine;
/// The Lanczos3 resize; public so the benches can time the stage alone.
pub mod resize;
mod steps;
mod stylize;
mod text;
mod trim;

use std::borrow::Cow;
use std::time::{Duration, Instant};

pub use decode::SourceFormat;
pub use decode::av1_child::{Av1Decoding, child_main as av1_child_main};
pub use early::{Asked, HEAD_BYTES, refuse_early};
pub use encode::EncodeOptions;
pub use mezzanine::Mezzanine;
pub use text::Fonts;

use crate::transform::{Data, Fit, Negotiated, OutputFormat, Rect, Rotation, Transform};
use animation::Shape;
use decode::Scale;
use geometry::Plan;
use mezzanine::Start;
use steps::Steps;

/// Render-time limits from `[limits]`, and where AV1 is decoded.
#[derive(Debug, Clone)]
pub struct Limits {
    pub max_source_pixels: u64,
    pub max_output_dimension: u32,
    pub max_animation_frames: u32,
    pub av1: Av1Decoding,
    pub avif: AvifEncoding,
    /// libwebp's method and zlib's level (`[encoding]`).
    pub effort: Effort,
    /// The render stops with `TimedOut` at its first checkpoint after this instant (between
    /// stages and between animation frames); `None` never stops.
    pub deadline: Option<Instant>,
    /// The most a decode offered for keeping ([`Rendered::kept`]) may weigh, in bytes
    /// (`cache.mezzanine_max_bytes`); 0 keeps none.
    pub mezzanine_bytes: u64,
}

/// How AVIF is written (`[encoding]`), and whether this render may give it up for WebP.
#[derive(Debug, Clone, Copy)]
pub struct AvifEncoding {
    /// rav1e's speed preset, 1–10.
    pub speed: u8,
    /// Set per render by the pipeline for an AVIF that `auto=format` chose for a client that
    /// takes WebP too; `None` always writes AVIF.
    pub budget: Option<AvifBudget>,
}

/// How hard the WebP and PNG encoders try (`encoding.webp_method`, `encoding.png_level`).
#[derive(Debug, Clone, Copy)]
pub struct Effort {
    pub webp_method: u8,
    pub png_level: u8,
}

/// `encoding.avif_budget` with the encode rate measured so far.
#[derive(Debug, Clone, Copy)]
pub struct AvifBudget {
    pub limit: Duration,
    /// Predicted AVIF encode time per output pixel.
    pub nanos_per_pixel: u64,
}

impl AvifBudget {
    /// Whether encoding `pixels` as AVIF is predicted to take longer than the limit.
    pub fn exceeded_by(&self, pixels: u64) -> bool {
        u128::from(pixels) * u128::from(self.nanos_per_pixel) > self.limit.as_nanos()
    }
}

impl Limits {
    /// The render-time part of `[limits]` and `[encoding]`: AV1 in a child process when the
    /// config names a decoder program, in-process otherwise.
    pub fn from_config(
        config: &crate::config::LimitsConfig,
        encoding: &crate::config::EncodingConfig,
    ) -> Limits {
        Limits {
            max_source_pixels: config.max_source_pixels,
            max_output_dimension: config.max_output_dimension,
            max_animation_frames: config.max_animation_frames,
            av1: match &config.av1_decoder {
                Some(program) => Av1Decoding::Child(program.clone()),
                None => Av1Decoding::InProcess,
            },
            avif: AvifEncoding {
                speed: encoding.avif_speed,
                budget: None,
            },
            effort: Effort {
                webp_method: encoding.webp_method,
                png_level: encoding.png_level,
            },
            deadline: None,
            mezzanine_bytes: 0,
        }
    }

    /// A checkpoint: past the deadline, the render gives up (its waiter already has).
    fn check_deadline(&self) -> Result<(), RenderError> {
        match self.deadline {
            Some(deadline) if Instant::now() >= deadline => Err(RenderError::TimedOut),
            _ => Ok(()),
        }
    }
}

/// An encoded derivative (or a data output's text).
#[derive(Debug)]
pub struct Rendered {
    pub bytes: Vec<u8>,
    pub content_type: &'static str,
    pub width: u32,
    pub height: u32,
    /// Where the time went.
    pub stages: Stages,
    /// The source's decoded pixels, offered for later renders of the same source (see
    /// [`Layers::mezzanine`]) when they are worth keeping.
    pub kept: Option<Mezzanine>,
}

/// Wall time of a render's stages.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Stages {
    /// Reading the header and decoding (with shrink-on-load).
    pub decode: Duration,
    /// Everything between decoding and encoding: orientation, `rect`, rotation, the resize,
    /// conversion to sRGB, effects, padding, flattening.
    pub resize: Duration,
    pub encode: Duration,
}

/// Why a render failed. Statuses are chosen in `app::error`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RenderError {
    #[error("the file is not an image pixgate can transform")]
    NotAnImage,
    #[error("the image could not be decoded: {0}")]
    Corrupt(String),
    /// A readable image holding what pixgate will not render (an SVG's DTD, its text, more
    /// than its budgets; CMYK JPEG XL); the reason describes the file and is safe for clients.
    #[error("the image cannot be rendered: {0}")]
    Unrenderable(String),
    #[error("the image has {pixels} pixels, above the limit of {limit}")]
    TooManyPixels { pixels: u64, limit: u64 },
    #[error("the animation has more than {limit} frames")]
    TooManyFrames { limit: u32 },
    #[error("invalid value for `{name}`: {reason}")]
    Parameter { name: &'static str, reason: String },
    /// Past `Limits::deadline`: stopped at a checkpoint, or given up on by its waiter.
    #[error("rendering took longer than the configured limit")]
    TimedOut,
    #[error("render failed: {0}")]
    Internal(String),
}

/// What a render draws from besides the source, found or loaded by the caller: the
/// watermark's bytes for `mark`, the blended image's for an image `blend`, the faces found in
/// the source when the transform [needs them](Transform::needs_faces), the font set for
/// `txt` (the shipped fonts when none is given), and the source's pixels kept by an earlier
/// render.
#[derive(Debug, Clone, Copy, Default)]
pub struct Layers<'a> {
    pub mark: Option<&'a [u8]>,
    pub blend: Option<&'a [u8]>,
    pub fonts: Option<&'a Fonts>,
    pub faces: Option<&'a faces::Found>,
    /// A decode of this very source (same bytes) that an earlier render offered as
    /// [`Rendered::kept`]. It stands in for the decode when it has at least the pixels the
    /// decode would have; when it has fewer, several sizes are being asked for, and the
    /// render decodes at full size (within `Limits::mezzanine_bytes`) to offer that instead.
    pub mezzanine: Option<&'a Mezzanine>,
}

/// Renders `source` (the original's bytes). `negotiated` is what `auto=format` chose from
/// `Accept`, for a still and for an animation; an explicit `fm` wins over it, and without
/// either the source's format is kept where pixgate can write it. A transform with a `mark`
/// needs [`render_with`].
pub fn render(
    source: &[u8],
    t: &Transform,
    negotiated: Option<Negotiated>,
    limits: &Limits,
) -> Result<Rendered, RenderError> {
    render_with(source, t, negotiated, limits, Layers::default())
}

/// [`render`] with the files `t` draws from besides `source`.
pub fn render_with(
    source: &[u8],
    t: &Transform,
    negotiated: Option<Negotiated>,
    limits: &Limits,
    layers: Layers<'_>,
) -> Result<Rendered, RenderError> {
    if let Some(Data::Metadata { .. }) = t.data {
        // The pipeline calls `describe` itself, with the source's rule for locations and the
        // faces it found; here the location stays hidden.
        return describe(source, false, layers.faces, limits);
    }
    let started = Instant::now();
    let header = decode::header(source, limits.max_source_pixels)?;
    let header = match t.orientation {
        Some(code) => header.reoriented(code),
        None => header,
    };
    let max_alloc = limits.max_source_pixels.saturating_mul(8);
    // `trim` must see the pixels before anything can be planned: decode at full size now, and
    // the trimmed part stands in for the source from here on.
    let (trimmed, predecoded) = match &t.trim {
        Some(trim) => {
            limits.check_deadline()?;
            let decoded = decode::decode(source, &header, Scale::FULL, max_alloc, &limits.av1)?;
            (Some(trim::find(&decoded.image, trim)), Some(decoded))
        }
        None => (None, None),
    };
    let upright = trimmed.map_or(header.upright, |r| (r.width, r.height));
    let cropped = match t.rect {
        Some(rect) => clamp_rect(rect, upright)?,
        None => Rect {
            x: 0,
            y: 0,
            width: upright.0,
            height: upright.1,
        },
    };
    let logical = match t.rotation {
        Rotation::Quarter | Rotation::ThreeQuarters => (cropped.height, cropped.width),
        _ => (cropped.width, cropped.height),
    };
    let missing = |what: &str| RenderError::Internal(format!("rendered without {what}"));
    let face_boxes = match (t.needs_faces(), layers.faces) {
        (false, _) => Vec::new(),
        (true, Some(found)) => found.logical(&faces::Arrangement {
            orientation: header.orientation,
            trimmed,
            cropped,
            rotation: t.rotation,
            flip: t.flip,
        }),
        (true, None) => return Err(missing("the faces found")),
    };
    let plan = plan(logical, t, &face_boxes, limits.max_output_dimension)?;
    // Each side is capped above; the area is capped too, by the same budget as a source's:
    // `w=8192&ar=1:10000` would otherwise ask for 42 MP from a thumbnail.
    let area = u64::from(plan.outer.0) * u64::from(plan.outer.1);
    if area > limits.max_source_pixels {
        let image_area = u64::from(plan.canvas.0) * u64::from(plan.canvas.1);
        let name = if image_area <= limits.max_source_pixels {
            geometry::frame_name(t)
        } else {
            geometry::size_name(t, logical, if t.width.is_some() { "w" } else { "h" })
        };
        return Err(RenderError::Parameter {
            name,
            reason: format!(
                "the output would be {}x{} = {area} pixels, above the limit of {}",
                plan.outer.0, plan.outer.1, limits.max_source_pixels
            ),
        });
    }
    let moving = moving_format(&header, t, negotiated);
    let shape = animation::shape(source, &header, t, moving, limits)?;
    let format = match shape {
        Shape::Moving { .. } => moving,
        Shape::Still { .. } => t
            .format
            .or(negotiated.and_then(Negotiated::still))
            .unwrap_or(default_output(header.format, header.has_alpha)),
    };
    // `auto=format`'s AVIF becomes WebP when its encode is predicted to take too long (every
    // client that takes AVIF takes WebP: see `Negotiated::Avif`).
    let format = match limits.avif.budget {
        Some(budget)
            if format == OutputFormat::Avif && t.format.is_none() && budget.exceeded_by(area) =>
        {
            OutputFormat::Webp
        }
        _ => format,
    };
    // `jpg-progressive` for a JPEG format that was not given explicitly.
    let format = match (format, t.output.progressive) {
        (OutputFormat::Jpeg, Some(true)) => OutputFormat::Pjpeg,
        (OutputFormat::Pjpeg, Some(false)) => OutputFormat::Jpeg,
        (format, _) => format,
    };
    // A data output reads opaque pixels: flattened onto `bg` (white by default) as for JPEG.
    let format = if t.data.is_some() {
        OutputFormat::Jpeg
    } else {
        format
    };
    let mark = match (&t.mark, layers.mark) {
        (None, _) => None,
        (Some(_), Some(bytes)) => Some(mark::decode_layer(bytes, "mark", limits)?),
        (Some(_), None) => return Err(missing("the mark's bytes")),
    };
    let blend = match (t.blend.as_ref().and_then(|b| b.image()), layers.blend) {
        (None, _) => None,
        (Some(_), Some(bytes)) => Some(mark::decode_layer(bytes, "blend", limits)?),
        (Some(_), None) => return Err(missing("the blend's bytes")),
    };
    let fonts = match (&t.text, layers.fonts) {
        (None, _) => None,
        (Some(_), Some(fonts)) => Some(Cow::Borrowed(fonts)),
        (Some(_), None) => Some(Cow::Owned(Fonts::shipped())),
    };
    let steps = Steps {
        t,
        limits,
        fonts,
        plan,
        original: header.upright,
        trimmed,
        upright,
        cropped,
        logical,
        format,
        mark,
        blend,
        faces: face_boxes,
    };
    let jpeg_to_jpeg = header.format == SourceFormat::Jpeg
        && matches!(format, OutputFormat::Jpeg | OutputFormat::Pjpeg);
    let options = EncodeOptions {
        quality: t.effective_quality(),
        avif_speed: limits.avif.speed,
        webp_method: limits.effort.webp_method,
        png_level: limits.effort.png_level,
        lossless: t.lossless,
        chroma: t.output.chroma,
        dpi: t.output.dpi,
        iptc: if t.output.keep_iptc && jpeg_to_jpeg {
            decode::iptc_segments(source)
        } else {
            Vec::new()
        },
    };
    let predecoded = match shape {
        Shape::Moving { scanned, order } => {
            return animation::animate(
                source, &header, scanned, &order, &steps, &options, max_alloc, started,
            );
        }
        Shape::Still { index: 0 } => predecoded,
        Shape::Still { index } => Some(animation::still_frame(
            source, &header, index, limits, max_alloc,
        )?),
    };
    limits.check_deadline()?;
    let start = match predecoded {
        Some(decoded) => Start::Owned(decoded),
        None => mezzanine::start(
            &header,
            mezzanine::applies(&header, t),
            layers.mezzanine,
            shrink_on_load(&steps.plan),
            limits.mezzanine_bytes,
            |shrink| {
                let scale = Scale::for_plan(shrink, &steps.plan);
                decode::decode(source, &header, scale, max_alloc, &limits.av1)
            },
        )?,
    };
    let decoded_at = Instant::now();
    limits.check_deadline()?;
    // A decode being kept is lent to the steps and handed back after them; one that is not
    // is theirs, freed as soon as the resize has read it.
    let (image, kept) = match start {
        Start::Owned(decoded) => {
            let image = steps.still(Cow::Owned(decoded.image), decoded.icc.as_deref())?;
            (image, None)
        }
        Start::Kept(kept) => (
            steps.still(Cow::Borrowed(&kept.image), kept.icc.as_deref())?,
            None,
        ),
        Start::Keeping(kept) => {
            let image = steps.still(Cow::Borrowed(&kept.image), kept.icc.as_deref())?;
            (image, Some(kept))
        }
    };
    let resized_at = Instant::now();
    limits.check_deadline()?;
    let (bytes, content_type) = match &t.data {
        Some(Data::Blurhash) => data::blurhash(&image).into_parts(),
        Some(Data::Palette(p)) => data::palette(&image, p).into_parts(),
        _ => (encode::encode(&image, format, &options)?, format.mime()),
    };
    Ok(Rendered {
        bytes,
        content_type,
        width: image.width(),
        height: image.height(),
        stages: Stages {
            decode: decoded_at - started,
            resize: resized_at - decoded_at,
            encode: resized_at.elapsed(),
        },
        kept,
    })
}

/// `fm=json`: the original's metadata, `GPS` only with `reveal_location`, and `faces` (for
/// `faces=1`) when given. Reads headers and metadata segments, no pixels.
pub fn describe(
    source: &[u8],
    reveal_location: bool,
    faces: Option<&faces::Found>,
    limits: &Limits,
) -> Result<Rendered, RenderError> {
    let started = Instant::now();
    let answer = data::metadata(source, reveal_location, faces, limits)?;
    Ok(Rendered {
        bytes: answer.bytes,
        content_type: answer.content_type,
        width: 0,
        height: 0,
        stages: Stages {
            decode: started.elapsed(),
            ..Stages::default()
        },
        kept: None,
    })
}

/// Plans the fit of a `logical` image. `fit=facearea` plans a crop of the area around the
/// faces (`face_boxes`, logical pixels), or of the whole image when none is there.
fn plan(
    logical: (u32, u32),
    t: &Transform,
    face_boxes: &[geometry::Window],
    max_dimension: u32,
) -> Result<Plan, RenderError> {
    let parameter = |e: geometry::GeometryError| RenderError::Parameter {
        name: e.name,
        reason: e.reason,
    };
    if t.fit != Fit::FaceArea {
        return geometry::plan(logical, t, max_dimension).map_err(parameter);
    }
    let as_crop = Transform {
        fit: Fit::Crop,
        ..t.clone()
    };
    let area = faces::face_area(face_boxes, &t.faces, geometry::aspect(t), logical);
    let Some(area) = area else {
        return geometry::plan(logical, &as_crop, max_dimension).map_err(parameter);
    };
    let size = (
        (area.width.round() as u32).max(1),
        (area.height.round() as u32).max(1),
    );
    let mut plan = geometry::plan(size, &as_crop, max_dimension).map_err(parameter)?;
    plan.window.x += area.x;
    plan.window.y += area.y;
    Ok(plan)
}

/// The source's own format where pixgate writes it; otherwise PNG for images with alpha
/// and JPEG for the rest.
fn default_output(source: SourceFormat, has_alpha: bool) -> OutputFormat {
    match source {
        SourceFormat::Jpeg => OutputFormat::Jpeg,
        SourceFormat::Png => OutputFormat::Png,
        SourceFormat::Gif => OutputFormat::Gif,
        SourceFormat::Webp => OutputFormat::Webp,
        SourceFormat::Avif => OutputFormat::Avif,
        SourceFormat::Svg => OutputFormat::Png,
        SourceFormat::Bmp | SourceFormat::Tiff | SourceFormat::Jxl if has_alpha => {
            OutputFormat::Png
        }
        SourceFormat::Bmp | SourceFormat::Tiff | SourceFormat::Jxl => OutputFormat::Jpeg,
    }
}

/// The largest power of two (≤ 8) the decoder may shrink by while leaving at least a factor
/// of two for the Lanczos3 resize. The decoder's shrink averages whole DCT blocks, which is
/// coarser than Lanczos3 and aliases fine detail when it does all the work; libvips leaves
/// the same margin for the same reason.
fn shrink_on_load(plan: &Plan) -> u32 {
    let ratio = (plan.window.width / f64::from(plan.resized.0))
        .min(plan.window.height / f64::from(plan.resized.1));
    match ratio {
        r if r >= 16.0 => 8,
        r if r >= 8.0 => 4,
        r if r >= 4.0 => 2,
        _ => 1,
    }
}

/// `rect` may reach past the image edge (imgix clamps); it must overlap the image.
fn clamp_rect(rect: Rect, (w, h): (u32, u32)) -> Result<Rect, RenderError> {
    if rect.x >= w || rect.y >= h {
        return Err(RenderError::Parameter {
            name: "rect",
            reason: format!("starts outside the {w}x{h} image"),
        });
    }
    Ok(Rect {
        x: rect.x,
        y: rect.y,
        width: rect.width.min(w - rect.x),
        height: rect.height.min(h - rect.y),
    })
}

/// The format an animated source would be written in: the one asked for, else the negotiated
/// one's animated form, else the source's own.
fn moving_format(
    header: &decode::Header,
    t: &Transform,
    negotiated: Option<Negotiated>,
) -> OutputFormat {
    t.format
        .or(negotiated.map(Negotiated::animated))
        .unwrap_or(default_output(header.format, header.has_alpha))
}

#[cfg(test)]
mod tests;
