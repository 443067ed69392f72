//! Presets and bounded sizes: named transforms from the config (`preset=NAME`), a source that
//! lets unsigned requests use only those, and a source whose unsigned sizes are rounded up to
//! a few allowed ones, so that no one can fill the caches with `w=1`, `w=2`, …

use super::error::{Error, RequestError};
use crate::config::Preset;
use crate::transform::{Dimension, Params, TransformError, canonical_name};

const PRESET: &str = "preset";

/// Decoded query pairs.
type Pairs = Vec<(String, String)>;

/// The query's pairs with `preset=NAME` in place of the preset's parameters; the URL's own
/// refine them (a parameter given in both, under any alias, is the URL's). With a preset,
/// also the URL's own pairs without it, for [`check_presets_only`].
pub fn expand(pairs: Pairs, presets: &[Preset]) -> Result<(Pairs, Option<Pairs>), Error> {
    // Most requests name no preset: they pass untouched (this runs on every hit).
    if !pairs.iter().any(|(n, _)| n == PRESET) {
        return Ok((pairs, None));
    }
    let (named, own): (Vec<_>, Vec<_>) = pairs.into_iter().partition(|(n, _)| n == PRESET);
    let refused = |reason: String| TransformError::BadValue {
        name: PRESET.into(),
        reason,
    };
    let preset = match named.as_slice() {
        [(_, name)] => presets
            .iter()
            .find(|p| p.name == *name)
            .ok_or_else(|| refused(format!("there is no preset named `{name}`")))?,
        _ => return Err(refused("given more than once".into()).into()),
    };
    let given: Vec<Option<&str>> = own.iter().map(|(n, _)| canonical_name(n)).collect();
    // Checked when the config was loaded: it parses.
    let from_preset: Pairs = serde_urlencoded::from_str(&preset.params).unwrap_or_default();
    let mut merged: Pairs = from_preset
        .into_iter()
        .filter(|(n, _)| {
            let canon = canonical_name(n);
            canon.is_none() || !given.contains(&canon)
        })
        .collect();
    merged.extend(own.iter().cloned());
    Ok((merged, Some(own)))
}

/// On a `presets_only` source, an unsigned request may bring no transform parameter of its
/// own (the preset's are the source's; plain passthrough is not a transform).
pub fn check_presets_only(own: &[(String, String)]) -> Result<(), Error> {
    let parsed = crate::transform::parse(own)?;
    if parsed.is_passthrough() {
        Ok(())
    } else {
        Err(RequestError::PresetsOnly.into())
    }
}

/// Rounds `w` (or, alone, `h`) times `dpr` up to the next of `widths` (the largest when
/// beyond them), scaling the other side with it, so the box keeps its shape; `dpr` is then
/// folded in. Whether anything changed. A share of the image cannot be bounded this way.
pub fn bound_sizes(params: &mut Params, widths: &[u32]) -> Result<bool, Error> {
    let Some(&largest) = widths.last() else {
        return Ok(false);
    };
    let t = &mut params.transform;
    let dpr = f64::from(t.dpr.unwrap_or(1.0));
    let fraction = |name: &str| TransformError::BadValue {
        name: name.into(),
        reason: "this source rounds sizes to its `widths`: give px, not a share of the image"
            .into(),
    };
    let (snapped, other) = match (&mut t.width, &mut t.height) {
        (Some(Dimension::Fraction(_)), _) => return Err(fraction("w").into()),
        (_, Some(Dimension::Fraction(_))) => return Err(fraction("h").into()),
        (Some(Dimension::Pixels(w)), h) => (w, h.as_mut()),
        (None, Some(Dimension::Pixels(h))) => (h, None),
        (None, None) => return Ok(false),
    };
    let asked = f64::from(*snapped) * dpr;
    let to = widths
        .iter()
        .copied()
        .find(|w| f64::from(*w) >= asked.ceil())
        .unwrap_or(largest);
    let scale = f64::from(to) / asked;
    if let Some(Dimension::Pixels(other)) = other {
        *other = (f64::from(*other) * dpr * scale).round().max(1.0) as u32;
    }
    let changed = *snapped != to || t.dpr.is_some();
    *snapped = to;
    t.dpr = None;
    Ok(changed)
}

#[cfg(test)]
mod tests;
