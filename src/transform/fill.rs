//! imgix's fill (`fill=solid|blur|gradient`, `fill-color`, the `fill-gradient-*` family): what
//! paints the space `fit=fill`/`fillmax` leaves around the image. Without `fill` that space is
//! `bg`, as before; `fill` without such a fit changes nothing and stays out of the key.

use super::colour::{self, Colour};
use super::params;

/// A length along the canvas: pixels (× `dpr`), or a share of the canvas' size.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Length {
    Pixels(u32),
    Share(f32),
}

/// The colour space a gradient is interpolated in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum GradientSpace {
    #[default]
    Srgb,
    /// Linear light.
    Linear,
    Oklab,
}

/// What fills the padding `fit=fill` and `fit=fillmax` create.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Fill {
    /// `fill=solid`: one colour (`fill-color`, default white).
    Solid(Colour),
    /// `fill=blur`: a blurred copy of the image enlarged to cover the canvas.
    Blur,
    /// `fill=gradient` with `fill-gradient-type=linear`: from the first colour at the `from`
    /// edge to the second at the opposite one.
    Linear {
        colours: (Colour, Colour),
        from: Edge,
        space: GradientSpace,
    },
    /// `fill=gradient` with `fill-gradient-type=radial`: the first colour inside the inner
    /// radius, the second beyond the outer, around the centre.
    Radial {
        colours: (Colour, Colour),
        radii: (Length, Length),
        centre: (Length, Length),
        space: GradientSpace,
    },
}

/// The edge a linear gradient starts from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Edge {
    Top,
    Bottom,
    Left,
    Right,
}

/// The inputs as given; the gradient's options count only with its type.
#[derive(Debug, Default)]
pub struct Given {
    kind: Option<&'static str>,
    colour: Option<Colour>,
    gradient_type: Option<&'static str>,
    space: Option<GradientSpace>,
    linear: Option<(Colour, Colour)>,
    direction: Option<Edge>,
    radial: Option<(Colour, Colour)>,
    radii: Option<(Length, Length)>,
    x: Option<Length>,
    y: Option<Length>,
}

impl Fill {
    /// Appends the canonical `k=v` pairs through `put`.
    pub fn write_canonical(&self, put: &mut impl FnMut(&str, &dyn std::fmt::Display)) {
        let space =
            |put: &mut dyn FnMut(&str, &dyn std::fmt::Display), space: GradientSpace| match space {
                GradientSpace::Srgb => {}
                GradientSpace::Linear => put("fill-gradient-cs", &"linear"),
                GradientSpace::Oklab => put("fill-gradient-cs", &"oklab"),
            };
        match *self {
            Fill::Solid(c) => {
                put("fill", &"solid");
                put("fill-color", &c);
            }
            Fill::Blur => put("fill", &"blur"),
            Fill::Linear {
                colours: (a, b),
                from,
                space: cs,
            } => {
                put("fill", &"gradient");
                put("fill-gradient-linear", &format_args!("{a},{b}"));
                let direction = match from {
                    Edge::Top => "top,bottom",
                    Edge::Bottom => "bottom,top",
                    Edge::Left => "left,right",
                    Edge::Right => "right,left",
                };
                put("fill-gradient-linear-direction", &direction);
                space(put, cs);
            }
            Fill::Radial {
                colours: (a, b),
                radii: (inner, outer),
                centre: (x, y),
                space: cs,
            } => {
                put("fill", &"gradient");
                put("fill-gradient-type", &"radial");
                put("fill-gradient-radial", &format_args!("{a},{b}"));
                put(
                    "fill-gradient-radial-radius",
                    &format_args!("{},{}", length(inner), length(outer)),
                );
                put("fill-gradient-radial-x", &length(x));
                put("fill-gradient-radial-y", &length(y));
                space(put, cs);
            }
        }
    }
}

fn length(l: Length) -> String {
    match l {
        Length::Pixels(px) => px.to_string(),
        Length::Share(share) => share.to_string(),
    }
}

impl Given {
    /// Applies one fill parameter (`canon` is its canonical name); `false` when `canon` is not
    /// one. The generative values never reach here (the registry refuses them).
    pub fn apply(&mut self, canon: &str, v: &str) -> Result<bool, String> {
        match canon {
            "fill" => {
                self.kind = Some(match v {
                    "solid" => "solid",
                    "blur" => "blur",
                    "gradient" => "gradient",
                    _ => return Err(format!("`{v}` is not solid, blur or gradient")),
                });
            }
            "fill-color" => self.colour = Some(colour::parse(v)?),
            "fill-gradient-type" => {
                self.gradient_type = Some(match v {
                    "linear" => "linear",
                    "radial" => "radial",
                    _ => return Err(format!("`{v}` is not linear or radial")),
                });
            }
            "fill-gradient-cs" => {
                self.space = Some(match v {
                    "srgb" => GradientSpace::Srgb,
                    "linear" => GradientSpace::Linear,
                    "oklab" => GradientSpace::Oklab,
                    _ => return Err(format!("`{v}` is not srgb, linear or oklab")),
                });
            }
            "fill-gradient-linear" => self.linear = Some(two_colours(v)?),
            "fill-gradient-linear-direction" => self.direction = Some(direction(v)?),
            "fill-gradient-radial" => self.radial = Some(two_colours(v)?),
            "fill-gradient-radial-radius" => {
                let (inner, outer) = v
                    .split_once(',')
                    .ok_or_else(|| format!("`{v}` is not two radii, such as 0.25,0.5"))?;
                self.radii = Some((lengths(inner)?, lengths(outer)?));
            }
            "fill-gradient-radial-x" => self.x = Some(lengths(v)?),
            "fill-gradient-radial-y" => self.y = Some(lengths(v)?),
            _ => return Ok(false),
        }
        Ok(true)
    }

    /// The fill, when `fits` (the fit makes padding to fill). A gradient without its two
    /// colours is refused: there is nothing to draw it with.
    pub fn finish(self, fits: bool) -> Result<Option<Fill>, (&'static str, String)> {
        let Some(kind) = self.kind.filter(|_| fits) else {
            return Ok(None);
        };
        let space = self.space.unwrap_or_default();
        Ok(Some(match kind {
            "solid" => Fill::Solid(self.colour.unwrap_or(Colour::WHITE)),
            "blur" => Fill::Blur,
            _ if self.gradient_type == Some("radial") => Fill::Radial {
                colours: self.radial.ok_or_else(|| missing("fill-gradient-radial"))?,
                radii: self
                    .radii
                    .unwrap_or((Length::Share(0.25), Length::Share(0.5))),
                centre: (
                    self.x.unwrap_or(Length::Share(0.5)),
                    self.y.unwrap_or(Length::Share(0.5)),
                ),
                space,
            },
            _ => Fill::Linear {
                colours: self.linear.ok_or_else(|| missing("fill-gradient-linear"))?,
                from: self.direction.unwrap_or(Edge::Top),
                space,
            },
        }))
    }
}

fn missing(name: &'static str) -> (&'static str, String) {
    (
        name,
        "fill=gradient needs its two colours, such as 000000,ffffff".to_string(),
    )
}

fn two_colours(v: &str) -> Result<(Colour, Colour), String> {
    let (a, b) = v
        .split_once(',')
        .ok_or_else(|| format!("`{v}` is not two colours, such as 000000,ffffff"))?;
    Ok((colour::parse(a)?, colour::parse(b)?))
}

/// `from,to` edges (`top,bottom`, `left,right` …): the gradient starts at `from`.
fn direction(v: &str) -> Result<Edge, String> {
    Ok(match v {
        "top,bottom" | "top" => Edge::Top,
        "bottom,top" | "bottom" => Edge::Bottom,
        "left,right" | "left" => Edge::Left,
        "right,left" | "right" => Edge::Right,
        _ => {
            return Err(format!(
                "`{v}` is not two opposite edges, such as top,bottom"
            ));
        }
    })
}

/// Pixels (2–8192) or a share of the canvas in [0, 1].
fn lengths(v: &str) -> Result<Length, String> {
    let n = params::number(v)?;
    if n <= 1.0 {
        Ok(Length::Share(n as f32))
    } else if (2.0..=8192.0).contains(&n) && n.fract() == 0.0 {
        Ok(Length::Pixels(n as u32))
    } else {
        Err(format!(
            "`{v}` is not a share in [0, 1] or whole pixels from 2 to 8192"
        ))
    }
}
