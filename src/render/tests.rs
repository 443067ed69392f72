use super::*;
use crate::transform::{Crop, Dimension, Fit};
use image::{DynamicImage, ImageFormat, Rgb, RgbImage, Rgba, RgbaImage};

/// Generous limits, no deadline, nothing kept between renders.
pub(super) const LIMITS: Limits = Limits {
    max_source_pixels: 50_000_000,
    max_output_dimension: 8192,
    max_animation_frames: 256,
    av1: Av1Decoding::InProcess,
    avif: AvifEncoding {
        speed: 9,
        budget: None,
    },
    effort: Effort {
        webp_method: 4,
        png_level: 6,
    },
    deadline: None,
    mezzanine_bytes: 0,
};

fn png(image: DynamicImage) -> Vec<u8> {
    let mut out = std::io::Cursor::new(Vec::new());
    image.write_to(&mut out, ImageFormat::Png).unwrap();
    out.into_inner()
}

fn sized(w: u32, h: u32, fit: Fit) -> Transform {
    Transform {
        width: Some(Dimension::Pixels(w)),
        height: Some(Dimension::Pixels(h)),
        fit,
        ..Transform::default()
    }
}

fn decode_png(bytes: &[u8]) -> DynamicImage {
    image::load_from_memory_with_format(bytes, ImageFormat::Png).unwrap()
}

#[test]
fn premultiplied_resize_leaves_no_dark_fringe() {
    // White opaque stripes on fully transparent black: a naive resize pulls black into edges.
    let src = RgbaImage::from_fn(64, 64, |x, _| {
        if (x / 4) % 2 == 0 {
            Rgba([255, 255, 255, 255])
        } else {
            Rgba([0, 0, 0, 0])
        }
    });
    let mut t = sized(20, 20, Fit::Scale);
    t.format = Some(OutputFormat::Png);
    let out = render(&png(DynamicImage::ImageRgba8(src)), &t, None, &LIMITS).unwrap();
    let img = decode_png(&out.bytes).to_rgba8();
    for px in img.pixels().filter(|p| p[3] > 8) {
        assert!(px[0] >= 230 && px[1] >= 230 && px[2] >= 230, "{px:?}");
    }
}

#[test]
fn jpeg_output_flattens_alpha_onto_the_background() {
    let src = RgbaImage::from_pixel(8, 8, Rgba([0, 0, 0, 0]));
    let mut t = sized(8, 8, Fit::Clip);
    t.format = Some(OutputFormat::Png);
    t.background = None;
    let transparent = png(DynamicImage::ImageRgba8(src));
    let kept = render(&transparent, &t, None, &LIMITS).unwrap();
    assert_eq!(decode_png(&kept.bytes).to_rgba8().get_pixel(0, 0)[3], 0);
    t.format = Some(OutputFormat::Jpeg);
    let flat = render(&transparent, &t, None, &LIMITS).unwrap();
    let mut jpeg = mozjpeg::Decompress::new_mem(&flat.bytes)
        .unwrap()
        .rgb()
        .unwrap();
    let pixels: Vec<u8> = jpeg.read_scanlines().unwrap();
    assert!(pixels.iter().all(|v| *v >= 250), "flattened onto white");
}

#[test]
fn rect_rot_and_flip_apply_before_the_resize() {
    // Left half red, right half blue.
    let src = RgbImage::from_fn(100, 50, |x, _| {
        if x < 50 {
            Rgb([255, 0, 0])
        } else {
            Rgb([0, 0, 255])
        }
    });
    let bytes = png(DynamicImage::ImageRgb8(src));
    let run =
        |t: Transform| decode_png(&render(&bytes, &t, None, &LIMITS).unwrap().bytes).to_rgb8();
    let base = Transform {
        format: Some(OutputFormat::Png),
        ..Transform::default()
    };
    let rect = run(Transform {
        rect: Some(Rect {
            x: 60,
            y: 0,
            width: 40,
            height: 50,
        }),
        ..base.clone()
    });
    assert_eq!(rect.dimensions(), (40, 50));
    assert_eq!(rect.get_pixel(20, 25).0, [0, 0, 255]);
    let rotated = run(Transform {
        rotation: Rotation::Quarter,
        ..base.clone()
    });
    assert_eq!(rotated.dimensions(), (50, 100));
    assert_eq!(
        rotated.get_pixel(25, 10).0,
        [255, 0, 0],
        "left half is on top after 90° cw"
    );
    let flipped = run(Transform {
        flip: crate::transform::Flip {
            horizontal: true,
            vertical: false,
        },
        ..base
    });
    assert_eq!(flipped.get_pixel(10, 25).0, [0, 0, 255]);
}

#[test]
fn entropy_crop_keeps_the_busy_half() {
    // Flat grey on the left, noise on the right.
    let src = RgbImage::from_fn(200, 100, |x, y| {
        if x < 100 {
            Rgb([128, 128, 128])
        } else {
            let v = ((x * 7919 + y * 104_729) % 251) as u8;
            Rgb([v, v.wrapping_mul(3), v.wrapping_mul(7)])
        }
    });
    let mut t = sized(100, 100, Fit::Crop);
    t.crop = Crop::Entropy;
    t.format = Some(OutputFormat::Png);
    let out = render(&png(DynamicImage::ImageRgb8(src)), &t, None, &LIMITS).unwrap();
    let img = decode_png(&out.bytes).to_rgb8();
    let grey = img.pixels().filter(|p| p.0 == [128, 128, 128]).count();
    assert!(
        grey < 100,
        "kept {grey} flat pixels: the busy half should win"
    );
}

#[test]
fn hostile_inputs_fail_cleanly() {
    assert_eq!(
        render(b"hello world", &Transform::default(), None, &LIMITS).unwrap_err(),
        RenderError::NotAnImage
    );
    let real = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/fixtures/cups-800x500.jpg"
    ))
    .unwrap();
    let truncated = &real[..300];
    let err = render(truncated, &sized(10, 10, Fit::Clip), None, &LIMITS).unwrap_err();
    assert!(matches!(err, RenderError::Corrupt(_)), "{err:?}");
    let tiny = Limits {
        max_source_pixels: 1000,
        ..LIMITS
    };
    let err = render(&real, &sized(10, 10, Fit::Clip), None, &tiny).unwrap_err();
    assert!(matches!(err, RenderError::TooManyPixels { .. }), "{err:?}");
}

#[test]
fn a_render_past_its_deadline_stops_at_the_next_checkpoint() {
    let source = png(DynamicImage::ImageRgb8(RgbImage::new(64, 64)));
    let late = Limits {
        deadline: Some(Instant::now()),
        ..LIMITS
    };
    let err = render(&source, &sized(10, 10, Fit::Clip), None, &late).unwrap_err();
    assert_eq!(err, RenderError::TimedOut);
    let in_time = Limits {
        deadline: Some(Instant::now() + Duration::from_secs(60)),
        ..LIMITS
    };
    render(&source, &sized(10, 10, Fit::Clip), None, &in_time).unwrap();
}

#[test]
fn shrink_on_load_leaves_lanczos3_at_least_a_factor_of_two() {
    let plan_for = |w: u32| geometry::plan((4000, 2000), &sized(w, w, Fit::Clip), 8192).unwrap();
    assert_eq!(shrink_on_load(&plan_for(200)), 8);
    assert_eq!(shrink_on_load(&plan_for(400)), 4);
    assert_eq!(shrink_on_load(&plan_for(500)), 4);
    assert_eq!(shrink_on_load(&plan_for(900)), 2);
    assert_eq!(shrink_on_load(&plan_for(1900)), 1);
    assert_eq!(shrink_on_load(&plan_for(3000)), 1);
}

/// WebP stills are decoded by libwebp: it must give what image-webp (the reference here)
/// gives, layout included, and a cut-off file must still be refused.
#[test]
fn libwebp_decodes_webp_stills_as_image_webp_does() {
    let av1 = Av1Decoding::InProcess;
    for name in ["forest-lossy.webp", "cups-alpha.webp", "kite-lossless.webp"] {
        let path = format!("{}/fixtures/inputs/{name}", env!("CARGO_MANIFEST_DIR"));
        let bytes = std::fs::read(&path).unwrap();
        let header = decode::header(&bytes, u64::MAX).unwrap();
        let ours = decode::decode(&bytes, &header, decode::Scale::FULL, u64::MAX, &av1)
            .unwrap()
            .image;
        let reference = image::load_from_memory_with_format(&bytes, ImageFormat::WebP).unwrap();
        assert_eq!(ours.color(), reference.color(), "{name}");
        assert_eq!(
            (ours.width(), ours.height()),
            (reference.width(), reference.height())
        );
        let squared: f64 = ours
            .as_bytes()
            .iter()
            .zip(reference.as_bytes())
            .map(|(a, b)| (f64::from(*a) - f64::from(*b)).powi(2))
            .sum();
        let mse = squared / ours.as_bytes().len() as f64;
        let psnr = 10.0 * (255.0f64.powi(2) / mse.max(1e-9)).log10();
        assert!(psnr > 40.0, "{name}: {psnr:.1} dB");
        let cut = &bytes[..bytes.len() / 2];
        let decoded = decode::header(cut, u64::MAX)
            .and_then(|h| decode::decode(cut, &h, decode::Scale::FULL, u64::MAX, &av1));
        assert!(decoded.is_err(), "{name} cut in half");
    }
}
