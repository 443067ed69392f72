//! Sources that are not images or are damaged (contract §4): a file of another kind is a 415
//! when a transform is asked of it, a truncated or corrupt image of every input format a 422
//! (or, when decoders conceal the damage, an image) — never a 5xx or a dropped connection,
//! and the server goes on serving. Stored as they are, such files still pass through.

use crate::support::images::{gradient_png, image_kind};
use crate::support::roots::{Root, file_name, fixture};
use crate::support::server::TestServer;

fn root() -> Root {
    let root = Root::new();
    let jpeg = fixture("private/cups-400x250.jpg");
    let png = gradient_png(40, 20);
    root.put_fixture("files/notes.txt", "files/notes.txt")
        .put_fixture("files/manual.pdf", "files/manual.pdf")
        .put("empty.png", b"")
        .put("truncated.jpg", &jpeg[..300])
        .put("png-header-only.png", &png[..40])
        .put("a.png", &png)
        .put("photo.jpg", &jpeg);
    root
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn files_that_are_not_images_are_415_when_transformed() {
    let root = root();
    let server = TestServer::serving(&root).await;
    for target in [
        "/files/notes.txt?w=10",
        "/files/manual.pdf?w=10",
        "/empty.png?w=10",
        "/files/notes.txt?auto=format",
    ] {
        // Raw: a complete HTTP answer must come back, not a closed socket.
        let reply = server.raw("GET", target, &[]).await;
        reply.assert_error(415, "not_an_image");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn corrupt_images_are_422_and_the_server_keeps_serving() {
    let root = root();
    let server = TestServer::serving(&root).await;
    for target in [
        "/truncated.jpg?w=10",
        "/truncated.jpg?w=10&fm=png",
        "/png-header-only.png?w=10",
    ] {
        let reply = server.raw("GET", target, &[]).await;
        reply.assert_error(422, "undecodable");
    }
    // Stored as is, the corrupt file is still just bytes to pass through.
    let reply = server.get("/truncated.jpg").await;
    reply.assert_status(200);
    assert_eq!(reply.body.len(), 300);
    server.get("/a.png?w=10").await.assert_image("png");
}

/// A JPEG whose coefficients no 8-bit encoder writes (DC 2047, quantisers 255): libjpeg
/// decodes it, and at every DCT scale the IDCT that runs (pixgate's AVX2 kernels where libjpeg
/// has no SIMD) wraps out-of-range values into noise, an image all the same; the server goes on.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn out_of_range_jpeg_coefficients_are_noise_not_a_fault() {
    let root = root();
    root.put_fixture("odd.jpg", "inputs/out-of-range.jpg");
    let server = TestServer::serving(&root).await;
    // Full size, and the 1/2 and 1/4 shrinks on load of an 8x8 frame (the 4x4 and 2x2 IDCTs).
    for width in [8, 2, 1] {
        for format in ["png", "jpg"] {
            let target = format!("/odd.jpg?w={width}&fm={format}");
            let reply = server.raw("GET", &target, &[]).await;
            assert_eq!(reply.status, 200, "{target}: {}", reply.text());
            assert!(image_kind(&reply.body).is_some(), "{target}");
        }
    }
    server.get("/photo.jpg?w=10").await.assert_image("jpeg");
}

/// Every input kind the fixtures hold, with the output asked of it.
const KINDS: &[(&str, &str)] = &[
    ("forest-800x500.jpg", "w=100"),
    ("inputs/forest-progressive.jpg", "w=100"),
    ("inputs/grey.jpg", "w=100"),
    ("inputs/cups-cmyk.jpg", "w=100"),
    ("inputs/cups-rgb.png", "w=100"),
    ("inputs/cups-palette.png", "w=100"),
    ("inputs/cups-16bit.png", "w=100"),
    ("inputs/grey-alpha.png", "w=100"),
    ("inputs/forest-lossy.webp", "w=100"),
    ("inputs/kite-lossless.webp", "w=100"),
    ("inputs/cups-alpha.webp", "w=100"),
    ("inputs/forest-still.gif", "w=100"),
    ("kite-animated-480x300.gif", "w=100"),
    ("kite-animated-480x300.gif", "w=100&fm=gif"),
    ("inputs/forest.bmp", "w=100"),
    ("inputs/forest.tiff", "w=100"),
    ("inputs/cups-alpha.avif", "w=100&fm=png"),
];

/// Each file cut to 60% of its length: the header is intact, the pixel data is not.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn truncated_files_of_every_format_are_422() {
    let root = Root::new();
    for (path, _) in KINDS {
        let bytes = fixture(path);
        root.put(
            &format!("cut-{}", file_name(path)),
            &bytes[..bytes.len() * 6 / 10],
        );
        root.put(file_name(path), &bytes);
    }
    let server = TestServer::serving(&root).await;
    for (path, query) in KINDS {
        // The whole file renders, so the 422 below is about the cut and nothing else.
        let whole = server
            .raw("GET", &format!("/{}?{query}", file_name(path)), &[])
            .await;
        assert_eq!(whole.status, 200, "{path}?{query}: {}", whole.text());
        let target = format!("/cut-{}?{query}", file_name(path));
        let reply = server.raw("GET", &target, &[]).await;
        reply.assert_error(422, "undecodable");
    }
}

/// Each file with a run of its middle bytes overwritten. Decoders may conceal damage in
/// entropy-coded data (a JPEG shows grey blocks), so the answer is an image or a 422 (a 415 or
/// 413 when the damage hits the signature or a size field) — never a 5xx and never a dropped
/// connection; the server keeps serving.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn corrupt_files_of_every_format_are_an_image_or_a_4xx_never_5xx() {
    let root = Root::new();
    for (path, _) in KINDS {
        let mut bytes = fixture(path);
        let middle = bytes.len() / 2;
        for (i, byte) in bytes[middle..middle + 64].iter_mut().enumerate() {
            *byte = (i as u8).wrapping_mul(37) ^ 0xA5;
        }
        root.put(&format!("bad-{}", file_name(path)), &bytes);
        // Header damage: the bytes just past the signature.
        let mut bytes = fixture(path);
        for byte in &mut bytes[12..28] {
            *byte ^= 0xFF;
        }
        root.put(&format!("badhead-{}", file_name(path)), &bytes);
    }
    root.put_fixture("forest-800x500.jpg", "forest-800x500.jpg");
    let server = TestServer::serving(&root).await;
    for (path, query) in KINDS {
        for prefix in ["bad", "badhead"] {
            let target = format!("/{prefix}-{}?{query}", file_name(path));
            let reply = server.raw("GET", &target, &[]).await;
            eprintln!("{target}: {}", reply.status);
            match reply.status {
                200 => {
                    assert!(image_kind(&reply.body).is_some(), "{target}");
                }
                415 => {
                    // Header damage can leave bytes that are no known format at all.
                    assert_eq!(prefix, "badhead", "{target}");
                    reply.assert_error(415, "not_an_image");
                }
                413 => {
                    // Or a size field turned into billions of pixels: refused from the header.
                    assert_eq!(prefix, "badhead", "{target}");
                    reply.assert_error(413, "too_large");
                }
                _ => {
                    reply.assert_error(422, "undecodable");
                }
            }
        }
    }
    server
        .get("/forest-800x500.jpg?w=50")
        .await
        .assert_image("jpeg");
}
