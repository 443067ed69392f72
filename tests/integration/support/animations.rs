//! Animations made and read by the tests, independently of pixgate: GIFs through the `gif`
//! crate; animated WebPs as a RIFF container built here around frames that libwebp (the `webp`
//! crate) encodes as lossless stills; both read back by `image`'s decoders, with each frame's
//! delay, and the loop count from the container.

use std::io::Cursor;

use image::codecs::gif::GifDecoder;
use image::codecs::webp::WebPDecoder;
use image::{AnimationDecoder, RgbaImage};

/// A composited frame and how long it shows, in milliseconds.
pub type Timed = (RgbaImage, u32);

/// `width`×`height` frames of one colour each, with their delays in milliseconds.
pub fn solid_frames(width: u32, height: u32, frames: &[([u8; 4], u32)]) -> Vec<Timed> {
    frames
        .iter()
        .map(|&(colour, ms)| {
            (
                RgbaImage::from_pixel(width, height, image::Rgba(colour)),
                ms,
            )
        })
        .collect()
}

/// An animated WebP of `frames` (full canvas, no blending), played `plays` times (0: forever).
pub fn animated_webp(frames: &[Timed], plays: u16) -> Vec<u8> {
    let (width, height) = frames[0].0.dimensions();
    let le24 = |v: u32| v.to_le_bytes()[..3].to_vec();
    let mut vp8x = vec![0x02 | 0x10, 0, 0, 0];
    vp8x.extend(le24(width - 1));
    vp8x.extend(le24(height - 1));
    let mut body = b"WEBP".to_vec();
    body.extend(riff_chunk(b"VP8X", &vp8x));
    let mut anim = vec![0, 0, 0, 0];
    anim.extend(plays.to_le_bytes());
    body.extend(riff_chunk(b"ANIM", &anim));
    for (image, ms) in frames {
        let still = webp::Encoder::from_rgba(image.as_raw(), width, height).encode_lossless();
        // A simple lossless file: `RIFF`, size, `WEBP`, then its one `VP8L` chunk.
        let mut anmf = le24(0);
        anmf.extend(le24(0));
        anmf.extend(le24(width - 1));
        anmf.extend(le24(height - 1));
        anmf.extend(le24(*ms));
        // Blending off: each frame replaces the canvas.
        anmf.push(0x02);
        anmf.extend_from_slice(&still[12..]);
        body.extend(riff_chunk(b"ANMF", &anmf));
    }
    let mut out = b"RIFF".to_vec();
    out.extend(u32::try_from(body.len()).unwrap().to_le_bytes());
    out.extend(body);
    out
}

fn riff_chunk(name: &[u8; 4], data: &[u8]) -> Vec<u8> {
    let mut out = name.to_vec();
    out.extend(u32::try_from(data.len()).unwrap().to_le_bytes());
    out.extend_from_slice(data);
    if data.len() % 2 == 1 {
        out.push(0);
    }
    out
}

/// The top-level chunks of a WebP after `WEBP`: their names and data.
pub fn webp_chunks(bytes: &[u8]) -> Vec<([u8; 4], &[u8])> {
    assert_eq!((&bytes[..4], &bytes[8..12]), (&b"RIFF"[..], &b"WEBP"[..]));
    let mut chunks = Vec::new();
    let mut at = 12;
    while at + 8 <= bytes.len() {
        let size = u32::from_le_bytes(bytes[at + 4..at + 8].try_into().unwrap()) as usize;
        let name = bytes[at..at + 4].try_into().unwrap();
        chunks.push((name, &bytes[at + 8..(at + 8 + size).min(bytes.len())]));
        at += 8 + size + (size & 1);
    }
    chunks
}

/// How often an animated WebP plays (its `ANIM` loop count; 0: forever).
pub fn webp_plays(bytes: &[u8]) -> u16 {
    let (_, anim) = webp_chunks(bytes)
        .into_iter()
        .find(|(name, _)| name == b"ANIM")
        .expect("an ANIM chunk");
    u16::from_le_bytes([anim[4], anim[5]])
}

/// The bitstream chunk of each animation frame: `VP8 ` (lossy, maybe after `ALPH`) or `VP8L`.
pub fn webp_frame_codecs(bytes: &[u8]) -> Vec<[u8; 4]> {
    webp_chunks(bytes)
        .into_iter()
        .filter(|(name, _)| name == b"ANMF")
        .map(|(_, anmf)| {
            let first: [u8; 4] = anmf[16..20].try_into().unwrap();
            if &first == b"ALPH" {
                let size = u32::from_le_bytes(anmf[20..24].try_into().unwrap()) as usize;
                let next = 24 + size + (size & 1);
                anmf[next..next + 4].try_into().unwrap()
            } else {
                first
            }
        })
        .collect()
}

/// The composited frames of an animated WebP and how long each shows.
pub fn webp_frames(bytes: &[u8]) -> Vec<Timed> {
    let decoder = WebPDecoder::new(Cursor::new(bytes)).unwrap();
    assert!(decoder.has_animation(), "not an animated WebP");
    timed(decoder.into_frames())
}

/// The composited frames of an animated WebP as libwebp's own decoder makes them. image-webp
/// (`webp_frames`) blends even opaque pixels of a frame that may hold alpha, and its integer
/// blend takes one level off them (60 becomes 59); libwebp copies opaque pixels, so this is
/// the reader for checking lossless output to the level. libwebp's animation decoder spins
/// forever on a frame it cannot decode, hence the thread and the deadline.
pub fn webp_frames_by_libwebp(bytes: &[u8]) -> Vec<RgbaImage> {
    let bytes = bytes.to_vec();
    let (sent, received) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let decoded = webp::AnimDecoder::new(&bytes).decode().map(|animation| {
            animation
                .into_iter()
                .map(|frame| image::DynamicImage::from(&frame).to_rgba8())
                .collect::<Vec<_>>()
        });
        let _ = sent.send(decoded);
    });
    received
        .recv_timeout(std::time::Duration::from_secs(20))
        .expect("libwebp decoded in time")
        .expect("libwebp decoded the animation")
}

/// The composited frames of a GIF and how long each shows.
pub fn gif_frames(bytes: &[u8]) -> Vec<Timed> {
    timed(GifDecoder::new(Cursor::new(bytes)).unwrap().into_frames())
}

fn timed(frames: image::Frames<'_>) -> Vec<Timed> {
    frames
        .map(|frame| {
            let frame = frame.unwrap();
            let (numer, denom) = frame.delay().numer_denom_ms();
            (frame.into_buffer(), numer / denom)
        })
        .collect()
}

pub fn delays(frames: &[Timed]) -> Vec<u32> {
    frames.iter().map(|f| f.1).collect()
}

/// The NETSCAPE2.0 loop count, read after every frame (`Finite(0)` when the block is absent).
pub fn gif_repeat(bytes: &[u8]) -> gif::Repeat {
    let mut options = gif::DecodeOptions::new();
    options.skip_frame_decoding(true);
    let mut decoder = options.read_info(Cursor::new(bytes)).unwrap();
    while decoder.read_next_frame().unwrap().is_some() {}
    decoder.repeat()
}

/// Full-screen GIF frames each filled with one index of the global `palette`, with its delay
/// in hundredths of a second.
pub fn indexed_gif(
    width: u16,
    height: u16,
    palette: &[u8],
    repeat: gif::Repeat,
    frames: &[(u8, u16)],
) -> Vec<u8> {
    let mut out = Vec::new();
    {
        let mut encoder = gif::Encoder::new(&mut out, width, height, palette).unwrap();
        encoder.set_repeat(repeat).unwrap();
        let pixels = usize::from(width) * usize::from(height);
        for &(index, delay) in frames {
            let mut frame =
                gif::Frame::from_indexed_pixels(width, height, vec![index; pixels], None);
            frame.delay = delay;
            encoder.write_frame(&frame).unwrap();
        }
    }
    out
}

/// A 40×20 GIF of three solid frames, red for 70 ms, green for 230 ms, blue for 500 ms.
pub fn rgb_gif(repeat: gif::Repeat) -> Vec<u8> {
    let palette = [255, 0, 0, 0, 255, 0, 0, 0, 255, 255, 255, 255];
    let frames = [(0u8, 7u16), (1, 23), (2, 50)];
    indexed_gif(40, 20, &palette, repeat, &frames)
}

/// Every pixel within 8 levels of `want` per channel (alpha ignored): lossy encoders stay well
/// inside that on a flat colour, and a wrong frame is 255 away.
#[track_caller]
pub fn assert_solid(image: &RgbaImage, want: [u8; 4], case: &str) {
    let off = image
        .pixels()
        .find(|p| (0..3).any(|c| p.0[c].abs_diff(want[c]) > 8));
    assert!(off.is_none(), "{case}: pixel {off:?}, want {want:?}");
}
