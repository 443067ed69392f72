//! The decoder against libjpeg's own: whole decodes of encodes and photos at every DCT scale,
//! and of the same files damaged (bytes changed, markers put in, cut short), where the two
//! must agree on every pixel or fail alike; and where it goes in and where it stays out.

use std::panic::{AssertUnwindSafe, catch_unwind};

use std::os::raw::c_int;

use mozjpeg::{ColorSpace, Compress};
use mozjpeg_sys::{
    J_COLOR_SPACE, jpeg_common_struct, jpeg_decompress_struct, jpeg_destroy_decompress,
    jpeg_finish_decompress, jpeg_read_scanlines, jpeg_start_decompress,
};

use super::*;
use crate::render::libjpeg::decoder_errors;
use crate::render::libjpeg::test_pixels::{Lcg, fixtures, open, pixels};

/// A JPEG of `rgb` (`w`×`h`), progressive or sequential.
fn compress(rgb: &[u8], w: usize, h: usize, quality: f32, progressive: bool) -> Vec<u8> {
    let mut c = Compress::new(ColorSpace::JCS_RGB);
    c.set_size(w, h);
    c.set_quality(quality);
    if progressive {
        c.set_progressive_mode();
    }
    let mut started = c.start_compress(Vec::new()).unwrap();
    started.write_scanlines(rgb).unwrap();
    started.finish().unwrap()
}

fn encode(quality: f32, chroma: (u8, u8), optimize: bool, grey: bool) -> Vec<u8> {
    let (w, h) = (203, 141);
    let mut c = Compress::new(if grey {
        ColorSpace::JCS_GRAYSCALE
    } else {
        ColorSpace::JCS_RGB
    });
    c.set_fastest_defaults();
    c.set_size(w, h);
    c.set_quality(quality);
    c.set_optimize_coding(optimize);
    if !grey {
        c.set_chroma_sampling_pixel_sizes(chroma, chroma);
    }
    let rgb = pixels(w, h, 11);
    let samples: Vec<u8> = if grey {
        rgb.chunks(3).map(|p| p[1]).collect()
    } else {
        rgb
    };
    let mut started = c.start_compress(Vec::new()).unwrap();
    started.write_scanlines(&samples).unwrap();
    started.finish().unwrap()
}

/// libjpeg's warnings are dropped, as in `decoder_errors`, which is not used here since its
/// first message installs all of pixgate's routines: only the decoder differs between the
/// two sides.
unsafe extern "C-unwind" fn quiet(_cinfo: &mut jpeg_common_struct, _level: c_int) {}

/// The same, but each message may start progressive scans with the decoder, as
/// `decoder_errors`' does.
unsafe extern "C-unwind" fn wrapping(cinfo: &mut jpeg_common_struct, _level: c_int) {
    if cinfo.is_decompressor != 0 {
        let cinfo = std::ptr::from_mut(cinfo).cast::<jpeg_decompress_struct>();
        // SAFETY: libjpeg emits messages only from a live object; a decompressor's common
        // fields head its struct.
        unsafe { wrap_progressive(cinfo) };
    }
}

/// The RGB pixels of a decode at `numerator`/8 by libjpeg, with the decoder installed at the
/// start of the output pass (and whether it went in) or without; None where the decode
/// failed.
fn decode(bytes: &[u8], numerator: u8, ours: bool) -> Option<(Vec<u8>, bool)> {
    let mut err = decoder_errors();
    err.emit_message = Some(if ours { wrapping } else { quiet });
    // SAFETY: a decompressor set up as libjpeg documents, reading `bytes`, which outlive it,
    // into rows of the width it reports. A fatal error unwinds out of libjpeg (the error
    // manager's `error_exit`) and leaks the decompressor, which a test can afford.
    catch_unwind(AssertUnwindSafe(|| unsafe {
        let mut cinfo = open(&mut err, bytes);
        cinfo.out_color_space = J_COLOR_SPACE::JCS_RGB;
        cinfo.scale_num = u32::from(numerator);
        cinfo.scale_denom = 8;
        jpeg_start_decompress(&mut cinfo);
        let installed = ours && (replace(&mut cinfo) || installed(&mut cinfo));
        let row = cinfo.output_width as usize * 3;
        let mut pixels = vec![0u8; row * cinfo.output_height as usize];
        for chunk in pixels.chunks_mut(row) {
            let mut rows = [chunk.as_mut_ptr()];
            jpeg_read_scanlines(&mut cinfo, rows.as_mut_ptr(), 1);
        }
        jpeg_finish_decompress(&mut cinfo);
        jpeg_destroy_decompress(&mut cinfo);
        (pixels, installed)
    }))
    .ok()
}

/// Encoder quality 1 (large values, long extra bits) to 100, default and optimised tables,
/// full and quarter chroma, grey, progressive, and the repository's photos.
fn cases() -> Vec<(String, Vec<u8>)> {
    let mut cases = Vec::new();
    for quality in [1.0, 40.0, 75.0, 95.0, 100.0] {
        for optimize in [false, true] {
            for chroma in [(1, 1), (2, 2)] {
                cases.push((
                    format!("q{quality} optimize {optimize} chroma {chroma:?}"),
                    encode(quality, chroma, optimize, false),
                ));
            }
            cases.push((
                format!("q{quality} optimize {optimize} grey"),
                encode(quality, (1, 1), optimize, true),
            ));
        }
    }
    for quality in [1.0, 50.0, 90.0, 100.0] {
        cases.push((
            format!("q{quality} progressive"),
            compress(&pixels(203, 141, 5), 203, 141, quality, true),
        ));
    }
    let [(_, forest)] = <[_; 1]>::try_from(fixtures(&["forest-800x500.jpg"])).unwrap();
    let (forest, w, h) = decode(&forest, 8, false)
        .map(|(rgb, _)| (rgb, 800, 500))
        .unwrap();
    for quality in [75.0, 95.0] {
        cases.push((
            format!("forest q{quality} progressive"),
            compress(&forest, w, h, quality, true),
        ));
    }
    cases.extend(fixtures(&[
        "cups-800x500.jpg",
        "forest-800x500.jpg",
        "inputs/grey.jpg",
        "inputs/forest-restarts.jpg",
    ]));
    cases
}

/// Where the entropy-coded data starts: after the first start-of-scan segment.
fn scan_start(bytes: &[u8]) -> usize {
    let sos = bytes.windows(2).position(|w| w == [0xFF, 0xDA]).unwrap();
    sos + 2 + usize::from(bytes[sos + 2]) * 256 + usize::from(bytes[sos + 3])
}

#[test]
fn whole_decodes_are_libjpegs_at_every_scale() {
    for (name, bytes) in cases() {
        for numerator in [8, 4, 2, 1] {
            let (ours, installed) = decode(&bytes, numerator, true).unwrap();
            let (theirs, _) = decode(&bytes, numerator, false).unwrap();
            assert_eq!(installed, !name.contains("restarts"), "{name}");
            assert!(ours == theirs, "{name} at {numerator}/8");
        }
    }
}

/// Damage of every kind a file meets: changed bytes (invalid codes, runs past a block's end,
/// a 0xFF that starts a marker), restart and end-of-image markers put into the data, and
/// files cut short. libjpeg warns and goes on, or fails; the decoder hands every unit it
/// cannot vouch for back to it, so the pixels are the same either way.
#[test]
fn damaged_files_decode_as_libjpeg_decodes_them() {
    let mut rng = Lcg(5);
    let mut checked = 0;
    for (name, bytes) in cases() {
        let start = scan_start(&bytes);
        let data = bytes.len() - 2 - start;
        for round in 0..12 {
            let mut damaged = bytes.clone();
            let at = start + rng.next() as usize % data;
            match round % 4 {
                0 => damaged[at] = rng.next() as u8,
                1 => {
                    for _ in 0..8 {
                        let at = start + rng.next() as usize % data;
                        damaged[at] ^= 1 << (rng.next() % 8);
                    }
                }
                2 => {
                    let marker = [0xD0 + (rng.next() % 8) as u8, 0xD9][round % 2];
                    damaged.splice(at..at, [0xFF, marker]);
                }
                _ => damaged.truncate(at),
            }
            for numerator in [8, 1] {
                let ours = decode(&damaged, numerator, true).map(|(pixels, _)| pixels);
                let theirs = decode(&damaged, numerator, false).map(|(pixels, _)| pixels);
                assert!(
                    ours == theirs,
                    "{name}, round {round}, at {at}, {numerator}/8"
                );
                checked += usize::from(ours.is_some());
            }
        }
    }
    // Most damaged files still decode (libjpeg warns, fills in and goes on), so the pixels
    // were compared, not just two failures.
    assert!(checked > 400, "{checked}");
}

/// It goes in for one sequential scan and for progressive files (their AC scans),
/// and stays out of files with restart intervals.
#[test]
fn it_goes_in_for_sequential_and_progressive_files_without_restarts() {
    let read = |name: &str| fixtures(&[name]).remove(0).1;
    let mut progressive = Compress::new(ColorSpace::JCS_RGB);
    progressive.set_size(64, 48);
    progressive.set_progressive_mode();
    let mut started = progressive.start_compress(Vec::new()).unwrap();
    started.write_scanlines(&pixels(64, 48, 3)).unwrap();
    let progressive = started.finish().unwrap();
    let x86 = cfg!(target_arch = "x86_64");
    for (name, bytes, expected) in [
        ("baseline", read("forest-800x500.jpg"), x86),
        ("grey", read("inputs/grey.jpg"), x86),
        ("restarts", read("inputs/forest-restarts.jpg"), false),
        ("progressive", progressive, x86),
    ] {
        let mut err = decoder_errors();
        // SAFETY: a decompressor set up and torn down as libjpeg documents, reading `bytes`,
        // which outlive it.
        let (through_selector, again) = unsafe {
            let mut cinfo = open(&mut err, &bytes);
            jpeg_start_decompress(&mut cinfo);
            let through_selector = installed(&mut cinfo);
            let again = replace(&mut cinfo) || installed(&mut cinfo);
            jpeg_destroy_decompress(&mut cinfo);
            (through_selector, again)
        };
        assert_eq!(through_selector, expected, "{name}");
        assert_eq!(again, expected, "{name}, installing again");
    }
}
