//! The transform stage: decoded query pairs become a typed, validated [`Transform`] and its
//! canonical form, which is what the cache key is made of. Pure: no I/O, no HTTP types.

mod adjustments;
mod blend;
pub mod colour;
mod data;
mod fill;
mod frame;
mod hints;
mod mark;
mod mask;
mod output;
mod params;
pub mod registry;
mod sizing;
mod stylize;
mod trim;

use std::borrow::Cow;
use std::fmt::Write as _;

pub use adjustments::{Adjustments, DEFAULT_UNSHARP_RADIUS, MAX_UNSHARP_RADIUS};
pub use blend::{Blend, Layer as BlendLayer, Mode as BlendMode};
pub use colour::Colour;
pub use data::{Data, Palette, PaletteStyle};
pub use fill::{Edge, Fill, GradientSpace, Length};
pub use frame::{Corners, Frame, Sides};
pub use hints::{ClientHints, DPR_STEP, Hinted, WIDTH_STEP};
pub use mark::{Align as MarkAlign, Mark, MarkFit, watermark};
pub use mask::{Mask, Shape as MaskShape};
pub use output::{Chroma, Output};
pub use params::{
    AspectRatio, Crop, Dimension, Fit, Flip, FocalPoint, Gravity, OutputFormat, Rect, Rotation,
};
pub use sizing::Bounds;
pub use stylize::Stylize;
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
    pub fill: Option<Fill>,
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
    /// A colour or image mixed into the image, before the watermark.
    pub blend: Option<Blend>,
    /// A watermark drawn over the image, before the mask and the frame.
    pub mark: Option<Mark>,
    /// A shape the image is cut to, before the frame.
    pub mask: Option<Mask>,
    /// Padding and border around the finished image.
    pub frame: Frame,
    /// A data output (`fm=json`, `fm=blurhash`, `palette`) instead of an image.
    pub data: Option<Data>,
}

impl Transform {
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
        if let Some(blend) = &self.blend {
            blend.write_canonical(&mut put);
        }
        if let Some(mark) = &self.mark {
            mark.write_canonical(&mut put);
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
        if let Some(data) = &self.data {
            data.write_canonical(&mut put);
        }
    }
}

/// The canonical name of a parameter, with imgix's, Gumlet's and Cloudflare's aliases folded.
pub(crate) fn canonical_name(name: &str) -> Option<&'static str> {
    Some(match name {
        "w" | "width" => "w",
        "h" | "height" => "h",
        "dpr" => "dpr",
        "fit" | "f" | "mode" => "fit",
        "crop" | "gravity" => "crop",
        "fp-x" => "fp-x",
        "fp-y" => "fp-y",
        "ar" => "ar",
        "rect" => "rect",
        "fm" | "format" => "fm",
        "auto" => "auto",
        "q" | "quality" => "q",
        "lossless" => "lossless",
        "bg" => "bg",
        "rot" => "rot",
        "flip" => "flip",
        "blur" => "blur",
        "sharp" => "sharp",
        "exp" => "exp",
        "bri" => "bri",
        "con" => "con",
        "gam" => "gam",
        "high" => "high",
        "shad" => "shad",
        "sat" => "sat",
        "vib" => "vib",
        "hue" => "hue",
        "invert" | "inv" => "invert",
        "usm" => "usm",
        "usmrad" => "usmrad",
        "monochrome" | "mono" => "monochrome",
        "duotone" => "duotone",
        "duotone-alpha" => "duotone-alpha",
        "sepia" => "sepia",
        "htn" => "htn",
        "px" => "px",
        "pad" => "pad",
        "pad-top" => "pad-top",
        "pad-right" => "pad-right",
        "pad-bottom" => "pad-bottom",
        "pad-left" => "pad-left",
        "border" => "border",
        "border-top" => "border-top",
        "border-right" => "border-right",
        "border-bottom" => "border-bottom",
        "border-left" => "border-left",
        "border-radius" => "border-radius",
        "border-radius-inner" => "border-radius-inner",
        "mask" => "mask",
        "corner-radius" => "corner-radius",
        "mask-bg" | "maskbg" => "mask-bg",
        "trim" => "trim",
        "trim-color" | "trimcolor" => "trim-color",
        "trim-tol" | "trimtol" => "trim-tol",
        "trim-md" | "trimmd" => "trim-md",
        "trim-sd" | "trimsd" => "trim-sd",
        "trim-alpha" => "trim-alpha",
        "trim-pad" | "trimpad" => "trim-pad",
        "fill" => "fill",
        "fill-color" | "fillcolor" => "fill-color",
        "fill-gradient-type" => "fill-gradient-type",
        "fill-gradient-cs" => "fill-gradient-cs",
        "fill-gradient-linear" => "fill-gradient-linear",
        "fill-gradient-linear-direction" => "fill-gradient-linear-direction",
        "fill-gradient-radial" => "fill-gradient-radial",
        "fill-gradient-radial-radius" => "fill-gradient-radial-radius",
        "fill-gradient-radial-x" => "fill-gradient-radial-x",
        "fill-gradient-radial-y" => "fill-gradient-radial-y",
        "max-w" | "max-width" => "max-w",
        "max-h" | "max-height" => "max-h",
        "min-w" | "min-width" => "min-w",
        "min-h" | "min-height" => "min-h",
        "fp-z" => "fp-z",
        "fp-debug" => "fp-debug",
        "orient" | "or" => "orient",
        "rot-type" | "rottype" | "rott" => "rot-type",
        "chromasub" => "chromasub",
        "jpg-progressive" | "jpeg-progressive" => "jpg-progressive",
        "dpi" => "dpi",
        "colorquant" => "colorquant",
        "cs" => "cs",
        "iptc" => "iptc",
        "border-stroke-size" => "border-stroke-size",
        "border-stroke-color" => "border-stroke-color",
        "ch" => "ch",
        "blend" | "b" => "blend",
        "blend-align" | "blendalign" | "ba" => "blend-align",
        "blend-alpha" | "blendalpha" | "balph" => "blend-alpha",
        "blend-color" | "blendcolor" | "blend-clr" | "blendclr" => "blend-color",
        "blend-crop" | "blendcrop" | "bc" => "blend-crop",
        "blend-fit" | "blendfit" | "bf" => "blend-fit",
        "blend-h" | "blendh" | "bh" => "blend-h",
        "blend-mode" | "blendmode" | "bm" => "blend-mode",
        "blend-pad" | "blendpad" | "bp" => "blend-pad",
        "blend-size" | "blendsize" | "bs" => "blend-size",
        "blend-w" | "blendw" | "bw" => "blend-w",
        "blend-x" | "blendx" | "bx" => "blend-x",
        "blend-y" | "blendy" | "by" => "blend-y",
        "mark" | "m" => "mark",
        "mark-align" | "ma" | "markalign" => "mark-align",
        "mark-alpha" | "markalpha" | "malph" => "mark-alpha",
        "mark-fit" | "mf" | "markfit" => "mark-fit",
        "mark-h" | "mh" | "markh" => "mark-h",
        "mark-w" | "mw" | "markw" => "mark-w",
        "mark-if-min-height" => "mark-if-min-height",
        "mark-if-min-width" => "mark-if-min-width",
        "mark-pad" | "mp" | "markpad" => "mark-pad",
        "mark-scale" | "ms" | "markscale" => "mark-scale",
        "mark-x" | "mx" | "markx" => "mark-x",
        "mark-y" | "my" | "marky" => "mark-y",
        "mark-tile" | "mtile" | "marktile" => "mark-tile",
        "mark-rot" => "mark-rot",
        "palette" => "palette",
        "colors" => "colors",
        "prefix" => "prefix",
        "dl" => "dl",
        _ => return None,
    })
}

/// Parses decoded query pairs (in any order). An imgix name pixgate does not implement is
/// refused ([`registry`]); other unknown names, and the signing parameters (handled by
/// `signature`), are ignored; a known name given twice, under any alias, is an error.
pub fn parse(pairs: &[(String, String)]) -> Result<Params, TransformError> {
    let mut seen: Vec<(&'static str, &str, Cow<'_, str>)> = Vec::new();
    for (name, value) in pairs {
        let (canon, value) = match canonical_name(name) {
            Some(canon) => (canon, Cow::Borrowed(value.as_str())),
            None => match registry::base64_variant(name, value)? {
                Some(decoded) => decoded,
                None => continue,
            },
        };
        if let Some((_, first, _)) = seen.iter().find(|(c, _, _)| *c == canon) {
            return Err(TransformError::BadValue {
                name: name.clone(),
                reason: format!("given more than once (also as `{first}`)"),
            });
        }
        seen.push((canon, name, value));
    }
    let mut parsed = Params::default();
    let mut pending = Pending::default();
    for (canon, name, value) in seen {
        registry::check_value(canon, name, &value)?;
        let bad = |reason: String| TransformError::BadValue {
            name: name.to_string(),
            reason,
        };
        apply(&mut parsed, &mut pending, canon, &value).map_err(bad)?;
    }
    finish_focal_point(&mut parsed.transform, pending.focal, &pending.sizing);
    let t = &mut parsed.transform;
    t.orientation = pending.sizing.orientation;
    t.format = t.output.settle(t.format);
    // The bounds are for `fit=crop`'s box, as in imgix; elsewhere they change nothing.
    if t.fit == Fit::Crop {
        t.bounds = pending.sizing.bounds;
    }
    // `q` equal to the default it would get anyway changes nothing, so it is not in the key.
    if t.quality.is_some_and(|q| q == t.default_quality()) {
        t.quality = None;
    }
    // Most URLs name none of the groups below: their defaults are already in place.
    if pending.grouped {
        finish_groups(&mut parsed, pending)?;
    }
    Ok(parsed)
}

/// The parameters that take effect together, judged once the whole query is read.
fn finish_groups(parsed: &mut Params, pending: Pending) -> Result<(), TransformError> {
    let t = &mut parsed.transform;
    t.adjust = pending.adjust.finish();
    t.stylize = pending.stylize.finish();
    t.frame = pending.frame.finish();
    t.mask = pending.mask.finish();
    t.trim = pending.trim.finish();
    t.mark = pending.mark.finish();
    t.blend = pending
        .blend
        .finish()
        .map_err(|(name, reason)| TransformError::BadValue {
            name: name.to_string(),
            reason,
        })?;
    let fills = matches!(t.fit, Fit::Fill | Fit::FillMax);
    t.fill = pending
        .fill
        .finish(fills)
        .map_err(|(name, reason)| TransformError::BadValue {
            name: name.to_string(),
            reason,
        })?;
    settle_data(parsed, pending.data.finish());
    Ok(())
}

/// A data output answers with text, so what only the encoder reads leaves the key, and no
/// format is negotiated. `fm=json` describes the original: nothing else changes it.
fn settle_data(parsed: &mut Params, data: Option<Data>) {
    let Some(data) = data else { return };
    parsed.auto_format = false;
    let t = &mut parsed.transform;
    if data == Data::Metadata {
        *t = Transform::default();
    } else {
        t.format = None;
        t.quality = None;
        t.auto_compress = false;
        t.lossless = false;
        t.output = Output::default();
    }
    t.data = Some(data);
}

type FocalInputs = (Option<f32>, Option<f32>);

/// Parameters that take effect only together with others, gathered before they are judged.
#[derive(Default)]
struct Pending {
    focal: FocalInputs,
    adjust: adjustments::Given,
    stylize: stylize::Given,
    frame: frame::Given,
    mask: mask::Given,
    trim: trim::Given,
    fill: fill::Given,
    sizing: sizing::Given,
    data: data::Given,
    mark: mark::Given,
    blend: blend::Given,
    /// Whether any parameter of the groups above was given.
    grouped: bool,
}

/// One parameter: the common ones directly, the rest through their groups.
fn apply(parsed: &mut Params, pending: &mut Pending, canon: &str, v: &str) -> Result<(), String> {
    let t = &mut parsed.transform;
    let fp = &mut pending.focal;
    match canon {
        "w" => t.width = Some(params::dimension(v)?),
        "h" => t.height = Some(params::dimension(v)?),
        "dpr" => t.dpr = params::dpr(v)?,
        "fit" => t.fit = params::fit(v)?,
        "crop" => t.crop = params::crop(v)?,
        "fp-x" => fp.0 = Some(params::unit_interval(v)?),
        "fp-y" => fp.1 = Some(params::unit_interval(v)?),
        "ar" => t.aspect = Some(params::aspect(v)?),
        "rect" => t.rect = Some(params::rect(v)?),
        "fm" if matches!(v, "json" | "blurhash") => apply_grouped(parsed, pending, canon, v)?,
        "fm" => match params::format(v)? {
            Some(f) => t.format = Some(f),
            None => parsed.auto_format = true,
        },
        "auto" => {
            let (format, compress) = params::auto(v)?;
            parsed.auto_format |= format;
            t.auto_compress = compress;
        }
        "q" => t.quality = Some(params::int_in(v, 1, 100)? as u8),
        "lossless" => t.lossless = params::flag(v)?,
        "bg" => t.background = Some(colour::parse(v)?),
        "rot" => t.rotation = params::rotation(v)?,
        "flip" => t.flip = params::flip(v)?,
        "blur" => t.blur = Some(params::int_in(v, 0, 2000)? as u16).filter(|b| *b > 0),
        "sharp" => t.sharpen = Some(params::int_in(v, 0, 100)? as u8).filter(|s| *s > 0),
        "dl" => parsed.download_name = Some(params::file_name(v)?),
        "ch" => parsed.client_hints = hints::ClientHints::parse(v)?,
        _ => apply_grouped(parsed, pending, canon, v)?,
    }
    Ok(())
}

/// A parameter of one of the groups judged together at the end.
fn apply_grouped(
    parsed: &mut Params,
    pending: &mut Pending,
    canon: &str,
    v: &str,
) -> Result<(), String> {
    pending.grouped = true;
    let _taken = pending.adjust.apply(canon, v)?
        || pending.stylize.apply(canon, v)?
        || pending.frame.apply(canon, v)?
        || pending.mask.apply(canon, v)?
        || pending.trim.apply(canon, v)?
        || pending.fill.apply(canon, v)?
        || pending.sizing.apply(canon, v)?
        || parsed.transform.output.apply(canon, v)?
        || pending.data.apply(canon, v)?
        || pending.mark.apply(canon, v)?
        || pending.blend.apply(canon, v)?;
    Ok(())
}

/// `fp-x`/`fp-y` default to the centre, `fp-z` to 1. Without `crop=focalpoint` they and
/// `fp-debug` change nothing (as in imgix), so they stay out of the transform and the key.
fn finish_focal_point(t: &mut Transform, fp: FocalInputs, sizing: &sizing::Given) {
    if let Crop::FocalPoint(point) = &mut t.crop {
        point.x = fp.0.unwrap_or(0.5);
        point.y = fp.1.unwrap_or(0.5);
        point.zoom = sizing.zoom.unwrap_or(1.0);
        point.debug = sizing.debug;
    }
}

#[cfg(test)]
mod tests;
