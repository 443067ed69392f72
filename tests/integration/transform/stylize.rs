//! imgix's stylize effects through the server (`monochrome`, `duotone`, `sepia`, `htn`, `px`),
//! judged on PNG output: what the pixels must show, and that aliases and effect-less values
//! share one cache entry. The effects themselves are checked beside the code
//! (`render::stylize`).

use super::pictures::root;
use crate::support::server::TestServer;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn px_10_is_made_of_10_by_10_blocks_and_monochrome_is_one_hue() {
    let root = root();
    let server = TestServer::serving(&root).await;
    let blocks = server.get("/g64.png?w=64&fm=png&px=10").await.image("png");
    assert_eq!(blocks.dimensions(), (64, 32));
    for (x, y, p) in blocks.enumerate_pixels() {
        assert_eq!(p, blocks.get_pixel(x / 10 * 10, y / 10 * 10), "({x}, {y})");
    }
    let red = server
        .get("/g64.png?w=32&fm=png&monochrome=f00")
        .await
        .image("png");
    assert!(red.pixels().all(|p| p[1] == 0 && p[2] == 0));
    assert!(red.pixels().any(|p| p[0] > 100));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn aliases_and_effectless_values_share_one_cache_entry() {
    let root = root();
    let server = TestServer::serving(&root).await;
    let groups = [
        &["w=20", "w=20&duotone-alpha=30&sepia=0&px=0"][..],
        &["w=20&monochrome=red", "w=20&mono=ff0000"][..],
        &[
            "w=20&duotone=navy,yellow",
            "w=20&duotone=000080,ff0&duotone-alpha=100",
        ][..],
    ];
    for group in groups {
        let first = server.get(&format!("/g64.png?{}", group[0])).await;
        first.assert_status(200);
        for query in &group[1..] {
            let reply = server.get(&format!("/g64.png?{query}")).await;
            assert_eq!(
                reply.header("x-cache"),
                Some("HIT"),
                "{query} after {}",
                group[0]
            );
        }
    }
}
