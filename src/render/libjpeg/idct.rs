//! AVX2 inverse DCTs for the libjpeg-turbo that has no SIMD of its own (built without
//! `nasm`): the full 8×8 transform and the reduced 4×4 and 2×2 ones that the 1/2 and 1/4
//! shrink-on-load use. Without them the IDCT is a quarter of a full-size decode and of a
//! 1/4-scale one (`perf`, docs/benchmarks.md).
//!
//! Each kernel is the arithmetic of libjpeg's own C routine (`jpeg_idct_islow`,
//! `jpeg_idct_4x4`, `jpeg_idct_2x2`: the same constants, rounding and final range mapping),
//! done for eight columns or rows at once in 32-bit lanes where libjpeg uses 64-bit `long`s,
//! so the pixels are libjpeg's to the bit for coefficients any 8-bit encoder writes (the tests
//! compare random blocks and whole decodes). A hostile file's out-of-range coefficients can
//! wrap here where libjpeg's do not: other pixels, noise either way, and no fault (nothing is
//! indexed by them). libjpeg's own shortcuts for all-zero columns give the same values as the
//! full computation and are left out. libjpeg asks for these through mozjpeg's IDCT
//! selector callback, which [`select`] answers; it swaps libjpeg's scalar C routines. A
//! SIMD build keeps its own, but its 8×8 one is first spared the flat blocks
//! ([`flat_or_simd`]).

#![allow(unsafe_code)]

use std::os::raw::c_int;

use mozjpeg_sys::{JCOEF, JDIMENSION, JSAMPLE, jpeg_component_info, jpeg_decompress_struct};

/// libjpeg's `inverse_DCT_method_ptr`.
type Idct = unsafe extern "C" fn(
    *mut jpeg_decompress_struct,
    *mut jpeg_component_info,
    *mut JCOEF,
    *mut *mut JSAMPLE,
    JDIMENSION,
);

unsafe extern "C" {
    fn jpeg_idct_islow(
        cinfo: *mut jpeg_decompress_struct,
        compptr: *mut jpeg_component_info,
        coef_block: *mut JCOEF,
        output_buf: *mut *mut JSAMPLE,
        output_col: JDIMENSION,
    );
    fn jpeg_idct_4x4(
        cinfo: *mut jpeg_decompress_struct,
        compptr: *mut jpeg_component_info,
        coef_block: *mut JCOEF,
        output_buf: *mut *mut JSAMPLE,
        output_col: JDIMENSION,
    );
    fn jpeg_idct_2x2(
        cinfo: *mut jpeg_decompress_struct,
        compptr: *mut jpeg_component_info,
        coef_block: *mut JCOEF,
        output_buf: *mut *mut JSAMPLE,
        output_col: JDIMENSION,
    );
    /// libjpeg-turbo's SIMD islow (its dispatcher between AVX2 and SSE2) where it was built
    /// with nasm; without, an empty routine libjpeg never chooses.
    fn jsimd_idct_islow(
        cinfo: *mut jpeg_decompress_struct,
        compptr: *mut jpeg_component_info,
        coef_block: *mut JCOEF,
        output_buf: *mut *mut JSAMPLE,
        output_col: JDIMENSION,
    );
    /// mozjpeg's extension: `selector` is asked for every component's IDCT at the start of
    /// each output pass. (mozjpeg-sys declares it for the compressor by mistake.)
    fn jpeg_set_idct_method_selector(cinfo: *mut jpeg_decompress_struct, selector: Selector);
}

/// mozjpeg's `jpeg_idct_method_selector`.
type Selector = Option<
    unsafe extern "C" fn(
        *mut jpeg_decompress_struct,
        *mut jpeg_component_info,
        *mut Option<Idct>,
        *mut c_int,
    ),
>;

/// Whether this CPU runs the kernels.
pub fn available() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        std::arch::is_x86_feature_detected!("avx2")
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        false
    }
}

/// Registers [`select`] with a decompressor, on every CPU: it also installs the Huffman
/// decoder, which needs no AVX2. libjpeg keeps it in a record allocated when the object is
/// created, so this holds however often the object moves afterwards.
///
/// # Safety
/// `cinfo` is a live decompressor made by `jpeg_create_decompress`.
pub(super) unsafe fn install(cinfo: *mut jpeg_decompress_struct) {
    // SAFETY: the caller's promise; the call stores one pointer in libjpeg's record.
    unsafe { jpeg_set_idct_method_selector(cinfo, Some(select)) };
}

/// The kernel that replaces libjpeg's chosen routine, if any, only on a CPU with AVX2: its
/// scalar C routines, and its SIMD 8×8 one, which has no shortcut for flat blocks.
fn replacement(chosen: Idct) -> Option<Idct> {
    if !available() {
        return None;
    }
    let chosen = chosen as usize;
    [
        (jpeg_idct_islow as Idct, kernel::<8> as Idct),
        (jpeg_idct_4x4 as Idct, kernel::<4> as Idct),
        (jpeg_idct_2x2 as Idct, kernel::<2> as Idct),
        (jsimd_idct_islow as Idct, flat_or_simd as Idct),
    ]
    .into_iter()
    .find(|(c, _)| *c as usize == chosen)
    .map(|(_, ours)| ours)
}

/// The selector libjpeg calls; the multiplier-table category stays libjpeg's ("islow"),
/// though the kernels read the quantisation table itself. It is also the one call into
/// pixgate after libjpeg has chosen its colour converter and set up its entropy decoder, so
/// those are replaced here too.
unsafe extern "C" fn select(
    cinfo: *mut jpeg_decompress_struct,
    _compptr: *mut jpeg_component_info,
    method: *mut Option<Idct>,
    _category: *mut c_int,
) {
    // SAFETY: libjpeg passes its own local, valid for this call.
    let method = unsafe { &mut *method };
    if let Some(ours) = method.and_then(replacement) {
        *method = Some(ours);
    }
    // SAFETY: libjpeg selects IDCTs while preparing an output pass, its modules set up.
    unsafe {
        super::colour::replace_decoding(cinfo);
        super::huffman_decode::replace(cinfo);
    }
}

/// The component's quantisation table: libjpeg's islow multiplier table (`dct_table`) holds
/// the same values as `int`s. None yet means all-zero coefficients, as in libjpeg.
///
/// # Safety
/// `compptr` is libjpeg's component record, which outlives the returned borrow.
#[cfg(target_arch = "x86_64")]
unsafe fn quant<'a>(compptr: *mut jpeg_component_info) -> &'a [u16; 64] {
    static NONE: [u16; 64] = [0; 64];
    // SAFETY: the caller's promise; a non-null table is libjpeg's latched copy.
    unsafe {
        let table = (*compptr).quant_table;
        if table.is_null() {
            &NONE
        } else {
            &(*table).quantval
        }
    }
}

/// A kernel in libjpeg's calling convention: `SIZE` is the output block's side (8, 4 or 2).
unsafe extern "C" fn kernel<const SIZE: usize>(
    _cinfo: *mut jpeg_decompress_struct,
    compptr: *mut jpeg_component_info,
    coef: *mut JCOEF,
    out: *mut *mut JSAMPLE,
    col: JDIMENSION,
) {
    #[cfg(target_arch = "x86_64")]
    // SAFETY: libjpeg passes a 64-coefficient block and `SIZE` output rows with room for
    // `SIZE` samples from `col`; the selector installs this only where AVX2 runs.
    unsafe {
        let (q, col) = (quant(compptr), col as usize);
        match SIZE {
            8 => avx2::islow(q, coef, out, col),
            4 => avx2::reduced_4x4(q, coef, out, col),
            _ => avx2::reduced_2x2(q, coef, out, col),
        }
    }
    // Never installed elsewhere (`available` is false).
    #[cfg(not(target_arch = "x86_64"))]
    let _ = (compptr, coef, out, col);
}

/// libjpeg-turbo's SIMD 8×8 routine, after [`avx2::dc_only`]: it transforms every block in
/// full, and in photos about a third are flat (the 2560×1600 forest: 43–46 % of its chroma
/// blocks; its decode 17.2 → 16.6 ms in a C harness, best of 40). Flat blocks within the
/// shortcut's range come out as the SIMD routine's to the bit (tests).
unsafe extern "C" fn flat_or_simd(
    cinfo: *mut jpeg_decompress_struct,
    compptr: *mut jpeg_component_info,
    coef: *mut JCOEF,
    out: *mut *mut JSAMPLE,
    col: JDIMENSION,
) {
    #[cfg(target_arch = "x86_64")]
    // SAFETY: as for [`kernel`]; the SIMD routine gets libjpeg's own arguments.
    unsafe {
        if !avx2::dc_only(quant(compptr), coef, out, col as usize) {
            jsimd_idct_islow(cinfo, compptr, coef, out, col);
        }
    }
    // Never installed elsewhere (`available` is false).
    #[cfg(not(target_arch = "x86_64"))]
    let _ = (cinfo, compptr, coef, out, col);
}

#[cfg(test)]
mod tests;

#[cfg(target_arch = "x86_64")]
mod avx2 {
    use std::arch::x86_64::*;

    use super::super::lanes::{add, mul, sub, transpose};

    // libjpeg's fixed-point constants, FIX(x) = round(x * 2^13).
    const CONST_BITS: i32 = 13;
    const PASS1_BITS: i32 = 2;

    /// Row `k` of the block, dequantised, one column per lane.
    #[inline]
    #[target_feature(enable = "avx2")]
    unsafe fn row(q: &[u16; 64], coef: *const i16, k: usize) -> __m256i {
        // SAFETY: `coef` holds 64 coefficients; `k < 8`.
        let c = unsafe { _mm_loadu_si128(coef.add(8 * k).cast()) };
        // SAFETY: `q` holds 64 entries.
        let m = unsafe { _mm_loadu_si128(q.as_ptr().add(8 * k).cast()) };
        _mm256_mullo_epi32(_mm256_cvtepi16_epi32(c), _mm256_cvtepu16_epi32(m))
    }

    /// (x + 2^(n-1)) >> n, libjpeg's DESCALE.
    #[inline]
    #[target_feature(enable = "avx2")]
    fn descale<const N: i32>(x: __m256i) -> __m256i {
        _mm256_srai_epi32::<N>(_mm256_add_epi32(x, _mm256_set1_epi32(1 << (N - 1))))
    }

    /// The 8-point islow transform down eight lanes at once, before descaling: outputs in
    /// spatial order.
    #[inline]
    #[target_feature(enable = "avx2")]
    fn idct8(v: &[__m256i; 8]) -> [__m256i; 8] {
        // Even part.
        let z1 = mul(add(v[2], v[6]), 4433);
        let tmp2 = add(z1, mul(v[6], -15137));
        let tmp3 = add(z1, mul(v[2], 6270));
        let tmp0 = _mm256_slli_epi32::<CONST_BITS>(add(v[0], v[4]));
        let tmp1 = _mm256_slli_epi32::<CONST_BITS>(sub(v[0], v[4]));
        let (tmp10, tmp13) = (add(tmp0, tmp3), sub(tmp0, tmp3));
        let (tmp11, tmp12) = (add(tmp1, tmp2), sub(tmp1, tmp2));
        // Odd part.
        let (t0, t1, t2, t3) = (v[7], v[5], v[3], v[1]);
        let z1 = add(t0, t3);
        let z2 = add(t1, t2);
        let z3 = add(t0, t2);
        let z4 = add(t1, t3);
        let z5 = mul(add(z3, z4), 9633);
        let (t0, t1, t2, t3) = (
            mul(t0, 2446),
            mul(t1, 16819),
            mul(t2, 25172),
            mul(t3, 12299),
        );
        let (z1, z2) = (mul(z1, -7373), mul(z2, -20995));
        let z3 = add(mul(z3, -16069), z5);
        let z4 = add(mul(z4, -3196), z5);
        let t0 = add(t0, add(z1, z3));
        let t1 = add(t1, add(z2, z4));
        let t2 = add(t2, add(z2, z3));
        let t3 = add(t3, add(z1, z4));
        [
            add(tmp10, t3),
            add(tmp11, t2),
            add(tmp12, t1),
            add(tmp13, t0),
            sub(tmp13, t0),
            sub(tmp12, t1),
            sub(tmp11, t2),
            sub(tmp10, t3),
        ]
    }

    /// libjpeg's post-IDCT range limit on eight lanes, then to bytes. libjpeg indexes a
    /// table by the value masked to 10 bits, which is 128 + v clamped to 0..=255 for v in
    /// -512..512 and wraps outside it; this computes the same.
    #[inline]
    #[target_feature(enable = "avx2")]
    fn to_samples(v: __m256i) -> __m128i {
        let wrapped = _mm256_sub_epi32(
            _mm256_and_si256(
                _mm256_add_epi32(v, _mm256_set1_epi32(512)),
                _mm256_set1_epi32(1023),
            ),
            _mm256_set1_epi32(384),
        );
        let words = _mm_packs_epi32(
            _mm256_castsi256_si128(wrapped),
            _mm256_extracti128_si256::<1>(wrapped),
        );
        _mm_packus_epi16(words, words)
    }

    /// A block without AC coefficients (in photos, most flat chroma blocks) is one value:
    /// libjpeg's own shortcut for such columns and rows gives `(dc + 4) >> 3`, range-limited,
    /// which is also what the full transform gives. Fills the block and returns true, or
    /// returns false when some AC coefficient is not zero or the value is beyond ±512, where
    /// libjpeg's C routine wraps and its SIMD one saturates (no 8-bit encoder goes there).
    ///
    /// # Safety
    /// `coef` holds 64 coefficients; `out` eight rows with eight samples from `col`.
    #[inline]
    #[target_feature(enable = "avx2")]
    pub unsafe fn dc_only(
        q: &[u16; 64],
        coef: *const i16,
        out: *const *mut u8,
        col: usize,
    ) -> bool {
        // SAFETY: the caller's promise on `coef`: four loads of sixteen.
        let [a, b, c, d] =
            [0, 16, 32, 48].map(|at| unsafe { _mm256_loadu_si256(coef.add(at).cast::<__m256i>()) });
        // Everything but the DC coefficient (the lowest 16 bits of `a`).
        let ac = _mm256_or_si256(
            _mm256_or_si256(
                _mm256_and_si256(
                    a,
                    _mm256_setr_epi16(
                        0, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
                    ),
                ),
                b,
            ),
            _mm256_or_si256(c, d),
        );
        if _mm256_testz_si256(ac, ac) == 0 {
            return false;
        }
        // SAFETY: the caller's promise on `coef`.
        let dc = i32::from(unsafe { *coef }) * i32::from(q[0]);
        let value = (dc + 4) >> 3;
        if !(-512..512).contains(&value) {
            return false;
        }
        let sample = to_samples(_mm256_set1_epi32(value));
        for r in 0..8 {
            // SAFETY: the caller's promise on `out`.
            unsafe { _mm_storel_epi64((*out.add(r)).add(col).cast(), sample) };
        }
        true
    }

    /// `jpeg_idct_islow`.
    ///
    /// # Safety
    /// `coef` holds 64 coefficients; `out` eight rows with eight samples from `col`.
    #[target_feature(enable = "avx2")]
    pub unsafe fn islow(q: &[u16; 64], coef: *const i16, out: *const *mut u8, col: usize) {
        // SAFETY: the caller's promise on `coef` and `out`.
        if unsafe { dc_only(q, coef, out, col) } {
            return;
        }
        // SAFETY: the caller's promise on `coef`.
        let v: [__m256i; 8] = std::array::from_fn(|k| unsafe { row(q, coef, k) });
        // Pass 1: columns, into the workspace scaled by 2^PASS1_BITS.
        let ws = idct8(&v).map(|w| descale::<{ CONST_BITS - PASS1_BITS }>(w));
        // Pass 2: rows, from the transposed workspace; lane r of `cols[j]` is row r's
        // sample j.
        let cols = idct8(&transpose(&ws)).map(|c| descale::<{ CONST_BITS + PASS1_BITS + 3 }>(c));
        for (r, samples) in transpose(&cols).into_iter().enumerate() {
            // SAFETY: the caller's promise on `out`.
            unsafe { _mm_storel_epi64((*out.add(r)).add(col).cast(), to_samples(samples)) };
        }
    }

    /// `jpeg_idct_4x4`: rows and columns 0–3 and 5–7 of the coefficients make a 4×4 block.
    ///
    /// # Safety
    /// `coef` holds 64 coefficients; `out` four rows with four samples from `col`.
    #[target_feature(enable = "avx2")]
    pub unsafe fn reduced_4x4(q: &[u16; 64], coef: *const i16, out: *const *mut u8, col: usize) {
        // SAFETY: the caller's promise on `coef`.
        let v: [__m256i; 8] = std::array::from_fn(|k| unsafe { row(q, coef, k) });
        let ws = idct4(&v).map(|w| descale::<{ CONST_BITS - PASS1_BITS + 1 }>(w));
        let zero = _mm256_setzero_si256();
        let cols = transpose(&[ws[0], ws[1], ws[2], ws[3], zero, zero, zero, zero]);
        let [c0, c1, c2, c3] =
            idct4(&cols).map(|c| descale::<{ CONST_BITS + PASS1_BITS + 3 + 1 }>(c));
        let rows = transpose(&[c0, c1, c2, c3, zero, zero, zero, zero]);
        for (r, samples) in rows.into_iter().take(4).enumerate() {
            let bytes = _mm_cvtsi128_si32(to_samples(samples));
            // SAFETY: the caller's promise on `out`; the row need not be aligned.
            unsafe { (*out.add(r)).add(col).cast::<i32>().write_unaligned(bytes) };
        }
    }

    /// The 4-point transform of `jpeg_idct_4x4` down eight lanes, before descaling (input 4
    /// unused).
    #[inline]
    #[target_feature(enable = "avx2")]
    fn idct4(v: &[__m256i; 8]) -> [__m256i; 4] {
        let tmp0 = _mm256_slli_epi32::<{ CONST_BITS + 1 }>(v[0]);
        let tmp2 = add(mul(v[2], 15137), mul(v[6], -6270));
        let (tmp10, tmp12) = (add(tmp0, tmp2), sub(tmp0, tmp2));
        let (z1, z2, z3, z4) = (v[7], v[5], v[3], v[1]);
        let tmp0 = add(
            add(mul(z1, -1730), mul(z2, 11893)),
            add(mul(z3, -17799), mul(z4, 8697)),
        );
        let tmp2 = add(
            add(mul(z1, -4176), mul(z2, -4926)),
            add(mul(z3, 7373), mul(z4, 20995)),
        );
        [
            add(tmp10, tmp2),
            add(tmp12, tmp0),
            sub(tmp12, tmp0),
            sub(tmp10, tmp2),
        ]
    }

    /// `jpeg_idct_2x2`: rows and columns 0, 1, 3, 5 and 7 make a 2×2 block. The column
    /// pass runs down eight lanes; the row pass weighs each workspace row by the two output
    /// samples' coefficients and sums across lanes.
    ///
    /// # Safety
    /// `coef` holds 64 coefficients; `out` two rows with two samples from `col`.
    #[target_feature(enable = "avx2")]
    pub unsafe fn reduced_2x2(q: &[u16; 64], coef: *const i16, out: *const *mut u8, col: usize) {
        // SAFETY: the caller's promise on `coef`.
        let [r0, r1, r3, r5, r7] = [0, 1, 3, 5, 7].map(|k| unsafe { row(q, coef, k) });
        let tmp10 = _mm256_slli_epi32::<{ CONST_BITS + 2 }>(r0);
        let tmp0 = add(
            add(mul(r7, -5906), mul(r5, 6967)),
            add(mul(r3, -10426), mul(r1, 29692)),
        );
        let pass1 = |v| descale::<{ CONST_BITS - PASS1_BITS + 2 }>(v);
        let (ws0, ws1) = (pass1(add(tmp10, tmp0)), pass1(sub(tmp10, tmp0)));
        // Sample 0 is ws[0]·2^15 + the odd terms, sample 1 the same minus them.
        let first = _mm256_setr_epi32(1 << (CONST_BITS + 2), 29692, 0, -10426, 0, 6967, 0, -5906);
        let second = _mm256_setr_epi32(1 << (CONST_BITS + 2), -29692, 0, 10426, 0, -6967, 0, 5906);
        let weigh = |ws| {
            _mm256_hadd_epi32(
                _mm256_mullo_epi32(ws, first),
                _mm256_mullo_epi32(ws, second),
            )
        };
        let sums = _mm256_hadd_epi32(weigh(ws0), weigh(ws1));
        // Lanes: row 0 sample 0, row 0 sample 1, row 1 sample 0, row 1 sample 1.
        let sums = add(sums, _mm256_permute2x128_si256::<0x01>(sums, sums));
        let sums = descale::<{ CONST_BITS + PASS1_BITS + 3 + 2 }>(sums);
        let [a, b, c, d] = _mm_cvtsi128_si32(to_samples(sums)).to_le_bytes();
        // SAFETY: the caller's promise on `out`.
        unsafe {
            let (row0, row1) = ((*out).add(col), (*out.add(1)).add(col));
            (*row0, *row0.add(1), *row1, *row1.add(1)) = (a, b, c, d);
        }
    }
}
