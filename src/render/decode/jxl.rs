//! JPEG XL input through jxl-oxide (pure Rust): the header from the first bytes, and the
//! first keyframe as 8-bit stored pixels (the caller applies the orientation, so that `orient`
//! replaces the file's as it does for JPEG). It must not allocate past `max_alloc`.

use image::{DynamicImage, GrayImage, RgbImage, RgbaImage, metadata::Orientation};
use jxl_oxide::{
    AllocTracker, EnumColourEncoding, InitializeResult, JxlImage, PixelFormat, RenderingIntent,
};

use super::{RenderError, corrupt};

/// A bare codestream (`FF 0A`) or the ISOBMFF container (its `JXL ` signature box).
pub fn is_jxl(bytes: &[u8]) -> bool {
    const CONTAINER: &[u8] = b"\0\0\0\x0cJXL \r\n\x87\n";
    bytes.starts_with(&[0xff, 0x0a]) || bytes.starts_with(CONTAINER)
}

/// The width and height the codestream's size header declares, read by hand: jxl-oxide
/// parses the first frame as soon as the image header is complete, and refuses a bomb's frame
/// (too many TOC entries) before it reports the size. `None` when the bytes are too short.
pub fn declared_size(bytes: &[u8]) -> Option<(u32, u32)> {
    let mut bits = Bits {
        bytes: codestream(bytes)?.get(2..)?,
        at: 0,
    };
    let div8 = bits.read(1)? == 1;
    let height = if div8 {
        8 * (1 + bits.read(5)?)
    } else {
        bits.size()?
    };
    let ratio = bits.read(3)?;
    let width = match ratio {
        0 if div8 => 8 * (1 + bits.read(5)?),
        0 => bits.size()?,
        _ => {
            let (num, den) =
                [(1, 1), (12, 10), (4, 3), (3, 2), (16, 9), (5, 4), (2, 1)][ratio as usize - 1];
            u32::try_from(u64::from(height) * num / den).ok()?
        }
    };
    Some((width, height))
}

/// The start of the codestream: the file itself, or in a container the payload of the first
/// `jxlc` box, or of the first `jxlp` box after its 4-byte index.
fn codestream(bytes: &[u8]) -> Option<&[u8]> {
    if bytes.starts_with(&[0xff, 0x0a]) {
        return Some(bytes);
    }
    let mut rest = bytes;
    while rest.len() >= 8 {
        let size = u32::from_be_bytes(rest[..4].try_into().ok()?) as u64;
        let kind = &rest[4..8];
        let (header, size) = match size {
            1 => (16, u64::from_be_bytes(rest.get(8..16)?.try_into().ok()?)),
            0 => (8, rest.len() as u64),
            n => (8, n),
        };
        let end = usize::try_from(size).ok()?.min(rest.len());
        match kind {
            b"jxlc" => return rest.get(header..),
            b"jxlp" => return rest.get(header + 4..),
            _ if end < header => return None,
            _ => rest = &rest[end..],
        }
    }
    None
}

/// JPEG XL's bit order: least significant first, within bytes and within fields.
struct Bits<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl Bits<'_> {
    fn read(&mut self, count: u32) -> Option<u32> {
        let mut value = 0;
        for i in 0..count {
            let byte = self.bytes.get(self.at / 8)?;
            value |= u32::from((byte >> (self.at % 8)) & 1) << i;
            self.at += 1;
        }
        Some(value)
    }

    /// A side of the size header: `U32(1 + u(9), 1 + u(13), 1 + u(18), 1 + u(30))`.
    fn size(&mut self) -> Option<u32> {
        let bits = [9, 13, 18, 30][self.read(2)? as usize];
        Some(1 + self.read(bits)?)
    }
}

/// What the image header says.
pub struct Info {
    /// Width and height as stored, before orientation.
    pub size: (u32, u32),
    pub orientation: Orientation,
    pub has_alpha: bool,
}

/// Reads the image header and the ICC profile it carries (the caller checks
/// [`declared_size`] first), a few kilobytes at a time.
pub fn info(bytes: &[u8]) -> Result<Info, RenderError> {
    let mut uninit = JxlImage::builder().build_uninit();
    let mut fed = 0;
    let image = loop {
        let end = (fed + 4096).min(bytes.len());
        if fed == end {
            return Err(RenderError::Corrupt(
                "the JPEG XL header is cut short".into(),
            ));
        }
        fed += uninit.feed_bytes(&bytes[fed..end]).map_err(corrupt)?;
        match uninit.try_init().map_err(corrupt)? {
            InitializeResult::NeedMoreData(more) => uninit = more,
            InitializeResult::Initialized(image) => break image,
        }
    };
    Ok(info_of(&image))
}

fn info_of(image: &JxlImage) -> Info {
    let header = image.image_header();
    let code = u8::try_from(header.metadata.orientation).unwrap_or(1);
    Info {
        size: (header.size.width, header.size.height),
        orientation: Orientation::from_exif(code).unwrap_or(Orientation::NoTransforms),
        has_alpha: header.metadata.ec_info.iter().any(|ec| ec.is_alpha()),
    }
}

/// Decodes the first keyframe (of an animation, its first frame) to L8, Rgb8 or Rgba8, with
/// the ICC profile of the pixels when they are not sRGB. Samples stored in an ICC profile's
/// space (lossless files) come with that profile; everything else (XYB, which all lossy files
/// are, or a colour space the header names) jxl-oxide renders to sRGB itself. Its own ICC
/// rendering of a named space is not used: moxcms reads it differently from the original.
pub fn decode(
    bytes: &[u8],
    max_alloc: u64,
) -> Result<(DynamicImage, Option<Vec<u8>>), RenderError> {
    let tracker = AllocTracker::with_limit(usize::try_from(max_alloc).unwrap_or(usize::MAX));
    let mut image = JxlImage::builder()
        .alloc_tracker(tracker)
        .read(bytes)
        .map_err(corrupt)?;
    let metadata = &image.image_header().metadata;
    let icc = match image.original_icc() {
        Some(icc) if !metadata.xyb_encoded => Some(icc.to_vec()),
        _ => None,
    };
    if icc.is_none() {
        let srgb = if metadata.grayscale() {
            EnumColourEncoding::gray_srgb(RenderingIntent::Relative)
        } else {
            EnumColourEncoding::srgb(RenderingIntent::Relative)
        };
        image.request_color_encoding(srgb);
    }
    if image.num_loaded_keyframes() == 0 {
        return Err(RenderError::Corrupt("the JPEG XL file has no frame".into()));
    }
    let format = image.pixel_format();
    if matches!(format, PixelFormat::Cmyk | PixelFormat::Cmyka) {
        return Err(RenderError::Unrenderable(
            "CMYK JPEG XL is not supported".into(),
        ));
    }
    let render = image.render_frame(0).map_err(corrupt)?;
    let mut stream = render.stream();
    let (w, h) = (stream.width(), stream.height());
    let channels = stream.channels() as usize;
    let mut samples = vec![0u8; w as usize * h as usize * channels];
    stream.write_to_buffer(&mut samples);
    let pixels = match format {
        PixelFormat::Gray => GrayImage::from_raw(w, h, samples).map(DynamicImage::ImageLuma8),
        PixelFormat::Graya => {
            let rgba = samples
                .chunks_exact(2)
                .flat_map(|la| [la[0], la[0], la[0], la[1]])
                .collect();
            RgbaImage::from_raw(w, h, rgba).map(DynamicImage::ImageRgba8)
        }
        PixelFormat::Rgb => RgbImage::from_raw(w, h, samples).map(DynamicImage::ImageRgb8),
        _ => RgbaImage::from_raw(w, h, samples).map(DynamicImage::ImageRgba8),
    };
    let oriented = pixels.ok_or_else(|| RenderError::Corrupt("short JPEG XL frame".into()))?;
    // jxl-oxide always applies the file's orientation; undo it so the caller applies the
    // header's, which `orient` may have replaced.
    let stored = undo(oriented, info_of(&image).orientation);
    Ok((stored, icc))
}

fn undo(mut image: DynamicImage, orientation: Orientation) -> DynamicImage {
    let inverse = match orientation {
        Orientation::Rotate90 => Orientation::Rotate270,
        Orientation::Rotate270 => Orientation::Rotate90,
        other => other,
    };
    image.apply_orientation(inverse);
    image
}

#[cfg(test)]
mod tests {
    use super::{declared_size, info};

    fn fixture(name: &str) -> Vec<u8> {
        std::fs::read(format!(
            "{}/fixtures/inputs/{name}",
            env!("CARGO_MANIFEST_DIR")
        ))
        .unwrap()
    }

    #[test]
    fn the_declared_size_is_read_from_codestreams_and_containers() {
        for (name, stored) in [
            ("grey.jxl", (320, 200)),
            ("forest.jxl", (800, 500)),
            ("cups-alpha.jxl", (640, 400)),
            ("forest-orient6.jxl", (200, 320)),
        ] {
            let bytes = fixture(name);
            assert_eq!(declared_size(&bytes), Some(stored), "{name}");
            assert_eq!(info(&bytes).unwrap().size, stored, "{name}");
        }
        assert_eq!(declared_size(&[0xff, 0x0a]), None);
        assert_eq!(declared_size(b"\0\0\0\x0cJXL \r\n\x87\n"), None);
    }
}
