//! imgix's padding and border (`pad`, `pad-top` …, `border`, `border-top` …, `border-radius`,
//! `border-radius-inner`, `border-stroke-size`/`-color`): the frame drawn around the finished
//! image. Sizes are in CSS pixels
//! (the renderer multiplies them by `dpr`); each side and corner is stored resolved, so every
//! spelling of one frame has one canonical form.

use super::colour::{self, Colour};

/// Top, right, bottom, left, in CSS pixels.
pub type Sides = [u32; 4];
/// Top-left, top-right, bottom-right, bottom-left radii, in CSS pixels.
pub type Corners = [u32; 4];

const SIDE_NAMES: [&str; 4] = ["top", "right", "bottom", "left"];

/// The frame around the image: padding inside, then the border, then the stroke.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Frame {
    /// `pad` and `pad-<side>`: filled with `bg` (transparent where the format has alpha, else
    /// white).
    pub pad: Sides,
    /// `border` (and `border-<side>`): widths and colour; `None` without `border`.
    pub border: Option<(Sides, Colour)>,
    /// `border-radius`: the border's outer corners (only with a border).
    pub radius: Corners,
    /// `border-radius-inner`: the corners where the image meets the border.
    pub radius_inner: Corners,
    /// `border-stroke-size` and `border-stroke-color`: a ring of that width and colour around
    /// everything else (transparent white by default, as in imgix).
    pub stroke: Option<(u32, Colour)>,
}

/// `border-stroke-color`'s default: imgix's `0FFF`.
pub const STROKE_DEFAULT: Colour = Colour {
    r: 255,
    g: 255,
    b: 255,
    a: 0,
};

/// The inputs as given: sides override the all-round value whatever the order.
#[derive(Debug, Default)]
pub struct Given {
    pad: Option<u32>,
    pad_sides: [Option<u32>; 4],
    border: Option<(u32, Colour)>,
    border_sides: [Option<u32>; 4],
    radius: Option<Corners>,
    radius_inner: Option<Corners>,
    stroke_size: Option<u32>,
    stroke_colour: Option<Colour>,
}

impl Frame {
    pub fn is_none(&self) -> bool {
        *self == Frame::default()
    }

    /// Left + right and top + bottom: padding, border and stroke together.
    pub fn extent(&self) -> (u32, u32) {
        let sides = self.sides();
        let side = |i: usize| sides[i];
        (
            side(3).saturating_add(side(1)),
            side(0).saturating_add(side(2)),
        )
    }

    /// Each side's padding, border and stroke together, in CSS pixels.
    pub fn sides(&self) -> Sides {
        let border = self.border.map_or([0; 4], |(sides, _)| sides);
        let stroke = self.stroke.map_or(0, |(width, _)| width);
        let mut out = [0; 4];
        for (i, side) in out.iter_mut().enumerate() {
            *side = self.pad[i].saturating_add(border[i]).saturating_add(stroke);
        }
        out
    }

    /// Appends the canonical `k=v` pairs through `put`: an all-round value when the sides
    /// agree, else each side.
    pub fn write_canonical(&self, put: &mut impl FnMut(&str, &dyn std::fmt::Display)) {
        if self.pad[1..].iter().all(|s| *s == self.pad[0]) {
            if self.pad[0] > 0 {
                put("pad", &self.pad[0]);
            }
        } else {
            for (name, side) in SIDE_NAMES.iter().zip(self.pad) {
                if side > 0 {
                    put(&format!("pad-{name}"), &side);
                }
            }
        }
        if let Some((width, colour)) = self.stroke {
            put("border-stroke-size", &width);
            if colour != STROKE_DEFAULT {
                put("border-stroke-color", &colour);
            }
        }
        let Some((widths, colour)) = self.border else {
            return;
        };
        put("border", &format_args!("{},{colour}", widths[0]));
        for (name, side) in SIDE_NAMES.iter().zip(widths).skip(1) {
            if side != widths[0] {
                put(&format!("border-{name}"), &side);
            }
        }
        for (name, corners) in [
            ("border-radius", self.radius),
            ("border-radius-inner", self.radius_inner),
        ] {
            if corners == [corners[0]; 4] {
                if corners[0] > 0 {
                    put(name, &corners[0]);
                }
            } else {
                let [a, b, c, d] = corners;
                put(name, &format_args!("{a},{b},{c},{d}"));
            }
        }
    }
}

impl Given {
    /// Applies one frame parameter (`canon` is its canonical name); `false` when `canon` is
    /// not one.
    pub fn apply(&mut self, canon: &str, v: &str) -> Result<bool, String> {
        if let Some(side) = canon.strip_prefix("pad-") {
            self.pad_sides[side_index(side)] = Some(non_negative(v)?);
            return Ok(true);
        }
        if let Some(side) = canon.strip_prefix("border-")
            && let Some(i) = SIDE_NAMES.iter().position(|s| *s == side)
        {
            self.border_sides[i] = Some(non_negative(v)?.min(MAX_BORDER));
            return Ok(true);
        }
        match canon {
            "pad" => self.pad = Some(non_negative(v)?),
            "border" => self.border = Some(border(v)?),
            "border-radius" => self.radius = Some(parse_corners(v)?),
            "border-radius-inner" => self.radius_inner = Some(parse_corners(v)?),
            "border-stroke-size" => self.stroke_size = Some(non_negative(v)?.min(MAX_BORDER)),
            "border-stroke-color" => self.stroke_colour = Some(colour::parse(v)?),
            _ => return Ok(false),
        }
        Ok(true)
    }

    /// The frame. The border's sides and corners count only beside `border` (alone they change
    /// nothing, as in imgix), and a border whose sides are all 0 is none.
    pub fn finish(self) -> Frame {
        let all = |value: Option<u32>, sides: [Option<u32>; 4]| {
            sides.map(|side| side.or(value).unwrap_or(0))
        };
        let pad = all(self.pad, self.pad_sides);
        let border = self.border.and_then(|(width, colour)| {
            let widths = all(Some(width), self.border_sides);
            (widths != [0; 4]).then_some((widths, colour))
        });
        let corners = |c: Option<Corners>| c.filter(|_| border.is_some()).unwrap_or([0; 4]);
        // The colour alone draws nothing, as in imgix.
        let stroke = self
            .stroke_size
            .filter(|size| *size > 0)
            .map(|size| (size, self.stroke_colour.unwrap_or(STROKE_DEFAULT)));
        Frame {
            pad,
            border,
            radius: corners(self.radius),
            radius_inner: corners(self.radius_inner),
            stroke,
        }
    }
}

/// imgix suggests border widths up to 100 px: wider ones are clamped to that.
const MAX_BORDER: u32 = 100;

fn side_index(side: &str) -> usize {
    SIDE_NAMES.iter().position(|s| *s == side).unwrap_or(0)
}

/// A whole number; negative ones are clamped to 0 (imgix's suggested range starts there).
pub(super) fn non_negative(v: &str) -> Result<u32, String> {
    let n = super::adjustments::whole_number(v)?;
    Ok(u32::try_from(n.max(0)).unwrap_or(u32::MAX))
}

/// `width,colour`, the width clamped into 1–100.
fn border(v: &str) -> Result<(u32, Colour), String> {
    let (width, colour) = v
        .split_once(',')
        .ok_or_else(|| format!("`{v}` is not a width and a colour, such as 10,ff0000"))?;
    let width = non_negative(width)?.clamp(1, MAX_BORDER);
    Ok((width, colour::parse(colour)?))
}

/// One radius for every corner, or four (top-left, top-right, bottom-right, bottom-left);
/// strictly non-negative.
pub(super) fn parse_corners(v: &str) -> Result<Corners, String> {
    let parse = |s: &str| {
        s.parse::<u32>()
            .ok()
            .filter(|_| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()))
            .ok_or_else(|| format!("`{v}` is not one radius or four, whole numbers ≥ 0"))
    };
    let parts: Vec<&str> = v.split(',').collect();
    match parts.as_slice() {
        [one] => Ok([parse(one)?; 4]),
        [a, b, c, d] => Ok([parse(a)?, parse(b)?, parse(c)?, parse(d)?]),
        _ => Err(format!("`{v}` is not one radius or four")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn given(pairs: &[(&str, &str)]) -> Result<Frame, String> {
        let mut given = Given::default();
        for (name, value) in pairs {
            assert!(given.apply(name, value)?, "{name}");
        }
        Ok(given.finish())
    }

    #[test]
    fn sides_override_the_all_round_value_in_any_order() {
        let f = given(&[("pad-left", "3"), ("pad", "10"), ("pad-top", "0")]).unwrap();
        assert_eq!(f.pad, [0, 10, 10, 3]);
        let f = given(&[("border-top", "2"), ("border", "5,red")]).unwrap();
        assert_eq!(f.border.map(|b| b.0), Some([2, 5, 5, 5]));
        assert_eq!(f.extent(), (10, 7));
    }

    #[test]
    fn border_parts_without_a_border_change_nothing() {
        let f = given(&[("border-top", "4"), ("border-radius", "8")]).unwrap();
        assert!(f.is_none());
        let f = given(&[
            ("border", "5,red"),
            ("border-top", "0"),
            ("border-right", "0"),
        ])
        .unwrap();
        assert_eq!(f.border.map(|b| b.0), Some([0, 0, 5, 5]));
        let f = given(&[
            ("border", "5,red"),
            ("border-top", "0"),
            ("border-right", "0"),
            ("border-bottom", "0"),
            ("border-left", "0"),
        ])
        .unwrap();
        assert!(f.is_none());
    }

    #[test]
    fn the_stroke_rings_everything_and_its_colour_alone_is_nothing() {
        let f = given(&[("border-stroke-size", "3"), ("pad", "2")]).unwrap();
        assert_eq!(f.stroke, Some((3, STROKE_DEFAULT)));
        assert_eq!(f.extent(), (10, 10));
        let f = given(&[
            ("border-stroke-color", "red"),
            ("border-stroke-size", "500"),
        ])
        .unwrap();
        assert_eq!(f.stroke.map(|s| s.0), Some(100));
        assert!(given(&[("border-stroke-color", "red")]).unwrap().is_none());
        assert!(given(&[("border-stroke-size", "0")]).unwrap().is_none());
        assert!(given(&[("border-stroke-color", "nope")]).is_err());
    }

    #[test]
    fn values_clamp_or_refuse_as_the_registry_says() {
        let f = given(&[("pad", "-5"), ("border", "500,000")]).unwrap();
        assert_eq!((f.pad, f.border.map(|b| b.0[0])), ([0; 4], Some(100)));
        for bad in [
            [("border", "10")],
            [("border", "10,nope")],
            [("border-radius", "-1")],
            [("border-radius", "1,2")],
            [("pad", "1.5")],
        ] {
            assert!(given(&bad).is_err(), "{bad:?}");
        }
    }
}
