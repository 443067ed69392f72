//! The kernels against libjpeg's own C routines: block by block on a started decompressor,
//! and whole decodes with and without the selector at every DCT scale; and that decodes
//! through `decoder_errors` really run them.

use mozjpeg::{ColorSpace, Compress, Decompress};
use mozjpeg_sys::{jpeg_destroy_decompress, jpeg_start_decompress};

use super::*;
use crate::render::libjpeg::test_pixels::{Lcg, fixtures, open, pixels};
use crate::render::libjpeg::{decoder_errors, has_own_kernels, has_simd};

fn encode(w: usize, h: usize, quality: f32, chroma: (u8, u8), progressive: bool) -> Vec<u8> {
    let mut c = Compress::new(ColorSpace::JCS_RGB);
    c.set_fastest_defaults();
    c.set_size(w, h);
    c.set_quality(quality);
    c.set_chroma_sampling_pixel_sizes(chroma, chroma);
    if progressive {
        c.set_progressive_mode();
    }
    let mut started = c.start_compress(Vec::new()).unwrap();
    started.write_scanlines(&pixels(w, h, 7)).unwrap();
    started.finish().unwrap()
}

fn decode(bytes: &[u8], numerator: u8, ours: bool) -> Vec<u8> {
    let builder = Decompress::with_markers(&[]);
    let builder = if ours {
        builder.with_err(decoder_errors())
    } else {
        builder
    };
    let mut jpeg = builder.from_mem(bytes).unwrap();
    jpeg.scale(numerator);
    let mut started = jpeg.rgb().unwrap();
    let pixels = started.read_scanlines::<u8>().unwrap();
    started.finish().unwrap();
    pixels
}

/// The cases: encoder quality from 1 (coarse tables, large dequantised values) to 100, full
/// and half chroma, baseline and progressive, and the repository's photos.
fn cases() -> Vec<(String, Vec<u8>)> {
    let mut cases = Vec::new();
    for quality in [1.0, 30.0, 75.0, 95.0, 100.0] {
        for chroma in [(1, 1), (2, 2)] {
            for progressive in [false, true] {
                cases.push((
                    format!("q{quality} chroma {chroma:?} progressive {progressive}"),
                    encode(203, 141, quality, chroma, progressive),
                ));
            }
        }
    }
    cases.extend(fixtures(&[
        "cups-800x500.jpg",
        "forest-800x500.jpg",
        "forest-orient6.jpg",
    ]));
    cases
}

#[test]
fn whole_decodes_are_libjpegs_at_every_scale() {
    for (name, bytes) in cases() {
        for numerator in [8, 4, 2, 1] {
            assert!(
                decode(&bytes, numerator, true) == decode(&bytes, numerator, false),
                "{name} at {numerator}/8"
            );
        }
    }
}

/// libjpeg's scalar routines and its SIMD 8×8 one are what gets replaced, and only them: a
/// routine the selector does not know stays.
#[test]
fn the_scalar_routines_and_the_simd_8x8_one_are_replaced() {
    let chosen: [Idct; 4] = [
        jpeg_idct_islow,
        jpeg_idct_4x4,
        jpeg_idct_2x2,
        jsimd_idct_islow,
    ];
    let ours: [Idct; 4] = [kernel::<8>, kernel::<4>, kernel::<2>, flat_or_simd];
    for (c, k) in chosen.into_iter().zip(ours) {
        let expected = available().then_some(k as usize);
        assert_eq!(replacement(c).map(|f| f as usize), expected);
    }
    assert!(replacement(kernel::<8>).is_none());
}

/// A coefficient block aligned as libjpeg allocates them: its AVX2 routine loads them
/// with aligned moves.
#[repr(align(32))]
struct Block([i16; 64]);

/// The SIMD routine's wrapper, block by block against the routine itself: flat blocks with DC
/// values over the whole 16-bit range (the shortcut inside and outside its ±512) and blocks
/// with a few AC coefficients. Without nasm the SIMD routine is an empty stub, so there the
/// flat blocks the shortcut takes are checked against libjpeg's C routine instead.
#[test]
fn flat_blocks_skip_the_simd_routine_to_its_pixels() {
    if !available() {
        eprintln!("this CPU has no AVX2: the wrapper is never installed here");
        return;
    }
    let simd = has_simd();
    for quality in [1.0, 50.0, 100.0] {
        let bytes = encode(64, 64, quality, (1, 1), false);
        let mut err = decoder_errors();
        // SAFETY: as in `kernels_match_libjpeg_block_by_block`.
        unsafe {
            let mut cinfo = open(&mut err, &bytes);
            jpeg_start_decompress(&mut cinfo);
            let mut rng = Lcg(quality as u64 + 7);
            let mut shortcuts = 0;
            for block in 0..6000 {
                let component = cinfo.comp_info.add(block % 3);
                let q = i32::from((*(*component).quant_table).quantval[0]);
                let mut coef = [0i16; 64];
                coef[0] = match block % 3 {
                    // Anywhere in 16 bits.
                    0 => rng.next() as i16,
                    // Dequantised to about ±4200, across the shortcut's edges (±4096).
                    1 => (((rng.next() % 8401) as i32 - 4200) / q.max(1)) as i16,
                    // What an encoder writes.
                    _ => ((rng.next() % 2048) as i32 - 1024) as i16,
                };
                if block % 4 == 3 {
                    coef[1 + (rng.next() % 63) as usize] = (rng.next() % 9) as i16 - 4;
                }
                let flat = coef[1..].iter().all(|&c| c == 0);
                let value = (i32::from(coef[0]) * q + 4) >> 3;
                let taken = flat && (-512..512).contains(&value);
                shortcuts += usize::from(taken);
                let reference: Idct = match (simd, taken) {
                    (true, _) => jsimd_idct_islow,
                    (false, true) => jpeg_idct_islow,
                    (false, false) => continue,
                };
                let mut a = [[0u8; 8]; 8];
                let mut b = [[0u8; 8]; 8];
                let mut rows_a: Vec<*mut u8> = a.iter_mut().map(|r| r.as_mut_ptr()).collect();
                let mut rows_b: Vec<*mut u8> = b.iter_mut().map(|r| r.as_mut_ptr()).collect();
                let (mut c1, mut c2) = (Block(coef), Block(coef));
                reference(
                    &mut cinfo,
                    component,
                    c1.0.as_mut_ptr(),
                    rows_a.as_mut_ptr(),
                    0,
                );
                flat_or_simd(
                    &mut cinfo,
                    component,
                    c2.0.as_mut_ptr(),
                    rows_b.as_mut_ptr(),
                    0,
                );
                assert_eq!(a, b, "quality {quality}, block {block}: {coef:?}");
            }
            assert!(shortcuts > 1000, "quality {quality}: {shortcuts} shortcuts");
            jpeg_destroy_decompress(&mut cinfo);
        }
    }
}

/// Block by block: random coefficients of a real file's tables through libjpeg's C routine
/// and ours, on a decompressor libjpeg has started (its range-limit table and multiplier
/// tables in place).
#[test]
fn kernels_match_libjpeg_block_by_block() {
    if !available() {
        eprintln!("this CPU has no AVX2: the kernels are never installed here");
        return;
    }
    let pairs: [(Idct, Idct, usize); 3] = [
        (jpeg_idct_islow, kernel::<8>, 8),
        (jpeg_idct_4x4, kernel::<4>, 4),
        (jpeg_idct_2x2, kernel::<2>, 2),
    ];
    for quality in [1.0, 50.0, 90.0, 100.0] {
        let bytes = encode(64, 64, quality, (1, 1), false);
        let mut err = decoder_errors();
        // SAFETY: a decompressor set up and torn down as libjpeg documents, reading `bytes`,
        // which outlive it; the routines get a 64-coefficient block and 8 rows of 8 samples.
        unsafe {
            let mut cinfo = open(&mut err, &bytes);
            jpeg_start_decompress(&mut cinfo);
            let mut rng = Lcg(quality as u64);
            for block in 0..4000 {
                let component = cinfo.comp_info.add(block % 3);
                let q = (*(*component).quant_table).quantval;
                let mut coef = [0i16; 64];
                for (i, c) in coef.iter_mut().enumerate() {
                    // Dequantised values within what the DCT of 8-bit samples yields
                    // (±1024), sparser towards high frequencies as in photos.
                    let bound = 1024 / i32::from(q[i]).max(1);
                    // Every fifth block keeps only its DC coefficient (the kernel's shortcut).
                    let keep = (i == 0 || block % 5 != 1)
                        && (block % 4 == 0 || rng.next() % 64 > i as u32);
                    let span = (2 * bound + 1) as u32;
                    *c = if keep {
                        (rng.next() % span) as i32 - bound
                    } else {
                        0
                    } as i16;
                }
                for (theirs, ours, n) in pairs {
                    let mut a = [[0u8; 8]; 8];
                    let mut b = [[0u8; 8]; 8];
                    let mut rows_a: Vec<*mut u8> = a.iter_mut().map(|r| r.as_mut_ptr()).collect();
                    let mut rows_b: Vec<*mut u8> = b.iter_mut().map(|r| r.as_mut_ptr()).collect();
                    let mut c1 = coef;
                    let mut c2 = coef;
                    theirs(
                        &mut cinfo,
                        component,
                        c1.as_mut_ptr(),
                        rows_a.as_mut_ptr(),
                        0,
                    );
                    ours(
                        &mut cinfo,
                        component,
                        c2.as_mut_ptr(),
                        rows_b.as_mut_ptr(),
                        0,
                    );
                    for r in 0..n {
                        assert_eq!(
                            a[r][..n],
                            b[r][..n],
                            "{n}x{n}, quality {quality}, block {block}, row {r}: {coef:?}"
                        );
                    }
                }
            }
            jpeg_destroy_decompress(&mut cinfo);
        }
    }
}

/// A one-block greyscale JPEG whose coefficients no 8-bit encoder would write (DC 2047 and
/// 1023 at row 1, column 1, quantisers 255), written bit by bit with tiny Huffman tables.
fn out_of_range_jpeg() -> Vec<u8> {
    let mut out = vec![0xFF, 0xD8];
    let mut segment = |marker: u8, body: &[u8]| {
        out.extend([0xFF, marker]);
        out.extend(((body.len() + 2) as u16).to_be_bytes());
        out.extend(body);
    };
    segment(0xDB, &[[0].as_slice(), &[255; 64]].concat());
    segment(0xC0, &[8, 0, 8, 0, 8, 1, 1, 0x11, 0]);
    // DC: category 11 as the code "0". AC: three zeros then size 10 (zigzag position 4, row 1
    // column 1) as "00", end of block as "01".
    let counts = |codes: &[u8], length: usize| {
        let mut c = [0u8; 16];
        c[length - 1] = codes.len() as u8;
        [c.as_slice(), codes].concat()
    };
    segment(0xC4, &[[0x00].as_slice(), &counts(&[11], 1)].concat());
    segment(
        0xC4,
        &[[0x10].as_slice(), &counts(&[0x3A, 0x00], 2)].concat(),
    );
    segment(0xDA, &[1, 1, 0x00, 0, 63, 0]);
    let bits = format!("0{}00{}01", "1".repeat(11), "1".repeat(10));
    let padded = format!("{bits}{}", "1".repeat((8 - bits.len() % 8) % 8));
    for byte in padded.as_bytes().chunks(8) {
        let byte = u8::from_str_radix(std::str::from_utf8(byte).unwrap(), 2).unwrap();
        out.push(byte);
        if byte == 0xFF {
            out.push(0x00);
        }
    }
    out.extend([0xFF, 0xD9]);
    out
}

/// The decode path really runs the kernels: on coefficients out of any encoder's range they
/// wrap in 32 bits where libjpeg's 64-bit C does not, and an odd-frequency term carries the
/// difference into the low bits libjpeg keeps, so the pixels tell them apart. Should
/// libjpeg stop calling the error manager before decoding starts, this fails rather than the
/// speed-up silently going.
/// The same file is a fixture, for the server's hostile-input tests.
#[test]
fn the_fixture_is_this_file() {
    let fixture = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/fixtures/inputs/out-of-range.jpg"
    );
    assert!(std::fs::read(fixture).unwrap() == out_of_range_jpeg());
}

#[test]
fn decodes_through_the_error_manager_use_the_kernels() {
    let bytes = out_of_range_jpeg();
    let decode = |ours: bool| {
        let builder = Decompress::with_markers(&[]);
        let builder = if ours {
            builder.with_err(decoder_errors())
        } else {
            builder
        };
        let mut started = builder.from_mem(&bytes).unwrap().grayscale().unwrap();
        let pixels = started.read_scanlines::<u8>().unwrap();
        started.finish().unwrap();
        pixels
    };
    let (ours, theirs) = (decode(true), decode(false));
    assert_eq!((ours.len(), theirs.len()), (64, 64));
    // A build with nasm keeps libjpeg's SIMD routine for these blocks (not flat).
    assert_eq!(ours != theirs, has_own_kernels(), "{ours:?}\n{theirs:?}");
}
