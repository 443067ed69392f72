//! Undoing PNG's row filters for 3- and 4-byte pixels, into a separate output row.
//!
//! Paeth is the filter photographs mostly get, and the slow one: each pixel's predictor needs
//! the pixel just decoded to its left, a chain of a dozen dependent steps per pixel. The png
//! crate runs it per row, the three or four channels side by side. Here four rows run at
//! once, one pixel apart (a wavefront): a pixel needs the pixel above and above-left, which the
//! row above decoded one and two steps earlier, so the four chains are independent and share
//! one SSE2 register of 4 × 4 bytes. Avg has the same chain; each lane takes its own row's
//! predictor, so a run of four rows can mix filters.

/// A row's filter type (PNG's byte before each row).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Filter {
    None,
    Sub,
    Up,
    Avg,
    Paeth,
}

impl Filter {
    pub fn from_byte(byte: u8) -> Option<Filter> {
        Some(match byte {
            0 => Filter::None,
            1 => Filter::Sub,
            2 => Filter::Up,
            3 => Filter::Avg,
            4 => Filter::Paeth,
            _ => return None,
        })
    }
}

/// Undoes `filter` on one row of `BPP`-byte pixels: `filtered` as stored, `above` the
/// previous row's output (zeros for the first row), `out` this row's output. All three have
/// the same length, a multiple of `BPP`.
pub fn row<const BPP: usize>(filter: Filter, filtered: &[u8], above: &[u8], out: &mut [u8]) {
    let pixels = out
        .chunks_exact_mut(BPP)
        .zip(filtered.chunks_exact(BPP))
        .zip(above.chunks_exact(BPP));
    match filter {
        Filter::None => out.copy_from_slice(filtered),
        Filter::Up => {
            for ((o, f), b) in out.iter_mut().zip(filtered).zip(above) {
                *o = f.wrapping_add(*b);
            }
        }
        Filter::Sub => {
            let mut left = [0u8; BPP];
            for ((o, f), _) in pixels {
                for k in 0..BPP {
                    left[k] = f[k].wrapping_add(left[k]);
                }
                o.copy_from_slice(&left);
            }
        }
        Filter::Avg => {
            let mut left = [0u8; BPP];
            for ((o, f), b) in pixels {
                for k in 0..BPP {
                    let mean = (u16::from(left[k]) + u16::from(b[k])) >> 1;
                    left[k] = f[k].wrapping_add(mean as u8);
                }
                o.copy_from_slice(&left);
            }
        }
        Filter::Paeth => {
            let mut left = [0u8; BPP];
            let mut above_left = [0u8; BPP];
            for ((o, f), b) in pixels {
                for k in 0..BPP {
                    left[k] = f[k].wrapping_add(paeth(left[k], b[k], above_left[k]));
                }
                above_left.copy_from_slice(b);
                o.copy_from_slice(&left);
            }
        }
    }
}

/// PNG's Paeth predictor: of left `a`, above `b` and above-left `c`, the one nearest
/// `a + b - c`, ties to `a`, then `b`. Written without branches (as stb_image does): `c` is
/// chosen only when it lies beyond both `a` and `b`, on the side `a + b - c` does not.
pub fn paeth(a: u8, b: u8, c: u8) -> u8 {
    let (a, b, c) = (i16::from(a), i16::from(b), i16::from(c));
    let threshold = 3 * c - (a + b);
    let (low, high) = (a.min(b), a.max(b));
    let nearer = if high <= threshold { low } else { c };
    (if threshold <= low { high } else { nearer }) as u8
}

/// Four consecutive rows as the inflated stream holds them.
#[derive(Clone, Copy)]
pub struct FourRows<'a> {
    /// Each row's filter.
    pub filters: [Filter; 4],
    /// Row k's bytes as stored are `filtered[k * stride..][..above.len()]`.
    pub filtered: &'a [u8],
    pub stride: usize,
    /// The output row before them (zeros for the image's first row).
    pub above: &'a [u8],
}

/// [`four_rows`] one row after the other, where there is no wavefront (not x86-64).
#[cfg_attr(target_arch = "x86_64", allow(dead_code))]
pub fn four_rows_one_by_one<const BPP: usize>(rows: FourRows<'_>, out: &mut [u8]) {
    let row_len = rows.above.len();
    let (mut previous, mut rest): (&[u8], &mut [u8]) = (rows.above, out);
    for (k, filter) in rows.filters.into_iter().enumerate() {
        let (this, after) = rest.split_at_mut(row_len);
        row::<BPP>(
            filter,
            &rows.filtered[k * rows.stride..][..row_len],
            previous,
            this,
        );
        previous = this;
        rest = after;
    }
}

#[cfg(not(target_arch = "x86_64"))]
pub use four_rows_one_by_one as four_rows;

/// Undoes the filters of four consecutive rows of `BPP`-byte pixels (3 or 4) at once into
/// `out`, the four output rows one after the other. Pays when two or more of them are Paeth
/// or Avg.
#[cfg(target_arch = "x86_64")]
pub fn four_rows<const BPP: usize>(rows: FourRows<'_>, out: &mut [u8]) {
    four_rows_with::<BPP>(std::is_x86_feature_detected!("avx2"), rows, out);
}

/// [`four_rows`] with AVX2's encoding of the same instructions or SSE2's.
#[cfg(target_arch = "x86_64")]
#[allow(unsafe_code)]
fn four_rows_with<const BPP: usize>(avx2: bool, rows: FourRows<'_>, out: &mut [u8]) {
    let (row_len, stride) = (rows.above.len(), rows.stride);
    assert!(BPP == 3 || BPP == 4);
    assert!(stride >= row_len && rows.filtered.len() >= 3 * stride + row_len);
    assert!(out.len() >= 4 * row_len && row_len.is_multiple_of(BPP));
    assert!(!avx2 || std::is_x86_feature_detected!("avx2"));
    let pure = rows.filters == [Filter::Paeth; 4];
    // SAFETY: the lengths asserted above are the ones `wavefront` reads and writes within;
    // SSE2 is part of x86-64, AVX2 is checked for.
    unsafe {
        match (avx2, pure) {
            (true, true) => wavefront::avx2::<BPP, false>(rows, out),
            (true, false) => wavefront::avx2::<BPP, true>(rows, out),
            (false, true) => wavefront::sse2::<BPP, false>(rows, out),
            (false, false) => wavefront::sse2::<BPP, true>(rows, out),
        }
    }
}

#[cfg(target_arch = "x86_64")]
#[allow(unsafe_code)]
mod wavefront {
    use std::arch::x86_64::*;
    use std::ptr::{read_unaligned, write_unaligned};

    use super::{Filter, FourRows};

    /// Step `s` decodes pixel `s - k` of row k (lane k: bytes 4k..4k+4 of the register). Lane
    /// k's above pixel is what lane k-1 produced one step earlier, its above-left what lane
    /// k-1 produced two steps earlier, which is the above value lane k used one step earlier;
    /// lane 0 reads both from `above`. A lane outside its row computes zeros, which is what
    /// the first pixel's left and above-left must be.
    ///
    /// The same loop is compiled twice: for SSE2, and for AVX2, where every instruction takes
    /// a third register and the copies two-operand SSE needs go (a third fewer instructions).
    /// `MIXED` is false when all four rows are Paeth.
    ///
    /// # Safety
    /// As `four_rows` asserts: `filtered` holds four rows `stride` apart, `out` four rows of
    /// `above.len()` bytes, a multiple of `BPP` (3 or 4).
    macro_rules! rows {
        ($name:ident, $feature:literal) => {
            #[target_feature(enable = $feature)]
            pub unsafe fn $name<const BPP: usize, const MIXED: bool>(
                rows: FourRows<'_>,
                out: &mut [u8],
            ) {
                let FourRows {
                    filters,
                    filtered,
                    stride,
                    above,
                } = rows;
                let row_len = above.len();
                let width = row_len / BPP;
                let masks = Masks::new(filters);
                let (mut left, mut above_left) = (_mm_setzero_si128(), _mm_setzero_si128());
                // While every lane is inside its row and lane 0's pixel is not within four bytes of
                // its end, four-byte loads and stores stay in the rows (a 3-byte pixel's fourth
                // byte, which belongs to the pixel after, is rewritten by the next step).
                let fast =
                    3.min(width)..(row_len.saturating_sub(4) / BPP + 1).clamp(3.min(width), width);
                let (f_lane, o_lane) = (stride - BPP, row_len - BPP);
                for step in 0..width + 3 {
                    if fast.contains(&step) {
                        // SAFETY: lane k reads and writes bytes (step - k) * BPP .. + 4 of row k,
                        // within the row while step * BPP + 4 <= row_len.
                        unsafe {
                            let f = filtered.as_ptr().add(step * BPP);
                            let load = |k: usize| read_unaligned(f.add(k * f_lane).cast::<i32>());
                            let stored = _mm_set_epi32(load(3), load(2), load(1), load(0));
                            let up = read_unaligned(above.as_ptr().add(step * BPP).cast::<i32>());
                            let b = _mm_or_si128(_mm_slli_si128::<4>(left), _mm_cvtsi32_si128(up));
                            let decoded =
                                _mm_add_epi8(stored, masks.predict::<MIXED>(left, b, above_left));
                            let o = out.as_mut_ptr().add(step * BPP);
                            write_unaligned(o.cast::<i32>(), _mm_cvtsi128_si32(decoded));
                            let lane = |v| _mm_cvtsi128_si32(v);
                            write_unaligned(
                                o.add(o_lane).cast(),
                                lane(_mm_srli_si128::<4>(decoded)),
                            );
                            write_unaligned(
                                o.add(2 * o_lane).cast(),
                                lane(_mm_srli_si128::<8>(decoded)),
                            );
                            write_unaligned(
                                o.add(3 * o_lane).cast(),
                                lane(_mm_srli_si128::<12>(decoded)),
                            );
                            (left, above_left) = (decoded, b);
                        }
                        continue;
                    }
                    let active = |k: usize| step >= k && step - k < width;
                    let at = |k: usize| (step - k) * BPP;
                    let pixel = |row: &[u8], k: usize| {
                        let mut word = [0u8; 4];
                        if active(k) {
                            word[..BPP].copy_from_slice(&row[at(k)..at(k) + BPP]);
                        }
                        i32::from_le_bytes(word)
                    };
                    let row = |k: usize| &filtered[k * stride..k * stride + row_len];
                    let f = _mm_set_epi32(
                        pixel(row(3), 3),
                        pixel(row(2), 2),
                        pixel(row(1), 1),
                        pixel(row(0), 0),
                    );
                    let b = _mm_or_si128(
                        _mm_slli_si128::<4>(left),
                        _mm_cvtsi32_si128(pixel(above, 0)),
                    );
                    let inside = _mm_set_epi32(
                        -i32::from(active(3)),
                        -i32::from(active(2)),
                        -i32::from(active(1)),
                        -i32::from(active(0)),
                    );
                    let predicted = masks.predict::<MIXED>(left, b, above_left);
                    let decoded = _mm_and_si128(inside, _mm_add_epi8(f, predicted));
                    let mut lanes = [0u8; 16];
                    for (k, lane) in lanes.chunks_exact_mut(4).enumerate() {
                        let shifted = match k {
                            0 => decoded,
                            1 => _mm_srli_si128::<4>(decoded),
                            2 => _mm_srli_si128::<8>(decoded),
                            _ => _mm_srli_si128::<12>(decoded),
                        };
                        lane.copy_from_slice(&_mm_cvtsi128_si32(shifted).to_le_bytes());
                    }
                    for k in (0..4).filter(|&k| active(k)) {
                        let start = k * row_len + at(k);
                        out[start..start + BPP].copy_from_slice(&lanes[4 * k..4 * k + BPP]);
                    }
                    (left, above_left) = (decoded, b);
                }
            }
        };
    }

    rows!(sse2, "sse2");
    rows!(avx2, "avx2");

    /// Which predictor each lane takes: all bits set in the lanes of rows with that filter.
    struct Masks {
        paeth: __m128i,
        up: __m128i,
        sub: __m128i,
        avg: __m128i,
    }

    impl Masks {
        #[inline]
        #[target_feature(enable = "sse2")]
        fn new(filters: [Filter; 4]) -> Masks {
            let lanes = |filter: Filter| {
                let set = |k: usize| -i32::from(filters[k] == filter);
                _mm_set_epi32(set(3), set(2), set(1), set(0))
            };
            Masks {
                paeth: lanes(Filter::Paeth),
                up: lanes(Filter::Up),
                sub: lanes(Filter::Sub),
                avg: lanes(Filter::Avg),
            }
        }

        /// Each lane's predictor from left `a`, above `b` and above-left `c` (`None`: zero);
        /// Paeth in every lane unless `MIXED`.
        #[inline]
        #[target_feature(enable = "sse2")]
        fn predict<const MIXED: bool>(&self, a: __m128i, b: __m128i, c: __m128i) -> __m128i {
            if !MIXED {
                return paeth(a, b, c);
            }
            let ones = _mm_set1_epi8(1);
            // floor((a + b) / 2): the rounded-up mean, less the bit it rounded up by.
            let mean = _mm_sub_epi8(_mm_avg_epu8(a, b), _mm_and_si128(_mm_xor_si128(a, b), ones));
            let others = _mm_or_si128(
                _mm_or_si128(_mm_and_si128(self.up, b), _mm_and_si128(self.sub, a)),
                _mm_and_si128(self.avg, mean),
            );
            _mm_or_si128(_mm_and_si128(self.paeth, paeth(a, b, c)), others)
        }
    }

    /// The Paeth predictor of every byte, in unsigned bytes (the formulation of Luca Versari's
    /// fpnge): |p - a| = |b - c| and |p - b| = |a - c|; |p - c| is their difference when `c`
    /// lies between `a` and `b`, and otherwise larger than both, so 255 serves.
    #[inline]
    #[target_feature(enable = "sse2")]
    fn paeth(a: __m128i, b: __m128i, c: __m128i) -> __m128i {
        let absdiff = |x, y| _mm_sub_epi8(_mm_max_epu8(x, y), _mm_min_epu8(x, y));
        let pa = absdiff(b, c);
        let pb = absdiff(a, c);
        let a_at_least_c = _mm_cmpeq_epi8(_mm_max_epu8(a, c), a);
        let c_at_least_b = _mm_cmpeq_epi8(_mm_max_epu8(c, b), c);
        let between = _mm_cmpeq_epi8(a_at_least_c, c_at_least_b);
        let pc = _mm_or_si128(
            absdiff(pa, pb),
            _mm_andnot_si128(between, _mm_set1_epi8(-1)),
        );
        let min_bc = _mm_min_epu8(pb, pc);
        let take_a = _mm_cmpeq_epi8(_mm_min_epu8(pa, min_bc), pa);
        let take_b = _mm_cmpeq_epi8(min_bc, pb);
        let b_or_c = _mm_or_si128(_mm_and_si128(take_b, b), _mm_andnot_si128(take_b, c));
        _mm_or_si128(_mm_and_si128(take_a, a), _mm_andnot_si128(take_a, b_or_c))
    }
}

#[cfg(test)]
mod tests;
