//! `encoding.webp_method` and `encoding.png_level` reach the encoders through the real server:
//! the fastest and the smallest settings write different files of the same pixels, and the
//! smallest writes fewer bytes.

use crate::support::roots::{Root, config};
use crate::support::server::TestServer;

async fn server(webp_method: u8, png_level: u8) -> (Root, TestServer) {
    let root = Root::new();
    root.put_fixture("forest.jpg", "forest-800x500.jpg");
    let mut config = config(vec![root.source("demo")]);
    config.encoding.webp_method = webp_method;
    config.encoding.png_level = png_level;
    let server = TestServer::start(config).await;
    (root, server)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fastest_and_smallest_settings_write_different_files_of_the_same_pixels() {
    let (_fast_root, fast) = server(0, 1).await;
    let (_small_root, small) = server(6, 9).await;
    for (query, format) in [
        ("w=300&fm=png", "png"),
        ("w=300&fm=webp&lossless=1", "webp"),
        ("w=300&fm=webp&q=80", "webp"),
    ] {
        let path = format!("/forest.jpg?{query}");
        let (a, b) = (fast.get(&path).await, small.get(&path).await);
        let (pixels_a, pixels_b) = (a.image(format), b.image(format));
        assert!(
            b.body.len() < a.body.len(),
            "{query}: {} B at the smallest setting, {} B at the fastest",
            b.body.len(),
            a.body.len()
        );
        assert_eq!(pixels_a.dimensions(), (300, 188), "{query}");
        if !query.contains("q=") {
            assert_eq!(pixels_a, pixels_b, "{query}: lossless either way");
        }
    }
}
