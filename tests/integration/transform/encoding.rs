//! Output encoding (contract §3): every `fm` is what it says, `q` orders size and fidelity
//! from 1 to 100, `auto=compress` lowers the default quality, `lossless` is exact for WebP and
//! the best AVIF, and JPEG's chroma sampling follows `q`.

use crate::support::images::{
    decode, dimensions, jpeg_frame_markers, jpeg_sampling_factors, mean_abs_diff,
};
use crate::support::server::TestServer;

use super::pictures::root;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_output_format_is_what_it_says() {
    let root = root();
    let server = TestServer::serving(&root).await;
    // AVIF stays tiny: rav1e is the slow one.
    let cases = [
        ("fm=jpg", "jpeg"),
        ("fm=jpeg", "jpeg"),
        ("fm=pjpg", "jpeg"),
        ("fm=png", "png"),
        ("format=png", "png"),
        ("fm=webp", "webp"),
        ("fm=avif", "avif"),
        ("fm=gif", "gif"),
    ];
    for (fm, kind) in cases {
        let reply = server.get(&format!("/g64.png?w=32&{fm}")).await;
        reply.assert_image(kind);
        assert_eq!(dimensions(&reply.body), (32, 16), "{fm}");
        match fm {
            "fm=jpg" | "fm=jpeg" => assert_eq!(jpeg_frame_markers(&reply.body), [0xC0], "{fm}"),
            "fm=pjpg" => assert_eq!(jpeg_frame_markers(&reply.body), [0xC2], "{fm}"),
            _ => {}
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lower_quality_means_fewer_bytes() {
    let root = root();
    let server = TestServer::serving(&root).await;
    let mut sizes = Vec::new();
    for q in ["q=20", "quality=20", "q=90"] {
        let reply = server.get(&format!("/photo.jpg?w=200&fm=jpg&{q}")).await;
        reply.assert_image("jpeg");
        sizes.push(reply.body.len());
    }
    assert_eq!(sizes[0], sizes[1], "quality is an alias of q");
    assert!(
        sizes[0] < sizes[2],
        "q=20 gave {} bytes, q=90 {}",
        sizes[0],
        sizes[2]
    );
    let webp = sizes_for(&server, "/photo.jpg?w=200&fm=webp", ["q=20", "q=90"]).await;
    assert!(
        webp[0] < webp[1],
        "webp q=20 {} bytes, q=90 {}",
        webp[0],
        webp[1]
    );
}

async fn sizes_for(server: &TestServer, base: &str, qs: [&str; 2]) -> Vec<usize> {
    let mut sizes = Vec::new();
    for q in qs {
        let reply = server.get(&format!("{base}&{q}")).await;
        assert_eq!(reply.status, 200, "{base}&{q}: {}", reply.text());
        sizes.push(reply.body.len());
    }
    sizes
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lossless_webp_decodes_to_exactly_the_source_pixels() {
    let root = root();
    let server = TestServer::serving(&root).await;
    for file in ["noise.png", "noise-alpha.png"] {
        let source = decode(&std::fs::read(root.path().join(file)).unwrap());
        let target = format!("/{file}?fm=webp&lossless=1");
        let out = server.get(&target).await.image("webp");
        assert_eq!(out.dimensions(), source.dimensions(), "{target}");
        assert!(
            out == source,
            "{target}: decoded pixels differ from the source"
        );

        // The lossy encode of the same noise cannot be exact: lossless=1 is what made it so.
        let lossy = server.get(&format!("/{file}?fm=webp")).await.image("webp");
        assert!(
            mean_abs_diff(&lossy, &source) > 1.0,
            "{file}: lossy was exact"
        );
        let off = server
            .get(&format!("/{file}?fm=webp&lossless=0"))
            .await
            .image("webp");
        assert!(off == lossy, "{file}: lossless=0 is the default");
    }
    // After a resize, lossless WebP holds exactly what lossless PNG holds.
    let png_out = server.get("/noise-alpha.png?w=24").await.image("png");
    let webp_out = server
        .get("/noise-alpha.png?w=24&fm=webp&lossless=1")
        .await
        .image("webp");
    assert!(
        webp_out == png_out,
        "resized lossless WebP differs from PNG"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lossless_avif_is_the_highest_quality_encode() {
    let root = root();
    let server = TestServer::serving(&root).await;
    // pixgate documents `lossless=1` for AVIF as "highest quality" (q=100): the same bytes as
    // q=100, different from and larger than the default, and closer to the source once
    // decoded back (through pixgate's own AVIF input, as PNG).
    let get = |query: &'static str| {
        let server = &server;
        async move {
            let reply = server.get(&format!("/g64.png?w=32&fm=avif{query}")).await;
            reply.assert_image("avif");
            assert_eq!(dimensions(&reply.body), (32, 16), "{query}");
            reply.body
        }
    };
    let lossless = get("&lossless=1").await;
    let lossy = get("").await;
    let best = get("&q=100").await;
    assert_ne!(lossless, lossy, "lossless=1 changed nothing");
    assert!(
        lossless.len() > lossy.len(),
        "lossless {} bytes, lossy {}",
        lossless.len(),
        lossy.len()
    );
    assert_eq!(lossless, best, "lossless=1 is documented as q=100");
    root.put("lossless.avif", &lossless)
        .put("lossy.avif", &lossy);
    let reference = decode(&server.get("/g64.png?w=32&fm=png").await.body);
    let error = |name: &'static str| {
        let server = &server;
        let reference = &reference;
        async move {
            let reply = server.get(&format!("/{name}?fm=png")).await;
            reply.assert_image("png");
            mean_abs_diff(&decode(&reply.body), reference)
        }
    };
    let (lossless, lossy) = (error("lossless.avif").await, error("lossy.avif").await);
    assert!(
        lossless <= lossy,
        "decoded back, lossless=1 is {lossless:.2} from the source, the default {lossy:.2}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn auto_compress_lowers_the_default_quality_and_an_explicit_q_wins() {
    let root = root();
    let server = TestServer::serving(&root).await;
    for fm in ["jpg", "webp"] {
        let kind = if fm == "jpg" { "jpeg" } else { "webp" };
        let get = |extra: String| {
            let server = &server;
            async move {
                let target = format!("/photo.jpg?w=200&fm={fm}{extra}");
                let reply = server.get(&target).await;
                reply.assert_image(kind);
                assert_eq!(dimensions(&reply.body), (200, 125), "{target}");
                reply.body
            }
        };
        let default = get(String::new()).await;
        let compressed = get("&auto=compress".into()).await;
        assert!(
            compressed.len() < default.len(),
            "fm={fm}: auto=compress {} bytes, default {}",
            compressed.len(),
            default.len()
        );
        // The documented rule: auto=compress means q=45 unless q is given, and q always wins.
        assert_eq!(compressed, get("&q=45".into()).await, "fm={fm}");
        assert_eq!(compressed, get("&auto=compress&q=45".into()).await);
        assert_eq!(get("&auto=compress&q=75".into()).await, default, "fm={fm}");
        assert_eq!(
            get("&q=90&auto=compress".into()).await,
            get("&q=90".into()).await,
            "fm={fm}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn q_bounds_1_and_100_are_accepted_and_ordered() {
    let root = root();
    let server = TestServer::serving(&root).await;
    let reference = server.get("/g64.png?fm=png").await.image("png");
    let mut bytes = Vec::new();
    let mut diffs = Vec::new();
    for q in [1, 100] {
        let reply = server.get(&format!("/g64.png?fm=jpg&q={q}")).await;
        reply.assert_image("jpeg");
        diffs.push(mean_abs_diff(&decode(&reply.body), &reference));
        bytes.push(reply.body.len());
    }
    assert!(
        bytes[0] < bytes[1],
        "q=1 {} bytes, q=100 {}",
        bytes[0],
        bytes[1]
    );
    // q=100 (4:4:4, no quantisation to speak of) stays within a level or two of a smooth
    // gradient; q=1 is blocky by several levels on average.
    assert!(diffs[1] < 2.0, "q=100 mean difference {:.2}", diffs[1]);
    assert!(diffs[0] > diffs[1] + 1.0, "q=1 {diffs:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn jpeg_chroma_is_420_below_q90_and_444_from_q90() {
    let root = root();
    let server = TestServer::serving(&root).await;
    const SUBSAMPLED: [(u8, u8); 3] = [(2, 2), (1, 1), (1, 1)];
    const FULL: [(u8, u8); 3] = [(1, 1), (1, 1), (1, 1)];
    // The photo is a JPEG, so JPEG is also the default output.
    let cases = [
        ("w=100", SUBSAMPLED, 0xC0),
        ("w=100&fm=jpg&q=89", SUBSAMPLED, 0xC0),
        ("w=100&auto=compress", SUBSAMPLED, 0xC0),
        ("w=100&q=90", FULL, 0xC0),
        ("w=100&q=100", FULL, 0xC0),
        ("w=100&fm=pjpg", SUBSAMPLED, 0xC2),
        ("w=100&fm=pjpg&q=95", FULL, 0xC2),
    ];
    for (query, sampling, frame) in cases {
        let reply = server.get(&format!("/photo.jpg?{query}")).await;
        reply.assert_image("jpeg");
        assert_eq!(jpeg_sampling_factors(&reply.body), sampling, "{query}");
        assert_eq!(jpeg_frame_markers(&reply.body), [frame], "{query}");
    }
}
