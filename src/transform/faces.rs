//! Face parameters beside `crop=faces` and `fit=facearea` (read with `crop` and `fit`): which
//! face `fit=facearea` frames and how much room it leaves around it (`faceindex`, `facepad`),
//! and what hides every face found (`face-blur`, `face-pixel`). `faces=1` belongs to `fm=json`
//! (`data`).

use super::params;

/// `facepad` without a value: the face box itself.
pub const DEFAULT_FACEPAD: f32 = 1.0;
/// imgix's suggested upper end for `facepad`; larger values are clamped to it.
pub const MAX_FACEPAD: f32 = 10.0;

/// The face parameters, normalised: `index` and `pad` only count with `fit=facearea`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Faces {
    /// `faceindex`: the face `fit=facearea` frames, from 1, faces ordered largest first;
    /// `None` frames all of them.
    pub index: Option<u32>,
    /// `facepad`: the framed area's size as a multiple of the face box's, 1–10.
    pub pad: f32,
    /// `face-blur`, 1–100: how strongly every face found is blurred.
    pub blur: Option<u8>,
    /// `face-pixel`, 1–100: the side of the blocks every face found is pixelated into, in
    /// output pixels.
    pub pixel: Option<u8>,
}

impl Default for Faces {
    fn default() -> Self {
        Faces {
            index: None,
            pad: DEFAULT_FACEPAD,
            blur: None,
            pixel: None,
        }
    }
}

impl Faces {
    /// Whether faces are hidden (blurred or pixelated).
    pub fn hides(&self) -> bool {
        self.blur.is_some() || self.pixel.is_some()
    }

    pub fn write_canonical(&self, put: &mut impl FnMut(&str, &dyn std::fmt::Display)) {
        if let Some(index) = self.index {
            put("faceindex", &index);
        }
        if self.pad != DEFAULT_FACEPAD {
            put("facepad", &self.pad);
        }
        if let Some(blur) = self.blur {
            put("face-blur", &blur);
        }
        if let Some(pixel) = self.pixel {
            put("face-pixel", &pixel);
        }
    }
}

/// The face parameters as given, judged once the query is read.
#[derive(Debug, Default)]
pub(super) struct Given {
    index: Option<u32>,
    pad: Option<f32>,
    blur: Option<u8>,
    pixel: Option<u8>,
}

impl Given {
    /// Takes `faceindex`, `facepad`, `face-blur` and `face-pixel`; `false` for anything else.
    pub fn apply(&mut self, canon: &str, v: &str) -> Result<bool, String> {
        match canon {
            "faceindex" => {
                let index = params::int_in(v, 1, u32::MAX)
                    .map_err(|_| "must be a whole number from 1 (the largest face) up")?;
                self.index = Some(index);
            }
            "facepad" => {
                let pad = params::number(v)
                    .ok()
                    .filter(|p| *p > 0.0)
                    .ok_or("must be a positive number (1 to 10; larger values are clamped)")?;
                // imgix's range is a suggestion: tolerate values outside it, as imgix does.
                self.pad = Some((pad as f32).clamp(DEFAULT_FACEPAD, MAX_FACEPAD));
            }
            "face-blur" => self.blur = Some(params::int_in(v, 0, 100)? as u8).filter(|b| *b > 0),
            "face-pixel" => {
                self.pixel = Some(params::int_in(v, 0, 100)? as u8).filter(|p| *p > 0);
            }
            _ => return Ok(false),
        }
        Ok(true)
    }

    /// `faceindex` and `facepad` modify `fit=facearea` only (as in imgix): elsewhere they change
    /// nothing and stay out of the key.
    pub fn finish(self, face_area: bool) -> Faces {
        Faces {
            index: self.index.filter(|_| face_area),
            pad: self.pad.filter(|_| face_area).unwrap_or(DEFAULT_FACEPAD),
            blur: self.blur,
            pixel: self.pixel,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn given(pairs: &[(&str, &str)]) -> Result<Given, String> {
        let mut g = Given::default();
        for (k, v) in pairs {
            assert!(g.apply(k, v)?, "{k} not taken");
        }
        Ok(g)
    }

    #[test]
    fn values_in_range_are_kept_and_zero_is_off() {
        let f = given(&[
            ("faceindex", "2"),
            ("facepad", "1.5"),
            ("face-blur", "40"),
            ("face-pixel", "0"),
        ])
        .unwrap()
        .finish(true);
        assert_eq!(
            f,
            Faces {
                index: Some(2),
                pad: 1.5,
                blur: Some(40),
                pixel: None
            }
        );
    }

    #[test]
    fn facepad_outside_the_suggested_range_is_clamped() {
        assert_eq!(given(&[("facepad", "25")]).unwrap().finish(true).pad, 10.0);
        assert_eq!(given(&[("facepad", "0.5")]).unwrap().finish(true).pad, 1.0);
    }

    #[test]
    fn bad_values_are_refused() {
        for (k, v) in [
            ("faceindex", "0"),
            ("faceindex", "-1"),
            ("faceindex", "1.5"),
            ("facepad", "-1"),
            ("facepad", "0"),
            ("facepad", "wide"),
            ("face-blur", "101"),
            ("face-blur", "-5"),
            ("face-pixel", "101"),
            ("face-pixel", "x"),
        ] {
            assert!(given(&[(k, v)]).is_err(), "{k}={v}");
        }
    }

    #[test]
    fn index_and_pad_count_only_with_facearea() {
        let f = given(&[("faceindex", "3"), ("facepad", "2"), ("face-pixel", "9")])
            .unwrap()
            .finish(false);
        assert_eq!((f.index, f.pad, f.pixel), (None, 1.0, Some(9)));
    }
}
