use super::*;

/// The predictor exactly as the PNG specification writes it.
fn paeth_as_specified(a: u8, b: u8, c: u8) -> u8 {
    let (a, b, c) = (i32::from(a), i32::from(b), i32::from(c));
    let p = a + b - c;
    let (pa, pb, pc) = ((p - a).abs(), (p - b).abs(), (p - c).abs());
    (if pa <= pb && pa <= pc {
        a
    } else if pb <= pc {
        b
    } else {
        c
    }) as u8
}

/// Bytes with every value and no short period: filtered rows look like this.
fn noise(len: usize, seed: u64) -> Vec<u8> {
    (0..len as u64)
        .map(|i| {
            let x = (i + 1).wrapping_mul(0x9e37_79b9_7f4a_7c15) ^ seed.wrapping_mul(0xbf58_476d);
            (x >> 29) as u8
        })
        .collect()
}

#[test]
fn paeth_is_the_specified_predictor_for_every_input() {
    for a in 0..=255u8 {
        for b in 0..=255u8 {
            for c in 0..=255u8 {
                assert_eq!(paeth(a, b, c), paeth_as_specified(a, b, c), "{a} {b} {c}");
            }
        }
    }
}

const FILTERS: [Filter; 5] = [
    Filter::None,
    Filter::Sub,
    Filter::Up,
    Filter::Avg,
    Filter::Paeth,
];

/// Each filter's definition applied to one row, byte by byte, as the specification reads.
fn row_as_specified(filter: Filter, bpp: usize, filtered: &[u8], above: &[u8]) -> Vec<u8> {
    let mut out = vec![0u8; filtered.len()];
    for i in 0..filtered.len() {
        let a = if i >= bpp { out[i - bpp] } else { 0 };
        let c = if i >= bpp { above[i - bpp] } else { 0 };
        let b = above[i];
        let predicted = match filter {
            Filter::None => 0,
            Filter::Sub => a,
            Filter::Up => b,
            Filter::Avg => ((u16::from(a) + u16::from(b)) / 2) as u8,
            Filter::Paeth => paeth_as_specified(a, b, c),
        };
        out[i] = filtered[i].wrapping_add(predicted);
    }
    out
}

fn row_dyn(filter: Filter, bpp: usize, filtered: &[u8], above: &[u8]) -> Vec<u8> {
    let mut out = vec![0u8; filtered.len()];
    match bpp {
        3 => row::<3>(filter, filtered, above, &mut out),
        _ => row::<4>(filter, filtered, above, &mut out),
    }
    out
}

#[test]
fn one_row_undoes_each_filter_as_specified() {
    for bpp in [3, 4] {
        for width in [1, 2, 5, 17] {
            let len = width * bpp;
            for (seed, filter) in FILTERS.into_iter().enumerate() {
                let filtered = noise(len, seed as u64);
                let above = noise(len, 100 + seed as u64);
                assert_eq!(
                    row_dyn(filter, bpp, &filtered, &above),
                    row_as_specified(filter, bpp, &filtered, &above),
                    "{filter:?}, {bpp} bytes a pixel, {width} wide"
                );
            }
        }
    }
}

/// Four rows as the inflated stream holds them (each after its filter byte), the row above
/// them, and what the specification makes of them.
struct Case {
    filters: [Filter; 4],
    filtered: Vec<u8>,
    stride: usize,
    above: Vec<u8>,
    expected: Vec<u8>,
}

impl Case {
    /// Whether `undo` (for 3- and 4-byte pixels) gives what the specification does.
    fn check(&self, bpp: usize, undo: [fn(FourRows<'_>, &mut [u8]); 2]) -> bool {
        let rows = FourRows {
            filters: self.filters,
            filtered: &self.filtered,
            stride: self.stride,
            above: &self.above,
        };
        let mut out = vec![0u8; self.expected.len()];
        undo[bpp - 3](rows, &mut out);
        out == self.expected
    }
}

/// Every combination of four filters, both pixel sizes and widths around the wavefront's
/// edges (narrower than its four lanes, and where its four-byte accesses stop).
fn four_row_cases() -> impl Iterator<Item = (usize, usize, Case)> {
    let sizes = [3, 4].into_iter().flat_map(|bpp| {
        [1, 2, 3, 4, 5, 6, 7, 9, 33]
            .into_iter()
            .map(move |width| (bpp, width))
    });
    sizes.flat_map(|(bpp, width)| {
        (0..625usize).map(move |combination| {
            let row_len = width * bpp;
            let stride = row_len + 1;
            let filters = [0, 1, 2, 3].map(|k| FILTERS[combination / 5usize.pow(k) % 5]);
            let filtered = noise(3 * stride + row_len, (combination * 7 + width) as u64);
            let above = noise(row_len, combination as u64);
            let mut expected = Vec::new();
            let mut previous = above.clone();
            for (k, &filter) in filters.iter().enumerate() {
                let this = &filtered[k * stride..k * stride + row_len];
                previous = row_as_specified(filter, bpp, this, &previous);
                expected.extend_from_slice(&previous);
            }
            let case = Case {
                filters,
                filtered,
                stride,
                above,
                expected,
            };
            (bpp, width, case)
        })
    })
}

#[test]
fn four_rows_one_by_one_match_the_specification() {
    for (bpp, width, case) in four_row_cases() {
        let undo = [four_rows_one_by_one::<3>, four_rows_one_by_one::<4>];
        let filters = case.filters;
        assert!(
            case.check(bpp, undo),
            "{filters:?}, {bpp} bytes a pixel, {width} wide"
        );
    }
}

/// The wavefront against the specification, in both encodings where the CPU has AVX2.
#[cfg(target_arch = "x86_64")]
#[test]
fn four_rows_at_once_match_the_specification() {
    let mut cases = 0;
    for (bpp, width, case) in four_row_cases() {
        let filters = case.filters;
        assert!(
            case.check(bpp, [wavefront::<false, 3>, wavefront::<false, 4>]),
            "{filters:?}, {bpp} bytes a pixel, {width} wide, SSE2"
        );
        if std::is_x86_feature_detected!("avx2") {
            assert!(
                case.check(bpp, [wavefront::<true, 3>, wavefront::<true, 4>]),
                "{filters:?}, {bpp} bytes a pixel, {width} wide, AVX2"
            );
        }
        cases += 1;
    }
    assert_eq!(cases, 2 * 9 * 625);
}

/// The wavefront in one encoding (AVX2 or SSE2) for one pixel size.
#[cfg(target_arch = "x86_64")]
fn wavefront<const AVX2: bool, const BPP: usize>(rows: FourRows<'_>, out: &mut [u8]) {
    four_rows_with::<BPP>(AVX2, rows, out);
}
