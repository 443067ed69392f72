//! Metadata (contract §3): derivatives carry no EXIF, XMP, ICC, IPTC or comments unless
//! `iptc=allow` keeps a JPEG's IPTC, while passthrough keeps every byte; EXIF orientation is
//! applied before it goes.

use crate::support::images::{
    decode, exif_orientation, fourccs, jpeg_segments, png_chunk, png_chunks,
};
use crate::support::roots::{Root, fixture};
use crate::support::server::TestServer;

const KITE: &str = "kite-animated-480x300.gif";

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
    let server = TestServer::serving(&root).await;

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
    assert!(
        chunks.contains(b"VP8 "),
        "WebP chunks {:?}",
        fourccs(&chunks)
    );
    for name in [*b"ICCP", *b"EXIF", *b"XMP "] {
        assert!(
            !chunks.contains(&name),
            "WebP chunks {:?}",
            fourccs(&chunks)
        );
    }
}

/// imgix's `iptc=allow` keeps a JPEG's IPTC (captions, credits) in a JPEG derivative, and
/// nothing else; `iptc=block` is the default.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn iptc_allow_keeps_only_the_iptc_of_a_jpeg() {
    let root = Root::new();
    let source = loaded_jpeg();
    root.put("loaded.jpg", &source);
    let server = TestServer::serving(&root).await;
    let iptc = |bytes: &[u8]| -> Vec<Vec<u8>> {
        jpeg_segments(bytes)
            .into_iter()
            .filter(|&(_, marker, _)| marker == 0xED)
            .map(|(_, _, payload)| payload.to_vec())
            .collect()
    };
    let wanted = iptc(&source);
    assert_eq!(wanted.len(), 1);

    for query in ["w=100&iptc=allow", "w=100&fm=pjpg&iptc=allow"] {
        let reply = server.get(&format!("/loaded.jpg?{query}")).await;
        reply.assert_image("jpeg");
        assert_eq!(iptc(&reply.body), wanted, "{query}");
        let markers = jpeg_markers(&reply.body);
        for marker in [0xE1, 0xE2, 0xFE] {
            assert!(!markers.contains(&marker), "{query}: {markers:02X?}");
        }
    }
    // Other formats have no IPTC to keep it in: `fm=png` drops the option from the request.
    let reply = server.get("/loaded.jpg?w=100&fm=png&iptc=allow").await;
    reply.assert_image("png");
    assert_no_png_metadata(&reply.body, "iptc=allow");
    let blocked = server.get("/loaded.jpg?w=100&iptc=block").await;
    assert!(iptc(&blocked.body).is_empty());
    let bad = server.get("/loaded.jpg?w=100&iptc=keep").await;
    let message = bad.assert_error(400, "bad_parameter");
    assert!(message.contains("`iptc`"), "{message}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn derivatives_of_a_png_carry_no_metadata() {
    let root = Root::new();
    let source = loaded_png();
    root.put("loaded.png", &source);
    let server = TestServer::serving(&root).await;
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
    let server = TestServer::serving(&root).await;
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
    let server = TestServer::serving(&root).await;
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
    let server = TestServer::serving(&root).await;
    // Stored 500×800 with Orientation 6: upright it is 800×500, so w=100 is 100×62.5.
    let reply = server.get("/orient6.jpg?w=100").await;
    reply.assert_image("jpeg");
    let (width, height) = decode(&reply.body).dimensions();
    assert_eq!(width, 100);
    assert!((62..=63).contains(&height), "{width}×{height}");
    let markers = jpeg_markers(&reply.body);
    assert!(!markers.contains(&0xE1), "EXIF left: {markers:02X?}");
}

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
    jpeg_segments(bytes)
        .into_iter()
        .map(|(_, marker, _)| marker)
        .collect()
}

/// `inputs/cups-p3.png` (320×200 with an iCCP profile) with tEXt, zTXt, iTXt and an eXIf
/// holding Orientation 6 added after its IHDR.
fn loaded_png() -> Vec<u8> {
    let png = fixture("inputs/cups-p3.png");
    let after_ihdr = 8 + 12 + 13;
    assert_eq!(&png[12..16], b"IHDR");
    let exif = exif_orientation(6);
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
        fourccs(&chunks)
    );
    for name in [*b"iCCP", *b"eXIf", *b"tEXt", *b"iTXt", *b"zTXt", *b"tIME"] {
        assert!(
            !chunks.contains(&name),
            "{case}: PNG chunks {:?}",
            fourccs(&chunks)
        );
    }
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

/// `data` as a zlib stream of one stored (uncompressed) block, with its Adler-32.
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
