//! The AVX2 rows against the per-pixel arithmetic for every sample value, and the
//! per-pixel arithmetic against libjpeg's tables at their extremes. Whole decodes and
//! encodes with and without the replacements are compared in `idct::tests` and
//! `fdct::tests`.

use super::*;

/// Every seventh (a, b, c) triple, which takes every sample value of each sample, a row of 4,099
/// at a time (not a multiple of 16, so each row ends in the scalar tail).
fn all_triples() -> impl Iterator<Item = Vec<[u8; 3]>> {
    let all: Vec<[u8; 3]> = (0..1u32 << 24)
        .step_by(7)
        .map(|v| [(v >> 16) as u8, (v >> 8) as u8, v as u8])
        .collect();
    let rows: Vec<Vec<[u8; 3]>> = all.chunks(4_099).map(<[_]>::to_vec).collect();
    rows.into_iter()
}

#[test]
fn ycc_rows_match_the_pixel_arithmetic_for_every_value() {
    for row in all_triples() {
        let plane = |c: usize| row.iter().map(|t| t[c]).collect::<Vec<u8>>();
        let (y, cb, cr) = (plane(0), plane(1), plane(2));
        let mut rgb = vec![0; row.len() * 3];
        ycc_row(&y, &cb, &cr, &mut rgb);
        for (i, t) in row.iter().enumerate() {
            assert_eq!(rgb[3 * i..3 * i + 3], ycc_pixel(t[0], t[1], t[2]), "{t:?}");
        }
    }
}

#[test]
fn rgb_rows_match_the_pixel_arithmetic_for_every_value() {
    for row in all_triples() {
        let rgb: Vec<u8> = row.iter().flatten().copied().collect();
        let (mut y, mut cb, mut cr) = (vec![0; row.len()], vec![0; row.len()], vec![0; row.len()]);
        rgb_row(&rgb, &mut y, &mut cb, &mut cr);
        for (i, t) in row.iter().enumerate() {
            assert_eq!([y[i], cb[i], cr[i]], rgb_pixel(*t), "{t:?}");
        }
    }
}

/// libjpeg's table entries, computed as `jdcolor.c` and `jccolor.c` do (FIX of the
/// decimal, the products per index), summed as its inner loops sum them.
#[test]
fn the_pixel_arithmetic_is_libjpegs_tables() {
    let fix = |x: f64| (x * 65_536.0 + 0.5) as i64;
    let half = 1i64 << 15;
    for y in 0..=255u8 {
        for c in (0..=255u8).step_by(3) {
            let x = i64::from(c) - 128;
            let cr_r = (fix(1.402) * x + half) >> 16;
            let cb_b = (fix(1.772) * x + half) >> 16;
            let cr_g = -fix(0.71414) * x;
            let cb_g = -fix(0.34414) * x + half;
            let limit = |v: i64| v.clamp(0, 255) as u8;
            let yy = i64::from(y);
            // Cb and Cr the same value, then one of them centred, to reach every entry.
            assert_eq!(
                ycc_pixel(y, c, c),
                [
                    limit(yy + cr_r),
                    limit(yy + ((cb_g + cr_g) >> 16)),
                    limit(yy + cb_b)
                ]
            );
            assert_eq!(ycc_pixel(y, 128, c)[0], limit(yy + cr_r));
            assert_eq!(ycc_pixel(y, c, 128)[2], limit(yy + cb_b));
        }
    }
    let offset = (128i64 << 16) + half - 1;
    for (r, g, b) in [
        (0u8, 0u8, 0u8),
        (255, 255, 255),
        (255, 0, 0),
        (0, 255, 0),
        (0, 0, 255),
        (17, 200, 93),
    ] {
        let (r64, g64, b64) = (i64::from(r), i64::from(g), i64::from(b));
        let y = (fix(0.299) * r64 + fix(0.587) * g64 + fix(0.114) * b64 + half) >> 16;
        let cb = (-fix(0.16874) * r64 - fix(0.33126) * g64 + fix(0.5) * b64 + offset) >> 16;
        let cr = (fix(0.5) * r64 - fix(0.41869) * g64 - fix(0.08131) * b64 + offset) >> 16;
        assert_eq!(
            rgb_pixel([r, g, b]),
            [y as u8, cb as u8, cr as u8],
            "{r} {g} {b}"
        );
    }
}
