//! The transform stage: decoded query pairs become a typed, validated [`Transform`] and its
//! canonical form, which is what the cache key is made of. Pure: no I/O, no HTTP types.

mod adjustments;
mod animation;
mod blend;
pub mod colour;
mod data;
mod faces;
mod fill;
mod frame;
mod hints;
mod layer;
mod mark;
mod mask;
mod names;
mod negotiated;
mod output;
mod params;
mod parsing;
pub mod registry;
mod sizing;
mod stylize;
mod text;
mod trim;

use std::fmt::Write as _;

pub use adjustments::{Adjustments, DEFAULT_UNSHARP_RADIUS, MAX_UNSHARP_RADIUS};
pub use animation::{Animation, Frames, Loop};
pub use blend::{Blend, Layer as BlendLayer, Mode as BlendMode};
pub use colour::Colour;
pub use data::{Data, Palette, PaletteStyle};
pub use faces::{DEFAULT_FACEPAD, Faces, MAX_FACEPAD};
pub use fill::{Edge, Fill, GradientSpace, Length};
pub use frame::{Corners, Frame, Sides};
pub use hints::{ClientHints, DPR_STEP, Hinted, WIDTH_STEP};
pub use layer::LayerRef;
pub use mark::{Align as MarkAlign, Mark, MarkFit, watermark};
pub use mask::{Mask, Shape as MaskShape};
pub(crate) use names::canonical_name;
pub use negotiated::Negotiated;
pub use output::{Chroma, Output};
pub use params::{
    AspectRatio, Crop, Dimension, Fit, Flip, FocalPoint, Gravity, OutputFormat, Rect, Rotation,
};
pub use parsing::parse;
pub use sizing::Bounds;
pub use stylize::Stylize;
pub use text::{Clip as TextClip, ClipSide, Family as FontFamily, Font, Kind as FontKind, Text};
pub use trim::{Trim, TrimMode};

/// Lossy quality when neither `q` nor `auto=compress` says otherwise (contract §3).
pub const DEFAULT_QUALITY: u8 = 75;
/// Lossy quality for `auto=compress` without an explicit `q`.
pub const COMPRESS_QUALITY: u8 = 45;

/// Why a query's parameters were refused: always a 400 that names the parameter as the client
/// wrote it. `reason` is safe to show.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TransformError {
    /// A value this parameter cannot take, or a parameter given twice.
    #[error("invalid value for `{name}`: {reason}")]
    BadValue { name: String, reason: String },
    /// An imgix parameter, or one of its values, that pixgate does not implement.
    #[error("unsupported parameter `{name}`: {reason}")]
    Unsupported { name: String, reason: String },
}

impl TransformError {
    /// The parameter as the client wrote it.
    pub fn name(&self) -> &str {
        match self {
            TransformError::BadValue { name, .. } | TransformError::Unsupported { name, .. } => {
                name
            }
        }
    }
}

/// Everything a query's parameters ask of the renderer and of delivery, validated.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Params {
    pub transform: Transform,
    /// `auto=format`: the output format is negotiated from `Accept`.
    pub auto_format: bool,
    /// `dl`: serve as an attachment with this file name. Does not change the bytes.
    pub download_name: Option<String>,
    /// `ch`: the request headers that may replace `w`, `dpr` and the quality.
    pub client_hints: ClientHints,
}

impl Params {
    /// A request with no transform and no negotiation is served byte for byte.
    pub fn is_passthrough(&self) -> bool {
        !self.auto_format && self.transform == Transform::default()
    }
}

/// The parameters that change the rendered bytes, normalised: aliases folded, and defaults
/// stored as `None`/default values so equal transforms compare equal.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Transform {
    /// A uniform border cut from the source before anything else.
    pub trim: Option<Trim>,
    pub width: Option<Dimension>,
    pub height: Option<Dimension>,
    /// Device pixel ratio in [1, 5]; `None` means 1.
    pub dpr: Option<f32>,
    pub fit: Fit,
    /// `max-w` … `min-h`: bounds on the box of `fit=crop`.
    pub bounds: Bounds,
    pub crop: Crop,
    pub aspect: Option<AspectRatio>,
    pub rect: Option<Rect>,
    pub format: Option<OutputFormat>,
    /// 1–100; `None` means the default (75, or 45 with `auto=compress`).
    pub quality: Option<u8>,
    pub auto_compress: bool,
    pub lossless: bool,
    /// How the encoder writes the output: chroma, progressive JPEG, DPI, colours, IPTC.
    pub output: Output,
    pub background: Option<Colour>,
    /// What paints the padding of `fit=fill`/`fillmax` instead of `bg`.
    pub fill: Option<Box<Fill>>,
    /// `orient`: the EXIF orientation code (1–8) used instead of the file's.
    pub orientation: Option<u8>,
    pub rotation: Rotation,
    pub flip: Flip,
    /// imgix blur scale, 1–2000 (0 is stored as `None`).
    pub blur: Option<u16>,
    /// Sharpen amount, 1–100 (0 is stored as `None`).
    pub sharpen: Option<u8>,
    /// Colour and tone adjustments, applied after the resize.
    pub adjust: Adjustments,
    /// Stylize effects: colour ones before `blur`/`sharp`, halftone and pixelation after.
    pub stylize: Stylize,
    /// `fit=facearea`'s choice of face and padding, and the faces hidden by blur or blocks.
    pub faces: Faces,
    /// A colour or image mixed into the image, before the watermark.
    pub blend: Option<Box<Blend>>,
    /// A watermark drawn over the image, before the text.
    pub mark: Option<Box<Mark>>,
    /// Words drawn over the image, before the mask and the frame.
    pub text: Option<Box<Text>>,
    /// A shape the image is cut to, before the frame.
    pub mask: Option<Mask>,
    /// Padding and border around the finished image.
    pub frame: Frame,
    /// A data output (`fm=json`, `fm=blurhash`, `palette`) instead of an image.
    pub data: Option<Data>,
    /// Which frames of an animated source are kept, their order, timing and loop count.
    pub animation: Animation,
}

impl Transform {
    /// Whether rendering needs the faces found in the original: `crop=faces` where a crop
    /// happens, `fit=facearea`, `face-blur`, `face-pixel`.
    pub fn needs_faces(&self) -> bool {
        let crops = matches!(self.fit, Fit::Crop | Fit::Min);
        (crops && matches!(self.crop, Crop::Faces { .. }))
            || self.fit == Fit::FaceArea
            || self.faces.hides()
    }

    /// The quality the encoder should use for lossy output.
    pub fn effective_quality(&self) -> u8 {
        self.quality.unwrap_or_else(|| self.default_quality())
    }

    /// The quality without `q`: 45 with `auto=compress`, else 75.
    fn default_quality(&self) -> u8 {
        if self.auto_compress {
            COMPRESS_QUALITY
        } else {
            DEFAULT_QUALITY
        }
    }

    /// The canonical form: `k=v` pairs in a fixed order joined by `&`, defaults omitted.
    /// Parsing it gives back an equal transform, so it is idempotent under re-parsing.
    pub fn canonical(&self) -> String {
        let mut out = String::new();
        self.write_canonical(&mut out);
        out
    }

    /// Appends [`canonical`](Self::canonical) to `out` (the cache key is built in one buffer
    /// on every request, hits included).
    pub fn write_canonical(&self, out: &mut String) {
        let start = out.len();
        let mut put = |k: &str, v: &dyn std::fmt::Display| {
            if out.len() > start {
                out.push('&');
            }
            let _ = write!(out, "{k}={v}");
        };
        if let Some(trim) = &self.trim {
            trim.write_canonical(&mut put);
        }
        if let Some(r) = &self.rect {
            put("rect", r);
        }
        if let Some(w) = &self.width {
            put("w", w);
        }
        if let Some(h) = &self.height {
            put("h", h);
        }
        if let Some(ar) = &self.aspect {
            put("ar", ar);
        }
        if let Some(d) = self.dpr {
            put("dpr", &d);
        }
        if self.fit != Fit::default() {
            put("fit", &self.fit);
        }
        self.bounds.write_canonical(&mut put);
        if self.crop != Crop::default() {
            put("crop", &self.crop);
            if let Crop::FocalPoint(fp) = &self.crop {
                put("fp-x", &fp.x);
                put("fp-y", &fp.y);
                if fp.zoom != 1.0 {
                    put("fp-z", &fp.zoom);
                }
                if fp.debug {
                    put("fp-debug", &1);
                }
            }
        }
        if let Some(bg) = &self.background {
            put("bg", bg);
        }
        if let Some(fill) = &self.fill {
            fill.write_canonical(&mut put);
        }
        if let Some(code) = self.orientation {
            put("orient", &code);
        }
        if self.rotation != Rotation::default() {
            put("rot", &self.rotation);
        }
        if self.flip != Flip::default() {
            put("flip", &self.flip);
        }
        self.adjust.write_canonical(&mut put);
        self.stylize.write_canonical(&mut put);
        self.faces.write_canonical(&mut put);
        if let Some(blend) = &self.blend {
            blend.write_canonical(&mut put);
        }
        if let Some(mark) = &self.mark {
            mark.write_canonical(&mut put);
        }
        if let Some(text) = &self.text {
            text.write_canonical(&mut put);
        }
        if let Some(mask) = &self.mask {
            mask.write_canonical(&mut put);
        }
        self.frame.write_canonical(&mut put);
        if let Some(b) = self.blur {
            put("blur", &b);
        }
        if let Some(s) = self.sharpen {
            put("sharp", &s);
        }
        if let Some(f) = &self.format {
            put("fm", f);
        }
        if let Some(q) = self.quality {
            put("q", &q);
        }
        if self.auto_compress {
            put("auto", &"compress");
        }
        if self.lossless {
            put("lossless", &1);
        }
        self.output.write_canonical(&mut put);
        self.animation.write_canonical(&mut put);
        if let Some(data) = &self.data {
            data.write_canonical(&mut put);
        }
    }
}

#[cfg(test)]
mod tests;
