//! The golden table: each reference image and how it is made, and each case with the tolerance
//! it is held to and why.

use super::Reference;
use super::quality::Window;

/// How output and reference are compared.
#[derive(Debug, Clone, Copy)]
pub enum Look {
    /// Colour only (both are opaque).
    Opaque,
    /// Both composited onto mid grey (a premultiplied comparison), plus SSIM of the alpha planes.
    Alpha,
    /// The output is opaque (JPEG); the reference is composited onto this colour first.
    On([u8; 3]),
}

/// What a case must reach.
#[derive(Debug, Clone, Copy)]
pub enum Tolerance {
    /// Every channel of every pixel equal.
    Exact,
    /// SSIM on luma (and on alpha, when compared) at least `ssim`; no channel's mean further
    /// than `shift` (0–255) from the reference's.
    Close { ssim: f64, shift: f64 },
    /// Every channel of every pixel within this many levels (0–255): rounding only.
    Levels(u8),
}

pub struct Case {
    /// Fixture path under `fixtures/`; served under its file name.
    pub input: &'static str,
    pub query: &'static str,
    /// A [`Reference`] name.
    pub reference: &'static str,
    pub look: Look,
    pub tolerance: Tolerance,
    pub reason: &'static str,
}

const fn close(ssim: f64, shift: f64) -> Tolerance {
    Tolerance::Close { ssim, shift }
}

pub const REFERENCES: &[Reference] = &[
    Reference {
        name: "forest-800x500_w200",
        source: "forest-800x500.jpg",
        window: None,
        size: (200, 125),
    },
    Reference {
        name: "forest-800x500_crop100",
        source: "forest-800x500.jpg",
        window: Some(Window {
            x: 150.0,
            y: 0.0,
            width: 500.0,
            height: 500.0,
        }),
        size: (100, 100),
    },
    Reference {
        name: "cups-800x500_400x250",
        source: "cups-800x500.jpg",
        window: None,
        size: (400, 250),
    },
    Reference {
        name: "forest-progressive_w160",
        source: "inputs/forest-progressive.jpg",
        window: None,
        size: (160, 100),
    },
    Reference {
        name: "grey_w160",
        source: "inputs/grey.jpg",
        window: None,
        size: (160, 100),
    },
    Reference {
        name: "forest-icc-srgb_w160",
        source: "inputs/forest-icc-srgb.jpg",
        window: None,
        size: (160, 100),
    },
    Reference {
        name: "forest-orient1_w160",
        source: "inputs/forest-orient1.jpg",
        window: None,
        size: (160, 100),
    },
    Reference {
        name: "forest_w160",
        source: "inputs/forest.bmp",
        window: None,
        size: (160, 100),
    },
    Reference {
        name: "cups-rgb_w160",
        source: "inputs/cups-rgb.png",
        window: None,
        size: (160, 100),
    },
    Reference {
        name: "cups-16bit_w160",
        source: "inputs/cups-16bit.png",
        window: None,
        size: (160, 100),
    },
    Reference {
        name: "grey-alpha_w160",
        source: "inputs/grey-alpha.png",
        window: None,
        size: (160, 100),
    },
    Reference {
        name: "cups-alpha_w160",
        source: "inputs/cups-alpha.png",
        window: None,
        size: (160, 100),
    },
    Reference {
        name: "kite-lossless_320",
        source: "inputs/kite-lossless.webp",
        window: None,
        size: (320, 200),
    },
    Reference {
        name: "cups-alpha-640x400_w160",
        source: "cups-alpha-640x400.png",
        window: None,
        size: (160, 100),
    },
    // librsvg's drawing of the SVG at 800x500, the independent rasteriser: as is, and resized.
    Reference {
        name: "badge-rsvg_800",
        source: "inputs/badge-rsvg-800x500.png",
        window: None,
        size: (800, 500),
    },
    Reference {
        name: "badge-rsvg_w240",
        source: "inputs/badge-rsvg-800x500.png",
        window: None,
        size: (240, 150),
    },
    Reference {
        name: "kite-animated_w240",
        source: "kite-animated-480x300.gif",
        window: None,
        size: (240, 150),
    },
];

pub const CASES: &[Case] = &[
    Case {
        input: "forest-800x500.jpg",
        query: "w=200",
        reference: "forest-800x500_w200",
        look: Look::Opaque,
        tolerance: close(0.90, 1.0),
        reason: "default JPEG quality on fine foliage: the encoder, not the resize, costs SSIM here (0.911 measured; 0.9995 as PNG)",
    },
    Case {
        input: "forest-800x500.jpg",
        query: "fit=crop&w=100&h=100&fm=png",
        reference: "forest-800x500_crop100",
        look: Look::Opaque,
        tolerance: close(0.995, 1.0),
        reason: "the crop window is the centre square; fixed-point Lanczos3 against the f64 reference, libjpeg-turbo against zune-jpeg IDCT rounding: measured SSIM >= 0.9993",
    },
    Case {
        input: "cups-800x500.jpg",
        query: "w=400&h=250&fm=png",
        reference: "cups-800x500_400x250",
        look: Look::Opaque,
        tolerance: close(0.995, 1.0),
        reason: "fixed-point Lanczos3 against the f64 reference, libjpeg-turbo against zune-jpeg IDCT rounding: measured SSIM >= 0.9993",
    },
    Case {
        input: "inputs/forest-progressive.jpg",
        query: "w=160&fm=png",
        reference: "forest-progressive_w160",
        look: Look::Opaque,
        tolerance: close(0.995, 1.0),
        reason: "progressive scans decode to the same pixels; fixed-point Lanczos3 against the f64 reference, libjpeg-turbo against zune-jpeg IDCT rounding: measured SSIM >= 0.9993",
    },
    Case {
        input: "inputs/grey.jpg",
        query: "w=160&fm=png",
        reference: "grey_w160",
        look: Look::Opaque,
        tolerance: close(0.995, 1.0),
        reason: "one channel in, grey out; fixed-point Lanczos3 against the f64 reference, libjpeg-turbo against zune-jpeg IDCT rounding: measured SSIM >= 0.9993",
    },
    Case {
        input: "inputs/forest-icc-srgb.jpg",
        query: "w=160&fm=png",
        reference: "forest-icc-srgb_w160",
        look: Look::Opaque,
        tolerance: close(0.995, 1.0),
        reason: "an sRGB profile converts to itself; fixed-point Lanczos3 against the f64 reference, libjpeg-turbo against zune-jpeg IDCT rounding: measured SSIM >= 0.9993",
    },
    Case {
        input: "inputs/forest-orient1.jpg",
        query: "w=160&fm=png",
        reference: "forest-orient1_w160",
        look: Look::Opaque,
        tolerance: close(0.995, 1.0),
        reason: "fixed-point Lanczos3 against the f64 reference, libjpeg-turbo against zune-jpeg IDCT rounding: measured SSIM >= 0.9993",
    },
    Case {
        input: "inputs/forest-orient2.jpg",
        query: "w=160&fm=png",
        reference: "forest-orient1_w160",
        look: Look::Opaque,
        tolerance: close(0.995, 1.0),
        reason: "orientation 2 mirrored/rotated upright; fixed-point Lanczos3 against the f64 reference, libjpeg-turbo against zune-jpeg IDCT rounding: measured SSIM >= 0.9993",
    },
    Case {
        input: "inputs/forest-orient3.jpg",
        query: "w=160&fm=png",
        reference: "forest-orient1_w160",
        look: Look::Opaque,
        tolerance: close(0.995, 1.0),
        reason: "orientation 3 mirrored/rotated upright; fixed-point Lanczos3 against the f64 reference, libjpeg-turbo against zune-jpeg IDCT rounding: measured SSIM >= 0.9993",
    },
    Case {
        input: "inputs/forest-orient4.jpg",
        query: "w=160&fm=png",
        reference: "forest-orient1_w160",
        look: Look::Opaque,
        tolerance: close(0.995, 1.0),
        reason: "orientation 4 mirrored/rotated upright; fixed-point Lanczos3 against the f64 reference, libjpeg-turbo against zune-jpeg IDCT rounding: measured SSIM >= 0.9993",
    },
    Case {
        input: "inputs/forest-orient5.jpg",
        query: "w=160&fm=png",
        reference: "forest-orient1_w160",
        look: Look::Opaque,
        tolerance: close(0.995, 1.0),
        reason: "orientation 5 transposes, so the synthetic file's chroma was subsampled across the other axis (0.9977 measured); fixed-point Lanczos3 against the f64 reference, libjpeg-turbo against zune-jpeg IDCT rounding: measured SSIM >= 0.9993",
    },
    Case {
        input: "inputs/forest-orient6.jpg",
        query: "w=160&fm=png",
        reference: "forest-orient1_w160",
        look: Look::Opaque,
        tolerance: close(0.995, 1.0),
        reason: "orientation 6 transposes, so the synthetic file's chroma was subsampled across the other axis (0.9977 measured); fixed-point Lanczos3 against the f64 reference, libjpeg-turbo against zune-jpeg IDCT rounding: measured SSIM >= 0.9993",
    },
    Case {
        input: "inputs/forest-orient7.jpg",
        query: "w=160&fm=png",
        reference: "forest-orient1_w160",
        look: Look::Opaque,
        tolerance: close(0.995, 1.0),
        reason: "orientation 7 transposes, so the synthetic file's chroma was subsampled across the other axis (0.9977 measured); fixed-point Lanczos3 against the f64 reference, libjpeg-turbo against zune-jpeg IDCT rounding: measured SSIM >= 0.9993",
    },
    Case {
        input: "inputs/forest-orient8.jpg",
        query: "w=160&fm=png",
        reference: "forest-orient1_w160",
        look: Look::Opaque,
        tolerance: close(0.995, 1.0),
        reason: "orientation 8 transposes, so the synthetic file's chroma was subsampled across the other axis (0.9977 measured); fixed-point Lanczos3 against the f64 reference, libjpeg-turbo against zune-jpeg IDCT rounding: measured SSIM >= 0.9993",
    },
    Case {
        input: "inputs/forest-p3.jpg",
        query: "w=160&fm=png",
        reference: "forest-orient1_w160",
        look: Look::Opaque,
        tolerance: close(0.99, 0.75),
        reason: "P3 pixels converted back to sRGB must land on the sRGB truth: the mean may move 0.75 at most (0.21 measured), unconverted pixels move it 3.2 (see unconverted_p3_pixels_would_fail_the_colour_check)",
    },
    Case {
        input: "inputs/cups-p3.png",
        query: "w=160&fm=png",
        reference: "cups-rgb_w160",
        look: Look::Opaque,
        tolerance: close(0.995, 0.5),
        reason: "P3 pixels converted back to sRGB land on the sRGB truth: mean shift 0.5 at most (0.06 measured), unconverted pixels move it 1.6",
    },
    Case {
        input: "inputs/cups-cmyk.jpg",
        query: "w=160&fm=png",
        reference: "cups-rgb_w160",
        look: Look::Opaque,
        tolerance: close(0.99, 1.5),
        reason: "Adobe CMYK (inverted) converted naively: not inverted, and within 1.5 of the RGB original on every channel mean (measured 0.48)",
    },
    Case {
        input: "inputs/cups-rgb.png",
        query: "w=160&fm=png",
        reference: "cups-rgb_w160",
        look: Look::Opaque,
        tolerance: close(0.998, 0.5),
        reason: "lossless in, lossless out: only the resizer differs",
    },
    Case {
        input: "inputs/cups-palette.png",
        query: "w=160&fm=png",
        reference: "cups-rgb_w160",
        look: Look::Opaque,
        tolerance: close(0.985, 1.0),
        reason: "64-colour palette compared with the RGB truth: quantisation, not the resize, costs SSIM (0.990 measured)",
    },
    Case {
        input: "inputs/cups-16bit.png",
        query: "w=160&fm=png",
        reference: "cups-16bit_w160",
        look: Look::Opaque,
        tolerance: close(0.998, 0.5),
        reason: "16 bits reduced to 8 before resizing vs the reference resizing 16-bit samples",
    },
    Case {
        input: "inputs/grey-alpha.png",
        query: "w=160&fm=png",
        reference: "grey-alpha_w160",
        look: Look::Alpha,
        tolerance: close(0.995, 0.5),
        reason: "grey + alpha, premultiplied resize against the reference's premultiplied resize",
    },
    Case {
        input: "inputs/cups-alpha.png",
        query: "w=160&fm=png",
        reference: "cups-alpha_w160",
        look: Look::Alpha,
        tolerance: close(0.995, 0.5),
        reason: "alpha kept in PNG, premultiplied resize: no dark fringes",
    },
    Case {
        input: "inputs/cups-alpha.png",
        query: "w=160&fm=jpg",
        reference: "cups-alpha_w160",
        look: Look::On([255, 255, 255]),
        tolerance: close(0.94, 1.0),
        reason: "flattened onto white, then JPEG at default quality (0.955 measured)",
    },
    Case {
        input: "inputs/cups-alpha.png",
        query: "w=160&fm=jpg&bg=ff0000",
        reference: "cups-alpha_w160",
        look: Look::On([255, 0, 0]),
        tolerance: close(0.94, 1.0),
        reason: "flattened onto bg=ff0000, then JPEG at default quality (0.956 measured)",
    },
    Case {
        input: "inputs/forest-lossy.webp",
        query: "w=160&fm=png",
        reference: "forest_w160",
        look: Look::Opaque,
        tolerance: close(0.99, 1.0),
        reason: "lossy WebP at quality 90 against the lossless truth (0.996 measured)",
    },
    Case {
        input: "inputs/kite-lossless.webp",
        query: "w=320&fm=png",
        reference: "kite-lossless_320",
        look: Look::Opaque,
        tolerance: Tolerance::Exact,
        reason: "no resize, lossless in and out: every pixel equal",
    },
    Case {
        input: "inputs/kite-lossless.webp",
        query: "w=320&lossless=1",
        reference: "kite-lossless_320",
        look: Look::Opaque,
        tolerance: Tolerance::Exact,
        reason: "lossless WebP out: every pixel equal",
    },
    Case {
        input: "inputs/cups-alpha.webp",
        query: "w=160&fm=png",
        reference: "cups-alpha_w160",
        look: Look::Alpha,
        tolerance: close(0.995, 0.5),
        reason: "lossy WebP (quality 90) with lossless alpha, premultiplied resize (0.998 measured)",
    },
    Case {
        input: "inputs/forest-still.gif",
        query: "w=160&fm=png",
        reference: "forest_w160",
        look: Look::Opaque,
        tolerance: close(0.99, 1.0),
        reason: "256-colour GIF against the truth: the palette, not the resize, costs SSIM (0.998 measured)",
    },
    Case {
        input: "kite-animated-480x300.gif",
        query: "w=240&fm=png",
        reference: "kite-animated_w240",
        look: Look::Opaque,
        tolerance: close(0.995, 0.5),
        reason: "a still output takes the first frame",
    },
    Case {
        input: "inputs/forest.bmp",
        query: "w=160&fm=png",
        reference: "forest_w160",
        look: Look::Opaque,
        tolerance: close(0.998, 0.5),
        reason: "lossless in, lossless out: only the resizer differs",
    },
    Case {
        input: "inputs/forest.tiff",
        query: "w=160&fm=png",
        reference: "forest_w160",
        look: Look::Opaque,
        tolerance: close(0.998, 0.5),
        reason: "lossless in, lossless out: only the resizer differs",
    },
    Case {
        input: "inputs/cups-alpha.avif",
        query: "w=160&fm=png",
        reference: "cups-alpha_w160",
        look: Look::Alpha,
        tolerance: close(0.99, 1.0),
        reason: "lossy AVIF with alpha against its PNG original",
    },
    Case {
        input: "inputs/forest.jxl",
        query: "w=200&fm=png",
        reference: "forest-800x500_w200",
        look: Look::Opaque,
        tolerance: close(0.99, 0.5),
        reason: "lossy JPEG XL (cjxl -d 2) of the JPEG the reference decodes: the encoding, not the decoder, costs SSIM (0.9945 measured)",
    },
    Case {
        input: "inputs/forest-orient6.jxl",
        query: "w=160&fm=png",
        reference: "forest-orient1_w160",
        look: Look::Opaque,
        tolerance: close(0.97, 0.5),
        reason: "JPEG XL orientation 6 upright; lossy (cjxl -d 2) of a q90 JPEG of the reference's source: two lossy generations (0.9786 measured)",
    },
    Case {
        input: "inputs/cups-alpha.jxl",
        query: "w=160&fm=png",
        reference: "cups-alpha-640x400_w160",
        look: Look::Alpha,
        tolerance: close(0.995, 0.5),
        reason: "lossy JPEG XL with alpha (cjxl -d 2) against its PNG original (0.9982, alpha 0.9968 measured)",
    },
    Case {
        input: "inputs/badge.svg",
        query: "w=800&fm=png",
        reference: "badge-rsvg_800",
        look: Look::Alpha,
        tolerance: close(0.998, 0.3),
        reason: "resvg against librsvg, both drawing at 800x500: only anti-aliasing differs (0.9994, alpha 0.9998 measured)",
    },
    Case {
        input: "inputs/badge.svg",
        query: "w=240&fm=png",
        reference: "badge-rsvg_w240",
        look: Look::Alpha,
        tolerance: close(0.995, 0.3),
        reason: "resvg drawing at 240x150 against librsvg's 800x500 resized by Lanczos3 (0.9978, alpha 0.9991 measured)",
    },
];
