//! imgix's output options (`chromasub`, `jpg-progressive`, `dpi`, `colorquant`, `cs`, `iptc`):
//! how the encoder writes the derivative. Values that only confirm what pixgate does anyway
//! (`cs=srgb`, `cs=strip`, `iptc=block`) are accepted and leave the key as it was.

use super::params::{self, OutputFormat};

/// The largest `dpi` written (JFIF's field is 16 bits); larger values are clamped.
pub const MAX_DPI: u32 = 65_535;

/// JPEG chroma subsampling.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Chroma {
    /// 4:4:4, full chroma.
    Full,
    /// 4:2:2, half horizontally.
    Half,
    /// 4:2:0, half both ways.
    Quarter,
}

/// How the encoder writes the output.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Output {
    /// `chromasub`: JPEG's subsampling; `None` is pixgate's default (4:2:0 below quality 90,
    /// 4:4:4 from 90).
    pub chroma: Option<Chroma>,
    /// `jpg-progressive` for a JPEG output whose format is not given explicitly (an explicit
    /// `fm=jpg`/`pjpg` absorbs it).
    pub progressive: Option<bool>,
    /// `dpi`, 1–65535: written into JPEG (JFIF density) and PNG (`pHYs`).
    pub dpi: Option<u32>,
    /// `colorquant`, 2–256: at most this many colours.
    pub colours: Option<u16>,
    /// `iptc=allow`: a JPEG source's IPTC (APP13) is copied into a JPEG output.
    pub keep_iptc: bool,
}

impl Output {
    pub fn write_canonical(&self, put: &mut impl FnMut(&str, &dyn std::fmt::Display)) {
        if let Some(c) = self.chroma {
            let value = match c {
                Chroma::Full => 444,
                Chroma::Half => 422,
                Chroma::Quarter => 420,
            };
            put("chromasub", &value);
        }
        if let Some(p) = self.progressive {
            put("jpg-progressive", &u8::from(p));
        }
        if let Some(d) = self.dpi {
            put("dpi", &d);
        }
        if let Some(n) = self.colours {
            put("colorquant", &n);
        }
        if self.keep_iptc {
            put("iptc", &"allow");
        }
    }

    /// Fits the options to an explicit output format, returning the format: JPEG absorbs
    /// `jpg-progressive`, and options a format does not have are dropped so they stay out of
    /// the cache key. Without an explicit format they wait for the negotiated one.
    pub fn settle(&mut self, format: Option<OutputFormat>) -> Option<OutputFormat> {
        let format = format?;
        let progressive = self.progressive.take();
        let format = match (format, progressive) {
            (OutputFormat::Jpeg, Some(true)) => OutputFormat::Pjpeg,
            (OutputFormat::Pjpeg, Some(false)) => OutputFormat::Jpeg,
            (format, _) => format,
        };
        let jpeg = matches!(format, OutputFormat::Jpeg | OutputFormat::Pjpeg);
        if !jpeg {
            self.chroma = None;
            self.keep_iptc = false;
        }
        if !jpeg && format != OutputFormat::Png {
            self.dpi = None;
        }
        Some(format)
    }

    /// Applies one output parameter (`canon` is its canonical name); `false` when `canon` is
    /// not one. `cs` values other than `srgb` and `strip` never reach here (the registry
    /// refuses them for now).
    pub fn apply(&mut self, canon: &str, v: &str) -> Result<bool, String> {
        match canon {
            "chromasub" => {
                self.chroma = Some(match v {
                    "444" => Chroma::Full,
                    "422" => Chroma::Half,
                    "420" => Chroma::Quarter,
                    _ => return Err(format!("`{v}` is not 444, 422 or 420")),
                });
            }
            "jpg-progressive" => self.progressive = Some(params::flag(v)?),
            "dpi" => {
                // JFIF holds 16 bits; no print needs more.
                let dpi = super::adjustments::whole_number(v)?.clamp(0, i64::from(MAX_DPI));
                self.dpi = u32::try_from(dpi).ok().filter(|d| *d > 0);
            }
            "colorquant" => {
                let n = super::adjustments::clamped_int(v, 2, 256)?;
                self.colours = u16::try_from(n).ok();
            }
            // pixgate converts to sRGB and strips every profile: both ask for what it does.
            "cs" => {
                if !matches!(v, "srgb" | "strip") {
                    return Err(format!("`{v}` is not srgb or strip"));
                }
            }
            "iptc" => {
                self.keep_iptc = match v {
                    "allow" => true,
                    "block" => false,
                    _ => return Err(format!("`{v}` is not allow or block")),
                };
            }
            _ => return Ok(false),
        }
        Ok(true)
    }
}
