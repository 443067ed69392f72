//! AVIF output: rav1e driven directly, one still picture, BT.601 full-range YCbCr, alpha as
//! a second (monochrome) AV1 image, wrapped by avif-serialize.
//!
//! pixgate used to go through ravif, which fixes two things that decide whether AVIF is worth
//! its encode time next to WebP; here they are chosen otherwise (docs/benchmarks.md#avif):
//! - Chroma is 4:2:0 below quality 90, as for JPEG (and as WebP always is): half the samples
//!   to encode, and 1–8 % fewer bytes at the same luma.
//! - rav1e's presets 9 and 10 try no block under 16×16 and 32×32, which on a 400 px photo
//!   is most of its detail; here those speeds keep 8×8. Together with 4:2:0 that took one
//!   corpus photo from 2.4× WebP's bytes at equal SSIM to 1.0×.
//! - At 9 and 10 the search is also made cheap where it costs the least in bytes: 8×8 blocks
//!   only, decided bottom up, distortion measured on the coefficients (rav1e does that only when tuned for
//!   PSNR, and it saves an inverse transform per candidate), no segmentation, the full
//!   deblocking search; 10 also leaves out CDEF. Half the instructions of 8×8–16×16 with the
//!   psychovisual tuning, at 0.75–0.99× WebP's bytes at equal SSIM on four corpus photos.
//! - rav1e comes from vendor/rav1e, patched so that superblocks on the right and bottom edges
//!   keep to those 8×8 blocks too (vendor/README.md): a third of a 400×225 encode went there.

use image::DynamicImage;
use rav1e::prelude::{
    BlockSize, ChromaSamplePosition, ChromaSampling, ColorDescription, ColorPrimaries, Config,
    Context, EncoderConfig, EncoderStatus, MatrixCoefficients, Packet, PartitionRange, PixelRange,
    SceneDetectionSpeed, SegmentationLevel, SpeedSettings, TransferCharacteristics, Tune,
};

use super::{EncodeOptions, failed};
use crate::render::RenderError;

/// Below this quality chroma is subsampled 4:2:0; from it on (and for `lossless`) it is kept
/// whole, as for JPEG.
const FULL_CHROMA_FROM: u8 = 90;

/// An AVIF of `image` (8-bit grey, RGB or RGBA).
pub fn avif(image: &DynamicImage, options: &EncodeOptions) -> Result<Vec<u8>, RenderError> {
    let quality = if options.lossless {
        100
    } else {
        options.quality
    };
    let subsampled = quality < FULL_CHROMA_FROM;
    let (width, height) = (image.width() as usize, image.height() as usize);
    let rgba = image.to_rgba8();
    let has_alpha = image.color().has_alpha() && rgba.pixels().any(|p| p.0[3] != 255);
    let planes = Planes::from_rgba(rgba.as_raw(), width, height, subsampled);
    let quantizer = quantizer(quality);
    let settings = Settings {
        width,
        height,
        quantizer,
        speed: options.avif_speed,
    };
    let colour = settings.encode(
        if subsampled {
            ChromaSampling::Cs420
        } else {
            ChromaSampling::Cs444
        },
        &planes.with_row_lengths(),
    )?;
    let alpha = if has_alpha {
        let alpha: Vec<u8> = rgba.pixels().map(|p| p.0[3]).collect();
        Some(settings.encode(ChromaSampling::Cs400, &[(alpha.as_slice(), width)])?)
    } else {
        None
    };
    let mut container = avif_serialize::Aviffy::new();
    container
        .set_matrix_coefficients(avif_serialize::constants::MatrixCoefficients::Bt601)
        .set_full_color_range(true);
    if subsampled {
        // 4:2:0 is AV1's Main profile; the container's `av1C` must say what the stream does.
        container
            .set_chroma_subsampling((true, true))
            .set_seq_profile(0);
    }
    Ok(container.to_vec(
        &colour,
        alpha.as_deref(),
        u32::try_from(width).map_err(failed)?,
        u32::try_from(height).map_err(failed)?,
        8,
    ))
}

/// rav1e's quantizer (0 best … 255) for a 1–100 quality: the curve ravif uses, so that `q`
/// kept its meaning when pixgate stopped going through ravif. Steep at the top, where small
/// quantizers cost many bytes.
fn quantizer(quality: u8) -> usize {
    let q = f32::from(quality.min(100)) / 100.0;
    let coarseness = if q >= 0.82 {
        (1.0 - q) * 2.6
    } else if q > 0.25 {
        0.875 - q * 0.5
    } else {
        1.0 - q
    };
    (coarseness * 255.0).round() as usize
}

/// The planes AV1 codes: BT.601 luma and chroma, full range (JFIF's integer matrix), chroma
/// averaged over 2×2 pixels when subsampled.
struct Planes {
    luma: Vec<u8>,
    cb: Vec<u8>,
    cr: Vec<u8>,
    width: usize,
    chroma_width: usize,
}

impl Planes {
    /// Luma, Cb and Cr, each with its row length: what `Settings::encode` takes.
    fn with_row_lengths(&self) -> [(&[u8], usize); 3] {
        [
            (self.luma.as_slice(), self.width),
            (self.cb.as_slice(), self.chroma_width),
            (self.cr.as_slice(), self.chroma_width),
        ]
    }

    fn from_rgba(rgba: &[u8], width: usize, height: usize, subsampled: bool) -> Planes {
        let step = if subsampled { 2 } else { 1 };
        let chroma_width = width.div_ceil(step);
        let chroma_height = height.div_ceil(step);
        let pixel = |x: usize, y: usize| {
            let i = (y * width + x) * 4;
            [rgba[i], rgba[i + 1], rgba[i + 2]].map(i64::from)
        };
        let mut luma = Vec::with_capacity(width * height);
        for y in 0..height {
            for x in 0..width {
                let [r, g, b] = pixel(x, y);
                luma.push(((19_595 * r + 38_470 * g + 7_471 * b + 32_768) >> 16) as u8);
            }
        }
        let mut cb = Vec::with_capacity(chroma_width * chroma_height);
        let mut cr = Vec::with_capacity(chroma_width * chroma_height);
        for cy in 0..chroma_height {
            for cx in 0..chroma_width {
                // Sums over the block (fewer pixels at an odd right or bottom edge), converted
                // once: the matrix is linear, so this is the average of the pixels' chroma.
                let (mut sum, mut n) = ([0i64; 3], 0i64);
                for y in cy * step..((cy + 1) * step).min(height) {
                    for x in cx * step..((cx + 1) * step).min(width) {
                        let p = pixel(x, y);
                        sum = [sum[0] + p[0], sum[1] + p[1], sum[2] + p[2]];
                        n += 1;
                    }
                }
                let [r, g, b] = sum;
                cb.push(chroma(-11_059 * r - 21_709 * g + 32_768 * b, n));
                cr.push(chroma(32_768 * r - 27_439 * g - 5_329 * b, n));
            }
        }
        Planes {
            luma,
            cb,
            cr,
            width,
            chroma_width,
        }
    }
}

/// `128 + weighted / (65536 n)`, rounded; `weighted` is the matrix row applied to the sums of
/// `n` pixels.
fn chroma(weighted: i64, n: i64) -> u8 {
    let scale = 65_536 * n;
    ((weighted + 128 * scale + scale / 2) / scale).clamp(0, 255) as u8
}

/// What every AV1 image of one AVIF shares.
struct Settings {
    width: usize,
    height: usize,
    quantizer: usize,
    speed: u8,
}

impl Settings {
    /// One still picture from `planes` (each its samples and row length) as an AV1 stream.
    fn encode(
        &self,
        sampling: ChromaSampling,
        planes: &[(&[u8], usize)],
    ) -> Result<Vec<u8>, RenderError> {
        let packets = self.packets(sampling, planes)?;
        Ok(packets.into_iter().flat_map(|packet| packet.data).collect())
    }

    /// rav1e's packets for that picture, with what it decided in each.
    fn packets(
        &self,
        sampling: ChromaSampling,
        planes: &[(&[u8], usize)],
    ) -> Result<Vec<Packet<u8>>, RenderError> {
        let config = EncoderConfig {
            width: self.width,
            height: self.height,
            bit_depth: 8,
            chroma_sampling: sampling,
            chroma_sample_position: ChromaSamplePosition::Unknown,
            pixel_range: PixelRange::Full,
            color_description: (sampling != ChromaSampling::Cs400).then_some(ColorDescription {
                transfer_characteristics: TransferCharacteristics::SRGB,
                color_primaries: ColorPrimaries::BT709,
                matrix_coefficients: MatrixCoefficients::BT601,
            }),
            still_picture: true,
            quantizer: self.quantizer,
            min_quantizer: u8::try_from(self.quantizer).unwrap_or(u8::MAX),
            // One tile: the render workers are the parallelism, and tiles cost bytes.
            tiles: 1,
            tune: tune(self.speed),
            speed_settings: speed_settings(self.speed),
            ..EncoderConfig::default()
        };
        let mut context: Context<u8> = Config::new()
            .with_encoder_config(config)
            .with_threads(1)
            .new_context()
            .map_err(failed)?;
        let mut frame = context.new_frame();
        for (plane, (samples, stride)) in frame.planes.iter_mut().zip(planes) {
            plane.copy_from_raw_u8(samples, *stride, 1);
        }
        context.send_frame(frame).map_err(failed)?;
        context.flush();
        let mut packets = Vec::new();
        loop {
            match context.receive_packet() {
                Ok(packet) => packets.push(packet),
                Err(EncoderStatus::Encoded) => continue,
                Err(EncoderStatus::LimitReached) => break,
                Err(e) => return Err(failed(e)),
            }
        }
        Ok(packets)
    }
}

/// rav1e's preset for `speed` (1–10), except at 9 and 10, which search 8×8 blocks only
/// (rav1e's own: 16–32 and 32×32), bottom up, with the full deblocking search and no
/// segmentation; 10
/// also without CDEF. Measured in docs/benchmarks.md#avif.
fn speed_settings(speed: u8) -> SpeedSettings {
    let mut settings = SpeedSettings::from_preset(speed);
    // One frame: nothing to look ahead to or detect scenes in.
    settings.rdo_lookahead_frames = 1;
    settings.scene_detection_mode = SceneDetectionSpeed::None;
    if speed >= 9 {
        let smallest = BlockSize::BLOCK_8X8;
        settings.partition.partition_range = PartitionRange::new(smallest, smallest);
        // With one block size left there is nothing to gain from deciding top-down; bottom
        // up is rav1e's cheaper path (4 % fewer instructions, the same bytes at equal SSIM).
        settings.partition.encode_bottomup = true;
        // The full search costs 2-4 % of the encode and gives the same bytes a better SSIM.
        settings.fast_deblock = false;
        settings.segmentation = SegmentationLevel::Disabled;
        settings.cdef = speed == 9;
    }
    settings
}

/// rav1e's tuning: at 9 and 10 for PSNR, the only tuning under which it measures a
/// candidate's distortion on its coefficients (the preset's `tx_domain_distortion`) rather
/// than on pixels after an inverse transform, a third of the encode otherwise.
fn tune(speed: u8) -> Tune {
    if speed >= 9 {
        Tune::Psnr
    } else {
        Tune::Psychovisual
    }
}

#[cfg(test)]
mod tests;
