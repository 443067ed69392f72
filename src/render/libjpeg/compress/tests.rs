//! pixgate's compressor against the `mozjpeg` crate's with the same settings (libjpeg's own
//! routines throughout): the same bytes, with the kernels in.

use mozjpeg::{ColorSpace, Compress, Marker, PixelDensity, PixelDensityUnit};

use super::*;

/// Noise, hard edges and gradients, deterministic per seed.
fn samples(len: usize, width: usize, seed: u32) -> Vec<u8> {
    let mut state = seed.wrapping_mul(2_654_435_761).wrapping_add(1);
    (0..len)
        .map(|i| {
            state ^= state << 13;
            state ^= state >> 17;
            state ^= state << 5;
            let (x, y) = (i % width, i / width);
            match (x / 24 + y / 24) % 3 {
                0 => state as u8,
                1 => {
                    if (x / 5 + y / 3) % 2 == 0 {
                        250
                    } else {
                        3
                    }
                }
                _ => ((x * 3 + y * 5 + i) % 256) as u8,
            }
        })
        .collect()
}

fn crates_encoder(pixels: &Pixels<'_>, settings: &Settings<'_>) -> Vec<u8> {
    let mut c = Compress::new(if pixels.grey {
        ColorSpace::JCS_GRAYSCALE
    } else {
        ColorSpace::JCS_RGB
    });
    c.set_fastest_defaults();
    c.set_size(pixels.width as usize, pixels.height as usize);
    c.set_quality(f32::from(settings.quality));
    c.set_optimize_coding(true);
    if settings.progressive {
        c.set_progressive_mode();
    }
    if !pixels.grey {
        c.set_chroma_sampling_pixel_sizes(settings.chroma, settings.chroma);
    }
    if let Some(dpi) = settings.dpi {
        c.set_pixel_density(PixelDensity {
            unit: PixelDensityUnit::Inches,
            x: dpi,
            y: dpi,
        });
    }
    let mut started = c.start_compress(Vec::new()).unwrap();
    for payload in settings.app13 {
        started.write_marker(Marker::APP(13), payload);
    }
    started.write_scanlines(pixels.samples).unwrap();
    started.finish().unwrap()
}

#[test]
fn files_are_the_crates_bytes() {
    let app13 = vec![b"Photoshop 3.0\0test".to_vec()];
    let mut cases = 0;
    for (w, h) in [(1, 1), (17, 9), (64, 48), (333, 77)] {
        for grey in [false, true] {
            for quality in [1, 30, 75, 89, 90, 100] {
                for chroma in [(1, 1), (2, 1), (2, 2)] {
                    for progressive in [false, true] {
                        if grey && chroma != (2, 2) {
                            continue;
                        }
                        let components = if grey { 1 } else { 3 };
                        let data = samples(w * h * components, w * components, cases);
                        let pixels = Pixels {
                            samples: &data,
                            width: w as u32,
                            height: h as u32,
                            grey,
                        };
                        let settings = Settings {
                            quality,
                            progressive,
                            chroma,
                            dpi: (quality == 75).then_some(144),
                            app13: if quality == 30 { &app13 } else { &[] },
                        };
                        assert_eq!(
                            compress(&pixels, &settings),
                            crates_encoder(&pixels, &settings),
                            "{w}x{h} grey {grey} q {quality} chroma {chroma:?} progressive {progressive}"
                        );
                        cases += 1;
                    }
                }
            }
        }
    }
    assert!(cases > 100);
}

/// The comparison above means something only if the kernels ran: on a CPU with AVX2 and a
/// libjpeg without SIMD, the compressor holds the forward DCT's divisors.
#[test]
fn the_kernels_are_installed_where_they_apply() {
    let data = samples(32 * 16 * 3, 32 * 3, 1);
    let pixels = Pixels {
        samples: &data,
        width: 32,
        height: 16,
        grey: false,
    };
    let settings = Settings {
        quality: 80,
        progressive: false,
        chroma: (2, 2),
        dpi: None,
        app13: &[],
    };
    let mut c = Compressor::new();
    let file = c.run(&pixels, &settings);
    assert_eq!(
        c.divisors.is_some(),
        crate::render::libjpeg::has_own_kernels()
    );
    assert_eq!(c.huffman, cfg!(target_arch = "x86_64"));
    assert_eq!(file, crates_encoder(&pixels, &settings));
}

/// Whole photos through the Huffman coder: long zero runs (and their 16-zero symbols) in
/// smooth areas at low quality, dense blocks at high quality, files far past the first
/// buffer libjpeg's memory destination grows from.
#[test]
fn photos_are_the_crates_bytes() {
    let file = std::fs::read("fixtures/forest-800x500.jpg").unwrap();
    let image = image::load_from_memory(&file).unwrap().to_rgb8();
    let (width, height) = image.dimensions();
    let grey = image::imageops::grayscale(&image);
    for quality in [5, 50, 85, 100] {
        for (samples, is_grey) in [(image.as_raw(), false), (grey.as_raw(), true)] {
            let pixels = Pixels {
                samples,
                width,
                height,
                grey: is_grey,
            };
            let settings = Settings {
                quality,
                progressive: false,
                chroma: (2, 2),
                dpi: None,
                app13: &[],
            };
            assert!(
                compress(&pixels, &settings) == crates_encoder(&pixels, &settings),
                "q {quality} grey {is_grey}"
            );
        }
    }
}
