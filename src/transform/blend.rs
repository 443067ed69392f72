//! imgix's blend (`blend`, `blend-color`, `blend-mode`, `blend-alpha`, and for an image blend
//! its size and place): a colour over the whole image, or another image of the same source,
//! mixed with the render by one of sixteen modes.

use super::colour::{self, Colour};
use super::layer::LayerRef;
use super::mark::{Align, MarkFit, align_words, mark_dimension};
use super::params::Dimension;

/// What is blended in.
#[derive(Debug, Clone, PartialEq)]
pub enum Layer {
    /// A colour over the whole image.
    Colour(Colour),
    /// An image of the same source, or by URL of another of pixgate's own.
    Image(LayerRef),
}

/// How the layer mixes with the image: W3C Compositing and Blending Level 1's modes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Normal,
    Multiply,
    Screen,
    Overlay,
    Darken,
    Lighten,
    Dodge,
    Burn,
    HardLight,
    SoftLight,
    Difference,
    Exclusion,
    Hue,
    Saturation,
    Color,
    Luminosity,
}

impl Mode {
    const NAMES: [(&'static str, Mode); 16] = [
        ("normal", Mode::Normal),
        ("multiply", Mode::Multiply),
        ("screen", Mode::Screen),
        ("overlay", Mode::Overlay),
        ("darken", Mode::Darken),
        ("lighten", Mode::Lighten),
        ("dodge", Mode::Dodge),
        ("burn", Mode::Burn),
        ("hardlight", Mode::HardLight),
        ("softlight", Mode::SoftLight),
        ("difference", Mode::Difference),
        ("exclusion", Mode::Exclusion),
        ("hue", Mode::Hue),
        ("saturation", Mode::Saturation),
        ("color", Mode::Color),
        ("luminosity", Mode::Luminosity),
    ];

    fn name(self) -> &'static str {
        Self::NAMES
            .iter()
            .find(|(_, m)| *m == self)
            .map_or("overlay", |(n, _)| n)
    }
}

/// A blend, resolved.
#[derive(Debug, Clone, PartialEq)]
pub struct Blend {
    pub layer: Layer,
    /// imgix's default is `overlay`.
    pub mode: Mode,
    /// `blend-alpha`: 0–100 % of the layer.
    pub alpha: u8,
    /// For an image: `blend-size=inherit` (the image's size), else `blend-w`/`blend-h`.
    pub inherit: bool,
    pub width: Option<Dimension>,
    pub height: Option<Dimension>,
    pub fit: MarkFit,
    /// `blend-crop`: which part survives `blend-fit=crop` (vertical, horizontal).
    pub crop: (Align, Align),
    /// `blend-align`: where the layer sits (top-left by default).
    pub align: (Align, Align),
    pub pad: u32,
    pub x: Option<u32>,
    pub y: Option<u32>,
}

impl Blend {
    /// The image layer's path, if the layer is an image.
    pub fn image(&self) -> Option<&LayerRef> {
        match &self.layer {
            Layer::Image(image) => Some(image),
            Layer::Colour(_) => None,
        }
    }

    pub fn write_canonical(&self, put: &mut impl FnMut(&str, &dyn std::fmt::Display)) {
        match &self.layer {
            Layer::Colour(c) => put("blend", c),
            Layer::Image(p) => put("blend", p),
        }
        if self.mode != Mode::Overlay {
            put("blend-mode", &self.mode.name());
        }
        if self.alpha != 100 {
            put("blend-alpha", &self.alpha);
        }
        if matches!(self.layer, Layer::Colour(_)) {
            return;
        }
        if self.inherit {
            put("blend-size", &"inherit");
        }
        if let Some(w) = &self.width {
            put("blend-w", w);
        }
        if let Some(h) = &self.height {
            put("blend-h", h);
        }
        if self.fit != MarkFit::Clip {
            put("blend-fit", &self.fit.name());
        }
        if self.crop != (Align::Middle, Align::Middle) {
            put("blend-crop", &align_words(self.crop));
        }
        if self.align != (Align::Start, Align::Start) {
            put("blend-align", &align_words(self.align));
        }
        if self.pad != 0 {
            put("blend-pad", &self.pad);
        }
        if let Some(x) = self.x {
            put("blend-x", &x);
        }
        if let Some(y) = self.y {
            put("blend-y", &y);
        }
    }
}

/// The blend's parameters as given.
#[derive(Debug, Default)]
pub(super) struct Given {
    layer: Option<Layer>,
    colour: Option<Colour>,
    mode: Option<Mode>,
    alpha: Option<u8>,
    inherit: bool,
    width: Option<Dimension>,
    height: Option<Dimension>,
    fit: Option<MarkFit>,
    crop: Option<(Align, Align)>,
    align: Option<(Align, Align)>,
    pad: Option<u32>,
    x: Option<u32>,
    y: Option<u32>,
}

impl Given {
    pub fn apply(&mut self, canon: &str, v: &str) -> Result<bool, String> {
        let whole = super::frame::non_negative;
        match canon {
            // A colour when it reads as one, else a path (imgix takes either).
            "blend" => {
                self.layer = Some(match colour::parse(v) {
                    Ok(c) => Layer::Colour(c),
                    Err(_) => Layer::Image(LayerRef::parse(v)?),
                });
            }
            "blend-color" => self.colour = Some(colour::parse(v)?),
            "blend-mode" => {
                self.mode = Some(
                    Mode::NAMES
                        .iter()
                        .find(|(n, _)| *n == v)
                        .map(|(_, m)| *m)
                        .ok_or_else(|| format!("`{v}` is not one of imgix's sixteen modes"))?,
                );
            }
            "blend-alpha" => {
                let n: u8 = v
                    .parse()
                    .ok()
                    .filter(|n| *n <= 100)
                    .ok_or_else(|| format!("`{v}` is not a whole number from 0 to 100"))?;
                self.alpha = Some(n);
            }
            "blend-size" => {
                if v != "inherit" {
                    return Err(format!("`{v}` is not inherit"));
                }
                self.inherit = true;
            }
            "blend-w" => self.width = Some(mark_dimension(v)?),
            "blend-h" => self.height = Some(mark_dimension(v)?),
            // imgix's blends have no `fill`.
            "blend-fit" => {
                let allowed = [MarkFit::Clip, MarkFit::Crop, MarkFit::Max, MarkFit::Scale];
                self.fit = Some(MarkFit::parse(v, &allowed)?);
            }
            "blend-crop" => self.crop = Some(gravity(v)?),
            "blend-align" => {
                self.align = Some(super::mark::align_or(v, (Align::Start, Align::Start))?)
            }
            "blend-pad" => self.pad = Some(whole(v)?),
            "blend-x" => self.x = Some(whole(v)?),
            "blend-y" => self.y = Some(whole(v)?),
            _ => return Ok(false),
        }
        Ok(true)
    }

    /// The blend: `blend`, or `blend-color` alone (both at once is a conflict, named).
    pub fn finish(self) -> Result<Option<Blend>, (&'static str, String)> {
        let layer = match (self.layer, self.colour) {
            (Some(_), Some(_)) => {
                return Err((
                    "blend-color",
                    "`blend` already names what is blended; give one of the two".into(),
                ));
            }
            (Some(layer), None) => layer,
            (None, Some(colour)) => Layer::Colour(colour),
            (None, None) => return Ok(None),
        };
        Ok(Some(Blend {
            layer,
            mode: self.mode.unwrap_or(Mode::Overlay),
            alpha: self.alpha.unwrap_or(100),
            inherit: self.inherit,
            width: self.width,
            height: self.height,
            fit: self.fit.unwrap_or_default(),
            crop: self.crop.unwrap_or((Align::Middle, Align::Middle)),
            align: self.align.unwrap_or((Align::Start, Align::Start)),
            pad: self.pad.unwrap_or(0),
            x: self.x,
            y: self.y,
        }))
    }
}

/// `blend-crop`: top/bottom and left/right words; `faces` needs face detection.
fn gravity(v: &str) -> Result<(Align, Align), String> {
    super::mark::align_or(v, (Align::Middle, Align::Middle))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn blend(pairs: &[(&str, &str)]) -> Result<Option<Blend>, String> {
        let mut given = Given::default();
        for (name, value) in pairs {
            assert!(given.apply(name, value)?, "{name}");
        }
        given.finish().map_err(|(_, reason)| reason)
    }

    #[test]
    fn a_colour_or_a_path_and_imgix_defaults() {
        let b = blend(&[("blend", "f00")]).unwrap().unwrap();
        assert!(matches!(b.layer, Layer::Colour(c) if c.r == 255 && c.g == 0));
        assert_eq!((b.mode, b.alpha), (Mode::Overlay, 100));
        let b = blend(&[("blend", "/textures/paper.png")]).unwrap().unwrap();
        assert_eq!(
            b.image().and_then(LayerRef::path),
            Some("textures/paper.png")
        );
        let b = blend(&[("blend-color", "red"), ("blend-mode", "multiply")])
            .unwrap()
            .unwrap();
        assert_eq!(b.mode, Mode::Multiply);
        assert_eq!(blend(&[("blend-mode", "screen")]).unwrap(), None);
    }

    #[test]
    fn bad_values_are_refused() {
        for bad in [
            vec![("blend-mode", "add")],
            vec![("blend-alpha", "101")],
            vec![("blend-alpha", "-1")],
            vec![("blend-fit", "clamp")],
            vec![("blend-size", "cover")],
            vec![("blend", "https://user:pw@evil.test/x.png")],
            vec![("blend", "red"), ("blend-color", "blue")],
        ] {
            assert!(blend(&bad).is_err(), "{bad:?}");
        }
    }
}
