//! AVX2 colour conversion for the libjpeg-turbo that has no SIMD of its own: YCbCr to RGB
//! when decoding, RGB to YCbCr when encoding. Without them the conversion is a quarter of a
//! full-size decode's time (`ycc_rgb_convert`, `perf`, docs/benchmarks.md).
//!
//! Each is libjpeg's own arithmetic (`jdcolor.c`, `jccolor.c`: JFIF's matrix in 16-bit fixed
//! point, the same rounding offsets) on eight pixels per 32-bit lane group, where libjpeg
//! reads the products from tables; the sums are exact integers either way, so the samples
//! are libjpeg's to the bit (the tests compare every value and whole decodes and encodes).
//! They replace libjpeg's converter in its module record once libjpeg has chosen it
//! (`hooks.c`), and only for 8-bit YCbCr ⇄ RGB: anything else keeps libjpeg's.

#![allow(unsafe_code)]

use std::os::raw::c_int;

use mozjpeg_sys::{
    J_COLOR_SPACE, JDIMENSION, JSAMPLE, jpeg_compress_struct, jpeg_decompress_struct,
};

/// libjpeg's decompressor `color_convert`.
type Deconvert = unsafe extern "C" fn(
    *mut jpeg_decompress_struct,
    *const *const *const JSAMPLE,
    JDIMENSION,
    *const *mut JSAMPLE,
    c_int,
);

/// libjpeg's compressor `color_convert`.
type Convert = unsafe extern "C" fn(
    *mut jpeg_compress_struct,
    *const *const JSAMPLE,
    *const *const *mut JSAMPLE,
    JDIMENSION,
    c_int,
);

unsafe extern "C" {
    fn pixgate_jpeg_replace_deconverter(
        cinfo: *mut jpeg_decompress_struct,
        ours: Deconvert,
    ) -> c_int;
    fn pixgate_jpeg_replace_converter(cinfo: *mut jpeg_compress_struct, ours: Convert) -> c_int;
}

// JFIF's matrix, FIX(x) = round(x * 2^16) as libjpeg's SCALEBITS 16 has it.
const SCALEBITS: i32 = 16;
const ONE_HALF: i32 = 1 << (SCALEBITS - 1);
const CR_R: i32 = 91_881; // 1.40200
const CB_B: i32 = 116_130; // 1.77200
const CR_G: i32 = -46_802; // -0.71414
const CB_G: i32 = -22_554; // -0.34414
const R_Y: i32 = 19_595; // 0.29900
const G_Y: i32 = 38_470; // 0.58700
const B_Y: i32 = 7_471; // 0.11400
const R_CB: i32 = -11_059; // -0.16874
const G_CB: i32 = -21_709; // -0.33126
const B_CB: i32 = 32_768; // 0.50000 (also R_CR)
const G_CR: i32 = -27_439; // -0.41869
const B_CR: i32 = -5_329; // -0.08131
/// libjpeg's chroma offset and rounding for RGB → YCbCr: 128 in 16-bit fixed point, plus
/// one half less one (so that 0.5 rounds down, keeping 255.5 in range).
const CBCR_OFFSET: i32 = (128 << SCALEBITS) + ONE_HALF - 1;

/// Replaces a decompressor's YCbCr → RGB converter with [`ycc_to_rgb`] when libjpeg has one
/// (8-bit YCbCr in, three-byte RGB out, no colour quantisation). Called at the start of an
/// output pass, after libjpeg chose its converter.
///
/// # Safety
/// `cinfo` is a live decompressor whose modules are set up (`jpeg_start_decompress` ran).
pub(super) unsafe fn replace_decoding(cinfo: *mut jpeg_decompress_struct) {
    // SAFETY: the caller's promise.
    let c = unsafe { &*cinfo };
    let converts = c.jpeg_color_space == J_COLOR_SPACE::JCS_YCbCr
        && c.out_color_space == J_COLOR_SPACE::JCS_RGB
        && c.out_color_components == 3
        && c.quantize_colors == 0;
    if converts && super::has_own_kernels() {
        // SAFETY: the shim writes one function pointer into libjpeg's converter record.
        unsafe { pixgate_jpeg_replace_deconverter(cinfo, ycc_to_rgb) };
    }
}

/// Replaces a compressor's RGB → YCbCr converter with [`rgb_to_ycc`] for 8-bit RGB in and
/// YCbCr out. Called after `jpeg_start_compress`.
///
/// # Safety
/// `cinfo` is a live compressor whose modules are set up.
pub(super) unsafe fn replace_encoding(cinfo: *mut jpeg_compress_struct) {
    // SAFETY: the caller's promise.
    let c = unsafe { &*cinfo };
    let converts = c.in_color_space == J_COLOR_SPACE::JCS_RGB
        && c.input_components == 3
        && c.jpeg_color_space == J_COLOR_SPACE::JCS_YCbCr
        && c.num_components == 3;
    if converts && super::has_own_kernels() {
        // SAFETY: the shim writes one function pointer into libjpeg's converter record.
        unsafe { pixgate_jpeg_replace_converter(cinfo, rgb_to_ycc) };
    }
}

/// libjpeg's `ycc_rgb_convert`: `rows` rows of the three planes from `row` on, into RGB rows.
unsafe extern "C" fn ycc_to_rgb(
    cinfo: *mut jpeg_decompress_struct,
    planes: *const *const *const JSAMPLE,
    row: JDIMENSION,
    out: *const *mut JSAMPLE,
    rows: c_int,
) {
    // SAFETY: libjpeg passes three planes with `rows` rows from `row`, each `output_width`
    // samples, and `rows` output rows of three bytes per pixel; installed only where AVX2
    // runs.
    unsafe {
        let width = (*cinfo).output_width as usize;
        for r in 0..usize::try_from(rows).unwrap_or(0) {
            let at = row as usize + r;
            let [y, cb, cr] =
                [0, 1, 2].map(|p| std::slice::from_raw_parts(*(*planes.add(p)).add(at), width));
            let rgb = std::slice::from_raw_parts_mut(*out.add(r), width * 3);
            ycc_row(y, cb, cr, rgb);
        }
    }
}

/// libjpeg's `rgb_ycc_convert`: `rows` RGB rows into the three planes from `row` on.
unsafe extern "C" fn rgb_to_ycc(
    cinfo: *mut jpeg_compress_struct,
    input: *const *const JSAMPLE,
    planes: *const *const *mut JSAMPLE,
    row: JDIMENSION,
    rows: c_int,
) {
    // SAFETY: libjpeg passes `rows` input rows of `image_width` RGB pixels and three planes
    // with room for them from `row`; installed only where AVX2 runs.
    unsafe {
        let width = (*cinfo).image_width as usize;
        for r in 0..usize::try_from(rows).unwrap_or(0) {
            let at = row as usize + r;
            let rgb = std::slice::from_raw_parts(*input.add(r), width * 3);
            let [y, cb, cr] =
                [0, 1, 2].map(|p| std::slice::from_raw_parts_mut(*(*planes.add(p)).add(at), width));
            rgb_row(rgb, y, cb, cr);
        }
    }
}

/// One row of YCbCr to RGB.
fn ycc_row(y: &[u8], cb: &[u8], cr: &[u8], rgb: &mut [u8]) {
    let mut done = 0;
    #[cfg(target_arch = "x86_64")]
    if super::idct::available() {
        // SAFETY: AVX2 was detected.
        done = unsafe { avx2::ycc_row(y, cb, cr, rgb) };
    }
    for i in done..y.len() {
        let pixel = ycc_pixel(y[i], cb[i], cr[i]);
        rgb[3 * i..3 * i + 3].copy_from_slice(&pixel);
    }
}

/// One row of RGB to YCbCr.
fn rgb_row(rgb: &[u8], y: &mut [u8], cb: &mut [u8], cr: &mut [u8]) {
    let mut done = 0;
    #[cfg(target_arch = "x86_64")]
    if super::idct::available() {
        // SAFETY: AVX2 was detected.
        done = unsafe { avx2::rgb_row(rgb, y, cb, cr) };
    }
    for i in done..y.len() {
        [y[i], cb[i], cr[i]] = rgb_pixel([rgb[3 * i], rgb[3 * i + 1], rgb[3 * i + 2]]);
    }
}

/// One pixel as libjpeg's tables compute it: `range_limit[y + table[c]]`, the table entries
/// being the products below.
fn ycc_pixel(y: u8, cb: u8, cr: u8) -> [u8; 3] {
    let (y, cb, cr) = (i32::from(y), i32::from(cb) - 128, i32::from(cr) - 128);
    let limit = |v: i32| v.clamp(0, 255) as u8;
    [
        limit(y + ((CR_R * cr + ONE_HALF) >> SCALEBITS)),
        limit(y + ((CB_G * cb + ONE_HALF + CR_G * cr) >> SCALEBITS)),
        limit(y + ((CB_B * cb + ONE_HALF) >> SCALEBITS)),
    ]
}

/// One pixel as libjpeg's `rgb_ycc_tab` sums compute it.
fn rgb_pixel([r, g, b]: [u8; 3]) -> [u8; 3] {
    let (r, g, b) = (i32::from(r), i32::from(g), i32::from(b));
    [
        ((R_Y * r + G_Y * g + B_Y * b + ONE_HALF) >> SCALEBITS) as u8,
        ((R_CB * r + G_CB * g + B_CB * b + CBCR_OFFSET) >> SCALEBITS) as u8,
        ((B_CB * r + G_CR * g + B_CR * b + CBCR_OFFSET) >> SCALEBITS) as u8,
    ]
}

#[cfg(test)]
mod tests;

#[cfg(target_arch = "x86_64")]
mod avx2 {
    use std::arch::x86_64::*;

    use super::super::lanes::{add, mul};
    use super::*;

    /// For output vector `v` (bytes 16v..16v+16 of 48 interleaved RGB bytes), the shuffle
    /// that picks channel `c`'s bytes into place (0x80: none).
    const fn interleave(v: usize, c: usize) -> [u8; 16] {
        let mut mask = [0x80u8; 16];
        let mut j = 0;
        while j < 16 {
            let k = 16 * v + j;
            if k % 3 == c {
                mask[j] = (k / 3) as u8;
            }
            j += 1;
        }
        mask
    }

    /// The inverse: for channel `c` and input vector `v`, the bytes of that channel found in
    /// it, placed at their pixel's position (0x80: none).
    const fn deinterleave(v: usize, c: usize) -> [u8; 16] {
        let mut mask = [0x80u8; 16];
        let mut p = 0;
        while p < 16 {
            let k = 3 * p + c;
            if k / 16 == v {
                mask[p] = (k % 16) as u8;
            }
            p += 1;
        }
        mask
    }

    /// Both tables for every vector and channel, computed when compiling.
    const INTERLEAVE: [[[u8; 16]; 3]; 3] = table(false);
    const DEINTERLEAVE: [[[u8; 16]; 3]; 3] = table(true);

    const fn table(inverse: bool) -> [[[u8; 16]; 3]; 3] {
        let mut out = [[[0; 16]; 3]; 3];
        let mut v = 0;
        while v < 3 {
            let mut c = 0;
            while c < 3 {
                out[v][c] = if inverse {
                    deinterleave(v, c)
                } else {
                    interleave(v, c)
                };
                c += 1;
            }
            v += 1;
        }
        out
    }

    #[inline]
    #[target_feature(enable = "avx2")]
    fn mask(bytes: [u8; 16]) -> __m128i {
        // SAFETY: 16 bytes read from an array of 16.
        unsafe { _mm_loadu_si128(bytes.as_ptr().cast()) }
    }

    /// Sixteen samples as two vectors of eight 32-bit lanes.
    #[inline]
    #[target_feature(enable = "avx2")]
    fn widen(v: __m128i) -> [__m256i; 2] {
        [
            _mm256_cvtepu8_epi32(v),
            _mm256_cvtepu8_epi32(_mm_srli_si128::<8>(v)),
        ]
    }

    /// Two vectors of eight 32-bit values back to sixteen bytes, saturated to 0..=255
    /// (libjpeg's range limit).
    #[inline]
    #[target_feature(enable = "avx2")]
    fn narrow([lo, hi]: [__m256i; 2]) -> __m128i {
        let words = _mm256_permute4x64_epi64::<0b11_01_10_00>(_mm256_packs_epi32(lo, hi));
        _mm_packus_epi16(
            _mm256_castsi256_si128(words),
            _mm256_extracti128_si256::<1>(words),
        )
    }

    /// `y + ((sum + rounding) >> 16)` for both halves of sixteen pixels, as bytes.
    #[inline]
    #[target_feature(enable = "avx2")]
    fn offset_luma(y: [__m256i; 2], sum: [__m256i; 2]) -> __m128i {
        narrow([
            add(y[0], _mm256_srai_epi32::<SCALEBITS>(sum[0])),
            add(y[1], _mm256_srai_epi32::<SCALEBITS>(sum[1])),
        ])
    }

    /// Three channels' sixteen bytes each as 48 bytes of RGB.
    #[inline]
    #[target_feature(enable = "avx2")]
    fn store_interleaved(r: __m128i, g: __m128i, b: __m128i, out: *mut u8) {
        let picked = |v: usize| {
            _mm_or_si128(
                _mm_or_si128(
                    _mm_shuffle_epi8(r, mask(INTERLEAVE[v][0])),
                    _mm_shuffle_epi8(g, mask(INTERLEAVE[v][1])),
                ),
                _mm_shuffle_epi8(b, mask(INTERLEAVE[v][2])),
            )
        };
        let (first, second, third) = (picked(0), picked(1), picked(2));
        // SAFETY: the caller passes room for 48 bytes.
        unsafe {
            _mm_storeu_si128(out.cast(), first);
            _mm_storeu_si128(out.add(16).cast(), second);
            _mm_storeu_si128(out.add(32).cast(), third);
        }
    }

    /// Channel `c`'s sixteen bytes out of 48 bytes of RGB.
    #[inline]
    #[target_feature(enable = "avx2")]
    fn channel(input: &[__m128i; 3], c: usize) -> __m128i {
        _mm_or_si128(
            _mm_or_si128(
                _mm_shuffle_epi8(input[0], mask(DEINTERLEAVE[0][c])),
                _mm_shuffle_epi8(input[1], mask(DEINTERLEAVE[1][c])),
            ),
            _mm_shuffle_epi8(input[2], mask(DEINTERLEAVE[2][c])),
        )
    }

    /// One matrix row applied to sixteen pixels, with `bias`, as bytes.
    #[inline]
    #[target_feature(enable = "avx2")]
    fn matrix_row(rgb: &[[__m256i; 2]; 3], [kr, kg, kb]: [i32; 3], bias: __m256i) -> __m128i {
        let half = |h: usize| {
            let sum = add(
                add(mul(rgb[0][h], kr), mul(rgb[1][h], kg)),
                add(mul(rgb[2][h], kb), bias),
            );
            _mm256_srai_epi32::<SCALEBITS>(sum)
        };
        let (lo, hi) = (half(0), half(1));
        narrow([lo, hi])
    }

    /// Converts whole groups of sixteen pixels; returns how many pixels it did.
    #[target_feature(enable = "avx2")]
    pub(super) fn ycc_row(y: &[u8], cb: &[u8], cr: &[u8], rgb: &mut [u8]) -> usize {
        let n = y.len().min(cb.len()).min(cr.len()).min(rgb.len() / 3) / 16 * 16;
        let half = _mm256_set1_epi32(ONE_HALF);
        let centre = _mm256_set1_epi32(128);
        let mut i = 0;
        while i < n {
            // SAFETY: `i + 16 <= n` samples in each plane.
            let (yy, cbb, crr) = unsafe {
                (
                    widen(_mm_loadu_si128(y.as_ptr().add(i).cast())),
                    widen(_mm_loadu_si128(cb.as_ptr().add(i).cast())),
                    widen(_mm_loadu_si128(cr.as_ptr().add(i).cast())),
                )
            };
            let cbb = [
                _mm256_sub_epi32(cbb[0], centre),
                _mm256_sub_epi32(cbb[1], centre),
            ];
            let crr = [
                _mm256_sub_epi32(crr[0], centre),
                _mm256_sub_epi32(crr[1], centre),
            ];
            let r = offset_luma(
                yy,
                [add(mul(crr[0], CR_R), half), add(mul(crr[1], CR_R), half)],
            );
            let g = offset_luma(
                yy,
                [
                    add(add(mul(cbb[0], CB_G), half), mul(crr[0], CR_G)),
                    add(add(mul(cbb[1], CB_G), half), mul(crr[1], CR_G)),
                ],
            );
            let b = offset_luma(
                yy,
                [add(mul(cbb[0], CB_B), half), add(mul(cbb[1], CB_B), half)],
            );
            // SAFETY: `3 * (i + 16) <= 3 * n` bytes in `rgb`.
            store_interleaved(r, g, b, unsafe { rgb.as_mut_ptr().add(3 * i) });
            i += 16;
        }
        n
    }

    /// Converts whole groups of sixteen pixels; returns how many pixels it did.
    #[target_feature(enable = "avx2")]
    pub(super) fn rgb_row(rgb: &[u8], y: &mut [u8], cb: &mut [u8], cr: &mut [u8]) -> usize {
        let n = y.len().min(cb.len()).min(cr.len()).min(rgb.len() / 3) / 16 * 16;
        let half = _mm256_set1_epi32(ONE_HALF);
        let offset = _mm256_set1_epi32(CBCR_OFFSET);
        let mut i = 0;
        while i < n {
            // SAFETY: `3 * (i + 16)` bytes in `rgb`.
            let input = unsafe {
                let at = rgb.as_ptr().add(3 * i);
                [
                    _mm_loadu_si128(at.cast()),
                    _mm_loadu_si128(at.add(16).cast()),
                    _mm_loadu_si128(at.add(32).cast()),
                ]
            };
            let pixels = [
                widen(channel(&input, 0)),
                widen(channel(&input, 1)),
                widen(channel(&input, 2)),
            ];
            let luma = matrix_row(&pixels, [R_Y, G_Y, B_Y], half);
            let blue = matrix_row(&pixels, [R_CB, G_CB, B_CB], offset);
            let red = matrix_row(&pixels, [B_CB, G_CR, B_CR], offset);
            // SAFETY: `i + 16 <= n` samples in each plane.
            unsafe {
                _mm_storeu_si128(y.as_mut_ptr().add(i).cast(), luma);
                _mm_storeu_si128(cb.as_mut_ptr().add(i).cast(), blue);
                _mm_storeu_si128(cr.as_mut_ptr().add(i).cast(), red);
            }
            i += 16;
        }
        n
    }
}
