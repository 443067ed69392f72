//! Finding faces: SeetaFace's frontal detector (rustface, BSD-2-Clause; its model is in
//! `assets/faces/`) on a grey copy of the original at most [`DETECT_SIDE`] pixels long, the
//! boxes mapped back to the stored pixels.

use std::sync::OnceLock;

use image::DynamicImage;
use image::imageops::FilterType;
use rustface::{ImageData, Model};

use super::{Found, Window, unorient};
use crate::render::{Limits, RenderError, decode};

/// The longest side of the grey copy the detector reads. The detector's smallest face is
/// 20 px there, so faces smaller than about 3% of the original's longest side are missed;
/// the time grows with the square of this side (docs/faces.md has the figures).
pub const DETECT_SIDE: u32 = 640;

/// SeetaFace's frontal model (1.2 MB), compiled in: nothing to install, nothing read at run
/// time.
const MODEL: &[u8] = include_bytes!("../../../assets/faces/seeta_fd_frontal_v1.0.bin");

/// Below this score a window is not a face. rustface's README uses 2.0; its default, 3.85,
/// trades missed faces for fewer false ones, and a missed face is one `face-blur` leaves
/// visible. On the fixture set 2.0 finds every face and no false one (docs/faces.md).
const SCORE_THRESHOLD: f64 = 2.0;
/// The detector's own minimum (rustface refuses less).
const MIN_FACE: u32 = 20;

/// The parsed model, loaded on first use (most processes never look for a face, and need not
/// parse 1.2 MB at start-up). One per application state; each detection works on its own
/// copy, since rustface's detector keeps scratch buffers and needs `&mut`.
#[derive(Default)]
pub struct FaceDetector {
    model: OnceLock<Model>,
}

impl FaceDetector {
    fn model(&self) -> Result<&Model, RenderError> {
        if let Some(model) = self.model.get() {
            return Ok(model);
        }
        let model = rustface::read_model(MODEL)
            .map_err(|e| RenderError::Internal(format!("face model: {e}")))?;
        Ok(self.model.get_or_init(|| model))
    }
}

impl std::fmt::Debug for FaceDetector {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FaceDetector")
            .field("loaded", &self.model.get().is_some())
            .finish()
    }
}

/// The faces in `source` (the original's bytes), seen upright as the file's own orientation
/// shows it, boxes in its stored pixels, largest first. Decodes at a reduced scale; within
/// `limits` (pixels and deadline) like a render.
pub fn detect(
    source: &[u8],
    detector: &FaceDetector,
    limits: &Limits,
) -> Result<Found, RenderError> {
    let header = decode::header(source, limits.max_source_pixels)?;
    let long = header.upright.0.max(header.upright.1);
    let shrink = [8, 4, 2]
        .into_iter()
        .find(|s| long / s >= DETECT_SIDE)
        .unwrap_or(1);
    limits.check_deadline()?;
    let max_alloc = limits.max_source_pixels.saturating_mul(8);
    let scale = decode::Scale {
        shrink,
        vector: 1.0 / f64::from(shrink),
    };
    let decoded = decode::decode(source, &header, scale, max_alloc, &limits.av1)?;
    limits.check_deadline()?;
    let grey = grey_copy(decoded.image);
    let upright = (f64::from(header.upright.0), f64::from(header.upright.1));
    let stored = super::oriented_size(upright, header.orientation);
    let found = find(&grey, detector)?;
    let (kx, ky) = (
        upright.0 / f64::from(grey.width()),
        upright.1 / f64::from(grey.height()),
    );
    let mut boxes: Vec<Window> = found
        .into_iter()
        .filter_map(|b| {
            let b = Window {
                x: b.x * kx,
                y: b.y * ky,
                width: b.width * kx,
                height: b.height * ky,
            };
            let b = super::intersect(b, upright)?;
            Some(unorient(b, stored, header.orientation))
        })
        .collect();
    boxes.sort_by(|a, b| {
        (b.width * b.height)
            .total_cmp(&(a.width * a.height))
            .then(a.x.total_cmp(&b.x))
    });
    Ok(Found {
        stored: (stored.0 as u32, stored.1 as u32),
        boxes,
    })
}

/// The faces the detector sees in a grey image, in its pixels, in the detector's order.
/// Public for the benches, which time the detector alone.
pub fn find(grey: &image::GrayImage, detector: &FaceDetector) -> Result<Vec<Window>, RenderError> {
    if grey.width().min(grey.height()) < MIN_FACE {
        return Ok(Vec::new());
    }
    let mut d = rustface::create_detector_with_model(detector.model()?.clone());
    d.set_min_face_size(MIN_FACE);
    d.set_score_thresh(SCORE_THRESHOLD);
    d.set_pyramid_scale_factor(0.8);
    d.set_slide_window_step(4, 4);
    let data = ImageData::new(grey.as_raw(), grey.width(), grey.height());
    Ok(d.detect(&data)
        .iter()
        .map(|face| {
            let b = face.bbox();
            Window {
                x: f64::from(b.x()),
                y: f64::from(b.y()),
                width: f64::from(b.width()),
                height: f64::from(b.height()),
            }
        })
        .collect())
}

/// The image as 8-bit grey, at most [`DETECT_SIDE`] on its longest side.
pub fn grey_copy(image: DynamicImage) -> image::GrayImage {
    let grey = image.into_luma8();
    let (w, h) = grey.dimensions();
    let long = w.max(h);
    if long <= DETECT_SIDE {
        return grey;
    }
    let k = f64::from(DETECT_SIDE) / f64::from(long);
    let size = |v: u32| ((f64::from(v) * k).round() as u32).max(1);
    image::imageops::resize(&grey, size(w), size(h), FilterType::Triangle)
}
