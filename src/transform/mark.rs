//! imgix's watermark (`mark` and its options): another image drawn over the rendered one, from
//! the same source or by URL from another of pixgate's own. The reference is kept as given;
//! the pipeline resolves it, puts its version in the cache key and hands its bytes to the
//! renderer.

use super::layer::LayerRef;
use super::params::Dimension;

/// A mark is drawn this many px from the edges it is aligned to, unless `mark-pad` says.
pub const DEFAULT_PAD: u32 = 5;

/// A watermark, resolved from its parameters.
#[derive(Debug, Clone, PartialEq)]
pub struct Mark {
    /// The mark's image: a path in the same source, or a URL on one of pixgate's hosts.
    pub image: LayerRef,
    /// `mark-w`/`mark-h`: px, or a share of the base image's width/height.
    pub width: Option<Dimension>,
    pub height: Option<Dimension>,
    /// `mark-fit`, within the `mark-w`/`mark-h` box.
    pub fit: MarkFit,
    /// `mark-scale`: the mark's width as a percentage of the base image's (1–100).
    pub scale: Option<u8>,
    pub vertical: Align,
    pub horizontal: Align,
    /// `mark-alpha`: 1–100 % opacity.
    pub alpha: u8,
    /// `mark-pad`: px from the edges it is aligned to.
    pub pad: u32,
    /// `mark-x`/`mark-y`: the top-left corner in px, replacing the alignment on that axis.
    pub x: Option<u32>,
    pub y: Option<u32>,
    /// `mark-if-min-width`/`-height`: drawn only on a base image at least this large.
    pub min_width: Option<u32>,
    pub min_height: Option<u32>,
    /// `mark-tile=grid`: the mark repeated over the whole image.
    pub tiled: bool,
    /// `mark-rot`: clockwise degrees in (0, 360), after sizing.
    pub rotation: Option<f32>,
}

/// Where on an axis: the start (top/left), the middle, or the end (bottom/right).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Align {
    Start,
    Middle,
    End,
}

/// How the mark meets its `mark-w`/`mark-h` box.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum MarkFit {
    /// Inside the box, aspect kept (imgix's default).
    #[default]
    Clip,
    /// `clip` that never enlarges.
    Max,
    /// Exactly the box, stretched.
    Scale,
    /// Covers the box, the overflow cut from the centre.
    Crop,
    /// Inside the box, padded to it with transparency.
    Fill,
}

impl MarkFit {
    pub(super) const ALL: [MarkFit; 5] = [
        MarkFit::Clip,
        MarkFit::Crop,
        MarkFit::Fill,
        MarkFit::Max,
        MarkFit::Scale,
    ];

    pub(super) fn name(self) -> &'static str {
        match self {
            MarkFit::Clip => "clip",
            MarkFit::Max => "max",
            MarkFit::Scale => "scale",
            MarkFit::Crop => "crop",
            MarkFit::Fill => "fill",
        }
    }

    /// One of `allowed`, by name.
    pub(super) fn parse(v: &str, allowed: &[MarkFit]) -> Result<MarkFit, String> {
        allowed
            .iter()
            .copied()
            .find(|f| f.name() == v)
            .ok_or_else(|| {
                let names: Vec<&str> = allowed.iter().map(|f| f.name()).collect();
                format!("`{v}` is not {}", names.join(", "))
            })
    }
}

/// `top,left` and so on: the canonical spelling of an alignment.
pub(super) fn align_words((v, h): (Align, Align)) -> String {
    let v = ["top", "middle", "bottom"][v as usize];
    let h = ["left", "center", "right"][h as usize];
    format!("{v},{h}")
}

impl Mark {
    pub fn write_canonical(&self, put: &mut impl FnMut(&str, &dyn std::fmt::Display)) {
        put("mark", &self.image);
        if let Some(w) = &self.width {
            put("mark-w", w);
        }
        if let Some(h) = &self.height {
            put("mark-h", h);
        }
        if self.fit != MarkFit::Clip {
            put("mark-fit", &self.fit.name());
        }
        if let Some(s) = self.scale {
            put("mark-scale", &s);
        }
        if (self.vertical, self.horizontal) != (Align::End, Align::End) {
            put("mark-align", &align_words((self.vertical, self.horizontal)));
        }
        if self.alpha != 100 {
            put("mark-alpha", &self.alpha);
        }
        if self.pad != DEFAULT_PAD {
            put("mark-pad", &self.pad);
        }
        if let Some(x) = self.x {
            put("mark-x", &x);
        }
        if let Some(y) = self.y {
            put("mark-y", &y);
        }
        if let Some(w) = self.min_width {
            put("mark-if-min-width", &w);
        }
        if let Some(h) = self.min_height {
            put("mark-if-min-height", &h);
        }
        if self.tiled {
            put("mark-tile", &"grid");
        }
        if let Some(r) = self.rotation {
            put("mark-rot", &r);
        }
    }
}

/// The mark's parameters as given; without `mark` they change nothing.
#[derive(Debug, Default)]
pub(super) struct Given {
    image: Option<LayerRef>,
    /// `mark-base`: a URL a relative `mark` is appended to.
    base: Option<String>,
    width: Option<Dimension>,
    height: Option<Dimension>,
    fit: Option<MarkFit>,
    scale: Option<u8>,
    align: Option<(Align, Align)>,
    alpha: Option<u8>,
    pad: Option<u32>,
    x: Option<u32>,
    y: Option<u32>,
    min_width: Option<u32>,
    min_height: Option<u32>,
    tiled: bool,
    rotation: Option<f32>,
}

impl Given {
    pub fn apply(&mut self, canon: &str, v: &str) -> Result<bool, String> {
        let whole = super::frame::non_negative;
        match canon {
            "mark" => self.image = Some(LayerRef::parse(v)?),
            "mark-base" => {
                LayerRef::based(v, "")?;
                self.base = Some(v.to_string());
            }
            "mark-w" => self.width = Some(mark_dimension(v)?),
            "mark-h" => self.height = Some(mark_dimension(v)?),
            "mark-fit" => self.fit = Some(MarkFit::parse(v, &MarkFit::ALL)?),
            "mark-scale" => {
                let n = super::adjustments::clamped_int(v, 0, 100)?;
                self.scale = u8::try_from(n).ok().filter(|s| *s > 0);
            }
            "mark-align" => self.align = Some(align(v)?),
            "mark-alpha" => {
                let n = super::adjustments::clamped_int(v, 1, 100)?;
                self.alpha = u8::try_from(n).ok();
            }
            "mark-pad" => self.pad = Some(whole(v)?),
            "mark-x" => self.x = Some(whole(v)?),
            "mark-y" => self.y = Some(strict_whole(v)?),
            "mark-if-min-width" => self.min_width = Some(strict_whole(v)?),
            "mark-if-min-height" => self.min_height = Some(strict_whole(v)?),
            "mark-tile" => {
                if v != "grid" {
                    return Err(format!("`{v}` is not grid"));
                }
                self.tiled = true;
            }
            "mark-rot" => {
                // imgix's suggested range is 0–359: other angles are taken round the circle.
                let degrees: f64 = v
                    .parse()
                    .ok()
                    .filter(|d: &f64| d.is_finite())
                    .ok_or_else(|| format!("`{v}` is not a number of degrees"))?;
                let turned = degrees.rem_euclid(360.0) as f32;
                self.rotation = Some(turned).filter(|r| *r != 0.0);
            }
            _ => return Ok(false),
        }
        Ok(true)
    }

    /// The mark, or `None` without `mark`; the error names the parameter at fault.
    pub fn finish(self) -> Result<Option<Mark>, (&'static str, String)> {
        let Some(image) = self.image else {
            return Ok(None);
        };
        let image = match (self.base, image) {
            (None, image) => image,
            (Some(base), LayerRef::Path(path)) => {
                LayerRef::based(&base, &path).map_err(|e| ("mark-base", e))?
            }
            (Some(_), LayerRef::Url { .. }) => {
                return Err(("mark-base", "goes with a path in `mark`, not a URL".into()));
            }
        };
        let (vertical, horizontal) = self.align.unwrap_or((Align::End, Align::End));
        Ok(Some(Mark {
            image,
            width: self.width,
            height: self.height,
            fit: self.fit.unwrap_or_default(),
            scale: self.scale,
            vertical,
            horizontal,
            alpha: self.alpha.unwrap_or(100),
            pad: self.pad.unwrap_or(DEFAULT_PAD),
            x: self.x,
            y: self.y,
            min_width: self.min_width.filter(|w| *w > 0),
            min_height: self.min_height.filter(|h| *h > 0),
            tiled: self.tiled,
            rotation: self.rotation,
        }))
    }
}

/// A source's enforced watermark from its config value: a query of mark parameters
/// (`mark=/brand/logo.png&mark-alpha=40&mark-scale=20`), the same names and values as in URLs
/// and nothing else.
pub fn watermark(query: &str) -> Result<Mark, String> {
    let pairs: Vec<(String, String)> =
        serde_urlencoded::from_str(query).map_err(|_| "is not a query string".to_string())?;
    for (name, _) in &pairs {
        if !super::canonical_name(name).is_some_and(|c| c.starts_with("mark")) {
            return Err(format!(
                "`{name}` is not a watermark parameter (mark, mark-*)"
            ));
        }
    }
    let params = super::parse(&pairs).map_err(|e| e.to_string())?;
    let mark = params
        .transform
        .mark
        .map(|mark| *mark)
        .ok_or_else(|| "names no `mark` (the image to draw)".to_string())?;
    match mark.image {
        LayerRef::Path(_) => Ok(mark),
        LayerRef::Url { .. } => Err("`mark` must be a path in the same source".into()),
    }
}

/// `mark-w`/`mark-h`: 2–8192 px, or a share in (0, 1] of the base image (1 is all of it).
pub(super) fn mark_dimension(v: &str) -> Result<Dimension, String> {
    let n: f64 = v
        .parse()
        .ok()
        .filter(|n: &f64| n.is_finite())
        .ok_or_else(|| format!("`{v}` is not a number"))?;
    if n > 0.0 && n <= 1.0 {
        return Ok(Dimension::Fraction(n as f32));
    }
    if !(2.0..=8192.0).contains(&n) {
        return Err(format!(
            "`{v}` is neither 2–8192 px nor a share between 0 and 1"
        ));
    }
    Ok(Dimension::Pixels(n.round() as u32))
}

fn strict_whole(v: &str) -> Result<u32, String> {
    v.parse::<u32>()
        .map_err(|_| format!("`{v}` is not a whole number of pixels"))
}

/// Comma list of a vertical and a horizontal word, either order, each at most once; an axis
/// not named is the end (bottom, right), as for marks.
fn align(v: &str) -> Result<(Align, Align), String> {
    align_or(v, (Align::End, Align::End))
}

/// [`align`] with `default` for an axis not named.
pub(super) fn align_or(v: &str, default: (Align, Align)) -> Result<(Align, Align), String> {
    let (mut vertical, mut horizontal) = (None, None);
    for word in v.split(',').map(str::trim) {
        let (slot, value) = match word {
            "top" => (&mut vertical, Align::Start),
            "middle" => (&mut vertical, Align::Middle),
            "bottom" => (&mut vertical, Align::End),
            "left" => (&mut horizontal, Align::Start),
            "center" => (&mut horizontal, Align::Middle),
            "right" => (&mut horizontal, Align::End),
            _ => {
                return Err(format!(
                    "`{word}` is not top, middle, bottom, left, center or right"
                ));
            }
        };
        if slot.replace(value).is_some() {
            return Err(format!("`{v}` names one axis twice"));
        }
    }
    Ok((
        vertical.unwrap_or(default.0),
        horizontal.unwrap_or(default.1),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mark(pairs: &[(&str, &str)]) -> Result<Option<Mark>, String> {
        let mut given = Given::default();
        for (name, value) in pairs {
            assert!(given.apply(name, value)?, "{name}");
        }
        given.finish().map_err(|(_, e)| e)
    }

    #[test]
    fn options_without_a_mark_change_nothing_and_defaults_are_imgix_s() {
        assert_eq!(mark(&[("mark-alpha", "50")]).unwrap(), None);
        let m = mark(&[("mark", "/brand/logo.png")]).unwrap().unwrap();
        assert_eq!(m.image, LayerRef::Path("brand/logo.png".into()));
        assert_eq!((m.vertical, m.horizontal), (Align::End, Align::End));
        assert_eq!((m.alpha, m.pad, m.fit), (100, 5, MarkFit::Clip));
    }

    #[test]
    fn values_are_read_as_the_registry_says() {
        let m = mark(&[
            ("mark", "logo.png"),
            ("mark-align", "left,top"),
            ("mark-alpha", "0"),
            ("mark-w", "0.25"),
            ("mark-h", "40"),
            ("mark-scale", "300"),
        ])
        .unwrap()
        .unwrap();
        assert_eq!((m.vertical, m.horizontal), (Align::Start, Align::Start));
        assert_eq!(m.alpha, 1, "clamped into 1–100");
        assert_eq!(m.width, Some(Dimension::Fraction(0.25)));
        assert_eq!(m.height, Some(Dimension::Pixels(40)));
        assert_eq!(m.scale, Some(100));
        for bad in [
            ("mark", "https://user:pw@evil.test/x.png"),
            ("mark", "/"),
            ("mark-base", "/brand"),
            ("mark-align", "top,bottom"),
            ("mark-align", "up"),
            ("mark-w", "1.5"),
            ("mark-w", "0"),
            ("mark-w", "9000"),
            ("mark-fit", "cover"),
            ("mark-y", "-1"),
            ("mark-tile", "random"),
            ("mark-rot", "left"),
        ] {
            assert!(mark(&[bad]).is_err(), "{bad:?}");
        }
    }
}
