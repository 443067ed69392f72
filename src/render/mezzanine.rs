//! A source's decoded pixels kept between renders, so that a srcset's later widths start from
//! pixels instead of a second decode. Pure policy: the render says when a decode is worth
//! keeping and when a kept one may stand in for a decode; the pipeline stores them.
//!
//! A derivative drawn from a kept decode can differ in its last bits from one drawn from a
//! fresh decode at the DCT scale its own size would pick (more source pixels go into the
//! resize, never fewer), so its bytes, and with them its ETag (a digest of the bytes), depend
//! on what was rendered before it. Its quality against a full-resolution reference is the
//! same or better: see docs/caching.md.

use std::fmt;

use image::DynamicImage;

use super::RenderError;
use super::decode::{Decoded, Header, SourceFormat};
use crate::transform::Transform;

/// Originals smaller than this decode in a few milliseconds: keeping their pixels would
/// take memory from the large ones for nothing.
pub const MIN_SOURCE_PIXELS: u64 = 2_000_000;

/// Upright decoded pixels of one version of a source, in the working layout (L8, Rgb8 or
/// Rgba8), and the ICC profile they are in.
#[derive(Clone)]
pub struct Mezzanine {
    pub(super) image: DynamicImage,
    pub(super) icc: Option<Vec<u8>>,
}

impl Mezzanine {
    pub fn width(&self) -> u32 {
        self.image.width()
    }

    pub fn height(&self) -> u32 {
        self.image.height()
    }

    /// Heap bytes held: the pixels and the profile.
    pub fn bytes(&self) -> u64 {
        self.image.as_bytes().len() as u64 + self.icc.as_ref().map_or(0, |p| p.len() as u64)
    }
}

impl fmt::Debug for Mezzanine {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Mezzanine({}x{})", self.width(), self.height())
    }
}

/// Where a still render's pixels come from.
pub(super) enum Start<'m> {
    /// A decode the render owns: not worth keeping, or not the plain upright decode.
    Owned(Decoded),
    /// A kept decode with the pixels this render needs.
    Kept(&'m Mezzanine),
    /// A fresh decode, to offer for keeping once the render has read it.
    Keeping(Mezzanine),
}

/// The pixels for a render whose own decode would shrink by `shrink`: the `offered` kept
/// decode when it covers them; else `decode(shrink)`, or `decode(1)` when the offered one
/// falls short and the full size fits within `budget` (the image is being asked for at
/// several sizes, and full-size pixels serve every size still to come). `reusable`: whether
/// the render reads the plain upright decode ([`applies`]).
pub(super) fn start<'m>(
    header: &Header,
    reusable: bool,
    offered: Option<&'m Mezzanine>,
    shrink: u32,
    budget: u64,
    decode: impl FnOnce(u32) -> Result<Decoded, RenderError>,
) -> Result<Start<'m>, RenderError> {
    let offered = offered.filter(|_| reusable);
    if let Some(kept) = offered.filter(|kept| covers(kept, header.upright, shrink)) {
        return Ok(Start::Kept(kept));
    }
    let widen = offered.is_some() && full_size_fits(header, budget);
    let decoded = decode(if widen { 1 } else { shrink })?;
    Ok(
        if reusable && worth_keeping(header, &decoded.image, budget) {
            Start::Keeping(Mezzanine {
                image: decoded.image,
                icc: decoded.icc,
            })
        } else {
            Start::Owned(decoded)
        },
    )
}

/// Whether a render of `t` that decodes a still's first image reads it as the plain upright
/// decode a mezzanine holds: not when `trim` decodes it whole first, not when `orient`
/// overrides the file's orientation, and not for SVG (drawn at the output's scale).
pub(super) fn applies(header: &Header, t: &Transform) -> bool {
    t.trim.is_none() && t.orientation.is_none() && header.format != SourceFormat::Svg
}

/// Whether `kept` has at least the pixels a decode shrunk by `shrink` would give (a JPEG's
/// DCT scaling rounds up), i.e. it may stand in for that decode.
fn covers(kept: &Mezzanine, upright: (u32, u32), shrink: u32) -> bool {
    let shrink = shrink.max(1);
    kept.width() >= upright.0.div_ceil(shrink) && kept.height() >= upright.1.div_ceil(shrink)
}

/// Whether the full-size decode of a source with this header would fit within `budget`
/// bytes; the render widens a decode to full size only then.
fn full_size_fits(header: &Header, budget: u64) -> bool {
    let channels = if header.has_alpha { 4 } else { 3 };
    pixels(header) * channels <= budget
}

/// Whether a fresh decode of this source is worth keeping: the source is large and the
/// pixels fit within `budget` bytes.
fn worth_keeping(header: &Header, decoded: &DynamicImage, budget: u64) -> bool {
    pixels(header) >= MIN_SOURCE_PIXELS && decoded.as_bytes().len() as u64 <= budget
}

fn pixels(header: &Header) -> u64 {
    u64::from(header.upright.0) * u64::from(header.upright.1)
}

#[cfg(test)]
mod tests;
