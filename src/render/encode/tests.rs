use image::{Rgb, RgbImage};

use super::*;

/// A photo-like 160×100 picture: smooth slopes with fine texture, so effort shows in the bytes.
fn photo() -> DynamicImage {
    DynamicImage::ImageRgb8(RgbImage::from_fn(160, 100, |x, y| {
        let texture = ((x * 7 + y * 13) % 11) as u8;
        Rgb([
            (x + texture as u32) as u8,
            (y * 2) as u8 ^ texture,
            ((x + y) / 2) as u8,
        ])
    }))
}

fn with(webp_method: u8, png_level: u8) -> EncodeOptions {
    EncodeOptions {
        webp_method,
        png_level,
        ..EncodeOptions::default()
    }
}

/// `fast` writes more bytes than `small`, and both decode to exactly `image`'s pixels.
fn assert_smaller_and_lossless(image: &DynamicImage, fast: &[u8], small: &[u8], what: &str) {
    assert!(
        fast.len() > small.len(),
        "{what}: {} B at the fastest, {} B at the smallest",
        fast.len(),
        small.len()
    );
    for bytes in [fast, small] {
        let back = image::load_from_memory(bytes).unwrap().to_rgb8();
        assert_eq!(back.as_raw(), image.as_bytes(), "{what} stays lossless");
    }
}

#[test]
fn png_level_reaches_zlib_and_the_default_is_the_old_default() {
    let image = photo();
    let mut old = Vec::new();
    PngEncoder::new_with_quality(&mut old, CompressionType::Default, FilterType::Adaptive)
        .write_image(image.as_bytes(), 160, 100, image.color().into())
        .unwrap();
    let default = encode(&image, OutputFormat::Png, &EncodeOptions::default()).unwrap();
    assert_eq!(
        default, old,
        "level 6 is what pixgate wrote before the setting"
    );
    let fastest = encode(&image, OutputFormat::Png, &with(4, 1)).unwrap();
    let smallest = encode(&image, OutputFormat::Png, &with(4, 9)).unwrap();
    assert_smaller_and_lossless(&image, &fastest, &smallest, "PNG, levels 1 and 9");
}

#[test]
fn webp_method_reaches_libwebp_and_the_default_is_the_old_default() {
    let image = photo();
    let encoder = webp::Encoder::from_image(&image).unwrap();
    let options = EncodeOptions::default();
    let lossless = EncodeOptions {
        lossless: true,
        ..EncodeOptions::default()
    };
    // Method 4 is what the crate's simple calls used: the same bytes as before the setting.
    assert_eq!(
        encode(&image, OutputFormat::Webp, &options).unwrap(),
        encoder.encode(f32::from(options.quality)).to_vec()
    );
    assert_eq!(
        encode(&image, OutputFormat::Webp, &lossless).unwrap(),
        encoder.encode_lossless().to_vec()
    );
    let fastest = encode(&image, OutputFormat::Webp, &with(0, 6)).unwrap();
    let smallest = encode(&image, OutputFormat::Webp, &with(6, 6)).unwrap();
    assert_ne!(fastest, smallest, "method 0 and 6 write different files");
    let lossless_fast = EncodeOptions {
        webp_method: 0,
        ..lossless.clone()
    };
    let lossless_small = EncodeOptions {
        webp_method: 6,
        ..lossless
    };
    let fast = encode(&image, OutputFormat::Webp, &lossless_fast).unwrap();
    let small = encode(&image, OutputFormat::Webp, &lossless_small).unwrap();
    assert_smaller_and_lossless(&image, &fast, &small, "lossless WebP, methods 0 and 6");
}

#[test]
fn webp_method_reaches_the_animation_encoder() {
    let frames = || {
        vec![
            (photo(), Duration::from_millis(100)),
            (photo().fliph(), Duration::from_millis(100)),
        ]
    };
    let fastest = animated_webp(frames(), None, &with(0, 6)).unwrap();
    let smallest = animated_webp(frames(), None, &with(6, 6)).unwrap();
    assert_ne!(fastest, smallest);
}
