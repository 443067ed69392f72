//! imgix's shape masks (`mask=ellipse|corners`, `corner-radius`, `mask-bg`): which part of the
//! image stays. Image masks (`mask=<url or path>`) are refused by the registry for now.

use super::colour::{self, Colour};
use super::frame::{Corners, parse_corners};

/// A shape the image is cut to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    /// The ellipse inscribed in the image.
    Ellipse,
    /// The image with rounded corners; `None` radii mean the default (a tenth of the shorter
    /// side).
    Corners(Option<Corners>),
}

/// A mask: its shape, and what the cut-away part becomes (`mask-bg`; else transparent where the
/// format has alpha, and `bg` or white where it has not).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Mask {
    pub shape: Shape,
    pub background: Option<Colour>,
}

/// The inputs as given, before `corner-radius` and `mask-bg` are tied to `mask`.
#[derive(Debug, Default)]
pub struct Given {
    shape: Option<&'static str>,
    radius: Option<Corners>,
    background: Option<Colour>,
}

impl Mask {
    /// Appends the canonical `k=v` pairs through `put`.
    pub fn write_canonical(&self, put: &mut impl FnMut(&str, &dyn std::fmt::Display)) {
        match self.shape {
            Shape::Ellipse => put("mask", &"ellipse"),
            Shape::Corners(radius) => {
                put("mask", &"corners");
                match radius {
                    Some(r) if r == [r[0]; 4] => put("corner-radius", &r[0]),
                    Some([a, b, c, d]) => put("corner-radius", &format_args!("{a},{b},{c},{d}")),
                    None => {}
                }
            }
        }
        if let Some(c) = self.background {
            put("mask-bg", &c);
        }
    }
}

impl Given {
    /// Applies one mask parameter (`canon` is its canonical name); `false` when `canon` is not
    /// one. Values other than `ellipse` and `corners` never reach here (the registry refuses
    /// them).
    pub fn apply(&mut self, canon: &str, v: &str) -> Result<bool, String> {
        match canon {
            "mask" => {
                self.shape = Some(match v {
                    "ellipse" => "ellipse",
                    "corners" => "corners",
                    _ => return Err(format!("`{v}` is not ellipse or corners")),
                });
            }
            "corner-radius" => self.radius = Some(parse_corners(v)?),
            "mask-bg" => self.background = Some(colour::parse(v)?),
            _ => return Ok(false),
        }
        Ok(true)
    }

    /// The mask; `corner-radius` counts only with `mask=corners` and `mask-bg` only with a
    /// mask (alone they change nothing, as in imgix).
    pub fn finish(self) -> Option<Mask> {
        let shape = match self.shape? {
            "ellipse" => Shape::Ellipse,
            _ => Shape::Corners(self.radius),
        };
        Some(Mask {
            shape,
            background: self.background,
        })
    }
}
