use super::*;

fn fixture(name: &str) -> Vec<u8> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/inputs")
        .join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Offset of the first `kind` box's body (after size and type) in `bytes`.
fn body_of(bytes: &[u8], kind: &[u8; 4]) -> usize {
    bytes.windows(4).position(|w| w == kind).unwrap() + 4
}

#[test]
fn sniffs_avif_and_avis_brands_major_or_compatible() {
    let ftyp = |major: &[u8; 4], compatible: &[&[u8; 4]]| {
        let mut b = Vec::new();
        let size = 16 + 4 * compatible.len() as u32;
        b.extend(size.to_be_bytes());
        b.extend(b"ftyp");
        b.extend(major);
        b.extend([0; 4]);
        for brand in compatible {
            b.extend(*brand);
        }
        b
    };
    assert!(is_avif(&ftyp(b"avif", &[b"mif1"])));
    assert!(is_avif(&ftyp(b"avis", &[])));
    assert!(is_avif(&ftyp(b"mif1", &[b"miaf", b"avif"])));
    assert!(!is_avif(&ftyp(b"heic", &[b"mif1", b"heic"])));
    assert!(!is_avif(&ftyp(b"isom", &[b"mp41"])));
    assert!(
        !is_avif(b"\x00\x00\x00\x20ftypavif"),
        "a box running past the end"
    );
    assert!(!is_avif(b"\x89PNG\r\n\x1a\n"));
    assert!(!is_avif(&[]));
}

#[test]
fn info_reads_size_alpha_and_colour_boxes_without_decoding() {
    let info = info(&fixture("cups-alpha.avif")).unwrap();
    assert_eq!(info.size, (320, 200));
    assert_eq!(info.orientation, Orientation::NoTransforms);
    assert!(info.has_alpha);
    // Pillow writes BT.601 full range in `nclx` and keeps the PNG's ICC profile in `prof`.
    assert_eq!(info.nclx, Some((6, true)));
    assert!(info.icc.as_ref().is_some_and(|icc| &icc[36..40] == b"acsp"));
}

#[test]
fn info_takes_the_size_from_ispe() {
    let mut bytes = fixture("cups-alpha.avif");
    let at = body_of(&bytes, b"ispe") + 4;
    bytes[at..at + 8].copy_from_slice(&[0, 1, 0x86, 0xA0, 0, 1, 0x86, 0xA0]);
    assert_eq!(info(&bytes).unwrap().size, (100_000, 100_000));
}

#[test]
fn decodes_the_fixture_close_to_its_png_original() {
    let bytes = fixture("cups-alpha.avif");
    let (image, icc) = decode(&bytes, &info(&bytes).unwrap(), &Av1Decoding::InProcess).unwrap();
    assert!(icc.is_some());
    let DynamicImage::ImageRgba8(decoded) = image else {
        panic!("expected RGBA, got {:?}", image.color());
    };
    let original = image::load_from_memory(&fixture("cups-alpha.png"))
        .unwrap()
        .to_rgba8();
    assert_eq!(decoded.dimensions(), original.dimensions());
    let (mut colour, mut alpha, mut weight) = (0.0, 0.0, 0.0);
    for (p, q) in decoded.pixels().zip(original.pixels()) {
        let a = f64::from(q.0[3]) / 255.0;
        for c in 0..3 {
            colour += a * f64::from(p.0[c].abs_diff(q.0[c]));
        }
        weight += 3.0 * a;
        alpha += f64::from(p.0[3].abs_diff(q.0[3]));
    }
    let colour = colour / weight;
    let alpha = alpha / f64::from(decoded.width() * decoded.height());
    assert!(
        colour < 3.0,
        "mean colour error {colour:.2} (alpha-weighted)"
    );
    assert!(alpha < 2.0, "mean alpha error {alpha:.2}");
}

#[test]
fn truncated_or_garbled_files_are_corrupt() {
    let bytes = fixture("cups-alpha.avif");
    let half = &bytes[..bytes.len() / 2];
    let parsed = info(half).unwrap();
    assert!(matches!(
        decode(half, &parsed, &Av1Decoding::InProcess),
        Err(RenderError::Corrupt(_))
    ));
    assert!(matches!(info(&bytes[..40]), Err(RenderError::Corrupt(_))));

    let mut garbage = bytes[..32].to_vec();
    garbage.extend((0..4000u32).map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8));
    assert!(matches!(info(&garbage), Err(RenderError::Corrupt(_))));

    // Valid boxes, but the AV1 data of the primary item is noise.
    let mut noisy = bytes.clone();
    let mdat = body_of(&noisy, b"mdat");
    for (i, b) in noisy[mdat + 4..].iter_mut().enumerate() {
        *b ^= (i as u8).wrapping_mul(151) | 1;
    }
    let parsed = info(&noisy).unwrap();
    assert!(matches!(
        decode(&noisy, &parsed, &Av1Decoding::InProcess),
        Err(RenderError::Corrupt(_))
    ));
}

#[test]
fn a_frame_larger_than_ispe_is_refused_by_the_decoder() {
    let mut bytes = fixture("cups-alpha.avif");
    let at = body_of(&bytes, b"ispe") + 4;
    bytes[at..at + 8].copy_from_slice(&[0, 0, 0, 100, 0, 0, 0, 50]);
    let parsed = info(&bytes).unwrap();
    assert!(matches!(
        decode(&bytes, &parsed, &Av1Decoding::InProcess),
        Err(RenderError::Corrupt(_))
    ));
}

#[test]
fn heif_transforms_map_to_exif_orientations() {
    use Orientation::*;
    let cases = [
        (0, None, NoTransforms),
        (1, None, Rotate270),
        (2, None, Rotate180),
        (3, None, Rotate90),
        (0, Some(0), FlipVertical),
        (0, Some(1), FlipHorizontal),
        (1, Some(0), Rotate90FlipH),
        (1, Some(1), Rotate270FlipH),
        (2, Some(0), FlipHorizontal),
        (3, Some(1), Rotate90FlipH),
    ];
    for (angle, mirror, expected) in cases {
        assert_eq!(
            orientation(angle, mirror),
            expected,
            "irot {angle}, imir {mirror:?}"
        );
    }
}

#[test]
fn orientation_matches_rotating_then_mirroring_pixels() {
    // A 3×2 image with distinct pixels, transformed the HEIF way and the EXIF way.
    let source = image::GrayImage::from_fn(3, 2, |x, y| image::Luma([(y * 3 + x) as u8]));
    for angle in 0..4u8 {
        for mirror in [None, Some(0), Some(1)] {
            let mut heif = DynamicImage::ImageLuma8(source.clone());
            for _ in 0..angle {
                heif = heif.rotate270(); // anticlockwise quarter turn
            }
            heif = match mirror {
                Some(0) => heif.flipv(),
                Some(_) => heif.fliph(),
                None => heif,
            };
            let mut exif = DynamicImage::ImageLuma8(source.clone());
            exif.apply_orientation(orientation(angle, mirror));
            assert_eq!(exif, heif, "irot {angle}, imir {mirror:?}");
        }
    }
}
