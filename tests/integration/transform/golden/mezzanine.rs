//! A srcset's later widths drawn from the pixels an earlier width kept
//! (`cache.mezzanine_max_bytes`), judged as the golden suite judges: against a full-resolution
//! Lanczos3 reference, beside the same widths rendered fresh by a server that keeps nothing.

use image::imageops::{self, FilterType};
use image::{DynamicImage, ImageFormat};

use super::quality::ssim;
use crate::support::images::decode;
use crate::support::roots::{Root, config, fixture};
use crate::support::server::TestServer;

const HITS: &str = "pixgate_cache_hits_total{cache=\"mezzanines\"}";
const MISSES: &str = "pixgate_cache_misses_total{cache=\"mezzanines\"}";
const ENTRIES: &str = "pixgate_cache_entries{cache=\"mezzanines\"}";
const BYTES: &str = "pixgate_cache_bytes{cache=\"mezzanines\"}";

/// The cups photo enlarged to 2400x1500 (3.6 MP, above the 2 MP a decode must have to be kept).
fn large_photo() -> Vec<u8> {
    let cups = image::load_from_memory(&fixture("cups-800x500.jpg")).unwrap();
    let large = cups.resize_exact(2400, 1500, FilterType::CatmullRom);
    let mut out = std::io::Cursor::new(Vec::new());
    DynamicImage::ImageRgb8(large.to_rgb8())
        .write_to(&mut out, ImageFormat::Jpeg)
        .unwrap();
    out.into_inner()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_srcset_drawn_from_kept_pixels_is_as_close_to_the_reference_as_fresh_renders() {
    let photo = large_photo();
    let root = Root::new();
    root.put("large.jpg", &photo);
    let keeping = TestServer::serving(&root).await;
    let mut fresh_config = config(vec![root.source("demo")]);
    fresh_config.cache.mezzanine_max_bytes = 0;
    let fresh = TestServer::start(fresh_config).await;
    let source = decode(&photo);
    // 160 decodes at a DCT shrink of 4 and keeps that; 320 needs more pixels, so it decodes
    // at full size and keeps those; 480, 640 and 960 are drawn from them.
    for w in [160, 320, 480, 640, 960] {
        let path = format!("/large.jpg?w={w}&fm=png");
        let kept = keeping.get(&path).await;
        let made = fresh.get(&path).await;
        kept.assert_status(200).assert_image("png");
        made.assert_status(200).assert_image("png");
        let (kept, made) = (decode(&kept.body), decode(&made.body));
        assert_eq!(kept.dimensions(), made.dimensions());
        let (width, height) = made.dimensions();
        let reference = imageops::resize(&source, width, height, FilterType::Lanczos3);
        let (from_kept, from_fresh) = (ssim(&kept, &reference), ssim(&made, &reference));
        assert!(
            from_kept >= from_fresh - 0.002,
            "{w} px: SSIM {from_kept:.4} from kept pixels, {from_fresh:.4} fresh"
        );
        if w >= 640 {
            // Both decoded at full size: the same pixels, the same resize.
            assert_eq!(kept, made, "{w} px");
        }
    }
    let counters = keeping.metrics().await;
    assert_eq!((counters.count(MISSES), counters.count(HITS)), (1, 4));
    assert_eq!(counters.count(ENTRIES), 1);
    assert!(
        counters.count(BYTES) >= 2400 * 1500 * 3,
        "the full-size pixels are kept"
    );
    let none = fresh.metrics().await;
    assert_eq!((none.count(HITS), none.count(ENTRIES)), (0, 0));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_replaced_original_is_never_drawn_from_the_old_pixels() {
    let root = Root::new();
    root.put("large.jpg", &large_photo());
    let server = TestServer::serving(&root).await;
    server
        .get("/large.jpg?w=1200&fm=png")
        .await
        .assert_status(200);
    let black = image::RgbImage::new(2400, 1500);
    let mut out = std::io::Cursor::new(Vec::new());
    DynamicImage::ImageRgb8(black)
        .write_to(&mut out, ImageFormat::Jpeg)
        .unwrap();
    root.put("large.jpg", &out.into_inner());
    let after = decode(&server.get("/large.jpg?w=600&fm=png").await.body);
    assert!(after.pixels().all(|p| p.0[..3].iter().all(|&v| v < 8)));
}
