//! Colour management. Embedded ICC profiles are converted to sRGB with `moxcms` (pure Rust,
//! already inside `image`), so a Display P3 or Adobe RGB photo keeps its colours instead of
//! looking washed out; CMYK becomes RGB through its profile when it has one.
//!
//! A profile that cannot be parsed, or does not fit the pixels, is ignored and the pixels
//! are taken as sRGB — what browsers do with broken profiles.

use std::panic::{AssertUnwindSafe, catch_unwind};

use image::{DynamicImage, RgbImage, RgbaImage};
use moxcms::{ColorProfile, DataColorSpace, Layout, TransformExecutor, TransformOptions};

/// Converts RGB(A) pixels described by `icc` to sRGB. Grey images are left alone: a grey
/// profile only changes the tone curve slightly, and sRGB grey is what every viewer assumes.
pub fn to_srgb(image: DynamicImage, icc: &[u8]) -> DynamicImage {
    let converted = catch_unwind(AssertUnwindSafe(|| match &image {
        DynamicImage::ImageRgb8(rgb) => transform(icc, Layout::Rgb, rgb.as_raw(), Layout::Rgb)
            .and_then(|px| RgbImage::from_raw(rgb.width(), rgb.height(), px))
            .map(DynamicImage::ImageRgb8),
        DynamicImage::ImageRgba8(rgba) => transform(icc, Layout::Rgba, rgba.as_raw(), Layout::Rgba)
            .and_then(|px| RgbaImage::from_raw(rgba.width(), rgba.height(), px))
            .map(DynamicImage::ImageRgba8),
        _ => None,
    }));
    match converted {
        Ok(Some(converted)) => converted,
        _ => image,
    }
}

/// CMYK samples (4 per pixel) to sRGB (3 per pixel). `inverted` is Adobe's convention of
/// 0 meaning full ink. With a CMYK profile the conversion is colour-managed; without one it
/// is the textbook `(1 − C)(1 − K)`, which keeps the colours recognisable but not exact.
pub fn cmyk_to_srgb(mut cmyk: Vec<u8>, inverted: bool, icc: Option<&[u8]>) -> Vec<u8> {
    if inverted {
        // ICC profiles count ink: 0 is none.
        cmyk.iter_mut().for_each(|v| *v = 255 - *v);
    }
    let managed = icc.and_then(|icc| {
        catch_unwind(AssertUnwindSafe(|| {
            transform(icc, Layout::Rgba, &cmyk, Layout::Rgb)
        }))
        .ok()
        .flatten()
    });
    managed.unwrap_or_else(|| naive_cmyk(&cmyk))
}

fn naive_cmyk(cmyk: &[u8]) -> Vec<u8> {
    let mut rgb = Vec::with_capacity(cmyk.len() / 4 * 3);
    for px in cmyk.chunks_exact(4) {
        let k = 255 - u16::from(px[3]);
        for &ink in &px[..3] {
            rgb.push((((255 - u16::from(ink)) * k + 127) / 255) as u8);
        }
    }
    rgb
}

/// Runs `pixels` (laid out as `from`) through the profile to sRGB (laid out as `to`).
/// `None` when the profile is unusable for these pixels, or when it would change nothing.
fn transform(icc: &[u8], from: Layout, pixels: &[u8], to: Layout) -> Option<Vec<u8>> {
    let source = ColorProfile::new_from_slice(icc).ok()?;
    let expected = if from == Layout::Rgba && to == Layout::Rgb {
        DataColorSpace::Cmyk
    } else {
        DataColorSpace::Rgb
    };
    if source.color_space != expected {
        return None;
    }
    let srgb = ColorProfile::new_srgb();
    if from == to && is_srgb(&source, &srgb) {
        return None;
    }
    let executor = source
        .create_transform_8bit(from, &srgb, to, TransformOptions::default())
        .ok()?;
    if from == to && changes_nothing(executor.as_ref(), from) {
        return None;
    }
    let count = pixels.len() / from.channels();
    let mut out = vec![0u8; count * to.channels()];
    executor.transform(pixels, &mut out).ok()?;
    Some(out)
}

/// Whether an RGB profile is sRGB in everything a matrix-shaper transform reads, without
/// building one: the primaries within 0.00025 of sRGB's (stored to 1/65536; HP's differ by
/// 0.00008 at most), each tone curve within 0.0001 of sRGB's at every point it stores, and no
/// LUT or CICP tag that a transform would take instead. The curves then move a sample by at
/// most a third of a level (near black, where sRGB's slope is steepest) and the primaries by
/// under 0.3, inside the one level [`changes_nothing`] allows. It answers for the profile
/// most cameras and editors embed (HP's "sRGB IEC61966-2.1", 1,024-point curves): building
/// its transform only to find it [`changes_nothing`] was 2 % of a 2560×1600 → 1200 px render
/// (moxcms' gamma tables). False means only "not known": the transform is then built and
/// probed.
fn is_srgb(profile: &ColorProfile, srgb: &ColorProfile) -> bool {
    let close = |a: moxcms::Xyzd, b: moxcms::Xyzd| {
        (a.x - b.x).abs() <= 2.5e-4 && (a.y - b.y).abs() <= 2.5e-4 && (a.z - b.z).abs() <= 2.5e-4
    };
    let curves = [&profile.red_trc, &profile.green_trc, &profile.blue_trc];
    let luts = [
        &profile.lut_a_to_b_perceptual,
        &profile.lut_a_to_b_colorimetric,
        &profile.lut_a_to_b_saturation,
        &profile.lut_b_to_a_perceptual,
        &profile.lut_b_to_a_colorimetric,
        &profile.lut_b_to_a_saturation,
    ];
    profile.color_space == DataColorSpace::Rgb
        && profile.pcs == DataColorSpace::Xyz
        && profile.cicp.is_none()
        && luts.iter().all(|lut| lut.is_none())
        && close(profile.red_colorant, srgb.red_colorant)
        && close(profile.green_colorant, srgb.green_colorant)
        && close(profile.blue_colorant, srgb.blue_colorant)
        && curves.iter().enumerate().all(|(i, curve)| {
            // The three curves are often one tag: check each distinct one once.
            curves[..i].contains(curve) || curve.as_ref().is_some_and(is_srgb_curve)
        })
}

/// Whether a stored tone curve is sRGB's: a table within 0.0001 of the sRGB formula at each
/// entry, or the parametric form with sRGB's parameters.
fn is_srgb_curve(curve: &moxcms::ToneReprCurve) -> bool {
    match curve {
        moxcms::ToneReprCurve::Lut(table) if table.len() >= 2 => {
            let last = (table.len() - 1) as f32;
            table.iter().enumerate().all(|(i, &stored)| {
                let srgb = super::adjustments::srgb_to_linear(i as f32 / last);
                (f32::from(stored) / 65535.0 - srgb).abs() <= 1e-4
            })
        }
        // ICC's type 3: Y = (aX + b)^g above d, cX below.
        moxcms::ToneReprCurve::Parametric(p) if p.len() == 5 => {
            let expected = [2.4, 1.0 / 1.055, 0.055 / 1.055, 1.0 / 12.92, 0.040_45];
            p.iter()
                .zip(expected)
                .all(|(&got, want)| (f64::from(got) - want).abs() <= 1e-3)
        }
        _ => false,
    }
}

/// Whether an RGB(A) → sRGB transform leaves colours where they are, as it does for the
/// sRGB profile most cameras and editors embed: then the image's pixels are not run through
/// it. Judged on a lattice of 216 colours spanning the cube, within one level (rounding).
fn changes_nothing(executor: &(dyn TransformExecutor<u8> + Send + Sync), layout: Layout) -> bool {
    const STEPS: [u8; 6] = [0, 51, 102, 153, 204, 255];
    let channels = layout.channels();
    let mut probe = Vec::with_capacity(STEPS.len().pow(3) * channels);
    for r in STEPS {
        for g in STEPS {
            for b in STEPS {
                probe.extend_from_slice(&[r, g, b, 255][..channels]);
            }
        }
    }
    let mut out = vec![0u8; probe.len()];
    executor.transform(&probe, &mut out).is_ok()
        && probe
            .chunks_exact(channels)
            .zip(out.chunks_exact(channels))
            .all(|(a, b)| a[..3].iter().zip(&b[..3]).all(|(x, y)| x.abs_diff(*y) <= 1))
}

#[cfg(test)]
mod tests {
    use super::{changes_nothing, is_srgb, to_srgb, transform};
    use image::{DynamicImage, RgbImage};
    use moxcms::{ColorProfile, Layout};

    fn icc_of(name: &str) -> Vec<u8> {
        let path = format!("{}/fixtures/inputs/{name}", env!("CARGO_MANIFEST_DIR"));
        let bytes = std::fs::read(&path).unwrap();
        let mut decoder =
            image::codecs::jpeg::JpegDecoder::new(std::io::Cursor::new(bytes)).unwrap();
        image::ImageDecoder::icc_profile(&mut decoder)
            .unwrap()
            .unwrap()
    }

    fn gradient() -> DynamicImage {
        DynamicImage::ImageRgb8(RgbImage::from_fn(64, 64, |x, y| {
            image::Rgb([(x * 4) as u8, (y * 4) as u8, ((x + y) * 2) as u8])
        }))
    }

    #[test]
    fn an_embedded_srgb_profile_leaves_pixels_untouched_and_others_convert() {
        let image = gradient();
        let (srgb_icc, adobe_icc) = (icc_of("forest-icc-srgb.jpg"), icc_of("forest-adobergb.jpg"));
        let pixels = image.as_bytes();
        assert!(
            transform(&srgb_icc, Layout::Rgb, pixels, Layout::Rgb).is_none(),
            "no pass"
        );
        assert!(transform(&adobe_icc, Layout::Rgb, pixels, Layout::Rgb).is_some());
        // The quick check answers for the embedded sRGB profile as the probe does, and only
        // for it.
        let srgb = ColorProfile::new_srgb();
        let parsed = |icc: &[u8]| ColorProfile::new_from_slice(icc).unwrap();
        assert!(is_srgb(&parsed(&srgb_icc), &srgb));
        assert!(!is_srgb(&parsed(&adobe_icc), &srgb));
        for name in ["forest-p3.jpg", "forest-adobergb.jpg"] {
            assert!(!is_srgb(&parsed(&icc_of(name)), &srgb), "{name}");
        }
        let executor = parsed(&srgb_icc)
            .create_transform_8bit(Layout::Rgb, &srgb, Layout::Rgb, Default::default())
            .unwrap();
        assert!(changes_nothing(executor.as_ref(), Layout::Rgb));
        let srgb = to_srgb(image.clone(), &srgb_icc);
        assert_eq!(srgb.as_bytes(), image.as_bytes(), "sRGB to sRGB is skipped");
        let adobe = to_srgb(image.clone(), &adobe_icc);
        assert_ne!(adobe.as_bytes(), image.as_bytes(), "Adobe RGB is converted");
    }
}
