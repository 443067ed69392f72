//! imgix's stylize effects (`monochrome`, `duotone` + `duotone-alpha`, `sepia`, `htn`, `px`):
//! their values and canonical form. Suggested ranges clamp, strict ones refuse; each is `None`
//! where it changes nothing, so it stays out of the cache key.

use super::colour::{self, Colour};
use super::params;

/// The stylize effects a request asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Stylize {
    /// `monochrome` (`mono`): shades of this colour by luma; its alpha is the strength.
    pub monochrome: Option<Colour>,
    /// `duotone` shadows and highlights colours, and `duotone-alpha` 1–100 (default 100).
    pub duotone: Option<(Colour, Colour, u8)>,
    /// `sepia`, 1–100: the strength of a sepia tone.
    pub sepia: Option<u8>,
    /// `htn`, 1–100: a halftone screen, cells of 2 + htn/10 px.
    pub halftone: Option<u8>,
    /// `px`, 1–100: pixelation into blocks of this many output pixels.
    pub pixelate: Option<u8>,
}

/// The inputs as given, before `duotone-alpha` is tied to `duotone`.
#[derive(Debug, Default)]
pub struct Given {
    stylize: Stylize,
    duotone: Option<(Colour, Colour)>,
    duotone_alpha: Option<u8>,
}

impl Stylize {
    pub fn is_none(&self) -> bool {
        *self == Stylize::default()
    }

    /// Appends the canonical `k=v` pairs (defaults omitted) through `put`.
    pub fn write_canonical(&self, put: &mut impl FnMut(&str, &dyn std::fmt::Display)) {
        if let Some(c) = self.monochrome {
            put("monochrome", &c);
        }
        if let Some((dark, light, alpha)) = self.duotone {
            put("duotone", &format_args!("{dark},{light}"));
            if alpha != 100 {
                put("duotone-alpha", &alpha);
            }
        }
        if let Some(v) = self.sepia {
            put("sepia", &v);
        }
        if let Some(v) = self.halftone {
            put("htn", &v);
        }
        if let Some(v) = self.pixelate {
            put("px", &v);
        }
    }
}

impl Given {
    /// Applies one stylize parameter (`canon` is its canonical name); `false` when `canon` is
    /// not one.
    pub fn apply(&mut self, canon: &str, v: &str) -> Result<bool, String> {
        let s = &mut self.stylize;
        match canon {
            "monochrome" => s.monochrome = Some(colour::parse(v)?).filter(|c| c.a > 0),
            "duotone" => self.duotone = Some(two_colours(v)?),
            "duotone-alpha" => self.duotone_alpha = Some(params::int_in(v, 0, 100)? as u8),
            "sepia" => s.sepia = clamped_percent(v)?,
            "htn" => s.halftone = clamped_percent(v)?,
            "px" => s.pixelate = clamped_percent(v)?,
            _ => return Ok(false),
        }
        Ok(true)
    }

    /// The effects; `duotone-alpha` counts only beside `duotone` (alone it changes nothing),
    /// and a duotone at alpha 0 is none.
    pub fn finish(self) -> Stylize {
        let mut stylize = self.stylize;
        let alpha = self.duotone_alpha.unwrap_or(100);
        stylize.duotone = self
            .duotone
            .filter(|_| alpha > 0)
            .map(|(dark, light)| (dark, light, alpha));
        stylize
    }
}

/// `shadows,highlights`: two colours.
fn two_colours(v: &str) -> Result<(Colour, Colour), String> {
    let (dark, light) = v
        .split_once(',')
        .ok_or_else(|| format!("`{v}` is not two colours, such as 000080,ffff00"))?;
    Ok((colour::parse(dark)?, colour::parse(light)?))
}

/// A whole number clamped into 0–100 (imgix's suggested range); `None` at 0.
fn clamped_percent(v: &str) -> Result<Option<u8>, String> {
    let n = super::adjustments::clamped_int(v, 0, 100)?;
    Ok(u8::try_from(n).ok().filter(|n| *n > 0))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn given(pairs: &[(&str, &str)]) -> Result<Stylize, String> {
        let mut given = Given::default();
        for (name, value) in pairs {
            assert!(given.apply(name, value)?, "{name}");
        }
        Ok(given.finish())
    }

    #[test]
    fn values_clamp_strict_ones_refuse_and_lone_alphas_do_nothing() {
        let s = given(&[("sepia", "250"), ("px", "-3"), ("htn", "40")]).unwrap();
        assert_eq!(
            (s.sepia, s.pixelate, s.halftone),
            (Some(100), None, Some(40))
        );
        assert!(given(&[("duotone-alpha", "50")]).unwrap().is_none());
        assert!(
            given(&[("duotone", "000,fff"), ("duotone-alpha", "0")])
                .unwrap()
                .is_none()
        );
        assert!(given(&[("monochrome", "0f00")]).unwrap().is_none());
        for bad in [
            [("duotone-alpha", "101")],
            [("duotone", "000")],
            [("duotone", "000,nope")],
            [("sepia", "1.5")],
            [("monochrome", "#12")],
        ] {
            assert!(given(&bad).is_err(), "{bad:?}");
        }
    }
}
