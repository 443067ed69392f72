//! The sizing and orientation extras of imgix (`max-w`, `max-h`, `min-w`, `min-h`, `fp-z`,
//! `fp-debug`, `orient`, `rot-type`): their values and canonical form. Each counts only where
//! imgix says it does (the bounds and the focal zoom with `fit=crop`, the zoom and the debug
//! cross with `crop=focalpoint` too), so a no-op stays out of the cache key.

use super::params;

/// Bounds on the box of `fit=crop`, in CSS pixels (× `dpr`): it is scaled down to fit the
/// maxima, then up to reach the minima, keeping its shape.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Bounds {
    pub max_width: Option<u32>,
    pub max_height: Option<u32>,
    pub min_width: Option<u32>,
    pub min_height: Option<u32>,
}

impl Bounds {
    pub fn is_none(&self) -> bool {
        *self == Bounds::default()
    }

    pub fn write_canonical(&self, put: &mut impl FnMut(&str, &dyn std::fmt::Display)) {
        for (name, value) in [
            ("max-w", self.max_width),
            ("max-h", self.max_height),
            ("min-w", self.min_width),
            ("min-h", self.min_height),
        ] {
            if let Some(v) = value {
                put(name, &v);
            }
        }
    }
}

/// The inputs as given.
#[derive(Debug, Default)]
pub struct Given {
    pub bounds: Bounds,
    pub zoom: Option<f32>,
    pub debug: bool,
    /// EXIF orientation code 1–8 replacing the file's.
    pub orientation: Option<u8>,
}

impl Given {
    /// Applies one of these parameters (`canon` is its canonical name); `false` when `canon`
    /// is not one.
    pub fn apply(&mut self, canon: &str, v: &str) -> Result<bool, String> {
        let side = || params::int_in(v, 1, 8192);
        match canon {
            "max-w" => self.bounds.max_width = Some(side()?),
            "max-h" => self.bounds.max_height = Some(side()?),
            "min-w" => self.bounds.min_width = Some(side()?),
            "min-h" => self.bounds.min_height = Some(side()?),
            "fp-z" => {
                let zoom = params::number(v)?;
                if !(1.0..=100.0).contains(&zoom) {
                    return Err("must be between 1 and 100".into());
                }
                self.zoom = Some(zoom as f32).filter(|z| *z != 1.0);
            }
            "fp-debug" => self.debug = params::flag(v)?,
            "orient" => self.orientation = Some(orientation(v)?),
            // Pivot or straighten differ only for angles that are not quarter turns, which
            // `rot` refuses for now: for every rotation pixgate makes they are the same.
            "rot-type" => {
                if !matches!(v, "pivot" | "straighten") {
                    return Err(format!("`{v}` is not pivot or straighten"));
                }
            }
            _ => return Ok(false),
        }
        Ok(true)
    }
}

/// imgix's `orient`: an EXIF orientation code (1–8; 0 is 1), or a clockwise quarter turn of
/// the stored pixels (90, 180, 270: codes 6, 3, 8).
fn orientation(v: &str) -> Result<u8, String> {
    Ok(match v {
        "0" | "1" => 1,
        "2" => 2,
        "3" | "180" => 3,
        "4" => 4,
        "5" => 5,
        "6" | "90" => 6,
        "7" => 7,
        "8" | "270" => 8,
        _ => return Err(format!("`{v}` is not 0–8, 90, 180 or 270")),
    })
}
