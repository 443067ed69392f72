use image::{Rgb, RgbImage, Rgba, RgbaImage};

use super::*;
use crate::render::decode::av1_child::Av1Decoding;
use crate::render::decode::{Scale, decode, header};

fn options(quality: u8) -> EncodeOptions {
    EncodeOptions {
        quality,
        ..EncodeOptions::default()
    }
}

/// A smooth photo-like RGB gradient with a sharp coloured square: chroma edges to subsample.
fn scene(width: u32, height: u32) -> RgbImage {
    RgbImage::from_fn(width, height, |x, y| {
        if (width / 4..width / 2).contains(&x) && (height / 4..height / 2).contains(&y) {
            Rgb([200, 30, 40])
        } else {
            Rgb([
                (x * 255 / width.max(2)) as u8,
                (y * 255 / height.max(2)) as u8,
                ((x + y) * 127 / (width + height)) as u8,
            ])
        }
    })
}

fn metadata(avif: &[u8]) -> avif_parse::AV1Metadata {
    let data = avif_parse::read_avif(&mut &avif[..]).unwrap();
    data.primary_item_metadata().unwrap()
}

fn decoded(avif: &[u8]) -> RgbaImage {
    // pixgate's own AVIF input, as a source would be read.
    let header = header(avif, u64::MAX).unwrap();
    let decoded = decode(
        avif,
        &header,
        Scale::FULL,
        u64::MAX,
        &Av1Decoding::InProcess,
    )
    .unwrap();
    decoded.image.to_rgba8()
}

/// Mean absolute difference per channel, alpha included.
fn mean_diff(a: &RgbaImage, b: &RgbaImage) -> f64 {
    assert_eq!(a.dimensions(), b.dimensions());
    let total: u64 = a
        .as_raw()
        .iter()
        .zip(b.as_raw())
        .map(|(&x, &y)| u64::from(x.abs_diff(y)))
        .sum();
    total as f64 / a.as_raw().len() as f64
}

#[test]
fn chroma_is_420_below_quality_90_and_444_from_it_and_lossless() {
    let image = DynamicImage::ImageRgb8(scene(64, 48));
    for (quality, lossless, subsampled) in [
        (75, false, true),
        (89, false, true),
        (90, false, false),
        (40, true, false),
    ] {
        let options = EncodeOptions {
            lossless,
            ..options(quality)
        };
        let bytes = avif(&image, &options).unwrap();
        let meta = metadata(&bytes);
        let what = format!("q{quality} lossless {lossless}");
        assert_eq!(meta.chroma_subsampling, (subsampled, subsampled), "{what}");
        // Main profile for 4:2:0, High for 4:4:4; the container's av1C must agree with the
        // stream, which the parse above checked against the sequence header.
        assert_eq!(meta.seq_profile, if subsampled { 0 } else { 1 }, "{what}");
        assert!(meta.still_picture && !meta.monochrome, "{what}");
        assert_eq!(meta.bit_depth, 8, "{what}");
    }
}

#[test]
fn round_trips_close_at_every_size_including_odd_ones() {
    for (width, height) in [(1, 1), (3, 5), (17, 2), (64, 48), (65, 33)] {
        // Gentle slopes: on a few pixels a steep one is mostly quantisation error at q 75.
        let original = RgbaImage::from_fn(width, height, |x, y| {
            Rgba([
                (50 + x * 3) as u8,
                (60 + y * 4) as u8,
                (120 + x + y) as u8,
                255,
            ])
        });
        for quality in [75, 95] {
            let bytes = avif(
                &DynamicImage::ImageRgba8(original.clone()),
                &options(quality),
            )
            .unwrap();
            let back = decoded(&bytes);
            assert_eq!(back.dimensions(), (width, height));
            let diff = mean_diff(&back, &original);
            assert!(diff < 6.0, "{width}x{height} q{quality}: off by {diff:.2}");
            assert!(
                back.pixels().all(|p| p.0[3] == 255),
                "{width}x{height}: no alpha"
            );
        }
    }
}

#[test]
fn colours_come_back_where_chroma_was_averaged() {
    // Flat colour fields, each larger than a 2×2 chroma block: the average is the colour, so
    // 4:2:0 must give the colours back (a sign or matrix error would show here).
    let colours = [[200, 30, 40], [20, 160, 60], [30, 60, 220], [240, 240, 40]];
    let original = RgbaImage::from_fn(64, 64, |x, y| {
        let [r, g, b] = colours[(x / 32 + 2 * (y / 32)) as usize];
        Rgba([r, g, b, 255])
    });
    let bytes = avif(&DynamicImage::ImageRgba8(original.clone()), &options(75)).unwrap();
    let back = decoded(&bytes);
    for (x, y) in [(16, 16), (48, 16), (16, 48), (48, 48)] {
        let (want, got) = (original.get_pixel(x, y).0, back.get_pixel(x, y).0);
        for c in 0..3 {
            assert!(
                want[c].abs_diff(got[c]) <= 4,
                "({x},{y}): {got:?} for {want:?}"
            );
        }
    }
}

#[test]
fn alpha_is_its_own_monochrome_image_only_when_something_is_transparent() {
    let mut rgba = DynamicImage::ImageRgb8(scene(40, 30)).to_rgba8();
    let opaque = avif(&DynamicImage::ImageRgba8(rgba.clone()), &options(75)).unwrap();
    let parsed = avif_parse::read_avif(&mut &opaque[..]).unwrap();
    assert!(
        parsed.alpha_item.is_none(),
        "an opaque RGBA image needs no alpha"
    );

    for (x, _, pixel) in rgba.enumerate_pixels_mut() {
        pixel.0[3] = (x * 255 / 39) as u8;
    }
    let bytes = avif(&DynamicImage::ImageRgba8(rgba.clone()), &options(75)).unwrap();
    let parsed = avif_parse::read_avif(&mut &bytes[..]).unwrap();
    let alpha = parsed.alpha_item_metadata().unwrap().unwrap();
    assert!(alpha.monochrome);
    let back = decoded(&bytes);
    let alpha_diff = back
        .pixels()
        .zip(rgba.pixels())
        .map(|(a, b)| f64::from(a.0[3].abs_diff(b.0[3])))
        .sum::<f64>()
        / f64::from(40 * 30);
    assert!(alpha_diff < 2.0, "alpha off by {alpha_diff:.2}");
}

#[test]
fn grey_input_is_encoded_as_colour_with_neutral_chroma() {
    let grey = image::GrayImage::from_fn(32, 32, |x, y| image::Luma([(x * 8 + y) as u8]));
    let bytes = avif(&DynamicImage::ImageLuma8(grey.clone()), &options(80)).unwrap();
    let back = decoded(&bytes);
    for (out, want) in back.pixels().zip(grey.pixels()) {
        let [r, g, b, _] = out.0;
        assert!(
            r.abs_diff(g) <= 2 && g.abs_diff(b) <= 2,
            "{:?} is not grey",
            out.0
        );
        assert!(g.abs_diff(want.0[0]) <= 8, "{} for {}", g, want.0[0]);
    }
}

#[test]
fn the_matrix_is_jfifs() {
    // Pure primaries and white through JFIF's full-range BT.601 matrix.
    let planes = |rgb: [u8; 3]| {
        let p = Planes::from_rgba(&[rgb[0], rgb[1], rgb[2], 255], 1, 1, true);
        (p.luma[0], p.cb[0], p.cr[0])
    };
    assert_eq!(planes([255, 255, 255]), (255, 128, 128));
    assert_eq!(planes([0, 0, 0]), (0, 128, 128));
    assert_eq!(planes([255, 0, 0]), (76, 85, 255));
    assert_eq!(planes([0, 255, 0]), (150, 44, 21));
    assert_eq!(planes([0, 0, 255]), (29, 255, 107));
    // Four pixels' chroma averaged: red, green, blue and white in one block.
    let block = [
        255, 0, 0, 255, 0, 255, 0, 255, 0, 0, 255, 255, 255, 255, 255, 255,
    ];
    let p = Planes::from_rgba(&block, 2, 2, true);
    assert_eq!((p.cb.len(), p.cr.len()), (1, 1));
    assert_eq!(
        (p.cb[0], p.cr[0]),
        (128, 128),
        "the sum of the primaries is grey"
    );
}

#[test]
fn quality_maps_onto_ravifs_quantizer_curve() {
    // The points ravif's mapping gave, so `q` means what it did before (q 75 → 128).
    for (quality, want) in [
        (100, 0),
        (90, 66),
        (82, 119),
        (75, 128),
        (50, 159),
        (25, 191),
        (1, 252),
    ] {
        assert_eq!(quantizer(quality), want, "q {quality}");
    }
}

#[test]
fn speeds_9_and_10_search_8x8_blocks_cheaply() {
    // PartitionRange has no PartialEq; its Debug output names both ends.
    let range = |speed| format!("{:?}", speed_settings(speed).partition.partition_range);
    let eight = format!(
        "{:?}",
        PartitionRange::new(BlockSize::BLOCK_8X8, BlockSize::BLOCK_8X8)
    );
    for speed in [9, 10] {
        let settings = speed_settings(speed);
        assert_eq!(range(speed), eight);
        assert!(settings.partition.encode_bottomup);
        assert!(!settings.fast_deblock);
        assert_eq!(settings.segmentation, SegmentationLevel::Disabled);
        // Distortion on the coefficients, which rav1e measures only when tuned for PSNR.
        assert!(settings.transform.tx_domain_distortion);
        assert_eq!(tune(speed), Tune::Psnr);
    }
    assert!(speed_settings(9).cdef);
    assert!(!speed_settings(10).cdef);
    // Below 9 rav1e's presets and tuning stand.
    let preset = format!(
        "{:?}",
        SpeedSettings::from_preset(6).partition.partition_range
    );
    assert_eq!(range(6), preset);
    assert_eq!(tune(6), Tune::Psychovisual);
}

#[test]
fn at_speeds_9_and_10_edge_superblocks_keep_to_8x8_blocks_too() {
    // 200x113 leaves superblocks straddling the right and bottom edges. rav1e tried them in
    // halves of any size (64x32, 32x64 …) whatever the partition range; the vendored rav1e
    // (vendor/README.md) keeps those to the range too, and the edges come out as 8x8 blocks
    // and their halves like the rest.
    let (width, height) = (200, 113);
    let image = DynamicImage::ImageRgb8(scene(width, height));
    let rgba = image.to_rgba8();
    let (w, h) = (width as usize, height as usize);
    let planes = Planes::from_rgba(rgba.as_raw(), w, h, true);
    let small = [
        BlockSize::BLOCK_4X4,
        BlockSize::BLOCK_4X8,
        BlockSize::BLOCK_8X4,
        BlockSize::BLOCK_8X8,
    ];
    for speed in [9, 10] {
        let settings = Settings {
            width: w,
            height: h,
            quantizer: quantizer(75),
            speed,
        };
        let packets = settings
            .packets(ChromaSampling::Cs420, &planes.with_row_lengths())
            .unwrap();
        let mut counts = [0usize; BlockSize::BLOCK_SIZES_ALL];
        for packet in &packets {
            for (sum, n) in counts.iter_mut().zip(packet.enc_stats.block_size_counts) {
                *sum += n;
            }
        }
        let coded: usize = counts.iter().sum();
        let in_small: usize = small.iter().map(|&size| counts[size as usize]).sum();
        assert!(coded > 0, "speed {speed}: no blocks counted");
        assert_eq!(in_small, coded, "speed {speed}: {counts:?}");
    }
}
