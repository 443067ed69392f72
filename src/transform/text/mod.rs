//! imgix's text (`txt` and its options): words drawn over the rendered image in a font, size,
//! colour and place. Pure parsing; the renderer shapes and draws, and decides which font file
//! a [`Font`] means.

mod font;

pub use font::{Family, Font, Kind};

use percent_encoding::{NON_ALPHANUMERIC, utf8_percent_encode};

use super::colour::{self, Colour};
use super::mark::{Align, align_or, align_words};

/// `txt` longer than this many characters (Unicode scalar values) is refused.
pub const MAX_CHARS: usize = 500;
/// `txt-size` above this is refused (px before `dpr`).
pub const MAX_SIZE: u32 = 1000;
/// `txt-pad`, `txt-line`, `txt-lead`, `txt-track` and `txt-width` above this are refused.
const MAX_PX: u32 = 8192;
const DEFAULT_SIZE: u32 = 12;
const DEFAULT_PAD: u32 = 10;
const BLACK: Colour = Colour {
    r: 0,
    g: 0,
    b: 0,
    a: 255,
};

/// Text to draw, resolved from its parameters. Sizes are px before `dpr`.
#[derive(Debug, Clone, PartialEq)]
pub struct Text {
    /// One line per `\n`.
    pub text: String,
    pub size: u32,
    pub color: Colour,
    pub vertical: Align,
    pub horizontal: Align,
    pub font: Font,
    /// `txt-fit=max`: a line too wide is set smaller instead of clipped.
    pub shrink_to_fit: bool,
    /// `txt-width`: the widest a line may be; else the image's width less `txt-pad` twice.
    pub width: Option<u32>,
    pub clip: Clip,
    /// `txt-pad`: px from the edges the text is aligned to.
    pub pad: u32,
    /// `txt-shad`: a drop shadow's strength, 0–10 (0 is none).
    pub shadow: f32,
    /// `txt-line`: an outline this many px wide, in `line_color`.
    pub line: u32,
    pub line_color: Colour,
    /// `txt-x`/`txt-y`: the text's top-left corner, replacing the alignment on that axis.
    pub x: Option<i32>,
    pub y: Option<i32>,
    /// `txt-lead`: extra px between lines.
    pub lead: u32,
    /// `txt-track`: extra px between characters (at least −4).
    pub track: i32,
}

/// `txt-clip`: which part of a line too wide is cut, and whether `…` marks the cut.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Clip {
    pub side: ClipSide,
    pub ellipsis: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClipSide {
    Start,
    Middle,
    End,
}

impl Default for Clip {
    fn default() -> Clip {
        Clip {
            side: ClipSide::End,
            ellipsis: false,
        }
    }
}

impl Clip {
    fn parse(v: &str) -> Result<Clip, String> {
        let (mut side, mut ellipsis) = (None, false);
        for word in v.split(',').map(str::trim) {
            let slot = match word {
                "start" => ClipSide::Start,
                "middle" => ClipSide::Middle,
                "end" => ClipSide::End,
                "ellipsis" if !ellipsis => {
                    ellipsis = true;
                    continue;
                }
                _ => return Err(format!("`{v}` is not start, middle or end, and ellipsis")),
            };
            if side.replace(slot).is_some() {
                return Err(format!("`{v}` names two places to clip"));
            }
        }
        Ok(Clip {
            side: side.unwrap_or(ClipSide::End),
            ellipsis,
        })
    }

    fn words(self) -> String {
        let side = ["start", "middle", "end"][self.side as usize];
        if self.ellipsis {
            format!("{side},ellipsis")
        } else {
            side.to_string()
        }
    }
}

impl Text {
    pub fn write_canonical(&self, put: &mut impl FnMut(&str, &dyn std::fmt::Display)) {
        // Encoded, so a `&` or `=` in the words cannot be read as another parameter.
        put("txt", &utf8_percent_encode(&self.text, NON_ALPHANUMERIC));
        if self.size != DEFAULT_SIZE {
            put("txt-size", &self.size);
        }
        if self.color != BLACK {
            put("txt-color", &self.color);
        }
        if (self.vertical, self.horizontal) != (Align::End, Align::End) {
            put("txt-align", &align_words((self.vertical, self.horizontal)));
        }
        if self.font != Font::default() {
            put("txt-font", &self.font);
        }
        if self.shrink_to_fit {
            put("txt-fit", &"max");
        }
        if let Some(w) = self.width {
            put("txt-width", &w);
        }
        if self.clip != Clip::default() {
            put("txt-clip", &self.clip.words());
        }
        if self.pad != DEFAULT_PAD {
            put("txt-pad", &self.pad);
        }
        if self.shadow > 0.0 {
            put("txt-shad", &self.shadow);
        }
        if self.line > 0 {
            put("txt-line", &self.line);
            put("txt-line-color", &self.line_color);
        }
        if let Some(x) = self.x {
            put("txt-x", &x);
        }
        if let Some(y) = self.y {
            put("txt-y", &y);
        }
        if self.lead > 0 {
            put("txt-lead", &self.lead);
        }
        if self.track != 0 {
            put("txt-track", &self.track);
        }
    }
}

/// The text's parameters as given; without `txt` they change nothing.
#[derive(Debug, Default)]
pub(super) struct Given {
    text: Option<String>,
    size: Option<u32>,
    color: Option<Colour>,
    align: Option<(Align, Align)>,
    font: Option<Font>,
    shrink_to_fit: bool,
    width: Option<u32>,
    clip: Option<Clip>,
    pad: Option<u32>,
    shadow: Option<f32>,
    line: Option<u32>,
    line_color: Option<Colour>,
    x: Option<i32>,
    y: Option<i32>,
    lead: Option<u32>,
    track: Option<i32>,
}

impl Given {
    pub fn apply(&mut self, canon: &str, v: &str) -> Result<bool, String> {
        match canon {
            "txt" => self.text = Some(text(v)?),
            "txt-size" => self.size = Some(px(v, MAX_SIZE)?.max(1)),
            "txt-color" => self.color = Some(colour::parse(v)?),
            "txt-align" => self.align = Some(align_or(v, (Align::End, Align::End))?),
            "txt-font" => self.font = Some(Font::parse(v)?),
            "txt-fit" => {
                if v != "max" {
                    return Err(format!("`{v}` is not max"));
                }
                self.shrink_to_fit = true;
            }
            "txt-width" => self.width = Some(px(v, MAX_PX)?).filter(|w| *w > 0),
            "txt-clip" => self.clip = Some(Clip::parse(v)?),
            "txt-pad" => self.pad = Some(px(v, MAX_PX)?),
            "txt-shad" => {
                let n: f32 = v
                    .parse()
                    .ok()
                    .filter(|n: &f32| n.is_finite())
                    .ok_or_else(|| format!("`{v}` is not a number"))?;
                self.shadow = Some(n.clamp(0.0, 10.0));
            }
            "txt-line" => self.line = Some(px(v, MAX_PX)?),
            "txt-line-color" => self.line_color = Some(colour::parse(v)?),
            "txt-x" => self.x = Some(signed_px(v)?),
            "txt-y" => self.y = Some(signed_px(v)?),
            "txt-lead" => self.lead = Some(px(v, MAX_PX)?),
            "txt-track" => self.track = Some(signed_px(v)?.clamp(-4, MAX_PX as i32)),
            _ => return Ok(false),
        }
        Ok(true)
    }

    pub fn finish(self) -> Option<Text> {
        let (vertical, horizontal) = self.align.unwrap_or((Align::End, Align::End));
        Some(Text {
            text: self.text?,
            size: self.size.unwrap_or(DEFAULT_SIZE),
            color: self.color.unwrap_or(BLACK),
            vertical,
            horizontal,
            font: self.font.unwrap_or_default(),
            shrink_to_fit: self.shrink_to_fit,
            width: self.width,
            clip: self.clip.unwrap_or_default(),
            pad: self.pad.unwrap_or(DEFAULT_PAD),
            shadow: self.shadow.unwrap_or(0.0),
            line: self.line.unwrap_or(0),
            line_color: self.line_color.unwrap_or(Colour::WHITE),
            x: self.x,
            y: self.y,
            lead: self.lead.unwrap_or(0),
            track: self.track.unwrap_or(0),
        })
    }
}

/// The words: at most [`MAX_CHARS`], no control characters but line breaks (`\r\n` is one).
fn text(v: &str) -> Result<String, String> {
    let count = v.chars().count();
    if count > MAX_CHARS {
        return Err(format!(
            "is {count} characters long; at most {MAX_CHARS} are drawn"
        ));
    }
    let v = v.replace("\r\n", "\n");
    if let Some(c) = v.chars().find(|c| c.is_control() && *c != '\n') {
        return Err(format!(
            "holds the control character U+{:04X}; only line breaks are allowed",
            u32::from(c)
        ));
    }
    if v.trim().is_empty() {
        return Err("has nothing to draw".into());
    }
    Ok(v)
}

/// A whole number of px: negative ones are taken as 0 (imgix's range starts there), above
/// `max` is refused.
fn px(v: &str, max: u32) -> Result<u32, String> {
    let n = super::frame::non_negative(v)?;
    if n > max {
        return Err(format!("`{v}` is above {max}"));
    }
    Ok(n)
}

/// A whole number of px, either sign, within ±8192.
fn signed_px(v: &str) -> Result<i32, String> {
    let n = super::adjustments::whole_number(v)?;
    if n.unsigned_abs() > u64::from(MAX_PX) {
        return Err(format!("`{v}` is beyond ±{MAX_PX}"));
    }
    Ok(n as i32)
}

#[cfg(test)]
mod tests;
