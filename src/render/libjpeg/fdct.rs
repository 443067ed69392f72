//! The AVX2 forward DCT and quantisation for the libjpeg-turbo that has no SIMD of its own.
//! Without them they are almost half of a 1200 px JPEG encode's time (`quantize` alone 9 %
//! of the whole render, `jpeg_fdct_islow` 5 %; `perf`, docs/benchmarks.md).
//!
//! [`forward_dct`] does what libjpeg's `forward_DCT` does for its default integer DCT:
//! centre the samples, `jpeg_fdct_islow` (the same constants and rounding, eight rows or
//! columns at once in 32-bit lanes, as libjpeg's `long`s never exceed 32 bits for 8-bit
//! samples), and `quantize`, which divides by multiplying with a reciprocal that
//! [`Divisors`] computes as libjpeg's `compute_reciprocal` does. So the coefficients, and
//! the file, are libjpeg's to the bit (the tests compare blocks and whole encodes). It is
//! installed only for what that path covers: the integer DCT, no trellis quantisation and
//! no overshoot deringing, which pixgate's encoder never asks for.

#![allow(unsafe_code)]

use std::os::raw::c_int;

use mozjpeg_sys::{
    J_BOOLEAN_PARAM, J_DCT_METHOD, JBLOCKROW, JDIMENSION, JSAMPLE, jpeg_c_get_bool_param,
    jpeg_component_info, jpeg_compress_struct,
};

/// libjpeg's `forward_DCT` method.
type ForwardDct = unsafe extern "C" fn(
    *mut jpeg_compress_struct,
    *mut jpeg_component_info,
    *const *const JSAMPLE,
    JBLOCKROW,
    JDIMENSION,
    JDIMENSION,
    JDIMENSION,
    JBLOCKROW,
);

unsafe extern "C" {
    fn pixgate_jpeg_replace_forward_dct(
        cinfo: *mut jpeg_compress_struct,
        ours: ForwardDct,
    ) -> c_int;
}

/// What quantising by one table takes, per coefficient: libjpeg's reciprocal, its rounding
/// correction, and the whole right shift of the product.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) struct Reciprocals {
    multiplier: [u32; 64],
    correction: [u32; 64],
    shift: [u32; 64],
}

impl Reciprocals {
    /// For libjpeg's quantisation table `quantval` under its integer DCT (whose outputs
    /// are eight times too large, hence the divisors `quantval << 3`).
    fn new(quantval: &[u16; 64]) -> Reciprocals {
        let mut out = Reciprocals {
            multiplier: [0; 64],
            correction: [0; 64],
            shift: [0; 64],
        };
        for (i, &q) in quantval.iter().enumerate() {
            // libjpeg passes `quantval << 3` as a UINT16.
            let (m, c, s) = reciprocal((u32::from(q) << 3) as u16);
            out.multiplier[i] = m;
            out.correction[i] = c;
            out.shift[i] = s;
        }
        out
    }

    /// libjpeg's `quantize` of one coefficient.
    fn quantize(&self, i: usize, value: i32) -> i16 {
        let magnitude = u64::from(value.unsigned_abs() + self.correction[i]);
        let q = ((magnitude * u64::from(self.multiplier[i])) >> self.shift[i]) as i32;
        (if value < 0 { q.wrapping_neg() } else { q }) as i16
    }
}

/// libjpeg's `compute_reciprocal` with 32-bit DCT elements (its build without SIMD):
/// (reciprocal, correction, total shift).
fn reciprocal(divisor: u16) -> (u32, u32, u32) {
    match divisor {
        // Unquantised (cannot come from an 8-bit table shifted by 3, but it is libjpeg's).
        0 | 1 => (1, 0, 0),
        d => {
            let d = u64::from(d);
            let b = 63 - d.leading_zeros();
            let mut r = 32 + b;
            let mut fq = (1u64 << r) / d;
            let fr = (1u64 << r) % d;
            let mut c = d / 2;
            if fr == 0 {
                fq >>= 1;
                r -= 1;
            } else if fr <= d / 2 {
                c += 1;
            } else {
                fq += 1;
            }
            (fq as u32, c as u32, r)
        }
    }
}

/// The reciprocals of each quantisation table of a compressor, which [`forward_dct`]
/// reads through the compressor's `client_data`.
pub(super) struct Divisors {
    tables: [Option<Reciprocals>; 4],
}

/// Installs [`forward_dct`] when the compressor uses the integer DCT without trellis
/// quantisation or deringing, returning the divisors it reads (through `client_data`, which
/// this points at them); `None` keeps libjpeg's. The caller keeps the box alive while the
/// compressor runs.
///
/// # Safety
/// `cinfo` is a live compressor after `jpeg_start_compress` (its tables final).
pub(super) unsafe fn replace(cinfo: *mut jpeg_compress_struct) -> Option<Box<Divisors>> {
    // SAFETY: the caller's promise.
    let c = unsafe { &*cinfo };
    let plain = c.dct_method == J_DCT_METHOD::JDCT_ISLOW
        // SAFETY: reading two of mozjpeg's parameters from a live compressor.
        && unsafe { jpeg_c_get_bool_param(c, J_BOOLEAN_PARAM::JBOOLEAN_TRELLIS_QUANT) } == 0
        && unsafe { jpeg_c_get_bool_param(c, J_BOOLEAN_PARAM::JBOOLEAN_OVERSHOOT_DERINGING) }
            == 0;
    if !plain || !super::has_own_kernels() {
        return None;
    }
    let tables = c.quant_tbl_ptrs.map(|table| {
        // SAFETY: a non-null entry is one of the compressor's tables.
        (!table.is_null()).then(|| Reciprocals::new(unsafe { &(*table).quantval }))
    });
    let mut divisors = Box::new(Divisors { tables });
    // SAFETY: the box's contents stay where they are however the box moves; the shim then
    // writes one function pointer into libjpeg's DCT record.
    unsafe {
        (*cinfo).common.client_data = std::ptr::from_mut(&mut *divisors).cast();
        (pixgate_jpeg_replace_forward_dct(cinfo, forward_dct) != 0).then_some(divisors)
    }
}

/// libjpeg's `forward_DCT`: `blocks` blocks of the component from sample row `row` and
/// column `col`, quantised into `coef`; their unquantised coefficients into `raw` when it is
/// not null (trellis quantisation, which the installer rules out, reads those).
#[allow(clippy::too_many_arguments)]
unsafe extern "C" fn forward_dct(
    cinfo: *mut jpeg_compress_struct,
    compptr: *mut jpeg_component_info,
    samples: *const *const JSAMPLE,
    coef: JBLOCKROW,
    row: JDIMENSION,
    col: JDIMENSION,
    blocks: JDIMENSION,
    raw: JBLOCKROW,
) {
    // SAFETY: libjpeg passes its component, eight sample rows from `row` with `blocks`
    // blocks from `col`, and room for `blocks` coefficient blocks; `client_data` is the
    // installer's `Divisors`, alive while the compressor runs, and libjpeg checked the
    // component's table exists before the first pass.
    unsafe {
        let divisors = &*(*cinfo).common.client_data.cast::<Divisors>();
        let table = usize::try_from((*compptr).quant_tbl_no).unwrap_or(usize::MAX);
        let Some(Some(reciprocals)) = divisors.tables.get(table) else {
            return;
        };
        let rows: [&[u8]; 8] = std::array::from_fn(|r| {
            std::slice::from_raw_parts(*samples.add(row as usize + r), (col + 8 * blocks) as usize)
        });
        for b in 0..blocks as usize {
            let x = col as usize + 8 * b;
            let block: [[u8; 8]; 8] = std::array::from_fn(|r| {
                let mut line = [0; 8];
                line.copy_from_slice(&rows[r][x..x + 8]);
                line
            });
            let out = &mut *coef.add(b);
            let raw = (!raw.is_null()).then(|| &mut *raw.add(b));
            transform(&block, reciprocals, out, raw);
        }
    }
}

/// One block: DCT, then quantised into `out` (and unquantised into `raw`).
fn transform(
    block: &[[u8; 8]; 8],
    q: &Reciprocals,
    out: &mut [i16; 64],
    raw: Option<&mut [i16; 64]>,
) {
    #[cfg(target_arch = "x86_64")]
    if super::idct::available() {
        // SAFETY: AVX2 was detected.
        unsafe { avx2::transform(block, q, out, raw) };
        return;
    }
    let mut data = [0i32; 64];
    for (r, line) in block.iter().enumerate() {
        for (c, &s) in line.iter().enumerate() {
            data[8 * r + c] = i32::from(s) - 128;
        }
    }
    scalar::fdct_islow(&mut data);
    if let Some(raw) = raw {
        for (r, &v) in raw.iter_mut().zip(&data) {
            *r = v as i16;
        }
    }
    for (i, o) in out.iter_mut().enumerate() {
        *o = q.quantize(i, data[i]);
    }
}

// libjpeg's fixed-point constants, FIX(x) = round(x * 2^13).
const CONST_BITS: i32 = 13;
const PASS1_BITS: i32 = 2;
const F_0_298: i32 = 2446;
const F_0_390: i32 = 3196;
const F_0_541: i32 = 4433;
const F_0_765: i32 = 6270;
const F_0_899: i32 = 7373;
const F_1_175: i32 = 9633;
const F_1_501: i32 = 12299;
const F_1_847: i32 = 15137;
const F_1_961: i32 = 16069;
const F_2_053: i32 = 16819;
const F_2_562: i32 = 20995;
const F_3_072: i32 = 25172;

/// `jpeg_fdct_islow` written once over a number type, so that the scalar reference and the
/// eight-lane kernel are the same arithmetic.
macro_rules! pass {
    ($d:expr, $add:path, $sub:path, $mul:path, $shl:path, $descale:path, $even_shift:expr, $odd_shift:expr) => {{
        let d = $d;
        let tmp0 = $add(d[0], d[7]);
        let tmp7 = $sub(d[0], d[7]);
        let tmp1 = $add(d[1], d[6]);
        let tmp6 = $sub(d[1], d[6]);
        let tmp2 = $add(d[2], d[5]);
        let tmp5 = $sub(d[2], d[5]);
        let tmp3 = $add(d[3], d[4]);
        let tmp4 = $sub(d[3], d[4]);
        let tmp10 = $add(tmp0, tmp3);
        let tmp13 = $sub(tmp0, tmp3);
        let tmp11 = $add(tmp1, tmp2);
        let tmp12 = $sub(tmp1, tmp2);
        let out0 = $shl($add(tmp10, tmp11), $even_shift);
        let out4 = $shl($sub(tmp10, tmp11), $even_shift);
        let z1 = $mul($add(tmp12, tmp13), F_0_541);
        let out2 = $descale($add(z1, $mul(tmp13, F_0_765)), $odd_shift);
        let out6 = $descale($add(z1, $mul(tmp12, -F_1_847)), $odd_shift);
        let z1 = $add(tmp4, tmp7);
        let z2 = $add(tmp5, tmp6);
        let z3 = $add(tmp4, tmp6);
        let z4 = $add(tmp5, tmp7);
        let z5 = $mul($add(z3, z4), F_1_175);
        let tmp4 = $mul(tmp4, F_0_298);
        let tmp5 = $mul(tmp5, F_2_053);
        let tmp6 = $mul(tmp6, F_3_072);
        let tmp7 = $mul(tmp7, F_1_501);
        let z1 = $mul(z1, -F_0_899);
        let z2 = $mul(z2, -F_2_562);
        let z3 = $add($mul(z3, -F_1_961), z5);
        let z4 = $add($mul(z4, -F_0_390), z5);
        [
            out0,
            $descale($add($add(tmp7, z1), z4), $odd_shift),
            out2,
            $descale($add($add(tmp6, z2), z3), $odd_shift),
            out4,
            $descale($add($add(tmp5, z2), z4), $odd_shift),
            out6,
            $descale($add($add(tmp4, z1), z3), $odd_shift),
        ]
    }};
}

mod scalar {
    use super::*;

    fn add(a: i32, b: i32) -> i32 {
        a + b
    }
    fn sub(a: i32, b: i32) -> i32 {
        a - b
    }
    fn mul(a: i32, k: i32) -> i32 {
        a * k
    }
    fn shl(a: i32, n: i32) -> i32 {
        a << n
    }
    fn descale(a: i32, n: i32) -> i32 {
        (a + (1 << (n - 1))) >> n
    }
    /// `jpeg_fdct_islow` on a centred block, in place: rows (element `i` of line `l` at
    /// `8l + i`), whose even outputs are shifted up, then columns (at `l + 8i`), whose even
    /// outputs are descaled.
    pub(super) fn fdct_islow(data: &mut [i32; 64]) {
        for (line_step, step, rows) in [(8, 1, true), (1, 8, false)] {
            let even = |a, n| if rows { shl(a, n) } else { descale(a, n) };
            let odd = if rows {
                CONST_BITS - PASS1_BITS
            } else {
                CONST_BITS + PASS1_BITS
            };
            for l in 0..8 {
                let at = |i: usize| line_step * l + step * i;
                let line: [i32; 8] = std::array::from_fn(|i| data[at(i)]);
                let out = pass!(line, add, sub, mul, even, descale, PASS1_BITS, odd);
                for (i, v) in out.into_iter().enumerate() {
                    data[at(i)] = v;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests;

#[cfg(target_arch = "x86_64")]
mod avx2 {
    use std::arch::x86_64::*;

    use super::super::lanes::{add, mul, sub, transpose};
    use super::*;

    #[inline]
    #[target_feature(enable = "avx2")]
    fn shl(a: __m256i, n: i32) -> __m256i {
        _mm256_sll_epi32(a, _mm_cvtsi32_si128(n))
    }

    #[inline]
    #[target_feature(enable = "avx2")]
    fn descale(a: __m256i, n: i32) -> __m256i {
        _mm256_sra_epi32(
            add(a, _mm256_set1_epi32(1 << (n - 1))),
            _mm_cvtsi32_si128(n),
        )
    }

    #[inline]
    #[target_feature(enable = "avx2")]
    fn load32(v: &[u32; 64], at: usize) -> __m256i {
        // SAFETY: `at + 8 <= 64`.
        unsafe { _mm256_loadu_si256(v.as_ptr().add(at).cast()) }
    }

    /// libjpeg's `quantize` of eight coefficients `at..at + 8`.
    #[inline]
    #[target_feature(enable = "avx2")]
    fn quantize(v: __m256i, q: &Reciprocals, at: usize) -> __m256i {
        let magnitude = add(_mm256_abs_epi32(v), load32(&q.correction, at));
        let multiplier = load32(&q.multiplier, at);
        let shift = load32(&q.shift, at);
        // Even lanes, then odd lanes, as 64-bit products shifted by their own amounts.
        let even = _mm256_srlv_epi64(
            _mm256_mul_epu32(magnitude, multiplier),
            _mm256_and_si256(shift, _mm256_set1_epi64x(0xFFFF_FFFF)),
        );
        let odd = _mm256_srlv_epi64(
            _mm256_mul_epu32(
                _mm256_srli_epi64::<32>(magnitude),
                _mm256_srli_epi64::<32>(multiplier),
            ),
            _mm256_srli_epi64::<32>(shift),
        );
        let quotient = _mm256_blend_epi32::<0b1010_1010>(even, _mm256_slli_epi64::<32>(odd));
        _mm256_sign_epi32(quotient, v)
    }

    /// Sixteen 32-bit values to sixteen `i16`s, in order.
    #[inline]
    #[target_feature(enable = "avx2")]
    fn store16(a: __m256i, b: __m256i, out: &mut [i16], at: usize) {
        let words = _mm256_permute4x64_epi64::<0b11_01_10_00>(_mm256_packs_epi32(a, b));
        // SAFETY: `at + 16 <= out.len()` (64).
        unsafe { _mm256_storeu_si256(out.as_mut_ptr().add(at).cast(), words) };
    }

    #[target_feature(enable = "avx2")]
    pub(super) fn transform(
        block: &[[u8; 8]; 8],
        q: &Reciprocals,
        out: &mut [i16; 64],
        raw: Option<&mut [i16; 64]>,
    ) {
        let centre = _mm256_set1_epi32(128);
        let rows: [__m256i; 8] = std::array::from_fn(|r| {
            // SAFETY: eight bytes from an eight-byte row.
            let bytes = unsafe { _mm_loadl_epi64(block[r].as_ptr().cast()) };
            sub(_mm256_cvtepu8_epi32(bytes), centre)
        });
        // Lanes are rows: each vector one column position across the eight rows.
        let columns = transpose(&rows);
        // The row pass shifts its even outputs up, the column pass descales them.
        let pass1 = pass!(
            columns,
            add,
            sub,
            mul,
            shl,
            descale,
            PASS1_BITS,
            CONST_BITS - PASS1_BITS
        );
        // pass1[k] holds output k of every row; transposed, vector r is row r.
        let rows = transpose(&pass1);
        // Lanes are columns now: the column pass is the same arithmetic on rows.
        let data = pass!(
            rows,
            add,
            sub,
            mul,
            descale,
            descale,
            PASS1_BITS,
            CONST_BITS + PASS1_BITS
        );
        if let Some(raw) = raw {
            for r in (0..8).step_by(2) {
                store16(data[r], data[r + 1], raw, 8 * r);
            }
        }
        for r in (0..8).step_by(2) {
            store16(
                quantize(data[r], q, 8 * r),
                quantize(data[r + 1], q, 8 * r + 8),
                out,
                8 * r,
            );
        }
    }
}
