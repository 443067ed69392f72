//! From decoded query pairs to [`Params`]: names folded, refusals named, each value read by
//! its parameter or its group, the groups judged together at the end.

use std::borrow::Cow;

use super::names::canonical_name;
use super::{
    Crop, Data, Fit, Output, Params, Transform, TransformError, adjustments, blend, colour, data,
    faces, fill, frame, hints, mark, mask, params, registry, sizing, stylize, text, trim,
};

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
    let sizing = pending.groups.as_ref().map(|g| &g.sizing);
    finish_focal_point(&mut parsed.transform, pending.focal, sizing);
    let t = &mut parsed.transform;
    t.orientation = sizing.and_then(|s| s.orientation);
    t.format = t.output.settle(t.format);
    t.animation.settle(t.format);
    // The bounds are for `fit=crop`'s box, as in imgix; elsewhere they change nothing.
    if t.fit == Fit::Crop
        && let Some(sizing) = sizing
    {
        t.bounds = sizing.bounds;
    }
    // `q` equal to the default it would get anyway changes nothing, so it is not in the key.
    if t.quality.is_some_and(|q| q == t.default_quality()) {
        t.quality = None;
    }
    // Most URLs name none of the groups: their defaults are already in place.
    if let Some(groups) = pending.groups {
        finish_groups(&mut parsed, *groups)?;
    }
    Ok(parsed)
}

/// The parameters that take effect together, judged once the whole query is read.
fn finish_groups(parsed: &mut Params, pending: Groups) -> Result<(), TransformError> {
    let t = &mut parsed.transform;
    t.adjust = pending.adjust.finish();
    t.stylize = pending.stylize.finish();
    t.frame = pending.frame.finish();
    t.mask = pending.mask.finish();
    t.trim = pending.trim.finish();
    t.mark = pending.mark.finish().map_err(named)?.map(Box::new);
    t.text = pending.text.finish().map(Box::new);
    t.faces = pending.faces.finish(t.fit == Fit::FaceArea);
    t.blend = pending.blend.finish().map_err(named)?.map(Box::new);
    let fills = matches!(t.fit, Fit::Fill | Fit::FillMax);
    t.fill = pending.fill.finish(fills).map_err(named)?.map(Box::new);
    settle_data(parsed, pending.data.finish());
    Ok(())
}

/// A group's refusal, which names the parameter at fault.
fn named((name, reason): (&'static str, String)) -> TransformError {
    TransformError::BadValue {
        name: name.to_string(),
        reason,
    }
}

/// A data output answers with text, so what only the encoder reads leaves the key, and no
/// format is negotiated. `fm=json` describes the original: nothing else changes it.
fn settle_data(parsed: &mut Params, data: Option<Data>) {
    let Some(data) = data else { return };
    parsed.auto_format = false;
    let t = &mut parsed.transform;
    if matches!(data, Data::Metadata { .. }) {
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
    /// Made on the first grouped parameter: most URLs name none, and skip building them.
    groups: Option<Box<Groups>>,
}

/// Every group's parameters as given.
#[derive(Default)]
struct Groups {
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
    text: text::Given,
    faces: faces::Given,
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
        // `true` is what pixgate always does (`registry::check_value` refuses `false`).
        "svg-sanitize" => _ = params::flag(v)?,
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
    let g = pending.groups.get_or_insert_with(Box::default);
    let _taken = g.adjust.apply(canon, v)?
        || g.stylize.apply(canon, v)?
        || g.frame.apply(canon, v)?
        || g.mask.apply(canon, v)?
        || g.trim.apply(canon, v)?
        || g.fill.apply(canon, v)?
        || g.sizing.apply(canon, v)?
        || parsed.transform.output.apply(canon, v)?
        || parsed.transform.animation.apply(canon, v)?
        || g.data.apply(canon, v)?
        || g.mark.apply(canon, v)?
        || g.blend.apply(canon, v)?
        || g.text.apply(canon, v)?
        || g.faces.apply(canon, v)?;
    Ok(())
}

/// `fp-x`/`fp-y` default to the centre, `fp-z` to 1. Without `crop=focalpoint` they and
/// `fp-debug` change nothing (as in imgix), so they stay out of the transform and the key.
fn finish_focal_point(t: &mut Transform, fp: FocalInputs, sizing: Option<&sizing::Given>) {
    if let Crop::FocalPoint(point) = &mut t.crop {
        point.x = fp.0.unwrap_or(0.5);
        point.y = fp.1.unwrap_or(0.5);
        point.zoom = sizing.and_then(|s| s.zoom).unwrap_or(1.0);
        point.debug = sizing.is_some_and(|s| s.debug);
    }
}
