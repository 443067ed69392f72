//! PNG stills of 8-bit RGB or RGBA, not interlaced, without `tRNS`: the png crate's
//! streaming decoder parses the chunks and inflates (fdeflate), and pixgate undoes the row
//! filters itself, four rows at a time where two or more of them are Paeth or Avg
//! (`unfilter`). Those are the PNGs photographs come as, where the png crate's Paeth
//! unfiltering was 40 % of a render. Everything else, and any file this
//! path does not finish, goes through `image` and the png crate whole, which also names what
//! is wrong with a damaged file.

use ::png::{BitDepth, ColorType, Decoded, StreamingDecoder, UnfilterRegion, chunk};
use image::{DynamicImage, RgbImage, RgbaImage};

mod unfilter;

use unfilter::{Filter, FourRows};

/// Inflated rows are kept in a buffer of this many bytes (or five rows, if more), moved back
/// to its start when full; the inflater needs the last 32 KiB it wrote to stay put.
const INFLATE_BUFFER: usize = 1 << 20;

/// The first image of `bytes` when it is one this path decodes, `None` otherwise (and when
/// the data ends early or is damaged). `max_alloc` bounds the pixels' bytes.
pub fn decode(bytes: &[u8], max_alloc: u64) -> Option<DynamicImage> {
    let mut stream = Stream {
        decoder: StreamingDecoder::new(),
        input: bytes,
        flushed: false,
    };
    stream.until_image_data()?;
    let info = stream.decoder.info()?;
    let bpp = match info.color_type {
        ColorType::Rgb => 3,
        ColorType::Rgba => 4,
        _ => return None,
    };
    let plain = info.bit_depth == BitDepth::Eight
        && !info.interlaced
        && info.trns.is_none()
        && info.animation_control.is_none();
    if !plain {
        return None;
    }
    let (width, height) = (info.width, info.height);
    let row_len = usize::try_from(width).ok()?.checked_mul(bpp)?;
    let len = row_len.checked_mul(usize::try_from(height).ok()?)?;
    if u64::try_from(len).ok()? > max_alloc {
        return None;
    }
    let mut pixels = vec![0u8; len];
    if bpp == 3 {
        stream.rows::<3>(row_len, &mut pixels)?;
        stream.until_image_data_ends()?;
        RgbImage::from_raw(width, height, pixels).map(DynamicImage::ImageRgb8)
    } else {
        stream.rows::<4>(row_len, &mut pixels)?;
        stream.until_image_data_ends()?;
        RgbaImage::from_raw(width, height, pixels).map(DynamicImage::ImageRgba8)
    }
}

struct Stream<'a> {
    decoder: StreamingDecoder,
    input: &'a [u8],
    /// The last `IDAT` chunk has been read.
    flushed: bool,
}

impl Stream<'_> {
    /// Reads the chunks before the first `IDAT`.
    fn until_image_data(&mut self) -> Option<()> {
        loop {
            match self.next(None)? {
                Decoded::ChunkBegin(_, chunk::IDAT) => return Some(()),
                Decoded::ChunkComplete(chunk::IEND) => return None,
                _ => {}
            }
        }
    }

    /// Reads the rest of the image data, as the png crate does after the last row: a damaged
    /// checksum there fails the file.
    fn until_image_data_ends(&mut self) -> Option<()> {
        while !self.flushed {
            self.next(None)?;
        }
        Some(())
    }

    fn next(&mut self, image_data: Option<&mut ::png::UnfilterBuf<'_>>) -> Option<Decoded> {
        if self.input.is_empty() {
            return None;
        }
        let (consumed, decoded) = self.decoder.update(self.input, image_data).ok()?;
        self.input = self.input.get(consumed..)?;
        self.flushed |= matches!(decoded, Decoded::ImageDataFlushed);
        Some(decoded)
    }

    /// Inflates and unfilters every row of `BPP`-byte pixels into `pixels`.
    fn rows<const BPP: usize>(&mut self, row_len: usize, pixels: &mut [u8]) -> Option<()> {
        let stride = row_len + 1;
        let mut inflated = Vec::with_capacity(INFLATE_BUFFER.max(5 * stride));
        let mut region = UnfilterRegion::default();
        // Bytes of the image's rows not yet inflated, and where the next row starts.
        let mut to_inflate = stride * (pixels.len() / row_len.max(1));
        let mut next = 0;
        let zeros = vec![0u8; row_len];
        let mut done = 0;
        while done < pixels.len() {
            let rows_left = (pixels.len() - done) / row_len;
            let ready = (region.filled - next) / stride;
            let filter = |k: usize| Filter::from_byte(inflated[next + k * stride]);
            if ready >= 4.min(rows_left) && ready > 0 {
                let (before, rest) = pixels.split_at_mut(done);
                let above = if done == 0 {
                    &zeros
                } else {
                    &before[done - row_len..]
                };
                let row = |k: usize| &inflated[next + k * stride + 1..next + (k + 1) * stride];
                let filters = (ready >= 4).then(|| [0, 1, 2, 3].map(filter));
                match filters {
                    Some([Some(f0), Some(f1), Some(f2), Some(f3)])
                        if worth_four(&[f0, f1, f2, f3]) =>
                    {
                        let rows = FourRows {
                            filters: [f0, f1, f2, f3],
                            filtered: &inflated[next + 1..next + 4 * stride],
                            stride,
                            above,
                        };
                        unfilter::four_rows::<BPP>(rows, rest);
                        next += 4 * stride;
                        done += 4 * row_len;
                    }
                    _ => {
                        unfilter::row::<BPP>(filter(0)?, row(0), above, &mut rest[..row_len]);
                        next += stride;
                        done += row_len;
                    }
                }
                continue;
            }
            // Make room when under 64 KiB are left (the inflater writes 8 KiB a call): drop the
            // rows already unfiltered, within what the inflater allows.
            let spent = next.min(region.available);
            if region.filled + (64 << 10) > inflated.capacity() && spent > 0 {
                inflated.copy_within(spent..region.filled, 0);
                region.available -= spent;
                region.filled -= spent;
                next -= spent;
            }
            // Inflate no further than the image's rows: what follows them is not pixels.
            let end = (region.filled + to_inflate).min(inflated.capacity());
            inflated.resize(end, 0);
            let before = region.filled;
            self.next(Some(&mut region.as_buf(&mut inflated)))?;
            if self.flushed && region.filled == before {
                return None;
            }
            to_inflate -= region.filled - before;
        }
        Some(())
    }
}

/// Whether four rows are faster undone together: the wavefront costs about what two Paeth
/// or Avg rows (each pixel waiting for the one before) cost one by one, whatever the other
/// two are.
fn worth_four(filters: &[Filter; 4]) -> bool {
    let chained = |f: &&Filter| matches!(f, Filter::Paeth | Filter::Avg);
    filters.iter().filter(chained).count() >= 2
}

#[cfg(test)]
mod tests;
