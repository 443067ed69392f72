//! The WebP pre-scan: the RIFF chunks walked by their headers, no bitstream read. A still WebP
//! (no `VP8X` chunk with the animation flag) is one frame.

use super::{Animation, STILL};
use crate::render::RenderError;

/// `VP8X`'s flag for an animation.
const ANIMATED: u8 = 0x02;

/// Counts the `ANMF` chunks and reads the loop count from `ANIM`, stopping as soon as there
/// are more than `max_frames`. Frames reaching outside the canvas (whose size passed the pixel
/// limit) are refused, so no frame can claim more memory than the canvas.
pub fn scan(bytes: &[u8], max_frames: u32) -> Result<Animation, RenderError> {
    let bad = |what: &str| RenderError::Corrupt(format!("WebP: {what}"));
    let le = |at: usize, n: usize| -> Option<u32> {
        let b = bytes.get(at..at.checked_add(n)?)?;
        Some(b.iter().rev().fold(0, |v, byte| v << 8 | u32::from(*byte)))
    };
    if bytes.get(..4) != Some(b"RIFF") || bytes.get(8..12) != Some(b"WEBP") {
        return Err(bad("no RIFF WEBP header"));
    }
    let animated = bytes.get(12..16) == Some(b"VP8X")
        && bytes.get(20).is_some_and(|flags| flags & ANIMATED != 0);
    if !animated {
        return Ok(STILL);
    }
    let canvas = match (le(24, 3), le(27, 3)) {
        (Some(w), Some(h)) => (w + 1, h + 1),
        _ => return Err(bad("the VP8X chunk is cut short")),
    };
    let riff_end = le(4, 4).map_or(0, |size| size as usize).saturating_add(8);
    let end = riff_end.min(bytes.len());
    let (mut frames, mut loop_count) = (0u32, None);
    let mut at = 12usize;
    while at.saturating_add(8) <= end {
        let size = le(at + 4, 4).map_or(0, |size| size as usize);
        let body = at + 8;
        match bytes.get(at..at + 4) {
            Some(b"ANIM") => loop_count = le(body + 4, 2),
            Some(b"ANMF") => {
                frames += 1;
                if frames > max_frames {
                    return Err(RenderError::TooManyFrames { limit: max_frames });
                }
                let rect = (|| {
                    let x = le(body, 3)? * 2;
                    let y = le(body + 3, 3)? * 2;
                    Some((x + le(body + 6, 3)? + 1, y + le(body + 9, 3)? + 1))
                })();
                match rect {
                    Some((right, bottom)) if right <= canvas.0 && bottom <= canvas.1 => {}
                    Some(_) => return Err(bad("a frame reaches outside the canvas")),
                    None => return Err(bad("a frame header is cut short")),
                }
            }
            _ => {}
        }
        // Chunks are padded to an even size.
        at = body.saturating_add(size).saturating_add(size & 1);
    }
    let loops = match loop_count {
        None => return Err(bad("an animation without an ANIM chunk")),
        _ if frames == 0 => return Err(bad("an animation without frames")),
        // WebP counts every play (0: forever), GIF and pixgate the plays after the first.
        Some(0) => None,
        Some(plays) => Some(u16::try_from(plays - 1).unwrap_or(u16::MAX)),
    };
    Ok(Animation { frames, loops })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An animated WebP container of `frames` 2×2 ANMF chunks on a `canvas`, playing `plays`
    /// times; the bitstreams are empty, which the scan never reads.
    fn container(canvas: u32, frames: &[(u32, u32)], plays: u16) -> Vec<u8> {
        let le24 = |v: u32| v.to_le_bytes()[..3].to_vec();
        let chunk = |name: &[u8; 4], body: Vec<u8>| {
            let mut out = name.to_vec();
            out.extend((body.len() as u32).to_le_bytes());
            out.extend(&body);
            if body.len() % 2 == 1 {
                out.push(0);
            }
            out
        };
        let mut vp8x = vec![ANIMATED, 0, 0, 0];
        vp8x.extend(le24(canvas - 1));
        vp8x.extend(le24(canvas - 1));
        let mut body = b"WEBP".to_vec();
        body.extend(chunk(b"VP8X", vp8x));
        let mut anim = vec![0, 0, 0, 0];
        anim.extend(plays.to_le_bytes());
        body.extend(chunk(b"ANIM", anim));
        for &(x, y) in frames {
            let mut anmf = le24(x / 2);
            anmf.extend(le24(y / 2));
            anmf.extend(le24(1));
            anmf.extend(le24(1));
            anmf.extend(le24(100));
            anmf.push(0);
            anmf.extend(chunk(b"VP8L", vec![0x2f; 3]));
            body.extend(chunk(b"ANMF", anmf));
        }
        let mut out = b"RIFF".to_vec();
        out.extend((body.len() as u32).to_le_bytes());
        out.extend(body);
        out
    }

    #[test]
    fn counts_frames_and_turns_plays_into_repeats() {
        let three = container(8, &[(0, 0), (2, 2), (6, 6)], 0);
        assert_eq!(
            scan(&three, 10),
            Ok(Animation {
                frames: 3,
                loops: None
            })
        );
        let twice = container(8, &[(0, 0), (2, 2)], 2);
        assert_eq!(scan(&twice, 10).map(|a| a.loops), Ok(Some(1)));
        let once = container(8, &[(0, 0), (2, 2)], 1);
        assert_eq!(scan(&once, 10).map(|a| a.loops), Ok(Some(0)));
    }

    #[test]
    fn stops_past_the_cap_and_refuses_frames_outside_the_canvas() {
        let many = container(8, &[(0, 0); 50], 0);
        assert_eq!(
            scan(&many, 49),
            Err(RenderError::TooManyFrames { limit: 49 })
        );
        let outside = container(8, &[(0, 0), (8, 0)], 0);
        assert!(matches!(scan(&outside, 10), Err(RenderError::Corrupt(_))));
        let cut = container(8, &[(0, 0), (2, 2)], 0);
        // A bitstream cut short is the decoder's to find; a header cut short is the scan's.
        assert!(scan(&cut[..cut.len() - 4], 10).is_ok_and(|a| a.frames == 2));
        assert!(matches!(
            scan(&cut[..cut.len() - 26], 10),
            Err(RenderError::Corrupt(_))
        ));
        assert!(matches!(scan(&cut[..30], 10), Err(RenderError::Corrupt(_))));
    }
}
