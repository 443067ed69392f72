//! Data outputs: answers that describe the image in text. `fm=json` reads the original's
//! headers; `fm=blurhash` and `palette` read the rendered pixels (after every transform, as
//! imgix does), with transparency seen over `bg` (white by default).

mod blurhash;
mod iptc;
mod metadata;
mod palette;

use std::fmt::Write as _;

use image::{DynamicImage, RgbImage};
use serde_json::{Map, Value, json};

use super::faces::Found;
use super::{Limits, RenderError, decode};
use crate::transform::{Palette, PaletteStyle};

/// The longest side the pixels are averaged down to before a BlurHash.
const BLURHASH_SIDE: u32 = 64;
/// The longest side the pixels are reduced to before a palette is extracted.
const PALETTE_SIDE: u32 = 128;

/// A data output's body and its `Content-Type`.
pub struct Answer {
    pub bytes: Vec<u8>,
    pub content_type: &'static str,
}

impl Answer {
    pub fn into_parts(self) -> (Vec<u8>, &'static str) {
        (self.bytes, self.content_type)
    }
}

/// `fm=json` of `source`: header and metadata only, within the pixel limit like any render;
/// with `faces`, the boxes found (`faces=1`).
pub fn metadata(
    source: &[u8],
    reveal_location: bool,
    faces: Option<&Found>,
    limits: &Limits,
) -> Result<Answer, RenderError> {
    let header = decode::header(source, limits.max_source_pixels)?;
    Ok(Answer {
        bytes: metadata::describe(source, &header, reveal_location, faces),
        content_type: "application/json",
    })
}

/// `fm=blurhash` of the rendered pixels (already flattened: they are opaque).
pub fn blurhash(image: &DynamicImage) -> Answer {
    let (nx, ny) = blurhash::components(image.width(), image.height());
    let hash = blurhash::encode(&image.to_rgb8(), nx, ny, BLURHASH_SIDE);
    Answer {
        bytes: hash.into_bytes(),
        content_type: "text/plain; charset=utf-8",
    }
}

/// The image as RGB, shrunk to fit `side`×`side` when it is larger.
fn reduced(image: &DynamicImage, side: u32) -> RgbImage {
    if image.width().max(image.height()) > side {
        image.thumbnail(side, side).to_rgb8()
    } else {
        image.to_rgb8()
    }
}

/// `palette` of the rendered pixels (already flattened: they are opaque).
pub fn palette(image: &DynamicImage, p: &Palette) -> Answer {
    let report = palette::report(&reduced(image, PALETTE_SIDE), usize::from(p.colours));
    match p.style {
        PaletteStyle::Json => {
            let colour = |s: &palette::Swatch| {
                let [r, g, b] = s.rgb.map(|c| f64::from(c) / 255.0);
                json!({ "red": r, "green": g, "blue": b, "hex": s.hex() })
            };
            let named: Map<String, Value> = report
                .dominant
                .iter()
                .map(|(name, s)| (name.to_string(), colour(s)))
                .collect();
            let doc = json!({
                "colors": report.colours.iter().map(colour).collect::<Vec<_>>(),
                "average_luminance": report.average_luminance,
                "dominant_colors": named,
            });
            Answer {
                bytes: serde_json::to_vec(&doc).unwrap_or_default(),
                content_type: "application/json",
            }
        }
        PaletteStyle::Css => {
            let mut css = String::new();
            let mut rule = |suffix: &str, hex: &str| {
                let prefix = &p.prefix;
                let _ = writeln!(css, ".{prefix}-fg-{suffix} {{ color:{hex} !important; }}");
                let _ = writeln!(
                    css,
                    ".{prefix}-bg-{suffix} {{ background-color:{hex} !important; }}"
                );
            };
            for (i, s) in report.colours.iter().enumerate() {
                rule(&(i + 1).to_string(), &s.hex());
            }
            // Black and white, for text over the swatches, as imgix adds them.
            rule("ex-1", "#000000");
            rule("ex-2", "#ffffff");
            for (name, s) in &report.dominant {
                rule(&name.replace('_', "-"), &s.hex());
            }
            Answer {
                bytes: css.into_bytes(),
                content_type: "text/css; charset=utf-8",
            }
        }
    }
}
