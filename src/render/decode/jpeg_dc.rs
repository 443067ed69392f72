//! A progressive JPEG decoded at 1/8 scale needs only the DC coefficients of its
//! full-resolution components (libjpeg's 1×1 inverse DCT reads nothing else; subsampled chroma
//! is decoded at 2×2 or more, so it keeps its AC), and a progressive file carries each
//! component's AC in scans of their own. So libjpeg is handed the file without the luma AC
//! scans: most of the bytes, and most of the Huffman decoding that dominates a progressive
//! decode, are skipped by finding where each scan ends. The pixels are those of a 1/8-scale
//! decode of the whole file (tested).

const SOF2: u8 = 0xC2;
const SOS: u8 = 0xDA;
const EOI: u8 = 0xD9;

/// The file with every scan that carries AC coefficients left out; `None` when it is not a
/// Huffman-coded progressive JPEG or its segments do not parse (the caller then decodes the
/// whole file, which reports what is wrong).
pub fn without_ac_scans(bytes: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(bytes.len() / 4);
    out.extend_from_slice(bytes.get(..2)?);
    let mut at = 2;
    // The components at the largest sampling factors, once the frame header is read.
    let mut full_size: Option<Vec<u8>> = None;
    loop {
        if *bytes.get(at)? != 0xFF {
            return None;
        }
        let marker = *bytes.get(at + 1)?;
        match marker {
            // Fill bytes before a marker.
            0xFF => at += 1,
            EOI => {
                out.extend_from_slice(&bytes[at..at + 2]);
                return full_size.is_some().then_some(out);
            }
            // Markers without a length.
            0x01 | 0xD0..=0xD7 => {
                out.extend_from_slice(&bytes[at..at + 2]);
                at += 2;
            }
            _ => {
                let length = usize::from(u16::from_be_bytes([
                    *bytes.get(at + 2)?,
                    *bytes.get(at + 3)?,
                ]));
                let end = at.checked_add(2 + length)?;
                let segment = bytes.get(at..end)?;
                if marker == SOF2 {
                    full_size = Some(full_size_components(segment)?);
                }
                if marker != SOS {
                    out.extend_from_slice(segment);
                    at = end;
                    continue;
                }
                // Components, then each one's two bytes, then the spectral start.
                let components = usize::from(*segment.get(4)?);
                let spectral_start = *segment.get(5 + 2 * components)?;
                // An AC scan has one component.
                let component = *segment.get(5)?;
                let dc_suffices = full_size.as_ref()?.contains(&component);
                let data_end = scan_end(bytes, end);
                if spectral_start == 0 || !dc_suffices {
                    out.extend_from_slice(&bytes[at..data_end]);
                }
                if data_end >= bytes.len() {
                    // Cut short inside a scan: what is kept ends without an end marker, so
                    // libjpeg reports the file as truncated, as it would the whole file.
                    return Some(out);
                }
                at = data_end;
            }
        }
    }
}

/// The ids of the components sampled at the frame's largest factors, from a frame header.
fn full_size_components(sof: &[u8]) -> Option<Vec<u8>> {
    let count = usize::from(*sof.get(9)?);
    let components = sof.get(10..10 + 3 * count)?;
    let factors = |c: &[u8]| (c[1] >> 4, c[1] & 0x0F);
    let max_h = components.chunks(3).map(|c| factors(c).0).max()?;
    let max_v = components.chunks(3).map(|c| factors(c).1).max()?;
    Some(
        components
            .chunks(3)
            .filter(|c| factors(c) == (max_h, max_v))
            .map(|c| c[0])
            .collect(),
    )
}

/// Where the entropy-coded data starting at `from` ends: at the first marker that is not a
/// stuffed zero byte or a restart marker, or at the end of the bytes.
fn scan_end(bytes: &[u8], from: usize) -> usize {
    let mut at = from;
    while let Some(offset) = bytes
        .get(at..)
        .and_then(|rest| rest.iter().position(|&b| b == 0xFF))
    {
        let marker = at + offset;
        match bytes.get(marker + 1) {
            Some(0x00 | 0xD0..=0xD7 | 0xFF) => at = marker + 1,
            Some(_) => return marker,
            None => return bytes.len(),
        }
    }
    bytes.len()
}

#[cfg(test)]
mod tests {
    use super::without_ac_scans;

    fn fixture(name: &str) -> Vec<u8> {
        std::fs::read(format!("{}/fixtures/{name}", env!("CARGO_MANIFEST_DIR"))).unwrap()
    }

    fn decode_eighth(bytes: &[u8]) -> Vec<u8> {
        let mut jpeg = mozjpeg::Decompress::new_mem(bytes).unwrap();
        jpeg.scale(1);
        jpeg.do_block_smoothing(false);
        let mut started = jpeg.rgb().unwrap();
        let pixels: Vec<u8> = started.read_scanlines().unwrap();
        started.finish().unwrap();
        pixels
    }

    #[test]
    fn dc_scans_alone_give_the_same_eighth_scale_pixels() {
        let whole = fixture("inputs/forest-progressive.jpg");
        let dc = without_ac_scans(&whole).unwrap();
        assert!(
            dc.len() * 2 < whole.len(),
            "{} of {} bytes kept",
            dc.len(),
            whole.len()
        );
        assert_eq!(decode_eighth(&dc), decode_eighth(&whole));
    }

    #[test]
    fn baseline_files_and_broken_segments_are_left_to_the_whole_decode() {
        assert_eq!(without_ac_scans(&fixture("forest-800x500.jpg")), None);
        let whole = fixture("inputs/forest-progressive.jpg");
        assert_eq!(without_ac_scans(&whole[..3]), None);
        let mut bad = whole.clone();
        bad[2] = 0x00;
        assert_eq!(without_ac_scans(&bad), None);
    }

    #[test]
    fn a_file_cut_short_keeps_no_end_marker() {
        let whole = fixture("inputs/forest-progressive.jpg");
        let cut = &whole[..whole.len() * 2 / 3];
        if let Some(dc) = without_ac_scans(cut) {
            assert_ne!(&dc[dc.len() - 2..], &[0xFF, 0xD9]);
        }
    }
}
