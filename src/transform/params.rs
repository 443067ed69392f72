//! Value types of the transform parameters and their parsers. Each parser takes the decoded
//! value and returns a typed value or a reason safe to show the client.

use std::fmt;

/// A target width or height: pixels, or a fraction of the source's size.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Dimension {
    Pixels(u32),
    /// In (0, 1): that share of the (cropped) source.
    Fraction(f32),
}

impl fmt::Display for Dimension {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Dimension::Pixels(px) => write!(f, "{px}"),
            Dimension::Fraction(share) => write!(f, "{share}"),
        }
    }
}

/// How the image meets the target box (contract §3, `fit`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Fit {
    #[default]
    Clip,
    Max,
    Crop,
    Fill,
    /// `fill` that never enlarges the image.
    FillMax,
    Scale,
    Min,
    /// `fit=facearea`: the faces (or one, `faceindex`) with room around them (`facepad`), cut
    /// to the output's shape; a plain `fit=crop` when no face is found.
    FaceArea,
}

impl fmt::Display for Fit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Fit::Clip => "clip",
            Fit::Max => "max",
            Fit::Crop => "crop",
            Fit::Fill => "fill",
            Fit::FillMax => "fillmax",
            Fit::Scale => "scale",
            Fit::Min => "min",
            Fit::FaceArea => "facearea",
        })
    }
}

/// Where the kept window sits along one axis when cropping: 0 = start, 0.5 = centre, 1 = end.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Gravity {
    Start,
    #[default]
    Center,
    End,
}

impl Gravity {
    pub fn share(self) -> f32 {
        match self {
            Gravity::Start => 0.0,
            Gravity::Center => 0.5,
            Gravity::End => 1.0,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FocalPoint {
    pub x: f32,
    pub y: f32,
    /// `fp-z`, 1–100: the crop window shrinks by this around the point.
    pub zoom: f32,
    /// `fp-debug`: a cross marks the point on the output.
    pub debug: bool,
}

impl FocalPoint {
    pub const CENTRE: FocalPoint = FocalPoint {
        x: 0.5,
        y: 0.5,
        zoom: 1.0,
        debug: false,
    };
}

/// Which part survives `fit=crop`/`fit=min`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Crop {
    Edges {
        horizontal: Gravity,
        vertical: Gravity,
    },
    FocalPoint(FocalPoint),
    Entropy,
    /// `crop=edges`: the window with the most detail (edge strength).
    Detail,
    /// `crop=faces`: the window centred on the faces found; where none is, placed by the
    /// gravity given after `faces` (`crop=faces,top`), centred by default.
    Faces {
        horizontal: Gravity,
        vertical: Gravity,
    },
}

impl Default for Crop {
    fn default() -> Self {
        Crop::Edges {
            horizontal: Gravity::Center,
            vertical: Gravity::Center,
        }
    }
}

impl fmt::Display for Crop {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Crop::Edges {
                horizontal,
                vertical,
            } => write_gravity(f, *horizontal, *vertical),
            Crop::FocalPoint(_) => f.write_str("focalpoint"),
            Crop::Entropy => f.write_str("entropy"),
            Crop::Detail => f.write_str("edges"),
            Crop::Faces {
                horizontal,
                vertical,
            } => {
                f.write_str("faces")?;
                if (*horizontal, *vertical) != (Gravity::Center, Gravity::Center) {
                    f.write_str(",")?;
                    write_gravity(f, *horizontal, *vertical)?;
                }
                Ok(())
            }
        }
    }
}

/// An edge gravity as imgix writes it: `top,left`, one edge, or `center`.
fn write_gravity(
    f: &mut fmt::Formatter<'_>,
    horizontal: Gravity,
    vertical: Gravity,
) -> fmt::Result {
    let v = match vertical {
        Gravity::Start => Some("top"),
        Gravity::End => Some("bottom"),
        Gravity::Center => None,
    };
    let h = match horizontal {
        Gravity::Start => Some("left"),
        Gravity::End => Some("right"),
        Gravity::Center => None,
    };
    match (v, h) {
        (Some(v), Some(h)) => write!(f, "{v},{h}"),
        (Some(one), None) | (None, Some(one)) => f.write_str(one),
        (None, None) => f.write_str("center"),
    }
}

/// `ar=W:H`, both positive.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AspectRatio {
    pub width: f32,
    pub height: f32,
}

impl AspectRatio {
    /// Width divided by height.
    pub fn ratio(&self) -> f64 {
        f64::from(self.width) / f64::from(self.height)
    }
}

impl fmt::Display for AspectRatio {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.width, self.height)
    }
}

/// `rect=x,y,w,h`: a region of the source in source pixels (after EXIF orientation).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rect {
    pub x: u32,
    pub y: u32,
    pub width: u32,
    pub height: u32,
}

impl fmt::Display for Rect {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{},{},{},{}", self.x, self.y, self.width, self.height)
    }
}

/// An output encoding.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum OutputFormat {
    Jpeg,
    /// Progressive JPEG.
    Pjpeg,
    Png,
    Webp,
    Avif,
    Gif,
}

impl OutputFormat {
    pub fn mime(self) -> &'static str {
        match self {
            OutputFormat::Jpeg | OutputFormat::Pjpeg => "image/jpeg",
            OutputFormat::Png => "image/png",
            OutputFormat::Webp => "image/webp",
            OutputFormat::Avif => "image/avif",
            OutputFormat::Gif => "image/gif",
        }
    }

    /// Whether the encoding can carry transparency.
    pub fn has_alpha(self) -> bool {
        !matches!(self, OutputFormat::Jpeg | OutputFormat::Pjpeg)
    }
}

impl fmt::Display for OutputFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            OutputFormat::Jpeg => "jpg",
            OutputFormat::Pjpeg => "pjpg",
            OutputFormat::Png => "png",
            OutputFormat::Webp => "webp",
            OutputFormat::Avif => "avif",
            OutputFormat::Gif => "gif",
        })
    }
}

/// Clockwise rotation applied after EXIF orientation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Rotation {
    #[default]
    None,
    Quarter,
    Half,
    ThreeQuarters,
}

impl fmt::Display for Rotation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Rotation::None => "0",
            Rotation::Quarter => "90",
            Rotation::Half => "180",
            Rotation::ThreeQuarters => "270",
        })
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Flip {
    pub horizontal: bool,
    pub vertical: bool,
}

impl fmt::Display for Flip {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.horizontal {
            f.write_str("h")?;
        }
        if self.vertical {
            f.write_str("v")?;
        }
        Ok(())
    }
}

/// A finite decimal number. Rejects `inf`, `NaN`, hex and anything with spaces.
pub(super) fn number(v: &str) -> Result<f64, String> {
    let ok = !v.is_empty()
        && v.bytes().all(|b| b.is_ascii_digit() || b == b'.')
        && v.bytes().filter(|b| *b == b'.').count() <= 1
        && v.len() <= 16;
    let n = ok
        .then(|| v.parse::<f64>().ok())
        .flatten()
        .filter(|n| n.is_finite())
        .ok_or_else(|| format!("`{v}` is not a non-negative decimal number"))?;
    // Below a millionth, a value no longer prints back in the 16 characters accepted here, so
    // the canonical form would not parse again (found by fuzzing); nor does it mean anything
    // at pixel scale.
    if n > 0.0 && n < MIN_POSITIVE {
        return Err(format!("`{v}` is too small: use 0, or at least 0.000001"));
    }
    Ok(n)
}

/// The smallest non-zero decimal accepted.
const MIN_POSITIVE: f64 = 1e-6;

pub fn dimension(v: &str) -> Result<Dimension, String> {
    let n = number(v)?;
    if n <= 0.0 {
        Err("must be at least 1 pixel, or a fraction between 0 and 1".into())
    } else if n < 1.0 {
        // A share so close to 1 that it rounds to 1.0 would print back as "1" pixel.
        let share = n as f32;
        if share >= 1.0 {
            return Err("a fraction must be below 1".into());
        }
        Ok(Dimension::Fraction(share))
    } else if n > f64::from(u32::MAX) {
        Err("is too large".into())
    } else {
        Ok(Dimension::Pixels(n.round() as u32))
    }
}

/// `dpr=1` is the default and is folded to `None`.
pub fn dpr(v: &str) -> Result<Option<f32>, String> {
    let n = number(v)?;
    if !(1.0..=5.0).contains(&n) {
        return Err("must be between 1 and 5".into());
    }
    Ok(Some(n as f32).filter(|d| *d != 1.0))
}

pub fn unit_interval(v: &str) -> Result<f32, String> {
    let n = number(v)?;
    if n > 1.0 {
        return Err("must be between 0 and 1".into());
    }
    Ok(n as f32)
}

pub fn int_in(v: &str, min: u32, max: u32) -> Result<u32, String> {
    let n = v
        .parse::<u32>()
        .ok()
        .filter(|_| v.bytes().all(|b| b.is_ascii_digit()));
    n.filter(|n| (min..=max).contains(n))
        .ok_or_else(|| format!("must be a whole number from {min} to {max}"))
}

pub fn fit(v: &str) -> Result<Fit, String> {
    Ok(match v {
        "clip" | "fit" | "contain" => Fit::Clip,
        "max" | "scale-down" => Fit::Max,
        "crop" | "cover" => Fit::Crop,
        "fill" | "pad" => Fit::Fill,
        "fillmax" => Fit::FillMax,
        "scale" | "stretch" | "squeeze" => Fit::Scale,
        "min" => Fit::Min,
        "facearea" => Fit::FaceArea,
        _ => {
            return Err(format!(
                "`{v}` is not one of clip, max, crop, fill, scale, min, facearea"
            ));
        }
    })
}

pub fn crop(v: &str) -> Result<Crop, String> {
    match v {
        "focalpoint" => {
            return Ok(Crop::FocalPoint(FocalPoint::CENTRE));
        }
        "entropy" => return Ok(Crop::Entropy),
        "edges" => return Ok(Crop::Detail),
        _ => {}
    }
    let bad = || {
        format!(
            "`{v}` is not center, an edge (top, bottom, left, right), a pair such as top,left, focalpoint, entropy, edges or faces (with an optional fallback such as faces,top)"
        )
    };
    // `faces` may come first, followed by the gravity used where no face is found.
    if let Some(rest) = v.strip_prefix("faces") {
        let fallback = match rest.strip_prefix(',') {
            Some(gravity) => gravity,
            None if rest.is_empty() => "center",
            None => return Err(bad()),
        };
        let (horizontal, vertical) = gravity(fallback).ok_or_else(bad)?;
        return Ok(Crop::Faces {
            horizontal,
            vertical,
        });
    }
    let (horizontal, vertical) = gravity(v).ok_or_else(bad)?;
    Ok(Crop::Edges {
        horizontal,
        vertical,
    })
}

/// `top`, `left`, `top,left`, `center`…: the horizontal and vertical gravity, each at most once.
fn gravity(v: &str) -> Option<(Gravity, Gravity)> {
    let mut horizontal = None;
    let mut vertical = None;
    for part in v.split(',') {
        let (slot, g) = match part {
            "top" => (&mut vertical, Gravity::Start),
            "bottom" => (&mut vertical, Gravity::End),
            "left" => (&mut horizontal, Gravity::Start),
            "right" => (&mut horizontal, Gravity::End),
            "center" | "centre" => continue,
            _ => return None,
        };
        if slot.replace(g).is_some() {
            return None;
        }
    }
    Some((horizontal.unwrap_or_default(), vertical.unwrap_or_default()))
}

pub fn aspect(v: &str) -> Result<AspectRatio, String> {
    let bad = || format!("`{v}` is not W:H with two positive numbers");
    let (w, h) = v.split_once(':').ok_or_else(bad)?;
    let (w, h) = (number(w).map_err(|_| bad())?, number(h).map_err(|_| bad())?);
    if w <= 0.0 || h <= 0.0 || w > 1e4 || h > 1e4 {
        return Err(bad());
    }
    Ok(AspectRatio {
        width: w as f32,
        height: h as f32,
    })
}

pub fn rect(v: &str) -> Result<Rect, String> {
    let bad = || format!("`{v}` is not x,y,w,h in whole pixels with w and h at least 1");
    let parts: Vec<u32> = v
        .split(',')
        .map(|p| int_in(p, 0, u32::MAX).map_err(|_| bad()))
        .collect::<Result<_, _>>()?;
    match parts[..] {
        [x, y, width, height] if width > 0 && height > 0 => Ok(Rect {
            x,
            y,
            width,
            height,
        }),
        _ => Err(bad()),
    }
}

/// `Ok(None)` is `fm=auto`: negotiate from `Accept`.
pub fn format(v: &str) -> Result<Option<OutputFormat>, String> {
    Ok(Some(match v {
        "jpg" | "jpeg" => OutputFormat::Jpeg,
        "pjpg" => OutputFormat::Pjpeg,
        "png" => OutputFormat::Png,
        "webp" => OutputFormat::Webp,
        "avif" => OutputFormat::Avif,
        "gif" => OutputFormat::Gif,
        "auto" => return Ok(None),
        _ => {
            return Err(format!(
                "`{v}` is not one of jpg, jpeg, pjpg, png, webp, avif, gif, auto"
            ));
        }
    }))
}

/// Returns (`format`, `compress`) from a comma list (empty items skipped). imgix's other values
/// are refused as unsupported before this runs (`registry::check_value`).
pub fn auto(v: &str) -> Result<(bool, bool), String> {
    let (mut format, mut compress) = (false, false);
    for item in v.split(',').map(str::trim).filter(|i| !i.is_empty()) {
        match item {
            "format" => format = true,
            "compress" => compress = true,
            _ => return Err(format!("`{item}` is not format or compress")),
        }
    }
    Ok((format, compress))
}

pub fn flag(v: &str) -> Result<bool, String> {
    match v {
        "1" | "true" => Ok(true),
        "0" | "false" => Ok(false),
        _ => Err("must be 0 or 1".into()),
    }
}

pub fn rotation(v: &str) -> Result<Rotation, String> {
    Ok(match v {
        "0" => Rotation::None,
        "90" => Rotation::Quarter,
        "180" => Rotation::Half,
        "270" => Rotation::ThreeQuarters,
        _ => return Err("must be 0, 90, 180 or 270".into()),
    })
}

pub fn flip(v: &str) -> Result<Flip, String> {
    Ok(match v {
        "h" => Flip {
            horizontal: true,
            vertical: false,
        },
        "v" => Flip {
            horizontal: false,
            vertical: true,
        },
        "hv" | "vh" => Flip {
            horizontal: true,
            vertical: true,
        },
        _ => return Err("must be h, v or hv".into()),
    })
}

/// A download name safe to put in `Content-Disposition`: no path separators, no control
/// characters, at most 255 bytes.
pub fn file_name(v: &str) -> Result<String, String> {
    let ok = !v.is_empty()
        && v.len() <= 255
        && v != "."
        && v != ".."
        && !v.chars().any(|c| c.is_control() || c == '/' || c == '\\');
    if ok {
        Ok(v.to_string())
    } else {
        Err("must be a file name of 1 to 255 bytes without slashes or control characters".into())
    }
}
