//! imgix's output options (contract §3): `chromasub` sets JPEG's chroma sampling,
//! `jpg-progressive` makes a JPEG progressive, `dpi` is written into JPEG and PNG, `colorquant`
//! limits the colours, and `cs=srgb` confirms what pixgate does anyway. (`iptc` is with the
//! rest of the metadata, in `metadata`.)

use std::collections::HashSet;

use crate::support::images::{
    crc32, decode, jpeg_frame_markers, jpeg_sampling_factors, jpeg_segments,
};
use crate::support::server::TestServer;

use super::pictures::root;

const FULL: [(u8, u8); 3] = [(1, 1), (1, 1), (1, 1)];
const HALF: [(u8, u8); 3] = [(2, 1), (1, 1), (1, 1)];
const QUARTER: [(u8, u8); 3] = [(2, 2), (1, 1), (1, 1)];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chromasub_overrides_the_sampling_quality_would_choose() {
    let root = root();
    let server = TestServer::serving(&root).await;
    // Without it, q=50 means 4:2:0 and q=95 means 4:4:4 (see `encoding`).
    let cases = [
        ("q=50&chromasub=444", FULL),
        ("q=50&chromasub=422", HALF),
        ("q=95&chromasub=420", QUARTER),
        ("q=95&chromasub=422&fm=pjpg", HALF),
    ];
    for (query, sampling) in cases {
        let reply = server.get(&format!("/photo.jpg?w=100&{query}")).await;
        reply.assert_image("jpeg");
        assert_eq!(jpeg_sampling_factors(&reply.body), sampling, "{query}");
    }
    let message = server
        .get("/photo.jpg?w=100&chromasub=411")
        .await
        .assert_error(400, "bad_parameter");
    assert!(message.contains("`chromasub`"), "{message}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn jpg_progressive_makes_a_jpeg_progressive_whatever_chose_the_format() {
    let root = root();
    let server = TestServer::serving(&root).await;
    const BASELINE: u8 = 0xC0;
    const PROGRESSIVE: u8 = 0xC2;
    // The photo is a JPEG, so JPEG is its default output; `fm=jpg` is explicit.
    let cases = [
        ("w=100", BASELINE),
        ("w=100&jpg-progressive=1", PROGRESSIVE),
        ("w=100&jpeg-progressive=true", PROGRESSIVE),
        ("w=100&fm=jpg&jpg-progressive=1", PROGRESSIVE),
        ("w=100&fm=pjpg&jpg-progressive=0", BASELINE),
    ];
    for (query, frame) in cases {
        let reply = server.get(&format!("/photo.jpg?{query}")).await;
        reply.assert_image("jpeg");
        assert_eq!(jpeg_frame_markers(&reply.body), [frame], "{query}");
    }
    // `fm=jpg&jpg-progressive=1` is the same request as `fm=pjpg`: one derivative.
    let pjpg = server.get("/photo.jpg?w=100&fm=pjpg").await;
    assert_eq!(pjpg.header("x-cache"), Some("HIT"));
    // It has nothing to do for a PNG.
    let png = server.get("/small.png?fm=png&jpg-progressive=1").await;
    png.assert_image("png");
    let plain = server.get("/small.png?fm=png").await;
    assert_eq!(plain.header("x-cache"), Some("HIT"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dpi_is_written_into_jpeg_and_png() {
    let root = root();
    let server = TestServer::serving(&root).await;

    let reply = server.get("/photo.jpg?w=100&dpi=300").await;
    reply.assert_image("jpeg");
    // JFIF: identifier (5), version (2), units (1: dots per inch), X density, Y density.
    assert_eq!(jfif_density(&reply.body), (1, 300, 300));
    let clamped = server.get("/photo.jpg?w=100&dpi=1000000").await;
    assert_eq!(jfif_density(&clamped.body), (1, 65535, 65535));

    let reply = server.get("/small.png?dpi=300").await;
    reply.assert_image("png");
    let phys = png_chunk_data(&reply.body, b"pHYs").expect("a pHYs chunk");
    // 300 dpi is 11811 pixels per metre (unit 1), both ways.
    let per_metre = 11_811u32.to_be_bytes();
    assert_eq!(phys, [&per_metre[..], &per_metre[..], &[1]].concat());
    assert_eq!(decode(&reply.body).dimensions(), (40, 20));
    let plain = server.get("/small.png").await;
    assert_eq!(png_chunk_data(&plain.body, b"pHYs"), None);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn colorquant_limits_the_colours() {
    let root = root();
    let server = TestServer::serving(&root).await;
    let colours = |bytes: &[u8]| {
        decode(bytes)
            .pixels()
            .map(|p| p.0)
            .collect::<HashSet<_>>()
            .len()
    };
    let plain = server.get("/noise.png").await;
    assert!(
        colours(&plain.body) > 64,
        "{} colours",
        colours(&plain.body)
    );
    for (query, most) in [
        ("colorquant=8", 8),
        ("colorquant=2", 2),
        ("colorquant=1", 2),
        ("colorquant=64&fm=webp&lossless=1", 64),
    ] {
        let reply = server.get(&format!("/noise.png?{query}")).await;
        reply.assert_status(200);
        let count = colours(&reply.body);
        assert!((2..=most).contains(&count), "{query}: {count} colours");
    }
    // Alpha is quantized with the colours, not dropped.
    let reply = server.get("/noise-alpha.png?colorquant=4").await;
    let alphas: HashSet<u8> = decode(&reply.body).pixels().map(|p| p.0[3]).collect();
    assert!(alphas.len() > 1, "alpha {alphas:?}");
    // A picture smaller than the palette is fine.
    server
        .get("/small.png?w=1&colorquant=256")
        .await
        .assert_image("png");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cs_srgb_is_what_pixgate_does_and_other_spaces_are_refused() {
    let root = root();
    let server = TestServer::serving(&root).await;
    let plain = server.get("/photo.jpg?w=100").await;
    plain.assert_image("jpeg");
    for query in ["cs=srgb", "cs=strip"] {
        let reply = server.get(&format!("/photo.jpg?w=100&{query}")).await;
        assert_eq!(reply.header("x-cache"), Some("HIT"), "{query}");
        assert!(reply.body == plain.body, "{query}");
    }
    for value in ["origin", "tinysrgb", "adobergb1998"] {
        let message = server
            .get(&format!("/photo.jpg?w=100&cs={value}"))
            .await
            .assert_error(400, "unsupported_parameter");
        assert!(message.contains("`cs`"), "{value}: {message}");
    }
}

/// (units, X density, Y density) of a JPEG's JFIF header.
fn jfif_density(jpeg: &[u8]) -> (u8, u16, u16) {
    let (_, _, app0) = jpeg_segments(jpeg)
        .into_iter()
        .find(|&(_, marker, _)| marker == 0xE0)
        .expect("an APP0");
    assert_eq!(&app0[..5], b"JFIF\0");
    let field = |at: usize| u16::from_be_bytes([app0[at], app0[at + 1]]);
    (app0[7], field(8), field(10))
}

/// The data of a PNG's first chunk called `name`, its CRC checked.
fn png_chunk_data<'a>(png: &'a [u8], name: &[u8; 4]) -> Option<&'a [u8]> {
    let mut at = 8;
    while at + 12 <= png.len() {
        let length = u32::from_be_bytes(png[at..at + 4].try_into().unwrap()) as usize;
        let data = &png[at + 8..at + 8 + length];
        if &png[at + 4..at + 8] == name {
            let crc =
                u32::from_be_bytes(png[at + 8 + length..at + 12 + length].try_into().unwrap());
            assert_eq!(crc, crc32(&png[at + 4..at + 8 + length]), "CRC");
            return Some(data);
        }
        at += 12 + length;
    }
    None
}
