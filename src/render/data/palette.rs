//! Colour palettes: the image's colours by frequency (median cut), its average luminance, and
//! six named colours picked by lightness and saturation the way Vibrant.js and Android's
//! Palette name them (vibrant, muted, each also dark and light).

use image::RgbImage;

/// A colour of the palette and how many pixels it stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Swatch {
    pub rgb: [u8; 3],
    pub population: usize,
}

impl Swatch {
    pub fn hex(&self) -> String {
        let [r, g, b] = self.rgb;
        format!("#{r:02x}{g:02x}{b:02x}")
    }
}

/// What `palette` reports of an image.
#[derive(Debug, Clone, PartialEq)]
pub struct Report {
    /// Up to the asked number of colours, most frequent first.
    pub colours: Vec<Swatch>,
    /// Mean Rec. 709 luma of the sRGB-encoded pixels, in [0, 1].
    pub average_luminance: f64,
    /// The named colours that some swatch qualifies for, in [`TARGETS`] order.
    pub dominant: Vec<(&'static str, Swatch)>,
}

/// Swatches the named colours are chosen from.
const CANDIDATES: usize = 32;

/// The palette of `image`: `count` colours by frequency, plus the named ones.
pub fn report(image: &RgbImage, count: usize) -> Report {
    let pixels: Vec<[u8; 3]> = image.pixels().map(|p| p.0).collect();
    let luma_sum: f64 = pixels.iter().map(|p| luma(*p)).sum();
    let average_luminance = luma_sum / pixels.len().max(1) as f64;
    let mut colours = median_cut(&pixels, count);
    colours.sort_by(|a, b| b.population.cmp(&a.population).then(a.rgb.cmp(&b.rgb)));
    let candidates = median_cut(&pixels, CANDIDATES);
    Report {
        colours,
        average_luminance,
        dominant: name_swatches(&candidates),
    }
}

fn luma(p: [u8; 3]) -> f64 {
    (0.2126 * f64::from(p[0]) + 0.7152 * f64::from(p[1]) + 0.0722 * f64::from(p[2])) / 255.0
}

/// Splits the pixels into at most `count` boxes, each time cutting the box with the most
/// pixels that still spans more than one colour at the median of its widest channel; each box
/// gives its mean colour. Deterministic for given pixels.
fn median_cut(pixels: &[[u8; 3]], count: usize) -> Vec<Swatch> {
    if pixels.is_empty() || count == 0 {
        return Vec::new();
    }
    let mut boxes: Vec<Vec<[u8; 3]>> = vec![pixels.to_vec()];
    while boxes.len() < count {
        let widest = boxes
            .iter()
            .enumerate()
            .filter(|(_, b)| spread(b).0 > 0)
            .max_by_key(|(i, b)| (b.len(), std::cmp::Reverse(*i)))
            .map(|(i, _)| i);
        let Some(index) = widest else { break };
        let mut cut = boxes.swap_remove(index);
        let channel = spread(&cut).1;
        cut.sort_unstable_by_key(|p| (p[channel], p[(channel + 1) % 3], p[(channel + 2) % 3]));
        // Cut between two different values so both halves are non-empty and distinct.
        let middle = cut.len() / 2;
        let value = cut[middle][channel];
        let mut at = cut.partition_point(|p| p[channel] < value);
        if at == 0 {
            at = cut.partition_point(|p| p[channel] <= value);
        }
        let upper = cut.split_off(at);
        boxes.push(cut);
        boxes.push(upper);
    }
    boxes.iter().map(|b| mean(b)).collect()
}

/// The largest range of any channel in the box, and that channel.
fn spread(pixels: &[[u8; 3]]) -> (u8, usize) {
    let mut best = (0, 0);
    for c in 0..3 {
        let (lo, hi) = pixels.iter().fold((u8::MAX, u8::MIN), |(lo, hi), p| {
            (lo.min(p[c]), hi.max(p[c]))
        });
        let range = hi.saturating_sub(lo);
        if range > best.0 {
            best = (range, c);
        }
    }
    best
}

fn mean(pixels: &[[u8; 3]]) -> Swatch {
    let mut sum = [0u64; 3];
    for p in pixels {
        for c in 0..3 {
            sum[c] += u64::from(p[c]);
        }
    }
    let n = pixels.len().max(1) as u64;
    Swatch {
        rgb: sum.map(|s| ((s + n / 2) / n) as u8),
        population: pixels.len(),
    }
}

/// A named colour's window in HSL lightness and saturation, and the values it prefers.
struct Target {
    name: &'static str,
    lightness: (f64, f64, f64),
    saturation: (f64, f64, f64),
}

/// (min, target, max) of lightness and saturation per name, as Vibrant.js documents them.
const TARGETS: [Target; 6] = [
    Target {
        name: "vibrant",
        lightness: (0.3, 0.5, 0.7),
        saturation: (0.35, 1.0, 1.0),
    },
    Target {
        name: "vibrant_light",
        lightness: (0.55, 0.74, 1.0),
        saturation: (0.35, 1.0, 1.0),
    },
    Target {
        name: "vibrant_dark",
        lightness: (0.0, 0.26, 0.45),
        saturation: (0.35, 1.0, 1.0),
    },
    Target {
        name: "muted",
        lightness: (0.3, 0.5, 0.7),
        saturation: (0.0, 0.3, 0.4),
    },
    Target {
        name: "muted_light",
        lightness: (0.55, 0.74, 1.0),
        saturation: (0.0, 0.3, 0.4),
    },
    Target {
        name: "muted_dark",
        lightness: (0.0, 0.26, 0.45),
        saturation: (0.0, 0.3, 0.4),
    },
];

/// For each target, the best swatch inside its window not already taken: closeness in
/// lightness weighs most, then saturation, then population.
fn name_swatches(candidates: &[Swatch]) -> Vec<(&'static str, Swatch)> {
    let most = candidates
        .iter()
        .map(|s| s.population)
        .max()
        .unwrap_or(1)
        .max(1) as f64;
    let mut taken = vec![false; candidates.len()];
    let mut named = Vec::new();
    for target in &TARGETS {
        let mut best: Option<(f64, usize)> = None;
        for (i, swatch) in candidates.iter().enumerate() {
            let (s, l) = saturation_lightness(swatch.rgb);
            let inside = (target.lightness.0..=target.lightness.2).contains(&l)
                && (target.saturation.0..=target.saturation.2).contains(&s);
            if taken[i] || !inside {
                continue;
            }
            let score = 3.0 * (1.0 - (s - target.saturation.1).abs())
                + 6.0 * (1.0 - (l - target.lightness.1).abs())
                + swatch.population as f64 / most;
            if best.is_none_or(|(b, _)| score > b) {
                best = Some((score, i));
            }
        }
        if let Some((_, i)) = best {
            taken[i] = true;
            named.push((target.name, candidates[i]));
        }
    }
    named
}

/// HSL saturation and lightness in [0, 1].
fn saturation_lightness(rgb: [u8; 3]) -> (f64, f64) {
    let [r, g, b] = rgb.map(|c| f64::from(c) / 255.0);
    let (max, min) = (r.max(g).max(b), r.min(g).min(b));
    let l = (max + min) / 2.0;
    let d = max - min;
    let s = if d == 0.0 {
        0.0
    } else {
        d / (1.0 - (2.0 * l - 1.0).abs())
    };
    (s.clamp(0.0, 1.0), l)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn two_flat_colours_are_found_by_their_share() {
        let image = RgbImage::from_fn(40, 10, |x, _| {
            image::Rgb(if x < 30 { [200, 30, 30] } else { [20, 40, 200] })
        });
        let report = report(&image, 6);
        let hexes: Vec<String> = report.colours.iter().map(Swatch::hex).collect();
        assert_eq!(hexes, ["#c81e1e", "#1428c8"]);
        assert_eq!(report.colours[0].population, 300);
        let want = (0.75 * luma([200, 30, 30])) + (0.25 * luma([20, 40, 200]));
        assert!((report.average_luminance - want).abs() < 1e-9);
    }

    #[test]
    fn a_saturated_mid_colour_is_vibrant_and_a_grey_is_muted() {
        let image = RgbImage::from_fn(20, 10, |x, _| {
            image::Rgb(if x < 10 {
                [230, 40, 40]
            } else {
                [120, 110, 110]
            })
        });
        let named = report(&image, 6).dominant;
        let find = |n: &str| {
            named
                .iter()
                .find(|(name, _)| *name == n)
                .map(|(_, s)| s.rgb)
        };
        assert_eq!(find("vibrant"), Some([230, 40, 40]));
        assert_eq!(find("muted"), Some([120, 110, 110]));
    }

    #[test]
    fn asking_for_no_colours_gives_none() {
        let image = RgbImage::from_pixel(4, 4, image::Rgb([1, 2, 3]));
        assert!(report(&image, 0).colours.is_empty());
    }
}
