//! imgix's colour and tone adjustments (`exp`, `bri`, `con`, `gam`, `high`, `shad`, `sat`,
//! `vib`, `hue`, `invert`, `usm`/`usmrad`): their values and canonical form. Values outside
//! imgix's suggested ranges are clamped into them, as imgix does; each is `None`/`false` at its
//! default, where it changes nothing, so it stays out of the cache key.

use super::params;

/// `usmrad` when not given.
pub const DEFAULT_UNSHARP_RADIUS: f32 = 2.5;
/// The largest `usmrad` applied: a Gaussian's cost grows with its radius, and beyond this it
/// is a blur of the whole thumbnail anyway.
pub const MAX_UNSHARP_RADIUS: f32 = 50.0;

/// The adjustments a request asks for, in the order the renderer applies them.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Adjustments {
    /// `exp`, −100–100: exposure, ±2 stops at the ends.
    pub exposure: Option<i8>,
    /// `bri`, −100–100: added light, black or white at the ends.
    pub brightness: Option<i8>,
    /// `con`, −100–100: contrast about mid-grey, flat grey at −100.
    pub contrast: Option<i8>,
    /// `gam`, −100–100: midtones brighter (positive) or darker.
    pub gamma: Option<i8>,
    /// `high`, −100–0: highlights pulled down.
    pub highlights: Option<i8>,
    /// `shad`, 0–100: shadows lifted.
    pub shadows: Option<f32>,
    /// `sat`, −100–100: saturation, grey at −100.
    pub saturation: Option<i8>,
    /// `vib`, −100–100: saturation weighted toward the dull colours.
    pub vibrance: Option<i8>,
    /// `hue`, 1–359: hue rotation in degrees.
    pub hue: Option<u16>,
    /// `invert`: every colour channel becomes 255 − itself.
    pub invert: bool,
    /// `usm`, −100–100, with `usmrad` (default 2.5, at most 50): unsharp mask amount and
    /// radius; negative amounts soften.
    pub unsharp: Option<(i8, f32)>,
}

/// The inputs as given, before `usmrad` is tied to `usm`.
#[derive(Debug, Default)]
pub struct Given {
    adjustments: Adjustments,
    unsharp_amount: Option<i8>,
    unsharp_radius: Option<f32>,
}

impl Adjustments {
    /// Whether nothing is asked.
    pub fn is_none(&self) -> bool {
        *self == Adjustments::default()
    }

    /// Appends the canonical `k=v` pairs (defaults omitted) through `put`.
    pub fn write_canonical(&self, put: &mut impl FnMut(&str, &dyn std::fmt::Display)) {
        let ints = [
            ("exp", self.exposure),
            ("bri", self.brightness),
            ("con", self.contrast),
            ("gam", self.gamma),
            ("high", self.highlights),
        ];
        for (name, value) in ints {
            if let Some(v) = value {
                put(name, &v);
            }
        }
        if let Some(v) = self.shadows {
            put("shad", &v);
        }
        if let Some(v) = self.saturation {
            put("sat", &v);
        }
        if let Some(v) = self.vibrance {
            put("vib", &v);
        }
        if let Some(v) = self.hue {
            put("hue", &v);
        }
        if self.invert {
            put("invert", &1);
        }
        if let Some((amount, radius)) = self.unsharp {
            put("usm", &amount);
            if radius != DEFAULT_UNSHARP_RADIUS {
                put("usmrad", &radius);
            }
        }
    }
}

impl Given {
    /// Applies one adjustment parameter (`canon` is its canonical name); `false` when `canon`
    /// is not one.
    pub fn apply(&mut self, canon: &str, v: &str) -> Result<bool, String> {
        let a = &mut self.adjustments;
        match canon {
            "exp" => a.exposure = nonzero(clamped_int(v, -100, 100)?),
            "bri" => a.brightness = nonzero(clamped_int(v, -100, 100)?),
            "con" => a.contrast = nonzero(clamped_int(v, -100, 100)?),
            "gam" => a.gamma = nonzero(clamped_int(v, -100, 100)?),
            "high" => a.highlights = nonzero(clamped_int(v, -100, 0)?),
            "shad" => a.shadows = Some(clamped_number(v, 100.0)?).filter(|s| *s > 0.0),
            "sat" => a.saturation = nonzero(clamped_int(v, -100, 100)?),
            "vib" => a.vibrance = nonzero(clamped_int(v, -100, 100)?),
            "hue" => {
                let degrees = clamped_int(v, 0, 360)?;
                a.hue = u16::try_from(degrees % 360).ok().filter(|d| *d > 0);
            }
            "invert" => a.invert = params::flag(v)?,
            "usm" => self.unsharp_amount = nonzero(clamped_int(v, -100, 100)?),
            "usmrad" => self.unsharp_radius = Some(clamped_number(v, MAX_UNSHARP_RADIUS)?),
            _ => return Ok(false),
        }
        Ok(true)
    }

    /// The adjustments; `usmrad` counts only beside a non-zero `usm` (alone it changes nothing,
    /// as in imgix, so it stays out of the key).
    pub fn finish(self) -> Adjustments {
        let mut adjustments = self.adjustments;
        adjustments.unsharp = self.unsharp_amount.map(|amount| {
            let radius = self.unsharp_radius.unwrap_or(DEFAULT_UNSHARP_RADIUS);
            (amount, radius)
        });
        adjustments
    }
}

/// A value within ±100 as stored; `None` at 0.
fn nonzero(v: i16) -> Option<i8> {
    i8::try_from(v).ok().filter(|v| *v != 0)
}

/// A whole number, optionally signed, clamped into `min..=max` (imgix's suggested range).
pub(super) fn clamped_int(v: &str, min: i16, max: i16) -> Result<i16, String> {
    let n = whole_number(v)?;
    // In range after the clamp, so the conversion cannot fail.
    Ok(i16::try_from(n.clamp(i64::from(min), i64::from(max))).unwrap_or(0))
}

/// A whole number, optionally signed, of at most nine digits.
pub(super) fn whole_number(v: &str) -> Result<i64, String> {
    let digits = v.strip_prefix('-').unwrap_or(v);
    let ok = !digits.is_empty() && digits.len() <= 9 && digits.bytes().all(|b| b.is_ascii_digit());
    ok.then(|| v.parse().ok())
        .flatten()
        .ok_or_else(|| format!("`{v}` is not a whole number"))
}

/// A non-negative decimal clamped to at most `max`, kept to what prints back the same.
fn clamped_number(v: &str, max: f32) -> Result<f32, String> {
    // An `f32` prints the shortest text that parses back to itself, so the canonical form
    // re-parses to the same value.
    Ok((params::number(v)? as f32).min(max))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn given(pairs: &[(&str, &str)]) -> Adjustments {
        let mut given = Given::default();
        for (name, value) in pairs {
            assert_eq!(given.apply(name, value), Ok(true), "{name}={value}");
        }
        given.finish()
    }

    #[test]
    fn values_outside_the_suggested_ranges_are_clamped() {
        let a = given(&[
            ("bri", "250"),
            ("con", "-300"),
            ("high", "40"),
            ("shad", "120.5"),
            ("hue", "400"),
            ("usm", "20"),
            ("usmrad", "900"),
        ]);
        assert_eq!(a.brightness, Some(100));
        assert_eq!(a.contrast, Some(-100));
        assert_eq!(a.highlights, None);
        assert_eq!(a.shadows, Some(100.0));
        assert_eq!(a.hue, None);
        assert_eq!(a.unsharp, Some((20, MAX_UNSHARP_RADIUS)));
    }

    #[test]
    fn defaults_and_lone_radii_change_nothing() {
        let a = given(&[
            ("exp", "0"),
            ("bri", "-0"),
            ("shad", "0"),
            ("hue", "360"),
            ("invert", "false"),
            ("usmrad", "4"),
        ]);
        assert!(a.is_none(), "{a:?}");
    }

    #[test]
    fn wrong_types_are_refused() {
        for (name, value) in [
            ("bri", "12.5"),
            ("bri", "abc"),
            ("con", ""),
            ("con", "--5"),
            ("shad", "-1"),
            ("invert", "yes"),
            ("usmrad", "x"),
        ] {
            let mut given = Given::default();
            assert!(given.apply(name, value).is_err(), "{name}={value}");
        }
    }
}
