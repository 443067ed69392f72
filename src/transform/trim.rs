//! imgix's trim (`trim=auto|color|alpha|colorunlessalpha` with `trim-color`, `trim-tol`,
//! `trim-md`, `trim-sd`, `trim-alpha`, `trim-pad`): the uniform border cut from the source
//! before anything else, so `w`/`h` describe the trimmed image. Each option is kept only with
//! the mode that reads it, so every spelling of one trim has one canonical form.

use super::colour::{self, Colour};
use super::params;

/// How the border to cut is found.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum TrimMode {
    /// Edge rows and columns whose pixels differ from the top-left pixel by at most `md` on
    /// average and vary by at most `sd` (standard deviation of their luma), both in 0–255.
    Auto {
        mean_difference: f32,
        deviation: f32,
    },
    /// Edge rows and columns all within `tolerance` (per channel, 0–255) of the colour (the
    /// top-left pixel's by default).
    Colour {
        colour: Option<Colour>,
        tolerance: f32,
    },
    /// Edge rows and columns whose alpha is at most `threshold` (0–255).
    Alpha { threshold: f32 },
    /// `Alpha` where the image has an alpha channel, else `Colour`.
    ColourUnlessAlpha {
        colour: Option<Colour>,
        tolerance: f32,
        threshold: f32,
    },
}

/// A trim: the mode, and `trim-pad` px kept around what it finds (negative cuts further).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Trim {
    pub mode: TrimMode,
    pub pad: i16,
}

const DEFAULT_MEAN_DIFFERENCE: f32 = 11.0;
const DEFAULT_DEVIATION: f32 = 10.0;

/// The inputs as given.
#[derive(Debug, Default)]
pub struct Given {
    mode: Option<&'static str>,
    colour: Option<Colour>,
    tolerance: Option<f32>,
    mean_difference: Option<f32>,
    deviation: Option<f32>,
    alpha: Option<f32>,
    pad: Option<i16>,
}

impl Trim {
    /// Appends the canonical `k=v` pairs through `put`.
    pub fn write_canonical(&self, put: &mut impl FnMut(&str, &dyn std::fmt::Display)) {
        let colour_options = |put: &mut dyn FnMut(&str, &dyn std::fmt::Display),
                              colour: Option<Colour>,
                              tolerance: f32| {
            if let Some(c) = colour {
                put("trim-color", &c);
            }
            if tolerance != 0.0 {
                put("trim-tol", &tolerance);
            }
        };
        match self.mode {
            TrimMode::Auto {
                mean_difference,
                deviation,
            } => {
                put("trim", &"auto");
                if mean_difference != DEFAULT_MEAN_DIFFERENCE {
                    put("trim-md", &mean_difference);
                }
                if deviation != DEFAULT_DEVIATION {
                    put("trim-sd", &deviation);
                }
            }
            TrimMode::Colour { colour, tolerance } => {
                put("trim", &"color");
                colour_options(put, colour, tolerance);
            }
            TrimMode::Alpha { threshold } => {
                put("trim", &"alpha");
                if threshold != 0.0 {
                    put("trim-alpha", &threshold);
                }
            }
            TrimMode::ColourUnlessAlpha {
                colour,
                tolerance,
                threshold,
            } => {
                put("trim", &"colorunlessalpha");
                colour_options(put, colour, tolerance);
                if threshold != 0.0 {
                    put("trim-alpha", &threshold);
                }
            }
        }
        if self.pad != 0 {
            put("trim-pad", &self.pad);
        }
    }
}

impl Given {
    /// Applies one trim parameter (`canon` is its canonical name); `false` when `canon` is not
    /// one.
    pub fn apply(&mut self, canon: &str, v: &str) -> Result<bool, String> {
        match canon {
            "trim" => {
                self.mode = Some(match v {
                    "auto" => "auto",
                    "color" => "color",
                    "alpha" => "alpha",
                    "colorunlessalpha" => "colorunlessalpha",
                    _ => {
                        return Err(format!(
                            "`{v}` is not auto, color, alpha or colorunlessalpha"
                        ));
                    }
                });
            }
            "trim-color" => self.colour = Some(colour::parse(v)?),
            "trim-tol" => self.tolerance = Some(level(v)?),
            "trim-md" => self.mean_difference = Some(level(v)?),
            "trim-sd" => self.deviation = Some(level(v)?),
            "trim-alpha" => self.alpha = Some(level(v)?),
            "trim-pad" => {
                let pad = super::adjustments::clamped_int(v, -200, 200)?;
                self.pad = Some(pad);
            }
            _ => return Ok(false),
        }
        Ok(true)
    }

    /// The trim; the options count only with `trim` and the mode that reads them.
    pub fn finish(self) -> Option<Trim> {
        let colour = self.colour;
        let tolerance = self.tolerance.unwrap_or(0.0);
        let threshold = self.alpha.unwrap_or(0.0);
        let mode = match self.mode? {
            "auto" => TrimMode::Auto {
                mean_difference: self.mean_difference.unwrap_or(DEFAULT_MEAN_DIFFERENCE),
                deviation: self.deviation.unwrap_or(DEFAULT_DEVIATION),
            },
            "color" => TrimMode::Colour { colour, tolerance },
            "alpha" => TrimMode::Alpha { threshold },
            _ => TrimMode::ColourUnlessAlpha {
                colour,
                tolerance,
                threshold,
            },
        };
        Some(Trim {
            mode,
            pad: self.pad.unwrap_or(0),
        })
    }
}

/// A non-negative decimal, clamped to 255 (beyond it every pixel matches anyway).
fn level(v: &str) -> Result<f32, String> {
    Ok((params::number(v)? as f32).min(255.0))
}
