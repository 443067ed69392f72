//! AVIF input: the HEIF container around AV1 still pictures. A small bounded box walker reads
//! what the header stage needs without decoding (the primary item's `ispe` size, `irot`/`imir`
//! as an EXIF-style orientation, whether an alpha item exists) and its colour boxes; the item
//! data comes from `avif-parse`; `av1` decodes and `yuv` converts to 8-bit RGB(A).
//!
//! Only the primary still item is decoded: an animated (`avis`) file shows its still image,
//! a grid (tiled) primary item is refused as undecodable, and `clap` cropping is ignored.

use std::collections::HashSet;

use image::metadata::Orientation;
use image::{DynamicImage, GrayImage, RgbImage, RgbaImage};

use super::av1::Av1Picture;
use super::av1_child::{self, Av1Decoding};
use super::yuv::{self, Matrix};
use crate::render::RenderError;
use boxes::{Bmff, Boxes, Reader, full_box};

const ALPHA_URN: &[u8] = b"urn:mpeg:mpegB:cicp:systems:auxiliary:alpha";

/// True when the bytes open with an ISO BMFF `ftyp` box naming the `avif` or `avis` brand,
/// as major or compatible brand.
pub fn is_avif(bytes: &[u8]) -> bool {
    let Some(Ok(ftyp)) = Boxes(bytes).next() else {
        return false;
    };
    ftyp.kind == *b"ftyp"
        && ftyp.body.len() >= 8
        && std::iter::once(&ftyp.body[..4])
            .chain(ftyp.body[8..].chunks_exact(4))
            .any(|brand| brand == b"avif" || brand == b"avis")
}

/// What the container says about the primary image, read without touching the AV1 data.
#[derive(Debug, Clone, PartialEq)]
pub struct Info {
    /// The coded size (`ispe`), before `irot`/`imir`.
    pub size: (u32, u32),
    pub orientation: Orientation,
    pub has_alpha: bool,
    /// CICP matrix coefficients and full-range flag from an `nclx` colour box; they take
    /// precedence over the AV1 sequence header's.
    pub nclx: Option<(u8, bool)>,
    /// An ICC profile from a `prof`/`rICC` colour box.
    pub icc: Option<Vec<u8>>,
}

/// Reads the container's description of the primary image. Errors are `Corrupt`.
pub fn info(bytes: &[u8]) -> Result<Info, RenderError> {
    let meta = Boxes(bytes)
        .find_map(|b| match b {
            Ok(b) if b.kind == *b"meta" => Some(Ok(b)),
            Ok(_) => None,
            Err(e) => Some(Err(e)),
        })
        .ok_or_else(|| corrupt("no meta box"))??;
    Meta::parse(full_box(meta.body)?)?.primary_info()
}

/// Decodes the primary image into L8, Rgb8 or Rgba8, with its ICC profile if it has one.
/// `info` is `info(bytes)`, whose size has already passed the pixel limit: the AV1 decoder
/// refuses any frame larger than it.
pub fn decode(
    bytes: &[u8],
    info: &Info,
    decoding: &Av1Decoding,
) -> Result<(DynamicImage, Option<Vec<u8>>), RenderError> {
    let max_pixels = u64::from(info.size.0) * u64::from(info.size.1);
    let items = items(bytes)?;
    let colour = av1_child::decode(decoding, &items.primary_item, max_pixels)?;
    if (colour.width, colour.height) != info.size {
        return Err(corrupt("the AV1 picture size differs from ispe"));
    }
    let alpha = match &items.alpha_item {
        Some(obu) => Some(av1_child::decode(decoding, obu, max_pixels)?),
        None => None,
    };
    if let Some(alpha) = &alpha
        && (alpha.width, alpha.height) != info.size
    {
        return Err(corrupt(
            "the alpha picture size differs from the colour picture",
        ));
    }
    let (matrix_code, full_range) = info.nclx.unwrap_or((colour.matrix, colour.full_range));
    let matrix = Matrix::from_cicp(matrix_code)
        .ok_or_else(|| corrupt(format!("unsupported matrix coefficients {matrix_code}")))?;
    let image = to_image(
        &colour,
        matrix,
        full_range,
        alpha.as_ref(),
        items.premultiplied_alpha,
    )?;
    Ok((image, info.icc.clone()))
}

fn to_image(
    colour: &Av1Picture,
    matrix: Matrix,
    full_range: bool,
    alpha: Option<&Av1Picture>,
    premultiplied: bool,
) -> Result<DynamicImage, RenderError> {
    let (w, h) = (colour.width, colour.height);
    let size_error = || RenderError::Internal("AVIF pixel buffer size".into());
    let Some(alpha) = alpha else {
        if colour.chroma.is_none() {
            let grey = yuv::grey(colour, full_range);
            return GrayImage::from_raw(w, h, grey)
                .map(DynamicImage::ImageLuma8)
                .ok_or_else(size_error);
        }
        let mut rgb = vec![0; w as usize * h as usize * 3];
        yuv::write_rgb(colour, matrix, full_range, &mut rgb, 3)?;
        return RgbImage::from_raw(w, h, rgb)
            .map(DynamicImage::ImageRgb8)
            .ok_or_else(size_error);
    };
    let mut rgba = vec![0; w as usize * h as usize * 4];
    yuv::write_rgb(colour, matrix, full_range, &mut rgba, 4)?;
    yuv::write_alpha(alpha, alpha.full_range, &mut rgba)?;
    if premultiplied {
        yuv::unpremultiply(&mut rgba);
    }
    RgbaImage::from_raw(w, h, rgba)
        .map(DynamicImage::ImageRgba8)
        .ok_or_else(size_error)
}

/// The primary and alpha items' AV1 data. avif-parse accepts only `avif` as the major brand,
/// so a file that names it among its compatible brands (an `avis` animation, a `mif1` file)
/// is read through a copy whose major brand says `avif`; the brand changes nothing else.
fn items(bytes: &[u8]) -> Result<avif_parse::AvifData, RenderError> {
    // avif-parse asserts (panics) on a box cut short; report that as corrupt ourselves.
    for b in Boxes(bytes) {
        b?;
    }
    let read = |mut bytes: &[u8]| avif_parse::read_avif(&mut bytes).map_err(corrupt);
    if bytes.get(8..12) == Some(b"avif") {
        return read(bytes);
    }
    let mut copy = bytes.to_vec();
    if let Some(brand) = copy.get_mut(8..12) {
        brand.copy_from_slice(b"avif");
    }
    read(&copy)
}

fn corrupt(e: impl std::fmt::Display) -> RenderError {
    RenderError::Corrupt(format!("AVIF: {e}"))
}

/// The parts of `meta` the walker reads.
#[derive(Default)]
struct Meta<'a> {
    primary: Option<u32>,
    /// `ipco`'s properties in order (property index 1 is element 0).
    properties: Vec<Bmff<'a>>,
    /// (item, property index) pairs from `ipma`.
    associations: Vec<(u32, u16)>,
    /// Items with an `auxl` reference to the primary item.
    auxiliaries: Vec<u32>,
}

impl<'a> Meta<'a> {
    fn parse((_, _, body): (u8, u32, &'a [u8])) -> Result<Meta<'a>, RenderError> {
        let mut meta = Meta::default();
        let mut auxl = Vec::new();
        for b in Boxes(body) {
            let b = b?;
            match &b.kind {
                b"pitm" => {
                    let (version, _, rest) = full_box(b.body)?;
                    meta.primary = Some(Reader(rest).item_id(version)?);
                }
                b"iprp" => meta.parse_iprp(b.body)?,
                b"iref" => auxl.extend(references(b.body, b"auxl")?),
                _ => {}
            }
        }
        let primary = meta.primary.ok_or_else(|| corrupt("no pitm box"))?;
        meta.auxiliaries = auxl
            .into_iter()
            .filter(|&(from, to)| to == primary && from != primary)
            .map(|(from, _)| from)
            .collect();
        Ok(meta)
    }

    fn parse_iprp(&mut self, body: &'a [u8]) -> Result<(), RenderError> {
        for b in Boxes(body) {
            let b = b?;
            match &b.kind {
                b"ipco" => {
                    for property in Boxes(b.body) {
                        self.properties.push(property?);
                    }
                }
                b"ipma" => {
                    let (version, flags, rest) = full_box(b.body)?;
                    let mut r = Reader(rest);
                    for _ in 0..r.u32()? {
                        let item = r.item_id(version)?;
                        for _ in 0..r.u8()? {
                            // The top bit marks the property essential; the rest is its index.
                            let index = if flags & 1 == 1 {
                                r.u16()? & 0x7FFF
                            } else {
                                u16::from(r.u8()? & 0x7F)
                            };
                            self.associations.push((item, index));
                        }
                    }
                }
                _ => {}
            }
        }
        Ok(())
    }

    /// The properties associated with `item`, in association order.
    fn properties_of(&self, item: u32) -> impl Iterator<Item = &Bmff<'a>> + '_ {
        self.associations
            .iter()
            .filter(move |&&(i, _)| i == item)
            .filter_map(|&(_, index)| self.properties.get(usize::from(index).checked_sub(1)?))
    }

    fn primary_info(&self) -> Result<Info, RenderError> {
        let primary = self.primary.ok_or_else(|| corrupt("no pitm box"))?;
        let mut size = None;
        let (mut rotation, mut mirror) = (0, None);
        let (mut nclx, mut icc) = (None, None);
        for property in self.properties_of(primary) {
            let mut r = Reader(property.body);
            match &property.kind {
                b"ispe" => {
                    let (_, _, rest) = full_box(property.body)?;
                    let mut r = Reader(rest);
                    size = Some((r.u32()?, r.u32()?));
                }
                b"irot" => rotation = r.u8()? & 3,
                b"imir" => mirror = Some(r.u8()? & 1),
                b"colr" => match &r.array::<4>()? {
                    b"nclx" => {
                        let (_primaries, _transfer) = (r.u16()?, r.u16()?);
                        let matrix = u8::try_from(r.u16()?).unwrap_or(u8::MAX);
                        nclx = Some((matrix, r.u8()? & 0x80 != 0));
                    }
                    b"prof" | b"rICC" => icc = Some(r.0.to_vec()),
                    _ => {}
                },
                _ => {}
            }
        }
        // One pass over the associations, so that hostile counts of references and
        // properties cost linear time.
        let alpha_items: HashSet<u32> = self
            .associations
            .iter()
            .filter(|&&(_, index)| {
                usize::from(index)
                    .checked_sub(1)
                    .and_then(|i| self.properties.get(i))
                    .is_some_and(is_alpha_property)
            })
            .map(|&(item, _)| item)
            .collect();
        let has_alpha = self
            .auxiliaries
            .iter()
            .any(|item| alpha_items.contains(item));
        Ok(Info {
            size: size.ok_or_else(|| corrupt("the primary item has no ispe"))?,
            orientation: orientation(rotation, mirror),
            has_alpha,
            nclx,
            icc,
        })
    }
}

/// An `auxC` property naming the alpha channel URN.
fn is_alpha_property(property: &Bmff<'_>) -> bool {
    property.kind == *b"auxC"
        && full_box(property.body)
            .is_ok_and(|(_, _, urn)| urn.split(|&b| b == 0).next() == Some(ALPHA_URN))
}

/// The (from, to) item pairs of the `kind` references in an `iref` box body.
fn references(body: &[u8], kind: &[u8; 4]) -> Result<Vec<(u32, u32)>, RenderError> {
    let (version, _, rest) = full_box(body)?;
    let mut pairs = Vec::new();
    for b in Boxes(rest) {
        let b = b?;
        if b.kind != *kind {
            continue;
        }
        let mut r = Reader(b.body);
        let from = r.item_id(version)?;
        for _ in 0..r.u16()? {
            pairs.push((from, r.item_id(version)?));
        }
    }
    Ok(pairs)
}

/// HEIF's transforms as the equivalent EXIF orientation: `irot` turns anticlockwise by
/// `angle`·90°, then `imir` mirrors, axis 0 exchanging top and bottom (a vertical flip) and
/// axis 1 left and right, as amended HEIF, libavif and browsers read it.
fn orientation(angle: u8, mirror: Option<u8>) -> Orientation {
    // `image` rotates clockwise; a vertical flip is a half turn and a horizontal flip.
    let clockwise = (4 - angle % 4) % 4;
    let (quarters, flip) = match mirror {
        None => (clockwise, false),
        Some(1) => (clockwise, true),
        Some(_) => ((clockwise + 2) % 4, true),
    };
    match (quarters, flip) {
        (0, false) => Orientation::NoTransforms,
        (1, false) => Orientation::Rotate90,
        (2, false) => Orientation::Rotate180,
        (3, false) => Orientation::Rotate270,
        (0, true) => Orientation::FlipHorizontal,
        (1, true) => Orientation::Rotate90FlipH,
        (2, true) => Orientation::FlipVertical,
        _ => Orientation::Rotate270FlipH,
    }
}

mod boxes;
#[cfg(test)]
mod tests;
