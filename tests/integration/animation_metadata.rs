//! Animated GIFs and metadata (contract §3, issue 3): an animated GIF stays animated with its
//! frames, delays and loop count; still formats take the first frame; the frame cap and the
//! frames × screen pixel budget answer 413; derivatives carry no EXIF, XMP, ICC, IPTC or
//! comments while passthrough keeps every byte; EXIF orientation is applied before it goes.

use std::io::Cursor;

use image::codecs::gif::GifDecoder;
use image::imageops::FilterType;
use image::{AnimationDecoder, RgbaImage};

use crate::support::{
    BLUE, GREEN, RED, Root, TestServer, config, decode, fixture, mean_abs_diff, mean_colour,
};

const KITE: &str = "kite-animated-480x300.gif";

async fn server(root: &Root) -> TestServer {
    TestServer::start(config(vec![root.source("demo")])).await
}

// ---------------------------------------------------------------------------------------------
// Animation
// ---------------------------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn animated_gif_keeps_every_frame_in_order_with_its_delay_and_loop() {
    let root = Root::new();
    root.put_fixture("kite.gif", KITE);
    let server = server(&root).await;
    let source = gif_frames(&fixture(KITE));
    assert_eq!(source.len(), 4, "the fixture's frame count");

    // GIF in, no `fm`: the default output is GIF, so both requests animate.
    for query in ["w=240&fm=gif", "w=240"] {
        let reply = server.get(&format!("/kite.gif?{query}")).await;
        reply.assert_image("gif");
        let out = gif_frames(&reply.body);
        assert_eq!(out.len(), source.len(), "{query}: frame count");
        assert_eq!(delays(&out), delays(&source), "{query}: delays");
        assert_eq!(gif_repeat(&reply.body), gif::Repeat::Infinite, "{query}");
        for (i, (frame, _)) in out.iter().enumerate() {
            assert_eq!(frame.dimensions(), (240, 150), "{query}: frame {i}");
            // Tolerances: GIF quantisation (NeuQuant, 256 colours) moves the mean colour by
            // under a level and leaves a mean absolute difference near 1.4 from the reference
            // downscale. The kite's frames share one mean colour, so that only catches blank
            // or discoloured frames; each is 26 or more from every other frame's reference,
            // which catches shuffled or repeated ones.
            let want = downscaled(&source[i].0, 240, 150);
            let (got, want_mean) = (mean_colour(frame), mean_colour(&want));
            for c in 0..3 {
                assert!(
                    (got[c] - want_mean[c]).abs() < 4.0,
                    "{query}: frame {i} mean {got:?}, source {want_mean:?}"
                );
            }
            let own = mean_abs_diff(frame, &want);
            assert!(own < 5.0, "{query}: frame {i} differs by {own:.1}");
            for (j, (other, _)) in source.iter().enumerate().filter(|(j, _)| *j != i) {
                let theirs = mean_abs_diff(frame, &downscaled(other, 240, 150));
                assert!(
                    own < theirs,
                    "{query}: frame {i} is nearer source frame {j} ({theirs:.1} ≤ {own:.1})"
                );
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn frames_keep_their_order_delays_and_loop_count() {
    let cases = [
        (gif::Repeat::Finite(3), "loop count 3"),
        (gif::Repeat::Infinite, "loops forever"),
        (gif::Repeat::Finite(0), "plays once: no NETSCAPE2.0 block"),
    ];
    for (repeat, case) in cases {
        let root = Root::new();
        root.put("rgb.gif", &rgb_gif(repeat));
        let server = server(&root).await;
        let reply = server.get("/rgb.gif?w=20&fm=gif").await;
        reply.assert_image("gif");
        let frames = gif_frames(&reply.body);
        assert_eq!(frames.len(), 3, "{case}");
        assert_eq!(delays(&frames), vec![70, 230, 500], "{case}");
        for ((frame, _), want) in frames.iter().zip([RED, GREEN, BLUE]) {
            assert_eq!(frame.dimensions(), (20, 10), "{case}");
            assert_solid(frame, want, case);
        }
        assert_eq!(gif_repeat(&reply.body), repeat, "{case}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn transparent_frames_leave_no_trail() {
    let root = Root::new();
    root.put("moving.gif", &moving_square_gif());
    let server = server(&root).await;
    let reply = server.get("/moving.gif?w=30&fm=gif").await;
    reply.assert_image("gif");
    let frames = gif_frames(&reply.body);
    assert_eq!(frames.len(), 3);
    // Each output frame, as a viewer composites it, shows the square in its own third only:
    // output frames are whole canvases, so each must be disposed to the background (GIF
    // disposal 2) before the next; under the default "keep", old squares show through.
    for (i, (frame, _)) in frames.iter().enumerate() {
        assert_eq!(frame.dimensions(), (30, 10));
        for third in 0..3u32 {
            let alpha = frame.get_pixel(third * 10 + 5, 5).0[3];
            let want = if third as usize == i { 255 } else { 0 };
            assert_eq!(alpha, want, "frame {i}, third {third}: alpha {alpha}");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn still_output_of_an_animation_is_its_first_frame() {
    let root = Root::new();
    root.put("rgb.gif", &rgb_gif(gif::Repeat::Infinite))
        .put_fixture("kite.gif", KITE);
    let server = server(&root).await;

    for (query, kind) in [
        ("w=20&fm=png", "png"),
        ("w=20&fm=jpg", "jpeg"),
        ("w=20&fm=webp", "webp"),
    ] {
        let reply = server.get(&format!("/rgb.gif?{query}")).await;
        reply.assert_image(kind);
        let image = decode(&reply.body);
        assert_eq!(image.dimensions(), (20, 10), "{query}");
        assert_solid(&image, RED, query);
    }

    let source = gif_frames(&fixture(KITE));
    let reply = server.get("/kite.gif?w=240&fm=png").await;
    reply.assert_image("png");
    let still = decode(&reply.body);
    assert_eq!(still.dimensions(), (240, 150));
    // Tolerance: the same Lanczos3 downscale of the same pixels lands within 0.2; the kite's
    // last frame is 30 away.
    let first = mean_abs_diff(&still, &downscaled(&source[0].0, 240, 150));
    let last = mean_abs_diff(&still, &downscaled(&source[3].0, 240, 150));
    assert!(first < 2.5, "differs from the first frame by {first:.2}");
    assert!(
        first < last,
        "nearer the last frame ({last:.2}) than the first"
    );
}

// ---------------------------------------------------------------------------------------------
// Limits
// ---------------------------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn frame_cap_refuses_animated_output_but_not_a_still() {
    let root = Root::new();
    root.put("rgb.gif", &rgb_gif(gif::Repeat::Infinite));

    let mut capped = config(vec![root.source("demo")]);
    capped.limits.max_animation_frames = 2;
    let server = TestServer::start(capped).await;
    for target in ["/rgb.gif?w=20&fm=gif", "/rgb.gif?w=20"] {
        server.get(target).await.assert_error(413, "too_large");
    }
    let reply = server.get("/rgb.gif?w=20&fm=png").await;
    reply.assert_image("png");
    assert_solid(&decode(&reply.body), RED, "first frame under the cap");

    let mut enough = config(vec![root.source("demo")]);
    enough.limits.max_animation_frames = 3;
    let server = TestServer::start(enough).await;
    let reply = server.get("/rgb.gif?w=20&fm=gif").await;
    reply.assert_image("gif");
    assert_eq!(gif_frames(&reply.body).len(), 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn thousands_of_tiny_frames_are_refused_as_an_animation_only() {
    let root = Root::new();
    let many = tiny_frames_gif(3000);
    assert!(many.len() < 100_000, "{} bytes", many.len());
    root.put("many.gif", &many);
    let server = server(&root).await;
    server
        .get("/many.gif?fm=gif")
        .await
        .assert_error(413, "too_large");
    let reply = server.get("/many.gif?w=1&fm=png").await;
    reply.assert_image("png");
    assert_eq!(decode(&reply.body).dimensions(), (1, 1));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_frame_counts_against_the_pixel_limit() {
    let root = Root::new();
    root.put("big.gif", &solid_frames_gif(100, 100, 3));
    // 3 frames × 100×100 = 30 000 pixels; one frame is 10 000.
    for (limit, animated) in [(25_000, false), (30_000, true)] {
        let mut config = config(vec![root.source("demo")]);
        config.limits.max_source_pixels = limit;
        let server = TestServer::start(config).await;
        let reply = server.get("/big.gif?w=50&fm=gif").await;
        if animated {
            reply.assert_image("gif");
            assert_eq!(gif_frames(&reply.body).len(), 3, "limit {limit}");
        } else {
            reply.assert_error(413, "too_large");
        }
        let reply = server.get("/big.gif?w=50&fm=png").await;
        reply.assert_image("png");
        assert_eq!(decode(&reply.body).dimensions(), (50, 50), "limit {limit}");
    }
}

// ---------------------------------------------------------------------------------------------
// Metadata
// ---------------------------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn derivatives_of_a_jpeg_carry_no_metadata() {
    let root = Root::new();
    let source = loaded_jpeg();
    let markers = jpeg_markers(&source);
    for marker in [0xE1, 0xE2, 0xED, 0xFE] {
        assert!(markers.contains(&marker), "the source lacks {marker:02X}");
    }
    root.put("loaded.jpg", &source);
    let server = server(&root).await;

    let reply = server.get("/loaded.jpg?w=100").await;
    reply.assert_image("jpeg");
    let markers = jpeg_markers(&reply.body);
    let metadata: Vec<_> = markers
        .iter()
        .filter(|m| (0xE1..=0xEF).contains(*m) || **m == 0xFE)
        .collect();
    assert!(metadata.is_empty(), "APPn/COM left: {metadata:02X?}");

    let reply = server.get("/loaded.jpg?w=100&fm=png").await;
    reply.assert_image("png");
    assert_no_png_metadata(&reply.body, "from JPEG");

    let reply = server.get("/loaded.jpg?w=100&fm=webp").await;
    reply.assert_image("webp");
    let chunks = webp_chunks(&reply.body);
    assert!(chunks.contains(b"VP8 "), "WebP chunks {:?}", names(&chunks));
    for name in [*b"ICCP", *b"EXIF", *b"XMP "] {
        assert!(!chunks.contains(&name), "WebP chunks {:?}", names(&chunks));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn derivatives_of_a_png_carry_no_metadata() {
    let root = Root::new();
    let source = loaded_png();
    root.put("loaded.png", &source);
    let server = server(&root).await;
    // The eXIf chunk says orientation 6: 320×200 stored, 200×320 upright.
    let reply = server.get("/loaded.png?w=100").await;
    reply.assert_image("png");
    assert_no_png_metadata(&reply.body, "from PNG");
    assert_eq!(decode(&reply.body).dimensions(), (100, 160));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gif_derivatives_carry_no_comments_or_foreign_extensions() {
    let root = Root::new();
    root.put_fixture("kite.gif", KITE)
        .put_fixture("still.gif", "inputs/forest-still.gif");
    let server = server(&root).await;
    let kite = gif_extensions(&fixture(KITE));
    assert!(kite.iter().any(|e| e.0 == 0xFE), "the kite has comments");
    assert!(
        kite.iter().any(|e| e.1 == b"ICCRGBG1012"),
        "the kite has an ICC extension"
    );
    let still = gif_extensions(&fixture("inputs/forest-still.gif"));
    assert!(still.iter().any(|e| e.0 == 0xFE), "the still has a comment");
    // Animated, and still.
    for target in ["/kite.gif?w=240&fm=gif", "/still.gif?w=100"] {
        let reply = server.get(target).await;
        reply.assert_image("gif");
        for (label, app) in gif_extensions(&reply.body) {
            // Graphic control (delays) and the loop count are timing, not metadata.
            let allowed = label == 0xF9 || (label == 0xFF && app == b"NETSCAPE2.0");
            let app = String::from_utf8_lossy(&app);
            assert!(allowed, "{target}: extension {label:02X} {app:?}");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn passthrough_keeps_every_byte_of_metadata() {
    let root = Root::new();
    let jpeg = loaded_jpeg();
    let png = loaded_png();
    let gif = fixture(KITE);
    root.put("loaded.jpg", &jpeg)
        .put("loaded.png", &png)
        .put("kite.gif", &gif);
    let server = server(&root).await;
    for (target, kind, bytes) in [
        ("/loaded.jpg", "jpeg", &jpeg),
        ("/loaded.png", "png", &png),
        ("/kite.gif", "gif", &gif),
    ] {
        let reply = server.get(target).await;
        reply.assert_image(kind);
        assert!(reply.body == *bytes, "{target}: the bytes changed");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exif_orientation_is_applied_then_stripped() {
    let root = Root::new();
    root.put_fixture("orient6.jpg", "forest-orient6.jpg");
    let server = server(&root).await;
    // Stored 500×800 with Orientation 6: upright it is 800×500, so w=100 is 100×62.5.
    let reply = server.get("/orient6.jpg?w=100").await;
    reply.assert_image("jpeg");
    let (width, height) = decode(&reply.body).dimensions();
    assert_eq!(width, 100);
    assert!((62..=63).contains(&height), "{width}×{height}");
    let markers = jpeg_markers(&reply.body);
    assert!(!markers.contains(&0xE1), "EXIF left: {markers:02X?}");
}

// ---------------------------------------------------------------------------------------------
// GIFs: made here, read back
// ---------------------------------------------------------------------------------------------

/// A 40×20 GIF of three solid frames, red for 70 ms, green for 230 ms, blue for 500 ms.
fn rgb_gif(repeat: gif::Repeat) -> Vec<u8> {
    let palette = [255, 0, 0, 0, 255, 0, 0, 0, 255, 255, 255, 255];
    let frames = [(0u8, 7u16), (1, 23), (2, 50)];
    indexed_gif(40, 20, &palette, repeat, &frames)
}

/// A 60×20 GIF whose three frames show a red 20×20 square on a transparent background,
/// moving one third to the right each frame; every frame is cleared before the next.
fn moving_square_gif() -> Vec<u8> {
    let mut out = Vec::new();
    {
        let palette = [0, 0, 0, 255, 0, 0];
        let mut encoder = gif::Encoder::new(&mut out, 60, 20, &palette).unwrap();
        encoder.set_repeat(gif::Repeat::Infinite).unwrap();
        for third in 0..3 {
            let pixels: Vec<u8> = (0..20 * 60)
                .map(|i| u8::from((i % 60) / 20 == third))
                .collect();
            let mut frame = gif::Frame::from_indexed_pixels(60, 20, pixels, Some(0));
            frame.delay = 10;
            frame.dispose = gif::DisposalMethod::Background;
            encoder.write_frame(&frame).unwrap();
        }
    }
    out
}

/// A 1×1 GIF of `count` frames, alternating black and white, looping forever.
fn tiny_frames_gif(count: usize) -> Vec<u8> {
    let frames: Vec<(u8, u16)> = (0..count).map(|i| ((i % 2) as u8, 2)).collect();
    indexed_gif(
        1,
        1,
        &[0, 0, 0, 255, 255, 255],
        gif::Repeat::Infinite,
        &frames,
    )
}

/// A `width`×`height` GIF of `count` solid grey frames.
fn solid_frames_gif(width: u16, height: u16, count: usize) -> Vec<u8> {
    let frames: Vec<(u8, u16)> = (0..count).map(|i| ((i % 2) as u8, 10)).collect();
    let palette = [64, 64, 64, 192, 192, 192];
    indexed_gif(width, height, &palette, gif::Repeat::Infinite, &frames)
}

/// Full-screen frames each filled with one index of the global `palette`, with its delay in
/// hundredths of a second.
fn indexed_gif(
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

/// The composited frames of a GIF and how long each shows, in milliseconds.
fn gif_frames(bytes: &[u8]) -> Vec<(RgbaImage, u32)> {
    let decoder = GifDecoder::new(Cursor::new(bytes)).unwrap();
    decoder
        .into_frames()
        .map(|frame| {
            let frame = frame.unwrap();
            let (numer, denom) = frame.delay().numer_denom_ms();
            (frame.into_buffer(), numer / denom)
        })
        .collect()
}

fn delays(frames: &[(RgbaImage, u32)]) -> Vec<u32> {
    frames.iter().map(|f| f.1).collect()
}

/// The NETSCAPE2.0 loop count, read after every frame (`Finite(0)` when the block is absent).
fn gif_repeat(bytes: &[u8]) -> gif::Repeat {
    let mut options = gif::DecodeOptions::new();
    options.skip_frame_decoding(true);
    let mut decoder = options.read_info(Cursor::new(bytes)).unwrap();
    while decoder.read_next_frame().unwrap().is_some() {}
    decoder.repeat()
}

/// Every extension block of a GIF: its label, and for application extensions the 11-byte
/// identifier.
fn gif_extensions(bytes: &[u8]) -> Vec<(u8, Vec<u8>)> {
    let table = |flags: u8| {
        if flags & 0x80 != 0 {
            3 << ((flags & 7) + 1)
        } else {
            0
        }
    };
    let skip_sub_blocks = |mut at: usize| {
        while bytes[at] != 0 {
            at += 1 + usize::from(bytes[at]);
        }
        at + 1
    };
    let mut found = Vec::new();
    let mut at = 13 + table(bytes[10]);
    loop {
        match bytes[at] {
            0x21 => {
                let label = bytes[at + 1];
                let app = if label == 0xFF {
                    bytes[at + 3..at + 14].to_vec()
                } else {
                    Vec::new()
                };
                found.push((label, app));
                at = skip_sub_blocks(at + 2);
            }
            0x2C => {
                at += 10 + table(bytes[at + 9]);
                at = skip_sub_blocks(at + 1);
            }
            0x3B => return found,
            other => panic!("GIF block {other:02X} at {at}"),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Sources full of metadata, and readers for what comes back
// ---------------------------------------------------------------------------------------------

/// `forest-orient6.jpg` (EXIF APP1, ICC APP2, a COM) with an XMP APP1, an IPTC APP13 and a
/// second comment added after its APP0.
fn loaded_jpeg() -> Vec<u8> {
    let jpeg = fixture("forest-orient6.jpg");
    assert_eq!(&jpeg[2..4], [0xFF, 0xE0], "APP0 first");
    let app0_end = 4 + usize::from(u16::from_be_bytes([jpeg[4], jpeg[5]]));
    let xmp = [
        b"http://ns.adobe.com/xap/1.0/\0".as_slice(),
        br#"<x:xmpmeta xmlns:x="adobe:ns:meta/"><dc:creator>someone</dc:creator></x:xmpmeta>"#,
    ]
    .concat();
    // Photoshop image resource 0x0404 (IPTC-NAA) holding one caption dataset (2:120).
    let iptc = b"Photoshop 3.0\08BIM\x04\x04\0\0\0\0\0\x0c\x1c\x02\x78\0\x07caption\0";
    let mut out = jpeg[..app0_end].to_vec();
    for (marker, payload) in [
        (0xE1, xmp.as_slice()),
        (0xED, iptc.as_slice()),
        (0xFE, b"a private comment".as_slice()),
    ] {
        let length = u16::try_from(payload.len() + 2).unwrap();
        out.extend_from_slice(&[0xFF, marker]);
        out.extend_from_slice(&length.to_be_bytes());
        out.extend_from_slice(payload);
    }
    out.extend_from_slice(&jpeg[app0_end..]);
    out
}

/// The markers of a JPEG's segments up to its first scan.
fn jpeg_markers(bytes: &[u8]) -> Vec<u8> {
    assert_eq!(&bytes[..2], [0xFF, 0xD8], "SOI");
    let mut markers = Vec::new();
    let mut at = 2;
    while at + 4 <= bytes.len() {
        assert_eq!(bytes[at], 0xFF, "JPEG segment at {at}");
        let marker = bytes[at + 1];
        if marker == 0xFF {
            at += 1;
            continue;
        }
        markers.push(marker);
        if marker == 0xDA {
            break;
        }
        at += 2 + usize::from(u16::from_be_bytes([bytes[at + 2], bytes[at + 3]]));
    }
    markers
}

/// `inputs/cups-p3.png` (320×200 with an iCCP profile) with tEXt, zTXt, iTXt and an eXIf
/// holding Orientation 6 added after its IHDR.
fn loaded_png() -> Vec<u8> {
    let png = fixture("inputs/cups-p3.png");
    let after_ihdr = 8 + 12 + 13;
    assert_eq!(&png[12..16], b"IHDR");
    // A big-endian TIFF header and one IFD holding only Orientation (0x0112, SHORT, 1 value).
    let exif = b"MM\0\x2a\0\0\0\x08\0\x01\x01\x12\0\x03\0\0\0\x01\0\x06\0\0\0\0\0\0";
    let ztxt = [b"Comment\0\0".as_slice(), &zlib_stored(b"compressed words")].concat();
    let mut out = png[..after_ihdr].to_vec();
    for (name, data) in [
        (b"tEXt", b"Author\0someone".as_slice()),
        (b"zTXt", ztxt.as_slice()),
        (
            b"iTXt",
            b"Description\0\0\0en\0\0international words".as_slice(),
        ),
        (b"eXIf", exif.as_slice()),
    ] {
        out.extend_from_slice(&png_chunk(name, data));
    }
    out.extend_from_slice(&png[after_ihdr..]);
    let chunks = png_chunks(&out);
    for name in [b"iCCP", b"tEXt", b"zTXt", b"iTXt", b"eXIf"] {
        assert!(chunks.contains(name), "the source lacks {name:?}");
    }
    out
}

fn assert_no_png_metadata(bytes: &[u8], case: &str) {
    let chunks = png_chunks(bytes);
    assert!(
        chunks.contains(b"IDAT"),
        "{case}: PNG chunks {:?}",
        names(&chunks)
    );
    for name in [*b"iCCP", *b"eXIf", *b"tEXt", *b"iTXt", *b"zTXt", *b"tIME"] {
        assert!(
            !chunks.contains(&name),
            "{case}: PNG chunks {:?}",
            names(&chunks)
        );
    }
}

/// The chunk types of a PNG, in order.
fn png_chunks(bytes: &[u8]) -> Vec<[u8; 4]> {
    assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n");
    let mut chunks = Vec::new();
    let mut at = 8;
    while at + 8 <= bytes.len() {
        let length = u32::from_be_bytes(bytes[at..at + 4].try_into().unwrap()) as usize;
        chunks.push(bytes[at + 4..at + 8].try_into().unwrap());
        at += 12 + length;
    }
    chunks
}

/// The chunk FourCCs inside a WebP's RIFF container, in order.
fn webp_chunks(bytes: &[u8]) -> Vec<[u8; 4]> {
    assert!(&bytes[..4] == b"RIFF" && &bytes[8..12] == b"WEBP");
    let mut chunks = Vec::new();
    let mut at = 12;
    while at + 8 <= bytes.len() {
        let length = u32::from_le_bytes(bytes[at + 4..at + 8].try_into().unwrap()) as usize;
        chunks.push(bytes[at..at + 4].try_into().unwrap());
        at += 8 + length + length % 2;
    }
    chunks
}

fn names(chunks: &[[u8; 4]]) -> Vec<String> {
    chunks
        .iter()
        .map(|c| String::from_utf8_lossy(c).into_owned())
        .collect()
}

/// A PNG chunk: length, type, data, CRC-32 of type and data.
fn png_chunk(name: &[u8; 4], data: &[u8]) -> Vec<u8> {
    let mut out = u32::try_from(data.len()).unwrap().to_be_bytes().to_vec();
    out.extend_from_slice(name);
    out.extend_from_slice(data);
    out.extend_from_slice(&crc32(&out[4..]).to_be_bytes());
    out
}

/// CRC-32 (IEEE, reflected, as PNG uses it), bit by bit.
fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &byte in bytes {
        crc ^= u32::from(byte);
        for _ in 0..8 {
            crc = if crc & 1 != 0 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

/// A zlib stream holding `data` in one stored (uncompressed) deflate block.
fn zlib_stored(data: &[u8]) -> Vec<u8> {
    let length = u16::try_from(data.len()).unwrap();
    let mut out = vec![0x78, 0x01, 0x01];
    out.extend_from_slice(&length.to_le_bytes());
    out.extend_from_slice(&(!length).to_le_bytes());
    out.extend_from_slice(data);
    let (mut a, mut b) = (1u32, 0u32);
    for &byte in data {
        a = (a + u32::from(byte)) % 65_521;
        b = (b + a) % 65_521;
    }
    out.extend_from_slice(&((b << 16) | a).to_be_bytes());
    out
}

// ---------------------------------------------------------------------------------------------
// Pixels
// ---------------------------------------------------------------------------------------------

/// `image` resized with `image`'s own Lanczos3, the reference for a frame.
fn downscaled(image: &RgbaImage, width: u32, height: u32) -> RgbaImage {
    image::imageops::resize(image, width, height, FilterType::Lanczos3)
}

/// Every pixel within 8 levels of `want` per channel (alpha ignored): lossy encoders stay well
/// inside that on a flat colour, and a wrong frame is 255 away.
#[track_caller]
fn assert_solid(image: &RgbaImage, want: [u8; 4], case: &str) {
    let off = image
        .pixels()
        .find(|p| (0..3).any(|c| p.0[c].abs_diff(want[c]) > 8));
    assert!(off.is_none(), "{case}: pixel {off:?}, want {want:?}");
}
