//! The forward DCT against libjpeg's C `jpeg_fdct_islow`, block by block, and the AVX2
//! kernel against the scalar arithmetic, quantisation included. Whole encodes are compared
//! in `compress::tests`.

use super::*;

unsafe extern "C" {
    /// libjpeg's own, on 64 centred samples in place: 32-bit elements without SIMD, 16-bit
    /// ones in a build with nasm (its `DCTELEM`).
    fn jpeg_fdct_islow(data: *mut std::ffi::c_void);
}

/// libjpeg's routine on `data`, in the element width this build compiled it with.
fn libjpegs(data: [i32; 64]) -> [i32; 64] {
    if crate::render::libjpeg::has_simd() {
        let mut narrow = data.map(|x| x as i16);
        // SAFETY: 64 elements of the width libjpeg's routine works on.
        unsafe { jpeg_fdct_islow(narrow.as_mut_ptr().cast()) };
        narrow.map(i32::from)
    } else {
        let mut wide = data;
        // SAFETY: as above.
        unsafe { jpeg_fdct_islow(wide.as_mut_ptr().cast()) };
        wide
    }
}

fn blocks() -> Vec<[[u8; 8]; 8]> {
    let mut state = 0x9E37_79B9u32;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 17;
        state ^= state << 5;
        state
    };
    let mut out = vec![[[0; 8]; 8], [[255; 8]; 8], [[128; 8]; 8]];
    // The extremes in every sign pattern of the basis: where the sums are largest.
    for pattern in 0..256u32 {
        out.push(std::array::from_fn(|r| {
            std::array::from_fn(|c| {
                if (pattern >> ((r + c) % 8)) & 1 == 1 {
                    255
                } else {
                    0
                }
            })
        }));
        out.push(std::array::from_fn(|r| {
            std::array::from_fn(|c| {
                if (pattern >> (r ^ c)) & 1 == 1 {
                    0
                } else {
                    255
                }
            })
        }));
    }
    for _ in 0..4_000 {
        out.push(std::array::from_fn(|_| {
            std::array::from_fn(|_| next() as u8)
        }));
    }
    out
}

fn centred(block: &[[u8; 8]; 8]) -> [i32; 64] {
    std::array::from_fn(|i| i32::from(block[i / 8][i % 8]) - 128)
}

#[test]
fn the_dct_is_libjpegs() {
    for block in blocks() {
        let mut ours = centred(&block);
        scalar::fdct_islow(&mut ours);
        assert_eq!(ours, libjpegs(centred(&block)), "{block:?}");
    }
}

/// libjpeg's quantisation table at q 75 and at q 1, 50 and 100 scaled as
/// `jpeg_set_quality` scales it (clamped to 1..=32767).
fn tables() -> Vec<[u16; 64]> {
    const LUMA: [u16; 64] = [
        16, 11, 10, 16, 24, 40, 51, 61, 12, 12, 14, 19, 26, 58, 60, 55, 14, 13, 16, 24, 40, 57, 69,
        56, 14, 17, 22, 29, 51, 87, 80, 62, 18, 22, 37, 56, 68, 109, 103, 77, 24, 35, 55, 64, 81,
        104, 113, 92, 49, 64, 78, 87, 103, 121, 120, 101, 72, 92, 95, 98, 112, 100, 103, 99,
    ];
    [5000u32, 100, 50, 0]
        .into_iter()
        .map(|scale| LUMA.map(|v| ((u32::from(v) * scale + 50) / 100).clamp(1, 32_767) as u16))
        .collect()
}

#[test]
fn quantisation_divides_with_rounding() {
    // For every divisor an 8-bit table gives and every DCT output an 8-bit block gives,
    // libjpeg's reciprocal arithmetic is the rounded quotient, halves away from zero.
    for q in 1..=255u16 {
        let table = Reciprocals::new(&[q; 64]);
        let d = i32::from(q) * 8;
        for v in -8_200i32..=8_200 {
            let expected = (v.abs() + d / 2) / d * v.signum();
            assert_eq!(i32::from(table.quantize(0, v)), expected, "q {q} v {v}");
        }
    }
}

#[test]
fn the_kernel_is_the_scalar_arithmetic() {
    for table in tables() {
        let q = Reciprocals::new(&table);
        for block in blocks() {
            let mut data = centred(&block);
            scalar::fdct_islow(&mut data);
            let expected: [i16; 64] = std::array::from_fn(|i| q.quantize(i, data[i]));
            let (mut out, mut raw) = ([0i16; 64], [0i16; 64]);
            transform(&block, &q, &mut out, Some(&mut raw));
            assert_eq!(out, expected, "{block:?}");
            assert_eq!(raw, data.map(|v| v as i16));
        }
    }
}
